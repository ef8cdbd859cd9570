"""The bureau's page of irreversible acts awaiting a second person: approve or reject.

Thin: the services decide and refuse; a refusal is shown on the same page in the reader's
language. The requester sees their own requests waiting, without buttons: one person's
word is never enough.
"""

from __future__ import annotations

import uuid
from typing import Annotated, Any, Final

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy.orm import Session

from sluice.approvals import service
from sluice.approvals import states as st
from sluice.approvals.schemas import RejectIn
from sluice.core.clock import Clock, local
from sluice.core.database import undo_keeping_refusal
from sluice.core.errors import SluiceError
from sluice.core.i18n import add_messages, translate
from sluice.core.permissions import Permission as P
from sluice.core.principal import Principal
from sluice.web.deps import AppClock, AppSettings, DbSession, Locale, Requires
from sluice.web.forms import parse_form
from sluice.web.templating import NavItem, add_nav, render

router = APIRouter(tags=["console"])
Reader = Annotated[Principal, Depends(Requires(P.APPROVALS_READ))]
Decider = Annotated[Principal, Depends(Requires(P.APPROVALS_DECIDE))]

#: Decided requests shown under the pending ones.
RECENT: Final = 50
_DONE: Final = ("approved", "rejected", "decision")

add_nav(NavItem("nav.approvals", "/console/approvals", P.APPROVALS_READ, order=72))
add_messages(
    {
        "nav.approvals": ("待审批事项", "Approvals"),
        "approvals_page.title": ("不可逆操作审批（四眼原则）", "Irreversible acts (four eyes)"),
        "approvals_page.lead": (
            "终止授权协议、整改不合格强制退出、批量撤回目录等操作无法撤销。一人提出申请，须由另一名"
            "数据局工作人员批准后才执行，或依据他人记录的同意该事项的集体决策（三重一大）执行；"
            "申请人不能审批自己的申请。申请在 {hours} 小时内未获批准即失效，不做任何改动。",
            "Terminating an agreement, forcing an exit after a failed rectification and "
            "withdrawing a catalog batch cannot be undone. One person asks; the act is carried "
            "out only when another member of the bureau approves, or on a collective decision "
            "approving it that someone else recorded. Nobody approves their own request. A "
            "request not approved within {hours} hours lapses and changes nothing.",
        ),
        "approvals_page.pending": ("待审批", "Awaiting approval"),
        "approvals_page.none_pending": ("没有待审批的申请。", "Nothing awaits approval."),
        "approvals_page.recent": ("最近处理的申请", "Recently decided"),
        "approvals_page.act": ("操作", "Act"),
        "approvals_page.target": ("对象", "On"),
        "approvals_page.grounds": ("理由", "Grounds"),
        "approvals_page.requested": ("申请人和时间", "Asked by"),
        "approvals_page.expires": ("有效至", "Lapses at"),
        "approvals_page.status": ("状态", "Status"),
        "approvals_page.second": ("第二人", "Second person"),
        "approvals_page.note": ("审批意见", "Note"),
        "approvals_page.note_optional": ("审批意见（可选）", "Note (optional)"),
        "approvals_page.reject_note": ("驳回理由", "Why not"),
        "approvals_page.approve": ("批准并执行", "Approve and carry out"),
        "approvals_page.reject": ("驳回", "Reject"),
        "approvals_page.own": (
            "这是您本人的申请，须由另一名数据局工作人员审批。",
            "This is your own request; another member of the bureau must decide it.",
        ),
        "approvals_page.decision_cited": ("依据的集体决策", "Collective decision cited"),
        "approvals_page.record_decision": (
            "记录针对本事项的集体决策（三重一大）",
            "Record the collective decision on this matter",
        ),
        "approvals_page.record_decision_help": (
            "由申请人本人记录的决策不能代替第二人；由他人记录的“同意”决策即批准并执行，“不同意”"
            "即驳回。",
            "A decision recorded by the requester is not a second person; an approving "
            "decision recorded by someone else carries the act out, a refusal rejects it.",
        ),
        "approvals_page.done.approved": (
            "已批准，操作已执行。",
            "Approved: the act has been carried out.",
        ),
        "approvals_page.done.rejected": ("已驳回，未做任何改动。", "Rejected: nothing changed."),
        "approvals_page.done.decision": (
            "已记录集体决策。",
            "The collective decision is recorded.",
        ),
        "approvals_page.via": ("{who}（{via}）", "{who} ({via})"),
    }
)


def approvals_page(
    request: Request,
    session: Session,
    actor: Principal,
    clock: Clock,
    locale: str,
    hours: int,
    *,
    done: str | None = None,
    error: str | None = None,
    errors: dict[str, str] | None = None,
    form: dict[str, Any] | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    """The page; modules that record a decision on it show their refusals here too."""
    now = clock.now()
    _, pending = service.list_requests(session, actor=actor, at=now, status=st.PENDING)
    _, rows = service.list_requests(session, actor=actor, at=now, limit=RECENT + len(pending))
    decided = [r for r in rows if r.status != st.PENDING][:RECENT]
    notice = translate(f"approvals_page.done.{done}", locale) if done in _DONE else None
    return render(
        request,
        "approvals/list.html",
        {
            "pending": pending,
            "decided": decided,
            "own": {r.id for r in pending if service.is_own(actor, r)},
            "hours": hours,
            "notice": notice,
            "error": error,
            "errors": errors or {},
            "form": form or {},
            "today": local(now).date().isoformat(),
            "outcomes": ("approved", "rejected", "deferred"),
            "can_record": actor.has(P.PLANS_MANAGE),
        },
        status_code=status_code,
    )


@router.get("/console/approvals", response_class=HTMLResponse)
def approvals_list(
    request: Request,
    actor: Reader,
    session: DbSession,
    clock: AppClock,
    settings: AppSettings,
    locale: Locale,
    done: Annotated[str | None, Query(max_length=30)] = None,
) -> HTMLResponse:
    return approvals_page(
        request, session, actor, clock, locale, settings.approval_hours, done=done
    )


async def _note(request: Request) -> str:
    value = (await request.form()).get("note", "")
    return value.strip() if isinstance(value, str) else ""


@router.post("/console/approvals/{approval_id}/approve", response_class=HTMLResponse)
async def approve(
    request: Request,
    approval_id: uuid.UUID,
    actor: Decider,
    session: DbSession,
    clock: AppClock,
    settings: AppSettings,
    locale: Locale,
) -> Response:
    note = (await _note(request))[:2000]
    try:
        service.approve(
            session,
            actor=actor,
            settings=settings,
            at=clock.now(),
            approval_id=approval_id,
            note=note,
        )
    except SluiceError as refused:
        if refused.status == 404:
            raise
        undo_keeping_refusal(session, refused)
        return approvals_page(
            request,
            session,
            actor,
            clock,
            locale,
            settings.approval_hours,
            error=refused.detail(locale),
            status_code=refused.status,
        )
    return RedirectResponse("/console/approvals?done=approved", status_code=303)


@router.post("/console/approvals/{approval_id}/reject", response_class=HTMLResponse)
async def reject(
    request: Request,
    approval_id: uuid.UUID,
    actor: Decider,
    session: DbSession,
    clock: AppClock,
    settings: AppSettings,
    locale: Locale,
) -> Response:
    typed = {"note": await _note(request)}
    data, errors = parse_form(RejectIn, typed, locale)
    try:
        if data is None:
            return approvals_page(
                request,
                session,
                actor,
                clock,
                locale,
                settings.approval_hours,
                errors={f"{approval_id}.{k}": v for k, v in errors.items()},
                form={"approval": str(approval_id), **typed},
                status_code=422,
            )
        service.reject(
            session, actor=actor, at=clock.now(), approval_id=approval_id, note=data.note
        )
    except SluiceError as refused:
        if refused.status == 404:
            raise
        undo_keeping_refusal(session, refused)
        return approvals_page(
            request,
            session,
            actor,
            clock,
            locale,
            settings.approval_hours,
            error=refused.detail(locale),
            status_code=refused.status,
        )
    return RedirectResponse("/console/approvals?done=rejected", status_code=303)
