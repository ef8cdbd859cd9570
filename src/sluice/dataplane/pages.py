"""Console pages of ingestion: the upload form's target and the quality report of a run."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Depends, Request, UploadFile
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from sluice.catalog import repository as catalog_repository
from sluice.core.errors import SluiceError
from sluice.core.i18n import add_messages
from sluice.dataplane import service
from sluice.dataplane.uploads import received
from sluice.identity.permissions import Permission as P
from sluice.identity.principal import Principal
from sluice.web.deps import AppClock, AppSettings, DbSession, Locale, Requires
from sluice.web.templating import render

router = APIRouter(tags=["console"])
Ingester = Annotated[Principal, Depends(Requires(P.DATA_INGEST))]
QualityReader = Annotated[Principal, Depends(Requires(P.QUALITY_READ))]

add_messages(
    {
        "ingest.upload": ("上传数据", "Upload data"),
        "ingest.upload_help": (
            "支持 CSV（UTF-8 或 GB18030）、Excel（.xlsx）和 Parquet。上传后自动清洗、校验、"
            "标识符令牌化和脱敏，原始文件仅以 SM4 加密保存；不合格的行进入隔离区并注明原因。",
            "CSV (UTF-8 or GB18030), Excel (.xlsx) and Parquet. Uploads are cleaned, "
            "validated, identifiers tokenized and masked; the raw file is kept only SM4-"
            "encrypted; rejected rows go to the quarantine with their reasons.",
        ),
        "ingest.file": ("文件", "File"),
        "ingest.runs": ("汇聚记录", "Ingestion runs"),
        "ingest.failed_title": ("上传未能入库", "The upload was not stored"),
        "ingest.back": ("返回数据资源", "Back to the resource"),
        "report.title": ("数据质量报告", "Data quality report"),
        "report.status.ingested": ("已入库", "Stored"),
        "report.status.duplicate": (
            "内容与已入库版本相同，未重复入库",
            "Same content as a stored version; nothing written",
        ),
        "report.rows_total": ("总行数", "Rows"),
        "report.rows_accepted": ("入库行数", "Stored"),
        "report.rows_rejected": ("隔离行数", "Quarantined"),
        "report.completeness": ("完整性", "Completeness"),
        "report.accuracy": ("准确性", "Accuracy"),
        "report.consistency": ("一致性", "Consistency"),
        "report.timeliness": ("及时性", "Timeliness"),
        "report.overall": ("综合得分", "Overall"),
        "report.failures": ("规则校验未通过", "Rule failures"),
        "report.field": ("数据项", "Field"),
        "report.rule": ("规则", "Rule"),
        "report.count": ("行数", "Rows"),
        "report.samples": ("示例行号", "Sample rows"),
        "report.none": ("全部通过。", "Everything passed."),
        "report.quarantine": ("隔离区（前 50 行）", "Quarantine (first 50 rows)"),
        "report.row": ("行号", "Row"),
        "report.reasons": ("原因", "Reasons"),
        "report.raw": ("原始内容", "As received"),
        "report.version": ("版本", "Version"),
        "report.file_ticket": ("就此数据提交纠错工单", "File a correction ticket on this data"),
    }
)


@router.post("/console/resources/{resource_id}/upload", response_class=HTMLResponse)
def upload(
    request: Request,
    resource_id: uuid.UUID,
    file: UploadFile,
    actor: Ingester,
    session: DbSession,
    clock: AppClock,
    settings: AppSettings,
    locale: Locale,
) -> Response:
    name = file.filename or "upload"
    try:
        with received(
            file.file,
            filename=name,
            scratch=settings.home / "uploads",
            limit_mb=settings.upload_max_mb,
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
    except SluiceError as error:
        session.rollback()
        return render(
            request,
            "dataplane/upload_failed.html",
            {"message": error.detail(locale), "resource_id": resource_id},
            status_code=error.status,
        )
    return RedirectResponse(f"/console/ingestions/{run.id}", status_code=303)


@router.get("/console/ingestions/{run_id}", response_class=HTMLResponse)
def report(
    request: Request,
    run_id: uuid.UUID,
    actor: QualityReader,
    session: DbSession,
    clock: AppClock,
    settings: AppSettings,
) -> HTMLResponse:
    run = service.visible_run(session, actor=actor, run_id=run_id)
    resource = catalog_repository.resource(session, run.resource_id)
    rows = []
    if run.quarantine_path and actor.organization_id == run.provider_id:
        rows = service.quarantined_rows(
            session, actor=actor, clock=clock, settings=settings, run_id=run.id, limit=50
        )
    return render(
        request,
        "dataplane/report.html",
        {"run": run, "resource": resource, "quarantine": rows},
    )
