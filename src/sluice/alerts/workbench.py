"""The alerts' workbench panel for the bureau: open alerts by severity and containments in
force, read through ``service`` like the pages."""

from __future__ import annotations

from sluice.alerts import service
from sluice.core.i18n import add_messages
from sluice.core.permissions import Permission, Role
from sluice.web.workbench import Context, Figure, Panel, PanelContent, add_panel

add_messages(
    {
        "workbench.alerts": ("安全告警", "Security alerts"),
        "workbench.alerts.lead": (
            "规则自动发现的异常访问；严重告警已自动暂停相关密钥或工作区。",
            "Abnormal access the rules found; critical alerts already suspended their key or "
            "workspace.",
        ),
        "workbench.alerts.open": ("待处理", "Open"),
        "workbench.alerts.critical": ("其中严重", "Critical among them"),
        "workbench.alerts.none": ("没有待处理的告警。", "No open alerts."),
        "workbench.alerts.all": ("全部告警", "All alerts"),
    }
)

PAGE = "/console/alerts"


def _load(ctx: Context) -> PanelContent:
    counts = service.open_counts(ctx.session, actor=ctx.principal)
    total, critical = sum(counts.values()), counts.get("critical", 0)
    return PanelContent(
        figures=[
            Figure(ctx._("workbench.alerts.open"), str(total), f"{PAGE}?status=open"),
            Figure(
                ctx._("workbench.alerts.critical"),
                str(critical),
                f"{PAGE}?status=open&severity=critical",
                warn=critical > 0,
            ),
        ],
        lead=ctx._("workbench.alerts.lead"),
        note="" if total else ctx._("workbench.alerts.none"),
        more_href=PAGE,
        more_label=ctx._("workbench.alerts.all"),
    )


add_panel(
    Panel(
        "workbench.alerts",
        Permission.ALERTS_READ,
        _load,
        order=53,
        roles=frozenset({Role.BUREAU}),
    )
)
