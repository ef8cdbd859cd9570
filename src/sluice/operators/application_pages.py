"""The applicant's console pages of operator qualification.

The applicant fills its application step by step (company, principal persons, ownership,
records, finance, checklist and evidence), submits and sees the results; a returned one is
revised and submitted again.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Mapping
from typing import Annotated, Any, TypeVar

from fastapi import APIRouter, Depends, Request, UploadFile
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import BaseModel
from sqlalchemy.orm import Session

from sluice.core.clock import Clock
from sluice.core.database import undo_keeping_refusal
from sluice.core.errors import InvalidInput, NotFound, SluiceError
from sluice.core.i18n import add_messages, translate
from sluice.core.permissions import Permission as P
from sluice.core.principal import Principal
from sluice.core.settings import Settings
from sluice.operators import applications, dossier, forms, render, review
from sluice.operators.guards import Problem, SectionClash, SectionInvalid
from sluice.operators.schemas import (
    ApplicationCreate,
    ApplicationUpdate,
    CreditRecordCreate,
    EntityCreate,
    FinancialsIn,
    IncidentCreate,
    LinkCreate,
    PenaltyCreate,
    PrincipalCreate,
)
from sluice.operators.states import DRAFT, OPEN
from sluice.web.deps import AppClock, AppSettings, DbSession, Locale, Requires
from sluice.web.forms import FormErrors, parse_form, see_other
from sluice.web.templating import NavItem, add_nav
from sluice.web.templating import render as render_page

router = APIRouter(tags=["console"])
M = TypeVar("M", bound=BaseModel)
Applicant = Annotated[Principal, Depends(Requires(P.OPERATORS_APPLY))]

MINE = "/console/operator-application"
STEPS = ("company", "principals", "ownership", "records", "finance", "checklist", "submit")

add_nav(NavItem("nav.operator_application", MINE, P.OPERATORS_APPLY, order=55))


add_messages(
    {
        "nav.operator_application": ("运营机构资格申请", "Operator application"),
        "ops.title": ("运营机构资格申请", "Operator qualification application"),
        "ops.mine": ("本单位的申请", "Your organization's applications"),
        "ops.start": ("开始申请", "Start an application"),
        "ops.continue": ("继续办理", "Continue"),
        "ops.open": ("查看", "Open"),
        "ops.company_name_en": ("英文名称", "Name in English"),
        "ops.read_only": (
            "申请当前为“{state}”，内容不能修改。",
            "The application is '{state}' and cannot be changed.",
        ),
        "ops.removed": ("已删除。", "Removed."),
        "ops.submitted": (
            "申请已提交，自动检查已完成，请等待审核。",
            "Submitted; the automated checks have run. Please wait for the review.",
        ),
        "ops.revised": (
            "申请已退回为填写中，可以修改后再次提交。",
            "Back to draft: change and submit again.",
        ),
        "ops.add": ("添加", "Add"),
        "ops.principals_help": (
            "填报法定代表人、董事、监事和高级管理人员（R2.2）。",
            "List the legal representative, directors, supervisors and senior managers (R2.2).",
        ),
        "ops.jurisdiction_help": (
            "CN 为中国大陆；香港 HK、澳门 MO、台湾 TW 按境外投资对待。",
            "CN is the mainland; Hong Kong (HK), Macao (MO) and Taiwan (TW) count as foreign "
            "investment.",
        ),
        "ops.ownership_help": (
            "逐级填报股东直至最终的自然人或国资监管机构，并填报实际控制人、关联方、"
            "控股子公司和托管主体。关系从“持有方/控制方”指向“被持有/被控制方”。",
            "Declare shareholders level by level up to the natural persons or state bodies at "
            "the top, and the actual controller, affiliates, subsidiaries and managed "
            "entities. A link points from the party with the stake or power to the entity it "
            "bears on.",
        ),
        "ops.source": ("来源", "Source"),
        "ops.document_no": ("决定书文号", "Decision number"),
        "ops.records_help": (
            "如实填报申请单位及股权结构中相关主体的记录；没有则无需填写。默认归属申请单位本身。",
            "Declare the records of the applicant and of entities in its ownership graph; "
            "leave empty if there are none. A record belongs to the applicant unless another "
            "entity is chosen.",
        ),
        "ops.finance_help": (
            "填报上一年度经审计的财务报表（金额单位：元）。门槛：净资产不少于 {net} 元，"
            "承诺投入资金不少于 {committed} 元，资产负债率不高于 {ratio}%{audit}。",
            "Last year's audited statements (amounts in CNY). Thresholds: net assets at least "
            "{net}, committed funds at least {committed}, debt ratio at most {ratio} %{audit}.",
        ),
        "ops.auditor": ("会计师事务所", "Auditor"),
        "ops.checklist_help": (
            "逐项说明情况并上传证明材料（单个文件不超过 {mb} MB）。材料以 SM3 摘要存证。",
            "Describe each item and upload evidence (at most {mb} MB a file). Files are kept "
            "under their SM3 digest.",
        ),
        "ops.statement": ("情况说明", "Statement"),
        "ops.upload": ("上传", "Upload"),
        "ops.file": ("文件", "File"),
        "ops.title_field": ("材料名称", "Title"),
        "ops.judgment": ("判定", "Judgment"),
        "ops.missing_evidence": (
            "提交前请为以下清单项上传证明材料：",
            "Before submitting, upload evidence for:",
        ),
        "ops.ready": ("材料齐全，可以提交。", "Everything needed is there; you can submit."),
        "ops.submit": ("提交申请", "Submit the application"),
        "ops.revise": ("修改申请", "Revise the application"),
    }
)


def _checked(
    errors: FormErrors,
    schema: type[M],
    submitted: Mapping[str, Any],
    rules: Callable[[Mapping[str, Any]], list[Problem]],
) -> M | None:
    """One section's form as its schema, with every problem in one round: amounts and
    shares that are not numbers, the schema's errors, and the section's rules checked on
    every field that parsed (``rules`` takes those values and gives the service's problems).
    A field keeps its first message: what to fix first."""
    values, typed = forms.values(submitted, errors.locale)
    errors.merge(typed)
    data, schema_errors = parse_form(schema, values, errors.locale)
    errors.merge(forms.form_errors(schema_errors))
    errors.problems(forms.on_form(rules(forms.parsed(schema, values))), replace=False)
    return data


def _refused(errors: FormErrors, error: SluiceError) -> None:
    """A service's refusal on the form: each problem it names next to its field."""
    if isinstance(error, SectionInvalid | SectionClash):
        errors.problems(forms.on_form(error.problems))
    else:
        errors.refusal(error)


def _typed(submitted: Mapping[str, Any]) -> dict[str, str]:
    """What was typed, to show the form again."""
    return {k: str(v) for k, v in submitted.items() if k != "csrf_token"}


@router.get(MINE, response_class=HTMLResponse)
def my_applications_page(
    request: Request,
    actor: Applicant,
    session: DbSession,
) -> HTMLResponse:
    organization = applications.own_organization(session, actor=actor)
    mine = applications.own_applications(session, actor=actor)
    open_one = next((a for a in mine if a.status in OPEN), None)
    return render_page(
        request,
        "operators/mine.html",
        {
            "applications": mine,
            "open_one": open_one,
            "organization": organization,
            "errors": {},
            "form": {},
        },
    )


@router.post(MINE, response_class=HTMLResponse)
async def start_application(
    request: Request, actor: Applicant, session: DbSession, clock: AppClock, locale: Locale
) -> Response:
    submitted = await request.form()
    errors = FormErrors(locale)
    data = _checked(
        errors,
        ApplicationCreate,
        submitted,
        lambda values: applications.start_problems(
            session, actor=actor, clock=clock, values=values
        ),
    )
    if data is not None and not errors:
        try:
            application = applications.create_application(
                session, actor=actor, clock=clock, data=data
            )
        except SluiceError as error:
            if error.status == 404:
                raise
            undo_keeping_refusal(session, error)
            _refused(errors, error)
        else:
            return see_other(f"{MINE}/{application.id}?step=company")
    organization = applications.own_organization(session, actor=actor)
    return render_page(
        request,
        "operators/mine.html",
        {
            "applications": applications.own_applications(session, actor=actor),
            "open_one": None,
            "organization": organization,
            "errors": errors.as_dict(),
            "form": _typed(submitted),
        },
        status_code=422,
    )


def _application_page(
    request: Request,
    actor: Principal,
    session: Session,
    clock: Clock,
    settings: Settings,
    locale: str,
    application_id: uuid.UUID,
    *,
    step: str,
    message: str | None = None,
    errors: dict[str, str] | None = None,
    errors_for: str | None = None,
    form: dict[str, str] | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    view = applications.get(session, actor=actor, clock=clock, application_id=application_id)
    return render_page(
        request,
        "operators/application.html",
        {
            **render.page_context(view, actor=actor, settings=settings, locale=locale),
            "step": step if step in STEPS else STEPS[0],
            "steps": STEPS,
            "editable": view.application.status == DRAFT,
            "history": applications.history(session, actor=actor, application_id=application_id),
            "message": message,
            "errors": errors or {},
            "errors_for": errors_for,
            "form": form or {},
            "form_for": errors_for,
        },
        status_code=status_code,
    )


_DONE = {
    "saved": "ops.saved",
    "removed": "ops.removed",
    "submitted": "ops.submitted",
    "revised": "ops.revised",
}


@router.get(MINE + "/{application_id}", response_class=HTMLResponse)
def application_page(
    request: Request,
    application_id: uuid.UUID,
    actor: Applicant,
    session: DbSession,
    clock: AppClock,
    settings: AppSettings,
    locale: Locale,
    step: str = "company",
    done: str | None = None,
) -> HTMLResponse:
    message = translate(_DONE[done], locale) if done in _DONE else None
    return _application_page(
        request, actor, session, clock, settings, locale, application_id, step=step, message=message
    )


#: Applicant forms: section -> (schema, service function, step to show again).
_SECTIONS: dict[str, tuple[type[BaseModel], Callable[..., Any], str]] = {
    "company": (ApplicationUpdate, applications.update_application, "company"),
    "principal": (PrincipalCreate, dossier.add_principal, "principals"),
    "entity": (EntityCreate, dossier.add_entity, "ownership"),
    "link": (LinkCreate, dossier.add_link, "ownership"),
    "credit-record": (CreditRecordCreate, dossier.add_credit_record, "records"),
    "penalty": (PenaltyCreate, dossier.add_penalty, "records"),
    "incident": (IncidentCreate, dossier.add_incident, "records"),
    "financials": (FinancialsIn, dossier.save_financials, "finance"),
}


@router.post(MINE + "/{application_id}/save/{section}", response_class=HTMLResponse)
async def save_section(
    request: Request,
    application_id: uuid.UUID,
    section: str,
    actor: Applicant,
    session: DbSession,
    clock: AppClock,
    settings: AppSettings,
    locale: Locale,
) -> Response:
    if section not in _SECTIONS:
        raise NotFound("error.page_not_found")
    schema, action, step = _SECTIONS[section]
    submitted = await request.form()
    errors = FormErrors(locale)
    try:
        data = _checked(
            errors,
            schema,
            submitted,
            lambda values: dossier.problems(
                session,
                actor=actor,
                clock=clock,
                application_id=application_id,
                section=section,
                values=values,
            ),
        )
        if data is not None and not errors:
            action(session, actor=actor, clock=clock, application_id=application_id, data=data)
            return see_other(f"{MINE}/{application_id}?step={step}&done=saved")
    except SluiceError as error:
        if error.status in (403, 404) and not isinstance(error, InvalidInput):
            raise
        undo_keeping_refusal(session, error)
        _refused(errors, error)
    return _application_page(
        request,
        actor,
        session,
        clock,
        settings,
        locale,
        application_id,
        step=step,
        errors=errors.as_dict(),
        errors_for=section,
        form=_typed(submitted),
        status_code=422,
    )


@router.post(MINE + "/{application_id}/statement/{item_key}", response_class=HTMLResponse)
async def save_statement(
    request: Request,
    application_id: uuid.UUID,
    item_key: str,
    actor: Applicant,
    session: DbSession,
    clock: AppClock,
    settings: AppSettings,
    locale: Locale,
) -> Response:
    submitted = await request.form()
    text = str(submitted.get("statement", "")).strip()
    relies = forms.checkbox_values(submitted, ("relies_on_platform",))["relies_on_platform"]
    try:
        if len(text) < 2:
            raise InvalidInput("form.too_short", min_length=2)
        dossier.save_statement(
            session,
            actor=actor,
            clock=clock,
            application_id=application_id,
            item_key=item_key,
            statement=text,
            relies_on_platform=relies,
        )
    except SluiceError as error:
        if error.status in (403, 404):
            raise
        undo_keeping_refusal(session, error)
        return _application_page(
            request,
            actor,
            session,
            clock,
            settings,
            locale,
            application_id,
            step="checklist",
            errors={"__all__": error.detail(locale)},
            errors_for=f"statement-{item_key}",
            form={"statement": text},
            status_code=error.status,
        )
    return RedirectResponse(
        f"{MINE}/{application_id}?step=checklist&done=saved#item-{item_key}", status_code=303
    )


@router.post(MINE + "/{application_id}/evidence", response_class=HTMLResponse)
async def upload_evidence(
    request: Request,
    application_id: uuid.UUID,
    file: UploadFile,
    actor: Applicant,
    session: DbSession,
    clock: AppClock,
    settings: AppSettings,
    locale: Locale,
) -> Response:
    form = await request.form()
    item_key = str(form.get("item_key", "")).strip() or None
    try:
        dossier.upload_evidence(
            session,
            actor=actor,
            clock=clock,
            settings=settings,
            application_id=application_id,
            stream=file.file,
            filename=file.filename or "evidence",
            content_type=file.content_type,
            title=str(form.get("title", "")),
            item_key=item_key,
        )
    except SluiceError as error:
        if error.status in (403, 404):
            raise
        undo_keeping_refusal(session, error)
        return _application_page(
            request,
            actor,
            session,
            clock,
            settings,
            locale,
            application_id,
            step="checklist",
            errors={"__all__": error.detail(locale)},
            errors_for=f"evidence-{item_key or 'general'}",
            status_code=error.status,
        )
    anchor = f"#item-{item_key}" if item_key else "#general-evidence"
    return RedirectResponse(
        f"{MINE}/{application_id}?step=checklist&done=saved{anchor}", status_code=303
    )


@router.get(MINE + "/{application_id}/evidence/{evidence_id}")
def my_evidence(
    application_id: uuid.UUID,
    evidence_id: uuid.UUID,
    actor: Applicant,
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


#: What the remove buttons name -> (service call, step to show again).
_REMOVALS: dict[str, tuple[Callable[..., None], str, str]] = {
    "principal": (dossier.remove_principal, "principal_id", "principals"),
    "entity": (dossier.remove_entity, "entity_id", "ownership"),
    "link": (dossier.remove_link, "link_id", "ownership"),
}


_RECORD_STEPS = {
    "credit-records": "records",
    "penalties": "records",
    "incidents": "records",
    "financials": "finance",
}


@router.post(MINE + "/{application_id}/remove/{kind}/{child_id}", response_class=HTMLResponse)
def remove_child(
    request: Request,
    application_id: uuid.UUID,
    kind: str,
    child_id: uuid.UUID,
    actor: Applicant,
    session: DbSession,
    clock: AppClock,
    settings: AppSettings,
    locale: Locale,
) -> Response:
    if kind in _REMOVALS:
        action, id_name, step = _REMOVALS[kind]
        arguments: dict[str, Any] = {id_name: child_id}
    elif kind in _RECORD_STEPS:
        action, step = dossier.remove_record, _RECORD_STEPS[kind]
        arguments = {"kind": kind, "record_id": child_id}
    else:
        raise NotFound("error.page_not_found")
    try:
        action(session, actor=actor, clock=clock, application_id=application_id, **arguments)
    except SluiceError as error:
        if error.status in (403, 404):
            raise
        undo_keeping_refusal(session, error)
        return _application_page(
            request,
            actor,
            session,
            clock,
            settings,
            locale,
            application_id,
            step=step,
            errors={"__all__": error.detail(locale)},
            status_code=error.status,
        )
    return RedirectResponse(f"{MINE}/{application_id}?step={step}&done=removed", status_code=303)


@router.post(MINE + "/{application_id}/submit", response_class=HTMLResponse)
def submit_application(
    request: Request,
    application_id: uuid.UUID,
    actor: Applicant,
    session: DbSession,
    clock: AppClock,
    settings: AppSettings,
    locale: Locale,
) -> Response:
    try:
        review.submit(
            session, actor=actor, clock=clock, settings=settings, application_id=application_id
        )
    except SluiceError as error:
        if error.status in (403, 404):
            raise
        undo_keeping_refusal(session, error)
        return _application_page(
            request,
            actor,
            session,
            clock,
            settings,
            locale,
            application_id,
            step="submit",
            errors={"__all__": error.detail(locale)},
            status_code=error.status,
        )
    return RedirectResponse(f"{MINE}/{application_id}?step=submit&done=submitted", status_code=303)


@router.post(MINE + "/{application_id}/revise", response_class=HTMLResponse)
def revise_application(
    application_id: uuid.UUID, actor: Applicant, session: DbSession, clock: AppClock
) -> Response:
    applications.revise(session, actor=actor, clock=clock, application_id=application_id)
    return RedirectResponse(f"{MINE}/{application_id}?step=company&done=revised", status_code=303)
