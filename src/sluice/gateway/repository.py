"""Every query of the gateway, scoped to the acting principal in one place.

Who sees what (``_seen``): a buyer its own organization's subscriptions, calls, metering and
downloads; the bureau's side all of them; anyone else nothing (404). The hot path of a call
(subscription, signing secret, nonce, counters, the call's rows) is a handful of indexed
statements; the counters are the one thing it locks (see ``quotas`` and ``begin_batch``).
"""

from __future__ import annotations

import uuid
import zlib
from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime
from typing import Any, Final, cast

from sqlalchemy import (
    ColumnElement,
    Select,
    case,
    delete,
    false,
    func,
    insert,
    select,
    text,
    true,
    update,
)
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import InstrumentedAttribute, Session

from sluice.core.paging import ListQuery, Page, contains, paginate
from sluice.core.permissions import Role
from sluice.core.principal import Principal
from sluice.gateway.models import (
    Call,
    Counter,
    Download,
    MeteredEvent,
    Nonce,
    SigningSecret,
    Subscription,
)
from sluice.gateway.states import ACTIVE
from sluice.identity.models import Organization

SUBSCRIPTION_SORTS: Final = ("subscribed", "product", "status")
CALL_SORTS: Final = ("at", "product", "outcome", "latency")


def _seen(actor: Principal, buyer: InstrumentedAttribute[uuid.UUID]) -> ColumnElement[bool]:
    if actor.is_system or Role.BUREAU in actor.roles:
        return true()
    if Role.BUYER in actor.roles and actor.organization_id is not None:
        return buyer == actor.organization_id
    return false()


def _uuid(value: str | None) -> uuid.UUID | None:
    try:
        return uuid.UUID(value) if value else None
    except ValueError:
        return None


# -- subscriptions --------------------------------------------------------------------------


def active_subscription(
    session: Session, *, buyer_id: uuid.UUID, product_id: uuid.UUID
) -> Subscription | None:
    return session.scalar(
        select(Subscription).where(
            Subscription.buyer_id == buyer_id,
            Subscription.product_id == product_id,
            Subscription.status == ACTIVE,
        )
    )


def subscription(
    session: Session, actor: Principal, subscription_id: uuid.UUID
) -> Subscription | None:
    return session.scalar(
        select(Subscription).where(
            Subscription.id == subscription_id, _seen(actor, Subscription.buyer_id)
        )
    )


def subscriptions(
    session: Session, actor: Principal, *, status: str | None = None
) -> list[Subscription]:
    statement = select(Subscription).where(_seen(actor, Subscription.buyer_id))
    if status:
        statement = statement.where(Subscription.status == status)
    return list(
        session.scalars(statement.order_by(Subscription.subscribed_at.desc(), Subscription.id))
    )


def subscription_page(
    session: Session, actor: Principal, query: ListQuery
) -> Page[tuple[Subscription, str]]:
    """Subscriptions the actor sees, with the buyer's name. Search: product code, buyer.
    Filter ``status``."""
    statement = cast(
        "Select[Any]",
        select(Subscription, Organization.name)
        .join(Organization, Organization.id == Subscription.buyer_id)
        .where(_seen(actor, Subscription.buyer_id)),
    )
    if status := query.filter("status"):
        statement = statement.where(Subscription.status == status)
    if query.q:
        statement = statement.where(contains(query.q, Subscription.product_code, Organization.name))
    page = paginate(
        session,
        statement,
        query,
        sorts={
            "subscribed": Subscription.subscribed_at,
            "product": Subscription.product_code,
            "status": Subscription.status,
        },
        default="-subscribed",
        tiebreak=Subscription.id,
        scalars=False,
    )
    return Page([(row[0], row[1]) for row in page.items], page.total, page.query)


def active_of_chain(session: Session, owner_id: uuid.UUID) -> list[Subscription]:
    """Active subscriptions to products of one agreement chain (its first agreement)."""
    return list(
        session.scalars(
            select(Subscription)
            .where(Subscription.owner_id == owner_id, Subscription.status == ACTIVE)
            .order_by(Subscription.subscribed_at, Subscription.id)
        )
    )


def active_count(session: Session, actor: Principal) -> int:
    return int(
        session.scalar(
            select(func.count(Subscription.id)).where(
                Subscription.status == ACTIVE, _seen(actor, Subscription.buyer_id)
            )
        )
        or 0
    )


# -- signing secrets and nonces -------------------------------------------------------------


def signing_secret(session: Session, api_key_id: uuid.UUID) -> bytes | None:
    found = session.scalar(
        select(SigningSecret.sealed).where(SigningSecret.api_key_id == api_key_id)
    )
    return bytes(found) if found is not None else None


def signing_secrets(
    session: Session, api_key_ids: Sequence[uuid.UUID]
) -> dict[uuid.UUID, SigningSecret]:
    if not api_key_ids:
        return {}
    rows = session.scalars(select(SigningSecret).where(SigningSecret.api_key_id.in_(api_key_ids)))
    return {row.api_key_id: row for row in rows}


def replace_signing_secret(session: Session, row: SigningSecret) -> None:
    delete_signing_secret(session, row.api_key_id)
    session.add(row)
    session.flush()


def delete_signing_secret(session: Session, api_key_id: uuid.UUID) -> bool:
    result = session.execute(
        delete(SigningSecret)
        .where(SigningSecret.api_key_id == api_key_id)
        .execution_options(synchronize_session=False)
    )
    return bool(cast("Any", result).rowcount)


def _insert(session: Session) -> Any:
    return _insert_for(session.get_bind().dialect.name)


def _insert_for(dialect: str) -> Any:
    """The dialect's INSERT, which knows ``ON CONFLICT``."""
    return postgresql.insert if dialect == "postgresql" else sqlite.insert


def remember_nonce(
    session: Session, *, api_key_id: uuid.UUID, nonce: str, expires_at: datetime
) -> bool:
    """Keep the nonce; False if the key already used it (on any worker: the primary key
    decides, and a concurrent first use is waited for)."""
    statement = (
        _insert(session)(Nonce)
        .values(api_key_id=api_key_id, nonce=nonce, expires_at=expires_at)
        .on_conflict_do_nothing()
        .returning(Nonce.nonce)
    )
    return session.execute(statement).first() is not None


def sweep_nonces(session: Session, *, before: datetime) -> None:
    """Forget nonces whose timestamps can no longer be accepted anyway."""
    session.execute(
        delete(Nonce).where(Nonce.expires_at < before).execution_options(synchronize_session=False)
    )


# -- counters -------------------------------------------------------------------------------

#: The first key of the PostgreSQL advisory locks that stand for counters (the second is a
#: 32-bit hash of the scope); the two-key form never meets the audit sequencer's one-key lock.
COUNTER_LOCKS: Final = 0x5C0C
_LOCK_IN_ORDER: Final = text(
    "SELECT pg_advisory_xact_lock(:space, k) FROM unnest(CAST(:keys AS integer[])) AS k"
)
_BATCH_TIMEOUTS: Final = text(
    "SELECT set_config('lock_timeout', :lock, true), "
    "set_config('statement_timeout', :statement, true)"
)


def begin_batch(
    session: Session, scopes: Iterable[str], *, lock_timeout_ms: int, statement_timeout_ms: int
) -> None:
    """Start a writer's transaction (``settlement``) on PostgreSQL: bound how long it may wait
    for a lock and run a statement, then take the locks standing for every counter it will
    count, in one global order, before it counts any. Each call counts its own scopes in
    sorted order, but a batch counts call after call, so two batches naming the same scopes
    in crossed order would each hold one row the other waits for (a deadlock that fails
    both batches); locked up front in one order, the second simply waits for the first.
    SQLite has one writer lock for the whole database and needs none of this."""
    if session.get_bind().dialect.name != "postgresql":
        return
    session.execute(
        _BATCH_TIMEOUTS,
        {"lock": f"{lock_timeout_ms}ms", "statement": f"{statement_timeout_ms}ms"},
    )
    # unnest yields the array's elements in order, and each row's lock is taken as it comes.
    keys = sorted({_lock_key(scope) for scope in scopes})
    if keys:
        session.execute(_LOCK_IN_ORDER, {"space": COUNTER_LOCKS, "keys": keys})


def _lock_key(scope: str) -> int:
    """A scope's lock: a signed 32-bit hash (two scopes sharing one only wait on each other)."""
    unsigned = zlib.crc32(scope.encode())
    return unsigned - 2**32 if unsigned >= 2**31 else unsigned


def counters(session: Session, scopes: Sequence[str]) -> dict[str, tuple[datetime, int]]:
    rows = session.execute(
        select(Counter.scope, Counter.window_start, Counter.used).where(Counter.scope.in_(scopes))
    )
    return {scope: (start, used) for scope, start, used in rows}


def count(session: Session, rows: Sequence[tuple[str, datetime, int]]) -> dict[str, int]:
    """Count one call against each ``(scope, window start, limit)``, one upsert a scope in
    the scopes' sorted order (two calls never wait on each other crosswise); the scopes it
    fitted, with their new counts (see ``quotas`` for why this cannot overshoot). One
    statement, built once and run a row at a time on the session's connection: SQLAlchemy
    keeps no compiled form of a multi-row INSERT, and building and compiling it again for
    every call cost more than the round trips."""
    connection = session.connection()
    statement = _count_statement(connection.dialect.name)
    counted: dict[str, int] = {}
    for scope, start, limit in sorted(rows):
        used = connection.execute(
            statement, {"scope": scope, "window_start": start, "used": 1, "limit_value": limit}
        ).scalar()
        if used is not None:
            counted[scope] = int(used)
    return counted


_COUNTS: dict[str, Any] = {}


def _count_statement(dialect: str) -> Any:
    if dialect not in _COUNTS:
        statement = _insert_for(dialect)(Counter)
        excluded = statement.excluded
        newer = Counter.window_start < excluded.window_start
        _COUNTS[dialect] = statement.on_conflict_do_update(
            index_elements=[Counter.scope],
            set_={
                "used": case((newer, 1), else_=Counter.used + 1),
                "window_start": case((newer, excluded.window_start), else_=Counter.window_start),
                "limit_value": excluded.limit_value,
            },
            where=newer | (Counter.used < excluded.limit_value),
        ).returning(Counter.used)
    return _COUNTS[dialect]


# -- the call's rows ------------------------------------------------------------------------


def uncount(session: Session, scopes: Sequence[str]) -> None:
    """Take back one call counted against each of ``scopes`` (a call refused by another of
    its limits, in a transaction that goes on: ``gateway.settlement``)."""
    if scopes:
        session.execute(
            update(Counter)
            .where(Counter.scope.in_(sorted(scopes)))
            .values(used=Counter.used - 1)
            .execution_options(synchronize_session=False)
        )


_CALL_ROW: Final = insert(Call)
_METERED_ROW: Final = insert(MeteredEvent)


def add_call(session: Session, values: Mapping[str, Any]) -> None:
    # On the session's connection, one statement built once: the call's hot path.
    session.connection().execute(_CALL_ROW, dict(values))


def add_metered(session: Session, values: Mapping[str, Any]) -> None:
    session.connection().execute(_METERED_ROW, {"id": uuid.uuid4(), **values})


def add_download(session: Session, values: Mapping[str, Any]) -> None:
    session.execute(insert(Download).values(**values))


# -- reading calls and metering -------------------------------------------------------------


def call_page(
    session: Session, actor: Principal, query: ListQuery
) -> Page[tuple[Call, str, MeteredEvent | None]]:
    """Calls the actor sees, newest first, with the buyer's name and the call's metered
    event. Search: product code, purpose, buyer. Filters ``outcome`` (``answered`` or
    ``refused``), ``product`` (a code), ``kind``, ``buyer`` (an organization id)."""
    statement = cast(
        "Select[Any]",
        select(Call, Organization.name, MeteredEvent)
        .join(Organization, Organization.id == Call.buyer_id)
        .outerjoin(MeteredEvent, MeteredEvent.call_id == Call.id)
        .where(_seen(actor, Call.buyer_id)),
    )
    outcome = query.filter("outcome")
    if outcome == "answered":
        statement = statement.where(Call.outcome == "answered")
    elif outcome == "refused":
        statement = statement.where(Call.outcome != "answered")
    elif outcome:
        statement = statement.where(Call.outcome == outcome)
    if product := query.filter("product"):
        statement = statement.where(Call.product_code == product)
    if kind := query.filter("kind"):
        statement = statement.where(Call.kind == kind)
    if (buyer := query.filter("buyer")) is not None:
        statement = statement.where(Call.buyer_id == _uuid(buyer))
    if query.q:
        statement = statement.where(
            contains(query.q, Call.product_code, Call.purpose, Organization.name)
        )
    page = paginate(
        session,
        statement,
        query,
        sorts={
            "at": Call.at,
            "product": Call.product_code,
            "outcome": Call.outcome,
            "latency": Call.latency_ms,
        },
        default="-at",
        tiebreak=Call.id,
        scalars=False,
    )
    return Page([(row[0], row[1], row[2]) for row in page.items], page.total, page.query)


def metering_totals(
    session: Session, actor: Principal, *, since: datetime, until: datetime
) -> list[tuple[uuid.UUID, uuid.UUID, str, int, int, int]]:
    """Metered events the actor sees from ``since`` to before ``until``, totalled per
    product and buyer: (product, buyer, buyer's name, events, quantity, amount in fen)."""
    rows = session.execute(
        select(
            MeteredEvent.product_id,
            MeteredEvent.buyer_id,
            Organization.name,
            func.count(MeteredEvent.id),
            func.coalesce(func.sum(MeteredEvent.quantity), 0),
            func.coalesce(func.sum(MeteredEvent.amount_fen), 0),
        )
        .join(Organization, Organization.id == MeteredEvent.buyer_id)
        .where(
            _seen(actor, MeteredEvent.buyer_id),
            MeteredEvent.at >= since,
            MeteredEvent.at < until,
        )
        .group_by(MeteredEvent.product_id, MeteredEvent.buyer_id, Organization.name)
        .order_by(func.sum(MeteredEvent.amount_fen).desc(), Organization.name)
    )
    return [(p, b, n, int(e), int(q), int(a)) for p, b, n, e, q, a in rows]


def calls_since(session: Session, actor: Principal, *, since: datetime) -> tuple[int, int]:
    """How many calls the actor sees since ``since``, and how many of them were refused."""
    found = session.execute(
        select(
            func.count(Call.id),
            func.coalesce(func.sum(case((Call.outcome != "answered", 1), else_=0)), 0),
        ).where(_seen(actor, Call.buyer_id), Call.at >= since)
    ).one()
    return int(found[0]), int(found[1])


# -- downloads ------------------------------------------------------------------------------


def download_candidates(
    session: Session, *, product_id: uuid.UUID | None
) -> list[tuple[uuid.UUID, str]]:
    """Every download's id and fingerprint seed (of one product, if named)."""
    statement = select(Download.id, Download.seed_hex)
    if product_id is not None:
        statement = statement.where(Download.product_id == product_id)
    return [(row[0], row[1]) for row in session.execute(statement.order_by(Download.at))]


def download(session: Session, download_id: uuid.UUID) -> tuple[Download, Organization] | None:
    found = session.execute(
        select(Download, Organization)
        .join(Organization, Organization.id == Download.buyer_id)
        .where(Download.id == download_id)
    ).first()
    return (found[0], found[1]) if found is not None else None
