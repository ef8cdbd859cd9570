"""The registration REST routes under ``/api/v1/registrations``: file and follow
applications, the registry's decisions, objections, and the register with each entry's
signed certificate. Thin: ``service`` decides and refuses."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from typing import Annotated

from fastapi import APIRouter, Depends, File, Form, Query, UploadFile
from sqlalchemy.orm import Session

from sluice.core.errors import InvalidInput
from sluice.core.i18n import add_messages
from sluice.core.paging import ListQuery
from sluice.core.permissions import Permission as P
from sluice.core.principal import Principal
from sluice.core.settings import Settings
from sluice.identity.signing import ALGORITHM
from sluice.registration import documents, service
from sluice.registration.evidence import MAX_MATERIAL_MB, Material
from sluice.registration.models import Registration, RegistrationApplication
from sluice.registration.schemas import (
    ApplicationRead,
    CertificateRead,
    DecisionIn,
    DueRead,
    MaterialRead,
    ObjectionDecisionIn,
    ObjectionIn,
    ObjectionRead,
    RegistrationRead,
)
from sluice.web.deps import AppClock, AppSettings, DbSession, Requires
from sluice.web.params import Limit, PageNumber

router = APIRouter(prefix="/api/v1/registrations", tags=["registrations"])

Reader = Annotated[Principal, Depends(Requires(P.REGISTRATIONS_READ))]
Applicant = Annotated[Principal, Depends(Requires(P.REGISTRATIONS_APPLY))]
Registry = Annotated[Principal, Depends(Requires(P.REGISTRATIONS_DECIDE))]
Objector = Annotated[Principal, Depends(Requires(P.REGISTRATIONS_OBJECT))]

add_messages(
    {
        "registration.api.subject": (
            "请给出 subject_id 或 reference（如产品编码）之一。",
            "Give either subject_id or reference (a product code, say).",
        ),
    }
)


def read_materials(files: Sequence[UploadFile]) -> list[Material]:
    """The uploaded files as materials, each read no further than one byte past the cap
    (``evidence.check`` then refuses it by name)."""
    cap = MAX_MATERIAL_MB * 1024 * 1024 + 1
    return [
        Material(f.filename or "material", f.content_type or "", f.file.read(cap))
        for f in files
        if f.filename
    ]


def application_read(
    session: Session, actor: Principal, clock: AppClock, application: RegistrationApplication
) -> ApplicationRead:
    due = service.due(application, clock.now())
    return ApplicationRead(
        id=application.id,
        kind=application.kind,
        subject_id=application.subject_id,
        type=application.type,
        registration_id=application.registration_id,
        applicant_id=application.applicant_id,
        applicant_name=application.applicant_name,
        applied_by=application.applied_by,
        applied_at=application.applied_at,
        reference=application.reference,
        title=application.title,
        summary=application.summary,
        statement=application.statement,
        evidence_sm3=application.evidence_sm3,
        status=application.status,
        accept_due=application.accept_due,
        accepted_at=application.accepted_at,
        review_due=application.review_due,
        notice_from=application.notice_from,
        notice_until=application.notice_until,
        decided_at=application.decided_at,
        decided_by=application.decided_by,
        decision_reason=application.decision_reason,
        due=DueRead(step=due.step, day=due.day, over=due.over, late_by=due.late_by)
        if due
        else None,
        materials=[
            MaterialRead(id=m.id, name=m.name, media_type=m.media_type, size=m.size, sm3=m.sm3)
            for m in service.materials(session, actor=actor, application_id=application.id)
        ],
        objections=[
            ObjectionRead(**vars(o))
            for o in service.objections(session, actor=actor, application=application)
        ],
    )


def registration_read(
    session: Session, settings: Settings, clock: AppClock, registration: Registration
) -> RegistrationRead:
    issued = service.certificate(session, registration)
    return RegistrationRead(
        id=registration.id,
        code=registration.code,
        kind=registration.kind,
        subject_id=registration.subject_id,
        reference=registration.reference,
        title=registration.title,
        summary=registration.summary,
        holder_id=registration.holder_id,
        holder_name=registration.holder_name,
        status=registration.status,
        standing=service.standing(registration, clock.now()),
        registered_at=registration.registered_at,
        valid_from=registration.valid_from,
        valid_until=registration.valid_until,
        cancelled_at=registration.cancelled_at,
        version=registration.version,
        verify_url=documents.verification_url(settings.base_url, registration.code),
        certificate=CertificateRead(
            version=issued.version,
            issued_at=issued.issued_at,
            content=issued.content,
            digest=issued.digest,
            algorithm=ALGORITHM,
            public_key_hex=issued.public_key_hex,
            signature_hex=issued.signature_hex,
        ),
    )


@router.post("/applications", status_code=201)
def file_application(
    session: DbSession,
    actor: Applicant,
    clock: AppClock,
    settings: AppSettings,
    type: Annotated[str, Form(max_length=20)],
    materials: Annotated[list[UploadFile], File(default_factory=list)],
    kind: Annotated[str, Form(max_length=40)] = "product",
    subject_id: Annotated[uuid.UUID | None, Form()] = None,
    reference: Annotated[str, Form(max_length=100)] = "",
    statement: Annotated[str, Form(max_length=service.MAX_STATEMENT)] = "",
) -> ApplicationRead:
    """Multipart form: ``type`` (first, change, correction, renewal, cancellation), the
    subject by ``subject_id`` or ``reference`` (a product's code), ``statement`` and any
    number of ``materials`` files (kept sealed with their SM3). Refusals are problem+json."""
    if subject_id is None:
        if not reference.strip():
            raise InvalidInput("registration.api.subject")
        subject_id = service.resolve(session, actor=actor, kind=kind, reference=reference)
    application = service.apply(
        session,
        actor=actor,
        settings=settings,
        at=clock.now(),
        kind=kind,
        subject_id=subject_id,
        type=type,
        statement=statement,
        materials=read_materials(materials),
    )
    return application_read(session, actor, clock, application)


@router.get("/applications")
def list_applications(
    session: DbSession,
    actor: Reader,
    clock: AppClock,
    limit: Limit = 50,
    page: PageNumber = 1,
    status: Annotated[str, Query(max_length=20)] = "",
) -> list[ApplicationRead]:
    """Applications the caller sees (an operator its own), newest first, ``limit`` a page;
    ``status``: a state, or ``open`` for all still waiting for the registry."""
    query = ListQuery(
        page=page,
        size=limit,
        sort="applied",
        descending=True,
        filters={"status": status} if status else {},
    )
    found = service.applications(session, actor=actor, query=query)
    return [application_read(session, actor, clock, a) for a in found.items]


@router.get("/applications/{application_id}")
def read_application(
    application_id: uuid.UUID, session: DbSession, actor: Reader, clock: AppClock
) -> ApplicationRead:
    found = service.application(session, actor=actor, application_id=application_id)
    return application_read(session, actor, clock, found)


@router.post("/applications/{application_id}/decision")
def decide(
    application_id: uuid.UUID,
    data: DecisionIn,
    session: DbSession,
    actor: Registry,
    clock: AppClock,
    settings: AppSettings,
) -> ApplicationRead:
    """The registry's decision: accept, not_accept, pass, refuse or issue."""
    application = service.decide(
        session,
        actor=actor,
        settings=settings,
        at=clock.now(),
        application_id=application_id,
        action=data.action,
        reason=data.reason,
    )
    return application_read(session, actor, clock, application)


@router.post("/applications/{application_id}/withdraw")
def withdraw(
    application_id: uuid.UUID, session: DbSession, actor: Applicant, clock: AppClock
) -> ApplicationRead:
    application = service.withdraw(
        session, actor=actor, at=clock.now(), application_id=application_id
    )
    return application_read(session, actor, clock, application)


@router.post("/applications/{application_id}/objections", status_code=201)
def object_to(
    application_id: uuid.UUID,
    data: ObjectionIn,
    session: DbSession,
    actor: Objector,
    clock: AppClock,
) -> dict[str, str]:
    """A real-name objection to an application in public notice (anyone logged in)."""
    objection = service.file_objection(
        session, actor=actor, at=clock.now(), application_id=application_id, grounds=data.grounds
    )
    return {"id": str(objection.id), "status": objection.status}


@router.post("/objections/{objection_id}/decision")
def decide_objection(
    objection_id: uuid.UUID,
    data: ObjectionDecisionIn,
    session: DbSession,
    actor: Registry,
    clock: AppClock,
) -> dict[str, str]:
    objection = service.decide_objection(
        session,
        actor=actor,
        at=clock.now(),
        objection_id=objection_id,
        uphold=data.decision == "uphold",
        reason=data.reason,
    )
    return {"id": str(objection.id), "status": objection.status}


@router.get("")
def list_registrations(
    session: DbSession,
    actor: Reader,
    clock: AppClock,
    settings: AppSettings,
    limit: Limit = 50,
    page: PageNumber = 1,
) -> list[RegistrationRead]:
    """Registrations the caller sees (an operator its own), newest first."""
    query = ListQuery(page=page, size=limit, sort="registered", descending=True)
    found = service.registrations(session, actor=actor, query=query)
    return [registration_read(session, settings, clock, r) for r in found.items]


@router.get("/{registration_id}")
def read_registration(
    registration_id: uuid.UUID,
    session: DbSession,
    actor: Reader,
    clock: AppClock,
    settings: AppSettings,
) -> RegistrationRead:
    """A registration with its certificate in force (content, digest, SM2 signature)."""
    found = service.registration(session, actor=actor, registration_id=registration_id)
    return registration_read(session, settings, clock, found)
