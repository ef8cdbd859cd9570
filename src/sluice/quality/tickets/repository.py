"""Every query of correction tickets, scoped to the acting principal in one place.

Who sees which tickets (``_visible``): the bureau and the platform itself see all; any
other organization sees the tickets on the data it provides and the tickets it filed.
Nobody else sees a ticket, and a ticket one may not see is simply not found.

The names of the resource and the organizations are joined in here only to label tickets;
which resources one may file on is the catalog's rule (``pick_resources`` applies it, it
does not restate it), a resource's fields and a ticket's history (its audit events) are
asked of the catalog and the audit log, their owners.
"""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass, replace
from datetime import date
from typing import Any, Final

from sqlalchemy import (
    ColumnElement,
    ScalarSelect,
    Select,
    String,
    and_,
    case,
    cast,
    false,
    func,
    or_,
    select,
    true,
)
from sqlalchemy.orm import Session, aliased

from sluice.catalog.models import DataResource
from sluice.core.paging import ListQuery, Page, contains, paginate
from sluice.core.permissions import Role
from sluice.core.principal import Principal
from sluice.identity.models import Organization
from sluice.quality.tickets.models import CorrectionTicket, TicketUrging
from sluice.quality.tickets.states import (
    ACKNOWLEDGED,
    AWAITING_ANSWER,
    CLOSED,
    FIXED,
    OPEN,
    REJECTED,
)


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
    resource_code: str = ""
    provider_code: str = ""
    #: How many times the bureau chased the provider on it (督办).
    urgings: int = 0


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

#: The names a ticket list may be sorted by.
TICKET_SORTS: Final = ("filed", "due", "status")
#: "yes"/"no" filters (``1``/``0`` and ``true``/``false`` are read the same way).
YES_NO: Final = {"yes": True, "1": True, "true": True, "no": False, "0": False, "false": False}
#: Statuses sort in the order a ticket moves through them, not alphabetically.
_STATUS_ORDER: Final = (OPEN, ACKNOWLEDGED, FIXED, REJECTED, CLOSED)
_NUMBER: Final = re.compile(r"[0-9a-f]{4,8}")


def _urgings() -> ScalarSelect[int]:
    return (
        select(func.count(TicketUrging.id))
        .where(TicketUrging.ticket_id == CorrectionTicket.id)
        .correlate(CorrectionTicket)
        .scalar_subquery()
    )


def _statement(conditions: list[ColumnElement[bool]]) -> Select[*tuple[Any, ...]]:
    statement: Select[*tuple[Any, ...]] = (
        select(
            CorrectionTicket,
            DataResource.name,
            DataResource.code,
            _Provider.name,
            _Provider.name_en,
            _Provider.code,
            _Filer.name,
            _Filer.name_en,
            _urgings().label("urgings"),
        )
        .join(DataResource, DataResource.id == CorrectionTicket.resource_id)
        .join(_Provider, _Provider.id == CorrectionTicket.provider_id)
        .outerjoin(_Filer, _Filer.id == CorrectionTicket.filed_by_org)
        .where(*conditions)
    )
    return statement


def _view(row: Any) -> TicketView:
    ticket, resource, resource_code, provider, provider_en, provider_code, filer, filer_en, n = row
    return TicketView(
        ticket=ticket,
        resource=Named(resource),
        provider=Named(provider, provider_en),
        filer=Named(filer, filer_en) if filer is not None else None,
        resource_code=resource_code,
        provider_code=provider_code,
        urgings=int(n or 0),
    )


def _views(
    session: Session, conditions: list[ColumnElement[bool]], *, limit: int = 1, offset: int = 0
) -> list[TicketView]:
    query = (
        _statement(conditions)
        .order_by(CorrectionTicket.filed_at.desc(), CorrectionTicket.id)
        .limit(limit)
        .offset(offset)
    )
    return [_view(row) for row in session.execute(query)]


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


def _search(text: str) -> ColumnElement[bool]:
    """The resource's name or code, the ticket's text, field or row, or its number (the
    first characters of its id, as the list shows it)."""
    found = contains(
        text,
        DataResource.name.expression,
        DataResource.code.expression,
        CorrectionTicket.description.expression,
        CorrectionTicket.field_name.expression,
        CorrectionTicket.row_ref.expression,
    )
    number = text.lower()
    if _NUMBER.fullmatch(number):
        # PostgreSQL writes a uuid with dashes, SQLite stores its 32 hex digits: the first
        # eight (the number shown) are the same in both.
        found = or_(found, cast(CorrectionTicket.id, String).like(f"{number}%"))
    return found


def ticket_page(
    session: Session, *, actor: Principal, today: date, query: ListQuery
) -> Page[TicketView]:
    """One page of the tickets the actor may see, filtered, searched and sorted.

    Filters: ``status``, ``provider`` (an organization code), ``overdue`` and ``urged``
    (yes/no: chased by the bureau); an unknown value filters nothing.
    """
    conditions = [_visible(actor)]
    if (status := query.filter("status")) in _STATUS_ORDER:
        conditions.append(CorrectionTicket.status == status)
    if provider := query.filter("provider"):
        conditions.append(_Provider.code == provider)
    overdue = YES_NO.get((query.filter("overdue") or "").lower())
    if overdue is not None:
        conditions.append(_overdue_on(today) if overdue else ~_overdue_on(today))
    urged = YES_NO.get((query.filter("urged") or "").lower())
    if urged is not None:
        chased = select(TicketUrging.ticket_id)
        conditions.append(
            CorrectionTicket.id.in_(chased) if urged else CorrectionTicket.id.not_in(chased)
        )
    if query.q:
        conditions.append(_search(query.q))
    order = case(
        {status: i for i, status in enumerate(_STATUS_ORDER)},
        value=CorrectionTicket.status,
        else_=len(_STATUS_ORDER),
    )
    # One slice of ids in the asked order, then the rows with their names for those ids.
    ids = paginate(
        session,
        _statement(conditions).with_only_columns(CorrectionTicket.id),
        query,
        sorts={
            "filed": CorrectionTicket.filed_at.expression,
            "due": CorrectionTicket.due_date.expression,
            "status": order,
        },
        default="-filed",
        tiebreak=CorrectionTicket.id.expression,
    )
    found = {
        view.ticket.id: view
        for view in (
            _view(row) for row in session.execute(_statement([CorrectionTicket.id.in_(ids.items)]))
        )
    }
    return replace(ids, items=[found[i] for i in ids.items])


@dataclass(frozen=True)
class ProviderName:
    code: str
    name: Named


def ticket_providers(session: Session, *, actor: Principal) -> list[ProviderName]:
    """The providers of the tickets the actor may see, by code (a filter's options)."""
    providing = select(CorrectionTicket.provider_id).where(_visible(actor)).distinct()
    rows = session.execute(
        select(Organization.code, Organization.name, Organization.name_en)
        .where(Organization.id.in_(providing))
        .order_by(Organization.code)
    )
    return [ProviderName(code, Named(name, name_en)) for code, name, name_en in rows]


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


# --- urgings (督办) ---------------------------------------------------------------------------


def add_urging(session: Session, urging: TicketUrging) -> None:
    session.add(urging)


def urgings_of(session: Session, ticket_id: uuid.UUID) -> list[TicketUrging]:
    """A ticket's urgings, oldest first (whoever may see the ticket may see them)."""
    query = (
        select(TicketUrging)
        .where(TicketUrging.ticket_id == ticket_id)
        .order_by(TicketUrging.urged_at, TicketUrging.id)
    )
    return list(session.scalars(query))


# --- what a ticket may be filed on ------------------------------------------------------------
