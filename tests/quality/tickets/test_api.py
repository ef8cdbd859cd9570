"""The tickets API as a client sees it: codes, deadlines, overdue flags, both languages."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient

from sluice.core.clock import SHANGHAI, FixedClock
from sluice.core.database import Database
from tests.identity.factories import Account, bearer
from tests.quality.tickets.factories import World, make_version, make_world

PROBLEM = "application/problem+json"
EN = {"Accept-Language": "en"}


@pytest.fixture
def world(database: Database, clock: FixedClock) -> World:
    return make_world(database, clock)


def _file(client: TestClient, headers: dict[str, str], world: World, **body: Any) -> Any:
    payload = {
        "resource_id": str(world.resource_a),
        "target_level": "field",
        "field_name": "registered_address",
        "description": "注册地址已变更，目录中仍为旧地址",
        **body,
    }
    response = client.post("/api/v1/tickets", json=payload, headers=headers)
    assert response.status_code == 201, response.text
    return response.json()


def _problem(response: Any, status: int, code: str) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == PROBLEM
    body: dict[str, Any] = response.json()
    assert body["code"] == code
    return body


def test_file_and_walk_the_whole_lifecycle(
    client: TestClient, database: Database, clock: FixedClock, world: World
) -> None:
    operator = bearer(client, world.operator)
    provider = bearer(client, world.provider_a)
    bureau = bearer(client, world.bureau)
    filed = _file(client, operator, world)
    assert filed["status"] == "open"
    assert filed["provider_id"] == str(world.org(world.provider_a))
    assert filed["filed_by_org"] == str(world.org(world.operator))
    assert filed["due_date"] == "2026-12-03"
    assert filed["working_days"] == 5
    assert filed["overdue"] is False
    assert filed["actions"] == []
    assert [e["action"] for e in filed["history"]] == ["correction_ticket.filed"]
    ticket = f"/api/v1/tickets/{filed['id']}"

    seen = client.get(ticket, headers=provider).json()
    assert seen["actions"] == ["acknowledge"]
    acknowledged = client.post(
        f"{ticket}/acknowledge", json={"note": "已转业务处室核实"}, headers=provider
    )
    assert acknowledged.status_code == 200, acknowledged.text
    assert acknowledged.json()["status"] == "acknowledged"
    assert acknowledged.json()["actions"] == ["fix", "reject"]
    clock.advance(timedelta(minutes=5))
    make_version(database, clock, world.resource_a)  # the corrected data, uploaded
    fixed = client.post(f"{ticket}/fix", json={"resolution": "已更新为新地址"}, headers=provider)
    assert fixed.json()["status"] == "fixed"
    assert fixed.json()["repair_version"] == 1
    assert fixed.json()["outcome"] == "fixed"
    assert fixed.json()["resolution"] == "已更新为新地址"
    assert fixed.json()["answered_late"] is False
    assert client.get(ticket, headers=operator).json()["actions"] == ["close"]
    closed = client.post(f"{ticket}/close", headers=operator)
    assert closed.status_code == 200, closed.text
    assert closed.json()["status"] == "closed"
    history = client.get(ticket, headers=bureau).json()["history"]
    assert [(e["action"], e["detail"].get("to")) for e in history] == [
        ("correction_ticket.filed", None),
        ("correction_ticket.acknowledge", "acknowledged"),
        ("correction_ticket.fix", "fixed"),
        ("correction_ticket.close", "closed"),
    ]
    assert history[1]["detail"]["note"] == "已转业务处室核实"
    assert history[1]["actor"] == world.provider_a.username


def test_reject_then_the_bureau_closes(
    client: TestClient, database: Database, clock: FixedClock, world: World
) -> None:
    provider = bearer(client, world.provider_a)
    bureau = bearer(client, world.bureau)
    ticket = f"/api/v1/tickets/{_file(client, bearer(client, world.operator), world)['id']}"
    client.post(f"{ticket}/acknowledge", headers=provider)
    rejected = client.post(
        f"{ticket}/reject", json={"resolution": "经核实数据无误"}, headers=provider
    )
    assert rejected.json()["status"] == "rejected"
    closed = client.post(f"{ticket}/close", json={"note": "同意"}, headers=bureau)
    assert closed.json()["status"] == "closed"
    assert closed.json()["outcome"] == "rejected"


def test_a_ticket_filed_before_national_day_is_due_after_it(
    client: TestClient, database: Database, clock: FixedClock
) -> None:
    clock.advance(datetime(2025, 9, 30, 15, 0, tzinfo=SHANGHAI) - clock.now())
    world = make_world(database, clock)
    operator = bearer(client, world.operator)
    filed = _file(client, operator, world, target_level="dataset", field_name=None)
    # 国庆/中秋 2025: 1–8 October off, Saturday 11 October worked.
    assert filed["due_date"] == "2025-10-14"
    clock.advance(datetime(2025, 10, 14, 23, 0, tzinfo=SHANGHAI) - clock.now())
    operator = bearer(client, world.operator)  # a fresh token: the old one has expired
    assert client.get(f"/api/v1/tickets/{filed['id']}", headers=operator).json()["overdue"] is False
    clock.advance(datetime(2025, 10, 15, 9, 0, tzinfo=SHANGHAI) - clock.now())
    operator = bearer(client, world.operator)
    late = client.get(f"/api/v1/tickets/{filed['id']}", headers=operator).json()
    assert late["overdue"] is True
    assert late["working_days_overdue"] == 1


def test_list_filters_by_status_and_overdue(
    client: TestClient, database: Database, clock: FixedClock, world: World
) -> None:
    operator = bearer(client, world.operator)
    provider = bearer(client, world.provider_a)
    first = _file(client, operator, world)
    second = _file(client, operator, world, target_level="dataset", field_name=None)
    client.post(f"/api/v1/tickets/{first['id']}/acknowledge", headers=provider)
    everything = client.get("/api/v1/tickets", headers=provider).json()
    assert everything["total"] == 2
    acknowledged = client.get("/api/v1/tickets?status=acknowledged", headers=provider).json()
    assert [t["id"] for t in acknowledged["items"]] == [first["id"]]
    assert client.get("/api/v1/tickets?overdue=true", headers=provider).json()["total"] == 0
    clock.advance(datetime(2026, 12, 4, 9, 0, tzinfo=SHANGHAI) - clock.now())
    operator, provider = bearer(client, world.operator), bearer(client, world.provider_a)
    make_version(database, clock, world.resource_a)
    fixed = client.post(
        f"/api/v1/tickets/{first['id']}/fix", json={"resolution": "已更正"}, headers=provider
    )
    assert fixed.status_code == 200, fixed.text
    overdue = client.get("/api/v1/tickets?overdue=true", headers=operator).json()
    assert [(t["id"], t["overdue"]) for t in overdue["items"]] == [(second["id"], True)]
    not_overdue = client.get("/api/v1/tickets?overdue=false", headers=operator).json()
    assert [t["id"] for t in not_overdue["items"]] == [first["id"]]
    assert not_overdue["items"][0]["answered_late"] is True
    bad = client.get("/api/v1/tickets?status=lost", headers=operator)
    _problem(bad, 422, "invalid_input")


def test_refusals_carry_their_codes_in_the_readers_language(
    client: TestClient, database: Database, clock: FixedClock, world: World
) -> None:
    operator = bearer(client, world.operator)
    provider_a = bearer(client, world.provider_a)
    provider_b = bearer(client, world.provider_b)
    ticket = f"/api/v1/tickets/{_file(client, operator, world)['id']}"

    # Another provider's ticket does not exist for provider B.
    for path in (ticket, f"{ticket}/acknowledge"):
        method = client.get if path == ticket else client.post
        body = _problem(method(path, headers={**provider_b, **EN}), 404, "not_found")
        assert body["detail"] == "There is no such correction ticket, or you may not see it."
    # The operator's role may not answer.
    body = _problem(
        client.post(f"{ticket}/acknowledge", headers=operator), 403, "permission_denied"
    )
    assert (
        body["detail"] == "您的角色不能“答复本部门数据的纠错工单”。如需此项权限，请联系市数据局。"
    )
    assert "tickets.answer" not in body["detail"]
    # Fixing before acknowledging: not in the table; closing before an answer: no repair.
    body = _problem(
        client.post(f"{ticket}/fix", json={"resolution": "已更正"}, headers=provider_a),
        409,
        "invalid_transition",
    )
    assert body["detail"] == "纠错工单当前为“待受理”，不能执行“标记已更正”。可执行：受理。"
    body = _problem(
        client.post(f"{ticket}/close", headers={**operator, **EN}), 409, "ticket_not_repaired"
    )
    assert body["detail"].startswith("This ticket has not been answered yet (Open)")
    # The provider may not close what someone else filed.
    client.post(f"{ticket}/acknowledge", headers=provider_a)
    client.post(f"{ticket}/reject", json={"resolution": "数据无误"}, headers=provider_a)
    body = _problem(
        client.post(f"{ticket}/close", headers={**provider_a, **EN}), 403, "permission_denied"
    )
    assert body["detail"] == (
        "Only the organization that filed this ticket, or the data bureau, may close it."
    )
    # A resolution is required to answer.
    _problem(client.post(f"{ticket}/reject", json={}, headers=provider_a), 422, "invalid_input")


def test_provider_b_sees_what_it_filed_but_cannot_answer_it(
    client: TestClient, database: Database, clock: FixedClock, world: World
) -> None:
    provider_b = bearer(client, world.provider_b)
    filed = _file(client, provider_b, world, target_level="row", row_ref="第 12 行")
    assert filed["actions"] == []
    body = _problem(
        client.post(f"/api/v1/tickets/{filed['id']}/acknowledge", headers={**provider_b, **EN}),
        403,
        "permission_denied",
    )
    assert body["detail"] == (
        "Only the department that provides this data may acknowledge, fix or reject this ticket."
    )


@pytest.mark.parametrize(
    ("body", "detail"),
    [
        ({"target_level": "field", "field_name": None}, "字段级工单须填写字段名。"),
        (
            {"target_level": "field", "field_name": "salary"},
            "没有字段“salary”。",
        ),
        ({"target_level": "row", "field_name": None}, "行级工单须填写行定位"),
        (
            {"resource_id": "00000000-0000-0000-0000-000000000000", "target_level": "dataset"},
            "所选数据资源不存在。",
        ),
    ],
)
def test_filing_refusals(
    client: TestClient,
    database: Database,
    clock: FixedClock,
    world: World,
    body: dict[str, Any],
    detail: str,
) -> None:
    payload = {
        "resource_id": str(world.resource_a),
        "description": "数据有误",
        **body,
    }
    response = client.post("/api/v1/tickets", json=payload, headers=bearer(client, world.operator))
    problem = _problem(response, 422, "invalid_input")
    assert detail in problem["detail"]


def test_a_provider_cannot_file_on_its_own_data(
    client: TestClient, database: Database, clock: FixedClock, world: World
) -> None:
    response = client.post(
        "/api/v1/tickets",
        json={"resource_id": str(world.resource_a), "target_level": "dataset", "description": "错"},
        headers={**bearer(client, world.provider_a), **EN},
    )
    assert response.status_code == 422
    response = client.post(
        "/api/v1/tickets",
        json={
            "resource_id": str(world.resource_a),
            "target_level": "dataset",
            "description": "有误",
        },
        headers={**bearer(client, world.provider_a), **EN},
    )
    body = _problem(response, 422, "invalid_input")
    assert body["detail"] == (
        "You cannot file a ticket on data your own department provides; correct the data directly."
    )


def test_who_sees_which_tickets(
    client: TestClient, database: Database, clock: FixedClock, world: World
) -> None:
    mine = _file(client, bearer(client, world.operator), world)

    def ids(account: Account) -> list[str]:
        listed = client.get("/api/v1/tickets", headers=bearer(client, account)).json()
        return [t["id"] for t in listed["items"]]

    assert ids(world.operator) == [mine["id"]]
    assert ids(world.provider_a) == [mine["id"]]
    assert ids(world.bureau) == [mine["id"]]
    assert ids(world.provider_b) == []
    assert ids(world.other_operator) == []


def test_a_ticket_one_cannot_see_is_404_even_for_closing_and_403_stays_for_the_visible(
    client: TestClient, database: Database, clock: FixedClock, world: World
) -> None:
    """The parties' checks come after visibility: a stranger to a ticket is told it does not
    exist (whatever they try); 403 is only for a party that may see it but not do this."""
    ticket = f"/api/v1/tickets/{_file(client, bearer(client, world.operator), world)['id']}"
    provider_a = bearer(client, world.provider_a)
    client.post(f"{ticket}/acknowledge", headers=provider_a)
    client.post(f"{ticket}/reject", json={"resolution": "数据无误"}, headers=provider_a)
    stranger = bearer(client, world.other_operator)
    for response in (
        client.get(ticket, headers=stranger),
        client.post(f"{ticket}/close", headers=stranger),
        client.post(f"{ticket}/close", headers=bearer(client, world.provider_b)),
    ):
        _problem(response, 404, "not_found")
    _problem(client.post(f"{ticket}/close", headers=provider_a), 403, "permission_denied")
    closed = client.post(f"{ticket}/close", headers=bearer(client, world.bureau))
    assert closed.status_code == 200, closed.text
