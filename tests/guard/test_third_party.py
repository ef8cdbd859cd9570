"""R3.5, R3.6 as far as the guard decides them: an agreement's data is for the operator it
names and nobody else. Another qualified operator is told the agreement does not exist
(404, as for an id nobody issued); the provider whose data is in scope and a buyer may not
use authorized data at all (403 ``permission_denied``, whichever agreement they name, so
nothing leaks either). The operator named in the agreement is allowed meanwhile.

What the guard audits: its decisions on the caller's own agreement (allowed and refused).
A caller turned away before that (not its agreement, or no permission to use authorized
data) leaves no ``guard.decision`` row; this test pins that, so a change either way is seen.
"""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from sluice.audit.models import AuditEvent
from sluice.catalog import repository as catalog
from sluice.core.clock import FixedClock
from sluice.core.database import Database
from sluice.core.errors import NotFound, PermissionDenied
from sluice.core.permissions import OrgKind, Role
from sluice.core.principal import Principal
from sluice.core.settings import Settings
from sluice.guard import service as guard
from sluice.identity import service as identity
from sluice.identity.schemas import UserCreate
from tests.authorizations.factories import active_authorization, make_world
from tests.identity.factories import PASSWORD, Account, bearer, make_account

PROBLEM = "application/problem+json"


def _refused(response: Any, status: int, code: str) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == PROBLEM
    body: dict[str, Any] = response.json()
    assert body["code"] == code
    return {k: body[k] for k in ("status", "code", "title", "detail")}


def _decisions(database: Database) -> list[tuple[str, str, str]]:
    """Every guard decision logged: (username, outcome, use)."""
    with database.unit_of_work() as session:
        events = session.scalars(
            select(AuditEvent).where(AuditEvent.action == guard.DECISION).order_by(AuditEvent.id)
        ).all()
        return [(e.actor_username, e.outcome, e.detail["use"]) for e in events]


def test_nobody_but_the_named_operator_gets_an_agreements_data(
    client: TestClient, database: Database, clock: FixedClock, settings: Settings
) -> None:
    world = make_world(database, clock, settings)
    authorization_id = active_authorization(database, clock, settings, world)
    in_scope, outside = world.resources[0], world.resources[3]
    with database.unit_of_work() as session:
        found = catalog.resource(session, in_scope)
        assert found is not None
        user = identity.create_user(
            session,
            actor=Principal.system("test"),
            clock=clock,
            data=UserCreate(
                username="data-provider",
                display_name="数据提供单位经办人",
                password=PASSWORD,
                organization_id=found.provider_id,
                roles=[Role.PROVIDER],
            ),
        )
        provider = Account(user.username, PASSWORD, user.id, found.provider_id, Role.PROVIDER)
    buyer = make_account(database, clock, Role.BUYER)

    base = f"/api/v1/authorized-data/{authorization_id}/resources"
    nobody = f"/api/v1/authorized-data/{uuid.uuid4()}/resources"
    paths = {
        "list": (base, nobody),
        "read": (f"{base}/{in_scope}", f"{nobody}/{in_scope}"),
    }

    # Another qualified operator: the agreement is not there for it.
    other = bearer(client, world.other_operator)
    for real, unknown in paths.values():
        for locale in ("zh-CN", "en"):
            headers = {**other, "Accept-Language": locale}
            said = _refused(client.get(real, headers=headers), 404, "not_found")
            assert said == _refused(client.get(unknown, headers=headers), 404, "not_found")
    # The provider whose data the agreement covers, and a buyer: no use of authorized data.
    for account in (provider, buyer):
        headers = bearer(client, account)
        for real, unknown in paths.values():
            said = _refused(client.get(real, headers=headers), 403, "permission_denied")
            assert said == _refused(client.get(unknown, headers=headers), 403, "permission_denied")
            assert said["detail"] == (
                "您的角色不能“在授权范围内使用数据”。如需此项权限，请联系市数据局。"
            )
    assert _decisions(database) == []

    # The operator the agreement names is served, and that is what the guard records.
    owner = bearer(client, world.operator)
    listed = client.get(base, headers=owner)
    assert listed.status_code == 200, listed.text
    assert [r["title"] for r in listed.json()["resources"]] == ["企业登记信息1", "企业登记信息2"]
    assert client.get(f"{base}/{in_scope}", headers=owner).status_code == 200
    assert _decisions(database) == [
        (world.operator.username, "ok", "list_resources"),
        (world.operator.username, "ok", "read_resource"),
    ]

    # The service every later path (sandbox, products, exports, gateway) asks first.
    third_parties = [
        (world.operator_principal(world.other_operator), NotFound),
        (
            Principal(
                username=provider.username,
                via="session",
                user_id=provider.user_id,
                organization_id=provider.organization_id,
                organization_kind=OrgKind.PROVIDER,
                roles=frozenset({Role.PROVIDER}),
            ),
            PermissionDenied,
        ),
        (
            Principal(
                username=buyer.username,
                via="session",
                user_id=buyer.user_id,
                organization_id=buyer.organization_id,
                organization_kind=OrgKind.BUYER,
                roles=frozenset({Role.BUYER}),
            ),
            PermissionDenied,
        ),
    ]
    for actor, refusal in third_parties:
        for resource_id in (None, in_scope, outside):
            with database.unit_of_work() as session, pytest.raises(refusal):
                guard.authorize_use(
                    session,
                    actor=actor,
                    authorization_id=authorization_id,
                    at=clock.now(),
                    action="export",
                    resource_id=resource_id,
                )
    assert len(_decisions(database)) == 2  # none of those was logged as a guard decision
