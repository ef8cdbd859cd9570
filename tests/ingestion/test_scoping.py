"""Who sees which ingestion run is decided in one place (``dataplane.repository._visible``),
and every list and get-by-id of runs goes through it: the providing department sees its
runs, the bureau's side sees all, another department sees none (404 for one, the same
answer as no run at all); roles that do not read quality see none (403)."""

from __future__ import annotations

import uuid

import pytest
from fastapi.testclient import TestClient

from sluice.core.clock import FixedClock
from sluice.core.database import Database
from sluice.core.errors import NotFound, PermissionDenied
from sluice.core.permissions import OrgKind, Role
from sluice.core.principal import Principal
from sluice.ingestion import service
from tests.identity.factories import Account, bearer, make_account
from tests.ingestion.test_service import CSV, _upload


def _principal(account: Account, kind: OrgKind, role: Role) -> Principal:
    return Principal(
        username=account.username,
        via="token",
        organization_id=account.organization_id,
        organization_kind=kind,
        roles=frozenset({role}),
    )


def test_lists_of_runs_are_scoped(
    client: TestClient,
    database: Database,
    clock: FixedClock,
    provider: tuple[Account, dict[str, str], str],
) -> None:
    _, headers, resource_id = provider
    run = _upload(client, headers, resource_id, CSV.encode())
    path = f"/api/v1/resources/{resource_id}/ingestions"
    bureau = bearer(client, make_account(database, clock, Role.BUREAU))
    other = bearer(client, make_account(database, clock, Role.PROVIDER))
    registry = bearer(client, make_account(database, clock, Role.REGISTRY))
    assert [r["id"] for r in client.get(path, headers=headers).json()] == [run["id"]]
    assert [r["id"] for r in client.get(path, headers=bureau).json()] == [run["id"]]
    foreign = client.get(path, headers=other)
    unknown = client.get(f"/api/v1/resources/{uuid.uuid4()}/ingestions", headers=other)
    assert foreign.status_code == unknown.status_code == 404
    assert client.get(path, headers=registry).status_code == 403
    # The resource's page lists the runs to those who may see them, and only to them.
    assert "residents.csv" in client.get(f"/console/resources/{resource_id}", headers=bureau).text
    registry_page = client.get(f"/console/resources/{resource_id}", headers=registry)
    assert registry_page.status_code == 200 and "residents.csv" not in registry_page.text


def test_a_run_by_id_is_scoped(
    client: TestClient,
    database: Database,
    clock: FixedClock,
    provider: tuple[Account, dict[str, str], str],
) -> None:
    _, headers, resource_id = provider
    run = _upload(client, headers, resource_id, CSV.encode())["id"]
    bureau = bearer(client, make_account(database, clock, Role.BUREAU))
    other = bearer(client, make_account(database, clock, Role.PROVIDER))
    nobody = str(uuid.uuid4())
    for path in ("/api/v1/ingestions/{run}", "/console/ingestions/{run}"):
        assert client.get(path.format(run=run), headers=headers).status_code == 200
        assert client.get(path.format(run=run), headers=bureau).status_code == 200
        foreign = client.get(path.format(run=run), headers=other)
        unknown = client.get(path.format(run=nobody), headers=other)
        assert foreign.status_code == unknown.status_code == 404, path
        assert foreign.text.replace(run, nobody) == unknown.text
    # The quarantine holds plaintext: its provider only (the bureau may not ingest: 403).
    quarantine = f"/api/v1/ingestions/{run}/quarantine"
    assert client.get(quarantine, headers=headers).status_code == 200
    assert client.get(quarantine, headers=other).status_code == 404
    assert client.get(quarantine, headers=bureau).status_code == 403


def test_the_services_apply_the_same_scope(
    client: TestClient,
    database: Database,
    clock: FixedClock,
    provider: tuple[Account, dict[str, str], str],
) -> None:
    account, headers, resource_id = provider
    run_id = uuid.UUID(_upload(client, headers, resource_id, CSV.encode())["id"])
    resource = uuid.UUID(resource_id)
    owner = _principal(account, OrgKind.PROVIDER, Role.PROVIDER)
    other = _principal(
        make_account(database, clock, Role.PROVIDER), OrgKind.PROVIDER, Role.PROVIDER
    )
    bureau = _principal(make_account(database, clock, Role.BUREAU), OrgKind.BUREAU, Role.BUREAU)
    operator = _principal(
        make_account(database, clock, Role.OPERATOR), OrgKind.OPERATOR, Role.OPERATOR
    )
    with database.unit_of_work() as session:
        for reader in (owner, bureau):
            assert service.visible_run(session, actor=reader, run_id=run_id).id == run_id
            runs = service.visible_runs(session, actor=reader, resource_id=resource)
            assert [r.id for r in runs] == [run_id]
            listed = service.resource_runs(session, actor=reader, resource_id=resource)
            assert [r.id for r in listed] == [run_id]
        with pytest.raises(NotFound):
            service.visible_run(session, actor=other, run_id=run_id)
        with pytest.raises(NotFound):
            service.visible_runs(session, actor=other, resource_id=resource)
        assert service.resource_runs(session, actor=other, resource_id=resource) == []
        assert service.resource_runs(session, actor=operator, resource_id=resource) == []
        with pytest.raises(PermissionDenied):
            service.visible_runs(session, actor=operator, resource_id=resource)
