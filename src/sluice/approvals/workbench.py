"""The bureau's workbench panel of irreversible acts waiting for a second person.

What waits for *this* person is another's request still pending and not yet past its time
(the list page lapses those; a GET here changes nothing). Their own requests wait for a
colleague and are only mentioned.
"""

from __future__ import annotations

from sqlalchemy import ColumnElement, and_, func, or_, select

from sluice.approvals.models import ApprovalRequest
from sluice.approvals.states import PENDING
from sluice.core.clock import display
from sluice.core.i18n import add_messages
from sluice.core.permissions import Permission, Role
from sluice.core.principal import Principal
from sluice.web.workbench import ROWS, Context, Panel, PanelContent, Todo, add_panel

PAGE = "/console/approvals"

add_messages(
    {
        "workbench.approvals": ("待第二人审批", "Awaiting a second approver"),
        "workbench.approvals.waiting": (
            "待您审批：{n} 项不可逆操作",
            "For you to approve: {n} irreversible acts",
        ),
        "workbench.approvals.row": ("{act} · {target}（{who}提出）", "{act} · {target} (by {who})"),
        "workbench.approvals.own": (
            "您提出的 {n} 项申请正等待另一名同事审批",
            "{n} of your requests wait for a colleague to approve",
        ),
        "workbench.approvals.none": (
            "没有等待您审批的操作。",
            "No act waits for your approval.",
        ),
    }
)


def _own(actor: Principal) -> ColumnElement[bool]:
    """Requests the actor made (by user id where both are known, else by username)."""
    if actor.user_id is None:
        return ApprovalRequest.requested_by == actor.username
    return or_(
        ApprovalRequest.requested_by_user_id == actor.user_id,
        and_(
            ApprovalRequest.requested_by_user_id.is_(None),
            ApprovalRequest.requested_by == actor.username,
        ),
    )


def _load(ctx: Context) -> PanelContent:
    now = ctx.clock.now()
    live = [ApprovalRequest.status == PENDING, ApprovalRequest.expires_at > now]
    theirs = [*live, ~_own(ctx.principal)]
    count = select(func.count(ApprovalRequest.id))
    waiting = ctx.session.scalar(count.where(*theirs)) or 0
    mine = ctx.session.scalar(count.where(*live, _own(ctx.principal))) or 0
    todos = []
    if waiting:
        rows = ctx.session.scalars(
            select(ApprovalRequest)
            .where(*theirs)
            .order_by(ApprovalRequest.expires_at, ApprovalRequest.id)
            .limit(ROWS)
        )
        todos.append(
            Todo(
                ctx._("workbench.approvals.waiting", n=waiting),
                PAGE,
                rows=[
                    Todo(
                        ctx._(
                            "workbench.approvals.row",
                            act=ctx._(f"approval_act.{r.act}"),
                            target=r.target_label,
                            who=r.requested_by_name,
                        ),
                        PAGE,
                        due=display(r.expires_at),
                    )
                    for r in rows
                ],
            )
        )
    if mine:
        todos.append(Todo(ctx._("workbench.approvals.own", n=mine), PAGE))
    return PanelContent(todos=todos, note=ctx._("workbench.approvals.none"), more_href=PAGE)


add_panel(
    Panel(
        "workbench.approvals",
        Permission.APPROVALS_DECIDE,
        _load,
        order=10,
        roles=frozenset({Role.BUREAU}),
    )
)
