"""The engine that runs a workspace's validated queries: DuckDB, locked, one database each.

Changes to the agreed interface (additive): ``QueryFailed`` (422, ``query_failed``) is
raised when the engine itself refuses or fails a query the policy passed (a conversion
error, a file outside the allowed directories, a statement that is not one SELECT); its
message names only the kind of failure, never the engine's text, because engine errors
can quote the data (``Could not convert string '<a row's value>'``). ``QueryTooLarge``
also covers a result of more than ``MAX_RESULT_CHARACTERS`` of text. ``engine.close()``
interrupts the workspace's running queries (they answer ``query_failed``) and drops it from
the cache, as ``close_workspace`` does. ``run`` blocks its thread until the query ends:
call it from a plain ``def`` route (FastAPI's thread pool) or through
``run_in_threadpool``, never on the event loop. The interface's shapes and errors, the
JSON-safe values, the engine cache and the watchdog live in ``sandbox_shared`` (so that
``spark_engine`` needs nothing of this module) and are re-exported here.

The guard decides what a query may do (``guard.query_policy``); this module makes sure the
engine could not do more even if the guard were wrong. Each workspace gets an in-memory
DuckDB database of its own, built once and reused while its views stay the same:

1. one view per dataset version, ``CREATE VIEW <name> AS SELECT * FROM read_parquet(
   '<version dir>/*.parquet')``;
2. then locked: ``allowed_directories`` exactly those version directories (each a leaf
   holding Parquet, checked here; ``engine_for`` also checks they lie in the data zone and
   nowhere near sources, raw uploads, quarantine, keys, evidence, uploads or derived
   data), ``enable_external_access = false`` (no other file, no network, no ATTACH, no
   extension installs), no extension autoloading or community extensions, no Python
   replacement scans, no temporary directory (intermediates never spill plaintext to
   disk, and DuckDB would add a temporary directory to the allowed ones: a query that
   needs more than ``memory_mb`` stops instead), ``memory_limit``,
   ``threads``, ``max_execution_time``, and finally ``lock_configuration = true`` so no
   ``SET``, ``RESET`` or ``PRAGMA`` can change any of it;
3. each query runs on a cursor of its own, after DuckDB's own parser confirms it is one
   SELECT (``COPY … TO`` may write inside an allowed directory, so it must never run);
   an alarm (one watchdog thread for all queries) interrupts the cursor at the time
   limit, so execution and fetching both end within it; only the caller's thread waits
   (DuckDB releases the GIL: other requests, and other queries of the same workspace,
   go on).

Rows come back JSON-safe (dates and times as ISO strings, decimals as strings, NaN and
infinities as null, bytes as base64, intervals as ISO 8601 durations), at most
``max_rows`` of them with ``truncated`` set when more exist.
"""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

import duckdb

from sluice.dataplane.sandbox_shared import (
    MAX_RESULT_CHARACTERS,
    WATCHDOG,
    Alarm,
    EngineLimits,
    QueryFailed,
    QueryResult,
    QueryTimeout,
    QueryTooLarge,
    ViewSource,
    WorkspaceEngine,
    cached_engine,
    checked_directory,
    close_workspace,
    elapsed_ms,
    forget_engine,
    json_rows,
    json_safe,
)

if TYPE_CHECKING:
    from sluice.core.settings import Settings

__all__ = [
    "MAX_RESULT_CHARACTERS",
    "DuckDBWorkspace",
    "EngineLimits",
    "QueryFailed",
    "QueryResult",
    "QueryTimeout",
    "QueryTooLarge",
    "ViewSource",
    "WorkspaceEngine",
    "close_workspace",
    "duckdb_engine",
    "engine_for",
    "json_safe",
    "limits_of",
]


def _forbidden_roots(settings: Settings) -> tuple[Path, ...]:
    home = settings.home
    return tuple(
        p.resolve()
        for p in (
            home / "sources",
            home / "raw",
            home / "quarantine",
            home / "evidence",
            home / "uploads",
            settings.keys_path,
            settings.data_dir / "authorizations",
        )
    )


def check_in_data_zone(settings: Settings, views: Sequence[ViewSource]) -> None:
    zone = settings.data_dir.resolve()
    forbidden = _forbidden_roots(settings)
    for view in views:
        directory = view.directory.resolve()
        if not directory.is_relative_to(zone) or directory == zone:
            raise ValueError(f"view {view.name}: {directory} is outside the data zone {zone}")
        for root in forbidden:
            if directory.is_relative_to(root) or root.is_relative_to(directory):
                raise ValueError(f"view {view.name}: {directory} overlaps {root}")


# --- DuckDB --------------------------------------------------------------------------------


def _sql_text(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


def _sql_list(values: Sequence[str]) -> str:
    return "[" + ", ".join(_sql_text(v) for v in values) + "]"


def _failed(error: duckdb.Error) -> QueryFailed:
    """DuckDB's error as the refusal a user sees: its kind, never its text (which may quote
    paths or values)."""
    return QueryFailed(kind=type(error).__name__.removesuffix("Exception"))


class DuckDBWorkspace:
    """A workspace's locked in-memory DuckDB database and its views."""

    def __init__(
        self,
        key: str,
        views: Sequence[ViewSource],
        limits: EngineLimits,
        *,
        table_rows: int = 0,
    ) -> None:
        self.key = key
        self.limits = limits
        self._table_rows = table_rows
        directories = {view.name: checked_directory(view) for view in views}
        if len(directories) != len(views):
            raise ValueError("two views share a name")
        self._lock = threading.Lock()
        self._running: set[duckdb.DuckDBPyConnection] = set()
        self._closing = False
        self._closed = False
        self._database = duckdb.connect(
            ":memory:",
            config={
                "threads": limits.threads,
                "memory_limit": f"{limits.memory_mb}MB",
                "temp_directory": "",
                "max_execution_time": max(1, math.ceil(limits.timeout_seconds * 1000)),
                "autoinstall_known_extensions": False,
                "autoload_known_extensions": False,
                "allow_community_extensions": False,
                "allow_unsigned_extensions": False,
                "python_enable_replacements": False,
            },
        )
        try:
            self._lock_down(directories)
        except BaseException as error:
            self._database.close()
            if isinstance(error, duckdb.Error):  # a version it cannot read: refused, no 500
                raise _failed(error) from error
            raise

    def _lock_down(self, directories: dict[str, Path]) -> None:
        database = self._database
        # Whole directories (DuckDB matches by prefix): /v/run-1/ never admits /v/run-10.
        allowed = [f"{directory}/" for directory in directories.values()]
        database.execute(f"SET allowed_directories = {_sql_list(allowed)}")
        database.execute("SET enable_external_access = false")
        database.execute("SET parquet_metadata_cache = true")  # each query re-reads no footer
        for name, directory in directories.items():
            source = f"read_parquet({_sql_text(str(directory / '*.parquet'))})"
            if self._table_rows and self._in_memory(name, source):
                continue
            database.execute(f'CREATE VIEW "{name}" AS SELECT * FROM {source}')  # noqa: S608
        database.execute("SET allow_extension_repositories = 'forbidden'")
        database.execute("SET lock_configuration = true")

    def _in_memory(self, name: str, source: str) -> bool:
        """Read a small enough version into memory once, so a product's point lookup costs
        no Parquet scan (a version never changes in place); False when it stays a view
        (too many rows, or more than the memory limit holds after all)."""
        database = self._database
        found = database.execute(f"SELECT count(*) FROM {source}").fetchone()  # noqa: S608
        if found is None or found[0] > self._table_rows:
            return False
        try:
            database.execute(f'CREATE TABLE "{name}" AS SELECT * FROM {source}')  # noqa: S608
        except duckdb.OutOfMemoryException:
            return False
        return True

    def run(
        self, sql: str, *, max_rows: int, parameters: Mapping[str, object] | None = None
    ) -> QueryResult:
        """Run one SELECT, at most ``max_rows`` rows (``truncated`` when more exist). A
        product's query binds the buyer's inputs as ``$name`` ``parameters`` (every name
        the SQL uses, no other), so an input never becomes SQL text."""
        started = time.perf_counter()
        limit = min(max_rows, self.limits.max_result_rows)
        if limit < 1:
            raise ValueError("max_rows must be at least 1")
        cursor = self._open_cursor()
        alarm: Alarm | None = None
        try:
            statements = cursor.extract_statements(sql)
            if len(statements) != 1 or statements[0].type != duckdb.StatementType.SELECT:
                raise QueryFailed("error.query_failed.statement")
            alarm = WATCHDOG.arm(self.limits.timeout_seconds, cursor.interrupt)
            if parameters is None:
                cursor.execute(sql)
            else:
                cursor.execute(sql, dict(parameters))
            description = cursor.description or []
            fetched = cursor.fetchmany(limit + 1)
        except duckdb.InterruptException as error:
            if self._closing:
                raise QueryFailed("error.query_failed.closed") from error
            raise QueryTimeout(seconds=f"{self.limits.timeout_seconds:g}") from error
        except duckdb.OutOfMemoryException as error:
            raise QueryTooLarge(limit=self.limits.memory_mb) from error
        except duckdb.Error as error:
            if alarm is not None and alarm.fired:
                raise QueryTimeout(seconds=f"{self.limits.timeout_seconds:g}") from error
            raise _failed(error) from error
        finally:
            if alarm is not None:
                alarm.disarm()
            self._close_cursor(cursor)
        return QueryResult(
            columns=tuple((str(d[0]), str(d[1])) for d in description),
            rows=json_rows(fetched[:limit]),
            truncated=len(fetched) > limit,
            elapsed_ms=elapsed_ms(started),
        )

    def _open_cursor(self) -> duckdb.DuckDBPyConnection:
        with self._lock:
            if self._closing:
                raise QueryFailed("error.query_failed.closed")
            cursor = self._database.cursor()
            self._running.add(cursor)
            return cursor

    def _close_cursor(self, cursor: duckdb.DuckDBPyConnection) -> None:
        with self._lock:
            self._running.discard(cursor)
            cursor.close()
            self._close_if_idle()

    def _close_if_idle(self) -> None:
        # Called with the lock held.
        if self._closing and not self._running and not self._closed:
            self._closed = True
            self._database.close()

    def retire(self) -> None:
        """Close once the running queries end (the views changed; new queries go to the
        new engine)."""
        with self._lock:
            self._closing = True
            self._close_if_idle()

    def close(self) -> None:
        """Close now: running queries are interrupted and answer ``query_failed``."""
        forget_engine(self.key, self)
        with self._lock:
            self._closing = True
            for cursor in self._running:
                cursor.interrupt()
            self._close_if_idle()

    @property
    def closed(self) -> bool:
        return self._closed


def duckdb_engine(key: str, views: Sequence[ViewSource], limits: EngineLimits) -> WorkspaceEngine:
    """The workspace's DuckDB engine: built once per key and view set, then reused, so a
    query's fixed cost is a cursor and a parse (well under a millisecond)."""
    frozen = tuple(views)
    return cached_engine(
        key, ("duckdb", frozen, limits), lambda: DuckDBWorkspace(key, frozen, limits)
    )


def limits_of(settings: Settings) -> EngineLimits:
    return EngineLimits(
        memory_mb=settings.sandbox_memory_mb,
        threads=settings.sandbox_threads,
        timeout_seconds=settings.sandbox_timeout_seconds,
        max_result_rows=settings.sandbox_max_result_rows,
    )


def engine_for(settings: Settings, key: str, views: Sequence[ViewSource]) -> WorkspaceEngine:
    """The engine ``settings.engine`` names, for this workspace and its views. Every view
    must read a version directory in the data zone, never sources, raw uploads, quarantine,
    keys, evidence, uploads or an authorization's derived data."""
    check_in_data_zone(settings, views)
    limits = limits_of(settings)
    if settings.engine == "spark":
        from sluice.dataplane import spark_engine

        return spark_engine.spark_engine(key, views, limits, master=settings.spark_master)
    return duckdb_engine(key, views, limits)
