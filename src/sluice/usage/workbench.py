"""The provider's workbench panel on the use of its data: uses in the last 30 days, how
many were refused, the products built on its data, and the link to the usage page."""

from __future__ import annotations

from sluice.core.i18n import add_messages
from sluice.core.permissions import Permission, Role
from sluice.usage import service
from sluice.usage.pages import PAGE
from sluice.web.workbench import Context, Figure, Panel, PanelContent, add_panel

add_messages(
    {
        "workbench.usage": ("本部门数据的使用", "How your data is used"),
        "workbench.usage.uses": ("近 30 天使用次数", "Uses, last 30 days"),
        "workbench.usage.refused": ("其中被拒绝", "Of which refused"),
        "workbench.usage.products": ("基于本部门数据的产品", "Products on your data"),
        "workbench.usage.more": ("查看使用情况", "See how it is used"),
        "workbench.usage.none": (
            "近 30 天没有使用本部门数据的记录。",
            "Nothing used your data in the last 30 days.",
        ),
    }
)


def _usage(ctx: Context) -> PanelContent:
    usage = service.provider_usage(
        ctx.session, actor=ctx.principal, at=ctx.clock.now(), days=30, locale_name=ctx.locale
    )
    return PanelContent(
        figures=[
            Figure(ctx._("workbench.usage.uses"), str(usage.uses), PAGE),
            Figure(
                ctx._("workbench.usage.refused"), str(usage.refused), PAGE, warn=usage.refused > 0
            ),
            Figure(ctx._("workbench.usage.products"), str(len(usage.products)), PAGE),
        ],
        note="" if usage.uses else ctx._("workbench.usage.none"),
        more_href=PAGE,
        more_label=ctx._("workbench.usage.more"),
    )


add_panel(
    Panel("workbench.usage", Permission.DATA_USAGE_READ, _usage, 45, frozenset({Role.PROVIDER}))
)
