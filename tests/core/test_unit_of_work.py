"""The request owns the transaction; a refusal keeps only what it carries (STYLE.md 2)."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from sluice.audit import service as audit
from sluice.audit.models import AuditEvent
from sluice.core.clock import FixedClock
from sluice.core.database import Database
from sluice.core.errors import Conflict
from sluice.core.principal import Principal

audit.declare_actions({"test.kept": ("测试", "Test")})
ACTOR = Principal.system("test")


def _event(session: Session, clock: FixedClock, target: str) -> None:
    audit.record(
        session,
        actor=ACTOR,
        action="test.kept",
        target_type="test",
        target_id=target,
        at=clock.now(),
    )


def _targets(database: Database) -> list[str]:
    with database.unit_of_work() as session:
        return list(
            session.scalars(select(AuditEvent.target_id).where(AuditEvent.action == "test.kept"))
        )


def test_a_refusal_commits_what_it_keeps_and_nothing_the_request_did_before(
    database: Database, clock: FixedClock
) -> None:
    with pytest.raises(Conflict), database.unit_of_work() as session:
        _event(session, clock, "written-before-the-refusal")
        session.flush()
        raise Conflict().keep(lambda kept: _event(kept, clock, "the-refusal-itself"))
    assert _targets(database) == ["the-refusal-itself"]


def test_a_plain_refusal_keeps_nothing(database: Database, clock: FixedClock) -> None:
    with pytest.raises(Conflict), database.unit_of_work() as session:
        _event(session, clock, "written-before-the-refusal")
        raise Conflict()
    assert _targets(database) == []


def test_success_commits_everything(database: Database, clock: FixedClock) -> None:
    with database.unit_of_work() as session:
        _event(session, clock, "a")
        _event(session, clock, "b")
    with database.unit_of_work() as session:
        count = session.scalar(
            select(func.count()).select_from(AuditEvent).where(AuditEvent.action == "test.kept")
        )
    assert count == 2
