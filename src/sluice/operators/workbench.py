"""Workbench panels of operator qualification and competitive consultations.

* The bureau: applications submitted and waiting for review (the longest waiting first);
  consultation rounds whose panel is still scoring, and ranked rounds whose operator is yet
  to be selected and published.
* An operator: where its own application stands and what is still missing.
* A panel member: the rounds waiting for their scores, and how many are still blank.

An operator sees only its own company's applications; the bureau never sees a draft
(``repository._visible``); a panel member only the rounds they sit on.
"""

from __future__ import annotations

from sqlalchemy import func, select

from sluice.core.clock import display
from sluice.core.i18n import add_messages
from sluice.core.permissions import Permission, Role
from sluice.operators import repository
from sluice.operators.models import OperatorApplication
from sluice.operators.selection import service as selection
from sluice.operators.selection.models import SelectionRound
from sluice.operators.selection.states import RANKED, SCORING
from sluice.operators.states import DRAFT, QUALIFIED, REJECTED, RETURNED, SUBMITTED
from sluice.web.workbench import ROWS, Context, Panel, PanelContent, Todo, add_panel

REVIEW = "/console/operators"
MINE = "/console/operator-application"
SELECTIONS = "/console/selections"
SCORING_PAGE = "/console/scoring"

add_messages(
    {
        "workbench.reviews": ("运营机构资格审核", "Operator qualification"),
        "workbench.reviews.waiting": (
            "待审核：{n} 份运营机构申请",
            "To review: {n} operator applications",
        ),
        "workbench.reviews.submitted": ("提交于 {at}", "submitted {at}"),
        "workbench.reviews.none": (
            "没有等待审核的运营机构申请。",
            "No operator application waits for review.",
        ),
        "workbench.rounds": ("竞争性磋商", "Competitive consultations"),
        "workbench.rounds.scoring": (
            "评分中：{n} 轮磋商，专家还有 {missing} 项评分未提交",
            "Scoring: {n} rounds; the panel has {missing} scores still to give",
        ),
        "workbench.rounds.scoring_row": (
            "{title}：还有 {missing} 项评分未提交",
            "{title}: {missing} scores still to give",
        ),
        "workbench.rounds.ranked": (
            "待确定：{n} 轮磋商已排名，待选定运营机构并公布结果",
            "To settle: {n} ranked rounds await the selection and its publication",
        ),
        "workbench.rounds.none": (
            "没有评分中或待确定结果的磋商。",
            "No consultation is being scored or waits to be settled.",
        ),
        "workbench.application": ("资格申请", "Your qualification"),
        "workbench.application.none": (
            "待申请：贵单位尚未提交运营机构资格申请",
            "To apply: your company has not applied for qualification yet",
        ),
        "workbench.application.missing": (
            "资格申请填写中：还缺 {n} 项证明材料",
            "Application in draft: {n} items still lack evidence",
        ),
        "workbench.application.ready": (
            "资格申请已填写完整，可以提交审核",
            "The application is complete: submit it for review",
        ),
        "workbench.application.returned": (
            "资格申请已退回补正：{reason}",
            "Application returned for changes: {reason}",
        ),
        "workbench.application.submitted": (
            "您的资格申请正在审核中（提交于 {at}），结果会显示在这里。",
            "Your application is under review (submitted {at}); the decision shows here.",
        ),
        "workbench.application.qualified": (
            "贵单位已通过运营机构资格审核（{at}）。",
            "Your company was qualified as an operator ({at}).",
        ),
        "workbench.application.rejected": (
            "资格审核未通过（{at}）：{reason}。整改后可以重新申请。",
            "Qualification refused ({at}): {reason}. You may apply again once it is put right.",
        ),
        "workbench.scoring": ("待评分", "Scores to give"),
        "workbench.scoring.waiting": (
            "待评分：{n} 轮磋商等待您的评分",
            "To score: {n} consultations wait for your scores",
        ),
        "workbench.scoring.row": (
            "{title}：还有 {missing} 项未评分",
            "{title}: {missing} scores still blank",
        ),
        "workbench.scoring.none": (
            "没有等待您评分的磋商。数据局邀请您参加评审后，评分表会出现在这里。",
            "No consultation waits for your scores. When the bureau names you to a panel, "
            "the score sheet appears here.",
        ),
    }
)


# -- the bureau ------------------------------------------------------------------------------


def _reviews(ctx: Context) -> PanelContent:
    waiting = OperatorApplication.status == SUBMITTED
    total = ctx.session.scalar(select(func.count(OperatorApplication.id)).where(waiting)) or 0
    if not total:
        return PanelContent(note=ctx._("workbench.reviews.none"), more_href=REVIEW)
    rows = list(
        ctx.session.scalars(
            select(OperatorApplication)
            .where(waiting)
            .order_by(OperatorApplication.submitted_at, OperatorApplication.id)
            .limit(ROWS)
        )
    )
    return PanelContent(
        todos=[
            Todo(
                ctx._("workbench.reviews.waiting", n=total),
                f"{REVIEW}/{rows[0].id}" if total == 1 else REVIEW,
                rows=[
                    Todo(
                        a.company_name_en
                        if ctx.locale == "en" and a.company_name_en
                        else a.company_name,
                        f"{REVIEW}/{a.id}",
                        meta=ctx._("workbench.reviews.submitted", at=display(a.submitted_at)),
                    )
                    for a in rows
                ],
            )
        ],
        note=ctx._("workbench.reviews.none"),
        more_href=REVIEW,
    )


def _rounds(ctx: Context) -> PanelContent:
    todos = []
    scoring = list(
        ctx.session.scalars(
            select(SelectionRound)
            .where(SelectionRound.status == SCORING)
            .order_by(SelectionRound.scoring_started_at, SelectionRound.id)
            .limit(ROWS)
        )
    )
    if scoring:
        missing = {r.id: len(selection.missing_scores(ctx.session, r)) for r in scoring}
        total = _count_rounds(ctx, SCORING)
        todos.append(
            Todo(
                ctx._("workbench.rounds.scoring", n=total, missing=sum(missing.values())),
                f"{SELECTIONS}/{scoring[0].id}" if total == 1 else SELECTIONS,
                rows=[
                    Todo(
                        ctx._("workbench.rounds.scoring_row", title=r.title, missing=missing[r.id]),
                        f"{SELECTIONS}/{r.id}",
                    )
                    for r in scoring
                ],
            )
        )
    ranked = list(
        ctx.session.scalars(
            select(SelectionRound)
            .where(SelectionRound.status == RANKED)
            .order_by(SelectionRound.scoring_closed_at, SelectionRound.id)
            .limit(ROWS)
        )
    )
    if ranked:
        total = _count_rounds(ctx, RANKED)
        todos.append(
            Todo(
                ctx._("workbench.rounds.ranked", n=total),
                f"{SELECTIONS}/{ranked[0].id}" if total == 1 else SELECTIONS,
                rows=[Todo(r.title, f"{SELECTIONS}/{r.id}") for r in ranked],
            )
        )
    return PanelContent(todos=todos, note=ctx._("workbench.rounds.none"), more_href=SELECTIONS)


def _count_rounds(ctx: Context, status: str) -> int:
    query = select(func.count(SelectionRound.id)).where(SelectionRound.status == status)
    return ctx.session.scalar(query) or 0


# -- an operator -----------------------------------------------------------------------------


def _application(ctx: Context) -> PanelContent:
    org = ctx.principal.organization_id
    latest = (
        ctx.session.scalar(
            select(OperatorApplication)
            .where(OperatorApplication.organization_id == org)
            .order_by(OperatorApplication.updated_at.desc(), OperatorApplication.id)
            .limit(1)
        )
        if org is not None
        else None
    )
    if latest is None:
        return PanelContent(todos=[Todo(ctx._("workbench.application.none"), MINE)])
    page = f"{MINE}/{latest.id}"
    if latest.status == DRAFT:
        attached = {d.item_id for d in repository.evidence(ctx.session, latest.id)}
        missing = [
            item
            for item in repository.items(ctx.session, active_only=True)
            if item.evidence_required and item.id not in attached
        ]
        if not missing:
            return PanelContent(todos=[Todo(ctx._("workbench.application.ready"), page)])
        return PanelContent(
            todos=[
                Todo(
                    ctx._("workbench.application.missing", n=len(missing)),
                    page,
                    rows=[
                        Todo(item.title_en if ctx.locale == "en" else item.title_zh, page)
                        for item in missing[:ROWS]
                    ],
                )
            ]
        )
    if latest.status == RETURNED:
        reason = latest.decision_reason or "—"
        return PanelContent(
            todos=[Todo(ctx._("workbench.application.returned", reason=reason), page, late=True)]
        )
    notes = {
        SUBMITTED: ("workbench.application.submitted", latest.submitted_at),
        QUALIFIED: ("workbench.application.qualified", latest.decided_at),
        REJECTED: ("workbench.application.rejected", latest.decided_at),
    }
    key, at = notes.get(latest.status, ("workbench.application.submitted", latest.updated_at))
    return PanelContent(
        note=ctx._(key, at=display(at, with_time=False), reason=latest.decision_reason or "—"),
        more_href=page,
    )


# -- a panel member --------------------------------------------------------------------------


def _scoring(ctx: Context) -> PanelContent:
    rounds = [
        r for r in selection.my_rounds(ctx.session, actor=ctx.principal) if r.status == SCORING
    ]
    sheets = [selection.my_sheet(ctx.session, actor=ctx.principal, round_id=r.id) for r in rounds]
    waiting = [s for s in sheets if s.missing]
    if not waiting:
        return PanelContent(note=ctx._("workbench.scoring.none"), more_href=SCORING_PAGE)
    return PanelContent(
        todos=[
            Todo(
                ctx._("workbench.scoring.waiting", n=len(waiting)),
                f"{SCORING_PAGE}/{waiting[0].round.id}" if len(waiting) == 1 else SCORING_PAGE,
                rows=[
                    Todo(
                        ctx._("workbench.scoring.row", title=s.round.title, missing=s.missing),
                        f"{SCORING_PAGE}/{s.round.id}",
                    )
                    for s in waiting[:ROWS]
                ],
            )
        ],
        note=ctx._("workbench.scoring.none"),
        more_href=SCORING_PAGE,
    )


_BUREAU = frozenset({Role.BUREAU})
add_panel(Panel("workbench.reviews", Permission.OPERATORS_REVIEW, _reviews, 15, _BUREAU))
add_panel(Panel("workbench.rounds", Permission.SELECTION_MANAGE, _rounds, 50, _BUREAU))
add_panel(
    Panel(
        "workbench.application",
        Permission.OPERATORS_APPLY,
        _application,
        10,
        frozenset({Role.OPERATOR}),
    )
)
add_panel(
    Panel("workbench.scoring", Permission.SELECTION_SCORE, _scoring, 10, frozenset({Role.PANEL}))
)
