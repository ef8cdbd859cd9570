"""Console pages of the consent ledger.

* A data subject: **my consents** (its masked identifier, the consents it granted with their
  standing, the grant form: buyer, product, one of the product's purposes, first and last
  day, an optional signed document; revoke) and **who used my data** (谁用了我的数据: every
  call and download about it, newest first).
* A buyer: the consents granted to it, the subject masked, with the ``consent_id`` to send.
* The bureau: the **ledger** (every consent, filtered by buyer, product and standing), one
  entry with its evidence's SM3 and the evidence itself, and **data subjects' accounts**
  (opened with an ID number or credit code, kept only tokenized and masked).
"""

from __future__ import annotations

import uuid
from datetime import timedelta
from typing import Annotated, Any, Final

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, Response
from sqlalchemy.orm import Session
from starlette.datastructures import UploadFile

from sluice.consent import service
from sluice.consent.api import evidence_response
from sluice.consent.repository import CONSENT_SORTS, USE_SORTS
from sluice.consent.schemas import ConsentGrant, SubjectCreate
from sluice.consent.states import STANDINGS
from sluice.core.clock import Clock, local
from sluice.core.database import undo_keeping_refusal
from sluice.core.errors import SluiceError
from sluice.core.i18n import add_messages, translate
from sluice.core.paging import ListQuery
from sluice.core.permissions import Permission as P
from sluice.core.principal import Principal
from sluice.core.settings import Settings
from sluice.identity.service import FieldsClash, FieldsInvalid
from sluice.web.deps import AppClock, AppSettings, DbSession, Locale, Requires
from sluice.web.forms import FORM, FormErrors, see_other
from sluice.web.listing import ListSpec, render_list
from sluice.web.templating import NavItem, add_nav, render

router = APIRouter(tags=["console"])
Granter = Annotated[Principal, Depends(Requires(P.CONSENTS_GRANT))]
UseReader = Annotated[Principal, Depends(Requires(P.SUBJECT_USES_READ))]
Buyer = Annotated[Principal, Depends(Requires(P.CONSENTS_READ_GRANTED))]
Inspector = Annotated[Principal, Depends(Requires(P.CONSENTS_INSPECT))]
SubjectReader = Annotated[Principal, Depends(Requires(P.IDENTITY_READ))]
SubjectOpener = Annotated[Principal, Depends(Requires(P.IDENTITY_MANAGE))]

MINE_PAGE: Final = "/console/consents"
USES_PAGE: Final = "/console/consents/uses"
GRANTED_PAGE: Final = "/console/consents/granted"
LEDGER_PAGE: Final = "/console/consent-ledger"
SUBJECTS_PAGE: Final = "/console/data-subjects"

MINE: Final = ListSpec(sorts=CONSENT_SORTS, filters=("status",), default_sort="-granted", size=20)
GRANTED: Final = ListSpec(
    sorts=CONSENT_SORTS, filters=("status", "product"), default_sort="-granted"
)
LEDGER: Final = ListSpec(
    sorts=CONSENT_SORTS, filters=("status", "buyer", "product"), default_sort="-granted"
)
USES: Final = ListSpec(sorts=USE_SORTS, filters=("outcome",), default_sort="-used", size=30)
SUBJECTS: Final = ListSpec(sorts=("created",), filters=("kind",), default_sort="-created")
GRANT_FIELDS: Final = ("buyer_id", "product_id", "purpose", "valid_from", "valid_until")
SUBJECT_FIELDS: Final = ("username", "display_name", "kind", "identifier")

add_nav(
    NavItem("nav.my_consents", MINE_PAGE, P.CONSENTS_GRANT, order=20),
    NavItem("nav.my_data_uses", USES_PAGE, P.SUBJECT_USES_READ, order=21),
    NavItem("nav.consents_granted", GRANTED_PAGE, P.CONSENTS_READ_GRANTED, order=60),
    NavItem("nav.consent_ledger", LEDGER_PAGE, P.CONSENTS_INSPECT, order=76),
    NavItem("nav.data_subjects", SUBJECTS_PAGE, P.IDENTITY_READ, "nav.section.admin", 12),
)
add_messages(
    {
        "nav.my_consents": ("我的授权同意", "My consents"),
        "nav.my_data_uses": ("谁用了我的数据", "Who used my data"),
        "nav.consents_granted": ("信息主体的授权同意", "Consents granted to us"),
        "nav.consent_ledger": ("授权同意台账", "Consent ledger"),
        "nav.data_subjects": ("信息主体账户", "Data subject accounts"),
        "consents.mine.title": ("我的授权同意", "My consents"),
        "consents.mine.lead": (
            "数据需求方查询与您有关的数据前，必须取得您对该数据产品和使用目的的明确同意。"
            "您可以随时撤回同意，撤回后对方此后的调用即被拒绝。",
            "Before a buyer may query data about you, it needs your explicit consent for that "
            "product and purpose. You can revoke a consent at any time; the buyer's calls after "
            "that are refused.",
        ),
        "consents.you_are": (
            "您的账户关联的{kind}：{identifier} {masked}",
            "Your account stands for a {kind}: {identifier} {masked}",
        ),
        "consents.not_linked": (
            "您的账户尚未关联到个人或企业。请携带有效证件联系市数据局开设信息主体账户。",
            "Your account is not linked to a person or an enterprise yet. Please contact the "
            "data bureau with your identity document.",
        ),
        "consents.grant": ("授予同意", "Grant consent"),
        "consents.granted_done": (
            "已授予同意，同意编号 {id}。请将编号告知数据需求方。",
            "Consent granted, id {id}. Give this id to the buyer.",
        ),
        "consents.revoked_done": (
            "已撤回同意 {id}。对方此后的调用将被拒绝。",
            "Consent {id} revoked. The buyer's calls from now on are refused.",
        ),
        "consents.revoke": ("撤回", "Revoke"),
        "consents.revoke_confirm": (
            "撤回这项同意？对方此后的调用将被拒绝，撤回不能取消。",
            "Revoke this consent? The buyer's calls from now on are refused; this cannot be "
            "undone.",
        ),
        "consents.id": ("同意编号", "Consent id"),
        "consents.buyer": ("数据需求方", "Buyer"),
        "consents.product": ("数据产品", "Product"),
        "consents.purpose": ("使用目的", "Purpose"),
        "consents.validity": ("有效期", "Valid"),
        "consents.valid_from": ("生效日", "First day"),
        "consents.valid_until": ("截止日", "Last day"),
        "consents.status": ("状态", "Status"),
        "consents.subject": ("信息主体", "Data subject"),
        "consents.granted_at": ("授予时间", "Granted"),
        "consents.revoked_at": ("撤回时间", "Revoked"),
        "consents.evidence": ("证明材料", "Evidence"),
        "consents.evidence_sm3": ("证明材料 SM3", "Evidence SM3"),
        "consents.evidence.generated": ("平台生成的同意书", "Consent text by the platform"),
        "consents.evidence.uploaded": ("上传的签署文件", "Uploaded signed document"),
        "consents.evidence_download": ("下载证明材料", "Download the evidence"),
        "consents.upload": (
            "签署的同意文件（可选）",
            "Signed consent document (optional)",
        ),
        "consents.upload_hint": (
            "不上传时，平台生成同意书，您确认后即作为证明材料留存（SM4 加密保存，记录 SM3 摘要）。",
            "Without a file, the platform writes the consent text; your confirmation makes it "
            "the evidence (kept SM4-encrypted, its SM3 recorded).",
        ),
        "consents.validity_hint": (
            "有效期最长 {days} 天，含首尾两日（北京时间）。",
            "At most {days} days, first and last day included (Beijing time).",
        ),
        "consents.no_offers": (
            "目前没有需要授权同意的已上架数据产品。",
            "No listed product needs consent at the moment.",
        ),
        "consents.choose": ("请选择", "Choose"),
        "consents.search": ("搜索数据需求方、产品或目的", "Search buyer, product or purpose"),
        "consents.empty_mine": ("您还没有授予任何同意。", "You have not granted any consent."),
        "consents.uses.title": ("谁用了我的数据", "Who used my data"),
        "consents.uses.lead": (
            "每一次与您有关的数据产品调用和下载，无论是否获准，都记录在这里：由哪个数据需求方、"
            "用哪个产品、何时、为什么目的、结果如何。",
            "Every call and download of a data product about you, allowed or refused: which "
            "buyer, which product, when, for what purpose and with what outcome.",
        ),
        "consents.uses.when": ("时间", "When"),
        "consents.uses.kind": ("方式", "Kind"),
        "consents.uses.outcome": ("结果", "Outcome"),
        "consents.uses.refused": ("被拒绝", "Refused"),
        "consents.uses.empty": ("还没有与您有关的调用。", "Nobody has used data about you yet."),
        "consents.uses.search": ("搜索数据需求方或目的", "Search buyer or purpose"),
        "consents.uses.total": (
            "与您有关的调用和下载共 {count} 次。",
            "{count} calls and downloads about you in all.",
        ),
        "consents.granted.title": ("信息主体授予本单位的同意", "Consents granted to us"),
        "consents.granted.lead": (
            "调用需要授权同意的数据产品时，请在请求中带上对应的同意编号（consent_id）。"
            "信息主体可随时撤回同意；信息主体只以脱敏形式显示。",
            "When calling a product that needs consent, send the matching consent id "
            "(consent_id). Subjects may revoke consent at any time; they are shown masked only.",
        ),
        "consents.granted.empty": (
            "还没有信息主体授予本单位同意。",
            "No data subject has granted your organization consent yet.",
        ),
        "consents.ledger.title": ("授权同意台账", "Consent ledger"),
        "consents.ledger.lead": (
            "信息主体授予数据需求方的全部同意及其证明材料。证明材料以 SM4 加密保存，"
            "下载时核对 SM3 摘要；每次查阅证明材料都记入审计日志。",
            "Every consent data subjects granted buyers, with its evidence. Evidence is kept "
            "SM4-encrypted and checked against its SM3 when downloaded; each reading is audited.",
        ),
        "consents.ledger.counts": (
            "有效 {active} · 尚未生效 {pending} · 已过期 {expired} · 已撤回 {revoked}",
            "In force {active} · pending {pending} · expired {expired} · revoked {revoked}",
        ),
        "consents.ledger.empty": ("台账中还没有同意。", "The ledger holds no consent yet."),
        "consents.ledger.search": (
            "搜索数据需求方、产品、目的或脱敏标识",
            "Search buyer, product, purpose or masked identifier",
        ),
        "consents.ledger.back": ("返回台账", "Back to the ledger"),
        "consents.entry.title": ("同意 {id}", "Consent {id}"),
        "consents.evidence_bytes": ("大小", "Size"),
        "consents.subjects.title": ("信息主体账户", "Data subject accounts"),
        "consents.subjects.lead": (
            "为个人（身份证号码）或企业（统一社会信用代码）开设信息主体账户，供其授予、撤回同意"
            "和查看谁用了其数据。号码按数据汇聚的同一规则清洗并令牌化，平台只保存令牌和脱敏形式，"
            "不保存号码本身。",
            "Open a data subject's account for a person (ID number) or an enterprise (unified "
            "social credit code), so it can grant and revoke consent and see who used its data. "
            "The number is cleaned and tokenized by the same rules as ingested data; the "
            "platform keeps only the token and the masked form, never the number.",
        ),
        "consents.subjects.verification": (
            "实名核验不在平台范围内：开设账户前，请由窗口工作人员当面核验申请人的身份证件"
            "或企业的营业执照及经办人授权。",
            "Real-name verification is outside the platform: before opening an account, "
            "counter staff check the applicant's identity document in person, or the "
            "enterprise's business licence and the agent's authorization.",
        ),
        "consents.subjects.new": ("开设信息主体账户", "Open a data subject account"),
        "consents.subjects.opened": (
            "已为{kind} {masked} 开设账户“{username}”。",
            "Account '{username}' opened for the {kind} {masked}.",
        ),
        "consents.subjects.kind": ("主体类型", "Subject type"),
        "consents.subjects.identifier": (
            "身份证号码或统一社会信用代码",
            "ID number or unified social credit code",
        ),
        "consents.subjects.username": ("用户名", "Username"),
        "consents.subjects.display_name": ("姓名或名称", "Name"),
        "consents.subjects.password": ("初始密码", "Initial password"),
        "consents.subjects.masked": ("脱敏标识", "Masked identifier"),
        "consents.subjects.created": ("开设时间", "Opened"),
        "consents.subjects.empty": ("还没有信息主体账户。", "No data subject account yet."),
        "consents.subjects.search": ("搜索用户名、姓名或脱敏标识", "Search username, name or mask"),
    }
)


def _today(clock: Clock) -> Any:
    return local(clock.now()).date()


def _standings(locale: str) -> list[tuple[str, str]]:
    return [(s, translate(f"consent.standing.{s}", locale)) for s in STANDINGS]


# -- the subject: my consents ---------------------------------------------------------------


def _mine_page(
    request: Request,
    actor: Principal,
    session: Session,
    clock: Clock,
    settings: Settings,
    locale: str,
    listing: ListQuery,
    *,
    form: dict[str, str] | None = None,
    errors: dict[str, str] | None = None,
    message: str | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    at = clock.now()
    today = _today(clock)
    page = service.consents(session, actor=actor, at=at, query=listing)
    context = {
        "subject": service.subject_of(session, actor),
        "buyers": service.buyers(session, actor=actor),
        "offers": service.offered(session, actor=actor, at=at),
        "filters": [("status", translate("consents.status", locale), _standings(locale))],
        "form": form
        or {
            "valid_from": today.isoformat(),
            "valid_until": (today + timedelta(days=settings.consent_max_days - 1)).isoformat(),
        },
        "errors": errors or {},
        "message": message,
        "max_days": settings.consent_max_days,
    }
    response = render_list(
        request, "consent/mine.html", context, page=page, rows_template="consent/_mine_rows.html"
    )
    response.status_code = status_code
    return response


@router.get(MINE_PAGE, response_class=HTMLResponse)
def my_consents(
    request: Request,
    actor: Granter,
    session: DbSession,
    clock: AppClock,
    settings: AppSettings,
    locale: Locale,
    listing: Annotated[ListQuery, Depends(MINE)],
    granted: uuid.UUID | None = None,
    revoked: uuid.UUID | None = None,
) -> HTMLResponse:
    message = None
    if granted is not None:
        message = translate("consents.granted_done", locale, id=granted)
    elif revoked is not None:
        message = translate("consents.revoked_done", locale, id=revoked)
    return _mine_page(request, actor, session, clock, settings, locale, listing, message=message)


def _uuid(value: str) -> uuid.UUID | None:
    try:
        return uuid.UUID(value) if value else None
    except ValueError:
        return None


@router.post(MINE_PAGE, response_class=HTMLResponse)
async def grant_consent(
    request: Request,
    actor: Granter,
    session: DbSession,
    clock: AppClock,
    settings: AppSettings,
    locale: Locale,
) -> Response:
    submitted = await request.form()
    raw = {k: str(submitted.get(k, "")).strip() for k in GRANT_FIELDS}
    file = submitted.get("evidence")
    upload = None
    if isinstance(file, UploadFile) and file.filename:
        upload = service.Upload(file.file, file.filename)
    errors = FormErrors(locale)
    at = clock.now()
    valid_from = errors.date(raw["valid_from"], "valid_from", required=True)
    valid_until = errors.date(raw["valid_until"], "valid_until", required=True)
    values: dict[str, Any] = {
        k: v for k, v in raw.items() if v and k not in ("valid_from", "valid_until")
    }
    if valid_from is not None:
        values["valid_from"] = valid_from
    if valid_until is not None:
        values["valid_until"] = valid_until
    data = errors.parse(ConsentGrant, values)
    try:
        subject = service.own_subject(session, actor)
    except SluiceError as error:
        errors.refusal(error)
    else:
        errors.problems(
            service.grant_problems(
                session,
                settings=settings,
                subject=subject,
                at=at,
                buyer_id=_uuid(raw["buyer_id"]),
                product_id=_uuid(raw["product_id"]),
                purpose=raw["purpose"],
                valid_from=valid_from,
                valid_until=valid_until,
            )
        )
    if data is not None and not errors:
        try:
            made = service.grant(
                session, actor=actor, settings=settings, at=at, data=data, upload=upload
            )
        except SluiceError as error:
            if error.status in (403, 404):
                raise
            undo_keeping_refusal(session, error)
            errors.refusal(error)
        else:
            return see_other(f"{MINE_PAGE}?granted={made.id}")
    if FORM not in errors:
        errors.add(FORM, "form.problems")
    return _mine_page(
        request,
        actor,
        session,
        clock,
        settings,
        locale,
        MINE(request),
        form=raw,
        errors=errors.as_dict(),
        status_code=422,
    )


@router.post(MINE_PAGE + "/{consent_id}/revoke", response_class=HTMLResponse)
def revoke_consent(
    consent_id: uuid.UUID, actor: Granter, session: DbSession, clock: AppClock
) -> Response:
    service.revoke(session, actor=actor, at=clock.now(), consent_id=consent_id)
    return see_other(f"{MINE_PAGE}?revoked={consent_id}")


# -- the subject: who used my data ----------------------------------------------------------


@router.get(USES_PAGE, response_class=HTMLResponse)
def my_data_uses(
    request: Request,
    actor: UseReader,
    session: DbSession,
    locale: Locale,
    listing: Annotated[ListQuery, Depends(USES)],
) -> HTMLResponse:
    page = service.uses(session, actor=actor, query=listing)
    outcomes = [
        ("answered", translate("consent.outcome.answered", locale)),
        ("refused", translate("consents.uses.refused", locale)),
    ]
    return render_list(
        request,
        "consent/uses.html",
        {
            "subject": service.subject_of(session, actor),
            "filters": [("outcome", translate("consents.uses.outcome", locale), outcomes)],
        },
        page=page,
        rows_template="consent/_use_rows.html",
    )


# -- the buyer ------------------------------------------------------------------------------


@router.get(GRANTED_PAGE, response_class=HTMLResponse)
def consents_granted(
    request: Request,
    actor: Buyer,
    session: DbSession,
    clock: AppClock,
    locale: Locale,
    listing: Annotated[ListQuery, Depends(GRANTED)],
) -> HTMLResponse:
    page = service.consents(session, actor=actor, at=clock.now(), query=listing)
    return render_list(
        request,
        "consent/granted.html",
        {"filters": [("status", translate("consents.status", locale), _standings(locale))]},
        page=page,
        rows_template="consent/_granted_rows.html",
    )


# -- the bureau: the ledger -----------------------------------------------------------------


@router.get(LEDGER_PAGE, response_class=HTMLResponse)
def consent_ledger(
    request: Request,
    actor: Inspector,
    session: DbSession,
    clock: AppClock,
    locale: Locale,
    listing: Annotated[ListQuery, Depends(LEDGER)],
) -> HTMLResponse:
    at = clock.now()
    page = service.consents(session, actor=actor, at=at, query=listing)
    buyers = [(str(o.id), o.name) for o in service.ledger_buyers(session, actor=actor)]
    products = [(str(i), t) for i, t in service.ledger_products(session, actor=actor)]
    return render_list(
        request,
        "consent/ledger.html",
        {
            "counts": service.counts(session, actor=actor, at=at),
            "filters": [
                ("status", translate("consents.status", locale), _standings(locale)),
                ("buyer", translate("consents.buyer", locale), buyers),
                ("product", translate("consents.product", locale), products),
            ],
        },
        page=page,
        rows_template="consent/_ledger_rows.html",
    )


@router.get(LEDGER_PAGE + "/{consent_id}", response_class=HTMLResponse)
def ledger_entry(
    request: Request,
    consent_id: uuid.UUID,
    actor: Inspector,
    session: DbSession,
    clock: AppClock,
) -> HTMLResponse:
    view = service.consent(session, actor=actor, at=clock.now(), consent_id=consent_id)
    return render(request, "consent/ledger_entry.html", {"v": view})


@router.get(LEDGER_PAGE + "/{consent_id}/evidence/file")
def ledger_evidence(
    consent_id: uuid.UUID,
    actor: Inspector,
    session: DbSession,
    clock: AppClock,
    settings: AppSettings,
) -> Response:
    found, content = service.evidence_of(
        session, actor=actor, settings=settings, at=clock.now(), consent_id=consent_id
    )
    return evidence_response(found.evidence_name, found.evidence_sm3, content)


# -- the bureau: data subjects' accounts ----------------------------------------------------


def _subjects_page(
    request: Request,
    actor: Principal,
    session: Session,
    locale: str,
    listing: ListQuery,
    *,
    form: dict[str, str] | None = None,
    errors: dict[str, str] | None = None,
    message: str | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    page = service.subject_page(session, actor=actor, query=listing)
    kinds = [(k, translate(f"consent.kind.{k}", locale)) for k in ("person", "enterprise")]
    response = render_list(
        request,
        "consent/subjects.html",
        {
            "kinds": kinds,
            "filters": [("kind", translate("consents.subjects.kind", locale), kinds)],
            "form": form or {"kind": "person"},
            "errors": errors or {},
            "message": message,
            "may_open": actor.has(P.IDENTITY_MANAGE),
        },
        page=page,
        rows_template="consent/_subject_rows.html",
    )
    response.status_code = status_code
    return response


@router.get(SUBJECTS_PAGE, response_class=HTMLResponse)
def data_subjects(
    request: Request,
    actor: SubjectReader,
    session: DbSession,
    locale: Locale,
    listing: Annotated[ListQuery, Depends(SUBJECTS)],
    opened: uuid.UUID | None = None,
) -> HTMLResponse:
    message = None
    if opened is not None:
        found = service.subject_row(session, actor=actor, subject_id=opened)
        if found is not None:
            message = translate(
                "consents.subjects.opened",
                locale,
                kind=translate(f"consent.kind.{found.subject.kind}", locale),
                masked=found.subject.masked,
                username=found.username,
            )
    return _subjects_page(request, actor, session, locale, listing, message=message)


@router.post(SUBJECTS_PAGE, response_class=HTMLResponse)
async def open_subject(
    request: Request,
    actor: SubjectOpener,
    session: DbSession,
    clock: AppClock,
    settings: AppSettings,
    locale: Locale,
) -> Response:
    submitted = await request.form()
    raw = {k: str(submitted.get(k, "")).strip() for k in SUBJECT_FIELDS}
    password = str(submitted.get("password", ""))
    errors = FormErrors(locale)
    data = errors.parse(
        SubjectCreate, {**{k: v for k, v in raw.items() if v}, "password": password}
    )
    errors.problems(
        service.subject_problems(
            session,
            settings=settings,
            username=raw["username"],
            display_name=raw["display_name"],
            password=password,
            kind=raw["kind"],
            identifier=raw["identifier"],
        )
    )
    # Neither the password nor the identifier is ever sent back into the page.
    kept = {**raw, "identifier": ""}
    if data is not None and not errors:
        try:
            subject, _ = service.create_subject(
                session, actor=actor, clock=clock, settings=settings, data=data
            )
        except (FieldsInvalid, FieldsClash) as error:
            undo_keeping_refusal(session, error)
            errors.problems(error.problems)
        else:
            return see_other(f"{SUBJECTS_PAGE}?opened={subject.id}")
    if FORM not in errors:
        errors.add(FORM, "form.problems")
    return _subjects_page(
        request,
        actor,
        session,
        locale,
        SUBJECTS(request),
        form=kept,
        errors=errors.as_dict(),
        status_code=422,
    )
