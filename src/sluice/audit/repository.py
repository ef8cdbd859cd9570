"""Reads of the audit log: the bureau's view of the whole log, and one object's history
for the module that owns the object (after it decided who may see the object).

The log names its actors by id. To show them by name, this module reads two columns of
identity's ``users`` and ``organizations`` tables by id, through the table definitions
below rather than identity's models: the audit log sits below identity (identity records
to it), so it may not import identity. ``tests/audit/test_pages.py`` checks these columns
against identity's models, so a renamed column fails a test rather than a page.
"""

from __future__ import annotations

import uuid
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Final

from sqlalchemy import ColumnElement, Select, String, Uuid, and_, column, func, or_, select, table
from sqlalchemy.orm import Session

from sluice.audit.models import AuditEvent, AuditEventResource
from sluice.core.paging import ListQuery, Page, contains, paginate, starts_with

#: identity's tables, the columns the log reads to name actors (see the module docstring).
USERS = table(
    "users",
    column("id", Uuid()),
    column("username", String()),
    column("display_name", String()),
    column("organization_id", Uuid()),
)
ORGANIZATIONS = table(
    "organizations",
    column("id", Uuid()),
    column("code", String()),
    column("kind", String()),
    column("name", String()),
    column("name_en", String()),
)

#: The orders a reader may ask for, each with the id as its tiebreak in the same direction.
_EVENTS = AuditEvent.__table__.c
SORTS: Final[dict[str, ColumnElement[Any]]] = {"time": _EVENTS.occurred_at, "id": _EVENTS.id}
DEFAULT_SORT = "-time"


@dataclass(frozen=True)
class EventFilter:
    """Which events a reader asked for. Every field narrows; empty ones do not."""

    action: str | None = None
    #: A username: a console user's events (by their id, whatever name they had), or a
    #: system actor's (``demo``, ``sweep``…) by the name it acted under.
    actor: str | None = None
    #: An organization's code: the events of anyone acting for it.
    organization: str | None = None
    target_type: str | None = None
    #: The start of a target's id (a page shows ids shortened; a pasted start finds them).
    target_id: str | None = None
    outcome: str | None = None
    #: Occurred at or after (UTC).
    since: datetime | None = None
    #: Occurred before (UTC).
    before: datetime | None = None
    #: Search text: the action's code, the actions ``text_actions`` (whose labels hold the
    #: text), the actor's username or name, the actor's organization, the target's id.
    text: str = ""
    text_actions: tuple[str, ...] = ()
    #: No event after this id: an export reads the log as it was when it started.
    upto_id: int | None = None
    #: A reason code: the entry's ``reason``, or for older entries ``detail["reason"]``.
    reason: str | None = None
    #: Text the entry's purpose holds.
    purpose: str | None = None
    #: A data resource the entry used (the resource index).
    resource_id: uuid.UUID | None = None


@dataclass(frozen=True)
class Actor:
    username: str
    display_name: str
    organization_id: uuid.UUID | None


@dataclass(frozen=True)
class OrganizationName:
    id: uuid.UUID
    code: str
    kind: str
    name: str
    name_en: str | None


def _conditions(session: Session, wanted: EventFilter) -> list[ColumnElement[bool]]:
    found: list[ColumnElement[bool]] = []
    if wanted.action:
        found.append(AuditEvent.action == wanted.action)
    if wanted.actor:
        user_id = session.scalar(select(USERS.c.id).where(USERS.c.username == wanted.actor))
        found.append(
            AuditEvent.actor_user_id == user_id
            if user_id is not None
            else AuditEvent.actor_username == wanted.actor
        )
    if wanted.organization:
        codes = select(ORGANIZATIONS.c.id).where(ORGANIZATIONS.c.code == wanted.organization)
        found.append(AuditEvent.actor_organization_id.in_(codes.scalar_subquery()))
    if wanted.target_type:
        found.append(AuditEvent.target_type == wanted.target_type)
    if wanted.target_id:
        found.append(starts_with(wanted.target_id, AuditEvent.target_id, ignore_case=False))
    if wanted.outcome:
        found.append(AuditEvent.outcome == wanted.outcome)
    if wanted.since is not None:
        found.append(AuditEvent.occurred_at >= wanted.since)
    if wanted.before is not None:
        found.append(AuditEvent.occurred_at < wanted.before)
    if wanted.upto_id is not None:
        found.append(AuditEvent.id <= wanted.upto_id)
    if wanted.reason:
        older = and_(
            AuditEvent.reason.is_(None), AuditEvent.detail["reason"].as_string() == wanted.reason
        )
        found.append(or_(AuditEvent.reason == wanted.reason, older))
    if wanted.purpose:
        found.append(contains(wanted.purpose, _EVENTS.purpose))
    if wanted.resource_id is not None:
        used = select(AuditEventResource.event_id).where(
            AuditEventResource.resource_id == wanted.resource_id
        )
        found.append(AuditEvent.id.in_(used.scalar_subquery()))
    if wanted.text:
        named = select(USERS.c.id).where(
            contains(wanted.text, USERS.c.username, USERS.c.display_name)
        )
        organizations = select(ORGANIZATIONS.c.id).where(
            contains(wanted.text, ORGANIZATIONS.c.name, ORGANIZATIONS.c.code)
        )
        either = [
            contains(wanted.text, _EVENTS.action, _EVENTS.actor_username),
            contains(wanted.text, _EVENTS.target_id),
            AuditEvent.actor_user_id.in_(named.scalar_subquery()),
            AuditEvent.actor_organization_id.in_(organizations.scalar_subquery()),
        ]
        if wanted.text_actions:
            either.append(AuditEvent.action.in_(wanted.text_actions))
        found.append(or_(*either))
    return found


def _filtered(session: Session, wanted: EventFilter) -> Select[Any]:
    return select(AuditEvent).where(*_conditions(session, wanted))


def page_of_events(session: Session, wanted: EventFilter, query: ListQuery) -> Page[AuditEvent]:
    """One page of the filtered log, in the reader's order (newest first unless asked)."""
    tiebreak = AuditEvent.id.desc() if query.descending else AuditEvent.id.asc()
    return paginate(
        session,
        _filtered(session, wanted),
        query,
        sorts=SORTS,
        default=DEFAULT_SORT,
        tiebreak=tiebreak,
    )


def count_events(session: Session, wanted: EventFilter) -> int:
    statement = select(func.count()).select_from(AuditEvent).where(*_conditions(session, wanted))
    return int(session.scalar(statement) or 0)


def last_id(session: Session) -> int:
    return int(session.scalar(select(func.max(AuditEvent.id))) or 0)


def events_after(
    session: Session,
    wanted: EventFilter,
    *,
    sort: str,
    descending: bool,
    after: AuditEvent | None,
    size: int,
) -> list[AuditEvent]:
    """The next ``size`` filtered events after ``after`` in the given order: an export reads
    the log in batches like this, each a short query, never the whole set at once."""
    by_time = sort != "id"
    statement = _filtered(session, wanted)
    if after is not None:
        beyond = AuditEvent.id < after.id if descending else AuditEvent.id > after.id
        if by_time:
            at = after.occurred_at
            before = AuditEvent.occurred_at < at if descending else AuditEvent.occurred_at > at
            beyond = or_(before, and_(AuditEvent.occurred_at == at, beyond))
        statement = statement.where(beyond)
    keys = (AuditEvent.occurred_at, AuditEvent.id) if by_time else (AuditEvent.id,)
    order = [key.desc() if descending else key.asc() for key in keys]
    return list(session.scalars(statement.order_by(*order).limit(size)))


def list_events(
    session: Session, *, action: str | None = None, limit: int = 100, offset: int = 0
) -> tuple[int, list[AuditEvent]]:
    """The log, newest first, optionally of one action."""
    return list_filtered(session, EventFilter(action=action), limit=limit, offset=offset)


def list_filtered(
    session: Session, wanted: EventFilter, *, limit: int = 100, offset: int = 0
) -> tuple[int, list[AuditEvent]]:
    """The filtered log, newest first, by limit and offset (the API's paging)."""
    total = count_events(session, wanted)
    statement = _filtered(session, wanted).order_by(AuditEvent.id.desc())
    return total, list(session.scalars(statement.limit(limit).offset(offset)))


def resources_of(session: Session, event_ids: Collection[int]) -> dict[int, list[uuid.UUID]]:
    """The resources each of these entries used, by entry (one query for a page)."""
    if not event_ids:
        return {}
    found: dict[int, list[uuid.UUID]] = {}
    rows = session.execute(
        select(AuditEventResource.event_id, AuditEventResource.resource_id)
        .where(AuditEventResource.event_id.in_(list(event_ids)))
        .order_by(AuditEventResource.event_id, AuditEventResource.resource_id)
    )
    for event_id, resource_id in rows:
        found.setdefault(event_id, []).append(resource_id)
    return found


def events_of(session: Session, *, target_type: str, target_id: str) -> list[AuditEvent]:
    """One object's events, oldest first: its history is the audit log."""
    query = (
        select(AuditEvent)
        .where(AuditEvent.target_type == target_type, AuditEvent.target_id == target_id)
        .order_by(AuditEvent.id)
    )
    return list(session.scalars(query))


# -- Names of actors and organizations ---------------------------------------------------------


def actors(session: Session, user_ids: Collection[uuid.UUID]) -> dict[uuid.UUID, Actor]:
    """The users with these ids, by id (one query for a page's actors)."""
    if not user_ids:
        return {}
    rows = session.execute(
        select(USERS.c.id, USERS.c.username, USERS.c.display_name, USERS.c.organization_id).where(
            USERS.c.id.in_(list(user_ids))
        )
    )
    return {row[0]: Actor(row[1], row[2], row[3]) for row in rows}


def organizations(
    session: Session, organization_ids: Collection[uuid.UUID]
) -> dict[uuid.UUID, OrganizationName]:
    """The organizations with these ids, by id (one query for a page's actors)."""
    if not organization_ids:
        return {}
    statement = select(ORGANIZATIONS).where(ORGANIZATIONS.c.id.in_(list(organization_ids)))
    return {row.id: OrganizationName(*row) for row in session.execute(statement)}


def organization_by_code(session: Session, code: str) -> OrganizationName | None:
    row = session.execute(select(ORGANIZATIONS).where(ORGANIZATIONS.c.code == code)).first()
    return OrganizationName(*row) if row else None


def actor_by_username(session: Session, username: str) -> Actor | None:
    row = session.execute(
        select(USERS.c.username, USERS.c.display_name, USERS.c.organization_id).where(
            USERS.c.username == username
        )
    ).first()
    return Actor(*row) if row else None


def search_users(
    session: Session, text: str, limit: int
) -> tuple[int, Sequence[tuple[Actor, str | None]]]:
    """Users whose username or name holds the text, with their organization's name."""
    where = contains(text, USERS.c.username, USERS.c.display_name) if text else None
    count = select(func.count()).select_from(USERS)
    statement = select(
        USERS.c.username, USERS.c.display_name, USERS.c.organization_id, ORGANIZATIONS.c.name
    ).select_from(USERS.outerjoin(ORGANIZATIONS, ORGANIZATIONS.c.id == USERS.c.organization_id))
    if where is not None:
        count, statement = count.where(where), statement.where(where)
    total = int(session.scalar(count) or 0)
    rows = session.execute(statement.order_by(USERS.c.username).limit(limit))
    return total, [(Actor(r[0], r[1], r[2]), r[3]) for r in rows]


def search_system_actors(session: Session, text: str, limit: int) -> list[str]:
    """Names the platform itself acted under (``demo``, ``sweep``…) that hold the text."""
    statement = select(AuditEvent.actor_username).where(
        AuditEvent.actor_via == "system", AuditEvent.actor_user_id.is_(None)
    )
    if text:
        statement = statement.where(contains(text, _EVENTS.actor_username))
    statement = statement.distinct().order_by(AuditEvent.actor_username).limit(limit)
    return list(session.scalars(statement))


def search_organizations(
    session: Session, text: str, limit: int
) -> tuple[int, list[OrganizationName]]:
    where = (
        contains(text, ORGANIZATIONS.c.name, ORGANIZATIONS.c.code, ORGANIZATIONS.c.name_en)
        if text
        else None
    )
    count = select(func.count()).select_from(ORGANIZATIONS)
    statement = select(ORGANIZATIONS)
    if where is not None:
        count, statement = count.where(where), statement.where(where)
    total = int(session.scalar(count) or 0)
    rows = session.execute(
        statement.order_by(ORGANIZATIONS.c.kind, ORGANIZATIONS.c.code).limit(limit)
    )
    return total, [OrganizationName(*row) for row in rows]
