"""The provider's page of how its data is used (R9.3): ``/console/usage``.

Parameters: ``days`` (one of ``service.PERIODS``, else the first) and ``resource`` (one of
the provider's resources by id; any other id, or one that is not an id, is 404 as if it did
not exist). The chart is drawn by ECharts from the option the page carries (``data-chart``).
"""

from __future__ import annotations

import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse

from sluice.audit import details
from sluice.catalog.pages import ResourcePanel, add_resource_panel
from sluice.catalog.schemas import ResourceRead
from sluice.core.errors import NotFound
from sluice.core.i18n import add_messages, translate
from sluice.core.permissions import Permission
from sluice.core.principal import Principal
from sluice.usage import service
from sluice.web.deps import AppClock, DbSession, Locale, Requires, clock_of
from sluice.web.templating import NavItem, add_nav, render

router = APIRouter(tags=["console"])
UsageReader = Annotated[Principal, Depends(Requires(Permission.DATA_USAGE_READ))]
PAGE = "/console/usage"

add_nav(NavItem("nav.usage", PAGE, Permission.DATA_USAGE_READ, order=42))
add_messages(
    {
        "nav.usage": ("数据使用情况", "Data usage"),
        "usage.title": ("本部门数据的使用情况", "How your data is used"),
        "usage.title_resource": ("“{name}”的使用情况", "How “{name}” is used"),
        "usage.lead": (
            "来自审计日志：每一次读取本部门数据资源的产品调用、沙箱查询、出域检查与下载都记入日志，"
            "并标明所用的数据资源。这里只列出本部门的数据资源。",
            "From the audit log: every product call, sandbox query, export check and download "
            "that read your department's resources is logged with the resources it used. Only "
            "your own resources are shown here.",
        ),
        "usage.period": ("期间", "Period"),
        "usage.days": ("最近 {n} 天", "Last {n} days"),
        "usage.range": ("{first} 至 {last}（北京时间）", "{first} to {last} (Beijing time)"),
        "usage.all_resources": ("全部数据资源", "All resources"),
        "usage.show": ("查看", "Show"),
        "usage.uses": ("使用次数", "Uses"),
        "usage.refused": ("其中被拒绝", "Of which refused"),
        "usage.products_count": ("基于本部门数据的产品", "Products built on your data"),
        "usage.organizations_count": ("使用单位", "Organizations using it"),
        "usage.chart_title": ("每日使用量", "Uses per day"),
        "usage.resources": ("数据资源", "Resources"),
        "usage.resource": ("数据资源", "Resource"),
        "usage.last_use": ("最近使用", "Last use"),
        "usage.products": ("基于本部门数据的产品", "Products built on your data"),
        "usage.product": ("产品", "Product"),
        "usage.operator": ("运营机构", "Operator"),
        "usage.status": ("状态", "Status"),
        "usage.calls": ("期间调用", "Calls in period"),
        "usage.no_products": ("尚无基于本部门数据的产品。", "No product is built on your data."),
        "usage.organizations": ("使用本部门数据的单位", "Who used your data"),
        "usage.organization": ("单位", "Organization"),
        "usage.org_kind": ("类型", "Kind"),
        "usage.recent": ("最近的使用记录", "Latest uses"),
        "usage.recent_note": (
            "最多列出 {n} 条；完整记录在审计日志中。",
            "At most {n} are listed; the audit log holds them all.",
        ),
        "usage.time": ("时间", "Time"),
        "usage.kind": ("使用方式", "Use"),
        "usage.outcome": ("结果", "Outcome"),
        "usage.none": (
            "所选期间没有使用本部门数据的记录。",
            "Nothing used your data in the chosen period.",
        ),
        "usage.resource_panel": ("数据使用情况", "How it is used"),
        "usage.resource_panel_uses": (
            "近 30 天有 {n} 次使用记录。",
            "{n} uses in the last 30 days.",
        ),
        "usage.resource_panel_link": ("查看使用情况", "See how it is used"),
        "usage.no_resources": (
            "本部门尚未登记数据资源。",
            "Your department has not registered any resource yet.",
        ),
    }
)


def volume_chart(usage: service.Usage, locale: str) -> dict[str, Any]:
    """Uses per day, one stacked bar series per kind of use that occurred."""
    days = [day.isoformat() for day in usage.day_labels]
    series = [
        {
            "name": translate(f"usage.kind.{kind}", locale),
            "type": "bar",
            "stack": "uses",
            "data": counts,
        }
        for kind, counts in usage.volumes.items()
        if any(counts)
    ]
    return {
        "title": {"text": translate("usage.chart_title", locale), "textStyle": {"fontSize": 14}},
        "tooltip": {"trigger": "axis"},
        "legend": {"type": "scroll", "bottom": 0},
        "grid": {"left": 40, "right": 20, "top": 40, "bottom": 60},
        "xAxis": {"type": "category", "data": days},
        "yAxis": {"type": "value", "minInterval": 1},
        "series": series,
    }


def _resource_id(raw: str | None) -> uuid.UUID | None:
    if not raw:
        return None
    try:
        return uuid.UUID(raw)
    except ValueError:
        raise NotFound("usage.resource_not_found") from None


def _days(raw: str | None) -> int:
    try:
        days = int(raw) if raw else service.PERIODS[0]
    except ValueError:
        return service.PERIODS[0]
    return days if days in service.PERIODS else service.PERIODS[0]


@router.get(PAGE, response_class=HTMLResponse)
def usage_page(
    request: Request,
    actor: UsageReader,
    session: DbSession,
    clock: AppClock,
    locale: Locale,
    days: str | None = None,
    resource: str | None = None,
) -> HTMLResponse:
    usage = service.provider_usage(
        session,
        actor=actor,
        at=clock.now(),
        days=_days(days),
        resource_id=_resource_id(resource),
        locale_name=locale,
    )
    rows = [
        {
            "at": use.occurred_at,
            "kind": translate(f"usage.kind.{use.kind}", locale),
            "action": details.action_label(use.action, locale),
            "organization": usage.organization_names.get(use.organization_id, "—")
            if use.organization_id
            else "—",
            "product": usage.product_codes.get(use.product_id, "") if use.product_id else "",
            "resources": [usage.resource_names.get(r, str(r)) for r in use.resource_ids],
            "outcome": use.outcome,
            "outcome_label": details.outcome_label(use.outcome, locale),
            "reason": details.reason_label(use.reason, locale) if use.reason else "",
        }
        for use in usage.recent
    ]
    return render(
        request,
        "usage/provider.html",
        {
            "usage": usage,
            "periods": service.PERIODS,
            "chart": volume_chart(usage, locale) if usage.uses else None,
            "rows": rows,
            "recent_limit": service.RECENT,
            "resource_param": str(usage.resource.id) if usage.resource else "",
            "choices": service.own_resources(session, actor),
        },
    )


# -- a resource's page: how it is used (its own provider only) --------------------------------


def _usage_panel(
    actor: Principal, session: DbSession, resource: ResourceRead
) -> ResourcePanel | None:
    """The uses of the resource in the last 30 days and the link to its usage page, on its
    own provider's view of the resource page. The catalog hands panels no clock, so the
    template asks with the request for the application's."""
    if not actor.has(Permission.DATA_USAGE_READ) or resource.provider.id != actor.organization_id:
        return None

    def uses(request: Request) -> int:
        found = service.provider_usage(
            session, actor=actor, at=clock_of(request).now(), days=30, resource_id=resource.id
        )
        return found.uses

    return ResourcePanel(
        "usage/_resource_usage.html",
        {"uses": uses, "href": f"{PAGE}?resource={resource.id}"},
    )


add_resource_panel(_usage_panel)
