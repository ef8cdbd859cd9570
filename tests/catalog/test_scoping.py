"""Who sees which resource is decided in one place (``catalog.repository._visible``), and
every list and get-by-id of resources goes through it: a provider sees its own and nothing
of another's (404, the same answer as no resource at all), the bureau's side sees all; a
draft catalog entry exists for nobody outside the bureau's batch page."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

import pytest
from fastapi.testclient import TestClient

from sluice.catalog import repository, service
from sluice.catalog.schemas import BatchCreate
from sluice.core.clock import FixedClock
from sluice.core.database import Database
from sluice.core.errors import NotFound, PermissionDenied
from sluice.core.permissions import OrgKind, Role
from sluice.core.principal import Principal
from tests.catalog.factories import BUREAU, provider_principal, publish, resource_data
from tests.identity.factories import Account, bearer, make_account


@dataclass(frozen=True)
class Two:
    owner: Account
    other: Account
    mine: uuid.UUID  # the owner's published resource
    draft_entry: uuid.UUID  # an entry of the owner's still in a draft batch


@pytest.fixture
def two(database: Database, clock: FixedClock) -> Two:
    owner = make_account(database, clock, Role.PROVIDER)
    other = make_account(database, clock, Role.PROVIDER)
    assert owner.organization_id and other.organization_id
    publish(database, clock, owner.organization_id, [resource_data("residents", "户籍人口信息")])
    publish(database, clock, other.organization_id, [resource_data("vehicles", "营运车辆信息")])
    with database.unit_of_work() as session:
        actor = provider_principal(owner.organization_id)
        listed = service.register_resource(
            session, actor=actor, clock=clock, data=resource_data("unlisted", "未发布资源")
        )
        batch = service.create_batch(session, actor=BUREAU, clock=clock, data=BatchCreate())
        [draft] = service.add_to_batch(
            session, actor=BUREAU, clock=clock, batch_id=batch.id, resource_ids=[listed.id]
        )
        _, rows = service.list_resources(session, actor=actor)
        mine = next(r.id for r, _ in rows if r.code == "residents")
        return Two(owner=owner, other=other, mine=mine, draft_entry=draft.id)


def _codes(client: TestClient, headers: dict[str, str]) -> set[str]:
    listed = client.get("/api/v1/resources", headers=headers).json()
    return {item["code"] for item in listed["items"]}


def test_lists_of_resources_are_scoped(
    client: TestClient, database: Database, clock: FixedClock, two: Two
) -> None:
    owner, other = bearer(client, two.owner), bearer(client, two.other)
    bureau = bearer(client, make_account(database, clock, Role.BUREAU))
    registry = bearer(client, make_account(database, clock, Role.REGISTRY))
    assert _codes(client, owner) == {"residents", "unlisted"}
    assert _codes(client, other) == {"vehicles"}
    assert (
        _codes(client, bureau) == _codes(client, registry) == {"residents", "unlisted", "vehicles"}
    )
    page = client.get("/console/resources", headers=other).text
    assert "营运车辆信息" in page and "户籍人口信息" not in page and "未发布资源" not in page
    page = client.get("/console/resources", headers=bureau).text
    assert all(name in page for name in ("营运车辆信息", "户籍人口信息", "未发布资源"))


def test_a_resource_by_id_is_scoped(
    client: TestClient, database: Database, clock: FixedClock, two: Two
) -> None:
    owner, other = bearer(client, two.owner), bearer(client, two.other)
    bureau = bearer(client, make_account(database, clock, Role.BUREAU))
    nobody = uuid.uuid4()
    for path in ("/api/v1/resources/{id}", "/console/resources/{id}"):
        assert client.get(path.format(id=two.mine), headers=owner).status_code == 200
        assert client.get(path.format(id=two.mine), headers=bureau).status_code == 200
        foreign = client.get(path.format(id=two.mine), headers=other)
        unknown = client.get(path.format(id=nobody), headers=other)
        assert foreign.status_code == unknown.status_code == 404, path
        assert foreign.text.replace(str(two.mine), str(nobody)) == unknown.text
    changed = client.patch(f"/api/v1/resources/{two.mine}", json={"name": "篡改"}, headers=other)
    assert changed.status_code == 404


def test_the_services_apply_the_same_scope(database: Database, two: Two) -> None:
    assert two.owner.organization_id and two.other.organization_id
    owner = provider_principal(two.owner.organization_id)
    other = provider_principal(two.other.organization_id)
    operator = Principal(username="op", via="token", roles=frozenset({Role.OPERATOR}))
    bureau = Principal(
        username="bureau",
        via="token",
        organization_kind=OrgKind.BUREAU,
        roles=frozenset({Role.BUREAU}),
    )
    with database.unit_of_work() as session:
        assert service.get_resource(session, actor=owner, resource_id=two.mine).code == "residents"
        assert service.get_resource(session, actor=bureau, resource_id=two.mine).id == two.mine
        with pytest.raises(NotFound):
            service.get_resource(session, actor=other, resource_id=two.mine)
        with pytest.raises(NotFound):
            service.owned_resource(session, actor=other, resource_id=two.mine)
        with pytest.raises(NotFound):  # the bureau sees it but does not provide it
            service.owned_resource(session, actor=bureau, resource_id=two.mine)
        assert service.owned_resource(session, actor=owner, resource_id=two.mine).id == two.mine
        with pytest.raises(PermissionDenied):
            service.list_resources(session, actor=operator)
        total, rows = service.list_resources(session, actor=other)
        assert (total, [r.code for r, _ in rows]) == (1, ["vehicles"])
        unlisted = service.list_resources(session, actor=bureau, unlisted_only=True)[1]
        assert unlisted == []  # every resource here is in a batch (one still a draft)
        # Naming a resource (filing a ticket on it) is wider: anyone knows the published
        # catalog; only those who see every resource may name unpublished ones.
        assert repository.nameable_resource(session, actor=operator, resource_id=two.mine)
        for actor, expected in (
            (operator, {"户籍人口信息", "营运车辆信息"}),
            (other, {"户籍人口信息"}),  # not its own (it corrects those), nothing unpublished
        ):
            total, found = repository.pick_resources(
                session, actor=actor, q="", limit=10, to_name=True
            )
            assert total == len(expected) and {r.name for r in found} == expected


def test_a_draft_entry_exists_for_nobody_outside_the_batch_page(
    client: TestClient, database: Database, clock: FixedClock, two: Two
) -> None:
    bureau = bearer(client, make_account(database, clock, Role.BUREAU))
    nobody = uuid.uuid4()
    for path in (
        "/api/v1/catalog/entries/{id}",
        "/api/v1/catalog/entries/{id}/versions",
        "/catalog/{id}",
    ):
        draft = client.get(path.format(id=two.draft_entry), headers=bureau)
        unknown = client.get(path.format(id=nobody), headers=bureau)
        assert draft.status_code == unknown.status_code == 404, path
    listed = client.get("/api/v1/catalog", params={"q": "未发布"}).json()
    assert listed["total"] == 0
