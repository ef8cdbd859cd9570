"""What a process may keep between requests: values derived from tables that rarely change,
kept for as long as those tables did not change.

Each watched table has a row in ``change_stamps`` holding a random number that a trigger
replaces whenever the table is written (migration 0027; on PostgreSQL at the writing
transaction's commit, in one order, so writers do not queue on the stamps: 0029). A
request reads the stamps once (``read``: one small table) and asks a ``Memo`` for what it
derived before under the same stamps; any write to any watched table, in any process,
makes every memo build afresh on its next use. So a call of the gateway reads one table
where it read fifteen, and a consent revoked, an agreement ended or a product delisted
still refuses the very next call.

Rules that keep this safe:

* read the stamps *before* what is derived from them, in the same transaction (what is read
  later is then at least as new as the stamps it is kept under);
* a builder reads only watched tables (``WATCHED``; a test records every statement a
  builder makes and holds it to that list);
* keep only what is the same for everyone who presents the same key: a refusal is not
  kept (its error is raised afresh each time), and what depends on the time goes into the
  key (the day) or is checked on the kept value each call.

With a stamp missing (an emptied database, as a test's cleanup leaves it), or in a
PostgreSQL transaction that wrote a watched table, nothing is kept.
"""

from __future__ import annotations

import threading
import weakref
from collections.abc import Callable, Hashable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any, Final, Generic, TypeVar

from sqlalchemy import URL, text
from sqlalchemy import inspect as sa_inspect
from sqlalchemy.orm import DeclarativeBase, Session

#: The tables migration 0027 stamps; what a memo's builder may read.
WATCHED: Final = frozenset(
    {
        "authorization_scope",
        "authorization_versions",
        "authorizations",
        "catalog_entries",
        "catalog_fields",
        "catalog_resources",
        "consents",
        "dataset_versions",
        "gateway_signing_secrets",
        "gateway_subscriptions",
        "price_caps",
        "products",
        "registrations",
        "sandbox_workspaces",
    }
)
#: A memo forgets everything past this many keys (a bound on memory, not a tuning knob).
MAX_KEYS: Final = 10_000

_memos: weakref.WeakSet[Memo[Any, Any]] = weakref.WeakSet()
_building: ContextVar[str | None] = ContextVar("change_stamps_building", default=None)
_READ = text("SELECT name, stamp, '' FROM change_stamps")
#: PostgreSQL stamps at commit (migration 0029); what this transaction wrote is noted here.
_READ_POSTGRESQL = text(
    "SELECT name, stamp, coalesce(current_setting('sluice.touched', true), '') FROM change_stamps"
)

K = TypeVar("K", bound=Hashable)
V = TypeVar("V")
R = TypeVar("R", bound=DeclarativeBase)


@dataclass(frozen=True)
class Stamps:
    """The watched tables' stamps as one request read them, in one database."""

    database: URL
    values: tuple[tuple[str, int], ...]


def read(session: Session) -> Stamps | None:
    """The stamps now, or ``None`` when one is missing or, on PostgreSQL, when this
    transaction wrote a watched table (its stamp changes only at commit, so what this
    transaction reads now must not be kept under the stamps from before): keep nothing."""
    engine = session.get_bind().engine
    statement = _READ_POSTGRESQL if engine.dialect.name == "postgresql" else _READ
    rows = session.execute(statement).all()
    if len(rows) < len(WATCHED) or any(touched for _, _, touched in rows):
        return None
    return Stamps(engine.url, tuple(sorted((str(name), int(stamp)) for name, stamp, _ in rows)))


def detached(row: R) -> R:
    """A copy of an ORM row's columns in an object of no session, to keep in a memo: the
    row itself would be expired by its session's next rollback, and then unreadable."""
    mapper = sa_inspect(type(row))
    return type(row)(**{c.key: getattr(row, c.key) for c in mapper.column_attrs})


def building() -> str | None:
    """The memo whose builder is running in this context, or ``None`` (for tests)."""
    return _building.get()


@contextmanager
def _marking(name: str) -> Iterator[None]:
    token = _building.set(name)
    try:
        yield
    finally:
        _building.reset(token)


class Memo(Generic[K, V]):
    """Values by key, kept while the stamps they were built under hold."""

    def __init__(self, name: str) -> None:
        self.name = name
        self._lock = threading.Lock()
        self._stamps: Stamps | None = None
        self._values: dict[K, V] = {}
        _memos.add(self)

    def get(self, stamps: Stamps | None, key: K, build: Callable[[], V]) -> V:
        if stamps is None:
            with _marking(self.name):
                return build()
        with self._lock:
            if stamps != self._stamps or len(self._values) >= MAX_KEYS:
                self._stamps, self._values = stamps, {}
            # The dictionary of these stamps: a builder that ran under older stamps while
            # another thread moved on stores into the old one, never into the new.
            values = self._values
        if key in values:
            return values[key]
        with _marking(self.name):
            built = build()
        values[key] = built
        return built

    def clear(self) -> None:
        with self._lock:
            self._stamps, self._values = None, {}


def forget_all() -> None:
    """Every memo forgets what it kept (for tests that watch what a builder reads)."""
    for memo in list(_memos):
        memo.clear()


__all__ = ["MAX_KEYS", "WATCHED", "Memo", "Stamps", "building", "detached", "forget_all", "read"]
