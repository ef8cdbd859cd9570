"""``record``: the single entry point that writes to the audit log.

It adds the event to the caller's session, so the change and its trace commit together
or not at all. Actions are declared (with labels auditors can read) before they are used;
what their details mean (key labels, coded values, target types) is declared with the
``declare_detail_*`` functions re-exported here from ``details``, so a module needs one import.
Below ``record``, the reads of the whole log for whoever holds ``audit.read``.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, time, timedelta
from typing import Any, Final, Literal, TypedDict

from sqlalchemy import String
from sqlalchemy.orm import Session

from sluice.audit import repository
from sluice.audit.details import declare_detail_keys as declare_detail_keys
from sluice.audit.details import declare_detail_labels as declare_detail_labels
from sluice.audit.details import declare_detail_values as declare_detail_values
from sluice.audit.details import declare_target_types as declare_target_types
from sluice.audit.models import AuditEvent, AuditEventResource
from sluice.audit.repository import EventFilter as EventFilter
from sluice.core.clock import local
from sluice.core.i18n import LOCALES, add_messages, translate
from sluice.core.ids import sm3_hex
from sluice.core.paging import ListQuery, Page
from sluice.core.permissions import Permission
from sluice.core.principal import Principal

Outcome = Literal["ok", "refused", "failed"]

#: What a reason code looks like (older entries also keep typed reasons in ``detail``).
REASON_CODE: Final = re.compile(r"[a-z][a-z0-9_]{0,63}")
#: Characters of the SM3 digest that stand for the cut-off end of an over-long value.
_DIGEST_CHARS = 20

_actions: set[str] = set()


def declare_actions(actions: Mapping[str, tuple[str, str]]) -> None:
    """Declare audit actions with their zh-CN and English labels."""
    add_messages({f"audit.action.{name}": labels for name, labels in actions.items()})
    _actions.update(actions)


def declared_actions() -> frozenset[str]:
    return frozenset(_actions)


class EntryFields(TypedDict, total=False):
    """``record``'s optional keyword fields, for helpers that pass them through
    (``StateMachine.fire``)."""

    reason: str | None
    authorization_id: uuid.UUID | None
    purpose: str | None
    consent_id: uuid.UUID | None
    resources: Iterable[uuid.UUID]


def record(
    session: Session,
    *,
    actor: Principal,
    action: str,
    target_type: str,
    target_id: str | uuid.UUID,
    at: datetime,
    outcome: Outcome = "ok",
    detail: Mapping[str, Any] | None = None,
    reason: str | None = None,
    authorization_id: uuid.UUID | None = None,
    purpose: str | None = None,
    consent_id: uuid.UUID | None = None,
    resources: Iterable[uuid.UUID] = (),
) -> AuditEvent:
    """Append one event. Values too long for their column (a username someone typed at the
    login form, say) are kept whole in ``detail`` and shortened in the column; see ``_fit``.

    The keyword fields say what the event was about beyond its target, where the caller
    knows it (R8.8): ``reason`` a reason code (``out_of_scope``…), the agreement
    (``authorization_id``), the ``purpose`` of a data use, the subject's consent
    (``consent_id``) and the data ``resources`` used (each indexed: a provider reads the
    uses of its data by them). The request's id and the client's address come from the
    ``actor`` (``web.deps`` puts them on each request's principal)."""
    if action not in _actions:
        raise ValueError(f"audit action {action!r} is not declared")
    details = dict(detail or {})
    target = _fit(str(target_id), "target_id", details)
    username = _fit(actor.username, "actor_username", details)
    used = sorted(set(resources), key=str)
    event = AuditEvent(
        occurred_at=at,
        action=action,
        outcome=outcome,
        actor_username=username,
        actor_via=actor.via,
        actor_user_id=actor.user_id,
        actor_organization_id=actor.organization_id,
        actor_api_key_id=actor.api_key_id,
        target_type=target_type,
        target_id=target,
        detail=details,
        reason=_fit(reason, "reason", details) if reason else None,
        authorization_id=authorization_id,
        purpose=_fit(purpose, "purpose", details) if purpose else None,
        consent_id=consent_id,
        request_id=actor.request_id,
        client_address=_fit(actor.client_address, "client_address", details)
        if actor.client_address
        else None,
        resources_digest=resources_digest(used) if used else None,
        resources=[AuditEventResource(resource_id=r) for r in used],
    )
    session.add(event)
    return event


def resources_digest(resources: Iterable[uuid.UUID]) -> str:
    """SM3 of an entry's resources (their ids, sorted, comma-separated): stored on the entry
    so whatever hashes its columns covers its ``audit_event_resources`` rows as well."""
    return sm3_hex(",".join(sorted(str(r) for r in resources)))


def reason_of(event: AuditEvent) -> str | None:
    """The entry's reason code: its ``reason`` column, or for entries written before the
    column existed, ``detail["reason"]`` when that is a code (not words someone typed)."""
    return reason_from(event.reason, event.detail)


def reason_from(reason: str | None, detail: Mapping[str, Any] | None) -> str | None:
    """``reason_of`` for an entry read as columns."""
    if reason:
        return reason
    found = (detail or {}).get("reason")
    return found if isinstance(found, str) and REASON_CODE.fullmatch(found) else None


def _fit(value: str, column: str, details: dict[str, Any]) -> str:
    """``value`` if it fits its column; else its start, ``…`` and 20 hex of its SM3 digest.

    Ids (UUIDs, codes) always fit and are stored as they are. A longer value is stored whole
    in ``detail[column]``; the shortened form stays distinct for distinct values, so an
    auditor can still filter on it.
    """
    column_type = AuditEvent.__table__.c[column].type
    limit = column_type.length if isinstance(column_type, String) else None
    if limit is None or len(value) <= limit:
        return value
    details.setdefault(column, value)
    head = limit - 1 - _DIGEST_CHARS
    return f"{value[:head]}…{sm3_hex(value)[:_DIGEST_CHARS]}"


# -- Reading the log (whoever holds audit.read) -------------------------------------------------

#: The bureau exporting the log (or part of it) is itself on the log.
EXPORTED = "audit.exported"
declare_actions({EXPORTED: ("导出审计日志", "Audit log exported")})
add_messages(
    {
        "audit.bad_date": (
            "“{value}”不是有效的日期：请按 年-月-日 填写（如 2026-02-28），并确认该日存在。",
            "“{value}” is not a valid date: use year-month-day (e.g. 2026-02-28) and check "
            "the day exists.",
        ),
        "audit.date_out_of_range": (
            "日期须在 {earliest} 至 {latest} 之间。",
            "The date must be between {earliest} and {latest}.",
        ),
        "audit.dates_reversed": (
            "开始日期晚于结束日期，请调换或更正。",
            "The from date is after the to date; swap or correct them.",
        ),
    }
)


def events(
    session: Session,
    *,
    actor: Principal,
    action: str | None = None,
    wanted: EventFilter | None = None,
    limit: int = 100,
    offset: int = 0,
) -> tuple[int, list[AuditEvent]]:
    """The whole log, newest first, optionally filtered (whoever reads the audit log)."""
    actor.require(Permission.AUDIT_READ)
    if wanted is None:
        wanted = EventFilter(action=action)
    return repository.list_filtered(session, wanted, limit=limit, offset=offset)


def day_bounds(first: date | None, last: date | None) -> tuple[datetime | None, datetime | None]:
    """Days people name (in the display zone, both included) as UTC bounds: at or after
    the first day's midnight, before the midnight after the last day."""
    zone = local(datetime(2000, 1, 1, tzinfo=UTC)).tzinfo
    since = datetime.combine(first, time(0), tzinfo=zone).astimezone(UTC) if first else None
    before = (
        datetime.combine(last + timedelta(days=1), time(0), tzinfo=zone).astimezone(UTC)
        if last
        else None
    )
    return since, before


def event_page(
    session: Session, *, actor: Principal, wanted: EventFilter, query: ListQuery
) -> Page[AuditEvent]:
    """One page of the filtered log in the reader's order."""
    actor.require(Permission.AUDIT_READ)
    return repository.page_of_events(session, wanted, query)


def actions_labelled(text: str) -> tuple[str, ...]:
    """Declared actions whose label (in either language) holds ``text``, ignoring case."""
    needle = text.casefold()
    if not needle:
        return ()
    return tuple(
        sorted(
            action
            for action in _actions
            if any(
                needle in translate(f"audit.action.{action}", lang).casefold() for lang in LOCALES
            )
        )
    )


@dataclass(frozen=True)
class Names:
    """Who the actors of some events are: users by id, organizations by id."""

    users: Mapping[uuid.UUID, repository.Actor]
    organizations: Mapping[uuid.UUID, repository.OrganizationName]


def names_of(session: Session, *, actor: Principal, events: Iterable[AuditEvent]) -> Names:
    """The names of these events' actors and their organizations, in two queries."""
    actor.require(Permission.AUDIT_READ)
    rows = list(events)
    users = repository.actors(session, {e.actor_user_id for e in rows if e.actor_user_id})
    organization_ids = {e.actor_organization_id for e in rows if e.actor_organization_id}
    organization_ids |= {u.organization_id for u in users.values() if u.organization_id}
    return Names(users, repository.organizations(session, organization_ids))


@dataclass(frozen=True)
class Export:
    """What an export will hold: the matching events up to ``upto_id``, at most ``limit``."""

    matched: int
    rows: int
    upto_id: int


def start_export(
    session: Session,
    *,
    actor: Principal,
    wanted: EventFilter,
    at: datetime,
    limit: int,
    filters: Mapping[str, str],
) -> Export:
    """Fix what an export holds (the log as it is now) and put the export on the log.

    The event is written in the caller's transaction, before a single row is sent: whoever
    starts an export is on record, whether or not the download completes.
    """
    actor.require(Permission.AUDIT_READ)
    upto = repository.last_id(session)
    matched = repository.count_events(session, replace(wanted, upto_id=upto))
    export = Export(matched=matched, rows=min(matched, limit), upto_id=upto)
    record(
        session,
        actor=actor,
        action=EXPORTED,
        target_type="audit_log",
        target_id="audit_events",
        at=at,
        detail={
            "format": "csv",
            "filters": dict(filters),
            "rows_matched": export.matched,
            "rows_exported": export.rows,
            "upto_id": export.upto_id,
        },
    )
    return export


def export_batch(
    session: Session,
    *,
    actor: Principal,
    wanted: EventFilter,
    export: Export,
    sort: str,
    descending: bool,
    after: AuditEvent | None,
    size: int,
) -> list[AuditEvent]:
    """The next batch of an export begun with :func:`start_export` (one short query)."""
    actor.require(Permission.AUDIT_READ)
    return repository.events_after(
        session,
        replace(wanted, upto_id=export.upto_id),
        sort=sort,
        descending=descending,
        after=after,
        size=size,
    )


def resources_of(
    session: Session, *, actor: Principal, events: Iterable[AuditEvent]
) -> dict[int, list[uuid.UUID]]:
    """The data resources each of these events used (one query)."""
    actor.require(Permission.AUDIT_READ)
    return repository.resources_of(session, [e.id for e in events])


def count(session: Session, *, actor: Principal, wanted: EventFilter) -> int:
    actor.require(Permission.AUDIT_READ)
    return repository.count_events(session, wanted)


def actor_named(session: Session, *, actor: Principal, username: str) -> repository.Actor | None:
    """The console user with this username, if there is one (the actor filter's label)."""
    actor.require(Permission.AUDIT_READ)
    return repository.actor_by_username(session, username)


def organization_coded(
    session: Session, *, actor: Principal, code: str
) -> repository.OrganizationName | None:
    """The organization with this code (the organization filter's label)."""
    actor.require(Permission.AUDIT_READ)
    return repository.organization_by_code(session, code)


def search_actors(
    session: Session, *, actor: Principal, text: str, limit: int
) -> tuple[int, list[tuple[repository.Actor, str | None]], list[str]]:
    """Who may be picked as an actor: console users by username or name (with their
    organization's name), then the names the platform itself acted under."""
    actor.require(Permission.AUDIT_READ)
    total, users = repository.search_users(session, text, limit)
    systems = repository.search_system_actors(session, text, max(0, limit - len(users)))
    return total + len(systems), list(users), systems


def search_organizations(
    session: Session, *, actor: Principal, text: str, limit: int
) -> tuple[int, list[repository.OrganizationName]]:
    actor.require(Permission.AUDIT_READ)
    return repository.search_organizations(session, text, limit)
