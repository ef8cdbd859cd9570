"""A small audit log with people and organizations that have names, built through the real
services: who did what, when (in UTC, read in Beijing time) and with which details."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy.orm import Session

from sluice.audit import service as audit
from sluice.core.clock import Clock
from sluice.core.database import Database
from sluice.core.permissions import OrgKind, Role
from sluice.core.principal import Principal
from sluice.identity import service as identity
from sluice.identity.schemas import OrganizationCreate, UserCreate
from tests.identity.factories import PASSWORD, Account


@dataclass(frozen=True)
class Person:
    account: Account
    display_name: str
    organization_code: str
    organization_name: str

    @property
    def principal(self) -> Principal:
        return Principal(
            username=self.account.username,
            via="session",
            user_id=self.account.user_id,
            organization_id=self.account.organization_id,
            roles=frozenset({self.account.role}),
        )


def make_person(
    database: Database,
    clock: Clock,
    *,
    username: str,
    display_name: str,
    role: Role,
    kind: OrgKind,
    code: str,
    organization: str,
) -> Person:
    system = Principal.system("test")
    with database.unit_of_work() as session:
        org = identity.create_organization(
            session,
            actor=system,
            clock=clock,
            data=OrganizationCreate(code=code, kind=kind, name=organization),
        )
        user = identity.create_user(
            session,
            actor=system,
            clock=clock,
            data=UserCreate(
                username=username,
                display_name=display_name,
                password=PASSWORD,
                organization_id=org.id,
                roles=[role],
            ),
        )
        account = Account(user.username, PASSWORD, user.id, org.id, role)
    return Person(account, display_name, code, organization)


def record(
    session: Session,
    actor: Principal,
    action: str,
    *,
    at: datetime,
    target_type: str = "authorization",
    target_id: str | None = None,
    outcome: audit.Outcome = "ok",
    detail: dict[str, object] | None = None,
) -> int:
    """One event; returns its id."""
    event = audit.record(
        session,
        actor=actor,
        action=action,
        target_type=target_type,
        target_id=target_id or str(uuid.uuid4()),
        at=at,
        outcome=outcome,
        detail=detail,
    )
    session.flush()
    return event.id


def utc(year: int, month: int, day: int, hour: int, minute: int, second: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, second, tzinfo=UTC)
