"""Console pages of the registration workflow: the applications (the registry's queue with
its deadlines and overdue marks, an operator's own), one application (the registry's
decisions, objections, materials kept as evidence; the applicant's withdrawal), the apply
form, the register and one registration (its certificate, HTML and PDF; the holder's change,
correction, renewal and cancellation), and the public pages: registrations in notice with
the real-name objection form, and the verification page a certificate's QR code opens.
Thin: ``service`` decides and refuses; a refusal is shown on the page in the reader's
language."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Annotated, Any, Final

from fastapi import APIRouter, Depends, File, Form, Path, Query, Request, UploadFile
from fastapi.responses import HTMLResponse, Response
from sqlalchemy.orm import Session

from sluice.core.database import undo_keeping_refusal
from sluice.core.errors import NotFound, SluiceError
from sluice.core.i18n import add_messages, translate
from sluice.core.paging import ListQuery
from sluice.core.permissions import Permission as P
from sluice.core.principal import Principal
from sluice.registration import documents, kinds, service
from sluice.registration.api import read_materials
from sluice.registration.certificate_render import render_html, render_pdf
from sluice.registration.evidence import MAX_MATERIAL_MB
from sluice.registration.models import RegistrationApplication
from sluice.registration.repository import APPLICATION_SORTS, OPEN_FILTER, REGISTRATION_SORTS
from sluice.registration.states import APPLICATION, OPEN, PENDING, REGISTRATION
from sluice.web.deps import AppClock, AppSettings, DbSession, Locale, MaybePrincipal, Requires
from sluice.web.forms import see_other
from sluice.web.listing import ListSpec, render_list
from sluice.web.templating import NavItem, add_nav, render

router = APIRouter()

Reader = Annotated[Principal, Depends(Requires(P.REGISTRATIONS_READ))]
Applicant = Annotated[Principal, Depends(Requires(P.REGISTRATIONS_APPLY))]
Registry = Annotated[Principal, Depends(Requires(P.REGISTRATIONS_DECIDE))]
Objector = Annotated[Principal, Depends(Requires(P.REGISTRATIONS_OBJECT))]

PAGE: Final = "/console/registrations"
REGISTER: Final = PAGE + "/register"
NOTICES: Final = "/registry/notices"
#: Longer than any code the platform issues (YK-DP-2026-000123); a longer one names none.
CODE_MAX: Final = 40

APPLICATIONS: Final = ListSpec(
    sorts=APPLICATION_SORTS, filters=("status", "type"), default_sort="-applied", size=20
)
REGISTRATIONS: Final = ListSpec(
    sorts=REGISTRATION_SORTS, filters=("status",), default_sort="-registered", size=20
)
_DONE: Final = (
    "filed",
    "accept",
    "not_accept",
    "pass",
    "refuse",
    "issue",
    "withdrawn",
    "uphold",
    "dismiss",
    "objected",
)

add_nav(
    NavItem("nav.registrations", PAGE, P.REGISTRATIONS_READ, order=74),
    NavItem("nav.registration_notices", NOTICES, P.REGISTRATIONS_OBJECT, order=96),
)
add_messages(
    {
        "nav.registrations": ("数据登记", "Registrations"),
        "nav.registration_notices": ("登记公示", "Registration notices"),
        "registrations.title": ("登记申请", "Registration applications"),
        "registrations.lead": (
            "公共数据资源登记（N4）：登记机构在 3 个工作日内决定是否受理，受理后 20 个工作日内完成"
            "形式审查；首次登记和变更登记通过审查后公示 10 个工作日，公示期满且异议处理完毕后发放"
            "登记编号和电子登记证书，有效期 {years} 年，届满前 {days} 日内可申请续期。"
            "工作日按国家法定节假日和调休安排计算。",
            "Public data registration (N4): the registry decides within 3 working days whether "
            "to accept an application and completes the formal review within 20 working days "
            "of accepting it; a first registration or a change is then in public notice for 10 "
            "working days, after which, with every objection decided, the registration code "
            "and an electronic certificate are issued, valid {years} years; a renewal may be "
            "filed within the {days} days before expiry. Working days follow the statutory "
            "holidays and adjusted workdays.",
        ),
        "registrations.queue": ("待办理（按期限）", "Waiting (by deadline)"),
        "registrations.all": ("全部申请", "All applications"),
        "registrations.register": ("登记簿", "The register"),
        "registrations.notices": ("公示中的登记", "Registrations in notice"),
        "registrations.new": ("申请首次登记", "Apply for a first registration"),
        "registrations.search": (
            "搜索名称、编码或申请单位",
            "Search titles, references or applicants",
        ),
        "registrations.empty": ("还没有登记申请。", "No registration application yet."),
        "registrations.col.type": ("申请类型", "Type"),
        "registrations.col.subject": ("登记对象", "Subject"),
        "registrations.col.applicant": ("申请单位", "Applicant"),
        "registrations.col.status": ("状态", "Status"),
        "registrations.col.applied": ("申请时间", "Filed"),
        "registrations.col.due": ("期限", "Deadline"),
        "registrations.col.objections": ("待处理异议", "Pending objections"),
        "registrations.status.open": ("待办理", "Waiting"),
        "registrations.due.accept": ("受理期限 {day}", "Accept by {day}"),
        "registrations.due.review": ("审查期限 {day}", "Review by {day}"),
        "registrations.due.notice": ("公示至 {day}", "In notice until {day}"),
        "registrations.due.late": ("已逾期 {days} 个工作日", "{days} working days late"),
        "registrations.due.notice_over": ("公示期满，待发证", "Notice over: ready to issue"),
        "registrations.application": ("登记申请", "Registration application"),
        "registrations.subject": ("登记对象", "Subject"),
        "registrations.kind": ("类别", "Kind"),
        "registrations.reference": ("编码", "Reference"),
        "registrations.summary": ("简介", "Summary"),
        "registrations.applicant": ("申请单位", "Applicant"),
        "registrations.applied": ("申请人和时间", "Filed by"),
        "registrations.statement": ("申请说明", "Statement"),
        "registrations.evidence": ("存证", "Evidence"),
        "registrations.evidence_sm3": ("申请存证摘要（SM3）", "Evidence digest (SM3)"),
        "registrations.evidence_intact": (
            "申请内容和材料与提交时一致。",
            "The application and its materials are as filed.",
        ),
        "registrations.evidence_broken": (
            "申请内容或材料与提交时的存证摘要不一致！",
            "The application or its materials no longer match the evidence digest!",
        ),
        "registrations.materials": ("申请材料", "Materials"),
        "registrations.materials.none": ("未附材料。", "No materials."),
        "registrations.material_meta": (
            "{size} 字节 · SM3 {sm3}",
            "{size} bytes · SM3 {sm3}",
        ),
        "registrations.deadlines": ("办理期限", "Deadlines"),
        "registrations.accept_due": ("受理期限（3 个工作日）", "Acceptance (3 working days)"),
        "registrations.review_due": ("形式审查期限（20 个工作日）", "Review (20 working days)"),
        "registrations.notice": ("公示期（10 个工作日）", "Public notice (10 working days)"),
        "registrations.notice_range": ("{start} 至 {end}", "{start} to {end}"),
        "registrations.decision": ("办理结果", "Decision"),
        "registrations.decided_by": ("{who} 于 {when}", "{who} at {when}"),
        "registrations.reason": ("理由", "Reasons"),
        "registrations.decide": ("办理", "Decide"),
        "registrations.action.accept": ("受理", "Accept"),
        "registrations.action.not_accept": ("不予受理", "Do not accept"),
        "registrations.action.pass": ("形式审查通过", "Pass the review"),
        "registrations.action.pass_notice": (
            "形式审查通过，进入公示",
            "Pass the review and give public notice",
        ),
        "registrations.action.refuse": ("形式审查不通过", "Refuse"),
        "registrations.action.issue": ("登记并发证", "Register and issue"),
        "registrations.reason_hint": (
            "理由（不予受理、不通过时必填）",
            "Reasons (required to refuse)",
        ),
        "registrations.withdraw": ("撤回申请", "Withdraw"),
        "registrations.objections": ("异议", "Objections"),
        "registrations.objections.none": ("没有异议。", "No objections."),
        "registrations.objector": ("异议人", "Objector"),
        "registrations.objector_hidden": (
            "（异议人信息仅登记机构可见）",
            "(who objected is shown to the registry only)",
        ),
        "registrations.uphold": ("异议成立（不予登记）", "Uphold (refuse)"),
        "registrations.dismiss": ("异议不成立", "Dismiss"),
        "registrations.registration": ("登记", "Registration"),
        "registrations.open_registration": ("查看登记 {code}", "Open registration {code}"),
        "registrations.done.filed": (
            "申请已提交，等待登记机构受理。",
            "The application is in; the registry will decide whether to accept it.",
        ),
        "registrations.done.accept": ("已受理。", "Accepted."),
        "registrations.done.not_accept": ("已决定不予受理。", "Not accepted."),
        "registrations.done.pass": ("形式审查已通过。", "The review is passed."),
        "registrations.done.refuse": ("已决定不予登记。", "Refused."),
        "registrations.done.issue": (
            "已登记并签发证书。",
            "Registered; the certificate is issued.",
        ),
        "registrations.done.withdrawn": ("申请已撤回。", "The application is withdrawn."),
        "registrations.done.uphold": (
            "异议成立，申请不予登记。",
            "Objection upheld; the application is refused.",
        ),
        "registrations.done.dismiss": ("异议不成立。", "Objection dismissed."),
        "registrations.done.objected": (
            "异议已提交，登记机构将予以处理。",
            "Your objection is in; the registry will decide it.",
        ),
        "registrations.refused": ("未能办理", "Not done"),
        "registrations.new.lead": (
            "为本单位的{kinds}申请首次登记。请填写编码（如产品编码），可附申请材料（每份不超过 "
            "{mb} MB）：材料与申请一起以 SM3 摘要存证，提交后不能修改。",
            "Apply for the first registration of one of your organization's {kinds}. Give its "
            "reference (a product code, say) and attach materials if any (up to {mb} MB each): "
            "they are kept with the application under SM3 digests and cannot be changed "
            "afterwards.",
        ),
        "registrations.new.kind": ("类别", "Kind"),
        "registrations.new.reference": ("编码", "Reference"),
        "registrations.new.statement": ("申请说明（可选）", "Statement (optional)"),
        "registrations.new.materials": ("申请材料", "Materials"),
        "registrations.new.submit": ("提交申请", "File the application"),
        "registrations.register.lead": (
            "已登记的对象及其登记编号、有效期和电子登记证书。",
            "What is registered, under which code, for which term, with its certificate.",
        ),
        "registrations.register.empty": ("登记簿还是空的。", "The register is empty."),
        "registrations.col.code": ("登记编号", "Code"),
        "registrations.col.holder": ("登记主体", "Holder"),
        "registrations.col.valid_until": ("有效期至", "Valid until"),
        "registrations.col.standing": ("状态", "Standing"),
        "registrations.holder": ("登记主体", "Holder"),
        "registrations.registered_at": ("登记日期", "Registered on"),
        "registrations.valid": ("有效期", "Valid"),
        "registrations.version": ("证书版本", "Certificate version"),
        "registrations.certificate": ("电子登记证书", "Certificate"),
        "registrations.certificate_html": ("打印版证书（网页）", "Printable certificate (HTML)"),
        "registrations.certificate_pdf": ("证书 PDF", "Certificate PDF"),
        "registrations.public_check": ("公开核验页", "Public check page"),
        "registrations.digest": ("证书内容摘要（SM3）", "Certificate digest (SM3)"),
        "registrations.history": ("办理记录", "Applications"),
        "registrations.follow_up": (
            "申请变更、更正、续期或注销",
            "Change, correct, renew or cancel",
        ),
        "registrations.follow_up.statement": (
            "说明（要变更或更正什么、续期或注销的理由）",
            "Statement (what changes or is corrected; why renew or cancel)",
        ),
        "registrations.renewal_opens": (
            "续期申请期：{opens} 至 {until}（届满前 {days} 日内）。",
            "Renewal may be filed from {opens} until {until} (the {days} days before expiry).",
        ),
        "registrations.notices.title": ("登记公示", "Registrations in public notice"),
        "registrations.notices.lead": (
            "以下登记申请已通过形式审查，正在公示（10 个工作日）。对公示内容有异议的，可在公示期内"
            "登录后实名提出：异议人的姓名和单位仅登记机构可见，不予公开。",
            "These registration applications passed the formal review and are in public notice "
            "(10 working days). Anyone who objects may say so under their real name while the "
            "notice runs, after logging in: the objector's name and organization are shown to "
            "the registry only, never published.",
        ),
        "registrations.notices.empty": (
            "目前没有公示中的登记申请。",
            "No registration application is in notice now.",
        ),
        "registrations.notices.until": ("公示期：{start} 至 {end}", "In notice {start} to {end}"),
        "registrations.notices.closed": (
            "公示期已满，不再受理异议。",
            "The notice is over; objections are no longer taken.",
        ),
        "registrations.notices.login": (
            "登录后可实名提出异议",
            "Log in to object under your real name",
        ),
        "registrations.notices.grounds": ("异议的事实和理由", "Facts and grounds"),
        "registrations.notices.as": (
            "将以 {name} 的实名及所在单位提出，仅登记机构可见。",
            "Filed under your real name, {name}, and your organization; shown to the registry "
            "only.",
        ),
        "registrations.notices.object": ("提出实名异议", "Object under my real name"),
        "registrations.verify.title": ("登记核验", "Registration check"),
        "registrations.verify.lead": (
            "本页显示登记编号对应的登记状态，并用登记机构公布的 SM2 公钥（{url}）"
            "核验电子登记证书的签名。",
            "This page shows the standing of the registration with this code and checks its "
            "certificate's signature with the registry's published SM2 public key ({url}).",
        ),
        "registrations.verify.valid": ("签名有效", "Signature valid"),
        "registrations.verify.invalid": (
            "签名无效：证书内容或签名与登记机构的公钥不符，请勿采信。",
            "Signature not valid: the content or the signature does not match the registry's "
            "key. Do not rely on it.",
        ),
        "registrations.verify.issuer": ("登记机构", "Registration agency"),
        "registrations.verify.issued": ("证书签发时间", "Certificate issued"),
        "registrations.verify.cancelled_at": ("注销日期", "Cancelled on"),
    }
)


def _filters(locale: str) -> list[tuple[str, str, list[tuple[str, str]]]]:
    statuses = [(OPEN_FILTER, translate("registrations.status.open", locale))] + [
        (s, translate(f"state.registration_application.{s}", locale)) for s in APPLICATION.states
    ]
    types = [(t, translate(f"registration.type.{t}", locale)) for t in service.TYPES]
    return [
        ("status", translate("registrations.col.status", locale), statuses),
        ("type", translate("registrations.col.type", locale), types),
    ]


def _notice(done: str | None, locale: str) -> str | None:
    return translate(f"registrations.done.{done}", locale) if done in _DONE else None


# -- the applications -----------------------------------------------------------------------


@router.get(PAGE, response_class=HTMLResponse, tags=["console"])
def applications_page(
    request: Request,
    actor: Reader,
    session: DbSession,
    clock: AppClock,
    settings: AppSettings,
    locale: Locale,
    listing: Annotated[ListQuery, Depends(APPLICATIONS)],
    done: Annotated[str | None, Query(max_length=30)] = None,
) -> HTMLResponse:
    found = service.applications(session, actor=actor, query=listing)
    now = clock.now()
    return render_list(
        request,
        "registration/applications.html",
        {
            "rows": found.items,
            "dues": {a.id: service.due(a, now) for a in found.items},
            "pending": service.pending_objection_counts(
                session, actor=actor, applications=found.items
            ),
            "filters": _filters(locale),
            "may_apply": actor.has(P.REGISTRATIONS_APPLY),
            "may_decide": actor.has(P.REGISTRATIONS_DECIDE),
            "years": settings.registration_valid_years,
            "days": settings.registration_renewal_window_days,
            "notice": _notice(done, locale),
        },
        page=found,
        rows_template="registration/_application_rows.html",
    )


def _new_page(
    request: Request,
    *,
    form: dict[str, str] | None = None,
    refusal: SluiceError | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    return render(
        request,
        "registration/new.html",
        {
            "kinds": kinds.registered_kinds(),
            "form": form or {},
            "refusal": refusal,
            "mb": MAX_MATERIAL_MB,
        },
        status_code=status_code,
    )


@router.get(PAGE + "/new", response_class=HTMLResponse, tags=["console"])
def new_application(request: Request, actor: Applicant) -> HTMLResponse:
    return _new_page(request)


@router.post(PAGE + "/applications", response_class=HTMLResponse, tags=["console"])
def file_application(
    request: Request,
    actor: Applicant,
    session: DbSession,
    clock: AppClock,
    settings: AppSettings,
    materials: Annotated[list[UploadFile], File(default_factory=list)],
    kind: Annotated[str, Form(max_length=40)] = "",
    type: Annotated[str, Form(max_length=20)] = service.FIRST,
    reference: Annotated[str, Form(max_length=100)] = "",
    subject_id: Annotated[str, Form(max_length=40)] = "",
    statement: Annotated[str, Form(max_length=service.MAX_STATEMENT)] = "",
) -> Response:
    typed = {"kind": kind, "type": type, "reference": reference, "statement": statement}
    try:
        subject = _subject(session, actor, kind, subject_id, reference)
        application = service.apply(
            session,
            actor=actor,
            settings=settings,
            at=clock.now(),
            kind=kind,
            subject_id=subject,
            type=type,
            statement=statement,
            materials=read_materials(materials),
        )
    except SluiceError as refused:
        undo_keeping_refusal(session, refused)
        return _new_page(request, form=typed, refusal=refused, status_code=refused.status)
    return see_other(f"{PAGE}/applications/{application.id}?done=filed")


def _subject(
    session: Session, actor: Principal, kind: str, subject_id: str, reference: str
) -> uuid.UUID:
    if subject_id:
        try:
            return uuid.UUID(subject_id)
        except ValueError:
            raise NotFound("registration.subject.not_found") from None
    return service.resolve(session, actor=actor, kind=kind, reference=reference)


def _application_page(
    request: Request,
    session: Session,
    actor: Principal,
    clock: AppClock,
    locale: str,
    application_id: uuid.UUID,
    *,
    done: str | None = None,
    error: str | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    application = service.application(session, actor=actor, application_id=application_id)
    registration = (
        service.registration(session, actor=actor, registration_id=application.registration_id)
        if application.registration_id
        else None
    )
    context: dict[str, Any] = {
        "a": application,
        "due": service.due(application, clock.now()),
        "materials": service.materials(session, actor=actor, application_id=application.id),
        "intact": service.evidence_intact(session, application),
        "objections": service.objections(session, actor=actor, application=application),
        "registration": registration,
        "subject_href": _subject_href(actor, application),
        "may_decide": actor.has(P.REGISTRATIONS_DECIDE) and application.status in OPEN,
        "may_withdraw": actor.has(P.REGISTRATIONS_APPLY) and application.status in OPEN,
        "notice_type": application.type in service.NOTICE_TYPES,
        "pending": PENDING,
        "notice": _notice(done, locale),
        "error": error,
    }
    return render(request, "registration/application.html", context, status_code=status_code)


def _subject_href(actor: Principal, application: RegistrationApplication) -> str | None:
    """The subject's own page, for its owner (who surely may open it)."""
    spec = kinds.spec_of(application.kind)
    if spec.subject_href is None or actor.organization_id != application.applicant_id:
        return None
    return spec.subject_href(application.subject_id)


@router.get(PAGE + "/applications/{application_id}", response_class=HTMLResponse, tags=["console"])
def application_page(
    request: Request,
    application_id: uuid.UUID,
    actor: Reader,
    session: DbSession,
    clock: AppClock,
    locale: Locale,
    done: Annotated[str | None, Query(max_length=30)] = None,
) -> HTMLResponse:
    return _application_page(request, session, actor, clock, locale, application_id, done=done)


def _act(
    request: Request,
    session: Session,
    actor: Principal,
    clock: AppClock,
    locale: str,
    application_id: uuid.UUID,
    done: str,
    act: Callable[[], object],
) -> Response:
    """Carry out a decision, or show the application again with the refusal; one the actor
    may not see stays a 404."""
    try:
        act()
    except SluiceError as refused:
        if refused.status == 404:
            raise
        undo_keeping_refusal(session, refused)
        return _application_page(
            request,
            session,
            actor,
            clock,
            locale,
            application_id,
            error=refused.detail(locale),
            status_code=refused.status,
        )
    return see_other(f"{PAGE}/applications/{application_id}?done={done}")


@router.post(
    PAGE + "/applications/{application_id}/decide", response_class=HTMLResponse, tags=["console"]
)
def decide(
    request: Request,
    application_id: uuid.UUID,
    actor: Registry,
    session: DbSession,
    clock: AppClock,
    settings: AppSettings,
    locale: Locale,
    action: Annotated[str, Form(max_length=20)] = "",
    reason: Annotated[str, Form(max_length=service.MAX_REASON)] = "",
) -> Response:
    return _act(
        request,
        session,
        actor,
        clock,
        locale,
        application_id,
        action if action in service.DECISIONS else "",
        lambda: service.decide(
            session,
            actor=actor,
            settings=settings,
            at=clock.now(),
            application_id=application_id,
            action=action,
            reason=reason,
        ),
    )


@router.post(
    PAGE + "/applications/{application_id}/withdraw", response_class=HTMLResponse, tags=["console"]
)
def withdraw(
    request: Request,
    application_id: uuid.UUID,
    actor: Applicant,
    session: DbSession,
    clock: AppClock,
    locale: Locale,
) -> Response:
    return _act(
        request,
        session,
        actor,
        clock,
        locale,
        application_id,
        "withdrawn",
        lambda: service.withdraw(
            session, actor=actor, at=clock.now(), application_id=application_id
        ),
    )


@router.post(
    PAGE + "/objections/{objection_id}/decide", response_class=HTMLResponse, tags=["console"]
)
def decide_objection(
    request: Request,
    objection_id: uuid.UUID,
    actor: Registry,
    session: DbSession,
    clock: AppClock,
    locale: Locale,
    decision: Annotated[str, Form(max_length=20)] = "",
    reason: Annotated[str, Form(max_length=service.MAX_REASON)] = "",
    application_id: Annotated[str, Form(max_length=40)] = "",
) -> Response:
    try:
        back = uuid.UUID(application_id)
    except ValueError:
        raise NotFound("registration.objection.not_found") from None
    return _act(
        request,
        session,
        actor,
        clock,
        locale,
        back,
        "uphold" if decision == "uphold" else "dismiss",
        lambda: service.decide_objection(
            session,
            actor=actor,
            at=clock.now(),
            objection_id=objection_id,
            uphold=decision == "uphold",
            reason=reason,
        ),
    )


@router.get(PAGE + "/applications/{application_id}/materials/{material_id}", tags=["console"])
def material(
    application_id: uuid.UUID,
    material_id: uuid.UUID,
    actor: Reader,
    session: DbSession,
    settings: AppSettings,
) -> Response:
    """A material as filed (its bytes checked against the SM3 kept at filing)."""
    row, content = service.material(
        session,
        actor=actor,
        settings=settings,
        application_id=application_id,
        material_id=material_id,
    )
    return Response(
        content,
        media_type="application/octet-stream",
        headers={
            "Content-Disposition": f'attachment; filename="material-{row.id}"',
            "X-Content-SM3": row.sm3,
        },
    )


# -- the register ---------------------------------------------------------------------------


@router.get(REGISTER, response_class=HTMLResponse, tags=["console"])
def registrations_page(
    request: Request,
    actor: Reader,
    session: DbSession,
    clock: AppClock,
    locale: Locale,
    listing: Annotated[ListQuery, Depends(REGISTRATIONS)],
) -> HTMLResponse:
    found = service.registrations(session, actor=actor, query=listing)
    now = clock.now()
    states = [(s, translate(f"state.registration.{s}", locale)) for s in REGISTRATION.states]
    return render_list(
        request,
        "registration/registrations.html",
        {
            "rows": found.items,
            "standing": {r.id: service.standing(r, now) for r in found.items},
            "filters": [("status", translate("registrations.col.status", locale), states)],
        },
        page=found,
        rows_template="registration/_registration_rows.html",
    )


@router.get(REGISTER + "/{registration_id}", response_class=HTMLResponse, tags=["console"])
def registration_page(
    request: Request,
    registration_id: uuid.UUID,
    actor: Reader,
    session: DbSession,
    clock: AppClock,
    settings: AppSettings,
) -> HTMLResponse:
    registration = service.registration(session, actor=actor, registration_id=registration_id)
    now = clock.now()
    standing = service.standing(registration, now)
    return render(
        request,
        "registration/registration.html",
        {
            "r": registration,
            "standing": standing,
            "certificate": service.certificate(session, registration),
            "history": service.history(session, actor=actor, registration=registration),
            "verify_path": documents.VERIFY_PATH + registration.code,
            "may_follow_up": actor.has(P.REGISTRATIONS_APPLY) and standing == "in_force",
            "may_renew": service.may_renew(settings, registration, now),
            "renewal_opens": service.renewal_opens(settings, registration),
            "window_days": settings.registration_renewal_window_days,
            "types": [t for t in service.TYPES if t != service.FIRST],
        },
    )


@router.get(
    REGISTER + "/{registration_id}/certificate.html", response_class=HTMLResponse, tags=["console"]
)
def certificate_html(
    registration_id: uuid.UUID,
    actor: Reader,
    session: DbSession,
    settings: AppSettings,
    locale: Locale,
) -> HTMLResponse:
    """The printable certificate of a registration the reader sees (404 otherwise)."""
    doc = documents.document_for(
        session, actor, registration_id, base_url=settings.base_url, locale=locale
    )
    return HTMLResponse(render_html(doc))


@router.get(REGISTER + "/{registration_id}/certificate.pdf", tags=["console"])
def certificate_pdf(
    registration_id: uuid.UUID,
    actor: Reader,
    session: DbSession,
    settings: AppSettings,
    locale: Locale,
) -> Response:
    doc = documents.document_for(
        session, actor, registration_id, base_url=settings.base_url, locale=locale
    )
    return Response(
        render_pdf(doc),
        media_type="application/pdf",
        headers={"Content-Disposition": f'inline; filename="{doc.code}.pdf"'},
    )


# -- the public -----------------------------------------------------------------------------


def _notices_page(
    request: Request,
    session: Session,
    clock: AppClock,
    *,
    done: str | None = None,
    refusal: SluiceError | None = None,
    refused_id: uuid.UUID | None = None,
    grounds: str = "",
    status_code: int = 200,
) -> HTMLResponse:
    return render(
        request,
        "registration/notices.html",
        {
            "notices": service.notices(session, at=clock.now()),
            "done": done if done == "objected" else None,
            "refusal": refusal,
            "refused_id": refused_id,
            "grounds": grounds,
        },
        status_code=status_code,
    )


@router.get(NOTICES, response_class=HTMLResponse, tags=["portal"])
def notices_page(
    request: Request,
    principal: MaybePrincipal,
    session: DbSession,
    clock: AppClock,
    done: Annotated[str | None, Query(max_length=30)] = None,
) -> HTMLResponse:
    """Anyone: the registrations in public notice; logged in, the objection form too."""
    return _notices_page(request, session, clock, done=done)


@router.post(NOTICES + "/{application_id}/objections", response_class=HTMLResponse, tags=["portal"])
def object_to(
    request: Request,
    application_id: uuid.UUID,
    actor: Objector,
    session: DbSession,
    clock: AppClock,
    grounds: Annotated[str, Form(max_length=service.MAX_GROUNDS)] = "",
) -> Response:
    try:
        service.file_objection(
            session, actor=actor, at=clock.now(), application_id=application_id, grounds=grounds
        )
    except SluiceError as refused:
        if refused.status == 404:
            raise
        undo_keeping_refusal(session, refused)
        return _notices_page(
            request,
            session,
            clock,
            refusal=refused,
            refused_id=application_id,
            grounds=grounds,
            status_code=refused.status,
        )
    return see_other(f"{NOTICES}?done=objected#notice-{application_id}")


@router.get("/registry/verify/{code}", response_class=HTMLResponse, tags=["portal"])
def verify_page(
    request: Request,
    code: Annotated[str, Path(max_length=CODE_MAX)],
    principal: MaybePrincipal,
    session: DbSession,
    clock: AppClock,
) -> HTMLResponse:
    """Anyone: the registration with this code, its standing, and whether its certificate's
    signature verifies under the registry's published key."""
    check = service.public_check(session, code=code, at=clock.now())
    return render(
        request,
        "registration/verify.html",
        {"check": check, "public_keys": documents.PUBLIC_KEYS_PATH},
    )
