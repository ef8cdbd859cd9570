"""REST routes of requests for irreversible acts: the bureau lists, approves, rejects. Thin.

Requests are made where the act lives (``POST /api/v1/authorizations/{id}/terminate``,
``POST /api/v1/rectifications/{id}/check`` with ``passed: false``,
``POST /api/v1/catalog/batches/{id}/withdraw``); they answer 202 with the request.
"""

from __future__ import annotations

import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query

from sluice.approvals import service
from sluice.approvals import states as st
from sluice.approvals.schemas import ApprovalRead, ApproveIn, RejectIn, approval_read
from sluice.core.permissions import Permission as P
from sluice.core.principal import Principal
from sluice.web.deps import AppClock, AppSettings, DbSession, Locale, Requires
from sluice.web.params import Limit, Offset

router = APIRouter(prefix="/api/v1", tags=["approvals"])

Reader = Annotated[Principal, Depends(Requires(P.APPROVALS_READ))]
Decider = Annotated[Principal, Depends(Requires(P.APPROVALS_DECIDE))]


@router.get("/approvals")
def list_approvals(
    session: DbSession,
    actor: Reader,
    clock: AppClock,
    locale: Locale,
    status: Annotated[str | None, Query(max_length=20)] = None,
    limit: Limit = 100,
    offset: Offset = 0,
) -> dict[str, Any]:
    """Requests for irreversible acts: pending first. Those past their time lapse here."""
    chosen = status if status in st.APPROVAL.states else None
    total, rows = service.list_requests(
        session, actor=actor, at=clock.now(), status=chosen, limit=limit, offset=offset
    )
    return {"total": total, "items": [approval_read(r, locale) for r in rows]}


@router.get("/approvals/{approval_id}")
def read_approval(
    approval_id: uuid.UUID, session: DbSession, actor: Reader, locale: Locale
) -> ApprovalRead:
    return approval_read(service.get(session, actor=actor, approval_id=approval_id), locale)


@router.post("/approvals/{approval_id}/approve")
def approve(
    approval_id: uuid.UUID,
    data: ApproveIn,
    session: DbSession,
    actor: Decider,
    clock: AppClock,
    settings: AppSettings,
    locale: Locale,
) -> ApprovalRead:
    """A second bureau user approves; the act is carried out at once. The requester may not."""
    row = service.approve(
        session,
        actor=actor,
        settings=settings,
        at=clock.now(),
        approval_id=approval_id,
        note=data.note,
    )
    return approval_read(row, locale)


@router.post("/approvals/{approval_id}/reject")
def reject(
    approval_id: uuid.UUID,
    data: RejectIn,
    session: DbSession,
    actor: Decider,
    clock: AppClock,
    locale: Locale,
) -> ApprovalRead:
    row = service.reject(
        session, actor=actor, at=clock.now(), approval_id=approval_id, note=data.note
    )
    return approval_read(row, locale)
