from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends
from pydantic import BaseModel

from sluice.audit import service
from sluice.core.permissions import Permission
from sluice.core.principal import Principal
from sluice.web.deps import DbSession, Requires
from sluice.web.params import Limit, Offset

router = APIRouter(prefix="/api/v1/audit", tags=["audit"])

AuditReader = Annotated[Principal, Depends(Requires(Permission.AUDIT_READ))]


class AuditEventRead(BaseModel):
    id: int
    occurred_at: datetime
    action: str
    outcome: str
    actor_username: str
    actor_via: str
    target_type: str
    target_id: str
    detail: dict[str, Any]


class AuditPage(BaseModel):
    total: int
    items: list[AuditEventRead]


@router.get("/events")
def list_events(
    actor: AuditReader,
    session: DbSession,
    action: str | None = None,
    limit: Limit = 100,
    offset: Offset = 0,
) -> AuditPage:
    total, rows = service.events(session, actor=actor, action=action, limit=limit, offset=offset)
    items = [
        AuditEventRead(
            id=r.id,
            occurred_at=r.occurred_at,
            action=r.action,
            outcome=r.outcome,
            actor_username=r.actor_username,
            actor_via=r.actor_via,
            target_type=r.target_type,
            target_id=r.target_id,
            detail=r.detail,
        )
        for r in rows
    ]
    return AuditPage(total=total, items=items)
