"""Console pages of operator qualification.

The applicant fills its application step by step (company, principal persons, ownership,
records, finance, checklist and evidence), submits and sees the results. The bureau lists
the applications, reads each with its checks' verdicts and the ownership paths that found
a foreign element, judges the checklist, decides with a reason, and keeps the checklist.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Mapping
from decimal import Decimal, InvalidOperation
from itertools import pairwise
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request, UploadFile
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import BaseModel
from sqlalchemy.orm import Session

from sluice.core.clock import Clock
from sluice.core.database import undo_keeping_refusal
from sluice.core.errors import InvalidInput, NotFound, PermissionDenied, SluiceError
from sluice.core.i18n import add_messages, translate
from sluice.core.permissions import Permission as P
from sluice.core.principal import Principal
from sluice.core.settings import Settings
from sluice.operators import checks, jurisdictions, render, service
from sluice.operators.ownership import NodeKind, Relation
from sluice.operators.schemas import (
    ApplicationCreate,
    ApplicationStatus,
    ApplicationUpdate,
    AuditOpinion,
    ChecklistItemCreate,
    ChecklistItemUpdate,
    CreditCategory,
    CreditRecordCreate,
    Decision,
    EntityCreate,
    FinancialsIn,
    IncidentCreate,
    IncidentKind,
    Judgment,
    LinkCreate,
    PenaltyCreate,
    PrincipalCreate,
)
from sluice.operators.states import APPLICATION, DRAFT, OPEN
from sluice.web.deps import AppClock, AppSettings, DbSession, Locale, Requires
from sluice.web.forms import parse_form
from sluice.web.params import PageNumber
from sluice.web.templating import NavItem, add_nav
from sluice.web.templating import render as render_page

router = APIRouter(tags=["console"])
Applicant = Annotated[Principal, Depends(Requires(P.OPERATORS_APPLY))]
Reader = Annotated[Principal, Depends(Requires(P.OPERATORS_READ))]
Reviewer = Annotated[Principal, Depends(Requires(P.OPERATORS_REVIEW))]

MINE = "/console/operator-application"
REVIEW = "/console/operators"
PAGE_SIZE = 50
STEPS = ("company", "principals", "ownership", "records", "finance", "checklist", "submit")

add_nav(
    NavItem("nav.operator_application", MINE, P.OPERATORS_APPLY, order=55),
    NavItem("nav.operator_review", REVIEW, P.OPERATORS_READ, order=55),
    NavItem(
        "nav.operator_checklist", f"{REVIEW}/checklist", P.OPERATORS_REVIEW, "nav.section.admin", 35
    ),
)
add_messages(
    {
        "nav.operator_application": ("运营机构资格申请", "Operator application"),
        "nav.operator_review": ("运营机构资格审核", "Operator qualification"),
        "nav.operator_checklist": ("资格审核清单", "Qualification checklist"),
        "ops.title": ("运营机构资格申请", "Operator qualification application"),
        "ops.lead": (
            "按《营口市公共数据授权运营实施方案》第二部分，申请单位须为依法登记的法人，内资控股，"
            "具备财务、技术、管理和安全能力。提交后系统自动核验统一社会信用代码、信用记录、"
            "股权穿透（内资）、财务和安全事件，审核人员逐项判定其余条件。",
            "Under section 2 of the city plan, an applicant must be a registered legal entity "
            "with domestic capital and the financial, technical, management and security "
            "capacity to operate. On submission the platform checks the credit code, credit "
            "records, ownership (look-through for foreign capital), finances and incidents; a "
            "reviewer judges the other conditions item by item.",
        ),
        "ops.mine": ("本单位的申请", "Your organization's applications"),
        "ops.none": ("还没有申请。", "No application yet."),
        "ops.empty": ("无", "None"),
        "ops.check_name": ("检查项", "Check"),
        "ops.start": ("开始申请", "Start an application"),
        "ops.continue": ("继续办理", "Continue"),
        "ops.open": ("查看", "Open"),
        "ops.company": ("申请单位", "Applicant"),
        "ops.company_name": ("单位名称", "Company name"),
        "ops.company_name_en": ("英文名称", "Name in English"),
        "ops.credit_code": ("统一社会信用代码", "Unified social credit code"),
        "ops.legal_representative": ("法定代表人", "Legal representative"),
        "ops.registered_address": ("注册地址", "Registered address"),
        "ops.established_on": ("成立日期", "Established on"),
        "ops.registered_capital": ("注册资本（元）", "Registered capital (CNY)"),
        "ops.business_scope": ("经营范围", "Business scope"),
        "ops.step.company": ("企业信息", "Company"),
        "ops.step.principals": ("主要负责人", "Principal persons"),
        "ops.step.ownership": ("股权结构", "Ownership"),
        "ops.step.records": ("信用与合规记录", "Records"),
        "ops.step.finance": ("财务状况", "Finance"),
        "ops.step.checklist": ("能力条件与证明材料", "Capacity and evidence"),
        "ops.step.submit": ("提交与结果", "Submit and results"),
        "ops.read_only": (
            "申请当前为“{state}”，内容不能修改。",
            "The application is '{state}' and cannot be changed.",
        ),
        "ops.saved": ("已保存。", "Saved."),
        "ops.removed": ("已删除。", "Removed."),
        "ops.submitted": (
            "申请已提交，自动检查已完成，请等待审核。",
            "Submitted; the automated checks have run. Please wait for the review.",
        ),
        "ops.revised": (
            "申请已退回为填写中，可以修改后再次提交。",
            "Back to draft: change and submit again.",
        ),
        "ops.remove": ("删除", "Remove"),
        "ops.add": ("添加", "Add"),
        "ops.name": ("姓名", "Name"),
        "ops.position": ("职务", "Position"),
        "ops.nationality": ("国籍（代码）", "Nationality (code)"),
        "ops.id_number": ("证件号码（仅保存脱敏形式）", "ID number (kept masked only)"),
        "ops.major_penalty": ("受过重大行政处罚", "Major administrative penalty"),
        "ops.serious_dishonesty": ("有严重失信记录", "Serious dishonesty record"),
        "ops.note": ("备注", "Note"),
        "ops.principals_help": (
            "填报法定代表人、董事、监事和高级管理人员（R2.2）。",
            "List the legal representative, directors, supervisors and senior managers (R2.2).",
        ),
        "ops.entities": ("主体", "Entities"),
        "ops.entity": ("主体", "Entity"),
        "ops.kind": ("类型", "Kind"),
        "ops.jurisdiction": ("注册地/国籍（ISO 代码）", "Jurisdiction / nationality (ISO code)"),
        "ops.jurisdiction_help": (
            "CN 为中国大陆；香港 HK、澳门 MO、台湾 TW 按境外投资对待。",
            "CN is the mainland; Hong Kong (HK), Macao (MO) and Taiwan (TW) count as foreign "
            "investment.",
        ),
        "ops.links": ("股权、控制和关联关系", "Shareholdings, control and affiliation"),
        "ops.ownership_help": (
            "逐级填报股东直至最终的自然人或国资监管机构，并填报实际控制人、关联方、"
            "控股子公司和托管主体。关系从“持有方/控制方”指向“被持有/被控制方”。",
            "Declare shareholders level by level up to the natural persons or state bodies at "
            "the top, and the actual controller, affiliates, subsidiaries and managed "
            "entities. A link points from the party with the stake or power to the entity it "
            "bears on.",
        ),
        "ops.holder": ("持有方/控制方", "Holder / controller"),
        "ops.relation": ("关系", "Relation"),
        "ops.held": ("被持有/被控制方", "Held / controlled"),
        "ops.share": ("持股比例（%）", "Share (%)"),
        "ops.applicant_self": ("申请单位", "the applicant"),
        "ops.foreign": ("境外", "foreign"),
        "ops.on_path": ("在发现境外成分的路径上", "on a path to a foreign element"),
        "ops.credit_records": ("信用记录（信用中国）", "Credit records (Credit China)"),
        "ops.category": ("类别", "Category"),
        "ops.source": ("来源", "Source"),
        "ops.listed_on": ("列入日期", "Listed on"),
        "ops.removed_on": ("移出日期（如已信用修复）", "Removed on (after repair)"),
        "ops.description": ("情况说明", "Description"),
        "ops.penalties": ("行政处罚", "Administrative penalties"),
        "ops.decided_on": ("处罚日期", "Decided on"),
        "ops.authority": ("处罚机关", "Authority"),
        "ops.document_no": ("决定书文号", "Decision number"),
        "ops.major": ("重大行政处罚", "Major penalty"),
        "ops.amount": ("罚没金额（元）", "Amount (CNY)"),
        "ops.incidents": ("网络和数据安全事件", "Security incidents"),
        "ops.occurred_on": ("发生日期", "Occurred on"),
        "ops.incident_kind": ("类型", "Kind"),
        "ops.records_help": (
            "如实填报申请单位及股权结构中相关主体的记录；没有则无需填写。默认归属申请单位本身。",
            "Declare the records of the applicant and of entities in its ownership graph; "
            "leave empty if there are none. A record belongs to the applicant unless another "
            "entity is chosen.",
        ),
        "ops.financials": ("年度财务报表", "Annual statements"),
        "ops.finance_help": (
            "填报上一年度经审计的财务报表（金额单位：元）。门槛：净资产不少于 {net} 元，"
            "承诺投入资金不少于 {committed} 元，资产负债率不高于 {ratio}%{audit}。",
            "Last year's audited statements (amounts in CNY). Thresholds: net assets at least "
            "{net}, committed funds at least {committed}, debt ratio at most {ratio} %{audit}.",
        ),
        "ops.finance_clean_audit": ("，须为标准无保留审计意见", "; an unqualified audit opinion"),
        "ops.fiscal_year": ("会计年度", "Fiscal year"),
        "ops.total_assets": ("资产总额（元）", "Total assets (CNY)"),
        "ops.total_liabilities": ("负债总额（元）", "Total liabilities (CNY)"),
        "ops.net_assets": ("净资产（元）", "Net assets (CNY)"),
        "ops.revenue": ("营业收入（元）", "Revenue (CNY)"),
        "ops.net_profit": ("净利润（元）", "Net profit (CNY)"),
        "ops.committed_funds": (
            "承诺用于数据治理和初期运营的资金（元）",
            "Funds committed to data governance and initial operation (CNY)",
        ),
        "ops.audit_opinion": ("审计意见", "Audit opinion"),
        "ops.auditor": ("会计师事务所", "Auditor"),
        "ops.checklist_help": (
            "逐项说明情况并上传证明材料（单个文件不超过 {mb} MB）。材料以 SM3 摘要存证。",
            "Describe each item and upload evidence (at most {mb} MB a file). Files are kept "
            "under their SM3 digest.",
        ),
        "ops.requirement": ("要求", "Requirement"),
        "ops.statement": ("情况说明", "Statement"),
        "ops.evidence": ("证明材料", "Evidence"),
        "ops.evidence_required": ("须附证明材料", "Evidence required"),
        "ops.no_evidence": ("尚未上传", "None yet"),
        "ops.upload": ("上传", "Upload"),
        "ops.file": ("文件", "File"),
        "ops.title_field": ("材料名称", "Title"),
        "ops.general_evidence": (
            "其他材料（营业执照、审计报告、章程等）",
            "Other documents (licence, audit report, articles …)",
        ),
        "ops.judgment": ("判定", "Judgment"),
        "ops.judgment.met": ("符合", "Met"),
        "ops.judgment.not_met": ("不符合", "Not met"),
        "ops.unjudged": ("未判定", "Not judged"),
        "ops.judge": ("保存判定", "Save judgment"),
        "ops.judge_note": ("判定意见（不符合时必填）", "Note (required when not met)"),
        "ops.missing_evidence": (
            "提交前请为以下清单项上传证明材料：",
            "Before submitting, upload evidence for:",
        ),
        "ops.ready": ("材料齐全，可以提交。", "Everything needed is there; you can submit."),
        "ops.submit": ("提交申请", "Submit the application"),
        "ops.revise": ("修改申请", "Revise the application"),
        "ops.checks": ("自动检查结果", "Automated checks"),
        "ops.checks_not_run": ("提交后运行自动检查。", "The checks run on submission."),
        "ops.check_run": ("第 {run} 次检查 · {at}", "Run {run} · {at}"),
        "ops.verdict": ("总体结论", "Overall"),
        "ops.through_path": ("R2.9 认定路径", "R2.9 path"),
        "ops.tried": (
            "申请单位有检查不通过，以下为其控制的主体的检查结果（R2.9）",
            "The applicant fails a check; results of the entities it controls (R2.9)",
        ),
        "ops.path": ("穿透路径", "Path"),
        "ops.decision": ("审核决定", "Decision"),
        "ops.decision_reason": ("审核意见", "Reason"),
        "ops.decided": ("{who} 于 {at} 作出决定", "Decided by {who} on {at}"),
        "ops.history": ("办理记录", "History"),
        "ops.review_title": ("运营机构资格审核", "Operator qualification review"),
        "ops.all_statuses": ("全部状态", "All statuses"),
        "ops.filter": ("筛选", "Filter"),
        "ops.submitted_at": ("提交时间", "Submitted"),
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
            "审核人员逐项判定的条件（R2.6 技术与管理能力、R2.7 基础能力、R2.8 安全能力、"
            "R2.10 其他法定条件）。停用的清单项不再要求新的申请填报。",
            "Conditions a reviewer judges item by item (R2.6 technical and management "
            "capacity, R2.7 basic capacity, R2.8 security, R2.10 further legal conditions). "
            "Inactive items are no longer asked of applications.",
        ),
        "ops.item_key": ("标识", "Key"),
        "ops.title_zh": ("名称（中文）", "Title (Chinese)"),
        "ops.title_en": ("名称（英文）", "Title (English)"),
        "ops.description_zh": ("说明（中文）", "Description (Chinese)"),
        "ops.description_en": ("说明（英文）", "Description (English)"),
        "ops.active": ("启用", "Active"),
        "ops.item_position": ("排序", "Order"),
        "ops.new_item": ("新增清单项", "New item"),
        "ops.amount_invalid": (
            "请输入金额，最多两位小数。",
            "Enter an amount with at most two decimals.",
        ),
        "ops.percent_invalid": (
            "请输入 0.01 到 100 之间的百分比，最多两位小数。",
            "Enter a percentage from 0.01 to 100 with at most two decimals.",
        ),
        "ops.back": ("返回列表", "Back to the list"),
        "ops.inactive": ("已停用", "Inactive"),
        "ops.lifecycle": ("申请流转规则", "How an application moves"),
        "ops.from": ("从", "From"),
        "ops.to": ("到", "To"),
        "ops.by": ("所需权限", "Permission"),
        "ops.yuan": ("{amount} 元", "CNY {amount}"),
    }
)


# --- form values ----------------------------------------------------------------------------


def _fen(text: str) -> int | None:
    """'1,234.5' yuan -> 123450 fen; None if it is not an amount with at most 2 decimals."""
    try:
        value = Decimal(text.replace(",", "").replace("，", "").strip())
    except InvalidOperation:
        return None
    cents = value * 100
    if cents != cents.to_integral_value() or not value.is_finite():
        return None
    return int(cents)


def _basis_points(text: str) -> int | None:
    fen = _fen(text)  # the same two-decimal rule: '51.25' % -> 5125 bp
    return fen if fen is not None and 0 < fen <= 10000 else None


def _values(submitted: Mapping[str, Any], locale: str) -> tuple[dict[str, Any], dict[str, str]]:
    """Form fields as the schemas take them: blanks dropped, yuan to fen, percent to bp."""
    values: dict[str, Any] = {}
    errors: dict[str, str] = {}
    for name, raw in submitted.items():
        if name == "csrf_token" or not isinstance(raw, str) or not raw.strip():
            continue
        text = raw.strip()
        if name.endswith("_yuan"):
            fen = _fen(text)
            if fen is None:
                errors[name] = translate("ops.amount_invalid", locale)
            values[name.removesuffix("_yuan") + "_fen"] = fen
        elif name == "share_percent":
            bp = _basis_points(text)
            if bp is None:
                errors[name] = translate("ops.percent_invalid", locale)
            values["share_bp"] = bp
        else:
            values[name] = text
    return values, errors


def _form_errors(errors: dict[str, str]) -> dict[str, str]:
    """Schema field names back to the names the form used."""
    renamed = {}
    for name, message in errors.items():
        if name.endswith("_fen"):
            name = name.removesuffix("_fen") + "_yuan"
        elif name == "share_bp":
            name = "share_percent"
        renamed[name] = message
    return renamed


def _refusal_errors(error: SluiceError, locale: str) -> dict[str, str]:
    fields = [e.get("field") for e in getattr(error, "errors", []) if e.get("field")]
    field = str(fields[0]) if fields else "__all__"
    return _form_errors({field: error.detail(locale)}) | {"__all__": error.detail(locale)}


# --- shared context -------------------------------------------------------------------------


def _highlights(view: service.ApplicationView) -> dict[str, set[str]]:
    """Entity ids and links on paths that found a foreign element, for the graph tables."""
    foreign: set[str] = set()
    on_path: set[str] = set()
    pairs: set[str] = set()
    for result in view.own_results:
        for path in result.paths:
            ids = [str(step["entity_id"]) for step in path]
            on_path.update(ids)
            foreign.update(str(s["entity_id"]) for s in path if s.get("foreign"))
            pairs.update("|".join(sorted(pair)) for pair in pairwise(ids))
    return {"foreign": foreign, "on_path": on_path, "pairs": pairs}


def _context(
    view: service.ApplicationView, *, actor: Principal, settings: Settings, locale: str
) -> dict[str, Any]:
    a = view.application
    tried = [
        (name, [render.check_read(r, locale) for r in results])
        for name, results in view.tried_entities
    ]
    return {
        "view": view,
        "a": a,
        "entity_names": {e.id: e.name for e in view.entities},
        "checks": [render.check_read(r, locale) for r in view.own_results],
        "tried": tried,
        "verdict": service.verdict_message(a, locale),
        "through": render.path_steps(a.qualifying_path, locale) if a.qualifying_path else None,
        "marks": _highlights(view),
        "actions": service.allowed_actions(actor, a),
        "yuan": checks.yuan,
        "pct": checks.percent_bp,
        "jur": lambda code: jurisdictions.label(code, locale),
        "jurisdictions": list(jurisdictions.COMMON),
        "node_kinds": list(NodeKind),
        "relations": list(Relation),
        "credit_categories": list(CreditCategory),
        "incident_kinds": list(IncidentKind),
        "audit_opinions": list(AuditOpinion),
        "judgments": list(Judgment),
        "missing_evidence": [v for v in view.items if v.item.evidence_required and not v.evidence],
        "upload_mb": settings.upload_max_mb,
        "finance_rules": {
            "net": checks.yuan(settings.operator_min_net_assets_fen),
            "committed": checks.yuan(settings.operator_min_committed_funds_fen),
            "ratio": settings.operator_max_debt_ratio_percent,
            "audit": translate("ops.finance_clean_audit", locale)
            if settings.operator_require_clean_audit
            else "",
        },
    }


# --- the applicant ----------------------------------------------------------------------------


@router.get(MINE, response_class=HTMLResponse)
def my_applications_page(
    request: Request,
    actor: Applicant,
    session: DbSession,
) -> HTMLResponse:
    organization = service.own_organization(session, actor=actor)
    applications = service.own_applications(session, actor=actor)
    open_one = next((a for a in applications if a.status in OPEN), None)
    return render_page(
        request,
        "operators/mine.html",
        {
            "applications": applications,
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
    values, errors = _values(submitted, locale)
    data, parse_errors = parse_form(ApplicationCreate, values, locale)
    errors |= _form_errors(parse_errors)
    if data is not None and not errors:
        try:
            application = service.create_application(session, actor=actor, clock=clock, data=data)
        except SluiceError as error:
            if error.status == 404:
                raise
            undo_keeping_refusal(session, error)
            errors = _refusal_errors(error, locale)
        else:
            return RedirectResponse(f"{MINE}/{application.id}?step=company", status_code=303)
    organization = service.own_organization(session, actor=actor)
    return render_page(
        request,
        "operators/mine.html",
        {
            "applications": service.own_applications(session, actor=actor),
            "open_one": None,
            "organization": organization,
            "errors": errors,
            "form": {k: str(v) for k, v in submitted.items()},
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
    view = service.get(session, actor=actor, clock=clock, application_id=application_id)
    return render_page(
        request,
        "operators/application.html",
        {
            **_context(view, actor=actor, settings=settings, locale=locale),
            "step": step if step in STEPS else STEPS[0],
            "steps": STEPS,
            "editable": view.application.status == DRAFT,
            "history": service.history(session, actor=actor, application_id=application_id),
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
    "company": (ApplicationUpdate, service.update_application, "company"),
    "principal": (PrincipalCreate, service.add_principal, "principals"),
    "entity": (EntityCreate, service.add_entity, "ownership"),
    "link": (LinkCreate, service.add_link, "ownership"),
    "credit-record": (CreditRecordCreate, service.add_credit_record, "records"),
    "penalty": (PenaltyCreate, service.add_penalty, "records"),
    "incident": (IncidentCreate, service.add_incident, "records"),
    "financials": (FinancialsIn, service.save_financials, "finance"),
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
    values, errors = _values(submitted, locale)
    data, parse_errors = parse_form(schema, values, locale)
    errors |= _form_errors(parse_errors)
    if data is not None and not errors:
        try:
            action(session, actor=actor, clock=clock, application_id=application_id, data=data)
        except SluiceError as error:
            if error.status in (403, 404) and not isinstance(error, InvalidInput):
                raise
            undo_keeping_refusal(session, error)
            errors = _refusal_errors(error, locale)
        else:
            return RedirectResponse(
                f"{MINE}/{application_id}?step={step}&done=saved", status_code=303
            )
    return _application_page(
        request,
        actor,
        session,
        clock,
        settings,
        locale,
        application_id,
        step=step,
        errors=errors,
        errors_for=section,
        form={k: str(v) for k, v in submitted.items() if k != "csrf_token"},
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
    text = str((await request.form()).get("statement", "")).strip()
    try:
        if len(text) < 2:
            raise InvalidInput("form.too_short", min_length=2)
        service.save_statement(
            session,
            actor=actor,
            clock=clock,
            application_id=application_id,
            item_key=item_key,
            statement=text,
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
        service.upload_evidence(
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
    document, content = service.evidence_file(
        session,
        actor=actor,
        settings=settings,
        application_id=application_id,
        evidence_id=evidence_id,
    )
    return render.download(document, content)


#: What the remove buttons name -> (service call, step to show again).
_REMOVALS: dict[str, tuple[Callable[..., None], str, str]] = {
    "principal": (service.remove_principal, "principal_id", "principals"),
    "entity": (service.remove_entity, "entity_id", "ownership"),
    "link": (service.remove_link, "link_id", "ownership"),
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
        action, step = service.remove_record, _RECORD_STEPS[kind]
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
        service.submit(
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
    service.revise(session, actor=actor, clock=clock, application_id=application_id)
    return RedirectResponse(f"{MINE}/{application_id}?step=company&done=revised", status_code=303)


# --- the bureau -------------------------------------------------------------------------------


@router.get(REVIEW, response_class=HTMLResponse)
def review_list_page(
    request: Request,
    actor: Reader,
    session: DbSession,
    status: str | None = None,
    page: PageNumber = 1,
) -> HTMLResponse:
    chosen = status if status in set(ApplicationStatus) else None
    total, applications = service.list_applications(
        session, actor=actor, status=chosen, limit=PAGE_SIZE, offset=(page - 1) * PAGE_SIZE
    )
    return render_page(
        request,
        "operators/review_list.html",
        {
            "applications": applications,
            "total": total,
            "statuses": list(ApplicationStatus),
            "status": chosen or "",
            "page": page,
            "pages": max(1, -(-total // PAGE_SIZE)),
        },
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
            "items": service.checklist_items(session, actor=actor, clock=clock),
            "requirements": ("R2.6", "R2.7", "R2.8", "R2.10"),
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


def _checkbox_values(submitted: Mapping[str, Any], names: tuple[str, ...]) -> dict[str, bool]:
    return {name: submitted.get(name) in ("on", "1", "true") for name in names}


@router.post(REVIEW + "/checklist", response_class=HTMLResponse)
async def create_item(
    request: Request, actor: Reviewer, session: DbSession, clock: AppClock, locale: Locale
) -> Response:
    submitted = await request.form()
    values, _ = _values(submitted, locale)
    values |= _checkbox_values(submitted, ("evidence_required", "active"))
    data, errors = parse_form(ChecklistItemCreate, values, locale)
    if data is not None:
        try:
            service.create_item(session, actor=actor, clock=clock, data=data)
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
    values, _ = _values(submitted, locale)
    values |= _checkbox_values(submitted, ("evidence_required", "active"))
    data, errors = parse_form(ChecklistItemUpdate, values, locale)
    if data is not None:
        service.update_item(session, actor=actor, clock=clock, key=key, data=data)
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
    view = service.get(session, actor=actor, clock=clock, application_id=application_id)
    return render_page(
        request,
        "operators/review.html",
        {
            **_context(view, actor=actor, settings=settings, locale=locale),
            "editable": False,
            "history": service.history(session, actor=actor, application_id=application_id),
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
    document, content = service.evidence_file(
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
    service.recheck(
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
        service.judge_item(
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
        service.decide(
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
