"""A provider sees how its data is used (R9.3), read from the audit log's resource index:
exact counts per resource, organization, kind and day, and nothing of another provider's."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import timedelta

import pytest
from fastapi.testclient import TestClient

from sluice.audit import service as audit
from sluice.catalog import service as catalog
from sluice.core.clock import FixedClock
from sluice.core.database import Database
from sluice.core.permissions import OrgKind, Role
from sluice.core.principal import Principal
from sluice.usage import service as usage
from tests.catalog.factories import provider_principal, resource_data
from tests.identity.factories import Account, bearer, make_account, make_org


@dataclass(frozen=True)
class City:
    a: Account
    b: Account
    a1: uuid.UUID
    a2: uuid.UUID
    b1: uuid.UUID
    operator: uuid.UUID
    buyer: uuid.UUID
    product: uuid.UUID


def _resource(
    database: Database, clock: FixedClock, provider: Account, code: str, name: str
) -> uuid.UUID:
    assert provider.organization_id is not None
    with database.unit_of_work() as session:
        actor = provider_principal(provider.organization_id)
        return catalog.register_resource(
            session, actor=actor, clock=clock, data=resource_data(code, name)
        ).id


@pytest.fixture
def city(database: Database, clock: FixedClock) -> City:
    a = make_account(database, clock, Role.PROVIDER, "gaj-usage")
    b = make_account(database, clock, Role.PROVIDER, "mzj-usage")
    a1 = _resource(database, clock, a, "rk_base", "人口基础信息")
    a2 = _resource(database, clock, a, "hj_moves", "户籍迁移记录")
    b1 = _resource(database, clock, b, "mz_relief", "低保救助名单")
    with database.unit_of_work() as session:
        operator = make_org(session, clock, OrgKind.OPERATOR)
        buyer = make_org(session, clock, OrgKind.BUYER)
    product = uuid.uuid4()
    now = clock.now()
    operator_actor = Principal(username="op", via="session", organization_id=operator)
    buyer_actor = Principal(username="apikey", via="api_key", organization_id=buyer)
    uses: list[tuple[Principal, str, timedelta, list[uuid.UUID], str, dict[str, object]]] = [
        (operator_actor, "guard.sandbox_query", timedelta(days=1), [a1], "ok", {}),
        (operator_actor, "guard.sandbox_query", timedelta(days=1), [a1, a2], "refused", {}),
        (
            buyer_actor,
            "guard.decision",
            timedelta(hours=1),
            [a2, b1],
            "ok",
            {"use": "product_call", "product_id": str(product)},
        ),
        (buyer_actor, "guard.decision", timedelta(hours=2), [b1], "ok", {"use": "product_call"}),
        (operator_actor, "guard.sandbox_query", timedelta(days=40), [a1], "ok", {}),
        (operator_actor, "guard.sandbox_query", timedelta(hours=3), [], "ok", {}),
    ]
    with database.unit_of_work() as session:
        for actor, action, ago, resources, outcome, detail in uses:
            audit.record(
                session,
                actor=actor,
                action=action,
                target_type="authorization",
                target_id=uuid.uuid4(),
                at=now - ago,
                outcome="ok" if outcome == "ok" else "refused",
                detail=detail,
                reason=None if outcome == "ok" else "out_of_scope",
                resources=resources,
            )
    return City(a, b, a1, a2, b1, operator, buyer, product)


def _principal(account: Account) -> Principal:
    return Principal(
        username=account.username,
        via="session",
        user_id=account.user_id,
        organization_id=account.organization_id,
        organization_kind=OrgKind.PROVIDER,
        roles=frozenset({Role.PROVIDER}),
    )


def test_a_provider_counts_exactly_the_uses_of_its_own_resources(
    database: Database, clock: FixedClock, city: City
) -> None:
    with database.unit_of_work() as session:
        seen = usage.provider_usage(session, actor=_principal(city.a), at=clock.now(), days=30)
        assert (seen.uses, seen.refused) == (3, 1)
        assert {r.code: (r.uses, r.refused) for r in seen.resources} == {
            "rk_base": (2, 1),
            "hj_moves": (2, 1),
        }
        assert {o.id: (o.uses, o.refused) for o in seen.organizations} == {
            city.operator: (2, 1),
            city.buyer: (1, 0),
        }
        yesterday = seen.day_labels.index(seen.last - timedelta(days=1))
        assert seen.volumes["sandbox_query"][yesterday] == 2
        assert seen.volumes["product_call"][-1] == 1
        assert sum(map(sum, seen.volumes.values())) == 3
        # The newest use read B's resource too: A sees only its own in it.
        assert seen.recent[0].resource_ids == (city.a2,)
        assert [u.reason for u in seen.recent if u.outcome != "ok"] == ["out_of_scope"]
        longer = usage.provider_usage(session, actor=_principal(city.a), at=clock.now(), days=90)
        assert longer.uses == 4
        one = usage.provider_usage(
            session, actor=_principal(city.a), at=clock.now(), days=30, resource_id=city.a2
        )
        assert (one.uses, one.refused) == (2, 1)
        assert [r.code for r in one.resources] == ["hj_moves"]
        other = usage.provider_usage(session, actor=_principal(city.b), at=clock.now(), days=30)
        assert (other.uses, other.refused) == (2, 0)
        assert [r.code for r in other.resources] == ["mz_relief"]
        assert {o.id for o in other.organizations} == {city.buyer}


def test_the_page_shows_the_provider_its_uses_and_another_provider_s_resource_is_404(
    client: TestClient, city: City
) -> None:
    headers = bearer(client, city.a)
    page = client.get("/console/usage", headers=headers)
    assert page.status_code == 200
    assert 'data-testid="usage-uses">3<' in page.text
    assert 'data-testid="usage-refused" class="warn">1<' in page.text
    assert "人口基础信息" in page.text and "户籍迁移记录" in page.text
    assert "低保救助名单" not in page.text and str(city.b1) not in page.text
    assert 'data-testid="usage-chart"' in page.text
    for wrong in (str(city.b1), str(uuid.uuid4()), "not-an-id"):
        refused = client.get(f"/console/usage?resource={wrong}", headers=headers)
        assert refused.status_code == 404, wrong
        assert "低保救助名单" not in refused.text
    own = client.get(f"/console/usage?resource={city.a1}&days=90", headers=headers)
    assert own.status_code == 200
    assert 'data-testid="usage-uses">3<' in own.text  # two in 30 days, one 40 days ago
    home = client.get("/console", headers=headers)
    assert 'href="/console/usage"' in home.text
    resource_page = client.get(f"/console/resources/{city.a1}", headers=headers)
    assert "近 30 天有 2 次使用记录。" in resource_page.text
    assert f'href="/console/usage?resource={city.a1}"' in resource_page.text
