"""Console pages of the sandbox: the workspaces list, and a workspace's page with the SQL
editor (CodeMirror, wired in ``static/sandbox.js``), the result or the refusal explained, the
views with their columns and the column-rule table, saved queries and the history (the
list pattern). The bureau sees the views and rules of every workspace, never a query."""

from __future__ import annotations

import uuid
from typing import Annotated, Any, Final

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from sluice.core.database import undo_keeping_refusal
from sluice.core.errors import NotFound, SluiceError
from sluice.core.i18n import add_messages, translate
from sluice.core.paging import ListQuery
from sluice.core.permissions import Permission as P
from sluice.core.principal import Principal
from sluice.dataplane.column_rules import RULES_HEADERS, RULES_TABLE
from sluice.sandbox import queries, workspaces
from sluice.sandbox.queries import QueryOutcome
from sluice.sandbox.repository import HISTORY_SORTS, WORKSPACE_SORTS
from sluice.web.deps import AppClock, AppSettings, DbSession, Locale, Requires
from sluice.web.listing import ListSpec, is_list_request, render_list
from sluice.web.templating import NavItem, add_nav, render

router = APIRouter(tags=["console"])
Reader = Annotated[Principal, Depends(Requires(P.SANDBOX_READ))]
Querier = Annotated[Principal, Depends(Requires(P.SANDBOX_QUERY))]

WORKSPACES: Final = ListSpec(sorts=WORKSPACE_SORTS, filters=("status",), default_sort="-opened")
HISTORY: Final = ListSpec(
    sorts=HISTORY_SORTS, filters=("outcome",), default_sort="-submitted", size=20
)

add_nav(NavItem("nav.workspaces", "/console/workspaces", P.SANDBOX_READ, order=71))
add_messages(
    {
        "nav.workspaces": ("沙箱工作区", "Sandbox workspaces"),
        "sandbox.title": ("沙箱工作区", "Sandbox workspaces"),
        "sandbox.lead": (
            "每份授权运营协议（含续期）有一个沙箱工作区：运营机构在平台内用 SQL 分析授权范围内的"
            "数据，原始数据不出平台。每次查询都经授权、查询规则和列规则判定并记入审计日志。",
            "Each authorization agreement (with its renewals) has one sandbox workspace: the "
            "operator analyses the data in scope with SQL inside the platform, and raw data "
            "never leaves it. Every query is decided against the agreement, the query rules and "
            "the column rules, and recorded in the audit log.",
        ),
        "sandbox.lead_bureau": (
            "数据局可查看各工作区的视图和列规则，不能运行查询，也看不到查询结果。",
            "The bureau sees each workspace's views and column rules; it runs no query and sees "
            "no result.",
        ),
        "sandbox.search": ("搜索场景或运营机构", "Search scenarios or operators"),
        "sandbox.scenario": ("场景", "Scenario"),
        "sandbox.operator": ("运营机构", "Operator"),
        "sandbox.opened": ("开放时间", "Opened"),
        "sandbox.closed_at": ("关闭时间", "Closed"),
        "sandbox.queries_count": ("查询次数", "Queries"),
        "sandbox.empty": (
            "还没有沙箱工作区。授权运营协议生效后即有工作区。",
            "No sandbox workspace yet. An agreement has one once it takes effect.",
        ),
        "sandbox.agreement": ("授权协议", "Agreement"),
        "sandbox.closed_notice": (
            "该工作区已随授权协议终止而关闭：可查看视图和历史，查询将被拒绝。",
            "This workspace closed when its agreement ended: its views and history stay "
            "readable, and queries are refused.",
        ),
        "sandbox.editor": ("SQL 查询", "SQL query"),
        "sandbox.editor_hint": (
            "只能查询下方的视图；一次一条 SELECT。Ctrl+Enter 运行。逐行结果最多 {cap} 行。",
            "Only the views below can be read; one SELECT at a time. Ctrl+Enter runs it. "
            "Row-level results show at most {cap} rows.",
        ),
        "sandbox.run": ("运行", "Run"),
        "sandbox.save_as": ("保存为", "Save as"),
        "sandbox.save": ("保存", "Save"),
        "sandbox.saved_name": ("查询名称", "Query name"),
        "sandbox.saved": ("保存的查询", "Saved queries"),
        "sandbox.saved_empty": ("还没有保存的查询。", "No saved query yet."),
        "sandbox.saved_done": ("已保存“{name}”。", "Saved “{name}”."),
        "sandbox.load": ("载入编辑器", "Load"),
        "sandbox.delete": ("删除", "Delete"),
        "sandbox.delete_confirm": ("删除这个保存的查询？", "Delete this saved query?"),
        "sandbox.deleted": ("已删除。", "Deleted."),
        "sandbox.result": ("查询结果", "Result"),
        "sandbox.result_meta": (
            "{rows} 行 · 用时 {ms} 毫秒 · 查询编号 {id}",
            "{rows} rows · {ms} ms · query {id}",
        ),
        "sandbox.truncated": (
            "结果已截断：只显示前 {rows} 行（逐行结果的上限）。请改用聚合查询得到完整统计。",
            "The result was cut: only the first {rows} rows are shown (the row-level limit). "
            "Aggregate to get complete figures.",
        ),
        "sandbox.versions_read": ("读取的数据版本", "Dataset versions read"),
        "sandbox.version_of": ("{view} 第 {version} 版", "{view} version {version}"),
        "sandbox.no_rows": ("查询没有返回任何行。", "The query returned no rows."),
        "sandbox.refused": ("查询未被执行", "The query was not run"),
        "sandbox.refused_code": ("拒绝代码", "Refusal code"),
        "sandbox.views": ("可查询的视图", "Views you can query"),
        "sandbox.views_empty": (
            "授权范围内的数据资源还没有数据。",
            "No resource in scope has data yet.",
        ),
        "sandbox.view_meta": (
            "{title} · 第 {version} 版 · {rows} 行",
            "{title} · version {version} · {rows} rows",
        ),
        "sandbox.column": ("列", "Column"),
        "sandbox.type": ("类型", "Type"),
        "sandbox.class": ("分级", "Class"),
        "sandbox.form": ("形式", "Form"),
        "sandbox.rules": ("列规则", "Column rules"),
        "sandbox.rules_lead": (
            "每一列按其分级和形式可以怎样使用；从列派生的表达式沿用该列的规则。",
            "What a query may do with a column, by its class and form; anything derived from "
            "a column keeps the column's rule.",
        ),
        "sandbox.history": ("查询历史", "Query history"),
        "sandbox.history_search": ("搜索 SQL", "Search the SQL"),
        "sandbox.history_empty": ("还没有查询。", "No query yet."),
        "sandbox.submitted": ("提交时间", "Submitted"),
        "sandbox.outcome": ("结果", "Outcome"),
        "sandbox.outcome.ok": ("已执行", "Run"),
        "sandbox.outcome.refused": ("被拒绝", "Refused"),
        "sandbox.rows": ("行数", "Rows"),
        "sandbox.by": ("提交人", "By"),
    }
)


def _workspace_rows(
    session: DbSession, actor: Principal, clock: AppClock, listing: ListQuery
) -> dict[str, Any]:
    page = workspaces.workspace_page(session, actor=actor, at=clock.now(), query=listing)
    counts = workspaces.query_counts(session, [r.workspace for r in page.items])
    return {"page": page, "counts": counts}


@router.get("/console/workspaces", response_class=HTMLResponse)
def workspaces_page(
    request: Request,
    actor: Reader,
    session: DbSession,
    clock: AppClock,
    locale: Locale,
    listing: Annotated[ListQuery, Depends(WORKSPACES)],
) -> HTMLResponse:
    found = _workspace_rows(session, actor, clock, listing)
    statuses = [
        (s, translate(f"state.workspace.{s}", locale)) for s in (workspaces.OPEN, workspaces.CLOSED)
    ]
    return render_list(
        request,
        "sandbox/workspaces.html",
        {
            "rows": found["page"].items,
            "counts": found["counts"],
            "filters": [("status", translate("common.status", locale), statuses)],
            "may_query": actor.has(P.SANDBOX_QUERY),
        },
        page=found["page"],
        rows_template="sandbox/_workspace_rows.html",
    )


def _workspace_page(
    request: Request,
    actor: Principal,
    session: DbSession,
    clock: AppClock,
    settings: AppSettings,
    workspace_id: uuid.UUID,
    listing: ListQuery,
    *,
    sql: str = "",
    outcome: QueryOutcome | None = None,
    refusal: SluiceError | None = None,
    message: str | None = None,
    error: str | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    at = clock.now()
    workspace = workspaces.visible(session, actor=actor, at=at, workspace_id=workspace_id)
    context: dict[str, Any] = {
        "workspace": workspace,
        "agreement": workspaces.agreement(session, workspace, at=at),
        "views": workspaces.views(session, workspace, at=at),
        "rules_headers": RULES_HEADERS,
        "rules": RULES_TABLE,
        "may_query": actor.has(P.SANDBOX_QUERY),
        "row_cap": settings.sandbox_row_cap,
        "sql": sql,
        "outcome": outcome,
        "refusal": refusal,
        "message": message,
        "error": error,
        # The page's own address, also after a POST (the history's toolbar and the
        # language switch come back here).
        "path": f"/console/workspaces/{workspace.id}",
    }
    if not context["may_query"]:
        return render(request, "sandbox/workspace.html", context, status_code=status_code)
    context["saved"] = queries.saved(session, actor=actor, at=at, workspace_id=workspace.id)
    history = queries.history(
        session, actor=actor, at=at, workspace_id=workspace.id, listing=listing
    )
    response = render_list(
        request,
        "sandbox/workspace.html",
        context,
        page=history,
        list_id="history",
        rows_template="sandbox/_history_rows.html",
    )
    response.status_code = status_code
    return response


def _uuid(raw: str | None) -> uuid.UUID | None:
    try:
        return uuid.UUID(raw) if raw else None
    except ValueError:
        return None


@router.get("/console/workspaces/{workspace_id}", response_class=HTMLResponse)
def workspace_page(
    request: Request,
    workspace_id: uuid.UUID,
    actor: Reader,
    session: DbSession,
    clock: AppClock,
    settings: AppSettings,
    locale: Locale,
    listing: Annotated[ListQuery, Depends(HISTORY)],
    load: str | None = None,
    again: str | None = None,
    done: str | None = None,
) -> HTMLResponse:
    """The workspace; ``load`` puts a saved query in the editor, ``again`` one of the
    history's."""
    sql, message = "", None
    at = clock.now()
    if actor.has(P.SANDBOX_QUERY) and not is_list_request(request, "history"):
        if (saved_id := _uuid(load)) is not None:
            saved = queries.saved_query(
                session, actor=actor, at=at, workspace_id=workspace_id, saved_id=saved_id
            )
            sql = saved.sql
            if done == "saved":
                message = translate("sandbox.saved_done", locale, name=saved.name)
        elif (query_id := _uuid(again)) is not None:
            sql = queries.query(
                session, actor=actor, at=at, workspace_id=workspace_id, query_id=query_id
            ).sql
        elif load or again:
            raise NotFound("sandbox.query.not_found")
    if done == "deleted":
        message = translate("sandbox.deleted", locale)
    return _workspace_page(
        request, actor, session, clock, settings, workspace_id, listing, sql=sql, message=message
    )


@router.post("/console/workspaces/{workspace_id}/queries", response_class=HTMLResponse)
async def run_query(
    request: Request,
    workspace_id: uuid.UUID,
    actor: Querier,
    session: DbSession,
    clock: AppClock,
    settings: AppSettings,
    locale: Locale,
) -> HTMLResponse:
    """Run the editor's SQL: with htmx the result (or the refusal) alone, else the page."""
    sql = str((await request.form()).get("sql", ""))
    outcome: QueryOutcome | None = None
    refusal: SluiceError | None = None
    try:
        outcome = queries.run(
            session,
            actor=actor,
            settings=settings,
            at=clock.now(),
            workspace_id=workspace_id,
            sql=sql,
        )
    except SluiceError as error:
        if error.status == 404:
            raise
        # The refusal's audit and history rows stay; nothing else the request did does.
        undo_keeping_refusal(session, error)
        refusal = error
    if request.headers.get("HX-Request"):
        # htmx swaps only successful answers: a refusal is shown, not failed.
        return render(
            request,
            "sandbox/_result.html",
            {"outcome": outcome, "refusal": refusal, "row_cap": settings.sandbox_row_cap},
        )
    listing = HISTORY(request)
    return _workspace_page(
        request,
        actor,
        session,
        clock,
        settings,
        workspace_id,
        listing,
        sql=sql,
        outcome=outcome,
        refusal=refusal,
        status_code=refusal.status if refusal else 200,
    )


@router.post("/console/workspaces/{workspace_id}/saved", response_class=HTMLResponse)
async def save_query(
    request: Request,
    workspace_id: uuid.UUID,
    actor: Querier,
    session: DbSession,
    clock: AppClock,
    settings: AppSettings,
    locale: Locale,
) -> Response:
    form = await request.form()
    sql, name = str(form.get("sql", "")), str(form.get("name", ""))
    try:
        saved = queries.save(
            session, actor=actor, at=clock.now(), workspace_id=workspace_id, name=name, sql=sql
        )
    except SluiceError as error:
        if error.status in (403, 404):
            raise
        undo_keeping_refusal(session, error)
        return _workspace_page(
            request,
            actor,
            session,
            clock,
            settings,
            workspace_id,
            HISTORY(request),
            sql=sql,
            error=error.detail(locale),
            status_code=error.status,
        )
    return RedirectResponse(
        f"/console/workspaces/{workspace_id}?load={saved.id}&done=saved", status_code=303
    )


@router.post(
    "/console/workspaces/{workspace_id}/saved/{saved_id}/delete", response_class=HTMLResponse
)
def delete_saved_query(
    workspace_id: uuid.UUID,
    saved_id: uuid.UUID,
    actor: Querier,
    session: DbSession,
    clock: AppClock,
) -> Response:
    queries.delete_saved(
        session, actor=actor, at=clock.now(), workspace_id=workspace_id, saved_id=saved_id
    )
    return RedirectResponse(f"/console/workspaces/{workspace_id}?done=deleted", status_code=303)
