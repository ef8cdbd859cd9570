"""The bureau's page of irreversible acts awaiting a second person: approve or reject.

Thin: the services decide and refuse; a refusal is shown on the same page in the reader's
language. The requester sees their own requests waiting, without buttons: one person's
word is never enough.
"""

from __future__ import annotations

import uuid
from typing import Annotated, Any, Final
from urllib.parse import parse_qsl, urlencode, urlsplit

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import HTMLResponse, Response
from sqlalchemy.orm import Session

from sluice.approvals import registry, service
from sluice.approvals import states as st
from sluice.approvals.schemas import RejectIn
from sluice.core.clock import Clock, local
from sluice.core.database import undo_keeping_refusal
from sluice.core.errors import SluiceError
from sluice.core.i18n import add_messages, translate
from sluice.core.paging import ListQuery
from sluice.core.permissions import Permission as P
from sluice.core.principal import Principal
from sluice.web.deps import AppClock, AppSettings, DbSession, Locale, Requires
from sluice.web.forms import parse_form, see_other
from sluice.web.listing import ListSpec, link, render_list
from sluice.web.templating import NavItem, add_nav, render

router = APIRouter(tags=["console"])
Reader = Annotated[Principal, Depends(Requires(P.APPROVALS_READ))]
Decider = Annotated[Principal, Depends(Requires(P.APPROVALS_DECIDE))]

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
        "approvals_page.recent": ("已处理的申请", "Decided"),
        "approvals_page.search": (
            "对象、理由、申请人或审批人",
            "Object, grounds, requester or second person",
        ),
        "approvals_page.empty": (
            "没有审批申请。终止协议、强制退出等不可逆操作提出后会出现在这里。",
            "No requests. Irreversible acts (terminating an agreement, forcing an exit) "
            "appear here once someone asks for one.",
        ),
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


APPROVALS_PAGE: Final = "/console/approvals"
REQUESTS = ListSpec(
    sorts=("requested", "expires", "decided"),
    filters=("status", "act"),
    default_sort="-requested",
    size=20,
)


def _filters(locale: str) -> list[tuple[str, str, list[tuple[str, str]]]]:
    statuses = [
        (state, translate(f"state.approval.{state}", locale))
        for state in (st.PENDING, st.APPROVED, st.REJECTED, st.LAPSED)
    ]
    acts = [
        (name, translate(f"approval_act.{name}", locale)) for name in sorted(registry.registered())
    ]
    return [
        ("status", translate("approvals_page.status", locale), statuses),
        ("act", translate("approvals_page.act", locale), acts),
    ]


def approvals_page(
    request: Request,
    session: Session,
    actor: Principal,
    clock: Clock,
    locale: str,
    hours: int,
    *,
    listing: ListQuery | None = None,
    done: str | None = None,
    error: str | None = None,
    errors: dict[str, str] | None = None,
    form: dict[str, Any] | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    """The page; modules that record a decision on it show their refusals here too.

    One page of requests (waiting ones first, with their buttons), searchable and filtered
    by status and act; a refusal re-renders it with the list as it was asked for.
    """
    now = clock.now()
    query = listing if listing is not None else REQUESTS(request)
    page = service.request_page(session, actor=actor, at=now, query=query)
    notice = translate(f"approvals_page.done.{done}", locale) if done in _DONE else None
    context = {
        "filters": _filters(locale),
        "own": {r.id for r in page.items if r.status == st.PENDING and service.is_own(actor, r)},
        "hours": hours,
        "notice": notice,
        "error": error,
        "errors": errors or {},
        "form": form or {},
        "today": local(now).date().isoformat(),
        "outcomes": ("approved", "rejected", "deferred"),
        "can_record": actor.has(P.PLANS_MANAGE),
        "back": f"{APPROVALS_PAGE}{link(page.query, done=None)}".rstrip("?"),
    }
    if status_code != 200:
        full = {"listing": page.query, "page_of_rows": page, "list_id": "list", **context}
        return render(request, "approvals/list.html", full, status_code=status_code)
    return render_list(
        request, "approvals/list.html", context, page=page, rows_template="approvals/_rows.html"
    )


@router.get(APPROVALS_PAGE, response_class=HTMLResponse)
def approvals_list(
    request: Request,
    actor: Reader,
    session: DbSession,
    clock: AppClock,
    settings: AppSettings,
    locale: Locale,
    listing: Annotated[ListQuery, Depends(REQUESTS)],
    done: Annotated[str | None, Query(max_length=30)] = None,
) -> HTMLResponse:
    return approvals_page(
        request,
        session,
        actor,
        clock,
        locale,
        settings.approval_hours,
        listing=listing,
        done=done,
    )


def _after(back: object, done: str) -> str:
    """Back to the list as it was (its filters and page), saying what was done."""
    target = APPROVALS_PAGE
    if isinstance(back, str) and (back == target or back.startswith(target + "?")):
        target = back
    parts = urlsplit(target)
    params = [(k, v) for k, v in parse_qsl(parts.query) if k not in ("done", "page")]
    return f"{parts.path}?{urlencode([*params, ('done', done)])}"


async def _note(request: Request) -> tuple[str, object]:
    form = await request.form()
    value = form.get("note", "")
    return (value.strip() if isinstance(value, str) else ""), form.get("back")


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
    note, back = await _note(request)
    note = note[:2000]
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
    # The page of the list it was on may be gone (the request left "waiting"): page 1.
    return see_other(_after(back, "approved"))


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
    note, back = await _note(request)
    typed = {"note": note}
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
    return see_other(_after(back, "rejected"))
