"""Workbench panels of data quality: correction tickets due or overdue, resources late
against their update frequency, and quality scores.

* The bureau: tickets past their due date (working days, on the statutory calendar), the
  longest overdue first, each with 督办 on the ticket; a picture of overdue tickets per
  provider; the providers scoring below the pass mark; how many resources each provider
  let run past their declared update frequency (逾期未更新).
* A provider: the tickets on its data it still owes an answer, due soonest first, the late
  ones marked; its resources past their update frequency, the oldest data first, each with
  its frequency, newest version's day, due day, how late and a link to its page (where the
  upload is); its newest quality score.
* An operator: the tickets it filed that still wait for an answer.

Who sees which ticket is the tickets module's rule (``tickets.repository``): a provider
counts only tickets on its own data, an operator only those it filed.
"""

from __future__ import annotations

import uuid
from typing import Any, Final

from sqlalchemy import ColumnElement, and_, func, select
from sqlalchemy.orm import Session

from sluice.catalog.models import DataResource
from sluice.core.clock import display
from sluice.core.i18n import add_messages
from sluice.core.permissions import Permission, Role
from sluice.core.workdays import working_days_between
from sluice.identity.models import Organization
from sluice.quality import freshness
from sluice.quality.models import ProviderAssessment
from sluice.quality.tickets.models import CorrectionTicket
from sluice.quality.tickets.states import AWAITING_ANSWER
from sluice.web.workbench import (
    ROWS,
    Context,
    Figure,
    Panel,
    PanelContent,
    Todo,
    add_panel,
    bar_chart,
)

TICKETS = "/console/tickets"
SCORES = "/console/quality"
#: A provider scoring below this is shown to the bureau as needing attention.
PASS_MARK: Final = 60.0
#: Providers named in the overdue picture (the rest are behind the tickets list).
CHART_PROVIDERS: Final = 10

add_messages(
    {
        "workbench.tickets": ("纠错工单", "Correction tickets"),
        "workbench.tickets.provider": ("待答复的纠错工单", "Tickets to answer"),
        "workbench.tickets.operator": ("我提交的纠错工单", "Tickets you filed"),
        "workbench.quality.provider": ("本部门数据质量", "Your data quality"),
        "workbench.tickets.overdue": (
            "逾期未答复：{n} 件纠错工单",
            "Overdue, unanswered: {n} correction tickets",
        ),
        "workbench.tickets.overdue_row": (
            "{resource}（{provider}）：{text}",
            "{resource} ({provider}): {text}",
        ),
        "workbench.tickets.late_by": (
            "已逾期 {days} 个工作日",
            "{days} working days overdue",
        ),
        "workbench.tickets.supervise": ("督办", "Chase"),
        "workbench.tickets.awaiting_all": (
            "在办：{n} 件工单等待数据部门答复",
            "Open: {n} tickets await the providers' answers",
        ),
        "workbench.tickets.none_overdue": (
            "没有逾期未答复的纠错工单。",
            "No correction ticket is overdue.",
        ),
        "workbench.tickets.chart": ("各部门逾期工单数", "Overdue tickets per provider"),
        "workbench.tickets.figure_overdue": ("逾期工单", "Overdue tickets"),
        "workbench.tickets.to_answer": (
            "待答复：{n} 件纠错工单（其中 {late} 件已逾期）",
            "To answer: {n} correction tickets ({late} overdue)",
        ),
        "workbench.tickets.row": ("{resource}：{text}", "{resource}: {text}"),
        "workbench.tickets.none_to_answer": (
            "没有待答复的纠错工单。",
            "No correction ticket awaits your answer.",
        ),
        "workbench.tickets.filed": (
            "您提交的 {n} 件纠错工单正等待数据部门答复",
            "{n} tickets you filed await the providers' answers",
        ),
        "workbench.tickets.none_filed": (
            "您提交的纠错工单都已得到答复。发现数据有误，可提交纠错工单。",
            "Every ticket you filed has been answered. Found an error in the data? File a "
            "correction ticket.",
        ),
        "workbench.quality": ("数据质量", "Data quality"),
        "workbench.quality.score": ("质量评分", "Quality score"),
        "workbench.quality.latest": (
            "最近一次评估（{at}）：综合 {score} 分，完整性 {completeness}、准确性 {accuracy}、"
            "一致性 {consistency}、及时性 {timeliness}，逾期工单扣分 {overdue} 件。",
            "Latest assessment ({at}): {score} overall; completeness {completeness}, accuracy "
            "{accuracy}, consistency {consistency}, timeliness {timeliness}; {overdue} overdue "
            "tickets deducted.",
        ),
        "workbench.quality.never": (
            "数据局尚未评估本部门的数据质量；上传数据后，每次评估的得分会显示在这里。",
            "The bureau has not assessed your data yet; after you upload data, each "
            "assessment's score shows here.",
        ),
        "workbench.quality.below": (
            "低于 {mark} 分：{n} 个部门",
            "Below {mark}: {n} providers",
        ),
        "workbench.quality.below_row": ("{provider}：{score} 分", "{provider}: {score}"),
        "workbench.quality.bureau_latest": (
            "最近一次评估：{at}，{n} 个部门参评，均在 {mark} 分以上。",
            "Latest assessment: {at}; {n} providers scored, all at {mark} or above.",
        ),
        "workbench.quality.bureau_never": (
            "尚未进行数据质量评估。部门上传数据后，可在“数据质量”页立即评估。",
            "No quality assessment yet. Once providers upload data, assess them on the Data "
            "quality page.",
        ),
        "workbench.quality.average": ("部门平均质量分", "Average quality score"),
        "workbench.freshness": ("逾期未更新", "Late updates"),
        "workbench.freshness.provider": ("逾期未更新", "Late updates"),
        "workbench.freshness.mine": (
            "逾期未更新：{n} 个数据资源未按声明的更新周期提供新版本",
            "Late: {n} resources have no new version within their declared update frequency",
        ),
        "workbench.freshness.row": ("{resource}（{frequency}）", "{resource} ({frequency})"),
        "workbench.freshness.last": ("最近版本 {day}", "newest version {day}"),
        "workbench.freshness.none_mine": (
            "本部门的数据资源都按声明的更新周期提供了新版本。",
            "Every resource of yours has a version within its declared update frequency.",
        ),
        "workbench.freshness.all": (
            "逾期未更新：{n} 个数据资源（{providers} 个部门）",
            "Late updates: {n} resources ({providers} providers)",
        ),
        "workbench.freshness.provider_row": (
            "{provider}：{n} 个",
            "{provider}: {n}",
        ),
        "workbench.freshness.none_all": (
            "各部门的数据资源都按声明的更新周期提供了新版本。",
            "Every provider's resources are updated within their declared frequencies.",
        ),
    }
)


def _overdue(ctx: Context) -> ColumnElement[bool]:
    return and_(CorrectionTicket.status.in_(AWAITING_ANSWER), CorrectionTicket.due_date < ctx.today)


def _count(session: Session, *conditions: ColumnElement[bool]) -> int:
    return session.scalar(select(func.count(CorrectionTicket.id)).where(*conditions)) or 0


def _ticket_rows(
    ctx: Context, conditions: list[ColumnElement[bool]]
) -> list[tuple[CorrectionTicket, str, str]]:
    """The first few tickets, due soonest (longest overdue) first, with resource and
    provider names."""
    rows = ctx.session.execute(
        select(CorrectionTicket, DataResource.name, Organization.name)
        .join(DataResource, DataResource.id == CorrectionTicket.resource_id)
        .join(Organization, Organization.id == CorrectionTicket.provider_id)
        .where(*conditions)
        .order_by(CorrectionTicket.due_date, CorrectionTicket.filed_at, CorrectionTicket.id)
        .limit(ROWS)
    )
    return [(t, resource, provider) for t, resource, provider in rows]


def _short(text: str, length: int = 30) -> str:
    text = " ".join(text.split())
    return text if len(text) <= length else text[: length - 1] + "…"


# -- the bureau ------------------------------------------------------------------------------


def _overdue_per_provider(ctx: Context) -> tuple[list[str], list[int]]:
    count = func.count(CorrectionTicket.id)
    rows = ctx.session.execute(
        select(Organization.name, count)
        .join(Organization, Organization.id == CorrectionTicket.provider_id)
        .where(_overdue(ctx))
        .group_by(Organization.id, Organization.name)
        .order_by(count.desc(), Organization.name)
        .limit(CHART_PROVIDERS)
    ).all()
    return [name for name, _ in rows], [int(n) for _, n in rows]


def _bureau_tickets(ctx: Context) -> PanelContent:
    overdue = _count(ctx.session, _overdue(ctx))
    open_ = _count(ctx.session, CorrectionTicket.status.in_(AWAITING_ANSWER))
    todos = []
    chart: dict[str, Any] | None = None
    if overdue:
        rows = [
            Todo(
                ctx._(
                    "workbench.tickets.overdue_row",
                    resource=resource,
                    provider=provider,
                    text=_short(ticket.description),
                ),
                f"{TICKETS}/{ticket.id}",
                due=ticket.due_date.isoformat(),
                late=True,
                late_by=ctx._(
                    "workbench.tickets.late_by",
                    days=working_days_between(ticket.due_date, ctx.today),
                ),
                action=ctx._("workbench.tickets.supervise"),
            )
            for ticket, resource, provider in _ticket_rows(ctx, [_overdue(ctx)])
        ]
        todos.append(
            Todo(
                ctx._("workbench.tickets.overdue", n=overdue),
                f"{TICKETS}?overdue=1",
                late=True,
                rows=rows,
            )
        )
        names, values = _overdue_per_provider(ctx)
        chart = bar_chart(ctx._("workbench.tickets.chart"), names, values)
    if open_ > overdue:
        todos.append(Todo(ctx._("workbench.tickets.awaiting_all", n=open_), TICKETS))
    return PanelContent(
        todos=todos,
        figures=[
            Figure(
                ctx._("workbench.tickets.figure_overdue"),
                str(overdue),
                f"{TICKETS}?overdue=1",
                warn=overdue > 0,
            )
        ],
        chart=chart,
        note=ctx._("workbench.tickets.none_overdue"),
        more_href=TICKETS,
    )


def _latest_scores(session: Session) -> list[tuple[str, ProviderAssessment]]:
    """Every provider's newest assessment, lowest score first, with its name."""
    newest = (
        select(
            ProviderAssessment.provider_id,
            func.max(ProviderAssessment.assessed_at).label("at"),
        )
        .group_by(ProviderAssessment.provider_id)
        .subquery()
    )
    rows = session.execute(
        select(Organization.name, ProviderAssessment)
        .join(
            newest,
            and_(
                newest.c.provider_id == ProviderAssessment.provider_id,
                newest.c.at == ProviderAssessment.assessed_at,
            ),
        )
        .join(Organization, Organization.id == ProviderAssessment.provider_id)
        .order_by(ProviderAssessment.score, Organization.name)
    )
    return [(name, row) for name, row in rows]


def _bureau_quality(ctx: Context) -> PanelContent:
    latest = _latest_scores(ctx.session)
    if not latest:
        return PanelContent(note=ctx._("workbench.quality.bureau_never"), more_href=SCORES)
    below = [(name, a) for name, a in latest if a.score < PASS_MARK]
    todos = []
    if below:
        todos.append(
            Todo(
                ctx._("workbench.quality.below", mark=f"{PASS_MARK:g}", n=len(below)),
                SCORES,
                late=True,
                rows=[
                    Todo(
                        ctx._("workbench.quality.below_row", provider=name, score=a.score),
                        SCORES,
                    )
                    for name, a in below[:ROWS]
                ],
            )
        )
    average = sum(a.score for _, a in latest) / len(latest)
    at = max(a.assessed_at for _, a in latest)
    return PanelContent(
        todos=todos,
        figures=[Figure(ctx._("workbench.quality.average"), f"{average:.1f}", SCORES)],
        note=ctx._(
            "workbench.quality.bureau_latest", at=display(at), n=len(latest), mark=f"{PASS_MARK:g}"
        ),
        more_href=SCORES,
    )


def _bureau_freshness(ctx: Context) -> PanelContent:
    """How many resources each provider let run past its update frequency, the most first."""
    counts = freshness.overdue_counts(ctx.session, actor=ctx.principal, today=ctx.today)
    if not counts:
        return PanelContent(note=ctx._("workbench.freshness.none_all"), more_href=SCORES)
    total = sum(c.resources for c in counts)
    rows = [
        Todo(
            ctx._("workbench.freshness.provider_row", provider=c.label(ctx.locale), n=c.resources),
            f"{SCORES}/providers/{c.code}",
            late=True,
        )
        for c in counts[:ROWS]
    ]
    line = ctx._("workbench.freshness.all", n=total, providers=len(counts))
    return PanelContent(todos=[Todo(line, SCORES, late=True, rows=rows)], more_href=SCORES)


# -- a provider ------------------------------------------------------------------------------


def _provider_freshness(ctx: Context) -> PanelContent:
    """The provider's resources past their update frequency: each with its frequency, its
    newest version's day, its due day, how late, and its page (where the upload is)."""
    total, late = freshness.overdue_resources(
        ctx.session, actor=ctx.principal, today=ctx.today, limit=ROWS
    )
    if not total:
        return PanelContent(note=ctx._("workbench.freshness.none_mine"))
    rows = []
    for item in late:
        state = item.freshness
        assert state.due is not None and state.last_version_at is not None
        rows.append(
            Todo(
                ctx._(
                    "workbench.freshness.row",
                    resource=item.name,
                    frequency=ctx._(f"vocab.update_frequency.{state.frequency}"),
                ),
                f"/console/resources/{item.resource_id}",
                due=state.due.isoformat(),
                late=True,
                late_by=ctx._(state.late_by_key, days=state.days_overdue),
                meta=ctx._(
                    "workbench.freshness.last",
                    day=display(state.last_version_at, with_time=False),
                ),
            )
        )
    own = _own_code(ctx)
    return PanelContent(
        todos=[
            Todo(
                ctx._("workbench.freshness.mine", n=total),
                f"{SCORES}/providers/{own}" if own else SCORES,
                late=True,
                rows=rows,
            )
        ],
    )


def _own_code(ctx: Context) -> str | None:
    org = _own(ctx)
    if org is None:
        return None
    return ctx.session.scalar(select(Organization.code).where(Organization.id == org))


def _own(ctx: Context) -> uuid.UUID | None:
    return ctx.principal.organization_id


def _provider_tickets(ctx: Context) -> PanelContent:
    org = _own(ctx)
    if org is None:
        return PanelContent(note=ctx._("workbench.tickets.none_to_answer"))
    mine = [CorrectionTicket.provider_id == org, CorrectionTicket.status.in_(AWAITING_ANSWER)]
    total = _count(ctx.session, *mine)
    todos = []
    if total:
        late = _count(ctx.session, *mine, CorrectionTicket.due_date < ctx.today)
        todos.append(
            Todo(
                ctx._("workbench.tickets.to_answer", n=total, late=late),
                TICKETS,
                late=late > 0,
                rows=[
                    Todo(
                        ctx._(
                            "workbench.tickets.row",
                            resource=resource,
                            text=_short(ticket.description),
                        ),
                        f"{TICKETS}/{ticket.id}",
                        due=ticket.due_date.isoformat(),
                        late=ticket.due_date < ctx.today,
                    )
                    for ticket, resource, _ in _ticket_rows(ctx, mine)
                ],
            )
        )
    return PanelContent(
        todos=todos, note=ctx._("workbench.tickets.none_to_answer"), more_href=TICKETS
    )


def _provider_quality(ctx: Context) -> PanelContent:
    org = _own(ctx)
    latest = (
        ctx.session.scalar(
            select(ProviderAssessment)
            .where(ProviderAssessment.provider_id == org)
            .order_by(ProviderAssessment.assessed_at.desc())
            .limit(1)
        )
        if org is not None
        else None
    )
    if latest is None:
        return PanelContent(note=ctx._("workbench.quality.never"), more_href=SCORES)
    return PanelContent(
        figures=[
            Figure(
                ctx._("workbench.quality.score"),
                f"{latest.score:g}",
                SCORES,
                warn=latest.score < PASS_MARK,
            )
        ],
        note=ctx._(
            "workbench.quality.latest",
            at=display(latest.assessed_at),
            score=f"{latest.score:g}",
            completeness=f"{latest.completeness:g}",
            accuracy=f"{latest.accuracy:g}",
            consistency=f"{latest.consistency:g}",
            timeliness=f"{latest.timeliness:g}",
            overdue=latest.overdue_tickets,
        ),
        more_href=SCORES,
    )


# -- an operator -----------------------------------------------------------------------------


def _filed_tickets(ctx: Context) -> PanelContent:
    org = _own(ctx)
    if org is None:
        return PanelContent(note=ctx._("workbench.tickets.none_filed"))
    filed = [CorrectionTicket.filed_by_org == org, CorrectionTicket.status.in_(AWAITING_ANSWER)]
    total = _count(ctx.session, *filed)
    todos = []
    if total:
        todos.append(
            Todo(
                ctx._("workbench.tickets.filed", n=total),
                TICKETS,
                rows=[
                    Todo(
                        ctx._(
                            "workbench.tickets.row",
                            resource=resource,
                            text=_short(ticket.description),
                        ),
                        f"{TICKETS}/{ticket.id}",
                        due=ticket.due_date.isoformat(),
                        late=ticket.due_date < ctx.today,
                    )
                    for ticket, resource, _ in _ticket_rows(ctx, filed)
                ],
            )
        )
    return PanelContent(todos=todos, note=ctx._("workbench.tickets.none_filed"), more_href=TICKETS)


_BUREAU = frozenset({Role.BUREAU})
_PROVIDER = frozenset({Role.PROVIDER})
add_panel(Panel("workbench.tickets", Permission.TICKETS_READ, _bureau_tickets, 20, _BUREAU))
add_panel(Panel("workbench.quality", Permission.QUALITY_ASSESS, _bureau_quality, 60, _BUREAU))
add_panel(Panel("workbench.freshness", Permission.QUALITY_READ, _bureau_freshness, 62, _BUREAU))
add_panel(
    Panel(
        "workbench.freshness.provider",
        Permission.DATA_INGEST,
        _provider_freshness,
        15,
        _PROVIDER,
    )
)
add_panel(
    Panel("workbench.tickets.provider", Permission.TICKETS_ANSWER, _provider_tickets, 10, _PROVIDER)
)
add_panel(
    Panel("workbench.quality.provider", Permission.QUALITY_READ, _provider_quality, 40, _PROVIDER)
)
add_panel(
    Panel(
        "workbench.tickets.operator",
        Permission.TICKETS_READ,
        _filed_tickets,
        50,
        frozenset({Role.OPERATOR}),
    )
)
