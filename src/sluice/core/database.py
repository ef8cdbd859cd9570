"""The control-plane database: typed models, engines, one unit of work per request.

SQLite (WAL) is the embedded default, PostgreSQL the production database; the schema is
only ever built by the Alembic migrations, on both.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Final

from sqlalchemy import DateTime, Engine, MetaData, Uuid, create_engine, event
from sqlalchemy.orm import DeclarativeBase, Mapped, Session, mapped_column, sessionmaker
from sqlalchemy.types import TypeDecorator

from sluice.core.errors import SluiceError

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class UTCDateTime(TypeDecorator[datetime]):
    """Timezone-aware UTC in storage on every backend (SQLite forgets the zone)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetimes are not stored; pass an aware datetime")
        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)
    type_annotation_map = {datetime: UTCDateTime(), uuid.UUID: Uuid()}  # noqa: RUF012


class UUIDPrimaryKey:
    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)


#: Connections a pool keeps open when no size is given (``Settings.database_pool_size``).
DEFAULT_POOL_SIZE: Final = 16
#: Connections a pool may open beyond its size for a moment, and close again: for what
#: runs beside the admitted requests (background jobs, the gateway's writer, a key's
#: last-use stamp in its own transaction, an upload's session check at the edge).
#: Requests themselves stay within the size (``web.admission``); one waits on the pool
#: only while more than this many of those others run at once.
POOL_OVERFLOW: Final = 10


def make_engine(url: str, *, pool_size: int = DEFAULT_POOL_SIZE) -> Engine:
    # Last in, first out: the connection just given back is taken again, with its warm
    # statement and page caches; the rest of the kept ones stay idle until a burst needs
    # them. First in, first out rotated every call through every connection ever opened.
    pooling: dict[str, Any] = {
        "pool_size": pool_size,
        "max_overflow": POOL_OVERFLOW,
        "pool_use_lifo": True,
    }
    if url.startswith("sqlite"):
        path = url.split("///", 1)[-1]
        in_memory = not path or path == ":memory:"
        if not in_memory:
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(
            url,
            connect_args={"check_same_thread": False},
            **({} if in_memory else pooling),  # one connection is the whole database
        )
        event.listen(engine, "connect", _sqlite_pragmas)
        return engine
    return create_engine(url, pool_pre_ping=True, **pooling)


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    # WAL: ~20x more commits/s than the rollback journal, and readers never block the writer.
    cursor.execute("PRAGMA journal_mode=WAL")
    # In WAL mode NORMAL syncs at checkpoints, not at every commit: a crash of the process
    # loses nothing and nothing is ever corrupted; only an OS crash or a power cut may undo
    # the last commits before the next checkpoint. FULL cost every gateway call an fsync.
    # The production database is PostgreSQL (docs/operations.md).
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    # One writer at a time: under the gateway's load (two workers, dozens of calls at once)
    # a call may queue behind many others' commits; it waits rather than failing with 500.
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.close()


def undo_keeping_refusal(session: Session, error: SluiceError) -> None:
    """Roll back what the request did, then replay the writes its refusal keeps (see
    ``SluiceError.keep``). The caller commits: the unit of work when the refusal leaves the
    request, a page handler that shows the refusal on the form it re-renders."""
    session.rollback()
    for write in error.kept:
        write(session)
    session.flush()


class Database:
    """An engine and its session factory. The caller of ``unit_of_work`` owns the commit."""

    def __init__(self, url: str, *, pool_size: int = DEFAULT_POOL_SIZE) -> None:
        self.url = url
        #: Connections the pool keeps; requests served at once stay within it (admission).
        self.pool_size = pool_size
        self.engine = make_engine(url, pool_size=pool_size)
        self.sessions = sessionmaker(self.engine, expire_on_commit=False)

    @contextmanager
    def unit_of_work(self) -> Iterator[Session]:
        """One transaction: everything inside commits together or not at all."""
        with self.sessions() as session:
            try:
                yield session
                session.commit()
            except SluiceError as error:
                undo_keeping_refusal(session, error)
                if error.keeps_changes:
                    session.commit()
                raise
            except BaseException:
                session.rollback()
                raise

    def dispose(self) -> None:
        self.engine.dispose()
