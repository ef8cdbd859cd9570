"""Every query of registrations, scoped to the acting principal in one place.

Who sees an application or a registration (``_sees_application``, ``_sees_registration``):
the registry (which decides them), the bureau (which supervises) and the platform itself
all of them; an operator those of its own organization; anyone else none (404). Who
objected is read only through ``objections``, and the service shows it to the registry
alone. The public reads the notices and a registration by its code, nothing more.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any, Final

from sqlalchemy import ColumnElement, Select, case, false, func, select, true
from sqlalchemy.orm import Session

from sluice.core.paging import ListQuery, Page, contains, paginate
from sluice.core.permissions import Role
from sluice.core.principal import Principal
from sluice.registration.models import (
    Objection,
    Registration,
    RegistrationApplication,
    RegistrationCertificate,
    RegistrationMaterial,
)
from sluice.registration.states import (
    ACCEPTED,
    APPLIED,
    IN_NOTICE,
    OPEN,
    PENDING,
    REGISTERED,
)

APPLICATION_SORTS: Final = ("applied", "due", "status", "title")
REGISTRATION_SORTS: Final = ("code", "title", "valid_until", "registered")
#: The ``status`` filter's extra value: every application still waiting for the registry.
OPEN_FILTER: Final = "open"


def _sees_all(actor: Principal) -> bool:
    return actor.is_system or not actor.roles.isdisjoint({Role.REGISTRY, Role.BUREAU})


def _sees_application(actor: Principal) -> ColumnElement[bool]:
    if _sees_all(actor):
        return true()
    if Role.OPERATOR in actor.roles and actor.organization_id is not None:
        return RegistrationApplication.applicant_id == actor.organization_id
    return false()


def _sees_registration(actor: Principal) -> ColumnElement[bool]:
    if _sees_all(actor):
        return true()
    if Role.OPERATOR in actor.roles and actor.organization_id is not None:
        return Registration.holder_id == actor.organization_id
    return false()


#: The day the registry's next step is due: acceptance, the review, the notice's end.
DUE: Final = case(
    (RegistrationApplication.status == APPLIED, RegistrationApplication.accept_due),
    (RegistrationApplication.status == ACCEPTED, RegistrationApplication.review_due),
    (RegistrationApplication.status == IN_NOTICE, RegistrationApplication.notice_until),
    else_=None,
)


# -- applications ---------------------------------------------------------------------------


def application(
    session: Session, actor: Principal, application_id: uuid.UUID
) -> RegistrationApplication | None:
    return session.scalar(
        select(RegistrationApplication).where(
            RegistrationApplication.id == application_id, _sees_application(actor)
        )
    )


def application_page(
    session: Session, actor: Principal, query: ListQuery
) -> Page[RegistrationApplication]:
    """Applications the actor sees; filters ``status`` (a state or ``open``), ``type`` and
    ``kind``; search in the title, the reference and the applicant."""
    statement = select(RegistrationApplication).where(_sees_application(actor))
    status = query.filter("status")
    if status == OPEN_FILTER:
        statement = statement.where(RegistrationApplication.status.in_(OPEN))
    elif status:
        statement = statement.where(RegistrationApplication.status == status)
    if kind := query.filter("type"):
        statement = statement.where(RegistrationApplication.type == kind)
    if kind := query.filter("kind"):
        statement = statement.where(RegistrationApplication.kind == kind)
    if query.q:
        statement = statement.where(
            contains(
                query.q,
                RegistrationApplication.title,
                RegistrationApplication.reference,
                RegistrationApplication.applicant_name,
            )
        )
    return paginate(
        session,
        statement,
        query,
        sorts={
            "applied": RegistrationApplication.applied_at,
            "due": DUE,
            "status": RegistrationApplication.status,
            "title": RegistrationApplication.title,
        },
        default="-applied",
        tiebreak=RegistrationApplication.id,
    )


def open_application(
    session: Session, kind: str, subject_id: uuid.UUID
) -> RegistrationApplication | None:
    return session.scalar(
        select(RegistrationApplication)
        .where(
            RegistrationApplication.kind == kind,
            RegistrationApplication.subject_id == subject_id,
            RegistrationApplication.status.in_(OPEN),
        )
        .limit(1)
    )


def applications_of(session: Session, registration: Registration) -> list[RegistrationApplication]:
    return list(
        session.scalars(
            select(RegistrationApplication)
            .where(
                RegistrationApplication.kind == registration.kind,
                RegistrationApplication.subject_id == registration.subject_id,
            )
            .order_by(RegistrationApplication.applied_at.desc(), RegistrationApplication.id)
        )
    )


def waiting(
    session: Session, actor: Principal, *, limit: int
) -> tuple[int, list[RegistrationApplication]]:
    """How many applications wait for the registry, and the first few by their due day."""
    where = [RegistrationApplication.status.in_(OPEN), _sees_application(actor)]
    count = session.scalar(select(func.count(RegistrationApplication.id)).where(*where))
    rows = session.scalars(
        select(RegistrationApplication)
        .where(*where)
        .order_by(DUE, RegistrationApplication.applied_at, RegistrationApplication.id)
        .limit(limit)
    )
    return int(count or 0), list(rows)


def in_notice(session: Session) -> list[RegistrationApplication]:
    """Every application in public notice, the ones whose notice ends first first."""
    return list(
        session.scalars(
            select(RegistrationApplication)
            .where(RegistrationApplication.status == IN_NOTICE)
            .order_by(RegistrationApplication.notice_until, RegistrationApplication.id)
        )
    )


def notice_application(
    session: Session, application_id: uuid.UUID
) -> RegistrationApplication | None:
    """An application in public notice, as anyone may name it to object."""
    return session.scalar(
        select(RegistrationApplication).where(
            RegistrationApplication.id == application_id,
            RegistrationApplication.status == IN_NOTICE,
        )
    )


# -- materials and objections ---------------------------------------------------------------


def materials(session: Session, application_id: uuid.UUID) -> list[RegistrationMaterial]:
    return list(
        session.scalars(
            select(RegistrationMaterial)
            .where(RegistrationMaterial.application_id == application_id)
            .order_by(RegistrationMaterial.name, RegistrationMaterial.id)
        )
    )


def material(
    session: Session, application_id: uuid.UUID, material_id: uuid.UUID
) -> RegistrationMaterial | None:
    return session.scalar(
        select(RegistrationMaterial).where(
            RegistrationMaterial.id == material_id,
            RegistrationMaterial.application_id == application_id,
        )
    )


def objections(session: Session, application_id: uuid.UUID) -> list[Objection]:
    return list(
        session.scalars(
            select(Objection)
            .where(Objection.application_id == application_id)
            .order_by(Objection.filed_at, Objection.id)
        )
    )


def pending_objections(session: Session, application_id: uuid.UUID) -> list[Objection]:
    return [o for o in objections(session, application_id) if o.status == PENDING]


def objection(session: Session, actor: Principal, objection_id: uuid.UUID) -> Objection | None:
    """An objection, if the actor sees its application."""
    return session.scalar(
        select(Objection)
        .join(RegistrationApplication, RegistrationApplication.id == Objection.application_id)
        .where(Objection.id == objection_id, _sees_application(actor))
    )


def pending_objection_counts(
    session: Session, application_ids: list[uuid.UUID]
) -> dict[uuid.UUID, int]:
    if not application_ids:
        return {}
    rows = session.execute(
        select(Objection.application_id, func.count(Objection.id))
        .where(Objection.application_id.in_(application_ids), Objection.status == PENDING)
        .group_by(Objection.application_id)
    )
    return {application_id: int(n) for application_id, n in rows}


# -- registrations --------------------------------------------------------------------------


def in_force(
    session: Session, *, kind: str, subject_id: uuid.UUID, at: datetime
) -> Registration | None:
    """The subject's registration in force at ``at``: one indexed read."""
    return session.scalar(
        select(Registration)
        .where(
            Registration.kind == kind,
            Registration.subject_id == subject_id,
            Registration.status == REGISTERED,
            Registration.valid_from <= at,
            Registration.valid_until > at,
        )
        .order_by(Registration.valid_until.desc())
        .limit(1)
    )


def registered(session: Session, *, kind: str, subject_id: uuid.UUID) -> Registration | None:
    """The subject's registration not cancelled, whether or not its term has run out."""
    return session.scalar(
        select(Registration)
        .where(
            Registration.kind == kind,
            Registration.subject_id == subject_id,
            Registration.status == REGISTERED,
        )
        .order_by(Registration.valid_until.desc())
        .limit(1)
    )


def registration(
    session: Session, actor: Principal, registration_id: uuid.UUID
) -> Registration | None:
    return session.scalar(
        select(Registration).where(Registration.id == registration_id, _sees_registration(actor))
    )


def registration_by_id(session: Session, registration_id: uuid.UUID) -> Registration | None:
    return session.get(Registration, registration_id)


def registration_by_code(session: Session, code: str) -> Registration | None:
    return session.scalar(select(Registration).where(Registration.code == code))


def registration_page(session: Session, actor: Principal, query: ListQuery) -> Page[Registration]:
    """Registrations the actor sees; filters ``status`` and ``kind``; search in the code,
    the title, the reference and the holder."""
    statement: Select[Any] = select(Registration).where(_sees_registration(actor))
    if status := query.filter("status"):
        statement = statement.where(Registration.status == status)
    if kind := query.filter("kind"):
        statement = statement.where(Registration.kind == kind)
    if query.q:
        statement = statement.where(
            contains(
                query.q,
                Registration.code,
                Registration.title,
                Registration.reference,
                Registration.holder_name,
            )
        )
    return paginate(
        session,
        statement,
        query,
        sorts={
            "code": Registration.code,
            "title": Registration.title,
            "valid_until": Registration.valid_until,
            "registered": Registration.registered_at,
        },
        default="-registered",
        tiebreak=Registration.id,
    )


def expiring(
    session: Session, actor: Principal, *, at: datetime, until: datetime, limit: int
) -> list[Registration]:
    """Registrations in force whose term ends before ``until`` (the renewal window)."""
    return list(
        session.scalars(
            select(Registration)
            .where(
                _sees_registration(actor),
                Registration.status == REGISTERED,
                Registration.valid_until > at,
                Registration.valid_until <= until,
            )
            .order_by(Registration.valid_until, Registration.id)
            .limit(limit)
        )
    )


def certificates(session: Session, registration_id: uuid.UUID) -> list[RegistrationCertificate]:
    return list(
        session.scalars(
            select(RegistrationCertificate)
            .where(RegistrationCertificate.registration_id == registration_id)
            .order_by(RegistrationCertificate.version)
        )
    )


def certificate(
    session: Session, registration_id: uuid.UUID, version: int
) -> RegistrationCertificate | None:
    return session.scalar(
        select(RegistrationCertificate).where(
            RegistrationCertificate.registration_id == registration_id,
            RegistrationCertificate.version == version,
        )
    )
