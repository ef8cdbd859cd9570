"""The registration workflow (公共数据资源登记, N4), the same for every registrable kind.

1. **Apply.** The subject's owner files an application: a first registration, a change, a
   correction, a renewal or a cancellation. The subject is described by its kind at that
   moment, the materials are kept sealed with their SM3, and the whole application is
   summed up by its evidence digest (存证, ``evidence.py``). One open application per
   subject; a first registration only when none is in force; the others only on a
   registration in force; a renewal only within ``registration_renewal_window_days``
   before the term ends; the kind may refuse (a product not yet approved).
2. **Accept.** The registry (``registrations.decide``, 市数据中心) accepts it or not, with a
   reason, within 3 working days (Chinese statutory calendar, adjusted workdays included:
   ``core/workdays.py``); the day of filing is not counted.
3. **Formal review**, decided within 20 working days of acceptance: refused with reasons, or
   passed. A first registration or a change then goes to **public notice** for 10 working
   days, during which anyone logged in may object under their real name (name and
   organization kept for the registry, never shown to the public); a correction, renewal or
   cancellation is carried out at once.
4. **Objections** are upheld (the application is refused) or dismissed, with reasons.
5. **Issue.** After the notice, with no objection left undecided, the registry issues: a
   first registration gets its code (``numbering.py``) and a term of
   ``registration_valid_years``; a change or correction rewrites the entry; a renewal adds
   the term again to its end; each issues the next certificate version, signed by the
   registry with SM2 (``certificates.py``). A cancellation ends the registration.

Deadlines are marks, not actions: the registry's queue shows what is due and how many
working days late it is. Every state change is one audit row (``states.py``); so are
filings, objections and issued certificates.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Final

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from sluice.audit import details as audit_details
from sluice.audit import service as audit
from sluice.core.clock import display, local
from sluice.core.errors import InvalidInput, NotFound, SluiceError
from sluice.core.i18n import MessageRef, add_messages
from sluice.core.paging import ListQuery, Page
from sluice.core.permissions import Permission
from sluice.core.principal import Principal
from sluice.core.settings import Settings
from sluice.core.workdays import add_working_days, working_days_between
from sluice.identity import repository as identity
from sluice.registration import certificates, evidence, kinds, numbering, repository
from sluice.registration.evidence import Material
from sluice.registration.kinds import RegistrableKind, Subject
from sluice.registration.models import (
    Objection,
    Registration,
    RegistrationApplication,
    RegistrationCertificate,
    RegistrationMaterial,
)
from sluice.registration.states import (
    ACCEPTED,
    APPLICATION,
    APPLIED,
    CANCELLED,
    IN_NOTICE,
    OBJECTION,
    REGISTERED,
    REGISTRATION,
)

FIRST: Final = "first"
CHANGE: Final = "change"
CORRECTION: Final = "correction"
RENEWAL: Final = "renewal"
CANCELLATION: Final = "cancellation"
TYPES: Final = (FIRST, CHANGE, CORRECTION, RENEWAL, CANCELLATION)
#: The types that go to public notice before they are carried out.
NOTICE_TYPES: Final = frozenset({FIRST, CHANGE})

#: Working days the registry has to accept, to review; working days of public notice (N4).
ACCEPT_DAYS: Final = 3
REVIEW_DAYS: Final = 20
NOTICE_DAYS: Final = 10

MAX_STATEMENT: Final = 2000
MAX_REASON: Final = 2000
MAX_GROUNDS: Final = 2000

FILED: Final = "registration_application.filed"
OBJECTED: Final = "registration_objection.filed"
ISSUED: Final = "registration.issued"

#: The registry's decisions on an application, by the word pages and the API use.
DECISIONS: Final = ("accept", "not_accept", "pass", "refuse", "issue")

audit.declare_actions(
    {
        FILED: ("提交登记申请", "Registration application filed"),
        OBJECTED: ("对登记公示提出异议", "Objection to a registration filed"),
        ISSUED: ("签发登记证书", "Registration certificate issued"),
    }
)
audit_details.declare_detail_labels(
    {
        "registration_kind": ("登记对象类别", "Kind registered"),
        "registration_type": ("登记申请类型", "Registration application type"),
        "registration_evidence_sm3": ("登记申请存证摘要（SM3）", "Registration evidence (SM3)"),
        "registration_accept_due": ("受理期限", "Acceptance due"),
        "registration_review_due": ("形式审查期限", "Formal review due"),
        "registration_notice_until": ("公示截止", "Public notice until"),
        "registration_code": ("登记编号", "Registration code"),
        "registration_version": ("登记证书版本", "Certificate version"),
        "registration_valid_until": ("登记有效期至", "Registration valid until"),
        "registration_digest": ("登记证书摘要（SM3）", "Certificate digest (SM3)"),
    }
)
audit_details.declare_detail_values("registration_type", "registration.type.{value}")
audit_details.declare_detail_values("registration_kind", "registration.kind.{value}")

add_messages(
    {
        "registration.type.first": ("首次登记", "First registration"),
        "registration.type.change": ("变更登记", "Change"),
        "registration.type.correction": ("更正登记", "Correction"),
        "registration.type.renewal": ("续期", "Renewal"),
        "registration.type.cancellation": ("注销登记", "Cancellation"),
        "registration.type.invalid": (
            "申请类型应为首次登记、变更、更正、续期或注销之一。",
            "The type must be one of first registration, change, correction, renewal or "
            "cancellation.",
        ),
        "registration.not_found": ("没有这项登记。", "There is no such registration."),
        "registration.application.not_found": (
            "没有这项登记申请。",
            "There is no such registration application.",
        ),
        "registration.objection.not_found": ("没有这项异议。", "There is no such objection."),
        "registration.material.not_found": ("没有这份材料。", "There is no such material."),
        "registration.subject.not_found": (
            "没有这个登记对象，或它不属于本单位。",
            "There is no such subject, or it is not your organization's.",
        ),
        "registration.notice.not_found": (
            "没有这项公示中的登记申请。",
            "There is no such registration in public notice.",
        ),
        "problem.registration_in_progress": ("已有登记申请在办理", "Application in progress"),
        "registration.in_progress": (
            "“{title}”已有一项{type}申请在办理中（{state}），办结前不能再提出申请。",
            "'{title}' already has a {type} application in progress ({state}); no other can "
            "be filed until it is decided.",
        ),
        "problem.already_registered": ("已登记", "Already registered"),
        "registration.already_registered": (
            "“{title}”已登记（{code}），有效期至 {until}；如需修改请申请变更或更正登记。",
            "'{title}' is registered already ({code}, valid until {until}); apply for a change "
            "or a correction instead.",
        ),
        "problem.not_registered": ("未登记", "Not registered"),
        "registration.not_registered": (
            "“{title}”没有有效的登记，不能申请{type}；请先申请首次登记。",
            "'{title}' has no registration in force, so no {type} can be filed; apply for a "
            "first registration.",
        ),
        "problem.renewal_window_closed": ("不在续期申请期内", "Outside the renewal window"),
        "registration.renewal.window": (
            "登记 {code} 有效期至 {until}，续期申请只能在届满前 {days} 日内（{opens} 起）提出。",
            "Registration {code} is valid until {until}; a renewal may be filed only within "
            "the {days} days before it expires (from {opens}).",
        ),
        "problem.subject_not_eligible": ("暂不能登记", "Cannot be registered now"),
        "registration.subject_gone": (
            "登记对象已不存在。",
            "The subject of this registration no longer exists.",
        ),
        "problem.notice_running": ("公示期未满", "Notice still running"),
        "registration.notice.running": (
            "公示期至 {until} 止，期满后方可登记发证。",
            "The public notice runs until {until}; the registration can be issued after it.",
        ),
        "problem.notice_closed": ("公示期已结束", "Notice closed"),
        "registration.notice.closed": (
            "该申请的公示期已于 {until} 结束，不再受理异议。",
            "This application's public notice ended on {until}; objections are no longer taken.",
        ),
        "problem.objections_pending": ("有异议未处理", "Objections pending"),
        "registration.objections.pending": (
            "还有 {count} 项异议未处理，处理完毕后方可登记发证。",
            "{count} objections are still undecided; decide them before issuing.",
        ),
        "registration.statement.required": (
            "请说明申请的内容和理由（至少 2 个字）。",
            "Say what you apply for and why (at least 2 characters).",
        ),
        "registration.statement.too_long": (
            "说明不能超过 {limit} 个字符。",
            "The statement may be at most {limit} characters long.",
        ),
        "registration.reason.required": (
            "请写明理由（至少 2 个字）。",
            "Give the reasons (at least 2 characters).",
        ),
        "registration.reason.too_long": (
            "理由不能超过 {limit} 个字符。",
            "The reasons may be at most {limit} characters long.",
        ),
        "registration.grounds.required": (
            "请写明异议的事实和理由（至少 2 个字）。",
            "State the facts and grounds of the objection (at least 2 characters).",
        ),
        "registration.grounds.too_long": (
            "异议不能超过 {limit} 个字符。",
            "The objection may be at most {limit} characters long.",
        ),
        "registration.decision.invalid": (
            "未知的处理决定“{action}”。",
            "Unknown decision '{action}'.",
        ),
        "registration.standing.in_force": ("有效", "In force"),
        "registration.standing.expired": ("已过期", "Expired"),
        "registration.standing.cancelled": ("已注销", "Cancelled"),
        "registration.standing.pending": ("未生效", "Not yet in force"),
    }
)


class RegistrationInProgress(SluiceError):
    status = 409
    code = "registration_in_progress"


class AlreadyRegistered(SluiceError):
    status = 409
    code = "already_registered"


class NotRegistered(SluiceError):
    status = 409
    code = "not_registered"


class RenewalWindowClosed(SluiceError):
    status = 409
    code = "renewal_window_closed"


class SubjectNotEligible(SluiceError):
    status = 409
    code = "subject_not_eligible"


class NoticeRunning(SluiceError):
    status = 409
    code = "notice_running"


class NoticeClosed(SluiceError):
    status = 409
    code = "notice_closed"


class ObjectionsPending(SluiceError):
    status = 409
    code = "objections_pending"


# -- kinds ----------------------------------------------------------------------------------


def register_kind(kind: str, spec: RegistrableKind) -> None:
    """Make ``kind`` registrable (see ``kinds.py``); kinds call it from above."""
    kinds.register_kind(kind, spec)


# -- the one read other modules make --------------------------------------------------------


def current(
    session: Session, *, kind: str, subject_id: uuid.UUID, at: datetime
) -> Registration | None:
    """The subject's registration in force at ``at`` (code, valid from and until), if any."""
    return repository.in_force(session, kind=kind, subject_id=subject_id, at=at)


# -- small rules ----------------------------------------------------------------------------


def _today(at: datetime) -> date:
    return local(at).date()


def add_years(at: datetime, years: int) -> datetime:
    """The same moment ``years`` later in the city's calendar (29 February → 28 February)."""
    moment = local(at)
    try:
        moved = moment.replace(year=moment.year + years)
    except ValueError:
        moved = moment.replace(year=moment.year + years, day=28)
    return moved.astimezone(UTC)


def _words(text: str) -> str:
    return " ".join(text.split())


def _text(text: str, *, key: str, limit: int, required: bool = True) -> str:
    tidy = "\n".join(" ".join(line.split()) for line in text.strip().splitlines()).strip()
    if required and len(_words(tidy)) < 2:
        raise InvalidInput(f"{key}.required")
    if len(tidy) > limit:
        raise InvalidInput(f"{key}.too_long", limit=limit)
    return tidy


def _day(at: datetime) -> str:
    return display(at, with_time=False)


@dataclass(frozen=True)
class Due:
    """The registry's next step on an application and its day: acceptance, the formal
    review, or the end of the public notice."""

    step: str  # "accept" | "review" | "notice"
    day: date
    #: The day has passed (for the notice: it is over and the registration can be issued).
    over: bool
    #: Working days past the day (acceptance and review only).
    late_by: int

    @property
    def late(self) -> bool:
        return self.late_by > 0


def due(application: RegistrationApplication, at: datetime) -> Due | None:
    today = _today(at)
    if application.status == APPLIED:
        step, day = "accept", application.accept_due
    elif application.status == ACCEPTED and application.review_due is not None:
        step, day = "review", application.review_due
    elif application.status == IN_NOTICE and application.notice_until is not None:
        step, day = "notice", application.notice_until
    else:
        return None
    over = today > day
    late_by = working_days_between(day, today) if over and step != "notice" else 0
    return Due(step, day, over, max(late_by, 0))


def standing(registration: Registration, at: datetime) -> str:
    """``in_force``, ``expired``, ``cancelled`` or ``pending`` (not yet in force)."""
    if registration.status == CANCELLED:
        return "cancelled"
    if at >= registration.valid_until:
        return "expired"
    if at < registration.valid_from:
        return "pending"
    return "in_force"


def renewal_opens(settings: Settings, registration: Registration) -> datetime:
    return registration.valid_until - timedelta(days=settings.registration_renewal_window_days)


def may_renew(settings: Settings, registration: Registration, at: datetime) -> bool:
    return (
        registration.status == REGISTERED
        and renewal_opens(settings, registration) <= at < registration.valid_until
    )


# -- applying -------------------------------------------------------------------------------


def resolve(session: Session, *, actor: Principal, kind: str, reference: str) -> uuid.UUID:
    """The id of the subject the actor calls ``reference`` (a product code); ``not_found``
    unless it is the actor's own."""
    actor.require(Permission.REGISTRATIONS_APPLY)
    spec = kinds.spec_of(kind)
    subject_id = spec.lookup(session, reference.strip())
    subject = spec.describe(session, subject_id) if subject_id is not None else None
    if subject is None or subject.owner_id != actor.organization_id:
        raise NotFound("registration.subject.not_found")
    return subject.id


def _own_subject(
    session: Session, actor: Principal, spec: RegistrableKind, subject_id: uuid.UUID
) -> Subject:
    subject = spec.describe(session, subject_id)
    owner = actor.organization_id
    if subject is None or owner is None or subject.owner_id != owner:
        raise NotFound("registration.subject.not_found")
    return subject


def _eligible(
    session: Session, spec: RegistrableKind, subject: Subject | None, at: datetime
) -> None:
    if subject is None:
        raise SubjectNotEligible("registration.subject_gone")
    why = spec.may_register(session, subject, at)
    if why is not None:
        raise SubjectNotEligible(why, title=subject.title)


def apply(
    session: Session,
    *,
    actor: Principal,
    settings: Settings,
    at: datetime,
    kind: str,
    subject_id: uuid.UUID,
    type: str,
    statement: str = "",
    materials: Sequence[Material] = (),
) -> RegistrationApplication:
    """File an application for the actor's own subject (see the module docstring)."""
    actor.require(Permission.REGISTRATIONS_APPLY)
    spec = kinds.spec_of(kind)
    if type not in TYPES:
        raise InvalidInput("registration.type.invalid")
    subject = _own_subject(session, actor, spec, subject_id)
    statement = _text(
        statement, key="registration.statement", limit=MAX_STATEMENT, required=type != FIRST
    )
    kept = evidence.check(materials)
    waiting = repository.open_application(session, kind, subject.id)
    if waiting is not None:
        raise RegistrationInProgress(
            "registration.in_progress",
            title=subject.title,
            type=_ref(f"registration.type.{waiting.type}"),
            state=_ref(f"state.registration_application.{waiting.status}"),
        )
    registration = _check_registration(settings, session, kind, subject, type, at)
    if type != CANCELLATION:
        _eligible(session, spec, subject, at)
    applicant = identity.organization(session, subject.owner_id)
    application = RegistrationApplication(
        id=uuid.uuid4(),
        kind=kind,
        subject_id=subject.id,
        type=type,
        registration_id=registration.id if registration is not None else None,
        applicant_id=subject.owner_id,
        applicant_name=applicant.name if applicant else str(subject.owner_id),
        applied_by=actor.username,
        applied_at=at,
        reference=subject.reference[:100],
        title=subject.title[:300],
        summary=subject.summary,
        statement=statement,
        status=APPLICATION.initial,
        accept_due=add_working_days(_today(at), ACCEPT_DAYS),
    )
    rows = [evidence.keep(settings, application.id, m) for m in kept]
    application.evidence_sm3 = evidence.digest(application, rows)
    session.add(application)
    try:
        session.flush()
    except IntegrityError:  # another application for it was filed at the same moment
        raise RegistrationInProgress(
            "registration.in_progress",
            title=subject.title,
            type=_ref(f"registration.type.{type}"),
            state=_ref(f"state.registration_application.{APPLIED}"),
        ) from None
    session.add_all(rows)
    session.flush()
    audit.record(
        session,
        actor=actor,
        action=FILED,
        target_type=APPLICATION.entity,
        target_id=application.id,
        at=at,
        detail={
            "registration_kind": kind,
            "registration_type": type,
            "reference": application.reference,
            "title": application.title,
            **({"registration_code": registration.code} if registration else {}),
            "materials": len(rows),
            "registration_evidence_sm3": application.evidence_sm3,
            "registration_accept_due": application.accept_due.isoformat(),
        },
    )
    return application


def _ref(key: str) -> MessageRef:
    return MessageRef(key)


def _check_registration(
    settings: Settings,
    session: Session,
    kind: str,
    subject: Subject,
    type: str,
    at: datetime,
) -> Registration | None:
    """The registration the application is about (``None`` for a first registration)."""
    registered = repository.registered(session, kind=kind, subject_id=subject.id)
    in_force = registered if registered is not None and registered.valid_until > at else None
    if type == FIRST:
        if in_force is not None:
            raise AlreadyRegistered(
                "registration.already_registered",
                title=subject.title,
                code=in_force.code,
                until=_day(in_force.valid_until),
            )
        return None
    if type == RENEWAL and registered is not None:
        if not may_renew(settings, registered, at):
            raise RenewalWindowClosed(
                "registration.renewal.window",
                code=registered.code,
                until=_day(registered.valid_until),
                days=settings.registration_renewal_window_days,
                opens=_day(renewal_opens(settings, registered)),
            )
        return registered
    if in_force is None:
        raise NotRegistered(
            "registration.not_registered",
            title=subject.title,
            type=_ref(f"registration.type.{type}"),
        )
    return in_force


# -- the registry's decisions ---------------------------------------------------------------


def _for_registry(
    session: Session, actor: Principal, application_id: uuid.UUID
) -> RegistrationApplication:
    actor.require(Permission.REGISTRATIONS_DECIDE)
    application = repository.application(session, actor, application_id)
    if application is None:
        raise NotFound("registration.application.not_found")
    return application


def _deciding(
    session: Session, actor: Principal, application_id: uuid.UUID, transition: str
) -> RegistrationApplication:
    application = _for_registry(session, actor, application_id)
    APPLICATION.require(application, transition)
    return application


def _decided(
    application: RegistrationApplication, actor: Principal, at: datetime, reason: str | None
) -> None:
    application.decided_at, application.decided_by = at, actor.username
    application.decision_reason = reason or None


def accept(
    session: Session, *, actor: Principal, at: datetime, application_id: uuid.UUID
) -> RegistrationApplication:
    """Accept (受理): the formal review starts, due in 20 working days."""
    application = _deciding(session, actor, application_id, "accept")
    application.accepted_at, application.accepted_by = at, actor.username
    application.review_due = add_working_days(_today(at), REVIEW_DAYS)
    APPLICATION.fire(
        application,
        "accept",
        session=session,
        actor=actor,
        at=at,
        detail={"registration_review_due": application.review_due.isoformat()},
    )
    return application


def not_accept(
    session: Session, *, actor: Principal, at: datetime, application_id: uuid.UUID, reason: str
) -> RegistrationApplication:
    """Do not accept (不予受理), with the reasons."""
    reason = _text(reason, key="registration.reason", limit=MAX_REASON)
    application = _deciding(session, actor, application_id, "not_accept")
    _decided(application, actor, at, reason)
    APPLICATION.fire(
        application, "not_accept", session=session, actor=actor, at=at, detail={"reason": reason}
    )
    return application


def refuse(
    session: Session, *, actor: Principal, at: datetime, application_id: uuid.UUID, reason: str
) -> RegistrationApplication:
    """The formal review fails (不予登记), with the reasons."""
    reason = _text(reason, key="registration.reason", limit=MAX_REASON)
    application = _deciding(session, actor, application_id, "refuse")
    _decided(application, actor, at, reason)
    APPLICATION.fire(
        application, "refuse", session=session, actor=actor, at=at, detail={"reason": reason}
    )
    return application


def pass_review(
    session: Session,
    *,
    actor: Principal,
    settings: Settings,
    at: datetime,
    application_id: uuid.UUID,
    note: str = "",
) -> RegistrationApplication:
    """The formal review passes: a first registration or a change goes to public notice for
    10 working days; a correction, renewal or cancellation is carried out now."""
    note = _text(note, key="registration.reason", limit=MAX_REASON, required=False)
    application = _for_registry(session, actor, application_id)
    notice = application.type in NOTICE_TYPES
    APPLICATION.require(application, "publish" if notice else "approve")
    if notice:
        application.notice_from = _today(at)
        application.notice_until = add_working_days(application.notice_from, NOTICE_DAYS)
        application.decision_reason = note or None
        APPLICATION.fire(
            application,
            "publish",
            session=session,
            actor=actor,
            at=at,
            detail={"registration_notice_until": application.notice_until.isoformat()},
        )
        return application
    spec = kinds.spec_of(application.kind)
    if application.type != CANCELLATION:
        _eligible(session, spec, spec.describe(session, application.subject_id), at)
    _decided(application, actor, at, note)
    APPLICATION.fire(application, "approve", session=session, actor=actor, at=at)
    _carry_out(session, actor, settings, at, application, spec)
    return application


def issue(
    session: Session,
    *,
    actor: Principal,
    settings: Settings,
    at: datetime,
    application_id: uuid.UUID,
) -> RegistrationApplication:
    """After the notice, with every objection decided and none upheld: register, and sign
    the certificate."""
    application = _deciding(session, actor, application_id, "issue")
    assert application.notice_until is not None  # set when the notice began
    if _today(at) <= application.notice_until:
        raise NoticeRunning("registration.notice.running", until=application.notice_until)
    pending = repository.pending_objections(session, application.id)
    if pending:
        raise ObjectionsPending("registration.objections.pending", count=len(pending))
    spec = kinds.spec_of(application.kind)
    _eligible(session, spec, spec.describe(session, application.subject_id), at)
    _decided(application, actor, at, application.decision_reason)
    APPLICATION.fire(application, "issue", session=session, actor=actor, at=at)
    _carry_out(session, actor, settings, at, application, spec)
    return application


def decide(
    session: Session,
    *,
    actor: Principal,
    settings: Settings,
    at: datetime,
    application_id: uuid.UUID,
    action: str,
    reason: str = "",
) -> RegistrationApplication:
    """One of ``DECISIONS`` on an application, as pages and the API name them."""
    if action == "accept":
        return accept(session, actor=actor, at=at, application_id=application_id)
    if action == "not_accept":
        return not_accept(session, actor=actor, at=at, application_id=application_id, reason=reason)
    if action == "refuse":
        return refuse(session, actor=actor, at=at, application_id=application_id, reason=reason)
    if action == "pass":
        return pass_review(
            session,
            actor=actor,
            settings=settings,
            at=at,
            application_id=application_id,
            note=reason,
        )
    if action == "issue":
        return issue(session, actor=actor, settings=settings, at=at, application_id=application_id)
    raise InvalidInput("registration.decision.invalid", action=action[:40])


def withdraw(
    session: Session, *, actor: Principal, at: datetime, application_id: uuid.UUID
) -> RegistrationApplication:
    """The applicant withdraws an application the registry has not decided yet."""
    actor.require(Permission.REGISTRATIONS_APPLY)
    application = repository.application(session, actor, application_id)
    if application is None:
        raise NotFound("registration.application.not_found")
    APPLICATION.require(application, "withdraw")
    _lapse_objections(session, actor, at, application)
    application.decided_at, application.decided_by = at, actor.username
    APPLICATION.fire(application, "withdraw", session=session, actor=actor, at=at)
    return application


def _lapse_objections(
    session: Session, actor: Principal, at: datetime, application: RegistrationApplication
) -> None:
    for objection in repository.pending_objections(session, application.id):
        objection.decided_at = at
        OBJECTION.fire(objection, "lapse", session=session, actor=actor, at=at)


# -- carrying an application out ------------------------------------------------------------


def _carry_out(
    session: Session,
    actor: Principal,
    settings: Settings,
    at: datetime,
    application: RegistrationApplication,
    spec: RegistrableKind,
) -> None:
    if application.type == CANCELLATION:
        registration = _registration_of(session, application)
        registration.cancelled_at = at
        REGISTRATION.fire(
            registration,
            "cancel",
            session=session,
            actor=actor,
            at=at,
            detail={"registration_code": registration.code, "application": str(application.id)},
        )
        spec.on_cancelled(session, registration, at)
        return
    if application.type == FIRST:
        registration = Registration(
            id=uuid.uuid4(),
            code=numbering.next_code(session, spec.code_prefix, at),
            kind=application.kind,
            subject_id=application.subject_id,
            status=REGISTRATION.initial,
            registered_at=at,
            valid_from=at,
            valid_until=add_years(at, settings.registration_valid_years),
            version=1,
        )
        _describe(registration, application)
        session.add(registration)
        session.flush()
        application.registration_id = registration.id
    else:
        registration = _registration_of(session, application)
        registration.version += 1
        if application.type == RENEWAL:
            registration.valid_until = add_years(
                registration.valid_until, settings.registration_valid_years
            )
        else:
            _describe(registration, application)
    certificate = _certify(session, actor, settings, at, registration, application, spec)
    audit.record(
        session,
        actor=actor,
        action=ISSUED,
        target_type=REGISTRATION.entity,
        target_id=registration.id,
        at=at,
        detail={
            "registration_code": registration.code,
            "registration_type": application.type,
            "registration_version": registration.version,
            "registration_valid_until": _day(registration.valid_until),
            "registration_digest": certificate.digest,
            "application": str(application.id),
        },
    )
    if application.type == FIRST:
        spec.on_registered(session, registration, at)


def _describe(registration: Registration, application: RegistrationApplication) -> None:
    """The entry says what the application carried out says of the subject and holder."""
    registration.reference = application.reference
    registration.title = application.title
    registration.summary = application.summary
    registration.holder_id = application.applicant_id
    registration.holder_name = application.applicant_name


def _registration_of(session: Session, application: RegistrationApplication) -> Registration:
    assert application.registration_id is not None  # set when a non-first one is filed
    registration = repository.registration_by_id(session, application.registration_id)
    assert registration is not None  # a foreign key guarantees it
    return registration


def _certify(
    session: Session,
    actor: Principal,
    settings: Settings,
    at: datetime,
    registration: Registration,
    application: RegistrationApplication,
    spec: RegistrableKind,
) -> RegistrationCertificate:
    issuer = certificates.registry_of(session, actor)
    holder = identity.organization(session, registration.holder_id)
    content = certificates.content_of(
        registration,
        application,
        kind_labels=spec.labels,
        holder_credit_code=holder.credit_code if holder else None,
        issuer=issuer,
        at=at,
    )
    return certificates.issue(
        session,
        settings=settings,
        registration=registration,
        application=application,
        content=content,
        issuer=issuer,
        at=at,
    )


# -- objections -----------------------------------------------------------------------------


def file_objection(
    session: Session, *, actor: Principal, at: datetime, application_id: uuid.UUID, grounds: str
) -> Objection:
    """Anyone logged in objects to an application in public notice, under their real name:
    their name and organization are kept for the registry, never shown to the public."""
    actor.require(Permission.REGISTRATIONS_OBJECT)
    grounds = _text(grounds, key="registration.grounds", limit=MAX_GROUNDS)
    application = repository.notice_application(session, application_id)
    if application is None:
        raise NotFound("registration.notice.not_found")
    assert application.notice_until is not None  # set when the notice began
    if _today(at) > application.notice_until:
        raise NoticeClosed("registration.notice.closed", until=application.notice_until)
    organization = (
        identity.organization(session, actor.organization_id) if actor.organization_id else None
    )
    objection = Objection(
        id=uuid.uuid4(),
        application_id=application.id,
        filed_at=at,
        objector_user_id=actor.user_id,
        objector_username=actor.username,
        objector_name=(actor.display_name or actor.username)[:200],
        objector_organization_id=organization.id if organization else None,
        objector_organization=organization.name if organization else None,
        grounds=grounds,
        status=OBJECTION.initial,
    )
    session.add(objection)
    session.flush()
    audit.record(
        session,
        actor=actor,
        action=OBJECTED,
        target_type=OBJECTION.entity,
        target_id=objection.id,
        at=at,
        detail={"application": str(application.id), "title": application.title},
    )
    return objection


def decide_objection(
    session: Session,
    *,
    actor: Principal,
    at: datetime,
    objection_id: uuid.UUID,
    uphold: bool,
    reason: str,
) -> Objection:
    """Uphold an objection (the application is refused, other objections lapse) or dismiss
    it, with the reasons."""
    actor.require(Permission.REGISTRATIONS_DECIDE)
    reason = _text(reason, key="registration.reason", limit=MAX_REASON)
    objection = repository.objection(session, actor, objection_id)
    if objection is None:
        raise NotFound("registration.objection.not_found")
    transition = "uphold" if uphold else "dismiss"
    OBJECTION.require(objection, transition)
    application = repository.application(session, actor, objection.application_id)
    assert application is not None  # the objection was found through it
    if uphold:
        APPLICATION.require(application, "uphold")
    objection.decided_at, objection.decided_by, objection.decision_reason = (
        at,
        actor.username,
        reason,
    )
    OBJECTION.fire(
        objection, transition, session=session, actor=actor, at=at, detail={"reason": reason}
    )
    if uphold:
        session.flush()
        _lapse_objections(session, actor, at, application)
        _decided(application, actor, at, reason)
        APPLICATION.fire(
            application,
            "uphold",
            session=session,
            actor=actor,
            at=at,
            detail={"objection": str(objection.id), "reason": reason},
        )
    return objection


# -- reads ----------------------------------------------------------------------------------


def application(
    session: Session, *, actor: Principal, application_id: uuid.UUID
) -> RegistrationApplication:
    actor.require(Permission.REGISTRATIONS_READ)
    found = repository.application(session, actor, application_id)
    if found is None:
        raise NotFound("registration.application.not_found")
    return found


def applications(
    session: Session, *, actor: Principal, query: ListQuery
) -> Page[RegistrationApplication]:
    actor.require(Permission.REGISTRATIONS_READ)
    return repository.application_page(session, actor, query)


def pending_objection_counts(
    session: Session, *, actor: Principal, applications: Sequence[RegistrationApplication]
) -> dict[uuid.UUID, int]:
    """Undecided objections per application, for the registry's queue."""
    if not actor.has(Permission.REGISTRATIONS_DECIDE):
        return {}
    return repository.pending_objection_counts(session, [a.id for a in applications])


def waiting(
    session: Session, *, actor: Principal, limit: int
) -> tuple[int, list[RegistrationApplication]]:
    """The registry's queue: how many wait, and the first few by their due day."""
    actor.require(Permission.REGISTRATIONS_DECIDE)
    return repository.waiting(session, actor, limit=limit)


def materials(
    session: Session, *, actor: Principal, application_id: uuid.UUID
) -> list[RegistrationMaterial]:
    found = application(session, actor=actor, application_id=application_id)
    return repository.materials(session, found.id)


def material(
    session: Session,
    *,
    actor: Principal,
    settings: Settings,
    application_id: uuid.UUID,
    material_id: uuid.UUID,
) -> tuple[RegistrationMaterial, bytes]:
    """A material of an application the actor sees, its bytes checked against its SM3."""
    found = application(session, actor=actor, application_id=application_id)
    row = repository.material(session, found.id, material_id)
    if row is None:
        raise NotFound("registration.material.not_found")
    return row, evidence.read(settings, row)


def evidence_intact(session: Session, application: RegistrationApplication) -> bool:
    """The application and its materials still hash to the evidence digest of its filing."""
    rows = repository.materials(session, application.id)
    return evidence.digest(application, rows) == application.evidence_sm3


@dataclass(frozen=True)
class ObjectionView:
    """An objection as the reader may see it: who objected only for the registry."""

    id: uuid.UUID
    filed_at: datetime
    grounds: str
    status: str
    decided_at: datetime | None
    decided_by: str | None
    decision_reason: str | None
    objector_name: str | None
    objector_organization: str | None


def objections(
    session: Session, *, actor: Principal, application: RegistrationApplication
) -> list[ObjectionView]:
    actor.require(Permission.REGISTRATIONS_READ)
    named = actor.has(Permission.REGISTRATIONS_DECIDE)
    return [
        ObjectionView(
            id=o.id,
            filed_at=o.filed_at,
            grounds=o.grounds,
            status=o.status,
            decided_at=o.decided_at,
            decided_by=o.decided_by,
            decision_reason=o.decision_reason,
            objector_name=o.objector_name if named else None,
            objector_organization=o.objector_organization if named else None,
        )
        for o in repository.objections(session, application.id)
    ]


def registration(session: Session, *, actor: Principal, registration_id: uuid.UUID) -> Registration:
    actor.require(Permission.REGISTRATIONS_READ)
    found = repository.registration(session, actor, registration_id)
    if found is None:
        raise NotFound("registration.not_found")
    return found


def registrations(session: Session, *, actor: Principal, query: ListQuery) -> Page[Registration]:
    actor.require(Permission.REGISTRATIONS_READ)
    return repository.registration_page(session, actor, query)


def history(
    session: Session, *, actor: Principal, registration: Registration
) -> list[RegistrationApplication]:
    """Every application about the registered subject, newest first."""
    actor.require(Permission.REGISTRATIONS_READ)
    return repository.applications_of(session, registration)


def certificate(session: Session, registration: Registration) -> RegistrationCertificate:
    """The registration's certificate in force (its current version)."""
    found = repository.certificate(session, registration.id, registration.version)
    assert found is not None  # issued with every version
    return found


def expiring(
    session: Session, *, actor: Principal, settings: Settings, at: datetime, limit: int
) -> list[Registration]:
    """The actor's registrations whose renewal window is open."""
    actor.require(Permission.REGISTRATIONS_APPLY)
    until = at + timedelta(days=settings.registration_renewal_window_days)
    return repository.expiring(session, actor, at=at, until=until, limit=limit)


# -- the public -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Notice:
    """An application in public notice, as anyone reads it (no objector, no materials)."""

    application_id: uuid.UUID
    kind: str
    type: str
    reference: str
    title: str
    summary: str
    holder: str
    applied_at: datetime
    notice_from: date
    notice_until: date
    #: Objections are still taken.
    open: bool


def notices(session: Session, *, at: datetime) -> list[Notice]:
    today = _today(at)
    return [
        Notice(
            application_id=a.id,
            kind=a.kind,
            type=a.type,
            reference=a.reference,
            title=a.title,
            summary=a.summary,
            holder=a.applicant_name,
            applied_at=a.applied_at,
            notice_from=a.notice_from,
            notice_until=a.notice_until,
            open=today <= a.notice_until,
        )
        for a in repository.in_notice(session)
        if a.notice_from is not None and a.notice_until is not None
    ]


@dataclass(frozen=True)
class PublicCheck:
    """What the public verification page shows of a registration, and whether its
    certificate's signature verifies under the registry's published key."""

    code: str
    kind: str
    reference: str
    title: str
    holder: str
    registered_at: datetime
    valid_from: datetime
    valid_until: datetime
    cancelled_at: datetime | None
    #: ``in_force``, ``expired``, ``cancelled``.
    standing: str
    version: int
    issued_at: datetime
    issuer: str
    digest: str
    public_key_hex: str
    signature_hex: str
    signature_valid: bool


def public_check(session: Session, *, code: str, at: datetime) -> PublicCheck:
    """The registration with ``code`` and its certificate's check; 404 when there is none."""
    found = repository.registration_by_code(session, code.strip())
    if found is None:
        raise NotFound("registration.not_found")
    issued = certificate(session, found)
    return PublicCheck(
        code=found.code,
        kind=found.kind,
        reference=found.reference,
        title=found.title,
        holder=found.holder_name,
        registered_at=found.registered_at,
        valid_from=found.valid_from,
        valid_until=found.valid_until,
        cancelled_at=found.cancelled_at,
        standing=standing(found, at),
        version=found.version,
        issued_at=issued.issued_at,
        issuer=str(issued.content.get("issuer", {}).get("name", "")),
        digest=issued.digest,
        public_key_hex=issued.public_key_hex,
        signature_hex=issued.signature_hex,
        signature_valid=certificates.verify_issued(session, issued),
    )
