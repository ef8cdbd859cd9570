"""Console pages of implementation plans (实施方案) and collective decisions (三重一大): the
bureau drafts a plan with its ten required parts and records the decision on it; a
decision on one irreversible act (from the approvals page) is recorded here too.

Thin: the services decide; refusals come back on the same page with what was typed.
"""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy.orm import Session

from sluice.approvals import pages as approvals_pages
from sluice.authorizations import repository, service
from sluice.authorizations import shared_pages as forms
from sluice.authorizations.schemas import MatterDecisionIn, PlanIn
from sluice.authorizations.shared_pages import Planner
from sluice.core.clock import Clock, local
from sluice.core.database import undo_keeping_refusal
from sluice.core.errors import SluiceError
from sluice.core.i18n import add_messages, translate
from sluice.core.permissions import Permission as P
from sluice.core.principal import Principal
from sluice.web.deps import AppClock, AppSettings, DbSession, Locale
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
        "plans_page.none": ("还没有实施方案。", "No plans yet."),
        "plans_page.sections": ("方案内容", "Contents"),
        "plans_page.created": ("编制", "Drafted"),
        "plans_page.done.created": ("实施方案已保存。", "The plan has been saved."),
        "plans_page.done.decided": ("已记录集体决策。", "The collective decision is recorded."),
    }
)


# -- implementation plans ---------------------------------------------------------------------


def _plans_page(
    request: Request,
    session: Session,
    actor: Principal,
    clock: Clock,
    locale: str,
    *,
    done: str | None = None,
    form: dict[str, str] | None = None,
    errors: dict[str, str] | None = None,
    error: str | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    plans = service.plans(session, actor)
    notice = None
    if done in ("created", "decided"):
        notice = translate(f"plans_page.done.{done}", locale)
    return render(
        request,
        "authorizations/plans.html",
        {
            "plans": plans,
            "decisions": {p.id: repository.decisions_about(session, p.id) for p in plans},
            "sections": service.PLAN_SECTIONS,
            "notice": notice,
            "form": form or {},
            "errors": errors or {},
            "error": error,
            "today": local(clock.now()).date().isoformat(),
            "outcomes": ("approved", "rejected", "deferred"),
        },
        status_code=status_code,
    )


@router.get("/console/plans", response_class=HTMLResponse)
def plans_page(
    request: Request,
    actor: Planner,
    session: DbSession,
    clock: AppClock,
    locale: Locale,
    done: Annotated[str | None, Query(max_length=30)] = None,
) -> HTMLResponse:
    return _plans_page(request, session, actor, clock, locale, done=done)


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
    try:
        data: PlanIn = forms.parsed(
            PlanIn,
            {
                "title": typed.get("title", ""),
                "sections": {
                    key: typed.get(f"section_{key}", "") for key, _, _ in service.PLAN_SECTIONS
                },
            },
            locale,
        )
        plan = service.create_plan(session, actor=actor, at=clock.now(), data=data)
    except forms.FormInvalid as invalid:
        session.rollback()
        return _plans_page(
            request,
            session,
            actor,
            clock,
            locale,
            form={**typed, "action": "create"},
            errors=invalid.errors,
            status_code=422,
        )
    except SluiceError as refused:
        undo_keeping_refusal(session, refused)
        return _plans_page(
            request,
            session,
            actor,
            clock,
            locale,
            form={**typed, "action": "create"},
            error=refused.detail(locale),
            status_code=refused.status,
        )
    return RedirectResponse(f"/console/plans?done=created#plan-{plan.id}", status_code=303)


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
            form=typed,
            errors=invalid.errors,
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
            form=typed,
            error=refused.detail(locale),
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
