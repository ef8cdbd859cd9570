"""The workbench panel of sandbox workspaces: an operator's own (to open and query), the
bureau's count of open ones. Read through ``workspaces`` like the list page, so what one
may not see there does not appear here either; the console home writes nothing, so a
workspace not opened yet links to the list, which opens it."""

from __future__ import annotations

from sluice.core.i18n import add_messages
from sluice.core.permissions import Permission, Role
from sluice.sandbox import repository, workspaces
from sluice.sandbox.states import OPEN
from sluice.web.workbench import ROWS, Context, Figure, Panel, PanelContent, Todo, add_panel

add_messages(
    {
        "workbench.sandbox": ("沙箱工作区", "Sandbox workspaces"),
        "workbench.sandbox.lead": (
            "在平台内用 SQL 分析授权范围内的数据：原始数据不出平台，每次查询都经判定并留痕。",
            "Analyse the data in scope with SQL inside the platform: raw data stays in, and "
            "every query is decided and recorded.",
        ),
        "workbench.sandbox.lead_bureau": (
            "各运营机构的沙箱工作区及其视图；查询结果只在运营机构的工作区内显示。",
            "The operators' sandbox workspaces and their views; query results show only in "
            "the operator's own workspace.",
        ),
        "workbench.sandbox.open": ("开放的工作区", "Open workspaces"),
        "workbench.sandbox.row": (
            "{scenario}（{queries} 次查询）",
            "{scenario} ({queries} queries)",
        ),
        "workbench.sandbox.closed": ("{scenario}（已关闭）", "{scenario} (closed)"),
        "workbench.sandbox.go": ("进入工作区：", "Open a workspace:"),
        "workbench.sandbox.none": (
            "还没有沙箱工作区：授权运营协议生效后即开放。",
            "No sandbox workspace yet: one opens when an agreement takes effect.",
        ),
        "workbench.sandbox.all": ("全部工作区", "All workspaces"),
        "workbench.sandbox.count": (
            "{open} 个工作区开放，{closed} 个已随协议终止而关闭。",
            "{open} workspaces open, {closed} closed with their agreements.",
        ),
    }
)


_CLOSED = "workbench.sandbox.closed"


def _load(ctx: Context) -> PanelContent:
    # A glance that writes nothing: a workspace not yet opened links to the list, which
    # opens it.
    found = workspaces.summaries(ctx.session, actor=ctx.principal)
    open_count = sum(1 for w in found if w.status == OPEN)
    figure = Figure(ctx._("workbench.sandbox.open"), str(open_count), "/console/workspaces")
    if Role.OPERATOR not in ctx.principal.roles:
        return PanelContent(
            figures=[figure],
            lead=ctx._("workbench.sandbox.lead_bureau"),
            note=ctx._("workbench.sandbox.count", open=open_count, closed=len(found) - open_count)
            if found
            else ctx._("workbench.sandbox.none"),
            more_href="/console/workspaces",
            more_label=ctx._("workbench.sandbox.all"),
        )
    if not found:
        return PanelContent(
            lead=ctx._("workbench.sandbox.lead"), note=ctx._("workbench.sandbox.none")
        )
    shown = found[:ROWS]
    counts = repository.query_counts(ctx.session, [w.id for w in shown if w.id is not None])
    items = [
        Todo(
            ctx._(
                "workbench.sandbox.row" if w.status == OPEN else _CLOSED,
                scenario=w.scenario,
                queries=counts.get(w.id, 0) if w.id else 0,
            ),
            f"/console/workspaces/{w.id}" if w.id else "/console/workspaces",
        )
        for w in shown
    ]
    return PanelContent(
        todos=[Todo(ctx._("workbench.sandbox.go"), "/console/workspaces", rows=items)],
        figures=[figure],
        lead=ctx._("workbench.sandbox.lead"),
        more_href="/console/workspaces",
        more_label=ctx._("workbench.sandbox.all"),
    )


add_panel(Panel("workbench.sandbox", Permission.SANDBOX_READ, _load, order=45))
