"""Console pages of the comments on draft agreements (R5.2): the bureau opens a round from
the agreement's page; the parties asked find it on their workbench and in the list, read
the draft as it was sent and file their comments; the bureau records how each was handled
and closes the round. Thin: each action is one call of ``comments``."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Annotated, Any, Final

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy.orm import Session
from starlette.datastructures import FormData

from sluice.authorizations import agreement_pages, comments
from sluice.authorizations import shared_pages as forms
from sluice.authorizations.clauses import TEXT_CLAUSES
from sluice.authorizations.shared_pages import Manager
from sluice.core.clock import Clock, local
from sluice.core.database import undo_keeping_refusal
from sluice.core.errors import InvalidInput, SluiceError
from sluice.core.i18n import add_messages, translate
from sluice.core.paging import ListQuery
from sluice.core.permissions import Permission as P
from sluice.core.principal import Principal
from sluice.web.deps import AppClock, AppSettings, DbSession, Locale, Requires
from sluice.web.listing import ListSpec, render_list
from sluice.web.templating import NavItem, add_nav, render

router = APIRouter(tags=["console"])

CommentReader = Annotated[Principal, Depends(Requires(P.AGREEMENT_COMMENTS_READ))]
CommentFiler = Annotated[Principal, Depends(Requires(P.AGREEMENT_COMMENTS_FILE))]

LIST: Final = "/console/comment-rounds"
ROUNDS = ListSpec(sorts=("opened", "due", "agreement"), filters=("status",), default_sort="-opened")
#: What an action reports back on the round's page, by its name.
_DONE: Final = ("opened", "commented", "handled", "closed")

add_nav(NavItem("nav.comment_rounds", LIST, P.AGREEMENT_COMMENTS_READ, order=66))
add_messages(
    {
        "nav.comment_rounds": ("协议征求意见", "Comments on agreements"),
        "comments_page.title": ("协议草案征求意见", "Comments on draft agreements"),
        "comments_page.lead": (
            "授权运营协议起草后，数据局将草案发送有关各方征求意见：其数据在授权范围内的数据提供部门、"
            "运营机构和财政部门。各方在截止日前提出意见，数据局逐条记录采纳情况，意见及处理情况随提交"
            "集体决策（三重一大）的协议版本一并保存。",
            "Once an agreement is drafted the bureau sends it to the parties it concerns for "
            "comments: the providers whose data is in scope, the operator and the finance "
            "bureau. They comment until the last day; the bureau records how it handled each "
            "comment, and comments and handling are kept with the version that goes to the "
            "collective decision.",
        ),
        "comments_page.search": ("协议编号或场景", "Agreement number or scenario"),
        "comments_page.empty": (
            "还没有征求意见。数据局起草协议后征求贵单位意见时，会出现在这里。",
            "No round of comments yet. When the bureau asks your organization about a draft, "
            "it appears here.",
        ),
        "comments_page.agreement": ("协议", "Agreement"),
        "comments_page.scenario": ("场景", "Scenario"),
        "comments_page.round": ("轮次", "Round"),
        "comments_page.round_n": ("第 {number} 轮", "Round {number}"),
        "comments_page.version_n": ("第 {version} 版", "version {version}"),
        "comments_page.opened": ("发出时间", "Sent"),
        "comments_page.due": ("截止日", "Last day"),
        "comments_page.status": ("状态", "Status"),
        "comments_page.past_due": ("已截止", "Past its last day"),
        "comments_page.heading": (
            "{number} 第 {round} 轮征求意见",
            "{number}: round {round} of comments",
        ),
        "comments_page.operator": ("运营机构", "Operator"),
        "comments_page.version": ("征求意见稿", "Version sent"),
        "comments_page.digest": ("SM3 摘要", "SM3 digest"),
        "comments_page.sent_by": ("发出", "Sent by"),
        "comments_page.due_line": (
            "{due}（{days} 个工作日）",
            "{due} ({days} working days)",
        ),
        "comments_page.note": ("征求意见说明", "What the bureau asks"),
        "comments_page.decision": ("集体决策", "Collective decision"),
        "comments_page.decision_line": (
            "意见及处理情况随第 {version} 版提交 {meeting}（{held_on}）集体决策",
            "Comments and their handling went with version {version} to {meeting} "
            "({held_on}) for the collective decision",
        ),
        "comments_page.parties": ("征求意见单位", "Parties asked"),
        "comments_page.answered": ("已反馈", "Answered"),
        "comments_page.not_answered": ("未反馈", "Not yet"),
        "comments_page.draft": ("协议草案内容", "The draft as sent"),
        "comments_page.term": ("授权期限", "Term"),
        "comments_page.term_years": ("{years} 年", "{years} years"),
        "comments_page.mode": ("授权方式", "Mode"),
        "comments_page.purpose": ("使用目的", "Purpose"),
        "comments_page.share": ("政府分成比例", "Government's share"),
        "comments_page.comments": ("意见", "Comments"),
        "comments_page.comments_own": ("本单位的意见", "Your organization's comments"),
        "comments_page.no_comments": ("尚无意见。", "No comment yet."),
        "comments_page.by": ("{name} · {at}", "{name} · {at}"),
        "comments_page.handling": ("处理情况", "Handling"),
        "comments_page.unhandled": ("待数据局处理", "Awaiting the bureau's handling"),
        "comments_page.response": ("处理说明（不采纳、部分采纳须写明理由）", "How, or why not"),
        "comments_page.record_handling": ("记录处理情况", "Record the handling"),
        "comments_page.new_comment": ("提出意见", "Comment"),
        "comments_page.part": ("针对内容", "About"),
        "comments_page.body": ("意见内容", "Comment"),
        "comments_page.submit": ("提交意见", "File the comment"),
        "comments_page.comment_help": (
            "可以就不同条款分别提出多条意见，截止日（{due}）后不再接收。",
            "You may file several comments, one per part; none is taken after {due}.",
        ),
        "comments_page.closed_note": (
            "本轮征求意见已结束，不再接收意见。",
            "This round is closed and takes no more comments.",
        ),
        "comments_page.past_due_note": (
            "本轮征求意见已于 {due} 截止，不再接收意见。",
            "This round took comments until {due}; it takes no more.",
        ),
        "comments_page.close": ("结束征求意见", "Close the round"),
        "comments_page.close_help": (
            "截止日后可结束；各方均已反馈的，可提前结束。结束后记录全部意见的处理情况，协议方可提交"
            "集体决策。",
            "Close it after its last day, or earlier once every party has answered. With "
            "every comment's handling recorded, the agreement can go to the collective "
            "decision.",
        ),
        "comments_page.back": ("返回协议", "Back to the agreement"),
        "comments_page.list": ("全部征求意见", "Every round"),
        "comments_page.done.opened": (
            "已发出征求意见，各方将在工作台看到。",
            "Sent out; the parties see it on their workbench.",
        ),
        "comments_page.done.commented": ("意见已提交。", "Your comment is filed."),
        "comments_page.done.handled": ("已记录处理情况。", "The handling is recorded."),
        "comments_page.done.closed": ("本轮征求意见已结束。", "The round is closed."),
        "comments_page.section": ("征求意见", "Comments from the parties"),
        "comments_page.section_lead": (
            "协议草案须征求有关各方意见（数据提供部门、运营机构、财政部门）；征求意见未结束或有意见"
            "未处理时，不能作出集体决策。",
            "A draft is sent to the parties it concerns (providers, operator, finance bureau) "
            "for comments; while a round is open or a comment unhandled, no collective "
            "decision can be taken.",
        ),
        "comments_page.section_none": ("尚未征求意见。", "Not sent out for comments yet."),
        "comments_page.round_line": (
            "第 {number} 轮 · 第 {version} 版 · 截止 {due} · 意见 {count} 条",
            "Round {number} · version {version} · last day {due} · {count} comments",
        ),
        "comments_page.unhandled_n": ("{n} 条待处理", "{n} to handle"),
        "comments_page.open": ("发出征求意见", "Send out for comments"),
        "comments_page.open_help": (
            "将当前版本（第 {version} 版）发送数据提供部门、运营机构和财政部门征求意见。",
            "Sends the current version (version {version}) to the providers, the operator "
            "and the finance bureau for comments.",
        ),
        "comments_page.working_days": ("征求意见期限（工作日）", "Working days to comment"),
        "comments_page.view": ("查看", "Open"),
    }
)


def _status_filter(locale: str) -> list[tuple[str, str, list[tuple[str, str]]]]:
    states = [
        (s, translate(f"state.{comments.ROUND.entity}.{s}", locale)) for s in comments.ROUND.states
    ]
    return [("status", translate("comments_page.status", locale), states)]


@router.get(LIST, response_class=HTMLResponse)
def rounds_page(
    request: Request,
    actor: CommentReader,
    session: DbSession,
    clock: AppClock,
    locale: Locale,
    listing: Annotated[ListQuery, Depends(ROUNDS)],
) -> HTMLResponse:
    page = comments.round_page(session, actor, listing)
    context = {"filters": _status_filter(locale), "today": local(clock.now()).date()}
    return render_list(
        request,
        "authorizations/comment_rounds.html",
        context,
        page=page,
        rows_template="authorizations/_comment_round_rows.html",
    )


def _round_page(
    request: Request,
    session: Session,
    actor: Principal,
    clock: Clock,
    locale: str,
    round_id: uuid.UUID,
    *,
    done: str | None = None,
    error: str | None = None,
    errors: dict[str, str] | None = None,
    form: dict[str, Any] | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    view = comments.round_view(session, actor, round_id, today=local(clock.now()).date())
    share = view.content.get("clauses", {}).get("revenue", {}).get("government_share_bp")
    context: dict[str, Any] = {
        "v": view,
        "r": view.round,
        "a": view.authorization,
        "draft": view.content,
        "share": f"{share // 100}.{share % 100:02d}" if isinstance(share, int) else None,
        "text_clauses": [key for key, _, _ in TEXT_CLAUSES],
        "parts": comments.PARTS,
        "outcomes": comments.OUTCOMES,
        "can_comment": view.asked and view.open_now and actor.has(P.AGREEMENT_COMMENTS_FILE),
        "can_manage": actor.has(P.AUTHORIZATIONS_MANAGE),
        "can_read_agreement": actor.has(P.AUTHORIZATIONS_READ)
        and (actor.organization_kind != "operator" or view.asked),
        "notice": translate(f"comments_page.done.{done}", locale) if done in _DONE else None,
        "error": error,
        "errors": errors or {},
        "form": form or {},
    }
    return render(request, "authorizations/comment_round.html", context, status_code=status_code)


@router.get(LIST + "/{round_id}", response_class=HTMLResponse)
def round_page(
    request: Request,
    round_id: uuid.UUID,
    actor: CommentReader,
    session: DbSession,
    clock: AppClock,
    locale: Locale,
    done: Annotated[str | None, Query(max_length=20)] = None,
) -> HTMLResponse:
    return _round_page(request, session, actor, clock, locale, round_id, done=done)


async def _act(
    request: Request,
    session: Session,
    actor: Principal,
    clock: Clock,
    locale: str,
    round_id: uuid.UUID,
    name: str,
    action: Callable[[FormData], object],
) -> Response:
    """Run one action posted from a round's page: back to it with ``done`` when it went
    well, the page again with the refusal and what was typed when it did not."""
    form = await request.form()
    comments.round_view(session, actor, round_id, today=local(clock.now()).date())  # or 404
    typed = {**forms.plain(form), "action": name}
    try:
        action(form)
    except forms.FormInvalid as invalid:
        session.rollback()
        return _round_page(
            request,
            session,
            actor,
            clock,
            locale,
            round_id,
            error=translate("authz_page.form_problems", locale),
            errors=invalid.errors,
            form=typed,
            status_code=422,
        )
    except SluiceError as refused:
        if refused.status == 404:
            raise
        undo_keeping_refusal(session, refused)
        fields = (
            [e.get("field") for e in refused.errors] if isinstance(refused, InvalidInput) else []
        )
        named = {f: refused.detail(locale) for f in fields if isinstance(f, str)}
        return _round_page(
            request,
            session,
            actor,
            clock,
            locale,
            round_id,
            error=refused.detail(locale),
            errors=named,
            form=typed,
            status_code=refused.status,
        )
    return RedirectResponse(f"{LIST}/{round_id}?done={name}", status_code=303)


@router.post(LIST + "/{round_id}/comments", response_class=HTMLResponse)
async def file_comment(
    request: Request,
    round_id: uuid.UUID,
    actor: CommentFiler,
    session: DbSession,
    clock: AppClock,
    locale: Locale,
) -> Response:
    def run(form: FormData) -> None:
        comments.comment(
            session,
            actor=actor,
            at=clock.now(),
            round_id=round_id,
            part=forms.text(form, "part"),
            body=forms.text(form, "body"),
        )

    return await _act(request, session, actor, clock, locale, round_id, "commented", run)


@router.post(LIST + "/{round_id}/comments/{comment_id}/handling", response_class=HTMLResponse)
async def handle_comment(
    request: Request,
    round_id: uuid.UUID,
    comment_id: uuid.UUID,
    actor: Manager,
    session: DbSession,
    clock: AppClock,
    locale: Locale,
) -> Response:
    def run(form: FormData) -> None:
        comments.handle(
            session,
            actor=actor,
            at=clock.now(),
            comment_id=comment_id,
            outcome=forms.text(form, "outcome"),
            response=forms.text(form, "response"),
        )

    return await _act(request, session, actor, clock, locale, round_id, "handled", run)


@router.post(LIST + "/{round_id}/close", response_class=HTMLResponse)
async def close_round(
    request: Request,
    round_id: uuid.UUID,
    actor: Manager,
    session: DbSession,
    clock: AppClock,
    locale: Locale,
) -> Response:
    def run(form: FormData) -> None:
        comments.close(session, actor=actor, at=clock.now(), round_id=round_id)

    return await _act(request, session, actor, clock, locale, round_id, "closed", run)


@router.post(
    "/console/authorizations/{authorization_id}/comment-rounds", response_class=HTMLResponse
)
async def open_round(
    request: Request,
    authorization_id: uuid.UUID,
    actor: Manager,
    session: DbSession,
    clock: AppClock,
    settings: AppSettings,
    locale: Locale,
) -> Response:
    def run(form: FormData) -> None:
        raw = forms.text(form, "working_days")
        days = int(raw) if raw.isascii() and raw.isdigit() and len(raw) < 4 else None
        if days is None:
            raise forms.FormInvalid({"working_days": translate("form.invalid", locale)})
        opened = comments.open_round(
            session,
            actor=actor,
            at=clock.now(),
            authorization_id=authorization_id,
            working_days=days,
            note=forms.text(form, "note"),
        )
        raise forms.Redirect(f"{LIST}/{opened.id}?done=opened")

    return await agreement_pages.act(
        request, session, actor, settings, clock, locale, authorization_id, "comment_round", run
    )
