"""Workspaces (R8.2): one per agreement's renewal chain, with one view per resource in scope
as the API shows it; another operator's is not there at all; opened once when the
agreement took effect, closed when it ends (through the endings hook, or on the next read
when no hook saw the ending), and kept by a renewal.

The tests share one city per database and run in order: the last one moves three years on."""

from __future__ import annotations

import uuid
from datetime import date, timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from sluice.audit.models import AuditEvent
from sluice.authorizations import endings
from sluice.authorizations import repository as authorizations
from sluice.authorizations import service as authorization_service
from sluice.authorizations.sweep import sweep
from sluice.core.clock import FixedClock
from sluice.sandbox import queries, workspaces
from tests.authorizations.factories import decision, terminate_by_two
from tests.identity.factories import bearer
from tests.sandbox.world import SandboxWorld

ENTERPRISE_COLUMNS = [
    {"name": "uscc_token", "type": "VARCHAR", "class": "identifier", "form": "token",
     "source_field": "uscc"},
    {"name": "uscc_masked", "type": "VARCHAR", "class": "identifier", "form": "masked",
     "source_field": "uscc"},
    {"name": "name", "type": "VARCHAR", "class": "public", "form": "value", "source_field": "name"},
    {"name": "district", "type": "VARCHAR", "class": "public", "form": "value",
     "source_field": "district"},
    {"name": "registered_capital_fen", "type": "BIGINT", "class": "sensitive", "form": "value",
     "source_field": "registered_capital_fen"},
    {"name": "established_on", "type": "DATE", "class": "public", "form": "value",
     "source_field": "established_on"},
]  # fmt: skip
RATING_COLUMNS = [
    {"name": "uscc_token", "type": "VARCHAR", "class": "identifier", "form": "token",
     "source_field": "uscc"},
    {"name": "uscc_masked", "type": "VARCHAR", "class": "identifier", "form": "masked",
     "source_field": "uscc"},
    {"name": "rating_year", "type": "BIGINT", "class": "public", "form": "value",
     "source_field": "rating_year"},
    {"name": "rating", "type": "VARCHAR", "class": "public", "form": "value",
     "source_field": "rating"},
]  # fmt: skip


def _by_scenario(client: TestClient, headers: dict[str, str]) -> dict[str, dict]:
    listed = client.get("/api/v1/workspaces", headers=headers)
    assert listed.status_code == 200, listed.text
    return {w["scenario"]: w for w in listed.json()}


def test_a_workspace_shows_one_view_per_resource_in_scope_with_its_columns(
    city: SandboxWorld, client: TestClient
) -> None:
    operator = bearer(client, city.world.operator)
    finance = _by_scenario(client, operator)["普惠金融"]
    assert finance["authorization_id"] == str(city.finance)
    assert finance["status"] == "open"
    assert finance["views"] == [
        {
            "name": "scjgj_enterprises",
            "resource_id": str(city.enterprises),
            "version": 1,
            "rows": 12,
            "columns": ENTERPRISE_COLUMNS,
        },
        {
            "name": "swj_tax_ratings",
            "resource_id": str(city.ratings),
            "version": 1,
            "rows": 9,
            "columns": RATING_COLUMNS,
        },
    ]
    one = client.get(f"/api/v1/workspaces/{finance['id']}", headers=operator)
    assert one.status_code == 200 and one.json() == finance

    other = bearer(client, city.world.other_operator)
    jobs = _by_scenario(client, other)["就业服务"]
    assert [v["name"] for v in jobs["views"]] == ["scjgj_enterprises"]


def test_another_operators_workspace_does_not_exist_for_it(
    city: SandboxWorld, client: TestClient
) -> None:
    operator = bearer(client, city.world.operator)
    finance = _by_scenario(client, operator)["普惠金融"]["id"]
    other = bearer(client, city.world.other_operator)
    assert set(_by_scenario(client, other)) == {"就业服务"}
    for response in (
        client.get(f"/api/v1/workspaces/{finance}", headers=other),
        client.post(
            f"/api/v1/workspaces/{finance}/queries",
            json={"sql": "SELECT count(*) FROM scjgj_enterprises"},
            headers=other,
        ),
        client.get(f"/console/workspaces/{finance}", headers=other),
    ):
        assert response.status_code == 404, response.text
    missing = client.get(f"/api/v1/workspaces/{uuid.uuid4()}", headers=operator)
    assert missing.status_code == 404

    # The bureau reads every workspace's views, and runs nothing.
    bureau = bearer(client, city.world.bureau)
    assert {"普惠金融", "就业服务"} <= set(_by_scenario(client, bureau))
    read = client.get(f"/api/v1/workspaces/{finance}", headers=bureau)
    assert read.status_code == 200
    assert [v["name"] for v in read.json()["views"]] == ["scjgj_enterprises", "swj_tax_ratings"]
    ran = client.post(
        f"/api/v1/workspaces/{finance}/queries",
        json={"sql": "SELECT count(*) FROM scjgj_enterprises"},
        headers=bureau,
    )
    assert ran.status_code == 403 and ran.json()["code"] == "permission_denied"


def _events(city: SandboxWorld, action: str, target: uuid.UUID) -> list[AuditEvent]:
    with city.database.unit_of_work() as session:
        return list(
            session.scalars(
                select(AuditEvent).where(
                    AuditEvent.action == action, AuditEvent.target_id == str(target)
                )
            )
        )


def _workspace_of(city: SandboxWorld, agreement: uuid.UUID) -> workspaces.WorkspaceRow:
    with city.database.unit_of_work() as session:
        rows = workspaces.workspace_rows(session, actor=city.operator(), at=city.clock().now())
        found = [r for r in rows if r.workspace.owner_id == agreement]
        assert len(found) == 1
        return found[0]


def test_a_workspace_opens_once_when_its_agreement_took_effect_and_closes_when_it_ends(
    city: SandboxWorld,
) -> None:
    agreement = city.agreement()
    row = _workspace_of(city, agreement)
    again = _workspace_of(city, agreement)
    workspace = row.workspace
    assert again.workspace.id == workspace.id
    with city.database.unit_of_work() as session:
        signed = authorizations.authorization(session, agreement)
        assert signed is not None
    assert (workspace.status, workspace.opened_at) == ("open", signed.activated_at)
    assert len(_events(city, "workspace.opened", workspace.id)) == 1

    with city.database.unit_of_work() as session:
        terminate_by_two(
            session,
            city.world,
            clock=city.clock(),
            settings=city.settings,
            authorization_id=agreement,
            reason="严重违约",
        )
    closed = _workspace_of(city, agreement).workspace
    assert (closed.status, closed.closed_at) == ("closed", city.clock().now())
    [event] = _events(city, "workspace.close", workspace.id)
    # Closed in the ending itself, by whoever carried it out (the second bureau person).
    assert event.actor_username == city.world.colleague.username


def test_an_ending_no_hook_saw_closes_the_workspace_on_its_next_read(
    city: SandboxWorld, monkeypatch: pytest.MonkeyPatch
) -> None:
    agreement = city.agreement()
    opened = _workspace_of(city, agreement).workspace
    with monkeypatch.context() as without_sandbox:
        # As in a process that never loaded the sandbox (the command-line sweep).
        without_sandbox.setattr(endings, "_hooks", {})
        with city.database.unit_of_work() as session:
            terminate_by_two(
                session,
                city.world,
                clock=city.clock(),
                settings=city.settings,
                authorization_id=agreement,
                reason="违规",
            )
    row = _workspace_of(city, agreement)
    assert (row.workspace.id, row.workspace.status) == (opened.id, "closed")
    [event] = _events(city, "workspace.close", opened.id)
    assert event.actor_username == "sandbox"


def test_a_renewal_keeps_the_workspace_its_history_and_its_saved_queries(
    city: SandboxWorld,
) -> None:
    agreement = city.agreement()
    workspace = _workspace_of(city, agreement).workspace
    clock = FixedClock(city.clock().now())
    operator, bureau = city.operator(), city.world.bureau_principal()
    with city.database.unit_of_work() as session:
        queries.save(
            session,
            actor=operator,
            at=clock.now(),
            workspace_id=workspace.id,
            name="各区县企业数",
            sql="SELECT district, count(*) FROM scjgj_enterprises GROUP BY district",
        )
    clock.advance(timedelta(days=365 * 3 - 80))
    with city.database.unit_of_work() as session:
        sweep(session, settings=city.settings, at=clock.now())
    with city.database.unit_of_work() as session:
        successor = authorization_service.renew(
            session,
            actor=bureau,
            settings=city.settings,
            at=clock.now(),
            authorization_id=agreement,
            data=decision(held_on=clock.now().date()),
        ).id
        for actor in (bureau, operator):
            authorization_service.sign(
                session,
                actor=actor,
                settings=city.settings,
                at=clock.now(),
                authorization_id=successor,
            )
    clock.advance(date(2029, 11, 27) - clock.now().date())  # the renewal's second day
    with city.database.unit_of_work() as session:
        sweep(session, settings=city.settings, at=clock.now())
    with city.database.unit_of_work() as session:
        rows = workspaces.workspace_rows(session, actor=operator, at=clock.now())
        [kept] = [r.workspace for r in rows if r.workspace.owner_id == agreement]
        assert (kept.id, kept.status) == (workspace.id, "open")
        assert workspaces.agreement(session, kept, at=clock.now()).id == successor
        outcome = queries.run(
            session,
            actor=operator,
            settings=city.settings,
            at=clock.now(),
            workspace_id=kept.id,
            sql="SELECT count(*) AS firms FROM scjgj_enterprises",
        )
        assert outcome.result.rows == [[12]]
        assert outcome.query.authorization_id == successor
        saved = queries.saved(session, actor=operator, at=clock.now(), workspace_id=kept.id)
        assert [s.name for s in saved] == ["各区县企业数"]
