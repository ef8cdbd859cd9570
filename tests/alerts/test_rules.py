"""Each rule over the records, with a fixed clock, on SQLite and PostgreSQL (the rules are
set-based SQL): exact observed values against the thresholds, warnings that contain nothing,
a critical sandbox rule that suspends the workspace until the bureau lifts it, and windows
that raise one alert per rule, subject and window."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from sluice.alerts import rules, service
from sluice.alerts.models import Alert
from sluice.audit import service as audit
from sluice.core.clock import FixedClock
from sluice.core.principal import Principal
from sluice.demo.city import credit_code
from sluice.sandbox import queries, workspaces
from sluice.sandbox.models import Workspace
from tests.alerts.test_containment import evaluate, settings_with
from tests.gateway.test_calls import invoke, refused
from tests.gateway.world import PLANNING, GatewayWorld
from tests.identity.factories import bearer
from tests.sandbox.world import SHANGHAI, START

SATURDAY_NIGHT = datetime(2026, 11, 28, 23, 0, tzinfo=SHANGHAI)


def findings(evaluation: service.Evaluation, rule: str, subject: object) -> list[Alert]:
    return [a for a in evaluation.raised if a.rule == rule and a.subject_id == subject]


def test_a_night_of_refused_calls_on_a_rest_day_warns_three_ways_and_contains_nothing(
    world: GatewayWorld, client: TestClient, clock: FixedClock
) -> None:
    clock.advance(SATURDAY_NIGHT - clock.now())
    buyer = world.buyer(world.verify.code, world.stats.code)
    for n in range(4):
        clock.advance(timedelta(seconds=1))
        uscc = credit_code(f"91210800{50000000 + n:08d}")
        refused(invoke(client, buyer, world.verify.code, uscc=uscc), 403, "consent_required")
    clock.advance(timedelta(seconds=1))
    assert invoke(client, buyer, world.stats.code, uscc=None, purpose=PLANNING).status_code == 200
    settings = settings_with(
        world,
        refusal_ratio={"min_events": 5, "threshold": 0.8},
        off_hours={"threshold": 5},
        rate_spike={"min_events": 5, "threshold": 5},
        enumeration={"threshold": 100},
    )
    evaluation = evaluate(world, settings, clock)
    seen = sorted(
        (a.rule, a.severity, a.observed, a.threshold, a.containment)
        for a in evaluation.raised
        if a.subject_id == buyer.key_id
    )
    assert seen == [
        ("off_hours", "info", 5, 5, None),
        ("rate_spike", "warning", 5, 5, None),
        ("refusal_ratio", "warning", 0.8, 0.8, None),
    ]
    [ratio] = findings(evaluation, "refusal_ratio", buyer.key_id)
    assert ratio.detail == {"calls": 5, "refused": 4}
    [spike] = findings(evaluation, "rate_spike", buyer.key_id)
    assert spike.detail == {"events": 5, "baseline_mean": 0.0, "baseline_windows": 24}
    # Warnings contain nothing: the key still answers.
    assert invoke(client, buyer, world.stats.code, uscc=None, purpose=PLANNING).status_code == 200

    # One more call next hour: a new window, but under every threshold; and the same
    # calls by day on a working day are not off hours.
    clock.advance(timedelta(hours=1))
    assert findings(evaluate(world, settings, clock), "off_hours", buyer.key_id) == []
    weekday = world.buyer(world.stats.code)
    clock.advance(START + timedelta(days=6) - clock.now())  # Wednesday 2 December, 10:00
    for _ in range(5):
        clock.advance(timedelta(seconds=1))
        invoke(client, weekday, world.stats.code, uscc=None, purpose=PLANNING)
    assert findings(evaluate(world, settings, clock), "off_hours", weekday.key_id) == []


def test_off_hours_spans_follow_the_statutory_calendar() -> None:
    hours = (8, 20)
    day = rules.Window(
        datetime(2026, 12, 1, 0, 0, tzinfo=SHANGHAI), datetime(2026, 12, 2, 0, 0, tzinfo=SHANGHAI)
    )
    assert [
        (s.start.astimezone(SHANGHAI).hour, s.end.astimezone(SHANGHAI).hour)
        for s in rules.off_hours_spans(day, hours)
    ] == [(0, 8), (20, 0)]
    national_day = rules.Window(
        datetime(2026, 10, 1, 9, 0, tzinfo=SHANGHAI), datetime(2026, 10, 1, 10, 0, tzinfo=SHANGHAI)
    )
    assert rules.off_hours_spans(national_day, hours) == [national_day]
    window = rules.window_at(datetime(2026, 12, 1, 0, 30, tzinfo=SHANGHAI), 1440)
    assert window.start == datetime(2026, 12, 1, 0, 0, tzinfo=SHANGHAI)


def test_refused_sandbox_queries_suspend_the_workspace_until_the_bureau_lifts_it(
    world: GatewayWorld, client: TestClient, clock: FixedClock
) -> None:
    city = world.city
    clock.advance(START + timedelta(days=2) - clock.now())  # Saturday 28 November, 10:00
    agreement = city.agreement()
    operator = city.operator()
    with world.database.unit_of_work() as session:
        workspaces.workspace_rows(session, actor=operator, at=clock.now())
        workspace_id = session.scalars(
            select(Workspace.id).where(Workspace.owner_id == agreement)
        ).one()

    def run(sql: str) -> None:
        with world.database.unit_of_work() as session:
            queries.run(
                session,
                actor=operator,
                settings=world.settings,
                at=clock.now(),
                workspace_id=workspace_id,
                sql=sql,
            )

    for _ in range(3):
        clock.advance(timedelta(seconds=1))
        with pytest.raises(Exception, match="column_not_allowed"):
            run("SELECT uscc_token, district FROM scjgj_enterprises")
    settings = settings_with(world, refused_queries={"threshold": 3, "severity": "critical"})
    evaluation = evaluate(world, settings, clock)
    [alert] = findings(evaluation, "refused_queries", workspace_id)
    assert (alert.observed, alert.containment, alert.detail) == (
        3,
        "workspace_suspended",
        {"refused": 3, "codes": 1},
    )
    with pytest.raises(workspaces.WorkspaceSuspended):
        run("SELECT count(*) AS firms FROM scjgj_enterprises")

    bureau = bearer(client, city.world.bureau)
    url = f"/api/v1/alerts/{alert.id}"
    operator_token = bearer(client, city.world.operator)
    assert (
        client.post(f"{url}/lift", json={"reason": "自行解除"}, headers=operator_token).status_code
        == 403
    )
    acknowledged = client.post(f"{url}/acknowledge", json={"reason": "正在核查"}, headers=bureau)
    assert acknowledged.json()["status"] == "acknowledged"
    refused(
        client.post(f"{url}/acknowledge", json={"reason": "再次"}, headers=bureau),
        409,
        "invalid_transition",
    )
    lifted = client.post(f"{url}/lift", json={"reason": "系操作员误写，已培训"}, headers=bureau)
    assert lifted.status_code == 200, lifted.text
    run("SELECT count(*) AS firms FROM scjgj_enterprises")  # answers again
    dismissed = client.post(f"{url}/dismiss", json={"reason": "非恶意"}, headers=bureau)
    assert (dismissed.json()["status"], dismissed.json()["handled_reason"]) == (
        "dismissed",
        "非恶意",
    )


def test_a_key_acting_from_an_address_it_never_used_is_flagged_once(
    world: GatewayWorld, clock: FixedClock
) -> None:
    clock.advance(START + timedelta(days=3) - clock.now())  # Sunday 29 November, 10:00
    moved, fresh = world.buyer(), world.buyer()

    def act(key: object, address: str, at: datetime) -> None:
        actor = Principal(
            username="apikey",
            via="api_key",
            organization_id=None,
            api_key_id=key,  # type: ignore[arg-type]
            client_address=address,
        )
        with world.database.unit_of_work() as session:
            audit.record(
                session,
                actor=actor,
                action="alert.raised",
                target_type="alert",
                target_id="probe",
                at=at,
            )

    act(moved.key_id, "10.0.0.1", clock.now() - timedelta(hours=5))
    act(moved.key_id, "10.0.0.1", clock.now())
    act(moved.key_id, "203.0.113.9", clock.now())
    act(moved.key_id, "203.0.113.9", clock.now() + timedelta(seconds=1))
    act(fresh.key_id, "198.51.100.7", clock.now())  # no earlier address: new, not moved
    evaluation = evaluate(world, settings_with(world), clock)
    [alert] = findings(evaluation, "new_address", moved.key_id)
    assert (alert.observed, alert.detail) == (1, {"address": "203.0.113.9"})
    assert findings(evaluation, "new_address", fresh.key_id) == []
    again = evaluate(world, settings_with(world), clock)
    assert findings(again, "new_address", moved.key_id) == []
