"""audit.record writes in the caller's transaction: the change and its trace go together."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from sluice.audit import service as audit
from sluice.audit.models import AuditEvent
from sluice.core.clock import FixedClock
from sluice.core.database import Database
from sluice.core.errors import Conflict
from sluice.core.permissions import OrgKind
from sluice.core.principal import Principal
from sluice.identity import service as identity
from sluice.identity.models import Organization
from sluice.identity.schemas import OrganizationCreate

SYSTEM = Principal.system("test")


def _count(database: Database, model: type) -> int:
    with database.unit_of_work() as session:
        return session.scalar(select(func.count()).select_from(model)) or 0


def test_change_and_event_commit_together(database: Database, clock: FixedClock) -> None:
    with database.unit_of_work() as session:
        identity.create_organization(
            session,
            actor=SYSTEM,
            clock=clock,
            data=OrganizationCreate(code="mzj", kind=OrgKind.PROVIDER, name="营口市民政局"),
        )
    assert _count(database, Organization) == 1
    with database.unit_of_work() as session:
        event = session.scalars(select(AuditEvent)).one()
        assert event.action == "identity.organization.created"
        assert event.actor_username == "test"
        assert event.detail == {"code": "mzj", "kind": "provider", "name": "营口市民政局"}
        assert event.occurred_at == clock.now()


def test_a_failed_unit_of_work_leaves_neither_change_nor_event(
    database: Database, clock: FixedClock
) -> None:
    with pytest.raises(RuntimeError), database.unit_of_work() as session:
        identity.create_organization(
            session,
            actor=SYSTEM,
            clock=clock,
            data=OrganizationCreate(code="wjw", kind=OrgKind.PROVIDER, name="营口市卫健委"),
        )
        raise RuntimeError("something later in the same request failed")
    assert _count(database, Organization) == 0
    assert _count(database, AuditEvent) == 0


def test_a_refused_duplicate_writes_no_event(database: Database, clock: FixedClock) -> None:
    data = OrganizationCreate(code="jyj", kind=OrgKind.PROVIDER, name="营口市教育局")
    with database.unit_of_work() as session:
        identity.create_organization(session, actor=SYSTEM, clock=clock, data=data)
    with pytest.raises(Conflict), database.unit_of_work() as session:
        identity.create_organization(session, actor=SYSTEM, clock=clock, data=data)
    assert _count(database, AuditEvent) == 1


def test_undeclared_actions_are_refused(database: Database, clock: FixedClock) -> None:
    with database.unit_of_work() as session, pytest.raises(ValueError, match="not declared"):
        audit.record(
            session, actor=SYSTEM, action="made.up", target_type="x", target_id="1", at=clock.now()
        )
