"""The provider quality scoreboard (R4.3): scores, their parts, overdue tickets, resources
late against their update frequency, the trend and the rules it rests on (the version in
force, cited); one provider's page; 立即评估 with a confirmation of what it scored; and the
update section of a resource's page (its frequency, newest version, due day, how late)."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, Any, Final
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from sluice.catalog.pages import ResourcePanel, add_resource_panel
from sluice.catalog.schemas import ResourceRead
from sluice.core.clock import FixedClock, display, local
from sluice.core.errors import NotFound
from sluice.core.i18n import add_messages, translate
from sluice.core.permissions import OrgKind, Role
from sluice.core.permissions import Permission as P
from sluice.core.principal import Principal
from sluice.quality import freshness, rules, service
from sluice.web.deps import AppClock, DbSession, Locale, Requires, clock_of
from sluice.web.templating import NavItem, add_nav, render

router = APIRouter(tags=["console"])
QualityReader = Annotated[Principal, Depends(Requires(P.QUALITY_READ))]
Assessor = Annotated[Principal, Depends(Requires(P.QUALITY_ASSESS))]

#: Lines the trend shows at first: the best and the worst few; the legend adds the rest.
TREND_SHOWN: Final = 3
#: Late resources a provider's page lists (a department holds far fewer datasets).
LATE_SHOWN: Final = 200

add_nav(NavItem("nav.quality", "/console/quality", P.QUALITY_READ, order=40))
add_messages(
    {
        "nav.quality": ("质量评分", "Quality scores"),
        "quality.title": ("数据提供部门质量评分", "Provider data quality scores"),
        "quality.lead": (
            "评分 = 各数据资源综合质量（完整性、准确性、一致性、及时性）的平均值，"
            "每有一张逾期未答复的纠错工单扣 5 分（最多扣 30 分）。",
            "Score = the mean overall quality of the provider's resources (completeness, "
            "accuracy, consistency, timeliness), less 5 points per correction ticket left "
            "past its deadline (at most 30).",
        ),
        "quality.assess": ("立即评估", "Assess now"),
        "quality.assessed": (
            "已完成评估（{at}）：{providers} 个部门，{datasets} 个数据集。",
            "Assessment done ({at}): {providers} providers, {datasets} datasets.",
        ),
        "quality.none": (
            "尚无评估结果。数据局可点击“立即评估”，或运行 sluice quality assess。",
            "No assessment yet. The bureau can click 'Assess now' or run sluice quality assess.",
        ),
        "quality.provider": ("提供部门", "Provider"),
        "quality.score": ("评分", "Score"),
        "quality.overdue": ("逾期工单", "Overdue tickets"),
        "quality.trend": ("评分趋势", "Score trend"),
        "quality.trend_note": (
            "图中先显示评分最高和最低的各 {n} 个部门；点击图例中的部门名称可显示或隐藏其他部门。",
            "The chart first shows the {n} best and the {n} worst providers; click a name in "
            "the legend to show or hide any other.",
        ),
        "quality.assessed_at": ("评估时间", "Assessed"),
        "quality.assessed_on": ("评估时间：{at}", "Assessed: {at}"),
        "quality.back": ("返回质量评分", "Back to the scores"),
        "quality.provider_title": ("{provider}：数据质量", "{provider}: data quality"),
        "quality.never": (
            "尚未评估该部门的数据质量（部门上传数据后，每次评估的得分会显示在这里）。",
            "This provider has not been assessed yet (after it uploads data, each "
            "assessment's score shows here).",
        ),
        "quality.resources": ("各数据资源得分（最近一次评估）", "Resources (latest assessment)"),
        "quality.resources_hidden": (
            "各数据资源的得分仅该部门和数据局可见。",
            "The scores of each resource are shown to the provider and the bureau only.",
        ),
        "quality.no_resources": (
            "该部门尚无已入库的数据资源；评分只计逾期工单。",
            "The provider has no data on the platform yet; only overdue tickets count.",
        ),
        "quality.history": ("历次评估", "Assessments"),
        "quality.deduction": ("逾期工单扣分", "Overdue deduction"),
        "quality.tickets_link": ("查看该部门的纠错工单", "See this provider's tickets"),
        "quality.resource": ("数据资源", "Resource"),
        "quality.late_resources": ("逾期未更新", "Late updates"),
        "quality.rules_cited": (
            "评分依据：《{title}》第 {number} 版（{effective} 起施行）。",
            "Scored under: {title}, version {number} (in force from {effective}).",
        ),
        "quality.rules_read": ("查看规则全文", "Read the rules"),
        "quality.rules_none": (
            "数据局尚未发布数据质量管理规则。",
            "The bureau has not published its data-quality management rules yet.",
        ),
        "quality.rules_publish_first": ("发布数据质量管理规则", "Publish the rules"),
        "quality.late_title": (
            "逾期未更新的数据资源（{n} 个）",
            "Resources late against their update frequency ({n})",
        ),
        "quality.late_none": (
            "没有逾期未更新的数据资源。",
            "No resource is late against its update frequency.",
        ),
        "quality.late_more": ("另有 {n} 个未列出。", "{n} more not listed."),
        "quality.frequency": ("更新周期", "Update frequency"),
        "quality.last_version": ("最近版本", "Newest version"),
        "quality.next_due": ("下一版本期限", "Next version due"),
        "quality.update_state": ("更新状态", "Update status"),
        "quality.freshness": ("数据更新", "Data updates"),
        "quality.on_time": ("按期", "On time"),
        "quality.no_data": ("尚无数据版本", "No data version yet"),
        "quality.irregular": ("不定期更新，无固定期限", "Irregular: no fixed due day"),
        "quality.due_rule_working": (
            "每日更新的数据按工作日计：最近版本之后的下一个工作日为期限（国家法定节假日和调休）。",
            "Daily data counts working days: the next version is due on the first working day "
            "after the newest one (statutory holidays and adjusted workdays).",
        ),
        "quality.due_rule_days": (
            "按自然日计：最近版本之日起 {days} 天内应提供新版本。",
            "Calendar days: a new version is due within {days} days of the newest one.",
        ),
    }
)


def _labelled(board: list[dict[str, Any]], locale: str) -> list[dict[str, Any]]:
    """Each line with ``label``: the provider's name in the reader's language."""
    english = locale == "en"
    return [
        {**p, "label": p["provider_en"] if english and p.get("provider_en") else p["provider"]}
        for p in board
    ]


def _bar_chart(board: list[dict[str, Any]]) -> dict[str, Any]:
    """Every provider's current score, best at the top."""
    shown = list(reversed(board))
    return {
        "grid": {"left": 200, "right": 50, "top": 10, "bottom": 20},
        "tooltip": {"trigger": "axis", "axisPointer": {"type": "shadow"}},
        "xAxis": {"type": "value", "min": 0, "max": 100},
        "yAxis": {"type": "category", "data": [p["label"] for p in shown]},
        "series": [
            {
                "type": "bar",
                "data": [p["score"] for p in shown],
                "label": {"show": True, "position": "right"},
            }
        ],
    }


def trend_chart(
    board: list[dict[str, Any]], *, title: str, shown: int = TREND_SHOWN
) -> dict[str, Any]:
    """Each provider's scores over time, one line each, every point drawn (``label``:
    the name the legend shows).

    Many lines in one chart are unreadable, so it opens on the ``shown`` best and
    ``shown`` worst providers (``board`` is sorted best first); the legend scrolls through
    all of them and a click shows or hides any line.
    """
    days = sorted({point["at"] for p in board for point in p["trend"]})
    first = {p["label"] for p in board[:shown]} | {p["label"] for p in board[-shown:]}
    series = []
    for p in board:
        scores = {point["at"]: point["score"] for point in p["trend"]}
        series.append(
            {
                "name": p["label"],
                "type": "line",
                "connectNulls": True,
                "showSymbol": True,
                "data": [scores.get(day) for day in days],
            }
        )
    return {
        "title": {"text": title, "textStyle": {"fontSize": 14}},
        "tooltip": {"trigger": "axis"},
        "legend": {
            "type": "scroll",
            "bottom": 0,
            "selected": {p["label"]: p["label"] in first for p in board},
        },
        "grid": {"left": 40, "right": 20, "top": 40, "bottom": 60},
        "xAxis": {"type": "category", "data": days},
        "yAxis": {"type": "value", "min": 0, "max": 100},
        "series": series,
    }


def _moment(raw: str | None) -> datetime | None:
    """The ``assessed`` query parameter: the moment of the run just made."""
    if raw is None:
        return None
    try:
        at = datetime.fromisoformat(raw)
    except ValueError:
        raise NotFound() from None
    if at.tzinfo is None:
        raise NotFound()
    return at


@router.get("/console/quality", response_class=HTMLResponse)
def scoreboard(
    request: Request,
    actor: QualityReader,
    session: DbSession,
    clock: AppClock,
    locale: Locale,
    assessed: str | None = None,
) -> HTMLResponse:
    today = local(clock.now()).date()
    late = {
        str(c.provider_id): c.resources
        for c in freshness.overdue_counts(session, actor=actor, today=today)
    }
    board = [
        {**line, "late_resources": late.get(line["provider_id"], 0)}
        for line in _labelled(service.scoreboard(session, actor=actor)["providers"], locale)
    ]
    message = None
    if (at := _moment(assessed)) is not None:
        done = service.assessment_summary(session, actor=actor, at=at)
        message = translate(
            "quality.assessed",
            locale,
            at=display(at),
            providers=done.providers,
            datasets=done.datasets,
        )
    return render(
        request,
        "quality/scores.html",
        {
            "board": board,
            "message": message,
            "bar_chart": _bar_chart(board),
            "trend_chart": trend_chart(board, title=translate("quality.trend", locale)),
            "trend_shown": TREND_SHOWN,
            "rules": rules.in_force(session, actor=actor, today=today),
        },
    )


@router.post("/console/quality/assess")
def assess(actor: Assessor, session: DbSession, clock: AppClock) -> Response:
    """Assess, then show the board with what the run scored (post/redirect/get)."""
    at = clock.now()
    service.assess(session, actor=actor, clock=FixedClock(at))
    query = urlencode({"assessed": at.isoformat()})
    return RedirectResponse(f"/console/quality?{query}", status_code=303)


@router.get("/console/quality/providers/{code}", response_class=HTMLResponse)
def provider_page(
    request: Request,
    code: str,
    actor: QualityReader,
    session: DbSession,
    clock: AppClock,
    locale: Locale,
) -> HTMLResponse:
    [line] = _labelled([service.provider_scores(session, actor=actor, code=code)], locale)
    own = actor.organization_id is not None and str(actor.organization_id) == line["provider_id"]
    chart = trend_chart([line], title=translate("quality.trend", locale), shown=1)
    hidden = actor.organization_kind is OrgKind.PROVIDER and not own
    late_total, late = (
        (0, [])
        if hidden
        else freshness.overdue_resources(
            session,
            actor=actor,
            today=local(clock.now()).date(),
            limit=LATE_SHOWN,
            provider_id=uuid.UUID(line["provider_id"]),
        )
    )
    return render(
        request,
        "quality/provider.html",
        {
            "p": line,
            "name": line["provider_en"]
            if locale == "en" and line["provider_en"]
            else line["provider"],
            # Another provider's resources are not shown (the service leaves them out).
            "hidden": hidden,
            "late": late,
            "late_total": late_total,
            "can_see_tickets": actor.has(P.TICKETS_READ) and Role.BUREAU in actor.roles,
            "trend_chart": chart if line["trend"] else None,
        },
    )


# --- a resource's page: its updates against its declared frequency --------------------------


def _freshness_panel(
    actor: Principal, session: DbSession, resource: ResourceRead
) -> ResourcePanel | None:
    """The resource's frequency, newest version, next due day and whether it is late, for
    whoever reads data quality (its provider, the bureau). The catalog hands panels no
    clock, so the template asks with the request for the application's."""
    if not actor.has(P.QUALITY_READ):
        return None

    def on_the_day(request: Request) -> freshness.Freshness:
        return freshness.freshness(
            session,
            actor=actor,
            resource_id=resource.id,
            frequency=resource.update_frequency,
            today=local(clock_of(request).now()).date(),
        )

    return ResourcePanel(
        "quality/_resource_freshness.html",
        {
            "freshness": on_the_day,
            "days": freshness.CALENDAR_DAYS.get(resource.update_frequency),
        },
    )


add_resource_panel(_freshness_panel)
