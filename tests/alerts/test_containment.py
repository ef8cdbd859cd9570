"""Done when: an enumerating buyer key is suspended automatically. Through HTTP on SQLite
and PostgreSQL: a buyer's key asks a verification product about many distinct enterprises,
the rules are evaluated (as the schedule or ``sluice alerts evaluate`` would), one critical
``enumeration`` alert is raised and the key is suspended by the monitoring, so its next call
is refused ``key_suspended``; the buyer and an operator cannot lift it, the bureau can, from
the alert, with a reason; evaluating again in the same window raises nothing new."""

from __future__ import annotations

import copy
from datetime import timedelta
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import select

from sluice.alerts import service
from sluice.audit.models import AuditEvent
from sluice.core.clock import FixedClock
from sluice.core.settings import Settings
from sluice.demo.city import credit_code
from tests.gateway.test_calls import invoke, refused
from tests.gateway.world import GatewayWorld
from tests.identity.factories import bearer

SUBJECTS = 7


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
    code = world.verify.code
    # Distinct enterprises, none of which consented: each call is refused consent_missing,
    # but the subject it named is on record all the same.
    for n in range(SUBJECTS):
        clock.advance(timedelta(seconds=1))
        uscc = credit_code(f"91210800{70000000 + n:08d}")
        assert invoke(client, buyer, code, uscc=uscc).status_code == 403
    for n in range(SUBJECTS - 1):  # one short of the threshold
        clock.advance(timedelta(seconds=1))
        uscc = credit_code(f"91210800{60000000 + n:08d}")
        assert invoke(client, bystander, code, uscc=uscc).status_code == 403

    evaluation = evaluate(world, settings, clock)
    enumerations = [a for a in evaluation.raised if a.rule == "enumeration"]
    assert [
        (a.subject_id, a.severity, a.observed, a.threshold, a.containment) for a in enumerations
    ] == [(buyer.key_id, "critical", SUBJECTS, SUBJECTS, "key_suspended")]
    alert = enumerations[0]
    assert alert.organization_id == buyer.organization_id
    assert alert.detail == {"calls": SUBJECTS}

    # The key's next call is refused, naming the rule; the bystander's is not.
    problem = refused(invoke(client, buyer, code), 403, "key_suspended")
    assert "enumeration" in problem["detail"]
    seen = credit_code(f"91210800{60000000:08d}")  # a subject it already asked about
    assert invoke(client, bystander, code, uscc=seen).json()["code"] == "consent_required"
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
    refused(invoke(client, buyer, code), 403, "key_suspended")

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
    answer = invoke(client, buyer, code)
    assert answer.json()["code"] == "consent_required"
    # Lifted once; a second time there is nothing to lift.
    refused(client.post(f"{url}/lift", json=reason, headers=bureau), 409, "conflict")
