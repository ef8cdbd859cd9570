"""Console pages of the export gate: the operator's request form (from a query of its
workspace's history), the list of export requests (the bureau reviews the waiting ones
there: SQL, checks, suppressed groups, ε and the candidate's first rows, approve or reject),
and one request's page (its downloads for the operator once approved). Thin: the service
decides and refuses; a refusal is shown on the same page in the reader's language."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Annotated, Any, Final

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import HTMLResponse, Response
from sqlalchemy.orm import Session

from sluice.core.database import undo_keeping_refusal
from sluice.core.errors import NotFound, SluiceError
from sluice.core.i18n import add_messages, translate
from sluice.core.paging import ListQuery
from sluice.core.permissions import Permission as P
from sluice.core.principal import Principal
from sluice.core.settings import Settings
from sluice.sandbox import exports, queries, workspaces
from sluice.sandbox.export_models import ExportRequest
from sluice.sandbox.export_repository import EXPORT_SORTS
from sluice.sandbox.export_states import APPROVED, LAPSED, PENDING, REJECTED
from sluice.web.deps import AppClock, AppSettings, DbSession, Locale, Requires
from sluice.web.forms import form_text, see_other
from sluice.web.listing import ListSpec, render_list
from sluice.web.templating import NavItem, add_nav, render

router = APIRouter(tags=["console"])
Reader = Annotated[Principal, Depends(Requires(P.SANDBOX_READ))]
Querier = Annotated[Principal, Depends(Requires(P.SANDBOX_QUERY))]
Reviewer = Annotated[Principal, Depends(Requires(P.SANDBOX_EXPORT_REVIEW))]

EXPORTS_PAGE: Final = "/console/exports"
EXPORTS: Final = ListSpec(
    sorts=EXPORT_SORTS, filters=("status", "workspace"), default_sort="-requested", size=10
)
#: Rows of a candidate shown on the list's cards, and on a request's own page.
CARD_ROWS: Final = 5
PAGE_ROWS: Final = 50
_DONE: Final = ("requested", "approved", "rejected")

add_nav(NavItem("nav.exports", EXPORTS_PAGE, P.SANDBOX_READ, order=71))
add_messages(
    {
        "nav.exports": ("结果出域", "Result exports"),
        "exports.title": ("结果出域申请", "Result export requests"),
        "exports.lead": (
            "沙箱中的查询结果只有经过自动检查和数据局审核才能出域：不含标识符令牌、脱敏标识和敏感字段的"
            "逐条取值；每个分组至少覆盖 {k} 个不同主体，不足的分组被抑制并计数；可选差分隐私噪声。"
            "批准后由数据局以 SM2 签署出域清单。",
            "A sandbox result leaves the platform only after automatic checks and the "
            "bureau's review: no identifier tokens, masked identifiers or row values of "
            "sensitive fields; every group covers at least {k} distinct subjects, and smaller "
            "groups are suppressed and counted; optional differential-privacy noise. On "
            "approval the bureau signs the export's manifest with SM2.",
        ),
        "exports.search": (
            "搜索场景、运营机构、用途或 SQL",
            "Search scenarios, operators, purposes or SQL",
        ),
        "exports.empty": (
            "还没有出域申请。运营机构可在工作区的查询历史中对成功运行的查询申请出域。",
            "No export request yet. An operator asks from a query that ran, in its "
            "workspace's history.",
        ),
        "exports.pending": ("待审核", "Awaiting review"),
        "exports.decided": ("已处理的申请", "Decided requests"),
        "exports.scenario": ("场景", "Scenario"),
        "exports.operator": ("运营机构", "Operator"),
        "exports.purpose": ("用途", "Purpose"),
        "exports.requested": ("申请人和时间", "Requested"),
        "exports.status": ("状态", "Status"),
        "exports.submitted_sql": ("查询", "Query"),
        "exports.sql": ("实际执行的 SQL（规范化后）", "The SQL run (as the policy normalised it)"),
        "exports.sql_sm3": ("SQL 的 SM3：{digest}", "SM3 of the SQL: {digest}"),
        "exports.versions": ("读取的数据版本", "Dataset versions read"),
        "exports.checks": ("自动检查", "Automatic checks"),
        "exports.suppression": ("主体数检查", "Subject counts"),
        "exports.suppressed": (
            "共 {groups} 个分组，{suppressed} 个分组不足 {k} 个主体，已抑制",
            "{groups} groups, of which {suppressed} covered fewer than {k} subjects and were "
            "suppressed",
        ),
        "exports.suppressed_short": (
            "抑制 {suppressed} / {groups} 组",
            "{suppressed} of {groups} suppressed",
        ),
        "exports.no_subjects": (
            "所读视图不含主体标识（个人或企业），不适用主体数检查。",
            "The views read identify no subjects (people or enterprises); the subject count "
            "does not apply.",
        ),
        "exports.epsilon": ("差分隐私 ε", "Differential privacy ε"),
        "exports.no_noise": ("未加噪声", "No noise"),
        "exports.noise_column": (
            "{column}：{aggregate}，敏感度 {sensitivity}，ε {epsilon}，拉普拉斯尺度 {scale}",
            "{column}: {aggregate}, sensitivity {sensitivity}, ε {epsilon}, Laplace scale {scale}",
        ),
        "exports.candidate": (
            "候选结果（前 {n} 行，共 {rows} 行）",
            "Candidate result (first {n} of {rows} rows)",
        ),
        "exports.candidate_gone": (
            "候选结果文件已删除或随协议数据销毁。",
            "The candidate file was deleted or destroyed with the agreement's data.",
        ),
        "exports.file": ("文件", "File"),
        "exports.file_meta": (
            "{rows} 行 · {bytes} 字节 · SM3 {sm3}",
            "{rows} rows · {bytes} bytes · SM3 {sm3}",
        ),
        "exports.approve": ("批准出域", "Approve the export"),
        "exports.approve_note": ("审核意见（可选）", "Note (optional)"),
        "exports.reject": ("驳回", "Reject"),
        "exports.reject_reason": ("驳回理由", "Why not"),
        "exports.decision": ("审核", "Review"),
        "exports.decided_by": ("{who} 于 {when}", "{who} at {when}"),
        "exports.reason": ("理由", "Reason"),
        "exports.open": ("查看", "Open"),
        "exports.download_file": ("下载结果文件（CSV）", "Download the result (CSV)"),
        "exports.download_manifest": (
            "下载签名清单（JSON）",
            "Download the signed manifest (JSON)",
        ),
        "exports.manifest": ("出域清单", "Manifest"),
        "exports.manifest_meta": (
            "清单摘要（SM3）{digest}，由数据局以 SM2 签名；"
            "可用 /api/v1/public-keys 公布的公钥验证。",
            "Manifest digest (SM3) {digest}, signed by the bureau with SM2; verify it with the "
            "public key published at /api/v1/public-keys.",
        ),
        "exports.done.requested": (
            "出域申请已提交，等待数据局审核。",
            "The export request is in; the bureau will review it.",
        ),
        "exports.done.approved": (
            "已批准，出域清单已签署。",
            "Approved; the manifest is signed.",
        ),
        "exports.done.rejected": (
            "已驳回，候选结果文件已删除。",
            "Rejected; the candidate file is deleted.",
        ),
        "exports.new.title": ("申请结果出域", "Request a result export"),
        "exports.new.lead": (
            "提交后，平台按原查询读到的同一数据版本重新运行该查询并自动检查："
            "分组主体数不足 {k} 个的"
            "将被抑制（不出域）并计数。通过检查的候选结果加密保存，经数据局审核批准后方可下载。",
            "On submission the platform re-runs the query over the same dataset versions and "
            "checks it: groups covering fewer than {k} subjects are suppressed (they do not "
            "leave) and counted. The candidate that passes is kept encrypted and can be "
            "downloaded once the bureau approves it.",
        ),
        "exports.new.query": ("查询", "Query"),
        "exports.new.purpose_hint": (
            "出域用途：将用于什么数据产品或服务（至少 2 个字）",
            "What the export is for: the data product or service it serves (2 characters or more)",
        ),
        "exports.new.epsilon": ("差分隐私 ε（可选）", "Differential privacy ε (optional)"),
        "exports.new.epsilon_hint": (
            "填写后为 count 和 sum 列添加拉普拉斯噪声，并从本工作区的隐私预算中扣除：共 {total}，"
            "已用 {spent}，剩余 {left}。ε 越小，噪声越大。",
            "Adds Laplace noise to the count and sum columns and spends it from this "
            "workspace's privacy budget: {total} in all, {spent} spent, {left} left. The "
            "smaller ε, the more noise.",
        ),
        "exports.new.submit": ("提交出域申请", "Request the export"),
        "exports.new.refused": ("未能提交出域申请", "The export was not requested"),
        "exports.request_link": ("申请出域", "Request export"),
        "exports.check.agreement": (
            "授权运营协议有效，并授予数据加工使用权",
            "The agreement is in force and grants the right to process the data",
        ),
        "exports.check.versions": (
            "按原查询读到的同一数据版本重新运行",
            "Re-run over the same dataset versions",
        ),
        "exports.check.policy": (
            "再次通过查询规则和列规则",
            "Passes the query and column rules again",
        ),
        "exports.check.columns": (
            "结果不含标识符令牌、脱敏标识或敏感字段的逐条取值",
            "No identifier token, masked identifier or row value of a sensitive field",
        ),
        "exports.check.subjects": (
            "每个出域分组至少覆盖 {k} 个不同主体",
            "Every exported group covers at least {k} distinct subjects",
        ),
        "exports.check.privacy": (
            "差分隐私：为 {columns} 添加噪声，ε {epsilon}",
            "Differential privacy: noise on {columns}, ε {epsilon}",
        ),
        "exports.by_workspace": ("本工作区的出域申请", "This workspace's export requests"),
    }
)


def _filters(locale: str) -> list[tuple[str, str, list[tuple[str, str]]]]:
    statuses = [
        (s, translate(f"state.sandbox_export.{s}", locale))
        for s in (PENDING, APPROVED, REJECTED, LAPSED)
    ]
    return [("status", translate("exports.status", locale), statuses)]


def _card(settings: Settings, export: ExportRequest, rows: int) -> dict[str, Any]:
    """What a card or a request's page shows besides the row itself."""
    return {
        "candidate": exports.candidate(settings, export, limit=rows),
        "epsilon": exports.epsilon_text(export),
    }


@router.get(EXPORTS_PAGE, response_class=HTMLResponse)
def exports_page(
    request: Request,
    actor: Reader,
    session: DbSession,
    clock: AppClock,
    settings: AppSettings,
    locale: Locale,
    listing: Annotated[ListQuery, Depends(EXPORTS)],
    done: Annotated[str | None, Query(max_length=30)] = None,
) -> HTMLResponse:
    found = exports.page(session, actor=actor, at=clock.now(), query=listing)
    cards = {
        row.export.id: _card(settings, row.export, CARD_ROWS)
        for row in found.items
        if row.export.status == PENDING
    }
    return render_list(
        request,
        "sandbox/exports.html",
        {
            "rows": found.items,
            "cards": cards,
            "filters": _filters(locale),
            "may_review": actor.has(P.SANDBOX_EXPORT_REVIEW),
            "k": settings.sandbox_export_min_subjects,
            "notice": translate(f"exports.done.{done}", locale) if done in _DONE else None,
        },
        page=found,
        rows_template="sandbox/_export_rows.html",
    )


def _export_page(
    request: Request,
    session: Session,
    actor: Principal,
    settings: Settings,
    clock: AppClock,
    locale: str,
    export_id: uuid.UUID,
    *,
    done: str | None = None,
    error: str | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    row = exports.visible(session, actor=actor, at=clock.now(), export_id=export_id)
    export = row.export
    context = {
        "row": row,
        "e": export,
        **_card(settings, export, PAGE_ROWS),
        "may_review": actor.has(P.SANDBOX_EXPORT_REVIEW) and export.status == PENDING,
        "may_download": actor.has(P.SANDBOX_QUERY) and export.status == APPROVED,
        "notice": translate(f"exports.done.{done}", locale) if done in _DONE else None,
        "error": error,
        "rows_shown": PAGE_ROWS,
    }
    return render(request, "sandbox/export.html", context, status_code=status_code)


@router.get(EXPORTS_PAGE + "/{export_id}", response_class=HTMLResponse)
def export_page(
    request: Request,
    export_id: uuid.UUID,
    actor: Reader,
    session: DbSession,
    clock: AppClock,
    settings: AppSettings,
    locale: Locale,
    done: Annotated[str | None, Query(max_length=30)] = None,
) -> HTMLResponse:
    return _export_page(request, session, actor, settings, clock, locale, export_id, done=done)


@router.post(EXPORTS_PAGE + "/{export_id}/approve", response_class=HTMLResponse)
async def approve(
    request: Request,
    export_id: uuid.UUID,
    actor: Reviewer,
    session: DbSession,
    clock: AppClock,
    settings: AppSettings,
    locale: Locale,
) -> Response:
    note = await form_text(request, "note")
    return _review(
        request,
        session,
        actor,
        settings,
        clock,
        locale,
        export_id,
        "approved",
        lambda: exports.approve(
            session, actor=actor, settings=settings, at=clock.now(), export_id=export_id, note=note
        ),
    )


@router.post(EXPORTS_PAGE + "/{export_id}/reject", response_class=HTMLResponse)
async def reject(
    request: Request,
    export_id: uuid.UUID,
    actor: Reviewer,
    session: DbSession,
    clock: AppClock,
    settings: AppSettings,
    locale: Locale,
) -> Response:
    reason = await form_text(request, "reason")
    return _review(
        request,
        session,
        actor,
        settings,
        clock,
        locale,
        export_id,
        "rejected",
        lambda: exports.reject(
            session,
            actor=actor,
            settings=settings,
            at=clock.now(),
            export_id=export_id,
            reason=reason,
        ),
    )


def _review(
    request: Request,
    session: Session,
    actor: Principal,
    settings: Settings,
    clock: AppClock,
    locale: str,
    export_id: uuid.UUID,
    done: str,
    decide: Callable[[], object],
) -> Response:
    """Carry out the bureau's decision, or show the request again with the refusal (its
    audit row kept); a request the reviewer may not see stays a 404."""
    try:
        decide()
    except SluiceError as refused:
        if refused.status == 404:
            raise
        undo_keeping_refusal(session, refused)
        return _export_page(
            request,
            session,
            actor,
            settings,
            clock,
            locale,
            export_id,
            error=refused.detail(locale),
            status_code=refused.status,
        )
    return see_other(f"{EXPORTS_PAGE}/{export_id}?done={done}")


# -- the operator's request -----------------------------------------------------------------


def _new_page(
    request: Request,
    session: Session,
    actor: Principal,
    settings: Settings,
    clock: AppClock,
    workspace_id: uuid.UUID,
    query_id: uuid.UUID,
    *,
    form: dict[str, str] | None = None,
    refusal: SluiceError | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    at = clock.now()
    query = queries.query(session, actor=actor, at=at, workspace_id=workspace_id, query_id=query_id)
    workspace = workspaces.visible(session, actor=actor, at=at, workspace_id=workspace_id)
    context = {
        "workspace": workspace,
        "query": query,
        "budget": exports.budget(session, settings=settings, workspace=workspace),
        "k": settings.sandbox_export_min_subjects,
        "form": form or {},
        "refusal": refusal,
    }
    return render(request, "sandbox/export_new.html", context, status_code=status_code)


def _query_id(raw: str | None) -> uuid.UUID:
    try:
        return uuid.UUID(raw or "")
    except ValueError:
        raise NotFound("sandbox.query.not_found") from None


@router.get("/console/workspaces/{workspace_id}/exports/new", response_class=HTMLResponse)
def new_export(
    request: Request,
    workspace_id: uuid.UUID,
    actor: Querier,
    session: DbSession,
    clock: AppClock,
    settings: AppSettings,
    query: Annotated[str | None, Query(max_length=40)] = None,
) -> HTMLResponse:
    return _new_page(request, session, actor, settings, clock, workspace_id, _query_id(query))


@router.post("/console/workspaces/{workspace_id}/exports", response_class=HTMLResponse)
async def request_export(
    request: Request,
    workspace_id: uuid.UUID,
    actor: Querier,
    session: DbSession,
    clock: AppClock,
    settings: AppSettings,
) -> Response:
    form = await request.form()
    typed = {k: str(form.get(k, "")) for k in ("query_id", "purpose", "epsilon")}
    query_id = _query_id(typed["query_id"])
    try:
        export = exports.request(
            session,
            actor=actor,
            settings=settings,
            at=clock.now(),
            workspace_id=workspace_id,
            query_id=query_id,
            purpose=typed["purpose"],
            epsilon=typed["epsilon"].strip() or None,
        )
    except SluiceError as refused:
        if refused.status == 404:
            raise
        # The refusal's audit row stays; nothing else the request did does.
        undo_keeping_refusal(session, refused)
        return _new_page(
            request,
            session,
            actor,
            settings,
            clock,
            workspace_id,
            query_id,
            form=typed,
            refusal=refused,
            status_code=refused.status,
        )
    return see_other(f"{EXPORTS_PAGE}/{export.id}?done=requested")
