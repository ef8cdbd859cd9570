"""Refusals read as sentences in the reader's language: validation messages, impossible dates,
permissions by their titles, and console addresses that name nothing are 404s."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient

from sluice.core.clock import FixedClock
from sluice.core.database import Database
from sluice.core.permissions import Role
from tests.identity.factories import bearer, console_login, make_account

PROBLEM = "application/problem+json"


def _errors(response: Any) -> dict[str, str]:
    assert response.status_code == 422, response.text
    assert response.headers["content-type"] == PROBLEM
    return {e["field"]: e["message"] for e in response.json()["errors"]}


def test_api_validation_messages_are_translated_and_english_on_request(
    client: TestClient, database: Database, clock: FixedClock
) -> None:
    headers = bearer(client, make_account(database, clock, Role.BUREAU))
    decision = {"meeting": "局", "held_on": "2026-02-30", "participants": ["甲"], "outcome": "ok"}
    zh = _errors(client.post("/api/v1/decisions", json=decision, headers=headers))
    assert zh == {
        "act": "必须填写。",
        "target_id": "必须填写。",
        "meeting": "至少 2 个字符。",
        "held_on": "2026-02-30 不是有效的日期：2 月没有 30 日。",
        "participants": "至少 3 项。",
        "outcome": "只能是：'approved', 'rejected' or 'deferred'。",
    }
    english = client.post(
        "/api/v1/decisions", json=decision, headers={**headers, "Accept-Language": "en"}
    )
    assert _errors(english)["held_on"] == "2026-02-30 is not a valid date: February has no day 30."
    malformed = client.get("/api/v1/tickets/not-an-id", headers=headers)
    assert _errors(malformed) == {"path.ticket_id": "不是有效的编号。"}
    assert "Input should be" not in malformed.text


def test_a_console_address_with_a_malformed_id_or_page_is_not_found(
    client: TestClient, database: Database, clock: FixedClock
) -> None:
    console_login(client, make_account(database, clock, Role.BUREAU))
    for path in ("/console/tickets/not-an-id", "/console/audit?page=0", "/console/audit?page=x"):
        page = client.get(path)
        assert page.status_code == 404, path
        assert "页面不存在" in page.text or "不存在" in page.text
        assert "输入不符合要求" not in page.text


def test_a_refusal_names_the_permission_in_words(
    client: TestClient, database: Database, clock: FixedClock
) -> None:
    console_login(client, make_account(database, clock, Role.PROVIDER))
    page = client.get("/console/audit")
    assert page.status_code == 403
    assert "您的角色不能“查阅审计日志”" in page.text
    assert "audit.read" not in page.text
