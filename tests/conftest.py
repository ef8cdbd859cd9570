"""Test fixtures: each database test runs on SQLite and on PostgreSQL, schemas built by
the migrations. Set SLUICE_STRICT_TESTS=1 (CI does) and nothing may be skipped."""

from __future__ import annotations

import contextlib
import gc
import shutil
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Final

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import Connection, create_engine, text

import sluice.models  # noqa: F401  (every table in Base.metadata, for emptying them in order)
from sluice.catalog import index as catalog_index
from sluice.core.change_stamps import WATCHED
from sluice.core.clock import SHANGHAI, FixedClock
from sluice.core.database import Base, Database
from sluice.core.migrate import upgrade
from sluice.core.settings import Settings
from sluice.identity import passwords
from sluice.web.app import create_app
from tests.infrastructure import CHEAP_HASHER, MISSING, PG_URL, skip_or_fail


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """``@pytest.mark.rendering`` tests run on SQLite only: their subject is a layout (a PDF,
    a page) drawn from data that the module's other tests read on both databases. Running
    them twice would prove nothing more and cost the suite its time limit."""
    dropped = [
        item
        for item in items
        if item.get_closest_marker("rendering") and "[postgresql" in item.nodeid
    ]
    if dropped:
        config.hook.pytest_deselected(items=dropped)
        items[:] = [item for item in items if item not in dropped]


def pytest_collection_finish(session: pytest.Session) -> None:
    """Collect once, then freeze what collection built (the package, its libraries, the
    test modules: some half a million objects) out of the cycle collector's walks.

    A full collection walks every tracked object: with all of them in it each took about
    0.2 s, and the default thresholds ran one every few tests, a fifth of the suite's time.
    Frozen, the imported objects are never walked again, and the larger thresholds run the
    collector less often. What a test makes is still collected, only less often.
    """
    gc.collect()
    gc.freeze()
    gc.set_threshold(20_000, 10, 100)


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    reasons = set()
    for report in terminalreporter.stats.get("skipped", []):
        longrepr = getattr(report, "longrepr", None)
        message = longrepr[2] if isinstance(longrepr, tuple) else str(longrepr or "")
        if MISSING in message:
            reasons.add(message.split(MISSING, 1)[1])
    if reasons:
        terminalreporter.write_sep("!", "PARTS OF THE SUITE DID NOT RUN", red=True, bold=True)
        for reason in sorted(reasons):
            terminalreporter.write_line(f"  SKIPPED: {reason}", red=True)


@pytest.fixture(scope="session", autouse=True)
def cheap_password_hashing() -> Iterator[None]:
    """argon2id at its cheapest (``CHEAP_HASHER``); `tests/identity/test_passwords.py` keeps
    the production parameters."""
    passwords.use_hasher(CHEAP_HASHER)
    yield
    passwords.use_hasher(passwords.PRODUCTION)


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("template") / "sluice.db"
    engine = create_engine(f"sqlite:///{path}")
    upgrade(engine)
    engine.dispose()
    return path


@dataclass(frozen=True)
class PostgresSchema:
    url: str | None
    schema: str
    problem: str | None


@pytest.fixture(scope="session")
def postgres() -> Iterator[PostgresSchema]:
    """A schema of this run's own in the test database, built by the migrations.

    Its own schema lets two runs (a developer's and CI's) share one PostgreSQL safely.
    """
    schema = f"run_{uuid.uuid4().hex[:12]}"
    separator = "&" if "?" in PG_URL else "?"
    # Test data need not survive a crash: commits do not wait for the WAL to reach the disk.
    url = f"{PG_URL}{separator}options=-csearch_path%3D{schema}%20-csynchronous_commit%3Doff"
    admin = create_engine(PG_URL)
    try:
        with admin.begin() as connection:
            connection.execute(text(f'CREATE SCHEMA "{schema}"'))
        engine = create_engine(url)
        upgrade(engine)
        engine.dispose()
    except Exception as error:  # any connection failure means: no PostgreSQL here
        admin.dispose()
        yield PostgresSchema(None, schema, f"PostgreSQL unreachable at {PG_URL}: {error!r:.200}")
        return
    yield PostgresSchema(url, schema, None)
    shared = _worker_databases.pop(url, None)
    if shared is not None:
        shared.dispose()
    with admin.begin() as connection:
        connection.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
    admin.dispose()


#: Tables whose rows no statement may change or delete (triggers refuse it).
APPEND_ONLY: Final = (
    "audit_event_resources",
    "audit_events",
    "audit_leaves",
    "audit_tree_nodes",
    "audit_tree_heads",
)


def _truncate_all(database: Database, schema: str) -> None:
    """Empty every table for the next test, children first.

    DELETE, not TRUNCATE: TRUNCATE gives a table a new file, 5-10 ms a table, which over a
    thousand PostgreSQL tests cost the suite minutes. Only the tables that hold rows are
    emptied (one query finds them), in one round trip. Sequences a test used start again,
    as TRUNCATE ... RESTART IDENTITY did. The change stamps stay (each emptied table gets a
    new one), as a database in use never loses them.
    """
    known = [table.name for table in reversed(Base.metadata.sorted_tables)]
    with database.engine.begin() as connection:
        present = set(
            connection.execute(
                text(
                    "SELECT tablename FROM pg_tables WHERE schemaname = :schema "
                    "AND tablename NOT IN ('alembic_version', 'change_stamps')"
                ),
                {"schema": schema},
            ).scalars()
        )
        ordered = [t for t in known if t in present] + sorted(present - set(known))
        probes = [f"SELECT '{t}' WHERE EXISTS (SELECT 1 FROM \"{t}\")" for t in ordered]  # noqa: S608
        filled = (
            set(connection.execute(text(" UNION ALL ".join(probes))).scalars()) if probes else set()
        )
        deletes = [f'DELETE FROM "{t}"' for t in ordered if t in filled]  # noqa: S608
        if deletes:
            connection.exec_driver_sql("; ".join(_without_triggers(connection, filled, deletes)))
        used = connection.execute(
            text(
                "SELECT sequencename FROM pg_sequences "
                "WHERE schemaname = :schema AND last_value IS NOT NULL"
            ),
            {"schema": schema},
        ).scalars()
        restarts = [f'ALTER SEQUENCE "{sequence}" RESTART' for sequence in used]
        if restarts:
            connection.exec_driver_sql("; ".join(restarts))


def _without_triggers(connection: Connection, filled: set[str], deletes: list[str]) -> list[str]:
    """``deletes`` with the triggers that would refuse or slow them off.

    A superuser (the suite's usual PostgreSQL) turns every trigger of the transaction off
    with replica mode: the append-only tables' refusals, the foreign keys' checks (children
    go first anyway) and the change stamps, which the emptied watched tables then get here
    as their triggers would have given them. Another owner of the schema turns off the
    append-only tables' own triggers (ALTER TABLE, slower: it is DDL) and on again before
    the transaction commits."""
    if not _superuser(connection):
        guarded = [t for t in APPEND_ONLY if t in filled]
        return [
            *(f'ALTER TABLE "{t}" DISABLE TRIGGER USER' for t in guarded),
            *deletes,
            *(f'ALTER TABLE "{t}" ENABLE TRIGGER USER' for t in guarded),
        ]
    statements = ["SET LOCAL session_replication_role = replica", *deletes]
    stamped = sorted(filled & WATCHED)
    if stamped:
        names = ", ".join(f"'{t}'" for t in stamped)
        statements.append(
            # Table names from the catalog, not from a caller.
            f"UPDATE change_stamps SET stamp = floor(random() * 9.2e18)::bigint WHERE name IN ({names})"  # noqa: E501, S608
        )
    return [*statements, "SET LOCAL session_replication_role = origin"]


_superusers: dict[str, bool] = {}


def _superuser(connection: Connection) -> bool:
    """Whether the suite connects as a superuser: asked once per database URL."""
    url = connection.engine.url.render_as_string()
    if url not in _superusers:
        _superusers[url] = bool(
            connection.execute(
                text("SELECT rolsuper FROM pg_roles WHERE rolname = current_user")
            ).scalar()
        )
    return _superusers[url]


_worker_databases: dict[str, Database] = {}


def _worker_database(postgres: PostgresSchema) -> Database:
    """This worker's schema behind one engine for every test: its connections stay open
    between tests, so PostgreSQL does not start a server process (and read its catalogs
    afresh) for each test, which cost every test tens of milliseconds. Each test still
    starts from emptied tables (``_truncate_all``)."""
    if postgres.problem or postgres.url is None:
        skip_or_fail(postgres.problem or "PostgreSQL unavailable")
    assert postgres.url is not None
    found = _worker_databases.get(postgres.url)
    if found is None:
        found = _worker_databases[postgres.url] = Database(postgres.url)
    return found


@contextlib.contextmanager
def module_database(
    request: pytest.FixtureRequest, root: Path, sqlite_template: Path
) -> Iterator[Database]:
    """A database for a module-scoped world, on the fixture's ``request.param``: on SQLite a
    copy of the migrated template under ``root``; on PostgreSQL this worker's schema, emptied
    again when the module is done, as the ``database`` fixture does after each test."""
    schema: str | None = None
    if request.param == "sqlite":
        path = root / "sluice.db"
        shutil.copy(sqlite_template, path)
        database = Database(f"sqlite:///{path}")
    else:
        postgres: PostgresSchema = request.getfixturevalue("postgres")
        database = _worker_database(postgres)
        schema = postgres.schema
    try:
        yield database
    finally:
        if schema is not None:
            _truncate_all(database, schema)
            catalog_index.reset()
        else:
            database.dispose()


@pytest.fixture(params=["sqlite", "postgresql"])
def database(
    request: pytest.FixtureRequest, tmp_path: Path, sqlite_template: Path
) -> Iterator[Database]:
    if request.param == "sqlite":
        path = tmp_path / "sluice.db"
        shutil.copy(sqlite_template, path)
        db = Database(f"sqlite:///{path}")
        yield db
        db.dispose()
        return
    postgres: PostgresSchema = request.getfixturevalue("postgres")
    db = _worker_database(postgres)
    try:
        yield db
    finally:
        _truncate_all(db, postgres.schema)
        catalog_index.reset()  # the emptied database must not meet yesterday's index


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock(datetime(2026, 11, 26, 10, 0, tzinfo=SHANGHAI))


@pytest.fixture
def settings(tmp_path: Path, database: Database) -> Settings:
    return Settings(home=tmp_path / "var", database_url=database.url)


@pytest.fixture
def app(settings: Settings, database: Database, clock: FixedClock) -> FastAPI:
    return create_app(settings, database=database, clock=clock)


@pytest.fixture
def client(app: FastAPI) -> Iterator[TestClient]:
    with TestClient(app, base_url="http://127.0.0.1") as test_client:
        yield test_client


# The shared demo city (its module imports nothing from here, so no import circle).
from tests.demo_city import demo, demo_postgresql, demo_sqlite  # noqa: E402, F401
