"""Console pages of ingestion: the upload form and the uploads on a resource's page (a
panel of the catalog's page), the upload form's target, the quality report of a run, and
the provider's decision on an upload held for confirmation."""

from __future__ import annotations

import uuid
from typing import Annotated, Final

from fastapi import APIRouter, Depends, Request, UploadFile
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from sluice.catalog import service as catalog
from sluice.catalog.pages import ResourcePanel, add_resource_panel
from sluice.catalog.schemas import ResourceRead
from sluice.catalog.vocabulary import FIELD_TYPES
from sluice.core.database import undo_keeping_refusal
from sluice.core.errors import SluiceError
from sluice.core.i18n import add_messages, translate
from sluice.core.paging import ListQuery
from sluice.core.permissions import Permission as P
from sluice.core.principal import Principal
from sluice.dataplane.readers import MALFORMED_ROW
from sluice.ingestion import repository, service, states
from sluice.ingestion.uploads import received
from sluice.web.deps import AppClock, AppSettings, DbSession, Locale, Requires
from sluice.web.listing import ListSpec, render_list
from sluice.web.templating import render

router = APIRouter(tags=["console"])
Ingester = Annotated[Principal, Depends(Requires(P.DATA_INGEST))]
QualityReader = Annotated[Principal, Depends(Requires(P.QUALITY_READ))]

add_messages(
    {
        "ingest.upload": ("上传数据", "Upload data"),
        "ingest.upload_help": (
            "支持 CSV（UTF-8 或 GB18030）、Excel（.xlsx）和 Parquet。上传后自动清洗、校验、"
            "标识符令牌化和脱敏，原始文件仅以 SM4 加密保存；不合格的行进入隔离区并注明原因。"
            "与当前版本内容相同的文件不会重复入库；与某个历史版本相同的文件会恢复为新版本。"
            "若上传后没有任何行通过校验，或通过的行数远少于当前版本（低于平台设定的比例），"
            "此次上传会先等待您确认，当前版本保持不变。",
            "CSV (UTF-8 or GB18030), Excel (.xlsx) and Parquet. Uploads are cleaned, "
            "validated, identifiers tokenized and masked; the raw file is kept only SM4-"
            "encrypted; rejected rows go to the quarantine with their reasons. A file with "
            "the current version's content is not stored again; a file equal to an earlier "
            "version restores it as a new version. If no row of an upload passes the checks, "
            "or far fewer than the current version's rows do (under the platform's set share), "
            "the upload waits for your confirmation and the current version stays.",
        ),
        "ingest.file": ("文件", "File"),
        "report.status": ("状态", "Status"),
        "ingest.runs": ("汇聚记录", "Ingestion runs"),
        "ingest.failed_title": ("上传未能入库", "The upload was not stored"),
        "ingest.decision_failed_title": ("操作未能完成", "The action was not completed"),
        "ingest.back": ("返回数据资源", "Back to the resource"),
        "ingest.back_list": ("返回数据资源列表", "Back to the resources"),
        "ingest.pending_hold": (
            "有一次上传（{name}）正在等待您确认；确认之前，当前版本保持不变。",
            "An upload ({name}) is waiting for your confirmation; until then the current "
            "version stays.",
        ),
        "ingest.pending_hold_link": ("查看并决定", "Review and decide"),
        "report.title": ("数据质量报告", "Data quality report"),
        "report.status.ingested": ("已入库", "Stored"),
        "report.status.duplicate": (
            "内容与当前版本相同，未重复入库",
            "Same content as the current version; nothing written",
        ),
        "report.status.held": ("待确认：当前版本未被替换", "Held: the current version stays"),
        "report.status.discarded": ("已放弃，未入库", "Discarded; not stored"),
        "report.status.superseded": (
            "已被后续上传取代，未入库",
            "Superseded by a later upload; not stored",
        ),
        "report.restores": (
            "此文件与历史版本 v{old} 的内容完全相同（SM3 一致），已恢复为新版本 v{new}。",
            "This file has exactly the content of the earlier version v{old} (same SM3), "
            "and is restored as the new version v{new}.",
        ),
        "report.restores_held": (
            "此文件与历史版本 v{old} 的内容完全相同；确认后将恢复为新版本。",
            "This file has exactly the content of the earlier version v{old}; confirmed, it "
            "is restored as a new version.",
        ),
        "report.rows_total": ("总行数", "Rows"),
        "report.rows_accepted": ("入库行数", "Stored"),
        "report.rows_rejected": ("隔离行数", "Quarantined"),
        "report.completeness": ("完整性", "Completeness"),
        "report.accuracy": ("准确性", "Accuracy"),
        "report.consistency": ("一致性", "Consistency"),
        "report.timeliness": ("及时性", "Timeliness"),
        "report.overall": ("综合得分", "Overall"),
        "report.failures": ("规则校验", "Rule checks"),
        "report.failures_found": (
            "以下规则未通过，不合格的行已进入隔离区：",
            "These rules failed; the rows that failed went to the quarantine:",
        ),
        "report.field": ("数据项", "Field"),
        "report.rule": ("规则", "Rule"),
        "report.count": ("行数", "Rows"),
        "report.samples": ("示例行号", "Sample rows"),
        "report.none": ("全部规则校验通过。", "Every rule passed."),
        "report.whole_row": ("整行", "Whole row"),
        "report.link": ("质量报告", "Quality report"),
        "ingest.all_runs": ("全部 {total} 次汇聚记录 ›", "All {total} ingestion runs ›"),
        "ingest.current": (
            "当前版本：v{version}（{rows} 行）",
            "Current version: v{version} ({rows} rows)",
        ),
        "ingest.no_runs": (
            "还没有上传过数据。",
            "No data has been uploaded yet.",
        ),
        "ingest.no_runs_provider": (
            "还没有上传过数据。请在上方选择文件上传。",
            "No data has been uploaded yet. Choose a file above to upload.",
        ),
        "ingest.search": ("搜索文件名", "Search file names"),
        "report.quarantine": ("隔离区（前 50 行）", "Quarantine (first 50 rows)"),
        "report.row": ("行号", "Row"),
        "report.reasons": ("原因", "Reasons"),
        "report.raw": ("原始内容", "As received"),
        "report.version": ("版本", "Version"),
        "report.file_ticket": ("就此数据提交纠错工单", "File a correction ticket on this data"),
        "hold.title": ("此次上传等待您确认", "This upload is waiting for your confirmation"),
        "hold.no_rows": (
            "这个文件没有任何一行通过校验（可能只有表头，或所有行都进入了隔离区）。"
            "如果确认，数据集将变为空，数据使用方将看不到任何数据。",
            "No row of this file passed the checks (it may hold only a header, or every row "
            "went to the quarantine). Confirmed, it would leave the dataset empty, and users "
            "of the data would see nothing.",
        ),
        "hold.shrinks": (
            "这个文件通过校验的行数为 {accepted} 行，只有当前版本 v{version}（{current} 行）的 "
            "{share}%，低于 {threshold}% 的提示线。如果确认，数据将大幅减少。",
            "{accepted} rows of this file passed the checks: only {share}% of the current "
            "version v{version} ({current} rows), under the {threshold}% line. Confirmed, the "
            "data would shrink sharply.",
        ),
        "hold.kept": (
            "在您确认之前，当前版本保持不变，数据使用方看到的仍是当前版本。请先查看下方的隔离区和"
            "校验结果：多数情况下是文件导出有误，修正后重新上传即可（重新上传会自动取代此次上传）。",
            "Until you confirm, the current version stays and users of the data keep seeing "
            "it. Look at the quarantine and the rule failures below first: usually the export "
            "went wrong, and uploading a corrected file is enough (it supersedes this one).",
        ),
        "hold.compare": ("对比", "Comparison"),
        "hold.current": ("当前版本", "Current version"),
        "hold.this_upload": ("此次上传", "This upload"),
        "hold.change": ("变化", "Change"),
        "hold.no_version": ("无（数据集尚无数据）", "none (the dataset has no data yet)"),
        "hold.confirm": (
            "确认：以此文件替换当前版本",
            "Confirm: replace the current version with this file",
        ),
        "hold.confirm_empty": (
            "确认：以此文件作为第一个版本（数据集为空）",
            "Confirm: make this file the first version (the dataset stays empty)",
        ),
        "hold.discard": (
            "放弃此次上传，保留当前版本",
            "Discard this upload, keep the current version",
        ),
        "hold.confirm_sure": (
            "确认以此文件替换当前版本？替换后数据使用方将看到此次上传的数据。",
            "Replace the current version with this file? Users of the data will then see "
            "this upload's data.",
        ),
        "hold.audited": (
            "确认或放弃都会以您的名义记入审计日志。",
            "Confirming or discarding is recorded in the audit log under your name.",
        ),
        "hold.decided": ("由 {who} 于 {at} 决定。", "Decided by {who} at {at}."),
        "hold.wait_for_provider": (
            "此次上传等待数据提供部门确认；确认之前当前版本保持不变。",
            "This upload waits for its providing department to confirm it; until then the "
            "current version stays.",
        ),
    }
)


#: What a quality report's rules are called: a type's own check is named after the type.
RULES: Final[dict[str, tuple[str, str]]] = {
    "required": ("必填项为空", "Required value missing"),
    "unique": ("值重复", "Duplicate value"),
    "range": ("超出取值范围", "Out of range"),
    "enum": ("不在可选值内", "Not an allowed value"),
    "pattern": ("格式不符合要求", "Does not match the pattern"),
    "consistency": ("在关联数据中找不到", "Not found in the referenced data"),
    MALFORMED_ROW: ("整行格式有误（如列数不符）", "Malformed row (e.g. wrong number of columns)"),
    **{
        code: (f"不是有效的{zh}", f"Not a valid {en[0].lower()}{en[1:]}")
        for code, (zh, en) in FIELD_TYPES.items()
    },
}
add_messages({f"vocab.quality_rule.{code}": labels for code, labels in RULES.items()})

#: The newest uploads shown on a resource's page; the rest are a link away.
PANEL_RUNS: Final = 10
RUNS = ListSpec(
    sorts=tuple(repository.RUN_SORTS), filters=("status",), default_sort="-started", size=50
)


def _uploads_panel(
    actor: Principal, session: DbSession, resource: ResourceRead
) -> ResourcePanel | None:
    """The upload form (for the providing department), the resource's newest uploads with
    their quality reports and a link to all of them (for whoever may see them: that
    department and the bureau's side)."""
    runs = service.recent_runs(session, actor=actor, resource_id=resource.id, size=PANEL_RUNS)
    waiting = service.waiting_hold(session, actor=actor, resource_id=resource.id)
    return ResourcePanel(
        "ingestion/_resource_panel.html",
        {"runs": runs.items, "total": runs.total, "waiting": waiting},
    )


add_resource_panel(_uploads_panel)


@router.get("/console/resources/{resource_id}/ingestions", response_class=HTMLResponse)
def runs_page(
    request: Request,
    resource_id: uuid.UUID,
    actor: QualityReader,
    session: DbSession,
    locale: Locale,
    listing: Annotated[ListQuery, Depends(RUNS)],
) -> HTMLResponse:
    """Every upload of a resource, a page at a time, each with its quality report."""
    page = service.run_page(session, actor=actor, resource_id=resource_id, query=listing)
    resource = catalog.get_resource(session, actor=actor, resource_id=resource_id)
    statuses = [(code, translate(f"report.status.{code}", locale)) for code in states.RUN.states]
    return render_list(
        request,
        "ingestion/runs.html",
        {
            "resource": resource,
            "filters": [("status", translate("report.status", locale), statuses)],
        },
        page=page,
        rows_template="ingestion/_run_rows.html",
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
        undo_keeping_refusal(session, error)
        return render(
            request,
            "ingestion/upload_failed.html",
            {
                "title": "ingest.failed_title",
                "message": error.detail(locale),
                "resource_id": resource_id if error.status != 404 else None,
            },
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
    resource = catalog.get_resource(session, actor=actor, resource_id=run.resource_id)
    own = actor.organization_id == run.provider_id and actor.has(P.DATA_INGEST)
    rows = []
    if run.quarantine_path and own:
        rows = service.quarantined_rows(
            session, actor=actor, clock=clock, settings=settings, run_id=run.id, limit=50
        )
    fields = {f.name: f.title for f in catalog.fields_of(session, resource_id=resource.id)}
    return render(
        request,
        "ingestion/report.html",
        {
            "run": run,
            "resource": resource,
            "field_titles": fields,
            "quarantine": rows,
            "hold": service.hold_preview(session, settings=settings, run=run),
            "can_decide": own and run.status == states.HELD,
        },
    )


@router.post("/console/ingestions/{run_id}/confirm", response_class=HTMLResponse)
def confirm(
    request: Request,
    run_id: uuid.UUID,
    actor: Ingester,
    session: DbSession,
    clock: AppClock,
    settings: AppSettings,
    locale: Locale,
) -> Response:
    try:
        service.confirm(session, actor=actor, clock=clock, settings=settings, run_id=run_id)
    except SluiceError as error:
        undo_keeping_refusal(session, error)
        return _decision_failed(request, error, locale)
    return RedirectResponse(f"/console/ingestions/{run_id}", status_code=303)


@router.post("/console/ingestions/{run_id}/discard", response_class=HTMLResponse)
def discard(
    request: Request,
    run_id: uuid.UUID,
    actor: Ingester,
    session: DbSession,
    clock: AppClock,
    settings: AppSettings,
    locale: Locale,
) -> Response:
    try:
        service.discard(session, actor=actor, clock=clock, settings=settings, run_id=run_id)
    except SluiceError as error:
        undo_keeping_refusal(session, error)
        return _decision_failed(request, error, locale)
    return RedirectResponse(f"/console/ingestions/{run_id}", status_code=303)


def _decision_failed(request: Request, error: SluiceError, locale: str) -> HTMLResponse:
    return render(
        request,
        "ingestion/upload_failed.html",
        {"title": "ingest.decision_failed_title", "message": error.detail(locale)},
        status_code=error.status,
    )
