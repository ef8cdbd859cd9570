"""Queries of approval requests. Only the bureau reads them (``approvals.read``)."""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from sluice.approvals.models import ApprovalRequest
from sluice.approvals.states import PENDING


def request(
    session: Session, approval_id: uuid.UUID, *, for_update: bool = False
) -> ApprovalRequest | None:
    """``for_update`` locks the row: two approvers pressing at once carry out one act."""
    return session.get(ApprovalRequest, approval_id, with_for_update=for_update)


def requests(
    session: Session, *, status: str | None = None, limit: int = 100, offset: int = 0
) -> tuple[int, list[ApprovalRequest]]:
    """Pending first (oldest first: they lapse first), then the rest, newest first."""
    conditions = [ApprovalRequest.status == status] if status else []
    total = session.scalar(select(func.count(ApprovalRequest.id)).where(*conditions)) or 0
    pending_first = (ApprovalRequest.status != PENDING).asc()
    query = (
        select(ApprovalRequest)
        .where(*conditions)
        .order_by(pending_first, ApprovalRequest.requested_at.desc(), ApprovalRequest.id)
        .limit(limit)
        .offset(offset)
    )
    return total, list(session.scalars(query))


def pending_for(session: Session, targets: Iterable[uuid.UUID]) -> list[ApprovalRequest]:
    wanted = list(targets)
    if not wanted:
        return []
    query = select(ApprovalRequest).where(
        ApprovalRequest.status == PENDING, ApprovalRequest.target_id.in_(wanted)
    )
    return list(session.scalars(query.order_by(ApprovalRequest.requested_at)))


def pending_act(session: Session, act: str, target_id: uuid.UUID) -> ApprovalRequest | None:
    query = select(ApprovalRequest).where(
        ApprovalRequest.status == PENDING,
        ApprovalRequest.act == act,
        ApprovalRequest.target_id == target_id,
    )
    return session.scalar(query)


def due_to_lapse(session: Session, at: datetime) -> list[ApprovalRequest]:
    query = select(ApprovalRequest).where(
        ApprovalRequest.status == PENDING, ApprovalRequest.expires_at <= at
    )
    return list(session.scalars(query.order_by(ApprovalRequest.expires_at).with_for_update()))
