"""Every query of correction tickets, scoped to the acting principal in one place.

Who sees which tickets (``_visible``): the bureau and the platform itself see all; any
other organization sees the tickets on the data it provides and the tickets it filed.
Nobody else sees a ticket, and a ticket one may not see is simply not found.

The names of the resource and the organizations are joined in here only to label tickets;
which resources one may file on, their fields and a ticket's history (its audit events) are
asked of the catalog and the audit log, their owners.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date

from sqlalchemy import ColumnElement, and_, case, false, func, or_, select, true
from sqlalchemy.orm import Session, aliased

from sluice.catalog.models import DataResource
from sluice.core.permissions import Role
from sluice.core.principal import Principal
from sluice.identity.models import Organization
from sluice.quality.tickets.models import CorrectionTicket
from sluice.quality.tickets.states import AWAITING_ANSWER


@dataclass(frozen=True)
class Named:
    name: str
    name_en: str | None = None

    def label(self, locale: str) -> str:
        return self.name_en if locale == "en" and self.name_en else self.name


@dataclass(frozen=True)
class TicketView:
    """A ticket with the names a reader needs next to it."""

    ticket: CorrectionTicket
    resource: Named
    provider: Named
    filer: Named | None


@dataclass(frozen=True)
class ProviderTicketCounts:
    """One provider's tickets: ``awaiting`` = open or acknowledged, of which ``overdue`` are
    past their due date; ``answered`` = fixed or rejected (closed ones included)."""

    filed: int
    awaiting: int
    overdue: int
    answered: int
    answered_late: int
    fixed: int
    rejected: int

    @property
    def answered_on_time(self) -> int:
        return self.answered - self.answered_late


def _visible(actor: Principal) -> ColumnElement[bool]:
    if actor.is_system or Role.BUREAU in actor.roles:
        return true()
    if actor.organization_id is None:
        return false()
    return or_(
        CorrectionTicket.provider_id == actor.organization_id,
        CorrectionTicket.filed_by_org == actor.organization_id,
    )


def _overdue_on(today: date) -> ColumnElement[bool]:
    return and_(CorrectionTicket.status.in_(AWAITING_ANSWER), CorrectionTicket.due_date < today)


_Provider = aliased(Organization, name="provider")
_Filer = aliased(Organization, name="filer")


def _views(
    session: Session, conditions: list[ColumnElement[bool]], *, limit: int = 1, offset: int = 0
) -> list[TicketView]:
    query = (
        select(
            CorrectionTicket,
            DataResource.name,
            _Provider.name,
            _Provider.name_en,
            _Filer.name,
            _Filer.name_en,
        )
        .join(DataResource, DataResource.id == CorrectionTicket.resource_id)
        .join(_Provider, _Provider.id == CorrectionTicket.provider_id)
        .outerjoin(_Filer, _Filer.id == CorrectionTicket.filed_by_org)
        .where(*conditions)
        .order_by(CorrectionTicket.filed_at.desc(), CorrectionTicket.id)
        .limit(limit)
        .offset(offset)
    )
    return [
        TicketView(
            ticket=ticket,
            resource=Named(resource_name),
            provider=Named(provider_name, provider_en),
            filer=Named(filer_name, filer_en) if filer_name is not None else None,
        )
        for ticket, resource_name, provider_name, provider_en, filer_name, filer_en in (
            session.execute(query)
        )
    ]


def tickets(
    session: Session,
    *,
    actor: Principal,
    today: date,
    status: str | None = None,
    overdue: bool | None = None,
    limit: int = 100,
    offset: int = 0,
) -> tuple[int, list[TicketView]]:
    """The tickets the actor may see, newest first."""
    conditions = [_visible(actor)]
    if status:
        conditions.append(CorrectionTicket.status == status)
    if overdue is True:
        conditions.append(_overdue_on(today))
    elif overdue is False:
        conditions.append(~_overdue_on(today))
    total = session.scalar(select(func.count(CorrectionTicket.id)).where(*conditions)) or 0
    return total, _views(session, conditions, limit=limit, offset=offset)


def ticket_view(session: Session, *, actor: Principal, ticket_id: uuid.UUID) -> TicketView | None:
    found = _views(session, [CorrectionTicket.id == ticket_id, _visible(actor)])
    return found[0] if found else None


def ticket(
    session: Session, *, actor: Principal, ticket_id: uuid.UUID, for_update: bool = False
) -> CorrectionTicket | None:
    """One ticket the actor may see; locked for the transaction when it is to change."""
    query = select(CorrectionTicket).where(CorrectionTicket.id == ticket_id, _visible(actor))
    if for_update:
        query = query.with_for_update()
    return session.scalar(query)


def overdue(session: Session, *, actor: Principal, today: date) -> list[CorrectionTicket]:
    query = (
        select(CorrectionTicket)
        .where(_visible(actor), _overdue_on(today))
        .order_by(CorrectionTicket.due_date, CorrectionTicket.filed_at)
    )
    return list(session.scalars(query))


def overdue_counts_by_provider(session: Session, *, today: date) -> dict[uuid.UUID, int]:
    query = (
        select(CorrectionTicket.provider_id, func.count(CorrectionTicket.id))
        .where(_overdue_on(today))
        .group_by(CorrectionTicket.provider_id)
    )
    return {provider_id: int(count) for provider_id, count in session.execute(query)}


def counts_by_provider(session: Session, *, today: date) -> dict[uuid.UUID, ProviderTicketCounts]:
    def total(condition: ColumnElement[bool]) -> ColumnElement[int]:
        return func.coalesce(func.sum(case((condition, 1), else_=0)), 0)

    query = select(
        CorrectionTicket.provider_id,
        func.count(CorrectionTicket.id),
        total(CorrectionTicket.status.in_(AWAITING_ANSWER)),
        total(_overdue_on(today)),
        total(CorrectionTicket.outcome.is_not(None)),
        total(CorrectionTicket.answered_late.is_(True)),
        total(CorrectionTicket.outcome == "fixed"),
        total(CorrectionTicket.outcome == "rejected"),
    ).group_by(CorrectionTicket.provider_id)
    return {
        row[0]: ProviderTicketCounts(*(int(value) for value in row[1:]))
        for row in session.execute(query)
    }


def any_filed(session: Session) -> bool:
    """Whether any ticket was ever filed."""
    return session.scalar(select(CorrectionTicket.id).limit(1)) is not None
