"""Who may see an agreement, decided once (``repository.seen_by``) and applied to every list
and get-by-id a person reaches: agreements, their exits, rectification orders, document
versions and destruction certificates, and implementation plans. The bureau and the
registry see everything, an operator its own, anyone else nothing; and what one may not see
does not exist for them (404, never 403)."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from typing import Any

import pytest
from sqlalchemy.orm import Session

from sluice.authorizations import destruction, document_service, exits, repository, service
from sluice.authorizations.schemas import ExitIn, RectificationIn
from sluice.core.clock import FixedClock
from sluice.core.database import Database
from sluice.core.errors import NotFound
from sluice.core.permissions import OrgKind, Role
from sluice.core.principal import Principal
from sluice.core.settings import Settings
from tests.authorizations.factories import (
    World,
    active_authorization,
    make_world,
    terminate_by_two,
)


@dataclass(frozen=True)
class Ended:
    """An agreement that ended with an open order and a pending exit, so it has one of each
    of the things people read: versions, an exit, an order, a certificate; and its plan."""

    authorization_id: uuid.UUID
    exit_id: uuid.UUID
    order_id: uuid.UUID
    plan_id: uuid.UUID


@pytest.fixture
def world(database: Database, clock: FixedClock, settings: Settings) -> World:
    return make_world(database, clock, settings)


@pytest.fixture
def ended(database: Database, clock: FixedClock, settings: Settings, world: World) -> Ended:
    authorization_id = active_authorization(database, clock, settings, world)
    with database.unit_of_work() as session:
        order = exits.issue_rectification(
            session,
            actor=world.bureau_principal(),
            at=clock.now(),
            settings=settings,
            authorization_id=authorization_id,
            data=RectificationIn(
                grounds="breach", description="未披露收费标准", deadline=date(2026, 12, 20)
            ),
        )
        request = exits.request_exit(
            session,
            actor=world.operator_principal(),
            settings=settings,
            at=clock.now(),
            authorization_id=authorization_id,
            data=ExitIn(letter="因业务调整申请退出本场景。", exit_date=date(2027, 3, 1)),
        )
        order_id, exit_id = order.id, request.id
    with database.unit_of_work() as session:
        terminate_by_two(
            session,
            world,
            clock=clock,
            settings=settings,
            authorization_id=authorization_id,
            reason="严重违约",
        )
    return Ended(authorization_id, exit_id, order_id, world.plan_id)


def _person(kind: OrgKind | None, role: Role, organization_id: uuid.UUID | None) -> Principal:
    return Principal(
        username=f"someone-{role}",
        via="session",
        organization_id=organization_id,
        organization_kind=kind,
        roles=frozenset({role}),
    )


#: Who looks, and whether they see the agreement (and so everything under it).
VIEWERS: dict[str, Callable[[World], tuple[Principal, bool]]] = {
    "bureau": lambda w: (w.bureau_principal(), True),
    "registry": lambda w: (_person(OrgKind.REGISTRY, Role.REGISTRY, uuid.uuid4()), True),
    "its operator": lambda w: (w.operator_principal(), True),
    "another operator": lambda w: (w.operator_principal(w.other_operator), False),
    "a buyer": lambda w: (_person(OrgKind.BUYER, Role.BUYER, uuid.uuid4()), False),
    "a provider": lambda w: (_person(OrgKind.PROVIDER, Role.PROVIDER, uuid.uuid4()), False),
    "no organization": lambda w: (_person(None, Role.SUBJECT, None), False),
}


def _lists_and_gets(session: Session, actor: Principal, ended: Ended) -> dict[str, Any]:
    """Every scoped list and get-by-id, as the actor gets it."""
    agreement = ended.authorization_id
    return {
        "agreements": [a.id for a in repository.authorizations(session, actor)],
        "agreement": getattr(repository.authorization_for(session, actor, agreement), "id", None),
        "exits": [e.id for e in repository.exits_for(session, actor, agreement)],
        "exit": getattr(repository.exit_for(session, actor, ended.exit_id), "id", None),
        "orders": [o.id for o in repository.rectifications_for(session, actor, agreement)],
        "order": getattr(repository.rectification_for(session, actor, ended.order_id), "id", None),
        "document": getattr(repository.version_for(session, actor, agreement, 1), "number", None),
        "certificate": getattr(repository.certificate_for(session, actor, agreement), "id", None)
        is not None,
    }


@pytest.mark.parametrize("viewer", sorted(VIEWERS))
def test_every_list_and_get_by_id_under_an_agreement_is_scoped_to_who_may_see_it(
    database: Database, world: World, ended: Ended, viewer: str
) -> None:
    actor, sees = VIEWERS[viewer](world)
    agreement = ended.authorization_id
    with database.unit_of_work() as session:
        found = _lists_and_gets(session, actor, ended)
    if sees:
        assert found == {
            "agreements": [agreement],
            "agreement": agreement,
            "exits": [ended.exit_id],
            "exit": ended.exit_id,
            "orders": [ended.order_id],
            "order": ended.order_id,
            "document": 1,
            "certificate": True,
        }
    else:
        assert found == {
            "agreements": [],
            "agreement": None,
            "exits": [],
            "exit": None,
            "orders": [],
            "order": None,
            "document": None,
            "certificate": False,
        }


@pytest.mark.parametrize("viewer", sorted(VIEWERS))
def test_plans_are_seen_by_those_who_see_every_agreement_and_nobody_else(
    database: Database, world: World, ended: Ended, viewer: str
) -> None:
    actor, _ = VIEWERS[viewer](world)
    sees_all = viewer in ("bureau", "registry")
    with database.unit_of_work() as session:
        listed = [p.id for p in repository.plans_for(session, actor)]
        found = repository.plan_for(session, actor, ended.plan_id)
    assert listed == ([ended.plan_id] if sees_all else [])
    assert (found is not None) == sees_all


def test_what_another_operator_may_not_see_is_not_found_through_every_service(
    database: Database, world: World, ended: Ended
) -> None:
    other = world.operator_principal(world.other_operator)
    agreement = ended.authorization_id
    refusals: list[Callable[[Session], object]] = [
        lambda s: service.visible(s, other, agreement),
        lambda s: exits.exits(s, other, agreement),
        lambda s: exits.seen_exit(s, other, ended.exit_id),
        lambda s: exits.rectifications(s, other, agreement),
        lambda s: exits.seen_order(s, other, ended.order_id),
        lambda s: destruction.certificate(s, other, agreement),
    ]
    for refused in refusals:
        with database.unit_of_work() as session, pytest.raises(NotFound):
            refused(session)
    with database.unit_of_work() as session:
        found = repository.authorization(session, agreement)
        assert found is not None
        with pytest.raises(NotFound):
            document_service.document_for(session, other, found, version=None, locale="zh-CN")
        own = world.operator_principal()
        document = document_service.document_for(session, own, found, version=None, locale="zh-CN")
        assert document.version == 1
        assert destruction.certificate(session, own, agreement).authorization_id == agreement
        assert [e.id for e in exits.exits(session, own, agreement)] == [ended.exit_id]
        assert [o.id for o in exits.rectifications(session, own, agreement)] == [ended.order_id]
