"""Four eyes for irreversible acts (N1 三重一大, R8.3, DESIGN §7), as API clients see them:
one bureau token can ask but never terminate, force an exit or withdraw a batch; a second
bureau user's approval (or a collective decision someone else recorded) carries the act
out; rejection and lapse leave everything as it was."""

from __future__ import annotations

import uuid
from datetime import date, timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from sluice.audit.models import AuditEvent
from sluice.authorizations import repository
from sluice.authorizations.sweep import sweep
from sluice.core.clock import FixedClock
from sluice.core.database import Database
from sluice.core.keystore import KeyDestroyed
from sluice.core.settings import Settings
from sluice.dataplane import derived
from tests.approvals.factories import colleague
from tests.authorizations.factories import World, active_authorization, make_world
from tests.identity.factories import bearer

PROBLEM = "application/problem+json"
REASON = {"reason": "运营机构发生重大数据安全事件，经研究终止授权"}


@pytest.fixture
def world(database: Database, clock: FixedClock, settings: Settings) -> World:
    return make_world(database, clock, settings)


@pytest.fixture
def agreement(database: Database, clock: FixedClock, settings: Settings, world: World) -> uuid.UUID:
    authorization_id = active_authorization(database, clock, settings, world)
    derived.write(settings, authorization_id, "scores.parquet", b"PAR1 scores PAR1")
    return authorization_id


def _problem(response: Any, status: int, code: str) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == PROBLEM
    body: dict[str, Any] = response.json()
    assert body["code"] == code
    return body


def _status(database: Database, authorization_id: uuid.UUID) -> str:
    with database.unit_of_work() as session:
        found = repository.authorization(session, authorization_id)
        assert found is not None
        return found.status


def _untouched(database: Database, settings: Settings, authorization_id: uuid.UUID) -> None:
    """Still in force, its data still there and readable, no certificate."""
    assert _status(database, authorization_id) == "active"
    assert derived.read(settings, authorization_id, "scores.parquet") == b"PAR1 scores PAR1"
    with database.unit_of_work() as session:
        assert repository.certificate(session, authorization_id) is None


def _ask(client: TestClient, world: World, authorization_id: uuid.UUID, **body: Any) -> Any:
    response = client.post(
        f"/api/v1/authorizations/{authorization_id}/terminate",
        json={**REASON, **body},
        headers=bearer(client, world.bureau),
    )
    assert response.status_code == 202, response.text
    assert response.json()["status"] == "pending"
    return response.json()


def test_one_bureau_token_cannot_terminate_not_even_by_approving_itself(
    client: TestClient, database: Database, settings: Settings, world: World, agreement: uuid.UUID
) -> None:
    token = bearer(client, world.bureau)
    asked = _ask(client, world, agreement)
    assert asked["act"] == "authorization.terminate"
    assert asked["target_label"] == "营数授〔2026〕1号 普惠金融"
    assert asked["grounds"] == REASON["reason"]
    assert asked["expires_at"] == "2026-11-29T02:00:00Z"  # approval_hours (72) later
    _untouched(database, settings, agreement)
    operator = bearer(client, world.operator)
    assert (
        client.get(f"/api/v1/authorized-data/{agreement}/resources", headers=operator).status_code
        == 200
    )

    own = client.post(f"/api/v1/approvals/{asked['id']}/approve", json={}, headers=token)
    body = _problem(own, 403, "second_approver_required")
    assert body["detail"] == "申请人不能审批自己的申请：须由另一名数据局工作人员审批。"
    english = client.post(
        f"/api/v1/approvals/{asked['id']}/approve",
        json={},
        headers={**token, "Accept-Language": "en"},
    )
    assert _problem(english, 403, "second_approver_required")["detail"] == (
        "You cannot approve your own request: another member of the bureau must."
    )
    _problem(
        client.post(
            f"/api/v1/approvals/{asked['id']}/reject", json={"note": "撤回"}, headers=token
        ),
        403,
        "second_approver_required",
    )
    # Asking again while one request waits is refused too: no pile of requests to approve.
    again = client.post(f"/api/v1/authorizations/{agreement}/terminate", json=REASON, headers=token)
    assert (
        "已有一项“终止授权运营协议”申请在等待审批"
        in _problem(again, 409, "approval_pending")["detail"]
    )
    # Another operator, a provider: the approvals are not theirs to see or decide.
    _problem(
        client.post(f"/api/v1/approvals/{asked['id']}/approve", json={}, headers=operator),
        403,
        "permission_denied",
    )
    _untouched(database, settings, agreement)
    listed = client.get("/api/v1/approvals?status=pending", headers=token).json()
    assert [r["id"] for r in listed["items"]] == [asked["id"]]


def test_a_second_bureau_users_approval_terminates_and_destroys_the_data(
    client: TestClient, database: Database, settings: Settings, world: World, agreement: uuid.UUID
) -> None:
    asked = _ask(client, world, agreement)
    approved = client.post(
        f"/api/v1/approvals/{asked['id']}/approve",
        json={"note": "经核实，同意终止"},
        headers=bearer(client, world.colleague),
    )
    assert approved.status_code == 200, approved.text
    body = approved.json()
    assert (body["status"], body["decided_by"], body["decided_via"]) == (
        "approved",
        world.colleague.username,
        "approver",
    )
    assert body["carried_out_at"] == "2026-11-26T02:00:00Z"
    assert _status(database, agreement) == "terminated"
    with pytest.raises(KeyDestroyed):  # destruction happens as before, after the commit
        derived.read(settings, agreement, "scores.parquet")
    with database.unit_of_work() as session:
        found = repository.authorization(session, agreement)
        assert found is not None and found.end_reason == REASON["reason"]
        assert repository.certificate(session, agreement) is not None
        ended = session.scalars(
            select(AuditEvent).where(AuditEvent.action == "authorization.terminate")
        ).one()
        # The auditor reads both people on the act itself.
        assert ended.actor_username == world.colleague.username
        assert ended.detail["approval"]["requested_by"] == world.bureau.username
        assert ended.detail["approval"]["approved_by"] == world.colleague.username
        actions = [
            e.action
            for e in session.scalars(select(AuditEvent).order_by(AuditEvent.id))
            if e.action.startswith(("approval.", "authorization.terminate"))
        ]
    assert actions == ["approval.requested", "approval.approve", "authorization.terminate"]
    # Done is done: it cannot be approved twice.
    twice = client.post(
        f"/api/v1/approvals/{asked['id']}/approve", json={}, headers=bearer(client, world.colleague)
    )
    _problem(twice, 409, "invalid_transition")


def test_a_rejected_request_leaves_everything_as_it_was(
    client: TestClient, database: Database, settings: Settings, world: World, agreement: uuid.UUID
) -> None:
    asked = _ask(client, world, agreement)
    second = bearer(client, world.colleague)
    no_note = client.post(f"/api/v1/approvals/{asked['id']}/reject", json={}, headers=second)
    _problem(no_note, 422, "invalid_input")
    rejected = client.post(
        f"/api/v1/approvals/{asked['id']}/reject",
        json={"note": "证据不足，暂不终止"},
        headers=second,
    )
    assert rejected.status_code == 200, rejected.text
    assert (rejected.json()["status"], rejected.json()["decision_note"]) == (
        "rejected",
        "证据不足，暂不终止",
    )
    _untouched(database, settings, agreement)
    late = client.post(f"/api/v1/approvals/{asked['id']}/approve", json={}, headers=second)
    _problem(late, 409, "invalid_transition")
    _untouched(database, settings, agreement)
    # A new request may be made; the old one does not count for it.
    assert _ask(client, world, agreement)["id"] != asked["id"]


def test_a_request_nobody_approves_in_time_lapses_and_changes_nothing(
    client: TestClient,
    database: Database,
    clock: FixedClock,
    settings: Settings,
    world: World,
    agreement: uuid.UUID,
) -> None:
    asked = _ask(client, world, agreement)
    clock.advance(timedelta(hours=settings.approval_hours))
    late = client.post(
        f"/api/v1/approvals/{asked['id']}/approve", json={}, headers=bearer(client, world.colleague)
    )
    assert "超时失效" in _problem(late, 409, "approval_lapsed")["detail"]
    read = client.get(f"/api/v1/approvals/{asked['id']}", headers=bearer(client, world.bureau))
    assert read.json()["status"] == "lapsed"  # kept although the approval was refused
    _untouched(database, settings, agreement)

    # The daily sweep lapses what nobody looked at.
    other = _ask(client, world, agreement)
    clock.advance(timedelta(hours=settings.approval_hours, seconds=1))
    with database.unit_of_work() as session:
        report = sweep(session, settings=settings, at=clock.now())
    assert report.approvals_lapsed == [other["id"]]
    assert report.expired == []
    _untouched(database, settings, agreement)


def test_a_collective_decision_counts_only_when_someone_else_recorded_it(
    client: TestClient,
    database: Database,
    clock: FixedClock,
    settings: Settings,
    world: World,
    agreement: uuid.UUID,
) -> None:
    minutes = {
        "act": "authorization.terminate",
        "target_id": str(agreement),
        "meeting": "2026年第15次局务会",
        "held_on": "2026-11-25",
        "participants": ["王建国", "李敏", "赵丽"],
        "outcome": "approved",
        "summary": "同意终止营数授〔2026〕1号。",
    }
    token = bearer(client, world.bureau)
    own = client.post("/api/v1/decisions", json=minutes, headers=token)
    assert own.status_code == 201, own.text
    assert own.json()["approval"] is None
    # The same user records the decision and then cites it: still one person.
    asked = _ask(client, world, agreement, decision_id=own.json()["decision_id"])
    assert asked["decision_id"] == own.json()["decision_id"]
    _untouched(database, settings, agreement)
    # Recording another decision themselves on the waiting request is still one person.
    again = client.post("/api/v1/decisions", json=minutes, headers=token)
    assert again.json()["approval"]["status"] == "pending"
    _untouched(database, settings, agreement)

    # The same minutes recorded by a second bureau user are the second person: carried out.
    second = client.post("/api/v1/decisions", json=minutes, headers=bearer(client, world.colleague))
    assert second.status_code == 201, second.text
    approval = second.json()["approval"]
    assert (approval["id"], approval["status"], approval["decided_via"]) == (
        asked["id"],
        "approved",
        "collective_decision",
    )
    assert _status(database, agreement) == "terminated"


def test_citing_a_decision_someone_else_recorded_carries_the_act_out_at_once(
    client: TestClient,
    database: Database,
    clock: FixedClock,
    settings: Settings,
    world: World,
    agreement: uuid.UUID,
) -> None:
    recorded = client.post(
        "/api/v1/decisions",
        json={
            "act": "authorization.terminate",
            "target_id": str(agreement),
            "meeting": "2026年第15次局务会",
            "held_on": "2026-11-25",
            "participants": ["王建国", "李敏", "赵丽"],
            "outcome": "approved",
        },
        headers=bearer(client, world.colleague),
    ).json()
    # A decision about something else, or one that did not approve, is no ground.
    for decision_id, code in ((uuid.uuid4(), "invalid_input"),):
        wrong = client.post(
            f"/api/v1/authorizations/{agreement}/terminate",
            json={**REASON, "decision_id": str(decision_id)},
            headers=bearer(client, world.bureau),
        )
        _problem(wrong, 422, code)
    done = client.post(
        f"/api/v1/authorizations/{agreement}/terminate",
        json={**REASON, "decision_id": recorded["decision_id"]},
        headers=bearer(client, world.bureau),
    )
    assert done.status_code == 200, done.text
    assert (done.json()["status"], done.json()["decided_by"]) == (
        "approved",
        world.colleague.username,
    )
    assert _status(database, agreement) == "terminated"


def test_a_failed_rectification_forces_the_exit_only_on_a_second_approval(
    client: TestClient,
    database: Database,
    clock: FixedClock,
    settings: Settings,
    world: World,
    agreement: uuid.UUID,
) -> None:
    token = bearer(client, world.bureau)
    order = client.post(
        f"/api/v1/authorizations/{agreement}/rectifications",
        json={"grounds": "breach", "description": "未按约定披露收费标准", "deadline": "2026-12-20"},
        headers=token,
    ).json()
    reported = client.post(
        f"/api/v1/rectifications/{order['id']}/report",
        json={"report": "已在门户公开收费标准。"},
        headers=bearer(client, world.operator),
    )
    assert reported.status_code == 200, reported.text
    failed = client.post(
        f"/api/v1/rectifications/{order['id']}/check",
        json={"passed": False, "note": "公开内容不完整"},
        headers=token,
    )
    assert failed.status_code == 202, failed.text
    assert failed.json()["status"] == "reported"  # not failed yet
    approval = failed.json()["approval"]
    assert approval["act"] == "exit.force"
    _untouched(database, settings, agreement)
    # While the failure waits, nobody quietly passes it instead.
    passing = client.post(
        f"/api/v1/rectifications/{order['id']}/check",
        json={"passed": True, "note": "合格"},
        headers=bearer(client, world.colleague),
    )
    _problem(passing, 409, "approval_pending")
    _problem(
        client.post(f"/api/v1/approvals/{approval['id']}/approve", json={}, headers=token),
        403,
        "second_approver_required",
    )
    approved = client.post(
        f"/api/v1/approvals/{approval['id']}/approve",
        json={},
        headers=bearer(client, world.colleague),
    )
    assert approved.status_code == 200, approved.text
    assert _status(database, agreement) == "terminated"
    with database.unit_of_work() as session:
        [forced] = repository.exits(session, agreement)
        assert (forced.kind, forced.requested_by, forced.decided_by) == (
            "forced",
            world.bureau.username,
            world.colleague.username,
        )
        [failed_order] = repository.rectifications(session, agreement)
        assert (failed_order.status, failed_order.check_note) == ("failed", "公开内容不完整")
    with pytest.raises(KeyDestroyed):
        derived.read(settings, agreement, "scores.parquet")


def test_a_rejected_failure_leaves_the_order_to_be_checked_again(
    client: TestClient,
    database: Database,
    clock: FixedClock,
    settings: Settings,
    world: World,
    agreement: uuid.UUID,
) -> None:
    token = bearer(client, world.bureau)
    order = client.post(
        f"/api/v1/authorizations/{agreement}/rectifications",
        json={"grounds": "breach", "description": "未披露", "deadline": "2026-12-20"},
        headers=token,
    ).json()
    client.post(
        f"/api/v1/rectifications/{order['id']}/report",
        json={"report": "已整改"},
        headers=bearer(client, world.operator),
    )
    failed = client.post(
        f"/api/v1/rectifications/{order['id']}/check",
        json={"passed": False, "note": "不到位"},
        headers=token,
    ).json()
    second = bearer(client, world.colleague)
    rejected = client.post(
        f"/api/v1/approvals/{failed['approval']['id']}/reject",
        json={"note": "报告已说明整改内容"},
        headers=second,
    )
    assert rejected.status_code == 200, rejected.text
    _untouched(database, settings, agreement)
    passed = client.post(
        f"/api/v1/rectifications/{order['id']}/check",
        json={"passed": True, "note": "合格"},
        headers=second,
    )
    assert passed.json() == {"id": order["id"], "status": "passed", "approval": None}


def test_withdrawing_a_batch_waits_for_a_second_bureau_user(
    client: TestClient, database: Database, clock: FixedClock, settings: Settings, world: World
) -> None:
    token = bearer(client, world.bureau)
    [batch] = client.get("/api/v1/catalog/batches", headers=token).json()
    assert batch["status"] == "published"
    url = f"/api/v1/catalog/batches/{batch['id']}/withdraw"
    _problem(client.post(url, json={}, headers=token), 422, "invalid_input")  # grounds needed
    asked = client.post(url, json={"reason": "目录整体调整"}, headers=token)
    assert asked.status_code == 202, asked.text
    assert asked.json()["act"] == "catalog_batch.withdraw"
    assert client.get("/api/v1/catalog").json()["total"] == 4  # still published, still found
    _problem(
        client.post(f"/api/v1/approvals/{asked.json()['id']}/approve", json={}, headers=token),
        403,
        "second_approver_required",
    )
    approved = client.post(
        f"/api/v1/approvals/{asked.json()['id']}/approve",
        json={},
        headers=bearer(client, world.colleague),
    )
    assert approved.status_code == 200, approved.text
    assert client.get("/api/v1/catalog").json()["total"] == 0
    [after] = client.get("/api/v1/catalog/batches", headers=token).json()
    assert after["status"] == "withdrawn"


def test_a_colleague_account_made_for_the_purpose_is_a_different_person(
    client: TestClient, database: Database, clock: FixedClock, settings: Settings, world: World
) -> None:
    """Two logins of one person are one person: a token and a console session of the same
    user are refused alike (the requester is compared by user, not by login)."""
    authorization_id = active_authorization(database, clock, settings, world)
    asked = _ask(client, world, authorization_id)
    first, again = bearer(client, world.bureau), bearer(client, world.bureau)
    assert first != again
    _problem(
        client.post(f"/api/v1/approvals/{asked['id']}/approve", json={}, headers=again),
        403,
        "second_approver_required",
    )
    third = colleague(database, clock, world.bureau, "赵丽")
    done = client.post(
        f"/api/v1/approvals/{asked['id']}/approve", json={}, headers=bearer(client, third)
    )
    assert done.status_code == 200, done.text
    assert date.fromisoformat(done.json()["decided_at"][:10]) == date(2026, 11, 26)
