from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Query
from pydantic import BaseModel

from sluice.audit import service
from sluice.audit.repository import EventFilter
from sluice.core.dates import BoundedDate
from sluice.core.errors import InvalidInput
from sluice.core.permissions import Permission
from sluice.core.principal import Principal
from sluice.web.deps import DbSession, Requires
from sluice.web.params import Limit, Offset

router = APIRouter(prefix="/api/v1/audit", tags=["audit"])

AuditReader = Annotated[Principal, Depends(Requires(Permission.AUDIT_READ))]
Text = Annotated[str | None, Query(max_length=200)]


class AuditEventRead(BaseModel):
    id: int
    occurred_at: datetime
    action: str
    outcome: str
    actor_username: str
    actor_via: str
    actor_user_id: uuid.UUID | None
    actor_organization_id: uuid.UUID | None
    target_type: str
    target_id: str
    detail: dict[str, Any]


class AuditPage(BaseModel):
    total: int
    items: list[AuditEventRead]


@router.get("/events")
def list_events(
    reader: AuditReader,
    session: DbSession,
    action: Text = None,
    actor: Annotated[str | None, Query(max_length=200, description="A username.")] = None,
    organization: Annotated[
        str | None, Query(max_length=200, description="An organization's code.")
    ] = None,
    target_type: Text = None,
    target_id: Annotated[str | None, Query(max_length=200, description="Its start.")] = None,
    outcome: Literal["ok", "refused", "failed"] | None = None,
    date_from: Annotated[
        BoundedDate | None, Query(alias="from", description="A day (display zone), included.")
    ] = None,
    date_to: Annotated[
        BoundedDate | None, Query(alias="to", description="A day (display zone), included.")
    ] = None,
    limit: Limit = 100,
    offset: Offset = 0,
) -> AuditPage:
    """The log, newest first, filtered as the console's audit page filters it."""
    if date_from and date_to and date_from > date_to:
        raise InvalidInput("audit.dates_reversed")
    since, before = service.day_bounds(date_from, date_to)
    wanted = EventFilter(
        action=action or None,
        actor=actor or None,
        organization=organization or None,
        target_type=target_type or None,
        target_id=target_id or None,
        outcome=outcome,
        since=since,
        before=before,
    )
    total, rows = service.events(session, actor=reader, wanted=wanted, limit=limit, offset=offset)
    items = [
        AuditEventRead(
            id=r.id,
            occurred_at=r.occurred_at,
            action=r.action,
            outcome=r.outcome,
            actor_username=r.actor_username,
            actor_via=r.actor_via,
            actor_user_id=r.actor_user_id,
            actor_organization_id=r.actor_organization_id,
            target_type=r.target_type,
            target_id=r.target_id,
            detail=r.detail,
        )
        for r in rows
    ]
    return AuditPage(total=total, items=items)
