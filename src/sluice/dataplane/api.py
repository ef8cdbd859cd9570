"""REST routes of ingestion: upload into a resource, read runs, reports and the quarantine."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, UploadFile
from pydantic import BaseModel

from sluice.catalog import repository as catalog_repository
from sluice.core.errors import NotFound
from sluice.dataplane import service
from sluice.dataplane.models import IngestionRun
from sluice.dataplane.uploads import received
from sluice.identity.permissions import OrgKind
from sluice.identity.permissions import Permission as P
from sluice.identity.principal import Principal
from sluice.web.deps import AppClock, AppSettings, DbSession, Requires

router = APIRouter(tags=["ingestion"])
Ingester = Annotated[Principal, Depends(Requires(P.DATA_INGEST))]
QualityReader = Annotated[Principal, Depends(Requires(P.QUALITY_READ))]


class RunRead(BaseModel):
    id: uuid.UUID
    resource_id: uuid.UUID
    status: str
    source_kind: str
    source_name: str
    content_hash: str
    rows_total: int
    rows_accepted: int
    rows_rejected: int
    version: int | None
    report: dict[str, Any]
    started_at: datetime
    finished_at: datetime | None


def run_read(run: IngestionRun) -> RunRead:
    return RunRead(
        id=run.id,
        resource_id=run.resource_id,
        status=run.status,
        source_kind=run.source_kind,
        source_name=run.source_name,
        content_hash=run.content_hash,
        rows_total=run.rows_total,
        rows_accepted=run.rows_accepted,
        rows_rejected=run.rows_rejected,
        version=run.version,
        report=run.report,
        started_at=run.started_at,
        finished_at=run.finished_at,
    )


@router.post("/api/v1/resources/{resource_id}/ingestions", status_code=201)
def upload(
    resource_id: uuid.UUID,
    file: UploadFile,
    actor: Ingester,
    session: DbSession,
    clock: AppClock,
    settings: AppSettings,
) -> RunRead:
    """Upload CSV (UTF-8 or GB18030), Excel or Parquet into one of your resources."""
    name = file.filename or "upload"
    with received(
        file.file, filename=name, scratch=settings.home / "uploads", limit_mb=settings.upload_max_mb
    ) as path:
        run = service.ingest(
            session,
            actor=actor,
            clock=clock,
            settings=settings,
            resource_id=resource_id,
            source=path,
            source_name=name,
        )
    return run_read(run)


@router.get("/api/v1/resources/{resource_id}/ingestions")
def list_runs(resource_id: uuid.UUID, actor: QualityReader, session: DbSession) -> list[RunRead]:
    resource = catalog_repository.resource(session, resource_id)
    mine = actor.organization_kind is not OrgKind.PROVIDER or (
        resource is not None and resource.provider_id == actor.organization_id
    )
    if resource is None or not mine:
        raise NotFound("catalog.resource_unknown")
    return [run_read(r) for r in service.runs_of(session, resource_id)]


@router.get("/api/v1/ingestions/{run_id}")
def get_run(run_id: uuid.UUID, actor: QualityReader, session: DbSession) -> RunRead:
    return run_read(service.visible_run(session, actor=actor, run_id=run_id))


@router.get("/api/v1/ingestions/{run_id}/quarantine")
def quarantine(
    run_id: uuid.UUID, actor: Ingester, session: DbSession, clock: AppClock, settings: AppSettings
) -> list[dict[str, Any]]:
    """Rejected rows with their reasons (the owning provider only; they hold plaintext)."""
    return service.quarantined_rows(
        session, actor=actor, clock=clock, settings=settings, run_id=run_id
    )
