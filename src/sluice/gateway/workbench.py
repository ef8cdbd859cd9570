"""The gateway's workbench panel: a buyer's subscriptions and its calls today; the bureau's
calls today over every buyer. Read through ``service`` like the pages, so it shows only
what they would."""

from __future__ import annotations

from sluice.core.i18n import add_messages
from sluice.core.permissions import Permission, Role
from sluice.gateway import quotas, service
from sluice.web.workbench import Context, Figure, Panel, PanelContent, add_panel

add_messages(
    {
        "workbench.gateway": ("数据产品调用", "Data product calls"),
        "workbench.gateway.lead_buyer": (
            "订阅上架的数据产品，用 API 密钥调用；每次调用都核验授权、同意、配额并计量。",
            "Subscribe to listed data products and call them with an API key; every call is "
            "checked for authorization, consent and quota, and metered.",
        ),
        "workbench.gateway.lead_bureau": (
            "所有数据需求方今天的调用；被拒绝的调用附原因代码。",
            "Every buyer's calls today; refused ones carry their codes.",
        ),
        "workbench.gateway.subscriptions": ("订阅中的产品", "Active subscriptions"),
        "workbench.gateway.calls_today": ("今日调用", "Calls today"),
        "workbench.gateway.refused_today": ("今日被拒绝", "Refused today"),
        "workbench.gateway.none": (
            "今天还没有调用。",
            "No calls today yet.",
        ),
        "workbench.gateway.log": ("调用记录", "Call log"),
    }
)

CALLS_PAGE = "/console/gateway/calls"


def _load(ctx: Context) -> PanelContent:
    since = quotas.window_start("day", ctx.clock.now())
    calls, refused = service.calls_since(ctx.session, actor=ctx.principal, since=since)
    figures = [
        Figure(ctx._("workbench.gateway.calls_today"), str(calls), CALLS_PAGE),
        Figure(
            ctx._("workbench.gateway.refused_today"),
            str(refused),
            f"{CALLS_PAGE}?outcome=refused",
            warn=refused > 0,
        ),
    ]
    buyer = Role.BUYER in ctx.principal.roles
    if buyer:
        active = service.active_subscriptions(ctx.session, actor=ctx.principal)
        figures.insert(
            0,
            Figure(ctx._("workbench.gateway.subscriptions"), str(active), "/console/subscriptions"),
        )
    return PanelContent(
        figures=figures,
        lead=ctx._("workbench.gateway.lead_buyer" if buyer else "workbench.gateway.lead_bureau"),
        note="" if calls else ctx._("workbench.gateway.none"),
        more_href=CALLS_PAGE,
        more_label=ctx._("workbench.gateway.log"),
    )


add_panel(
    Panel(
        "workbench.gateway",
        Permission.GATEWAY_CALLS_READ,
        _load,
        order=52,
        roles=frozenset({Role.BUYER, Role.BUREAU}),
    )
)
