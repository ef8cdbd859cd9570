"""The bureau's workbench panel of export requests awaiting review. Read through
``exports`` like the list page, so it shows only what the list would."""

from __future__ import annotations

from sluice.core.clock import display
from sluice.core.i18n import add_messages
from sluice.core.permissions import Permission, Role
from sluice.sandbox import exports
from sluice.web.workbench import ROWS, Context, Panel, PanelContent, Todo, add_panel

PAGE = "/console/exports"

add_messages(
    {
        "workbench.exports": ("结果出域审核", "Result exports to review"),
        "workbench.exports.waiting": (
            "待审核：{n} 项结果出域申请",
            "To review: {n} result export requests",
        ),
        "workbench.exports.row": (
            "{scenario} · {operator}（抑制 {suppressed} / {groups} 组）",
            "{scenario} · {operator} ({suppressed} of {groups} groups suppressed)",
        ),
        "workbench.exports.none": (
            "没有待审核的出域申请。",
            "No export request awaits review.",
        ),
        "workbench.exports.all": ("全部出域申请", "All export requests"),
    }
)


def _load(ctx: Context) -> PanelContent:
    count, rows = exports.pending(ctx.session, actor=ctx.principal, limit=ROWS)
    todos = []
    if count:
        todos.append(
            Todo(
                ctx._("workbench.exports.waiting", n=count),
                f"{PAGE}?status=pending",
                rows=[
                    Todo(
                        ctx._(
                            "workbench.exports.row",
                            scenario=r.scenario,
                            operator=r.operator,
                            suppressed=r.export.suppressed_groups,
                            groups=r.export.groups,
                        ),
                        f"{PAGE}/{r.export.id}",
                        meta=display(r.export.requested_at),
                    )
                    for r in rows
                ],
            )
        )
    return PanelContent(
        todos=todos,
        note=ctx._("workbench.exports.none"),
        more_href=PAGE,
        more_label=ctx._("workbench.exports.all"),
    )


add_panel(
    Panel(
        "workbench.exports",
        Permission.SANDBOX_EXPORT_REVIEW,
        _load,
        order=46,
        roles=frozenset({Role.BUREAU}),
    )
)
