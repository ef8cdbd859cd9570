"""Console actions on exits and rectification, from an agreement's detail page: the
operator asks to exit, reports on rectification or refuses it (拒不整改, which ends the
agreement); the bureau decides and carries out exits, forces one directly for a major
breach or violation (on a second approval), ticks off the handover, records asset
disposal, orders and checks rectification.

Thin, like the agreement pages: each action is one service call, and the detail page
(``agreement_pages.act``) shows the outcome or the refusal.
"""

from __future__ import annotations

import uuid

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response
from starlette.datastructures import FormData

from sluice.approvals import states as approval_states
from sluice.authorizations import agreement_pages, endings, exits
from sluice.authorizations import shared_pages as forms
from sluice.authorizations.schemas import ExitIn, RectificationIn
from sluice.authorizations.shared_pages import ExitDecider, ExitRequester, RectIssuer, RectResponder
from sluice.core.i18n import translate
from sluice.web.deps import AppClock, AppSettings, DbSession, Locale

router = APIRouter(tags=["console"])


@router.post(
    "/console/authorizations/{authorization_id}/rectifications", response_class=HTMLResponse
)
async def issue_rectification(
    request: Request,
    authorization_id: uuid.UUID,
    actor: RectIssuer,
    session: DbSession,
    clock: AppClock,
    settings: AppSettings,
    locale: Locale,
) -> Response:
    def run(form: FormData) -> None:
        values = {k: forms.text(form, k) for k in ("grounds", "description", "deadline")}
        data: RectificationIn = forms.parsed(
            RectificationIn, {k: v for k, v in values.items() if v}, locale
        )
        exits.issue_rectification(
            session,
            actor=actor,
            at=clock.now(),
            settings=settings,
            authorization_id=authorization_id,
            data=data,
        )

    return await agreement_pages.act(
        request, session, actor, settings, clock, locale, authorization_id, "rectify", run
    )


@router.post("/console/authorizations/{authorization_id}/exits", response_class=HTMLResponse)
async def request_exit(
    request: Request,
    authorization_id: uuid.UUID,
    actor: ExitRequester,
    session: DbSession,
    clock: AppClock,
    settings: AppSettings,
    locale: Locale,
) -> Response:
    def run(form: FormData) -> None:
        values = {k: forms.text(form, k) for k in ("letter", "exit_date")}
        data: ExitIn = forms.parsed(ExitIn, {k: v for k, v in values.items() if v}, locale)
        exits.request_exit(
            session,
            actor=actor,
            settings=settings,
            at=clock.now(),
            authorization_id=authorization_id,
            data=data,
        )

    return await agreement_pages.act(
        request, session, actor, settings, clock, locale, authorization_id, "exit", run
    )


_EXIT_PATH = "/console/authorizations/{authorization_id}/exits/{exit_id}"


@router.post("/console/authorizations/{authorization_id}/force-exit", response_class=HTMLResponse)
async def force_exit(
    request: Request,
    authorization_id: uuid.UUID,
    actor: ExitDecider,
    session: DbSession,
    clock: AppClock,
    settings: AppSettings,
    locale: Locale,
) -> Response:
    def run(form: FormData) -> None:
        description = forms.long_enough(form, "description", locale)
        filed = exits.force_exit_directly(
            session,
            actor=actor,
            settings=settings,
            at=clock.now(),
            authorization_id=authorization_id,
            grounds=forms.text(form, "grounds"),
            description=description,
            decision_id=forms.cited_decision(form),
        )
        if filed.status != approval_states.APPROVED:
            raise forms.Redirect(f"/console/authorizations/{authorization_id}?done=force_requested")

    return await agreement_pages.act(
        request, session, actor, settings, clock, locale, authorization_id, "force_exit", run
    )


@router.post(_EXIT_PATH + "/decision", response_class=HTMLResponse)
async def decide_exit(
    request: Request,
    authorization_id: uuid.UUID,
    exit_id: uuid.UUID,
    actor: ExitDecider,
    session: DbSession,
    clock: AppClock,
    settings: AppSettings,
    locale: Locale,
) -> Response:
    def run(form: FormData) -> None:
        exits.seen_exit(session, actor, exit_id, authorization_id=authorization_id)
        exits.decide_exit(
            session,
            actor=actor,
            at=clock.now(),
            exit_id=exit_id,
            approve=forms.text(form, "approve") == "1",
            reason=forms.reason(form, locale),
        )

    return await agreement_pages.act(
        request, session, actor, settings, clock, locale, authorization_id, "exit_decision", run
    )


@router.post(_EXIT_PATH + "/execute", response_class=HTMLResponse)
async def execute_exit(
    request: Request,
    authorization_id: uuid.UUID,
    exit_id: uuid.UUID,
    actor: ExitDecider,
    session: DbSession,
    clock: AppClock,
    settings: AppSettings,
    locale: Locale,
) -> Response:
    def run(form: FormData) -> None:
        exits.seen_exit(session, actor, exit_id, authorization_id=authorization_id)
        endings.execute_exit(
            session, actor=actor, settings=settings, at=clock.now(), exit_id=exit_id
        )

    return await agreement_pages.act(
        request, session, actor, settings, clock, locale, authorization_id, "exit_execute", run
    )


@router.post(_EXIT_PATH + "/assets", response_class=HTMLResponse)
async def record_asset(
    request: Request,
    authorization_id: uuid.UUID,
    exit_id: uuid.UUID,
    actor: ExitDecider,
    session: DbSession,
    clock: AppClock,
    settings: AppSettings,
    locale: Locale,
) -> Response:
    def run(form: FormData) -> None:
        exits.seen_exit(session, actor, exit_id, authorization_id=authorization_id)
        name = forms.text(form, "asset_name")
        if not name:
            raise forms.FormInvalid({"asset_name": translate("form.required", locale)})
        exits.record_asset(
            session,
            actor=actor,
            at=clock.now(),
            exit_id=exit_id,
            name=name,
            kind=forms.text(form, "asset_kind"),
            description=forms.text(form, "asset_description"),
        )

    return await agreement_pages.act(
        request, session, actor, settings, clock, locale, authorization_id, "asset", run
    )


@router.post(_EXIT_PATH + "/items/{item_id}/done", response_class=HTMLResponse)
async def handover_done(
    request: Request,
    authorization_id: uuid.UUID,
    exit_id: uuid.UUID,
    item_id: uuid.UUID,
    actor: ExitDecider,
    session: DbSession,
    clock: AppClock,
    settings: AppSettings,
    locale: Locale,
) -> Response:
    def run(form: FormData) -> None:
        exits.seen_exit(session, actor, exit_id, authorization_id=authorization_id)
        exits.mark_handover_done(
            session,
            actor=actor,
            at=clock.now(),
            item_id=item_id,
            note=forms.text(form, "note") or None,
            exit_id=exit_id,
        )

    return await agreement_pages.act(
        request, session, actor, settings, clock, locale, authorization_id, "item", run
    )


@router.post(_EXIT_PATH + "/complete", response_class=HTMLResponse)
async def complete_exit(
    request: Request,
    authorization_id: uuid.UUID,
    exit_id: uuid.UUID,
    actor: ExitDecider,
    session: DbSession,
    clock: AppClock,
    settings: AppSettings,
    locale: Locale,
) -> Response:
    def run(form: FormData) -> None:
        exits.seen_exit(session, actor, exit_id, authorization_id=authorization_id)
        exits.complete_exit(session, actor=actor, at=clock.now(), exit_id=exit_id)

    return await agreement_pages.act(
        request, session, actor, settings, clock, locale, authorization_id, "exit_complete", run
    )


_ORDER_PATH = "/console/authorizations/{authorization_id}/rectifications/{order_id}"


@router.post(_ORDER_PATH + "/report", response_class=HTMLResponse)
async def report_rectification(
    request: Request,
    authorization_id: uuid.UUID,
    order_id: uuid.UUID,
    actor: RectResponder,
    session: DbSession,
    clock: AppClock,
    settings: AppSettings,
    locale: Locale,
) -> Response:
    def run(form: FormData) -> None:
        exits.seen_order(session, actor, order_id, authorization_id=authorization_id)
        report = forms.long_enough(form, "report", locale)
        exits.report_rectification(
            session, actor=actor, at=clock.now(), order_id=order_id, report=report
        )

    return await agreement_pages.act(
        request, session, actor, settings, clock, locale, authorization_id, "report", run
    )


@router.post(_ORDER_PATH + "/refuse", response_class=HTMLResponse)
async def refuse_rectification(
    request: Request,
    authorization_id: uuid.UUID,
    order_id: uuid.UUID,
    actor: RectResponder,
    session: DbSession,
    clock: AppClock,
    settings: AppSettings,
    locale: Locale,
) -> Response:
    def run(form: FormData) -> None:
        exits.seen_order(session, actor, order_id, authorization_id=authorization_id)
        reason = forms.long_enough(form, "refusal", locale)
        endings.refuse_rectification(
            session,
            actor=actor,
            settings=settings,
            at=clock.now(),
            order_id=order_id,
            reason=reason,
        )

    return await agreement_pages.act(
        request, session, actor, settings, clock, locale, authorization_id, "refused", run
    )


@router.post(_ORDER_PATH + "/check", response_class=HTMLResponse)
async def check_rectification(
    request: Request,
    authorization_id: uuid.UUID,
    order_id: uuid.UUID,
    actor: RectIssuer,
    session: DbSession,
    clock: AppClock,
    settings: AppSettings,
    locale: Locale,
) -> Response:
    def run(form: FormData) -> None:
        exits.seen_order(session, actor, order_id, authorization_id=authorization_id)
        note = forms.long_enough(form, "note", locale)
        _, filed = exits.check_rectification(
            session,
            actor=actor,
            settings=settings,
            at=clock.now(),
            order_id=order_id,
            passed=forms.text(form, "passed") == "1",
            note=note,
            decision_id=forms.cited_decision(form),
        )
        if filed is not None and filed.status != approval_states.APPROVED:
            raise forms.Redirect(f"/console/authorizations/{authorization_id}?done=check_requested")

    return await agreement_pages.act(
        request, session, actor, settings, clock, locale, authorization_id, "check", run
    )
