"""REST routes of ingestion: upload into a resource, read runs, reports and the quarantine,
and confirm or discard an upload held for its provider's decision."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, UploadFile
from pydantic import BaseModel
from sqlalchemy.orm import Session

from sluice.core.permissions import Permission as P
from sluice.core.principal import Principal
from sluice.core.settings import Settings
from sluice.ingestion import service
from sluice.ingestion.models import IngestionRun
from sluice.ingestion.uploads import received
from sluice.web.deps import AppClock, AppSettings, DbSession, Requires

router = APIRouter(tags=["ingestion"])
Ingester = Annotated[Principal, Depends(Requires(P.DATA_INGEST))]
QualityReader = Annotated[Principal, Depends(Requires(P.QUALITY_READ))]


class HoldRead(BaseModel):
    """Why an upload is held, and what confirming it would change."""

    reason: str
    threshold_percent: int
    current_version: int | None
    current_rows: int
    rows_total: int
    rows_accepted: int
    rows_rejected: int
    rows_change: int
    share_percent: float | None
    score_before: float | None
    score_after: float | None
    score_change: float | None


class RunRead(BaseModel):
    id: uuid.UUID
    resource_id: uuid.UUID
    #: ingested, duplicate, held (waiting for its provider: see ``hold``), discarded,
    #: superseded
    status: str
    source_kind: str
    source_name: str
    content_hash: str
    rows_total: int
    rows_accepted: int
    rows_rejected: int
    version: int | None
    #: The older version whose content this upload brought back as ``version``.
    restores_version: int | None
    hold: HoldRead | None
    decided_by: str | None
    decided_at: datetime | None
    report: dict[str, Any]
    started_at: datetime
    finished_at: datetime | None


def run_read(session: Session, settings: Settings, run: IngestionRun) -> RunRead:
    preview = service.hold_preview(session, settings=settings, run=run)
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
        restores_version=run.restores_version,
        hold=None
        if preview is None
        else HoldRead(
            reason=preview.reason,
            threshold_percent=preview.threshold_percent,
            current_version=preview.current_version,
            current_rows=preview.current_rows,
            rows_total=preview.rows_total,
            rows_accepted=preview.rows_accepted,
            rows_rejected=preview.rows_rejected,
            rows_change=preview.rows_change,
            share_percent=preview.share_percent,
            score_before=preview.score_before,
            score_after=preview.score_after,
            score_change=preview.score_change,
        ),
        decided_by=run.decided_by,
        decided_at=run.decided_at,
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
    """Upload CSV (UTF-8 or GB18030), Excel (.xlsx) or Parquet into one of your resources.

    The run comes back ``ingested`` (a new version), ``duplicate`` (the current version's
    content: nothing written) or ``held``: it would leave the dataset empty or shrink it
    below ``ingest_hold_share_percent`` of the current version's rows, so it waits for
    ``POST /api/v1/ingestions/{id}/confirm`` or ``…/discard``. Another department's
    resource is 404."""
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
    return run_read(session, settings, run)


@router.get("/api/v1/resources/{resource_id}/ingestions")
def list_runs(
    resource_id: uuid.UUID, actor: QualityReader, session: DbSession, settings: AppSettings
) -> list[RunRead]:
    runs = service.visible_runs(session, actor=actor, resource_id=resource_id)
    return [run_read(session, settings, r) for r in runs]


@router.get("/api/v1/ingestions/{run_id}")
def get_run(
    run_id: uuid.UUID, actor: QualityReader, session: DbSession, settings: AppSettings
) -> RunRead:
    return run_read(session, settings, service.visible_run(session, actor=actor, run_id=run_id))


@router.post("/api/v1/ingestions/{run_id}/confirm")
def confirm(
    run_id: uuid.UUID, actor: Ingester, session: DbSession, clock: AppClock, settings: AppSettings
) -> RunRead:
    """Make a held upload the resource's new current version (its provider only)."""
    run = service.confirm(session, actor=actor, clock=clock, settings=settings, run_id=run_id)
    return run_read(session, settings, run)


@router.post("/api/v1/ingestions/{run_id}/discard")
def discard(
    run_id: uuid.UUID, actor: Ingester, session: DbSession, clock: AppClock, settings: AppSettings
) -> RunRead:
    """Drop a held upload; the current version stays (its provider only)."""
    run = service.discard(session, actor=actor, clock=clock, settings=settings, run_id=run_id)
    return run_read(session, settings, run)


@router.get("/api/v1/ingestions/{run_id}/quarantine")
def quarantine(
    run_id: uuid.UUID, actor: Ingester, session: DbSession, clock: AppClock, settings: AppSettings
) -> list[dict[str, Any]]:
    """Rejected rows with their reasons (the owning provider only; they hold plaintext)."""
    return service.quarantined_rows(
        session, actor=actor, clock=clock, settings=settings, run_id=run_id
    )
