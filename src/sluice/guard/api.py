"""REST routes that use the data an agreement covers: every call passes the guard first.

Today the operator's view of its authorized data (the scope, each resource's schema); the
sandbox, product builds and the gateway join with their issues. Thin."""

from __future__ import annotations

import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Depends

from sluice.core.permissions import Permission as P
from sluice.core.principal import Principal
from sluice.guard import service as guard
from sluice.web.deps import AppClock, DbSession, Requires

#: Tagged with the agreements they serve, as before the guard had routes of its own.
router = APIRouter(prefix="/api/v1", tags=["authorizations"])

DataUser = Annotated[Principal, Depends(Requires(P.AUTHORIZED_DATA_USE))]


@router.get("/authorized-data/{authorization_id}/resources")
def authorized_resources(
    authorization_id: uuid.UUID, session: DbSession, actor: DataUser, clock: AppClock
) -> dict[str, Any]:
    found, scope = guard.authorized_scope(
        session, actor=actor, authorization_id=authorization_id, at=clock.now()
    )
    return {"authorization": found.number, "scenario": found.scenario, "resources": scope}


@router.get("/authorized-data/{authorization_id}/resources/{resource_id}")
def authorized_resource(
    authorization_id: uuid.UUID,
    resource_id: uuid.UUID,
    session: DbSession,
    actor: DataUser,
    clock: AppClock,
) -> dict[str, Any]:
    read = guard.authorized_resource(
        session,
        actor=actor,
        authorization_id=authorization_id,
        resource_id=resource_id,
        at=clock.now(),
    )
    return read.model_dump(mode="json")
