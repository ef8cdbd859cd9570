"""The export gate's REST routes: request an export, read requests, download an approved
one's file and signed manifest (its workspace's operator only). Thin."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Depends, Response

from sluice.core.permissions import Permission as P
from sluice.core.principal import Principal
from sluice.sandbox import exports
from sluice.sandbox.export_models import ExportRequest
from sluice.sandbox.export_schemas import ExportIn, ExportRead
from sluice.sandbox.exports import FILE_TYPE
from sluice.web.deps import AppClock, AppSettings, DbSession, Requires

router = APIRouter(prefix="/api/v1", tags=["sandbox"])

Reader = Annotated[Principal, Depends(Requires(P.SANDBOX_READ))]
Querier = Annotated[Principal, Depends(Requires(P.SANDBOX_QUERY))]


def export_read(export: ExportRequest) -> ExportRead:
    epsilon = exports.epsilon_text(export)
    return ExportRead(
        id=export.id,
        workspace_id=export.workspace_id,
        query_id=export.query_id,
        authorization_id=export.authorization_id,
        purpose=export.purpose,
        status=export.status,
        requested_by=export.requested_by,
        requested_at=export.requested_at,
        sql=export.sql,
        sql_sm3=export.sql_sm3,
        versions=export.versions,
        columns=export.columns,
        checks=export.checks,
        min_subjects=export.min_subjects,
        groups=export.groups,
        suppressed_groups=export.suppressed_groups,
        epsilon=epsilon,
        noise=export.noise,
        rows=export.rows,
        file_sm3=export.file_sm3,
        file_bytes=export.file_bytes,
        decided_by=export.decided_by,
        decided_at=export.decided_at,
        decision_reason=export.decision_reason,
        manifest_digest=export.manifest_digest,
    )


@router.post("/workspaces/{workspace_id}/exports", status_code=201)
def request_export(
    workspace_id: uuid.UUID,
    data: ExportIn,
    session: DbSession,
    actor: Querier,
    clock: AppClock,
    settings: AppSettings,
) -> ExportRead:
    """Ask to export a query of the history; the gate's checks run at once, and a refusal
    is problem+json with its ``code``."""
    export = exports.request(
        session,
        actor=actor,
        settings=settings,
        at=clock.now(),
        workspace_id=workspace_id,
        query_id=data.query_id,
        purpose=data.purpose,
        epsilon=None if data.epsilon is None else str(data.epsilon),
    )
    return export_read(export)


@router.get("/workspaces/{workspace_id}/exports")
def list_exports(
    workspace_id: uuid.UUID, session: DbSession, actor: Reader, clock: AppClock
) -> list[ExportRead]:
    found = exports.of_workspace(session, actor=actor, at=clock.now(), workspace_id=workspace_id)
    return [export_read(e) for e in found]


@router.get("/workspaces/{workspace_id}/exports/{export_id}")
def read_export(
    workspace_id: uuid.UUID,
    export_id: uuid.UUID,
    session: DbSession,
    actor: Reader,
    clock: AppClock,
) -> ExportRead:
    found = exports.in_workspace(
        session, actor=actor, at=clock.now(), workspace_id=workspace_id, export_id=export_id
    )
    return export_read(found)


@router.get("/workspaces/{workspace_id}/exports/{export_id}/manifest")
def export_manifest(
    workspace_id: uuid.UUID,
    export_id: uuid.UUID,
    session: DbSession,
    actor: Querier,
    clock: AppClock,
) -> Response:
    """The approved export's manifest, signed by the bureau (SM2 over the SM3 of its
    canonical JSON)."""
    document = exports.manifest(
        session, actor=actor, at=clock.now(), workspace_id=workspace_id, export_id=export_id
    )
    return Response(
        exports.manifest_bytes(document),
        media_type="application/json",
        headers={"Content-Disposition": f'attachment; filename="export-{export_id}.manifest.json"'},
    )


@router.get("/workspaces/{workspace_id}/exports/{export_id}/file")
def export_file(
    workspace_id: uuid.UUID,
    export_id: uuid.UUID,
    session: DbSession,
    actor: Querier,
    clock: AppClock,
    settings: AppSettings,
) -> Response:
    """The approved export's CSV, exactly the bytes the manifest names by their SM3."""
    name, data = exports.file(
        session,
        actor=actor,
        settings=settings,
        at=clock.now(),
        workspace_id=workspace_id,
        export_id=export_id,
    )
    return Response(
        data,
        media_type=FILE_TYPE,
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )
