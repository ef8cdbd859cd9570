"""Workbench panel of the comments on draft agreements (R5.2).

* A party asked (a provider, the operator, the finance bureau): the drafts waiting for its
  comments, with their last days.
* The bureau: comments whose handling it has not recorded, and open rounds whose last day
  has passed (to close before the collective decision).

What a party sees follows ``comment_repository.round_seen_by``: the rounds it was asked in.
"""

from __future__ import annotations

from sluice.authorizations import comment_repository as repo
from sluice.authorizations import parties
from sluice.core.i18n import add_messages
from sluice.core.permissions import OrgKind, Permission
from sluice.web.workbench import ROWS, Context, Panel, PanelContent, Todo, add_panel

LIST = "/console/comment-rounds"

add_messages(
    {
        "workbench.comments": ("协议草案征求意见", "Comments on draft agreements"),
        "workbench.comments.awaiting": (
            "待反馈：{n} 份授权运营协议草案征求贵单位意见",
            "To answer: {n} draft agreements ask for your organization's comments",
        ),
        "workbench.comments.row": (
            "{number} · {scenario} · 第 {round} 轮",
            "{number} · {scenario} · round {round}",
        ),
        "workbench.comments.party_none": (
            "没有待反馈的协议草案。数据局起草涉及贵单位的授权运营协议时，会在这里征求意见。",
            "No draft waits for your comments. When the bureau drafts an agreement that "
            "concerns your organization, it asks you here.",
        ),
        "workbench.comments.unhandled": (
            "待处理：{n} 条意见尚未记录采纳情况",
            "To handle: {n} comments have no recorded handling",
        ),
        "workbench.comments.unhandled_row": (
            "{number} · {party} · {part}",
            "{number} · {party} · {part}",
        ),
        "workbench.comments.to_close": (
            "待结束：{n} 轮征求意见已过截止日",
            "To close: {n} rounds of comments are past their last day",
        ),
        "workbench.comments.bureau_none": (
            "没有待处理的意见或待结束的征求意见。",
            "No comment to handle and no round to close.",
        ),
    }
)


def _href(round_id: object) -> str:
    return f"{LIST}/{round_id}"


def _party(ctx: Context) -> PanelContent:
    organization_id = ctx.principal.organization_id
    if organization_id is None:
        return PanelContent(note=ctx._("workbench.comments.party_none"))
    n, rows = repo.awaiting(ctx.session, organization_id, ctx.today, limit=ROWS)
    todos = []
    if n:
        todos.append(
            Todo(
                ctx._("workbench.comments.awaiting", n=n),
                _href(rows[0].round.id) if n == 1 else LIST,
                due=rows[0].round.due_on.isoformat(),
                rows=[
                    Todo(
                        ctx._(
                            "workbench.comments.row",
                            number=row.number,
                            scenario=row.scenario,
                            round=row.round.number,
                        ),
                        _href(row.round.id),
                        due=row.round.due_on.isoformat(),
                    )
                    for row in rows
                ],
            )
        )
    return PanelContent(todos=todos, note=ctx._("workbench.comments.party_none"), more_href=LIST)


def _part(ctx: Context, part: str) -> str:
    return ctx._("comment_part.general") if part == "general" else ctx._(f"clause.{part}")


def _bureau(ctx: Context) -> PanelContent:
    todos = []
    n, waiting = repo.unhandled_comments(ctx.session, limit=ROWS)
    if n:
        names = parties.names(ctx.session, {c.organization_id for c, _, _ in waiting})
        todos.append(
            Todo(
                ctx._("workbench.comments.unhandled", n=n),
                _href(waiting[0][1].id) if n == 1 else LIST,
                rows=[
                    Todo(
                        ctx._(
                            "workbench.comments.unhandled_row",
                            number=number,
                            party=names.get(c.organization_id, "—"),
                            part=_part(ctx, c.part),
                        ),
                        _href(r.id),
                    )
                    for c, r, number in waiting
                ],
            )
        )
    n, closing = repo.to_close(ctx.session, ctx.today, limit=ROWS)
    if n:
        todos.append(
            Todo(
                ctx._("workbench.comments.to_close", n=n),
                _href(closing[0].round.id) if n == 1 else f"{LIST}?status={repo.OPEN}",
                late=True,
                rows=[
                    Todo(
                        ctx._(
                            "workbench.comments.row",
                            number=row.number,
                            scenario=row.scenario,
                            round=row.round.number,
                        ),
                        _href(row.round.id),
                        due=row.round.due_on.isoformat(),
                        late=True,
                    )
                    for row in closing
                ],
            )
        )
    return PanelContent(todos=todos, note=ctx._("workbench.comments.bureau_none"), more_href=LIST)


def _load(ctx: Context) -> PanelContent:
    if ctx.principal.organization_kind == OrgKind.BUREAU:
        return _bureau(ctx)
    return _party(ctx)


add_panel(Panel("workbench.comments", Permission.AGREEMENT_COMMENTS_READ, _load, order=32))
