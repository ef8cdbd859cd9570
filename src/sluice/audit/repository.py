"""Reads of the audit log: the bureau's view of the whole log, and one object's history
for the module that owns the object (after it decided who may see the object)."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from sluice.audit.models import AuditEvent


def list_events(
    session: Session, *, action: str | None = None, limit: int = 100, offset: int = 0
) -> tuple[int, list[AuditEvent]]:
    """The log, newest first, optionally of one action."""
    query = select(AuditEvent)
    count = select(func.count()).select_from(AuditEvent)
    if action:
        query = query.where(AuditEvent.action == action)
        count = count.where(AuditEvent.action == action)
    total = session.scalar(count) or 0
    rows = session.scalars(query.order_by(AuditEvent.id.desc()).limit(limit).offset(offset))
    return total, list(rows)


def events_of(session: Session, *, target_type: str, target_id: str) -> list[AuditEvent]:
    """One object's events, oldest first: its history is the audit log."""
    query = (
        select(AuditEvent)
        .where(AuditEvent.target_type == target_type, AuditEvent.target_id == target_id)
        .order_by(AuditEvent.id)
    )
    return list(session.scalars(query))
