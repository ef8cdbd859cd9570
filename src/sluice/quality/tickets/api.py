"""REST routes of correction tickets. Thin: each calls one service and returns a schema."""

from __future__ import annotations

import uuid
from datetime import date
from typing import Annotated

from fastapi import APIRouter, Depends, Query
from sqlalchemy.orm import Session

from sluice.core.permissions import Permission as P
from sluice.core.principal import Principal
from sluice.identity.schemas import Page
from sluice.quality.tickets import service
from sluice.quality.tickets.repository import TicketView
from sluice.quality.tickets.schemas import (
    TargetLevel,
    TicketCreate,
    TicketDetail,
    TicketEvent,
    TicketNote,
    TicketRead,
    TicketResolution,
    TicketStatus,
    TicketUrgingRead,
)
from sluice.web.deps import AppClock, AppSettings, DbSession, Requires
from sluice.web.params import Limit, Offset

router = APIRouter(prefix="/api/v1/tickets", tags=["quality"])

TicketReader = Annotated[Principal, Depends(Requires(P.TICKETS_READ))]
TicketFiler = Annotated[Principal, Depends(Requires(P.TICKETS_FILE))]
TicketAnswerer = Annotated[Principal, Depends(Requires(P.TICKETS_ANSWER))]
TicketCloser = Annotated[Principal, Depends(Requires(P.TICKETS_CLOSE))]
Supervisor = Annotated[Principal, Depends(Requires(P.TICKETS_SUPERVISE))]


def ticket_read(view: TicketView, *, today: date) -> TicketRead:
    t = view.ticket
    return TicketRead(
        id=t.id,
        resource_id=t.resource_id,
        resource_name=view.resource.name,
        provider_id=t.provider_id,
        provider_name=view.provider.name,
        filed_by_org=t.filed_by_org,
        filed_by_org_name=view.filer.name if view.filer else None,
        filed_by_username=t.filed_by_username,
        target_level=TargetLevel(t.target_level),
        field_name=t.field_name,
        row_ref=t.row_ref,
        description=t.description,
        status=TicketStatus(t.status),
        filed_at=t.filed_at,
        working_days=t.working_days,
        due_date=t.due_date,
        overdue=service.is_overdue(t, today=today),
        working_days_overdue=service.working_days_overdue(t, today=today),
        acknowledged_at=t.acknowledged_at,
        resolved_at=t.resolved_at,
        closed_at=t.closed_at,
        outcome=t.outcome,
        resolution=t.resolution,
        answered_late=t.answered_late,
        repair_version=t.repair_version,
        urgings=view.urgings,
    )


def _detail(
    session: Session, *, actor: Principal, clock: AppClock, ticket_id: uuid.UUID
) -> TicketDetail:
    view = service.get(session, actor=actor, ticket_id=ticket_id)
    events = service.history(session, actor=actor, ticket_id=ticket_id)
    today = service.today(clock)
    urgings = service.urgings(session, actor=actor, ticket_id=ticket_id)
    return TicketDetail(
        **ticket_read(view, today=today).model_dump(),
        actions=service.allowed_actions(actor, view.ticket),
        can_supervise=service.can_supervise(actor, view.ticket, today=today, urgings=urgings),
        urging_history=[
            TicketUrgingRead(
                at=u.urged_at,
                by=u.urged_by_name,
                by_username=u.urged_by_username,
                working_days_overdue=u.working_days_overdue,
                note=u.note,
            )
            for u in urgings
        ],
        history=[
            TicketEvent(at=e.occurred_at, action=e.action, actor=e.actor_username, detail=e.detail)
            for e in events
        ],
    )


@router.get("")
def list_tickets(
    actor: TicketReader,
    session: DbSession,
    clock: AppClock,
    status: TicketStatus | None = None,
    overdue: Annotated[
        bool | None, Query(description="true: only overdue tickets; false: none of them")
    ] = None,
    limit: Limit = 100,
    offset: Offset = 0,
) -> Page[TicketRead]:
    total, views = service.list_tickets(
        session,
        actor=actor,
        clock=clock,
        status=status.value if status else None,
        overdue=overdue,
        limit=limit,
        offset=offset,
    )
    today = service.today(clock)
    return Page(total=total, items=[ticket_read(v, today=today) for v in views])


@router.post("", status_code=201)
def file_ticket(
    body: TicketCreate,
    actor: TicketFiler,
    session: DbSession,
    clock: AppClock,
    settings: AppSettings,
) -> TicketDetail:
    ticket = service.file_ticket(session, actor=actor, clock=clock, settings=settings, data=body)
    return _detail(session, actor=actor, clock=clock, ticket_id=ticket.id)


@router.get("/{ticket_id}")
def get_ticket(
    ticket_id: uuid.UUID, actor: TicketReader, session: DbSession, clock: AppClock
) -> TicketDetail:
    return _detail(session, actor=actor, clock=clock, ticket_id=ticket_id)


@router.post("/{ticket_id}/acknowledge")
def acknowledge_ticket(
    ticket_id: uuid.UUID,
    actor: TicketAnswerer,
    session: DbSession,
    clock: AppClock,
    body: TicketNote | None = None,
) -> TicketDetail:
    note = body.note if body else None
    service.acknowledge(session, actor=actor, clock=clock, ticket_id=ticket_id, note=note)
    return _detail(session, actor=actor, clock=clock, ticket_id=ticket_id)


@router.post("/{ticket_id}/fix")
def fix_ticket(
    ticket_id: uuid.UUID,
    body: TicketResolution,
    actor: TicketAnswerer,
    session: DbSession,
    clock: AppClock,
) -> TicketDetail:
    service.fix(session, actor=actor, clock=clock, ticket_id=ticket_id, resolution=body.resolution)
    return _detail(session, actor=actor, clock=clock, ticket_id=ticket_id)


@router.post("/{ticket_id}/reject")
def reject_ticket(
    ticket_id: uuid.UUID,
    body: TicketResolution,
    actor: TicketAnswerer,
    session: DbSession,
    clock: AppClock,
) -> TicketDetail:
    service.reject(
        session, actor=actor, clock=clock, ticket_id=ticket_id, resolution=body.resolution
    )
    return _detail(session, actor=actor, clock=clock, ticket_id=ticket_id)


@router.post("/{ticket_id}/close")
def close_ticket(
    ticket_id: uuid.UUID,
    actor: TicketCloser,
    session: DbSession,
    clock: AppClock,
    body: TicketNote | None = None,
) -> TicketDetail:
    note = body.note if body else None
    service.close(session, actor=actor, clock=clock, ticket_id=ticket_id, note=note)
    return _detail(session, actor=actor, clock=clock, ticket_id=ticket_id)


@router.post("/{ticket_id}/supervise")
def supervise_ticket(
    ticket_id: uuid.UUID,
    actor: Supervisor,
    session: DbSession,
    clock: AppClock,
    body: TicketNote | None = None,
) -> TicketDetail:
    """督办: the bureau chases the provider on a ticket past its due date and unanswered
    (409 on one not overdue, answered, or already chased today)."""
    note = body.note if body else None
    service.supervise(session, actor=actor, clock=clock, ticket_id=ticket_id, note=note)
    return _detail(session, actor=actor, clock=clock, ticket_id=ticket_id)
