"""The authorization API as clients see it: the bureau's list, terms, exits and the
agreement's document. (Requests for the data an agreement covers: ``tests/guard``.)"""

from __future__ import annotations

import re
from datetime import date
from typing import Any

import pytest
from fastapi.testclient import TestClient

from sluice.core.clock import FixedClock
from sluice.core.database import Database
from sluice.core.permissions import Role
from sluice.core.settings import Settings
from tests.authorizations.factories import World, active_authorization, make_world
from tests.identity.factories import bearer, make_account

PROBLEM = "application/problem+json"


@pytest.fixture
def world(database: Database, clock: FixedClock, settings: Settings) -> World:
    return make_world(database, clock, settings)


def _problem(response: Any, status: int, code: str) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == PROBLEM
    body: dict[str, Any] = response.json()
    assert body["code"] == code
    return body


def test_the_bureau_lists_authorizations_with_their_terms(
    client: TestClient, database: Database, clock: FixedClock, settings: Settings, world: World
) -> None:
    authorization_id = active_authorization(database, clock, settings, world)
    response = client.get("/api/v1/authorizations", headers=bearer(client, world.bureau))
    assert response.status_code == 200, response.text
    [row] = response.json()
    assert row["id"] == str(authorization_id)
    assert row["status"] == "active"
    assert row["operator"].startswith("测试operator")
    assert row["scenario"] == "普惠金融"
    assert (row["term_start"], row["term_end"]) == ("2026-11-26", "2029-11-25")


def test_operators_see_only_their_own_and_buyers_nothing(
    client: TestClient, database: Database, clock: FixedClock, settings: Settings, world: World
) -> None:
    authorization_id = active_authorization(database, clock, settings, world)
    own = client.get("/api/v1/authorizations", headers=bearer(client, world.operator))
    assert [r["id"] for r in own.json()] == [str(authorization_id)]
    other = bearer(client, world.other_operator)
    assert client.get("/api/v1/authorizations", headers=other).json() == []
    _problem(
        client.get(f"/api/v1/authorizations/{authorization_id}", headers=other), 404, "not_found"
    )
    buyer = make_account(database, clock, Role.BUYER)
    _problem(
        client.get("/api/v1/authorizations", headers=bearer(client, buyer)),
        403,
        "permission_denied",
    )
    assert client.get("/api/v1/authorizations").status_code == 401


def test_a_term_over_five_years_is_refused_through_the_api(
    client: TestClient, world: World
) -> None:
    body = {
        "operator_id": str(world.operator.organization_id),
        "plan_id": str(world.plan_id),
        "scenario": "普惠金融",
        "purpose": "小微企业信用评估",
        "term_years": 6,
        "entry_ids": [str(world.entries[0])],
        "clauses": {
            "products": [{"name": "信用画像", "description": "评分", "review": "安全审查"}],
            "revenue": {"government_share_bp": 1000, "method": "按季核算"},
        },
    }
    response = client.post(
        "/api/v1/authorizations",
        json=body,
        headers={**bearer(client, world.bureau), "Accept-Language": "en"},
    )
    problem = _problem(response, 422, "term_too_long")
    assert problem["detail"] == (
        "A term of 6 years is longer than the limit of 5 years (national rules: at most 5)."
    )


def test_voluntary_exit_needs_three_months_notice(
    client: TestClient, database: Database, clock: FixedClock, settings: Settings, world: World
) -> None:
    authorization_id = active_authorization(database, clock, settings, world)
    operator = bearer(client, world.operator)
    url = f"/api/v1/authorizations/{authorization_id}/exits"
    letter = "因公司战略调整，申请退出普惠金融场景授权运营。"
    short = client.post(url, json={"letter": letter, "exit_date": "2027-02-25"}, headers=operator)
    body = _problem(short, 422, "exit_notice_too_short")
    assert body["detail"] == (
        "退出须至少提前 3 个月书面申请：最早可在 2027-02-26 退出，申请的退出日期为 2027-02-25。"
    )
    ok = client.post(url, json={"letter": letter, "exit_date": "2027-02-26"}, headers=operator)
    assert ok.status_code == 201, ok.text
    assert ok.json()["status"] == "requested"


def test_the_agreement_document_carries_the_signatures(
    client: TestClient, database: Database, clock: FixedClock, settings: Settings, world: World
) -> None:
    authorization_id = active_authorization(database, clock, settings, world)
    detail = client.get(
        f"/api/v1/authorizations/{authorization_id}", headers=bearer(client, world.bureau)
    ).json()
    assert [s["valid"] for s in detail["signatures"]] == [True, True]
    html = client.get(
        f"/api/v1/authorizations/{authorization_id}/document.html",
        headers=bearer(client, world.operator),
    )
    assert html.status_code == 200
    text = "".join(re.sub(r"<[^>]+>", "", html.text).split())  # hex is printed in groups
    for signature in detail["signatures"]:
        assert signature["signature_hex"].upper() in text.upper()
    assert "小微企业信用画像" in html.text
    assert date(2029, 11, 25).strftime("%Y") in html.text
    pdf = client.get(
        f"/api/v1/authorizations/{authorization_id}/document.pdf",
        headers=bearer(client, world.bureau),
    )
    assert pdf.status_code == 200
    assert pdf.content.startswith(b"%PDF")
