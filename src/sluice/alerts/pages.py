"""The bureau's alert pages.

* ``/console/alerts``: every alert, newest first, filtered by status, severity, rule and a
  containment in force, searched by subject or organization, paged.
* ``/console/alerts/{id}``: one alert, what it saw against what threshold, its containment,
  its history; acknowledge, dismiss (a false alarm) and lift the containment, each with a
  reason, each audited.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Annotated, Any, Final

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, Response
from sqlalchemy.orm import Session

from sluice.alerts import rules, service
from sluice.alerts.api import ALERTS
from sluice.alerts.models import Alert
from sluice.alerts.states import ALERT
from sluice.core.database import undo_keeping_refusal
from sluice.core.errors import SluiceError
from sluice.core.i18n import add_messages, translate
from sluice.core.paging import ListQuery
from sluice.core.permissions import Permission as P
from sluice.core.principal import Principal
from sluice.web.deps import AppClock, DbSession, Locale, Requires
from sluice.web.forms import form_text, see_other
from sluice.web.listing import render_list
from sluice.web.templating import NavItem, add_nav, render

router = APIRouter(tags=["console"])
Reader = Annotated[Principal, Depends(Requires(P.ALERTS_READ))]
Handler = Annotated[Principal, Depends(Requires(P.ALERTS_HANDLE))]

ALERTS_PAGE: Final = "/console/alerts"
_DONE: Final = ("acknowledge", "dismiss", "lift")

add_nav(NavItem("nav.alerts", ALERTS_PAGE, P.ALERTS_READ, order=59))
add_messages(
    {
        "nav.alerts": ("安全告警", "Security alerts"),
        "alerts.title": ("安全告警", "Security alerts"),
        "alerts.lead": (
            "平台按规则持续检查调用记录、沙箱查询、导出和审计日志：每条规则、每个对象、每个时间窗口至多一条告警。"
            "严重告警会自动暂停相关 API 密钥或沙箱工作区，只有数据局可以在告警页解除。",
            "The platform keeps checking the call log, sandbox queries, exports and the audit "
            "log against its rules: at most one alert per rule, subject and window. A critical "
            "alert suspends its API key or sandbox workspace at once; only the bureau lifts it, "
            "from the alert.",
        ),
        "alerts.search": ("搜索对象或单位", "Search subjects or organizations"),
        "alerts.raised": ("产生时间", "Raised"),
        "alerts.rule": ("规则", "Rule"),
        "alerts.severity": ("严重程度", "Severity"),
        "alerts.subject": ("对象", "Subject"),
        "alerts.organization": ("单位", "Organization"),
        "alerts.observed": ("观测值 / 阈值", "Observed / threshold"),
        "alerts.status": ("状态", "Status"),
        "alerts.containment": ("自动处置", "Containment"),
        "alerts.contained_filter": ("处置生效中", "Containment in force"),
        "alerts.yes": ("是", "Yes"),
        "alerts.empty": ("没有告警。", "No alerts."),
        "alerts.window": ("时间窗口", "Window"),
        "alerts.detail": ("明细", "Details"),
        "alerts.handled": ("处理", "Handled"),
        "alerts.handled_by": (
            "{who} 于 {when}：{reason}",
            "{who} at {when}: {reason}",
        ),
        "alerts.in_force": ("生效中（{when}）", "In force (since {when})"),
        "alerts.lifted": (
            "已由 {who} 于 {when} 解除：{reason}",
            "Lifted by {who} at {when}: {reason}",
        ),
        "alerts.none": ("无", "None"),
        "alerts.incident": ("安全事件", "Incident"),
        "alerts.webhook": ("推送", "Webhook"),
        "alerts.webhook.pending": ("待推送", "Pending"),
        "alerts.webhook.retrying": ("推送失败，将重试", "Failed, will retry"),
        "alerts.webhook.delivered": ("已推送", "Delivered"),
        "alerts.webhook.failed": ("推送失败", "Failed"),
        "alerts.reason": ("理由", "Reason"),
        "alerts.acknowledge": ("确认", "Acknowledge"),
        "alerts.dismiss": ("驳回（误报）", "Dismiss (false alarm)"),
        "alerts.lift": ("解除自动处置", "Lift the containment"),
        "alerts.lift_hint": (
            "解除后 API 密钥或沙箱工作区恢复可用；如仍有异常，下一个时间窗口会再次告警。",
            "Lifting resumes the API key or sandbox workspace; if the behaviour goes on, the "
            "next window raises the alert again.",
        ),
        "alerts.refused": ("未能完成", "Not done"),
        "alerts.history": ("记录", "History"),
        "alerts.done.acknowledge": ("告警已确认。", "The alert is acknowledged."),
        "alerts.done.dismiss": ("告警已驳回。", "The alert is dismissed."),
        "alerts.done.lift": ("自动处置已解除。", "The containment is lifted."),
    }
)


def _filters(locale: str) -> list[tuple[str, str, list[tuple[str, str]]]]:
    return [
        (
            "status",
            translate("alerts.status", locale),
            [(s, translate(f"state.alert.{s}", locale)) for s in ALERT.states],
        ),
        (
            "severity",
            translate("alerts.severity", locale),
            [(s, translate(f"alerts.severity.{s}", locale)) for s in service.SEVERITIES],
        ),
        (
            "rule",
            translate("alerts.rule", locale),
            [(r, translate(f"alerts.rule.{r}", locale)) for r in rules.RULES],
        ),
        (
            "contained",
            translate("alerts.contained_filter", locale),
            [("yes", translate("alerts.yes", locale))],
        ),
    ]


@router.get(ALERTS_PAGE, response_class=HTMLResponse)
def alerts_page(
    request: Request,
    actor: Reader,
    session: DbSession,
    locale: Locale,
    listing: Annotated[ListQuery, Depends(ALERTS)],
) -> HTMLResponse:
    page = service.alert_page(session, actor=actor, query=listing)
    return render_list(
        request,
        "alerts/alerts.html",
        {"filters": _filters(locale), "in_force": service.containment_in_force},
        page=page,
        rows_template="alerts/_alert_rows.html",
    )


def _alert_page(
    request: Request,
    session: Session,
    actor: Principal,
    locale: str,
    alert_id: uuid.UUID,
    *,
    done: str | None = None,
    refusal: SluiceError | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    alert = service.get_alert(session, actor=actor, alert_id=alert_id)
    may = {
        name: actor.has(P.ALERTS_HANDLE) and alert.status in t.sources
        for name, t in ((t.name, t) for t in ALERT.transitions)
        if name != "escalate"
    }
    may["lift"] = actor.has(P.ALERTS_HANDLE) and service.containment_in_force(alert)
    context: dict[str, Any] = {
        "a": alert,
        "may": may,
        "history": service.history(session, actor=actor, alert_id=alert.id),
        "notice": translate(f"alerts.done.{done}", locale) if done in _DONE else None,
        "refusal": refusal,
        "in_force": service.containment_in_force(alert),
    }
    return render(request, "alerts/alert.html", context, status_code=status_code)


@router.get(ALERTS_PAGE + "/{alert_id}", response_class=HTMLResponse)
def alert_page(
    request: Request,
    alert_id: uuid.UUID,
    actor: Reader,
    session: DbSession,
    locale: Locale,
    done: str | None = None,
) -> HTMLResponse:
    return _alert_page(request, session, actor, locale, alert_id, done=done)


def _reasoned(act: Callable[..., Alert], done: str) -> Any:
    async def route(
        request: Request,
        alert_id: uuid.UUID,
        actor: Handler,
        session: DbSession,
        clock: AppClock,
        locale: Locale,
    ) -> Response:
        reason = await form_text(request, "reason")
        try:
            act(session, actor=actor, at=clock.now(), alert_id=alert_id, reason=reason)
        except SluiceError as refused:
            if refused.status == 404:
                raise
            undo_keeping_refusal(session, refused)
            return _alert_page(
                request,
                session,
                actor,
                locale,
                alert_id,
                refusal=refused,
                status_code=refused.status,
            )
        return see_other(f"{ALERTS_PAGE}/{alert_id}?done={done}")

    return route


for _name, _act in (
    ("acknowledge", service.acknowledge),
    ("dismiss", service.dismiss),
    ("lift", service.lift),
):
    router.post(ALERTS_PAGE + "/{alert_id}/" + _name, response_class=HTMLResponse)(
        _reasoned(_act, _name)
    )
