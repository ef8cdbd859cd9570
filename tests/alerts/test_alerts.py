"""Alerts on SQLite and PostgreSQL, through the services with a fixed clock and through HTTP,
on one gateway world per database (``conftest.py``), each test in a window of its own.

Done when: an enumerating buyer key is suspended automatically. A buyer's key asks a
verification product about many distinct enterprises, the rules are evaluated (as the
schedule or ``sluice alerts evaluate`` would), one critical ``enumeration`` alert is raised
and the key is suspended by the monitoring, so its next call is refused ``key_suspended``;
the buyer and an operator cannot lift it, the bureau can, from the alert, with a reason;
evaluating again in the same window raises nothing new.

The other rules with exact figures against their thresholds: warnings contain nothing, a
critical sandbox rule suspends the workspace until the bureau lifts it, a new client address
is flagged once."""

from __future__ import annotations

import copy
import uuid
from datetime import datetime, timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from sluice.alerts import rules, service
from sluice.alerts.models import Alert
from sluice.audit import service as audit
from sluice.audit.models import AuditEvent
from sluice.consent.models import ConsentUse
from sluice.core.clock import FixedClock
from sluice.core.errors import NotFound
from sluice.core.principal import Principal
from sluice.core.settings import Settings
from sluice.demo.city import credit_code
from sluice.gateway.models import Call
from sluice.identity import service as identity
from sluice.sandbox import queries, workspaces
from sluice.sandbox.export_models import ExportRequest
from sluice.sandbox.models import Workspace
from sluice.web.app import create_app
from tests.gateway.test_calls import invoke, refused
from tests.gateway.world import LOAN, PLANNING, Buyer, GatewayWorld
from tests.identity.factories import bearer, console_login
from tests.sandbox.world import SHANGHAI, START, USCC

SUBJECTS = 4


def verify(client: TestClient, world: GatewayWorld, buyer: Buyer, uscc: str = USCC[0]) -> Any:
    """Ask the world's verification product whether ``uscc`` sits in 站前区."""
    body = {"input": {"uscc": uscc, "district": "站前区"}, "purpose": LOAN}
    url = f"/gateway/v1/products/{world.verify.code}/invoke"
    return client.post(url, json=body, headers=buyer.headers)


def settings_with(world: GatewayWorld, **rules: dict[str, Any]) -> Settings:
    """The world's settings with these rules changed (the others as they are)."""
    merged = copy.deepcopy(world.settings.alert_rules)
    for name, changes in rules.items():
        merged[name].update(changes)
    return Settings(**{**world.settings.model_dump(), "alert_rules": merged})


def evaluate(world: GatewayWorld, settings: Settings, clock: FixedClock) -> service.Evaluation:
    with world.database.unit_of_work() as session:
        return service.evaluate(session, settings=settings, at=clock.now())


def test_an_enumerating_buyer_key_is_suspended_and_only_the_bureau_lifts_it(
    world: GatewayWorld, client: TestClient, clock: FixedClock
) -> None:
    settings = settings_with(world, enumeration={"threshold": SUBJECTS})
    buyer = world.buyer(world.verify.code)
    bystander = world.buyer(world.verify.code)
    # Distinct enterprises, none of which consented: each call is refused consent_required,
    # but the subject it named is on record all the same.
    for n in range(SUBJECTS):
        clock.advance(timedelta(seconds=1))
        uscc = credit_code(f"91210800{70000000 + n:08d}")
        assert verify(client, world, buyer, uscc).status_code == 403
    for n in range(SUBJECTS - 1):  # one short of the threshold
        clock.advance(timedelta(seconds=1))
        uscc = credit_code(f"91210800{60000000 + n:08d}")
        assert verify(client, world, bystander, uscc).status_code == 403

    evaluation = evaluate(world, settings, clock)
    enumerations = [a for a in evaluation.raised if a.rule == "enumeration"]
    assert [
        (a.subject_id, a.severity, a.observed, a.threshold, a.containment) for a in enumerations
    ] == [(buyer.key_id, "critical", SUBJECTS, SUBJECTS, "key_suspended")]
    alert = enumerations[0]
    assert alert.organization_id == buyer.organization_id
    assert alert.detail == {"calls": SUBJECTS}

    # The key's next call is refused, naming the rule; the bystander's is not.
    problem = refused(verify(client, world, buyer), 403, "key_suspended")
    assert "enumeration" in problem["detail"]
    seen = credit_code(f"91210800{60000000:08d}")  # a subject it already asked about
    assert verify(client, world, bystander, seen).json()["code"] == "consent_required"
    # Recorded as the monitoring's doing.
    with world.database.unit_of_work() as session:
        actions = session.execute(
            select(AuditEvent.action, AuditEvent.actor_username, AuditEvent.actor_via).where(
                AuditEvent.target_id.in_([str(alert.id), str(buyer.key_id)]),
                AuditEvent.actor_via == "system",
            )
        ).all()
    assert sorted(actions) == [
        ("alert.raised", "monitoring", "system"),
        ("identity.api_key.suspended", "monitoring", "system"),
    ]

    # Evaluated again in the same window: nothing new, the key stays suspended.
    clock.advance(timedelta(seconds=1))
    again = evaluate(world, settings, clock)
    assert [a for a in again.raised if a.rule == "enumeration"] == []

    url = f"/api/v1/alerts/{alert.id}"
    reason = {"reason": "已核实为测试流量"}
    buyer_token = bearer(client, buyer.account)
    assert client.post(f"{url}/lift", json=reason, headers=buyer_token).status_code == 403
    assert client.get(url, headers=buyer_token).status_code == 403
    operator = bearer(client, world.city.world.operator)
    assert client.post(f"{url}/lift", json=reason, headers=operator).status_code == 403
    refused(verify(client, world, buyer), 403, "key_suspended")

    bureau = bearer(client, world.city.world.bureau)
    listed = client.get(
        "/api/v1/alerts", params={"rule": "enumeration", "contained": "yes"}, headers=bureau
    ).json()
    assert [(i["id"], i["observed"]) for i in listed["items"]] == [(str(alert.id), SUBJECTS)]
    assert client.post(f"{url}/lift", json={"reason": "x"}, headers=bureau).status_code == 422
    lifted = client.post(f"{url}/lift", json=reason, headers=bureau)
    assert lifted.status_code == 200, lifted.text
    assert (lifted.json()["lifted_by"], lifted.json()["lift_reason"]) == (
        world.city.world.bureau.username,
        "已核实为测试流量",
    )
    answer = verify(client, world, buyer)
    assert answer.json()["code"] == "consent_required"
    # Lifted once; a second time there is nothing to lift.
    refused(client.post(f"{url}/lift", json=reason, headers=bureau), 409, "conflict")


def test_two_keys_of_one_buyer_calling_at_one_instant_are_told_apart(
    world: GatewayWorld, client: TestClient, clock: FixedClock
) -> None:
    """The enumeration rule counts the subjects of each key's own calls (joined by the
    call's id), even when a buyer's two keys call one product at the very same instant."""
    settings = settings_with(world, enumeration={"threshold": SUBJECTS})
    buyer = world.buyer(world.verify.code)
    with world.database.unit_of_work() as session:
        api_key, key = identity.create_api_key(
            session, actor=world.principal(buyer), clock=clock, name="second"
        )
    second = Buyer(buyer.account, key, api_key.id)
    clock.advance(timedelta(minutes=1))  # every call below at one instant
    for n in range(SUBJECTS):
        uscc = credit_code(f"91210800{50000000 + n:08d}")
        assert verify(client, world, buyer, uscc).status_code == 403
    assert verify(client, world, second, credit_code(f"91210800{50000000:08d}")).status_code == 403

    evaluation = evaluate(world, settings, clock)
    enumerations = [a for a in evaluation.raised if a.rule == "enumeration"]
    assert [(a.subject_id, a.observed) for a in enumerations] == [(buyer.key_id, SUBJECTS)]
    with world.database.unit_of_work() as session:
        linked = session.execute(
            select(func.count())
            .select_from(ConsentUse)
            .join(Call, Call.id == ConsentUse.call_id)
            .where(Call.api_key_id.in_([buyer.key_id, second.key_id]))
        ).scalar()
    assert linked == SUBJECTS + 1


@pytest.mark.rendering
def test_the_bureau_sees_the_alert_in_the_console_and_lifts_it_from_its_page(
    world: GatewayWorld, clock: FixedClock
) -> None:
    clock.advance(timedelta(days=4))  # a window of its own
    settings = settings_with(world, enumeration={"threshold": 2})
    buyer = world.buyer(world.verify.code)
    app = create_app(world.settings, database=world.database, clock=clock)
    with TestClient(app, base_url="http://127.0.0.1") as console:
        for n in range(2):
            clock.advance(timedelta(seconds=1))
            uscc = credit_code(f"91210800{40000000 + n:08d}")
            refused(verify(console, world, buyer, uscc), 403, "consent_required")
        [alert] = [
            a for a in evaluate(world, settings, clock).raised if a.subject_id == buyer.key_id
        ]
        csrf = console_login(console, world.city.world.bureau)
        home = console.get("/console")
        assert "/console/alerts?status=open&amp;severity=critical" in home.text
        listed = console.get(
            "/console/alerts",
            params={"rule": "enumeration", "q": alert.subject_label.split("…")[0]},
        )
        assert listed.status_code == 200
        rows = listed.text.count('data-alert="')
        assert rows == 1 and f'data-alert="{alert.id}"' in listed.text
        page = console.get(f"/console/alerts/{alert.id}")
        assert 'data-status="open"' in page.text and "已暂停 API 密钥" in page.text
        english = console.get(f"/console/alerts/{alert.id}", headers={"Accept-Language": "en"})
        assert "Enumeration of subjects" in english.text and "API key suspended" in english.text
        assert 'data-action="lift"' in page.text
        short = console.post(
            f"/console/alerts/{alert.id}/lift", data={"reason": "x", "csrf_token": csrf}
        )
        assert short.status_code == 422 and 'data-testid="refusal"' in short.text
        done = console.post(
            f"/console/alerts/{alert.id}/lift",
            data={"reason": "核实为压力测试", "csrf_token": csrf},
            follow_redirects=False,
        )
        assert done.status_code == 303
        after = console.get(done.headers["location"])
        assert "自动处置已解除" in after.text and 'data-action="lift"' not in after.text
        assert "恢复 API 密钥" in after.text  # the key's resumption on the alert's history
        assert verify(console, world, buyer).json()["code"] == "consent_required"


def test_an_incident_marks_its_alert_escalated_once(world: GatewayWorld, clock: FixedClock) -> None:
    clock.advance(timedelta(days=5))
    buyer = world.buyer()
    with world.database.unit_of_work() as session:
        alert = Alert(
            rule="refusal_ratio",
            severity="warning",
            subject_type="api_key",
            subject_id=buyer.key_id,
            subject_label="k",
            window_start=clock.now(),
            window_end=clock.now() + timedelta(hours=1),
            observed=0.9,
            threshold=0.5,
            detail={},
            status="open",
            raised_at=clock.now(),
            delivery_attempts=0,
        )
        session.add(alert)
    incident = uuid.uuid4()
    bureau = world.bureau()
    with world.database.unit_of_work() as session:
        marked = service.mark_escalated(
            session, actor=bureau, at=clock.now(), alert_id=alert.id, incident_id=incident
        )
        assert (marked.status, marked.incident_id) == ("escalated", incident)
    with world.database.unit_of_work() as session:  # the same incident again: unchanged
        service.mark_escalated(
            session, actor=bureau, at=clock.now(), alert_id=alert.id, incident_id=incident
        )
    with world.database.unit_of_work() as session:
        found = service.get_alert(session, actor=bureau, alert_id=alert.id)
        assert found.status == "escalated"
        with pytest.raises(NotFound):
            service.get_alert(session, actor=world.principal(buyer), alert_id=alert.id)


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
        refused(verify(client, world, buyer, uscc), 403, "consent_required")
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
    settings = settings_with(
        world,
        refused_queries={"threshold": 3, "severity": "critical"},
        rate_spike={"min_events": 3, "threshold": 3},
    )
    evaluation = evaluate(world, settings, clock)
    [spike] = findings(evaluation, "rate_spike", workspace_id)
    assert (spike.observed, spike.subject_type, spike.containment) == (3, "workspace", None)
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


def test_exports_from_one_workspace_in_a_day_are_counted_with_their_rows(
    world: GatewayWorld, clock: FixedClock
) -> None:
    # The world's dataset product comes from one approved export, requested at START.
    with world.database.unit_of_work() as session:
        [(workspace_id, rows)] = session.execute(
            select(ExportRequest.workspace_id, ExportRequest.rows)
        ).all()
    settings = settings_with(world, export_volume={"threshold": 1})
    evaluation = evaluate(world, settings, clock)
    [alert] = findings(evaluation, "export_volume", workspace_id)
    assert (alert.observed, alert.detail) == (1, {"exports": 1, "rows": rows})
    assert (alert.window_end - alert.window_start, alert.severity) == (timedelta(days=1), "warning")
    assert alert.window_start == datetime(2026, 11, 26, 0, 0, tzinfo=SHANGHAI)
