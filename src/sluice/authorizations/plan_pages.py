"""Console pages of implementation plans (实施方案) and collective decisions (三重一大): the
bureau drafts a plan with its ten required parts and records the decision on it; a
decision on one irreversible act (from the approvals page) is recorded here too.

Thin: the services decide; refusals come back on the same page with what was typed.
"""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy.orm import Session

from sluice.approvals import pages as approvals_pages
from sluice.authorizations import repository, service
from sluice.authorizations import shared_pages as forms
from sluice.authorizations import states as st
from sluice.authorizations.schemas import MatterDecisionIn, PlanIn
from sluice.authorizations.shared_pages import Planner
from sluice.core.clock import Clock, local
from sluice.core.database import undo_keeping_refusal
from sluice.core.errors import SluiceError
from sluice.core.i18n import MessageList, add_messages, translate
from sluice.core.paging import ListQuery
from sluice.core.permissions import Permission as P
from sluice.core.principal import Principal
from sluice.web.deps import AppClock, AppSettings, DbSession, Locale
from sluice.web.forms import parse_form
from sluice.web.listing import ListSpec, render_list
from sluice.web.templating import NavItem, add_nav, render

router = APIRouter(tags=["console"])

add_nav(NavItem("nav.plans", "/console/plans", P.PLANS_MANAGE, order=68))
add_messages(
    {
        "nav.plans": ("实施方案", "Implementation plans"),
        "plans_page.title": ("实施方案", "Implementation plans"),
        "plans_page.lead": (
            "授权运营须依据经集体决策（三重一大）批准的实施方案；方案须包含以下十项内容。",
            "Authorizations are made under an implementation plan approved by a collective "
            "decision; a plan must cover the ten parts below.",
        ),
        "plans_page.new": ("编制实施方案", "Draft a plan"),
        "plans_page.plan_title": ("方案名称", "Title"),
        "plans_page.create": ("保存方案", "Save the plan"),
        "plans_page.none": (
            "还没有实施方案。请在下方“编制实施方案”中填写十项内容并保存，再记录集体决策。",
            "No plans yet. Draft one below with its ten parts, then record the collective "
            "decision on it.",
        ),
        "plans_page.search": ("搜索方案名称", "Search plan titles"),
        "plans_page.sort": ("排序：", "Sort:"),
        "plans_page.sections": ("方案内容", "Contents"),
        "plans_page.created": ("编制", "Drafted"),
        "plans_page.done.created": ("实施方案已保存。", "The plan has been saved."),
        "plans_page.done.decided": ("已记录集体决策。", "The collective decision is recorded."),
    }
)


# -- implementation plans ---------------------------------------------------------------------


#: The plans list: 20 a page (each plan is a card with its decisions), newest first.
PLANS = ListSpec(
    sorts=tuple(repository.PLAN_SORTS), filters=("status",), default_sort="-created", size=20
)


def _plans_page(
    request: Request,
    session: Session,
    actor: Principal,
    clock: Clock,
    locale: str,
    listing: ListQuery,
    *,
    done: str | None = None,
    form: dict[str, str] | None = None,
    errors: dict[str, str] | None = None,
    error: str | None = None,
    focus: uuid.UUID | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    """The plans page; ``focus``: a plan whose form came back with problems, shown even when
    it is not on the page of the list."""
    page = service.plan_page(session, actor, listing)
    shown = [*page.items]
    if focus is not None and all(p.id != focus for p in shown):
        focused = repository.plan_for(session, actor, focus)
        shown = [focused, *shown] if focused is not None else shown
    notice = None
    if done in ("created", "decided"):
        notice = translate(f"plans_page.done.{done}", locale)
    context = {
        "decisions": service.plan_decisions(session, shown),
        "focused": shown[0] if len(shown) > len(page.items) else None,
        "sections": service.PLAN_SECTIONS,
        "filters": [
            (
                "status",
                translate("common.status", locale),
                [(s, translate(f"state.implementation_plan.{s}", locale)) for s in st.PLAN.states],
            )
        ],
        "notice": notice,
        "form": form or {},
        "errors": errors or {},
        "error": error,
        "today": local(clock.now()).date().isoformat(),
        "outcomes": ("approved", "rejected", "deferred"),
    }
    if status_code != 200:
        return render(
            request,
            "authorizations/plans.html",
            {"listing": page.query, "page_of_rows": page, "list_id": "list", **context},
            status_code=status_code,
        )
    return render_list(
        request,
        "authorizations/plans.html",
        context,
        page=page,
        rows_template="authorizations/_plan_rows.html",
    )


@router.get("/console/plans", response_class=HTMLResponse)
def plans_page(
    request: Request,
    actor: Planner,
    session: DbSession,
    clock: AppClock,
    locale: Locale,
    listing: Annotated[ListQuery, Depends(PLANS)],
    done: Annotated[str | None, Query(max_length=30)] = None,
) -> HTMLResponse:
    return _plans_page(request, session, actor, clock, locale, listing, done=done)


def _first_page() -> ListQuery:
    """The list under a form posted back with its problems: page one, in the usual order."""
    return ListQuery(size=PLANS.size, sort=PLANS.default_sort.removeprefix("-"), descending=True)


@router.post("/console/plans", response_class=HTMLResponse)
async def create_plan(
    request: Request,
    actor: Planner,
    session: DbSession,
    clock: AppClock,
    locale: Locale,
) -> Response:
    form = await request.form()
    typed = forms.plain(form)
    sections = {key: typed.get(f"section_{key}", "") for key, _, _ in service.PLAN_SECTIONS}
    data, errors = parse_form(
        PlanIn, {"title": typed.get("title", ""), "sections": sections}, locale
    )
    missing = service.missing_plan_sections(sections)
    for key in missing:
        errors[f"section_{key}"] = translate("form.required", locale)
    if missing:
        names = MessageList([f"plan_section.{key}" for key in missing])
        errors["__all__"] = translate("authz.plan_sections_missing", locale, missing=names)
    if data is not None and not errors:
        try:
            plan = service.create_plan(session, actor=actor, at=clock.now(), data=data)
        except SluiceError as refused:
            undo_keeping_refusal(session, refused)
            errors = {"__all__": refused.detail(locale)}
        else:
            return RedirectResponse(f"/console/plans?done=created#plan-{plan.id}", status_code=303)
    return _plans_page(
        request,
        session,
        actor,
        clock,
        locale,
        _first_page(),
        form={**typed, "action": "create"},
        errors=errors,
        error=errors.get("__all__"),
        status_code=422,
    )


@router.post("/console/plans/{plan_id}/decision", response_class=HTMLResponse)
async def decide_plan(
    request: Request,
    plan_id: uuid.UUID,
    actor: Planner,
    session: DbSession,
    clock: AppClock,
    locale: Locale,
) -> Response:
    form = await request.form()
    typed = {**forms.plain(form), "action": f"decide-{plan_id}"}
    try:
        data = forms.decision_from(form, locale)
        service.decide_plan(session, actor=actor, at=clock.now(), plan_id=plan_id, data=data)
    except forms.FormInvalid as invalid:
        session.rollback()
        return _plans_page(
            request,
            session,
            actor,
            clock,
            locale,
            _first_page(),
            form=typed,
            errors=invalid.errors,
            focus=plan_id,
            status_code=422,
        )
    except SluiceError as refused:
        if refused.status == 404:
            raise
        undo_keeping_refusal(session, refused)
        return _plans_page(
            request,
            session,
            actor,
            clock,
            locale,
            _first_page(),
            form=typed,
            error=refused.detail(locale),
            focus=plan_id,
            status_code=refused.status,
        )
    return RedirectResponse(f"/console/plans?done=decided#plan-{plan_id}", status_code=303)


# -- a collective decision on an irreversible act ---------------------------------------------


@router.post("/console/decisions", response_class=HTMLResponse)
async def record_matter_decision(
    request: Request,
    actor: Planner,
    session: DbSession,
    clock: AppClock,
    settings: AppSettings,
    locale: Locale,
) -> Response:
    """The minutes of a collective decision on one irreversible act on one object (from the
    approvals page). A request waiting there follows it; the page shows what happened."""
    form = await request.form()
    back = "/console/approvals"
    try:
        minutes = forms.decision_from(form, locale)
        data: MatterDecisionIn = forms.parsed(
            MatterDecisionIn,
            {
                **minutes.model_dump(),
                "act": forms.text(form, "act"),
                "target_id": forms.text(form, "target_id"),
            },
            locale,
        )
        service.record_matter_decision(
            session, actor=actor, settings=settings, at=clock.now(), data=data
        )
    except forms.FormInvalid as invalid:
        session.rollback()
        typed = {**forms.plain(form), "action": f"decide-{forms.text(form, 'target_id')}"}
        return approvals_pages.approvals_page(
            request,
            session,
            actor,
            clock,
            locale,
            settings.approval_hours,
            error=translate("authz_page.form_problems", locale),
            errors=invalid.errors,
            form=typed,
            status_code=422,
        )
    except SluiceError as refused:
        if refused.status == 404:
            raise
        undo_keeping_refusal(session, refused)
        return approvals_pages.approvals_page(
            request,
            session,
            actor,
            clock,
            locale,
            settings.approval_hours,
            error=refused.detail(locale),
            form={**forms.plain(form), "action": f"decide-{forms.text(form, 'target_id')}"},
            status_code=refused.status,
        )
    return RedirectResponse(f"{back}?done=decision", status_code=303)
