"""The consent ledger (R8.7, R8.11): data subjects, their consents, the gateway's check and
the record of every use of their data. Keyword-only, no HTTP, no commit.

* **Subjects.** The bureau (identity management) opens a data subject's account with the
  person's ID number or the enterprise's credit code (``create_subject``): the identifier is
  cleaned and tokenized exactly as ingestion does (``dataplane.subject_tokens``) and only its
  token and masked form are kept. Real-name verification of whoever asks for the account is
  the bureau's, outside the platform.
* **Consents.** A subject grants one buyer organization consent for one listed product and
  one of its purposes, for at most ``consent_max_days`` days (``grant``), with an evidence
  document: the file it uploads, or the consent text the platform writes and the subject
  confirms while logged in. The document is kept sealed (SM4) under its SM3, as all evidence
  is (``operators.evidence``). The subject revokes it at any time (``revoke``); the next
  check refuses it, since every check reads the row.
* **The check** (``check``), on every gateway call of a product that needs consent: one read
  of the named consent by primary key, refusals in the order present (``consent_required``),
  same subject, product and purpose (``consent_mismatch``), within its days
  (``consent_expired``), not revoked (``consent_revoked``). A consent of another buyer, or
  none, is ``consent_required``: to a buyer, another's consent does not exist, and no refusal
  says whose a consent is.
* **Uses.** The gateway records every call and download about a subject, answered or refused
  (``record_use``); the subject reads its own (``uses``).
"""

from __future__ import annotations

import io
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import BinaryIO, Final, Literal

from sqlalchemy.orm import Session

from sluice.audit import service as audit
from sluice.consent import offers, repository
from sluice.consent.models import Consent, ConsentUse, DataSubject
from sluice.consent.offers import Offer
from sluice.consent.repository import CheckRow, ConsentRow, SubjectRow
from sluice.consent.schemas import ConsentGrant, SubjectCreate
from sluice.consent.states import CONSENT, GRANTED, REVOKED, Standing, standing
from sluice.core.change_stamps import Memo, Stamps
from sluice.core.clock import Clock, display, local
from sluice.core.errors import Conflict, NotFound, PermissionDenied, SluiceError
from sluice.core.i18n import MessageRef, add_messages, translate
from sluice.core.paging import ListQuery, Page
from sluice.core.permissions import OrgKind, Permission, Role
from sluice.core.principal import Principal
from sluice.core.settings import Settings
from sluice.dataplane import subject_tokens
from sluice.identity import repository as identity_repository
from sluice.identity import service as identity
from sluice.identity.models import Organization
from sluice.identity.schemas import UserCreate
from sluice.identity.service import FieldsClash, FieldsInvalid, Problem
from sluice.operators import evidence

SubjectKind = Literal["person", "enterprise"]
#: The identifier type that names each kind of subject (as catalog fields declare it).
IDENTIFIER_TYPE: Final[dict[str, str]] = {"person": "id_number", "enterprise": "uscc"}
UseKind = Literal["call", "download"]
ANSWERED: Final = "answered"

GRANTED_ACTION: Final = "consent.granted"
SUBJECT_CREATED: Final = "data_subject.created"
EVIDENCE_READ: Final = "consent.evidence_read"
audit.declare_actions(
    {
        GRANTED_ACTION: ("授予数据使用同意", "Consent granted"),
        SUBJECT_CREATED: ("开设信息主体账户", "Data subject account opened"),
        EVIDENCE_READ: ("查阅同意证明材料", "Consent evidence read"),
    }
)
audit.declare_target_types({"data_subject": ("信息主体", "Data subject")})
audit.declare_detail_labels(
    {
        "consent_subject": ("信息主体", "Data subject"),
        "consent_subject_kind": ("主体类型", "Subject type"),
        "consent_buyer": ("被授权的数据需求方", "Buyer consented to"),
        "consent_product": ("同意的数据产品", "Product consented to"),
        "consent_purpose": ("同意的使用目的", "Purpose consented to"),
        "consent_from": ("同意生效日", "Consent's first day"),
        "consent_until": ("同意截止日", "Consent's last day"),
        "consent_evidence_sm3": ("同意证明材料 SM3", "Consent evidence SM3"),
    }
)
audit.declare_detail_values("consent_subject_kind", "consent.kind.{value}")

add_messages(
    {
        "consent.kind.person": ("个人", "Person"),
        "consent.kind.enterprise": ("企业", "Enterprise"),
        "consent.identifier.person": ("身份证号码", "ID number"),
        "consent.identifier.enterprise": ("统一社会信用代码", "Unified social credit code"),
        "consent.use.call": ("调用", "Call"),
        "consent.use.download": ("下载", "Download"),
        "consent.outcome.answered": ("已应答", "Answered"),
        "consent.not_found": ("没有这项同意。", "There is no such consent."),
        "consent.not_linked": (
            "您的账户尚未关联到个人或企业，不能授予同意。请联系市数据局。",
            "Your account is not linked to a person or an enterprise yet, so it cannot "
            "grant consent. Please contact the data bureau.",
        ),
        "consent.subject.identifier_invalid.person": (
            "身份证号码无效：应为 18 位，末位校验码正确（X 可小写），出生日期真实存在。",
            "Not a valid ID number: 18 characters with a correct check character (x may be "
            "lower-case) and a real date of birth.",
        ),
        "consent.subject.identifier_invalid.enterprise": (
            "统一社会信用代码无效：应为 18 位，末位校验码正确。",
            "Not a valid unified social credit code: 18 characters with a correct check character.",
        ),
        "consent.subject.identifier_taken": (
            "该{identifier}已开设信息主体账户。",
            "A data subject account is already open for this {identifier}.",
        ),
        "consent.buyer_unknown": (
            "请选择一个数据需求方。",
            "Please choose a buyer.",
        ),
        "consent.product_unknown": (
            "请选择一个需要授权同意的已上架数据产品。",
            "Please choose a listed product that needs consent.",
        ),
        "consent.product_other_kind": (
            "该产品查询的是{wanted}的数据，您的账户关联的是{kind}。",
            "This product is about subjects of type {wanted}; your account stands for one of "
            "type {kind}.",
        ),
        "consent.purpose_unknown": (
            "该产品的使用目的只能是：{allowed}。",
            "The product's purposes are: {allowed}.",
        ),
        "consent.from_past": (
            "生效日不能早于今天（{today}）。",
            "The first day cannot be before today ({today}).",
        ),
        "consent.from_too_far": (
            "生效日最晚为今天起 {days} 天内（{latest}）。",
            "The first day can be at most {days} days from today ({latest}).",
        ),
        "consent.until_before_from": (
            "截止日不能早于生效日。",
            "The last day cannot be before the first day.",
        ),
        "consent.too_long": (
            "同意的有效期最长 {days} 天：从 {first} 起最晚到 {latest}。",
            "A consent lasts at most {days} days: from {first}, {latest} at the latest.",
        ),
        "consent.evidence.empty": ("上传的文件是空的。", "The uploaded file is empty."),
        # The gateway's refusals (403): never whose consent it is.
        "problem.consent_required": ("需要信息主体的授权同意", "Consent required"),
        "error.consent_required": (
            "调用该产品需要信息主体的授权同意：请在请求中提供信息主体授予本单位的同意编号"
            "（consent_id）。",
            "This product needs the data subject's consent: send the consent_id of a consent "
            "the subject granted your organization.",
        ),
        "consent.required_unknown": (
            "没有授予本单位的编号为 {consent_id} 的同意：请提供信息主体授予本单位的同意编号。",
            "No consent {consent_id} was granted to your organization: send the id of a "
            "consent the subject granted you.",
        ),
        "problem.consent_mismatch": ("授权同意与本次调用不符", "Consent does not match"),
        "error.consent_mismatch": (
            "同意 {consent_id} 不是为本次调用授予的。",
            "Consent {consent_id} was not granted for this call.",
        ),
        "consent.mismatch.subject": (
            "同意 {consent_id} 是另一信息主体授予的，与本次调用查询的信息主体不符。",
            "Consent {consent_id} was granted by another data subject than the one this call "
            "is about.",
        ),
        "consent.mismatch.product": (
            "同意 {consent_id} 授予的是另一数据产品，不能用于本产品。",
            "Consent {consent_id} was granted for another product, not this one.",
        ),
        "consent.mismatch.purpose": (
            "同意 {consent_id} 授予的使用目的是“{granted}”，不是本次调用的“{purpose}”。",
            "Consent {consent_id} was granted for the purpose '{granted}', not '{purpose}'.",
        ),
        "problem.consent_expired": ("授权同意不在有效期内", "Consent not in force"),
        "error.consent_expired": (
            "同意 {consent_id} 的有效期为 {first} 至 {last}，已过期。",
            "Consent {consent_id} was valid from {first} to {last}; it has expired.",
        ),
        "consent.pending": (
            "同意 {consent_id} 自 {first} 起生效，尚未生效。",
            "Consent {consent_id} takes effect on {first}; it is not in force yet.",
        ),
        "problem.consent_revoked": ("信息主体已撤回同意", "Consent revoked"),
        "error.consent_revoked": (
            "同意 {consent_id} 已被信息主体撤回，不能再使用。",
            "Consent {consent_id} was revoked by the data subject and can no longer be used.",
        ),
    }
)


class ConsentRefused(SluiceError):
    status = 403


class ConsentRequired(ConsentRefused):
    code = "consent_required"


class ConsentMismatch(ConsentRefused):
    code = "consent_mismatch"


class ConsentExpired(ConsentRefused):
    code = "consent_expired"


class ConsentRevoked(ConsentRefused):
    code = "consent_revoked"


class NotLinked(Conflict):
    code = "subject_not_linked"


add_messages(
    {
        "problem.subject_not_linked": ("账户未关联信息主体", "Account not linked"),
        "error.subject_not_linked": (
            "您的账户尚未关联到个人或企业。",
            "Your account is not linked to a person or an enterprise yet.",
        ),
    }
)


# -- the gateway's two functions ------------------------------------------------------------


#: What ``check`` compares, by consent (``change_stamps``).
_checked: Memo[uuid.UUID, CheckRow | None] = Memo("consent.checked")


def check(
    session: Session,
    *,
    consent_id: uuid.UUID | None,
    buyer_id: uuid.UUID,
    product_id: uuid.UUID,
    subject_token: str | None,
    purpose: str,
    at: datetime,
    stamps: Stamps | None = None,
) -> uuid.UUID:
    """The consent the buyer named, if it covers this call; else the first refusal in the
    order required, mismatch, expired, revoked (see the module docstring). One read, or
    none with ``stamps`` (``change_stamps.read``) while no consent changed since the last:
    a revocation changes them, so it still refuses the very next call."""
    if consent_id is None:
        raise ConsentRequired()
    found = _checked.get(stamps, consent_id, lambda: repository.for_check(session, consent_id))
    if found is None or found.buyer_id != buyer_id:
        raise ConsentRequired("consent.required_unknown", consent_id=str(consent_id))
    shown = str(consent_id)
    if subject_token is None or found.subject_token != subject_token:
        raise ConsentMismatch("consent.mismatch.subject", consent_id=shown)
    if found.product_id != product_id:
        raise ConsentMismatch("consent.mismatch.product", consent_id=shown)
    if found.purpose != purpose:
        raise ConsentMismatch(
            "consent.mismatch.purpose", consent_id=shown, granted=found.purpose, purpose=purpose
        )
    today = local(at).date()
    first, last = found.valid_from.isoformat(), found.valid_until.isoformat()
    if today < found.valid_from:
        raise ConsentExpired("consent.pending", consent_id=shown, first=first)
    if today > found.valid_until:
        raise ConsentExpired(consent_id=shown, first=first, last=last)
    if found.status != GRANTED:
        raise ConsentRevoked(consent_id=shown)
    return consent_id


def record_use(
    session: Session,
    *,
    subject_token: str,
    buyer_id: uuid.UUID,
    product_id: uuid.UUID,
    consent_id: uuid.UUID | None,
    purpose: str,
    at: datetime,
    kind: UseKind,
    outcome: str,
    call_id: uuid.UUID | None = None,
) -> None:
    """One call or download about a subject, answered (``answered``) or refused (the
    refusal's code), for the subject's "who used my data"; ``call_id`` is the gateway call's
    (its row in ``gateway_calls``)."""
    session.add(
        ConsentUse(
            subject_token=subject_token,
            call_id=call_id,
            buyer_id=buyer_id,
            product_id=product_id,
            consent_id=consent_id,
            purpose=purpose[:200],
            kind=kind,
            outcome=outcome[:40],
            used_at=at,
        )
    )


# -- subjects -------------------------------------------------------------------------------


def subject_of(session: Session, actor: Principal) -> DataSubject | None:
    """The person or enterprise the actor's account stands for (None: not linked yet)."""
    if Role.SUBJECT not in actor.roles or actor.user_id is None:
        return None
    return repository.subject_of_user(session, actor.user_id)


def _identified(kind: str, identifier: str, settings: Settings) -> subject_tokens.Identified | None:
    try:
        return subject_tokens.identify(identifier, IDENTIFIER_TYPE[kind], settings=settings)
    except subject_tokens.IdentifierInvalid:
        return None


def subject_problems(
    session: Session,
    *,
    settings: Settings,
    username: str,
    display_name: str,
    password: str,
    kind: str,
    identifier: str,
) -> list[Problem]:
    """Every rule a new subject account breaks beyond its schema, one per field: the
    account's (identity's rules for a user of role ``subject``) and its identifier's."""
    problems = identity.user_problems(
        session,
        username=username,
        display_name=display_name,
        password=password,
        organization_id=None,
        roles=[Role.SUBJECT],
        settings=settings,
    )
    if kind in IDENTIFIER_TYPE and identifier.strip():
        found = _identified(kind, identifier, settings)
        if found is None:
            problems.append(Problem("identifier", f"consent.subject.identifier_invalid.{kind}"))
        elif repository.subject_by_token(session, found.token) is not None:
            label = MessageRef(f"consent.identifier.{kind}")
            problems.append(
                Problem(
                    "identifier", "consent.subject.identifier_taken", {"identifier": label}, True
                )
            )
    return problems


def _refused(problems: list[Problem]) -> SluiceError:
    clashes = [p for p in problems if p.conflict]
    if clashes:
        return FieldsClash(clashes + [p for p in problems if not p.conflict])
    return FieldsInvalid(problems)


def create_subject(
    session: Session, *, actor: Principal, clock: Clock, settings: Settings, data: SubjectCreate
) -> tuple[DataSubject, str]:
    """The bureau opens a data subject's account, linked to the person or enterprise by its
    identifier's token and masked form; returns the link and the account's username."""
    actor.require(Permission.IDENTITY_MANAGE)
    problems = subject_problems(
        session,
        settings=settings,
        username=data.username,
        display_name=data.display_name,
        password=data.password,
        kind=data.kind,
        identifier=data.identifier,
    )
    if problems:
        raise _refused(problems)
    found = _identified(data.kind, data.identifier, settings)
    assert found is not None  # checked with the problems
    user = identity.create_user(
        session,
        actor=actor,
        clock=clock,
        settings=settings,
        data=UserCreate(
            username=data.username,
            display_name=data.display_name,
            password=data.password,
            organization_id=None,
            roles=[Role.SUBJECT],
        ),
    )
    now = clock.now()
    subject = DataSubject(
        user_id=user.id,
        kind=data.kind,
        token=found.token,
        masked=found.masked,
        created_by=actor.username,
        created_at=now,
    )
    session.add(subject)
    session.flush()
    audit.record(
        session,
        actor=actor,
        action=SUBJECT_CREATED,
        target_type="data_subject",
        target_id=subject.id,
        at=now,
        detail={
            "username": user.username,
            "consent_subject_kind": data.kind,
            "consent_subject": found.masked,
        },
    )
    return subject, user.username


def subject_page(session: Session, *, actor: Principal, query: ListQuery) -> Page[SubjectRow]:
    actor.require(Permission.IDENTITY_READ)
    return repository.subject_page(session, query)


def subject_row(session: Session, *, actor: Principal, subject_id: uuid.UUID) -> SubjectRow | None:
    actor.require(Permission.IDENTITY_READ)
    return repository.subject_row(session, subject_id)


# -- granting and revoking ------------------------------------------------------------------


def buyers(session: Session, *, actor: Principal) -> list[Organization]:
    """The buyer organizations a consent may be granted to (active ones, by name)."""
    actor.require(Permission.CONSENTS_GRANT)
    _, found = identity_repository.organizations(session, kind=OrgKind.BUYER.value, limit=500)
    return sorted((o for o in found if o.active), key=lambda o: o.name)


def offered(session: Session, *, actor: Principal, at: datetime) -> list[Offer]:
    """The listed products the actor's subject may consent to (those about its kind)."""
    actor.require(Permission.CONSENTS_GRANT)
    subject = subject_of(session, actor)
    return [
        o
        for o in offers.offers(session, at=at)
        if subject is None or o.subject_kind in (None, subject.kind)
    ]


def _buyer(session: Session, buyer_id: uuid.UUID | None) -> Organization | None:
    if buyer_id is None:
        return None
    found = identity_repository.organization(session, buyer_id)
    if found is None or found.kind != OrgKind.BUYER.value or not found.active:
        return None
    return found


def grant_problems(
    session: Session,
    *,
    settings: Settings,
    subject: DataSubject,
    at: datetime,
    buyer_id: uuid.UUID | None,
    product_id: uuid.UUID | None,
    purpose: str,
    valid_from: date | None,
    valid_until: date | None,
) -> list[Problem]:
    """Every rule a grant breaks beyond its schema, one per field (values as typed: one the
    schema refused is None and left to the schema's message)."""
    problems = []
    if buyer_id is not None and _buyer(session, buyer_id) is None:
        problems.append(Problem("buyer_id", "consent.buyer_unknown"))
    if product_id is not None:
        offer = offers.offer(session, product_id, at=at)
        if offer is None:
            problems.append(Problem("product_id", "consent.product_unknown"))
        elif offer.subject_kind not in (None, subject.kind):
            problems.append(
                Problem(
                    "product_id",
                    "consent.product_other_kind",
                    {
                        "wanted": MessageRef(f"consent.kind.{offer.subject_kind}"),
                        "kind": MessageRef(f"consent.kind.{subject.kind}"),
                    },
                )
            )
        elif purpose and purpose not in offer.purposes:
            problems.append(
                Problem(
                    "purpose", "consent.purpose_unknown", {"allowed": "、".join(offer.purposes)}
                )
            )
    today = local(at).date()
    # A consent may start at most its longest validity from today: a first day further on
    # is refused here, before anything counts days from it (9999-12-30 + 365 days overflows).
    furthest = today + timedelta(days=settings.consent_max_days)
    if valid_from is not None and valid_from < today:
        problems.append(Problem("valid_from", "consent.from_past", {"today": today.isoformat()}))
    elif valid_from is not None and valid_from > furthest:
        problems.append(
            Problem(
                "valid_from",
                "consent.from_too_far",
                {"days": settings.consent_max_days, "latest": furthest.isoformat()},
            )
        )
        valid_from = None
    if valid_from is not None and valid_until is not None:
        latest = valid_from + timedelta(days=settings.consent_max_days - 1)
        if valid_until < valid_from:
            problems.append(Problem("valid_until", "consent.until_before_from"))
        elif valid_until > latest:
            problems.append(
                Problem(
                    "valid_until",
                    "consent.too_long",
                    {
                        "days": settings.consent_max_days,
                        "first": valid_from.isoformat(),
                        "latest": latest.isoformat(),
                    },
                )
            )
    return problems


def own_subject(session: Session, actor: Principal) -> DataSubject:
    """The actor's subject, or ``subject_not_linked`` (409)."""
    subject = subject_of(session, actor)
    if subject is None:
        raise NotLinked("consent.not_linked")
    return subject


@dataclass(frozen=True)
class Upload:
    """An evidence file as uploaded: its content and the name it came with."""

    stream: BinaryIO
    filename: str


def consent_text(
    *,
    consent_id: uuid.UUID,
    subject: DataSubject,
    username: str,
    buyer: Organization,
    offer: Offer,
    purpose: str,
    valid_from: date,
    valid_until: date,
    at: datetime,
) -> str:
    """The consent the platform writes for the subject to confirm (its evidence, unless the
    subject uploads a signed document of its own). Names the subject by its masked form."""
    kind = translate(f"consent.kind.{subject.kind}", "zh-CN")
    identifier = translate(f"consent.identifier.{subject.kind}", "zh-CN")
    credit = f"（统一社会信用代码 {buyer.credit_code}）" if buyer.credit_code else ""
    lines = [
        "数据使用授权同意书",
        "",
        f"同意编号：{consent_id}",
        f"授权人（信息主体，{kind}）：{identifier} {subject.masked}",
        f"被授权方（数据需求方）：{buyer.name}{credit}",
        f"数据产品：{offer.title}（{offer.code}）",
        f"使用目的：{purpose}",
        f"有效期：{valid_from.isoformat()} 至 {valid_until.isoformat()}（含首尾两日，北京时间）",
        "",
        "本人同意被授权方在上述有效期内、仅为上述使用目的，通过公共数据授权运营平台调用上述"
        "数据产品，获得与本人有关的结果。被授权方不得将结果用于其他目的或提供给第三方。",
        "本人可随时在平台撤回本同意；撤回后，被授权方此后的调用即被拒绝。",
        "平台记录每一次与本人有关的调用，本人可在“谁用了我的数据”中查看。",
        "",
        f"确认方式：本人登录平台账户 {username} 后在线确认",
        f"确认时间：{display(at)}（北京时间）",
        "",
    ]
    return "\n".join(lines)


def grant(
    session: Session,
    *,
    actor: Principal,
    settings: Settings,
    at: datetime,
    data: ConsentGrant,
    upload: Upload | None = None,
) -> Consent:
    """The actor's subject grants a buyer consent for a product and purpose, with the
    uploaded evidence or the platform's consent text as its evidence."""
    actor.require(Permission.CONSENTS_GRANT)
    subject = own_subject(session, actor)
    problems = grant_problems(
        session,
        settings=settings,
        subject=subject,
        at=at,
        buyer_id=data.buyer_id,
        product_id=data.product_id,
        purpose=data.purpose,
        valid_from=data.valid_from,
        valid_until=data.valid_until,
    )
    if problems:
        raise FieldsInvalid(problems)
    buyer = _buyer(session, data.buyer_id)
    offer = offers.offer(session, data.product_id, at=at)
    assert buyer is not None and offer is not None  # checked with the problems
    consent_id = uuid.uuid4()
    if upload is not None:
        stored = evidence.store(
            upload.stream,
            home=settings.home,
            keys=settings.keys_path,
            limit_mb=settings.upload_max_mb,
        )
        kind, name = "uploaded", Path(upload.filename or "evidence").name[:200] or "evidence"
    else:
        text = consent_text(
            consent_id=consent_id,
            subject=subject,
            username=actor.username,
            buyer=buyer,
            offer=offer,
            purpose=data.purpose,
            valid_from=data.valid_from,
            valid_until=data.valid_until,
            at=at,
        )
        stored = evidence.store(
            io.BytesIO(text.encode("utf-8")),
            home=settings.home,
            keys=settings.keys_path,
            limit_mb=settings.upload_max_mb,
        )
        kind, name = "generated", f"consent-{consent_id}.txt"
    consent = Consent(
        id=consent_id,
        subject_id=subject.id,
        subject_token=subject.token,
        buyer_id=buyer.id,
        product_id=offer.id,
        purpose=data.purpose,
        valid_from=data.valid_from,
        valid_until=data.valid_until,
        status=GRANTED,
        granted_at=at,
        evidence_kind=kind,
        evidence_name=name,
        evidence_sm3=stored.sm3,
        evidence_bytes=stored.size_bytes,
    )
    session.add(consent)
    session.flush()
    audit.record(
        session,
        actor=actor,
        action=GRANTED_ACTION,
        target_type=CONSENT.entity,
        target_id=consent.id,
        at=at,
        detail={
            "consent_subject": subject.masked,
            "consent_buyer": buyer.name,
            "consent_product": offer.code,
            "consent_purpose": data.purpose,
            "consent_from": data.valid_from.isoformat(),
            "consent_until": data.valid_until.isoformat(),
            "consent_evidence_sm3": stored.sm3,
        },
        consent_id=consent.id,
        purpose=data.purpose,
    )
    return consent


def revoke(session: Session, *, actor: Principal, at: datetime, consent_id: uuid.UUID) -> Consent:
    """The subject withdraws its consent; the next check refuses it (``consent_revoked``)."""
    actor.require(Permission.CONSENTS_GRANT)
    subject = own_subject(session, actor)
    consent = repository.consent_for_update(session, actor, consent_id)
    if consent is None or consent.subject_id != subject.id:
        raise NotFound("consent.not_found")
    CONSENT.fire(
        consent,
        "revoke",
        session=session,
        actor=actor,
        at=at,
        consent_id=consent.id,
        purpose=consent.purpose,
    )
    consent.revoked_at = at
    return consent


# -- reading --------------------------------------------------------------------------------

_READERS: Final = (
    Permission.CONSENTS_GRANT,
    Permission.CONSENTS_READ_GRANTED,
    Permission.CONSENTS_INSPECT,
)


def _require_reader(actor: Principal) -> None:
    if not any(actor.has(p) for p in _READERS):
        raise PermissionDenied(permission=MessageRef(f"permission.{_READERS[0].value}"))


@dataclass(frozen=True)
class ConsentView:
    """A consent as its readers see it: with its buyer, product title and standing today.
    The subject appears only masked."""

    consent: Consent
    buyer: str
    product: str
    subject_masked: str
    subject_kind: str
    standing: Standing


def _views(session: Session, rows: Sequence[ConsentRow], today: date) -> list[ConsentView]:
    titles = offers.titles(session, [r.consent.product_id for r in rows])
    return [
        ConsentView(
            r.consent,
            r.buyer,
            titles[r.consent.product_id],
            r.subject_masked,
            r.subject_kind,
            standing(r.consent.status, r.consent.valid_from, r.consent.valid_until, today),
        )
        for r in rows
    ]


def consents(
    session: Session, *, actor: Principal, at: datetime, query: ListQuery
) -> Page[ConsentView]:
    """The consents the actor sees: a subject its own, a buyer those granted to it, the
    bureau the whole ledger."""
    _require_reader(actor)
    today = local(at).date()
    matched = offers.search(session, query.q) if query.q else None
    page = repository.consent_page(session, actor, query, today=today, product_ids=matched)
    return Page(_views(session, page.items, today), page.total, page.query)


def consent(
    session: Session, *, actor: Principal, at: datetime, consent_id: uuid.UUID
) -> ConsentView:
    _require_reader(actor)
    found = repository.consent(session, actor, consent_id)
    if found is None:
        raise NotFound("consent.not_found")
    subject = session.get(DataSubject, found.subject_id)
    buyer = identity_repository.organization(session, found.buyer_id)
    assert subject is not None and buyer is not None
    row = ConsentRow(found, buyer.name, subject.masked, subject.kind)
    return _views(session, [row], local(at).date())[0]


def counts(session: Session, *, actor: Principal, at: datetime) -> dict[str, int]:
    """How many of the consents the actor sees stand each way today."""
    _require_reader(actor)
    return repository.consent_counts(session, actor, today=local(at).date())


def ledger_buyers(session: Session, *, actor: Principal) -> list[Organization]:
    """Every buyer organization, by name (the ledger's filter)."""
    actor.require(Permission.CONSENTS_INSPECT)
    _, found = identity_repository.organizations(session, kind=OrgKind.BUYER.value, limit=500)
    return sorted(found, key=lambda o: o.name)


def ledger_products(session: Session, *, actor: Principal) -> list[tuple[uuid.UUID, str]]:
    """The products the ledger's consents name, by title (the ledger's filter)."""
    actor.require(Permission.CONSENTS_INSPECT)
    titles = offers.titles(session, repository.product_ids(session, actor))
    return sorted(titles.items(), key=lambda item: item[1])


def evidence_of(
    session: Session, *, actor: Principal, settings: Settings, at: datetime, consent_id: uuid.UUID
) -> tuple[Consent, bytes]:
    """The consent's evidence document, checked against its SM3 (the bureau only); reading
    it is audited."""
    actor.require(Permission.CONSENTS_INSPECT)
    found = repository.consent(session, actor, consent_id)
    if found is None:
        raise NotFound("consent.not_found")
    content = evidence.read(settings.home, found.evidence_sm3, keys=settings.keys_path)
    audit.record(
        session,
        actor=actor,
        action=EVIDENCE_READ,
        target_type=CONSENT.entity,
        target_id=found.id,
        at=at,
        detail={"consent_evidence_sm3": found.evidence_sm3},
    )
    return found, content


@dataclass(frozen=True)
class UseView:
    use: ConsentUse
    buyer: str
    product: str


def uses(session: Session, *, actor: Principal, query: ListQuery) -> Page[UseView]:
    """Every call and download about the actor's subject, newest first (an account not
    linked yet has none)."""
    actor.require(Permission.SUBJECT_USES_READ)
    subject = subject_of(session, actor)
    if subject is None:
        return Page([], 0, query)
    page = repository.use_page(session, subject.token, query)
    titles = offers.titles(session, [r.use.product_id for r in page.items])
    return Page(
        [UseView(r.use, r.buyer, titles[r.use.product_id]) for r in page.items],
        page.total,
        page.query,
    )


def use_count(session: Session, *, actor: Principal) -> int:
    actor.require(Permission.SUBJECT_USES_READ)
    subject = subject_of(session, actor)
    return repository.use_count(session, subject.token) if subject else 0


__all__ = [
    "ANSWERED",
    "REVOKED",
    "ConsentExpired",
    "ConsentMismatch",
    "ConsentRequired",
    "ConsentRevoked",
    "ConsentView",
    "Upload",
    "UseView",
    "check",
    "consent",
    "consents",
    "create_subject",
    "evidence_of",
    "grant",
    "record_use",
    "revoke",
    "uses",
]
