"""Queries of approval requests. Only the bureau reads them (``approvals.read``)."""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from datetime import datetime
from typing import Any, Final, cast

from sqlalchemy import ColumnElement, func, select
from sqlalchemy.orm import Session

from sluice.approvals.models import ApprovalRequest
from sluice.approvals.states import PENDING
from sluice.core.paging import ListQuery, Page, contains, paginate


def _c(column: Any) -> ColumnElement[Any]:
    return cast(ColumnElement[Any], column)


#: What the approvals list may be sorted by (within "waiting first").
REQUEST_SORTS: Final[dict[str, ColumnElement[Any]]] = {
    "requested": _c(ApprovalRequest.requested_at),
    "expires": _c(ApprovalRequest.expires_at),
    "decided": _c(ApprovalRequest.decided_at),
}


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


def request_page(session: Session, query: ListQuery) -> Page[ApprovalRequest]:
    """One page of requests: those still waiting first, then by the order asked for.

    Search: the object, the grounds, the requester's or the second person's name. Filters:
    ``status``, ``act`` (the registered act's name).
    """
    statement = select(ApprovalRequest)
    if query.q:
        statement = statement.where(
            contains(
                query.q,
                _c(ApprovalRequest.target_label),
                _c(ApprovalRequest.grounds),
                _c(ApprovalRequest.requested_by_name),
                _c(ApprovalRequest.decided_by_name),
            )
        )
    if status := query.filter("status"):
        statement = statement.where(ApprovalRequest.status == status)
    if act := query.filter("act"):
        statement = statement.where(ApprovalRequest.act == act)
    # The page's own order comes after this one: what waits for a decision is always on top.
    waiting_first = statement.order_by((ApprovalRequest.status != PENDING).asc())
    return paginate(
        session,
        waiting_first,
        query,
        sorts=REQUEST_SORTS,
        default="-requested",
        tiebreak=_c(ApprovalRequest.id),
    )


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
