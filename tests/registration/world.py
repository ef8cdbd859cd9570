"""The registration tests' world: a registry, the bureau, two operators and a buyer, each an
organization with one user, on a database built once per module."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

from sqlalchemy.orm import Session

from sluice.core.clock import SHANGHAI, FixedClock
from sluice.core.database import Database
from sluice.core.permissions import Role
from sluice.core.principal import Principal
from sluice.core.settings import Settings
from sluice.registration import service
from sluice.registration.kinds import Subject
from sluice.registration.models import Registration, RegistrationApplication
from tests.approvals.factories import principal_of
from tests.identity.factories import Account, make_account
from tests.registration import kind


@dataclass(frozen=True)
class World:
    database: Database
    settings: Settings
    registry: Account
    bureau: Account
    operator: Account
    other: Account
    buyer: Account

    def p(self, account: Account, name: str = "") -> Principal:
        return principal_of(account, name)

    def subject(self, title: str = "城市交通拥堵指数", owner: Account | None = None) -> Subject:
        owner_id = (owner or self.operator).organization_id
        assert owner_id is not None
        return kind.subject(owner_id, title)


def build(database: Database, home: Path) -> World:
    clock = FixedClock(datetime(2026, 9, 1, 9, 0, tzinfo=SHANGHAI))
    accounts = {
        role: make_account(database, clock, role)
        for role in (Role.REGISTRY, Role.BUREAU, Role.OPERATOR, Role.BUYER)
    }
    return World(
        database=database,
        settings=Settings(home=home, database_url=database.url),
        registry=accounts[Role.REGISTRY],
        bureau=accounts[Role.BUREAU],
        operator=accounts[Role.OPERATOR],
        other=make_account(database, clock, Role.OPERATOR),
        buyer=accounts[Role.BUYER],
    )


def at(text: str) -> FixedClock:
    """A clock at ``text`` (``2026-11-02 10:00``), Beijing time."""
    return FixedClock(datetime.fromisoformat(text).replace(tzinfo=SHANGHAI))


def apply(
    session: Session,
    world: World,
    clock: FixedClock,
    subject: Subject,
    *,
    type: str = service.FIRST,
    statement: str = "",
    materials: tuple[service.Material, ...] = (),
) -> RegistrationApplication:
    return service.apply(
        session,
        actor=world.p(world.operator),
        settings=world.settings,
        at=clock.now(),
        kind=kind.KIND,
        subject_id=subject.id,
        type=type,
        statement=statement,
        materials=materials,
    )


def decide(
    session: Session,
    world: World,
    clock: FixedClock,
    application: RegistrationApplication | uuid.UUID,
    action: str,
    reason: str = "",
) -> RegistrationApplication:
    application_id = application if isinstance(application, uuid.UUID) else application.id
    return service.decide(
        session,
        actor=world.p(world.registry),
        settings=world.settings,
        at=clock.now(),
        application_id=application_id,
        action=action,
        reason=reason,
    )


def register(session: Session, world: World, clock: FixedClock, subject: Subject) -> Registration:
    """A first registration all the way: filed, accepted, passed, notice over, issued. The
    clock is left just after the notice."""
    application = apply(session, world, clock, subject)
    decide(session, world, clock, application, "accept")
    decide(session, world, clock, application, "pass")
    assert application.notice_until is not None
    after = datetime.combine(application.notice_until + timedelta(days=1), datetime.min.time())
    clock.advance(after.replace(hour=9, tzinfo=SHANGHAI) - clock.now())
    decide(session, world, clock, application, "issue")
    assert application.registration_id is not None
    found = service.current(session, kind=kind.KIND, subject_id=subject.id, at=clock.now())
    assert found is not None
    return found
