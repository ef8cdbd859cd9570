"""Every query of the consent tables, scoped to the acting principal in one place.

Who sees a consent (``_visible``): its subject, the buyer it was granted to, the bureau's side
(``consents.inspect``) and the platform itself. Nobody else: a consent one may not see does
not exist (404). A subject's uses are read by its own token only. The gateway's check reads
one consent by primary key, whoever it names (``for_check``): deciding is the service's.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date
from typing import Any, Final, cast

from sqlalchemy import (
    ColumnElement,
    Row,
    ScalarSelect,
    Select,
    and_,
    false,
    func,
    or_,
    select,
    true,
)
from sqlalchemy.orm import Session

from sluice.consent.models import Consent, ConsentUse, DataSubject
from sluice.consent.states import GRANTED, REVOKED
from sluice.core.paging import ListQuery, Page, contains, paginate
from sluice.core.permissions import Permission, Role
from sluice.core.principal import Principal
from sluice.identity.models import Organization, User

CONSENT_SORTS: Final = ("granted", "valid_until")
USE_SORTS: Final = ("used",)


# -- subjects -------------------------------------------------------------------------------


def subject_of_user(session: Session, user_id: uuid.UUID) -> DataSubject | None:
    return session.scalar(select(DataSubject).where(DataSubject.user_id == user_id))


def subject_by_token(session: Session, token: str) -> DataSubject | None:
    return session.scalar(select(DataSubject).where(DataSubject.token == token))


@dataclass(frozen=True)
class SubjectRow:
    subject: DataSubject
    username: str
    display_name: str


def subject_page(session: Session, query: ListQuery) -> Page[SubjectRow]:
    """Every data subject's account (for the bureau), newest first."""
    statement = select(DataSubject, User.username, User.display_name).join(
        User, User.id == DataSubject.user_id
    )
    if kind := query.filter("kind"):
        statement = statement.where(DataSubject.kind == kind)
    if query.q:
        statement = statement.where(
            contains(query.q, User.username, User.display_name, DataSubject.masked)
        )
    page = paginate(
        session,
        cast("Select[Any]", statement),
        query,
        sorts={"created": DataSubject.created_at},
        default="-created",
        tiebreak=DataSubject.id,
        scalars=False,
    )
    return Page([SubjectRow(s, u, d) for s, u, d in page.items], page.total, page.query)


def subject_row(session: Session, subject_id: uuid.UUID) -> SubjectRow | None:
    found = session.execute(
        select(DataSubject, User.username, User.display_name)
        .join(User, User.id == DataSubject.user_id)
        .where(DataSubject.id == subject_id)
    ).one_or_none()
    return SubjectRow(*found) if found else None


# -- consents -------------------------------------------------------------------------------


def _own_subject(actor: Principal) -> ScalarSelect[uuid.UUID]:
    return select(DataSubject.id).where(DataSubject.user_id == actor.user_id).scalar_subquery()


def _visible(actor: Principal) -> ColumnElement[bool]:
    if actor.is_system or actor.has(Permission.CONSENTS_INSPECT):
        return true()
    if Role.BUYER in actor.roles and actor.organization_id is not None:
        return Consent.buyer_id == actor.organization_id
    if Role.SUBJECT in actor.roles and actor.user_id is not None:
        return Consent.subject_id == _own_subject(actor)
    return false()


def consent(session: Session, actor: Principal, consent_id: uuid.UUID) -> Consent | None:
    return session.scalar(select(Consent).where(Consent.id == consent_id, _visible(actor)))


def consent_for_update(session: Session, actor: Principal, consent_id: uuid.UUID) -> Consent | None:
    return session.scalar(
        select(Consent).where(Consent.id == consent_id, _visible(actor)).with_for_update()
    )


CheckRow = Row[uuid.UUID, uuid.UUID, str, str, date, date, str]


def for_check(session: Session, consent_id: uuid.UUID) -> CheckRow | None:
    """What the gateway's check compares, of one consent by primary key: one indexed read of
    the columns alone (no object is built)."""
    return session.execute(
        select(
            Consent.buyer_id,
            Consent.product_id,
            Consent.subject_token,
            Consent.purpose,
            Consent.valid_from,
            Consent.valid_until,
            Consent.status,
        ).where(Consent.id == consent_id)
    ).one_or_none()


@dataclass(frozen=True)
class ConsentRow:
    """A consent as lists show it: with its buyer's name and its subject's masked form."""

    consent: Consent
    buyer: str
    subject_masked: str
    subject_kind: str


def standing_is(standing: str, today: date) -> ColumnElement[bool]:
    """Consents that stand so on ``today`` (``states.standing`` as a condition)."""
    granted = Consent.status == GRANTED
    if standing == "revoked":
        return Consent.status == REVOKED
    if standing == "pending":
        return and_(granted, Consent.valid_from > today)
    if standing == "expired":
        return and_(granted, Consent.valid_until < today)
    if standing == "active":
        return and_(granted, Consent.valid_from <= today, Consent.valid_until >= today)
    return false()


def _uuid(value: str | None) -> uuid.UUID | None:
    try:
        return uuid.UUID(value) if value else None
    except ValueError:
        return None


def consent_page(
    session: Session,
    actor: Principal,
    query: ListQuery,
    *,
    today: date,
    product_ids: list[uuid.UUID] | None = None,
) -> Page[ConsentRow]:
    """The consents the actor sees, newest first. Filters: ``buyer`` and ``product`` (ids),
    ``status`` (a standing on ``today``); ``product_ids``: products whose title matched the
    search, found by the caller. The search reads the purpose, the buyer's name and the
    subject's masked identifier."""
    statement = (
        select(Consent, Organization.name, DataSubject.masked, DataSubject.kind)
        .join(Organization, Organization.id == Consent.buyer_id)
        .join(DataSubject, DataSubject.id == Consent.subject_id)
        .where(_visible(actor))
    )
    if (raw := query.filter("buyer")) is not None:
        statement = statement.where(Consent.buyer_id == _uuid(raw) if _uuid(raw) else false())
    if (raw := query.filter("product")) is not None:
        statement = statement.where(Consent.product_id == _uuid(raw) if _uuid(raw) else false())
    if (raw := query.filter("status")) is not None:
        statement = statement.where(standing_is(raw, today))
    if query.q:
        found = contains(query.q, Consent.purpose, Organization.name, DataSubject.masked)
        if product_ids:
            found = or_(found, Consent.product_id.in_(product_ids))
        statement = statement.where(found)
    page = paginate(
        session,
        cast("Select[Any]", statement),
        query,
        sorts={"granted": Consent.granted_at, "valid_until": Consent.valid_until},
        default="-granted",
        tiebreak=Consent.id,
        scalars=False,
    )
    return Page(
        [ConsentRow(c, buyer, masked, kind) for c, buyer, masked, kind in page.items],
        page.total,
        page.query,
    )


def product_ids(session: Session, actor: Principal) -> list[uuid.UUID]:
    """The products the actor's visible consents name."""
    return list(session.scalars(select(Consent.product_id).where(_visible(actor)).distinct()))


def consent_counts(session: Session, actor: Principal, *, today: date) -> dict[str, int]:
    """How many consents the actor sees stand each way today."""
    counts = {}
    for standing in ("active", "pending", "expired", "revoked"):
        counts[standing] = int(
            session.scalar(
                select(func.count())
                .select_from(Consent)
                .where(_visible(actor), standing_is(standing, today))
            )
            or 0
        )
    return counts


# -- uses -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class UseRow:
    use: ConsentUse
    buyer: str


def use_page(session: Session, token: str, query: ListQuery) -> Page[UseRow]:
    """The uses of one subject's data, newest first; filter ``outcome`` (``answered``,
    ``refused``), search the buyer's name and the purpose."""
    statement = (
        select(ConsentUse, Organization.name)
        .join(Organization, Organization.id == ConsentUse.buyer_id)
        .where(ConsentUse.subject_token == token)
    )
    outcome = query.filter("outcome")
    if outcome == "answered":
        statement = statement.where(ConsentUse.outcome == "answered")
    elif outcome == "refused":
        statement = statement.where(ConsentUse.outcome != "answered")
    elif outcome is not None:
        statement = statement.where(false())
    if query.q:
        statement = statement.where(contains(query.q, Organization.name, ConsentUse.purpose))
    page = paginate(
        session,
        cast("Select[Any]", statement),
        query,
        sorts={"used": ConsentUse.used_at},
        default="-used",
        tiebreak=ConsentUse.id,
        scalars=False,
    )
    return Page([UseRow(u, buyer) for u, buyer in page.items], page.total, page.query)


def use_count(session: Session, token: str) -> int:
    return int(
        session.scalar(
            select(func.count()).select_from(ConsentUse).where(ConsentUse.subject_token == token)
        )
        or 0
    )
