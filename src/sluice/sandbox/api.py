"""The sandbox's REST routes: workspaces and their views, and queries. Thin."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Depends
from sqlalchemy.orm import Session

from sluice.core.permissions import Permission as P
from sluice.core.principal import Principal
from sluice.guard.workspace_views import WorkspaceView
from sluice.sandbox import queries, workspaces
from sluice.sandbox.models import Workspace
from sluice.sandbox.schemas import (
    ColumnRead,
    QueryIn,
    QueryResultRead,
    ResultColumn,
    VersionRead,
    ViewRead,
    WorkspaceRead,
)
from sluice.web.deps import AppClock, AppSettings, DbSession, Requires

router = APIRouter(prefix="/api/v1", tags=["sandbox"])

Reader = Annotated[Principal, Depends(Requires(P.SANDBOX_READ))]
Querier = Annotated[Principal, Depends(Requires(P.SANDBOX_QUERY))]


def view_read(view: WorkspaceView) -> ViewRead:
    return ViewRead(
        name=view.name,
        resource_id=view.resource_id,
        version=view.version,
        rows=view.rows,
        columns=[
            ColumnRead(
                name=c.name,
                type=c.sql_type,
                class_=c.field_class,
                form=c.form,
                source_field=c.source_field,
            )
            for c in view.columns
        ],
    )


def workspace_read(session: Session, workspace: Workspace, *, at: datetime) -> WorkspaceRead:
    return WorkspaceRead(
        id=workspace.id,
        authorization_id=workspaces.agreement(session, workspace, at=at).id,
        scenario=workspace.scenario,
        status=workspace.status,
        views=[view_read(v) for v in workspaces.views(session, workspace, at=at)],
    )


@router.get("/workspaces")
def list_workspaces(session: DbSession, actor: Reader, clock: AppClock) -> list[WorkspaceRead]:
    at = clock.now()
    rows = workspaces.workspace_rows(session, actor=actor, at=at)
    return [workspace_read(session, row.workspace, at=at) for row in rows]


@router.get("/workspaces/{workspace_id}")
def read_workspace(
    workspace_id: uuid.UUID, session: DbSession, actor: Reader, clock: AppClock
) -> WorkspaceRead:
    at = clock.now()
    found = workspaces.visible(session, actor=actor, at=at, workspace_id=workspace_id)
    return workspace_read(session, found, at=at)


@router.post("/workspaces/{workspace_id}/queries")
def run_query(
    workspace_id: uuid.UUID,
    data: QueryIn,
    session: DbSession,
    actor: Querier,
    clock: AppClock,
    settings: AppSettings,
) -> QueryResultRead:
    """Run one SQL query in the workspace; a refusal is problem+json with its ``code``."""
    outcome = queries.run(
        session,
        actor=actor,
        settings=settings,
        at=clock.now(),
        workspace_id=workspace_id,
        sql=data.sql,
    )
    row, result = outcome.query, outcome.result
    return QueryResultRead(
        query_id=row.id,
        columns=[ResultColumn(name=n, type=t) for n, t in result.columns],
        rows=result.rows,
        row_count=len(result.rows),
        truncated=result.truncated,
        versions=[
            VersionRead(view=v["view"], resource_id=v["resource_id"], version=v["version"])
            for v in row.versions
        ],
        elapsed_ms=result.elapsed_ms,
    )
