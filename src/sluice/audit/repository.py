"""Reads of the audit log (the bureau's view; later issues add scoped views)."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from sluice.audit.models import AuditEvent


def list_events(
    session: Session, *, action: str | None = None, limit: int = 100, offset: int = 0
) -> tuple[int, list[AuditEvent]]:
    query = select(AuditEvent)
    count = select(func.count()).select_from(AuditEvent)
    if action:
        query = query.where(AuditEvent.action == action)
        count = count.where(AuditEvent.action == action)
    total = session.scalar(count) or 0
    rows = session.scalars(query.order_by(AuditEvent.id.desc()).limit(limit).offset(offset))
    return total, list(rows)
