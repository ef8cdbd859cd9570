"""Every query of competitive consultation rounds, scoped to the acting principal here.

Who sees which round is decided once, in ``_visible``: the bureau (``selection.manage``)
and the platform see every round; anyone else, the public included (``actor=None``), only
published results. Every read of a round by id (``visible_round``) and every list
(``visible_rounds``, ``round_page``) goes through it. A panel member reaches a round through
their seat on its panel (``seat``, ``seated_rounds``, ``seated_round_page``); of a round they
do not sit on they learn only that it exists (``round_exists``). Rows that belong to a round
are only fetched through it.

Organizations, users and role memberships are read here only to name candidates and panel
members and to offer the panel users the bureau may name; the identity module stays their
owner.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Final

from sqlalchemy import ColumnElement, Select, delete, false, func, select, true
from sqlalchemy.orm import Session

from sluice.core.paging import Column, ListQuery, Page, contains, paginate
from sluice.core.permissions import OrgKind, Permission, Role
from sluice.core.principal import Principal
from sluice.identity.models import Membership, Organization, User
from sluice.operators.selection.models import (
    SelectionCandidate,
    SelectionCriterion,
    SelectionPanelMember,
    SelectionRound,
    SelectionScore,
)
from sluice.operators.selection.states import PUBLISHED


@dataclass(frozen=True)
class NamedCandidate:
    candidate: SelectionCandidate
    name: str
    credit_code: str | None


@dataclass(frozen=True)
class NamedMember:
    member: SelectionPanelMember
    username: str


@dataclass(frozen=True)
class PanelUser:
    id: uuid.UUID
    username: str
    display_name: str


@dataclass(frozen=True)
class OrganizationChoice:
    id: uuid.UUID
    name: str
    credit_code: str | None


@dataclass(frozen=True)
class Seat:
    """A round as a panel member reaches it: with their seat on its panel."""

    round: SelectionRound
    member: SelectionPanelMember


_NEWEST_FIRST = (SelectionRound.announced_on.desc(), SelectionRound.created_at.desc())


def _visible(actor: Principal | None) -> ColumnElement[bool]:
    if actor is not None and (actor.is_system or actor.has(Permission.SELECTION_MANAGE)):
        return true()
    return SelectionRound.status == PUBLISHED


def visible_round(
    session: Session, actor: Principal | None, round_id: uuid.UUID, *, for_update: bool = False
) -> SelectionRound | None:
    """The round if the actor (None: the public) may see it, else None."""
    query = select(SelectionRound).where(SelectionRound.id == round_id, _visible(actor))
    if for_update:
        query = query.with_for_update()
    return session.scalar(query)


def visible_rounds(
    session: Session, actor: Principal | None, *, status: str | None = None
) -> list[SelectionRound]:
    """The rounds the actor (None: the public) may see, newest announcement first."""
    query = select(SelectionRound).where(_visible(actor)).order_by(*_NEWEST_FIRST)
    if status:
        query = query.where(SelectionRound.status == status)
    return list(session.scalars(query))


#: The rounds lists' sortable columns, by the name the address uses.
ROUND_SORTS: Final[Mapping[str, Column]] = {
    "announced": SelectionRound.announced_on,
    "title": SelectionRound.title,
    "status": SelectionRound.status,
    "created": SelectionRound.created_at,
}


def _filtered(statement: Select[SelectionRound], query: ListQuery) -> Select[SelectionRound]:
    if status := query.filter("status"):
        statement = statement.where(SelectionRound.status == status)
    if query.q:
        statement = statement.where(
            contains(query.q, SelectionRound.title, SelectionRound.scenario)
        )
    return statement


def round_page(session: Session, actor: Principal | None, query: ListQuery) -> Page[SelectionRound]:
    """One page of the rounds the actor sees; ``status`` filters, ``q`` searches the title and
    the scenario."""
    statement = _filtered(select(SelectionRound).where(_visible(actor)), query)
    return paginate(
        session,
        statement,
        query,
        sorts=ROUND_SORTS,
        default="-announced",
        tiebreak=SelectionRound.id,
    )


def seated_round_page(session: Session, actor: Principal, query: ListQuery) -> Page[SelectionRound]:
    """One page of the rounds on whose panel the actor sits."""
    seated = (
        select(SelectionRound)
        .join(SelectionPanelMember, SelectionPanelMember.round_id == SelectionRound.id)
        .where(
            SelectionPanelMember.user_id == actor.user_id if actor.user_id is not None else false()
        )
    )
    return paginate(
        session,
        _filtered(seated, query),
        query,
        sorts=ROUND_SORTS,
        default="-announced",
        tiebreak=SelectionRound.id,
    )


def organization_names(session: Session, ids: Iterable[uuid.UUID]) -> dict[uuid.UUID, str]:
    wanted = set(ids)
    if not wanted:
        return {}
    query = select(Organization.id, Organization.name).where(Organization.id.in_(wanted))
    return {row.id: row.name for row in session.execute(query)}


def seat(
    session: Session, actor: Principal, round_id: uuid.UUID, *, for_update: bool = False
) -> Seat | None:
    """The round with the actor's seat on its panel; None if they do not sit on it."""
    if actor.user_id is None:
        return None
    query = (
        select(SelectionRound, SelectionPanelMember)
        .join(SelectionPanelMember, SelectionPanelMember.round_id == SelectionRound.id)
        .where(SelectionRound.id == round_id, SelectionPanelMember.user_id == actor.user_id)
    )
    if for_update:
        query = query.with_for_update(of=SelectionRound)
    row = session.execute(query).first()
    return Seat(row[0], row[1]) if row else None


def seated_rounds(session: Session, actor: Principal) -> list[SelectionRound]:
    """The rounds on whose panel the actor sits, newest announcement first."""
    if actor.user_id is None:
        return []
    query = (
        select(SelectionRound)
        .join(SelectionPanelMember, SelectionPanelMember.round_id == SelectionRound.id)
        .where(SelectionPanelMember.user_id == actor.user_id)
        .order_by(*_NEWEST_FIRST)
    )
    return list(session.scalars(query))


def round_exists(session: Session, round_id: uuid.UUID) -> bool:
    """Whether there is such a round: all a panel member learns of one they do not sit on."""
    query = select(func.count(SelectionRound.id)).where(SelectionRound.id == round_id)
    return bool(session.scalar(query))


def round_by_title(session: Session, title: str) -> SelectionRound | None:
    """The newest round with this title (the demo uses it to stay idempotent)."""
    query = (
        select(SelectionRound)
        .where(SelectionRound.title == title)
        .order_by(SelectionRound.created_at.desc())
        .limit(1)
    )
    return session.scalar(query)


def following(session: Session, authorization_id: uuid.UUID) -> SelectionRound | None:
    """The round opened to replace the operator of an agreement that was forced out."""
    query = select(SelectionRound).where(
        SelectionRound.follows_authorization_id == authorization_id
    )
    return session.scalar(query)


def criteria(session: Session, round_id: uuid.UUID) -> list[SelectionCriterion]:
    query = (
        select(SelectionCriterion)
        .where(SelectionCriterion.round_id == round_id)
        .order_by(SelectionCriterion.position)
    )
    return list(session.scalars(query))


def delete_criteria(session: Session, round_id: uuid.UUID) -> None:
    session.execute(delete(SelectionCriterion).where(SelectionCriterion.round_id == round_id))


def candidates(session: Session, round_id: uuid.UUID) -> list[NamedCandidate]:
    query = (
        select(SelectionCandidate, Organization.name, Organization.credit_code)
        .join(Organization, Organization.id == SelectionCandidate.organization_id)
        .where(SelectionCandidate.round_id == round_id)
    )
    found = [NamedCandidate(c, name, code) for c, name, code in session.execute(query)]
    # Sorted here, not by the database's collation, so every backend lists them alike.
    return sorted(found, key=lambda c: (c.candidate.registered_at, c.name))


def candidate(
    session: Session, round_id: uuid.UUID, organization_id: uuid.UUID
) -> SelectionCandidate | None:
    query = select(SelectionCandidate).where(
        SelectionCandidate.round_id == round_id,
        SelectionCandidate.organization_id == organization_id,
    )
    return session.scalar(query)


def panel(session: Session, round_id: uuid.UUID) -> list[NamedMember]:
    query = (
        select(SelectionPanelMember, User.username)
        .join(User, User.id == SelectionPanelMember.user_id)
        .where(SelectionPanelMember.round_id == round_id)
    )
    found = [NamedMember(m, username) for m, username in session.execute(query)]
    return sorted(found, key=lambda m: (m.member.named_at, m.member.display_name))


def member(
    session: Session, round_id: uuid.UUID, user_id: uuid.UUID
) -> SelectionPanelMember | None:
    query = select(SelectionPanelMember).where(
        SelectionPanelMember.round_id == round_id, SelectionPanelMember.user_id == user_id
    )
    return session.scalar(query)


def scores(session: Session, round_id: uuid.UUID) -> list[SelectionScore]:
    query = select(SelectionScore).where(SelectionScore.round_id == round_id)
    return list(session.scalars(query))


def scores_of_member(session: Session, member_id: uuid.UUID) -> list[SelectionScore]:
    query = select(SelectionScore).where(SelectionScore.member_id == member_id)
    return list(session.scalars(query))


def organization(session: Session, organization_id: uuid.UUID) -> Organization | None:
    return session.get(Organization, organization_id)


def panel_user(session: Session, user_id: uuid.UUID) -> PanelUser | None:
    """An active user holding the panel role, or None."""
    query = (
        select(User.id, User.username, User.display_name)
        .join(Membership, Membership.user_id == User.id)
        .where(User.id == user_id, User.active.is_(True), Membership.role == Role.PANEL.value)
    )
    row = session.execute(query).first()
    return PanelUser(*row) if row else None


def panel_users(session: Session) -> list[PanelUser]:
    query = (
        select(User.id, User.username, User.display_name)
        .join(Membership, Membership.user_id == User.id)
        .where(User.active.is_(True), Membership.role == Role.PANEL.value)
        .order_by(User.username)
    )
    return [PanelUser(*row) for row in session.execute(query)]


def operator_organizations(session: Session) -> list[OrganizationChoice]:
    """Active operator companies: the ones a candidate can come from."""
    query = (
        select(Organization.id, Organization.name, Organization.credit_code)
        .where(Organization.kind == OrgKind.OPERATOR.value, Organization.active.is_(True))
        .order_by(Organization.name)
    )
    return [OrganizationChoice(*row) for row in session.execute(query)]
