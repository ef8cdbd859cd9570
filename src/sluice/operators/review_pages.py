"""The bureau's console pages of operator qualification.

The bureau lists the submitted applications, reads each with its checks' verdicts and the
ownership paths that found a foreign element, runs the checks again, judges the checklist,
decides with a reason, and keeps the checklist items.
"""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy.orm import Session

from sluice.core.clock import Clock
from sluice.core.database import undo_keeping_refusal
from sluice.core.errors import InvalidInput, PermissionDenied, SluiceError
from sluice.core.i18n import add_messages, translate
from sluice.core.paging import ListQuery
from sluice.core.permissions import Permission as P
from sluice.core.principal import Principal
from sluice.core.settings import Settings
from sluice.operators import applications, checklist, dossier, forms, render, repository, review
from sluice.operators.schemas import (
    ApplicationStatus,
    ChecklistItemCreate,
    ChecklistItemUpdate,
    Decision,
    Judgment,
)
from sluice.operators.states import APPLICATION, DRAFT
from sluice.web.deps import AppClock, AppSettings, DbSession, Locale, Requires
from sluice.web.forms import parse_form
from sluice.web.listing import ListSpec, render_list
from sluice.web.templating import NavItem, add_nav
from sluice.web.templating import render as render_page

router = APIRouter(tags=["console"])
Reader = Annotated[Principal, Depends(Requires(P.OPERATORS_READ))]
Reviewer = Annotated[Principal, Depends(Requires(P.OPERATORS_REVIEW))]

REVIEW = "/console/operators"

add_nav(
    NavItem("nav.operator_review", REVIEW, P.OPERATORS_READ, order=55),
    NavItem(
        "nav.operator_checklist", f"{REVIEW}/checklist", P.OPERATORS_REVIEW, "nav.section.admin", 35
    ),
)


add_messages(
    {
        "nav.operator_review": ("运营机构资格审核", "Operator qualification"),
        "nav.operator_checklist": ("资格审核清单", "Qualification checklist"),
        "ops.unjudged": ("未判定", "Not judged"),
        "ops.judge": ("保存判定", "Save judgment"),
        "ops.judge_note": ("判定意见（不符合时必填）", "Note (required when not met)"),
        "ops.decision": ("审核决定", "Decision"),
        "ops.review_title": ("运营机构资格审核", "Operator qualification review"),
        "ops.review_search": (
            "搜索单位名称或统一社会信用代码",
            "Search by company name or credit code",
        ),
        "ops.review_empty": (
            "还没有提交的资格申请。运营机构在“运营机构资格申请”中提交后，申请会出现在这里等待审核。",
            "No application has been submitted yet. When an operator submits one under "
            "“Operator application”, it appears here for review.",
        ),
        "ops.rerun": ("重新运行自动检查", "Run the checks again"),
        "ops.rerun_done": ("已重新运行自动检查。", "The checks ran again."),
        "ops.judged": ("已保存判定。", "Judgment saved."),
        "ops.decision_done": ("已作出决定：{action}。", "Decision recorded: {action}."),
        "ops.decide_help": (
            "认定合格时系统将再次运行自动检查；有不通过的检查（R2.9 除外）或清单项未判定为"
            "“符合”时不能认定合格。",
            "Qualifying runs the checks once more; it is refused while a check fails (unless "
            "R2.9 applies) or a checklist item is not judged met.",
        ),
        "ops.checklist_title": ("资格审核清单", "Qualification checklist"),
        "ops.checklist_lead": (
            "审核人员逐项判定的条件（R2.1 独立承担民事责任、公平竞争和商业信誉，"
            "R2.6 技术与管理能力、R2.7 基础能力、R2.8 安全能力、R2.10 其他法定条件）。"
            "停用的清单项不再要求新的申请填报。",
            "Conditions a reviewer judges item by item (R2.1 civil liability, fair competition "
            "and business standing, R2.6 technical and management capacity, R2.7 basic "
            "capacity, R2.8 security, R2.10 further legal conditions). Inactive items are no "
            "longer asked of applications.",
        ),
        "ops.accepts_platform_reliance": (
            "可依托实施机构提供的运营平台满足",
            "May be met by relying on the bureau's platform",
        ),
        "ops.item_key": ("标识", "Key"),
        "ops.title_zh": ("名称（中文）", "Title (Chinese)"),
        "ops.title_en": ("名称（英文）", "Title (English)"),
        "ops.description_zh": ("说明（中文）", "Description (Chinese)"),
        "ops.description_en": ("说明（英文）", "Description (English)"),
        "ops.active": ("启用", "Active"),
        "ops.item_position": ("排序", "Order"),
        "ops.new_item": ("新增清单项", "New item"),
        "ops.inactive": ("已停用", "Inactive"),
        "ops.lifecycle": ("申请流转规则", "How an application moves"),
        "ops.from": ("从", "From"),
        "ops.to": ("到", "To"),
        "ops.by": ("所需权限", "Permission"),
    }
)


#: The review list: 50 a page, the latest submission first.
APPLICATIONS = ListSpec(
    sorts=tuple(repository.APPLICATION_SORTS), filters=("status",), default_sort="-submitted"
)


@router.get(REVIEW, response_class=HTMLResponse)
def review_list_page(
    request: Request,
    actor: Reader,
    session: DbSession,
    locale: Locale,
    listing: Annotated[ListQuery, Depends(APPLICATIONS)],
) -> HTMLResponse:
    page = applications.review_page(session, actor=actor, query=listing)
    # The bureau never sees a draft: it is not offered as a filter.
    statuses = [s.value for s in ApplicationStatus if s.value != DRAFT]
    filters = [
        (
            "status",
            translate("common.status", locale),
            [(s, translate(f"state.operator_application.{s}", locale)) for s in statuses],
        )
    ]
    return render_list(
        request,
        "operators/review_list.html",
        {"filters": filters},
        page=page,
        rows_template="operators/_review_rows.html",
    )


def _checklist_page(
    request: Request,
    actor: Principal,
    session: Session,
    clock: Clock,
    *,
    message: str | None = None,
    errors: dict[str, str] | None = None,
    errors_for: str | None = None,
    form: dict[str, str] | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    return render_page(
        request,
        "operators/checklist_items.html",
        {
            "items": checklist.checklist_items(session, actor=actor, clock=clock),
            "requirements": ("R2.1", "R2.6", "R2.7", "R2.8", "R2.10"),
            "message": message,
            "errors": errors or {},
            "errors_for": errors_for,
            "form": form or {},
            "form_for": errors_for,
        },
        status_code=status_code,
    )


@router.get(REVIEW + "/checklist", response_class=HTMLResponse)
def checklist_page(
    request: Request,
    actor: Reviewer,
    session: DbSession,
    clock: AppClock,
    locale: Locale,
    done: str | None = None,
) -> HTMLResponse:
    message = translate("ops.saved", locale) if done else None
    return _checklist_page(request, actor, session, clock, message=message)


@router.post(REVIEW + "/checklist", response_class=HTMLResponse)
async def create_item(
    request: Request, actor: Reviewer, session: DbSession, clock: AppClock, locale: Locale
) -> Response:
    submitted = await request.form()
    values, _ = forms.values(submitted, locale)
    values |= forms.checkbox_values(
        submitted, ("evidence_required", "accepts_platform_reliance", "active")
    )
    data, errors = parse_form(ChecklistItemCreate, values, locale)
    if data is not None:
        try:
            checklist.create_item(session, actor=actor, clock=clock, data=data)
        except SluiceError as error:
            if error.status in (403, 404):
                raise
            undo_keeping_refusal(session, error)
            errors = {"__all__": error.detail(locale)}
        else:
            return RedirectResponse(f"{REVIEW}/checklist?done=1", status_code=303)
    return _checklist_page(
        request,
        actor,
        session,
        clock,
        errors=errors,
        errors_for="new",
        form={k: str(v) for k, v in submitted.items()},
        status_code=422,
    )


@router.post(REVIEW + "/checklist/{key}", response_class=HTMLResponse)
async def update_item(
    request: Request,
    key: str,
    actor: Reviewer,
    session: DbSession,
    clock: AppClock,
    locale: Locale,
) -> Response:
    submitted = await request.form()
    values, _ = forms.values(submitted, locale)
    values |= forms.checkbox_values(
        submitted, ("evidence_required", "accepts_platform_reliance", "active")
    )
    data, errors = parse_form(ChecklistItemUpdate, values, locale)
    if data is not None:
        checklist.update_item(session, actor=actor, clock=clock, key=key, data=data)
        return RedirectResponse(f"{REVIEW}/checklist?done=1#item-{key}", status_code=303)
    return _checklist_page(
        request,
        actor,
        session,
        clock,
        errors=errors,
        errors_for=key,
        form={k: str(v) for k, v in submitted.items()},
        status_code=422,
    )


def _review_page(
    request: Request,
    actor: Principal,
    session: Session,
    clock: Clock,
    settings: Settings,
    locale: str,
    application_id: uuid.UUID,
    *,
    message: str | None = None,
    error: str | None = None,
    form: dict[str, str] | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    view = applications.get(session, actor=actor, clock=clock, application_id=application_id)
    return render_page(
        request,
        "operators/review.html",
        {
            **render.page_context(view, actor=actor, settings=settings, locale=locale),
            "editable": False,
            "history": applications.history(session, actor=actor, application_id=application_id),
            "can_review": actor.has(P.OPERATORS_REVIEW) and view.application.status == "submitted",
            "decisions": list(Decision),
            "lifecycle": APPLICATION.table(locale),
            "message": message,
            "error": error,
            "errors": {},
            "errors_for": None,
            "form": form or {},
            "form_for": None,
        },
        status_code=status_code,
    )


@router.get(REVIEW + "/{application_id}", response_class=HTMLResponse)
def review_page(
    request: Request,
    application_id: uuid.UUID,
    actor: Reader,
    session: DbSession,
    clock: AppClock,
    settings: AppSettings,
    locale: Locale,
    done: str | None = None,
) -> HTMLResponse:
    message = None
    if done == "checks":
        message = translate("ops.rerun_done", locale)
    elif done == "judged":
        message = translate("ops.judged", locale)
    elif done in {d.value for d in Decision}:
        action = translate(f"transition.{APPLICATION.entity}.{done}", locale)
        message = translate("ops.decision_done", locale, action=action)
    return _review_page(
        request, actor, session, clock, settings, locale, application_id, message=message
    )


@router.get(REVIEW + "/{application_id}/evidence/{evidence_id}")
def review_evidence(
    application_id: uuid.UUID,
    evidence_id: uuid.UUID,
    actor: Reader,
    session: DbSession,
    settings: AppSettings,
) -> Response:
    document, content = dossier.evidence_file(
        session,
        actor=actor,
        settings=settings,
        application_id=application_id,
        evidence_id=evidence_id,
    )
    return render.download(document, content)


@router.post(REVIEW + "/{application_id}/checks", response_class=HTMLResponse)
def rerun_checks(
    application_id: uuid.UUID,
    actor: Reviewer,
    session: DbSession,
    clock: AppClock,
    settings: AppSettings,
) -> Response:
    review.recheck(
        session, actor=actor, clock=clock, settings=settings, application_id=application_id
    )
    return RedirectResponse(f"{REVIEW}/{application_id}?done=checks#checks", status_code=303)


@router.post(REVIEW + "/{application_id}/judge/{item_key}", response_class=HTMLResponse)
async def judge_item(
    request: Request,
    application_id: uuid.UUID,
    item_key: str,
    actor: Reviewer,
    session: DbSession,
    clock: AppClock,
    settings: AppSettings,
    locale: Locale,
) -> Response:
    submitted = await request.form()
    note = str(submitted.get("note", "")).strip()
    try:
        judgment = Judgment(str(submitted.get("judgment", "")))
    except ValueError:
        judgment = None
    try:
        if judgment is None:
            raise InvalidInput("form.choice")
        review.judge_item(
            session,
            actor=actor,
            clock=clock,
            application_id=application_id,
            item_key=item_key,
            judgment=judgment,
            note=note or None,
        )
    except SluiceError as error:
        if error.status in (403, 404) and not isinstance(error, InvalidInput):
            raise
        undo_keeping_refusal(session, error)
        return _review_page(
            request,
            actor,
            session,
            clock,
            settings,
            locale,
            application_id,
            error=error.detail(locale),
            form={"item": item_key, "note": note},
            status_code=error.status,
        )
    return RedirectResponse(
        f"{REVIEW}/{application_id}?done=judged#item-{item_key}", status_code=303
    )


@router.post(REVIEW + "/{application_id}/decision", response_class=HTMLResponse)
async def decide(
    request: Request,
    application_id: uuid.UUID,
    actor: Reviewer,
    session: DbSession,
    clock: AppClock,
    settings: AppSettings,
    locale: Locale,
) -> Response:
    submitted = await request.form()
    reason = str(submitted.get("reason", "")).strip()
    try:
        decision = Decision(str(submitted.get("decision", "")))
        review.decide(
            session,
            actor=actor,
            clock=clock,
            settings=settings,
            application_id=application_id,
            decision=decision,
            reason=reason,
        )
    except ValueError:
        return _review_page(
            request,
            actor,
            session,
            clock,
            settings,
            locale,
            application_id,
            error=translate("form.choice", locale),
            form={"reason": reason},
            status_code=422,
        )
    except SluiceError as error:
        if isinstance(error, PermissionDenied) or error.status == 404:
            raise
        undo_keeping_refusal(session, error)
        return _review_page(
            request,
            actor,
            session,
            clock,
            settings,
            locale,
            application_id,
            error=error.detail(locale),
            form={"reason": reason, "decision": str(submitted.get("decision", ""))},
            status_code=error.status,
        )
    return RedirectResponse(f"{REVIEW}/{application_id}?done={decision.value}", status_code=303)
