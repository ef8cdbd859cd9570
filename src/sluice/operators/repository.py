"""Every query of operator applications, scoped to the acting principal in one place.

Who sees which application is decided once, in ``_visible``, and every read by id
(``visible_application``) and every list (``visible_applications``, ``application_page``)
goes through it: an applicant sees its own organization's, drafts included; the bureau
(``operators.read``) sees every application once submitted, never a draft (a draft, also
one being revised after it was returned, is the applicant's alone until it is submitted
again); the platform itself sees all. An application one may not see is simply not found.
Rows that belong to an application are only ever fetched through it.

The unscoped reads by organization (``open_application``, ``latest_qualified`` and the
graph lookups) answer for the platform: whether an organization may start another
application, and what ``qualified`` tells other modules.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from typing import Final, TypeVar

from sqlalchemy import ColumnElement, delete, false, func, or_, select, true
from sqlalchemy.orm import Session

from sluice.core.paging import Column, ListQuery, Page, contains, paginate
from sluice.core.permissions import OrgKind, Permission
from sluice.core.principal import Principal
from sluice.identity.models import Organization
from sluice.operators.models import (
    OperatorApplication,
    OperatorChecklistAnswer,
    OperatorChecklistItem,
    OperatorCheckResult,
    OperatorCreditRecord,
    OperatorEntity,
    OperatorEvidence,
    OperatorFinancials,
    OperatorIncident,
    OperatorLink,
    OperatorPenalty,
    OperatorPrincipal,
)
from sluice.operators.ownership import NodeKind
from sluice.operators.states import DRAFT, OPEN, QUALIFIED

#: Rows of an application that the applicant adds and removes one by one.
Child = TypeVar(
    "Child",
    OperatorPrincipal,
    OperatorEntity,
    OperatorLink,
    OperatorCreditRecord,
    OperatorPenalty,
    OperatorIncident,
    OperatorFinancials,
    OperatorEvidence,
)
#: Rows listed in the order they were added.
Dated = TypeVar(
    "Dated",
    OperatorPrincipal,
    OperatorEntity,
    OperatorLink,
    OperatorCreditRecord,
    OperatorPenalty,
    OperatorIncident,
    OperatorFinancials,
)
EntityRecord = OperatorCreditRecord | OperatorPenalty | OperatorIncident | OperatorFinancials
#: Records that describe one entity of the graph.
ENTITY_RECORDS = (OperatorCreditRecord, OperatorPenalty, OperatorIncident, OperatorFinancials)


def _visible(actor: Principal) -> ColumnElement[bool]:
    if actor.is_system:
        return true()
    own = (
        OperatorApplication.organization_id == actor.organization_id
        if actor.organization_id is not None
        else false()
    )
    if actor.has(Permission.OPERATORS_READ):
        return or_(OperatorApplication.status != DRAFT, own)
    return own


def visible_application(
    session: Session, *, actor: Principal, application_id: uuid.UUID, for_update: bool = False
) -> OperatorApplication | None:
    """The application if the actor may see it, else None (every read by id comes here)."""
    query = select(OperatorApplication).where(
        OperatorApplication.id == application_id, _visible(actor)
    )
    if for_update:
        query = query.with_for_update()
    return session.scalar(query)


def visible_applications(
    session: Session,
    *,
    actor: Principal,
    status: str | None = None,
    limit: int = 100,
    offset: int = 0,
) -> tuple[int, list[OperatorApplication]]:
    """The applications the actor may see, newest activity first (every list comes here)."""
    conditions = [_visible(actor)]
    if status:
        conditions.append(OperatorApplication.status == status)
    total = session.scalar(select(func.count(OperatorApplication.id)).where(*conditions)) or 0
    query = (
        select(OperatorApplication)
        .where(*conditions)
        .order_by(OperatorApplication.updated_at.desc(), OperatorApplication.id)
        .limit(limit)
        .offset(offset)
    )
    return total, list(session.scalars(query))


#: The review list's sortable columns, by the name the address uses.
APPLICATION_SORTS: Final[Mapping[str, Column]] = {
    "submitted": OperatorApplication.submitted_at,
    "company": OperatorApplication.company_name,
    "status": OperatorApplication.status,
    "updated": OperatorApplication.updated_at,
}


def application_page(
    session: Session, *, actor: Principal, query: ListQuery
) -> Page[OperatorApplication]:
    """One page of the applications the actor may see; ``status`` filters, ``q`` searches
    the company's name and credit code."""
    statement = select(OperatorApplication).where(_visible(actor))
    if status := query.filter("status"):
        statement = statement.where(OperatorApplication.status == status)
    if query.q:
        statement = statement.where(
            contains(
                query.q,
                OperatorApplication.company_name,
                OperatorApplication.company_name_en,
                OperatorApplication.credit_code,
            )
        )
    return paginate(
        session,
        statement,
        query,
        sorts=APPLICATION_SORTS,
        default="-submitted",
        tiebreak=OperatorApplication.id,
    )


def open_application(session: Session, organization_id: uuid.UUID) -> OperatorApplication | None:
    query = select(OperatorApplication).where(
        OperatorApplication.organization_id == organization_id,
        OperatorApplication.status.in_(OPEN),
    )
    return session.scalar(query)


def latest_qualified(session: Session, organization_id: uuid.UUID) -> OperatorApplication | None:
    query = (
        select(OperatorApplication)
        .where(
            OperatorApplication.organization_id == organization_id,
            OperatorApplication.status == QUALIFIED,
        )
        .order_by(OperatorApplication.decided_at.desc(), OperatorApplication.id)
        .limit(1)
    )
    return session.scalar(query)


def child(
    session: Session, model: type[Child], *, application_id: uuid.UUID, child_id: uuid.UUID
) -> Child | None:
    query = select(model).where(model.id == child_id, model.application_id == application_id)
    return session.scalar(query)


def children(session: Session, model: type[Dated], application_id: uuid.UUID) -> list[Dated]:
    query = (
        select(model)
        .where(model.application_id == application_id)
        .order_by(model.created_at, model.id)
    )
    return list(session.scalars(query))


def entity_record(
    session: Session,
    model: type[EntityRecord],
    *,
    application_id: uuid.UUID,
    record_id: uuid.UUID,
) -> EntityRecord | None:
    found = session.get(model, record_id)
    if not isinstance(found, ENTITY_RECORDS) or found.application_id != application_id:
        return None
    return found


def evidence(session: Session, application_id: uuid.UUID) -> list[OperatorEvidence]:
    query = (
        select(OperatorEvidence)
        .where(OperatorEvidence.application_id == application_id)
        .order_by(OperatorEvidence.uploaded_at, OperatorEvidence.id)
    )
    return list(session.scalars(query))


def applicant_entity(session: Session, application_id: uuid.UUID) -> OperatorEntity:
    query = select(OperatorEntity).where(
        OperatorEntity.application_id == application_id, OperatorEntity.is_applicant.is_(True)
    )
    return session.scalars(query).one()


def entity_named(session: Session, application_id: uuid.UUID, name: str) -> OperatorEntity | None:
    query = select(OperatorEntity).where(
        OperatorEntity.application_id == application_id, OperatorEntity.name == name
    )
    return session.scalar(query)


def records_of_entity(session: Session, entity_id: uuid.UUID) -> int:
    return sum(
        session.scalar(select(func.count(model.id)).where(model.entity_id == entity_id)) or 0
        for model in ENTITY_RECORDS
    )


def delete_links_of(session: Session, entity_id: uuid.UUID) -> None:
    session.execute(
        delete(OperatorLink).where(
            or_(OperatorLink.holder_id == entity_id, OperatorLink.held_id == entity_id)
        )
    )


def link_between(
    session: Session, *, holder_id: uuid.UUID, held_id: uuid.UUID, relation: str
) -> OperatorLink | None:
    query = select(OperatorLink).where(
        OperatorLink.holder_id == holder_id,
        OperatorLink.held_id == held_id,
        OperatorLink.relation == relation,
    )
    return session.scalar(query)


def declared_shares(session: Session, held_id: uuid.UUID) -> int:
    query = select(func.coalesce(func.sum(OperatorLink.share_bp), 0)).where(
        OperatorLink.held_id == held_id, OperatorLink.relation == "shareholder"
    )
    return int(session.scalar(query) or 0)


def financials_for(
    session: Session, *, entity_id: uuid.UUID, fiscal_year: int
) -> OperatorFinancials | None:
    query = select(OperatorFinancials).where(
        OperatorFinancials.entity_id == entity_id, OperatorFinancials.fiscal_year == fiscal_year
    )
    return session.scalar(query)


# --- checklist --------------------------------------------------------------------------


def item_count(session: Session) -> int:
    return session.scalar(select(func.count(OperatorChecklistItem.id))) or 0


def items(session: Session, *, active_only: bool) -> list[OperatorChecklistItem]:
    query = select(OperatorChecklistItem).order_by(
        OperatorChecklistItem.position, OperatorChecklistItem.key
    )
    if active_only:
        query = query.where(OperatorChecklistItem.active.is_(True))
    return list(session.scalars(query))


def item_by_key(session: Session, key: str) -> OperatorChecklistItem | None:
    return session.scalar(select(OperatorChecklistItem).where(OperatorChecklistItem.key == key))


def answers(
    session: Session, application_id: uuid.UUID
) -> dict[uuid.UUID, OperatorChecklistAnswer]:
    query = select(OperatorChecklistAnswer).where(
        OperatorChecklistAnswer.application_id == application_id
    )
    return {answer.item_id: answer for answer in session.scalars(query)}


def answer(
    session: Session, *, application_id: uuid.UUID, item_id: uuid.UUID
) -> OperatorChecklistAnswer | None:
    query = select(OperatorChecklistAnswer).where(
        OperatorChecklistAnswer.application_id == application_id,
        OperatorChecklistAnswer.item_id == item_id,
    )
    return session.scalar(query)


# --- results and the graph ----------------------------------------------------------------


def results(session: Session, *, application_id: uuid.UUID, run: int) -> list[OperatorCheckResult]:
    query = (
        select(OperatorCheckResult)
        .where(OperatorCheckResult.application_id == application_id, OperatorCheckResult.run == run)
        .order_by(OperatorCheckResult.position)
    )
    return list(session.scalars(query))


def graph_credit_codes(session: Session, application_id: uuid.UUID) -> set[str]:
    """Credit codes of the entities in an application's ownership graph, state bodies left
    out: common state ownership alone does not make companies related (Company Law
    art. 265)."""
    query = select(OperatorEntity.credit_code).where(
        OperatorEntity.application_id == application_id,
        OperatorEntity.credit_code.is_not(None),
        OperatorEntity.kind != NodeKind.GOVERNMENT.value,
    )
    return {code for code in session.scalars(query) if code}


def applications_naming(session: Session, credit_code: str) -> list[uuid.UUID]:
    """Organizations whose qualified application's graph names this credit code."""
    query = (
        select(OperatorApplication.organization_id)
        .join(OperatorEntity, OperatorEntity.application_id == OperatorApplication.id)
        .where(
            OperatorApplication.status == QUALIFIED,
            OperatorEntity.credit_code == credit_code,
        )
        .distinct()
    )
    return list(session.scalars(query))


def qualified_operators(
    session: Session, *, q: str, limit: int
) -> tuple[int, list[tuple[Organization, str | None]]]:
    """Active operator organizations holding a qualified application, whose name holds
    ``q`` or whose credit code (registered, or the qualified application's) holds it; each
    with the credit code to show. By name; ``limit`` of them and how many there are."""
    qualified = select(OperatorApplication.id).where(
        OperatorApplication.organization_id == Organization.id,
        OperatorApplication.status == QUALIFIED,
    )
    statement = select(Organization).where(
        Organization.kind == OrgKind.OPERATOR.value,
        Organization.active.is_(True),
        qualified.exists(),
    )
    if q:
        statement = statement.where(
            or_(
                contains(q, Organization.name, Organization.name_en, Organization.credit_code),
                qualified.where(contains(q, OperatorApplication.credit_code)).exists(),
            )
        )
    total = session.scalar(select(func.count()).select_from(statement.subquery())) or 0
    qualified_code = (
        select(OperatorApplication.credit_code)
        .where(
            OperatorApplication.organization_id == Organization.id,
            OperatorApplication.status == QUALIFIED,
        )
        .order_by(OperatorApplication.decided_at.desc(), OperatorApplication.id)
        .limit(1)
        .scalar_subquery()
    )
    rows = session.execute(
        statement.add_columns(func.coalesce(Organization.credit_code, qualified_code))
        .order_by(Organization.name, Organization.id)
        .limit(limit)
    )
    return total, [(row[0], row[1]) for row in rows]


def qualified_with_code(session: Session, credit_code: str) -> list[uuid.UUID]:
    query = select(OperatorApplication.organization_id).where(
        OperatorApplication.status == QUALIFIED, OperatorApplication.credit_code == credit_code
    )
    return list(session.scalars(query.distinct()))
