"""The scale-out engine: the same validated query, transpiled to Spark SQL, on the same Parquet.

``SLUICE_ENGINE=spark`` sends a workspace's queries here instead of to DuckDB. The guard
has already checked the query in DuckDB's dialect; sqlglot parses it again (exactly one
query, or ``query_failed``) and writes it in Spark's dialect, so the policy is decided once,
on one dialect, whichever engine runs it.

One SparkSession per process (``SLUICE_SPARK_MASTER``: ``local[N]`` inside the server, a
cluster URL in production); each workspace is a ``newSession()`` of it, so its temporary
views (one per dataset version, over ``<version dir>/*.parquet``) are its own and another
workspace's views of the same name do not exist for it. Spark has no equivalent of
DuckDB's ``allowed_directories``: what keeps a query to its views is the guard's policy,
the one-query check here, and ``spark.sql.runSQLOnFiles = false`` (no ``parquet.`path```
relations). The Spark UI is off and the driver binds to the loopback address in local mode.

Each query runs in a job group of its own; an alarm cancels the group at the time limit
(``query_timeout``). Memory is the driver's (``spark.driver.memory`` from
``sandbox_memory_mb`` in local mode; the cluster's executors otherwise); running out of it
is ``query_too_large``.

Where the dialects differ in meaning, not only in spelling, answers can differ: DuckDB
divides by zero to infinity (null in the result) where Spark's ANSI mode fails the query
(``query_failed``), and DuckDB 2's ``//`` divides decimals and doubles exactly where
sqlglot writes Spark's integer ``DIV``. The tests hold the two engines to the same answers
for the analyses the sandbox is for (groups, distinct counts, bands, joins on tokens).
"""

from __future__ import annotations

import logging
import threading
import time
import uuid
from collections.abc import Sequence
from typing import TYPE_CHECKING, Final

import sqlglot
from sqlglot import exp
from sqlglot.errors import SqlglotError

from sluice.dataplane.sandbox_shared import (
    WATCHDOG,
    EngineLimits,
    QueryFailed,
    QueryResult,
    QueryTimeout,
    QueryTooLarge,
    ViewSource,
    WorkspaceEngine,
    cached_engine,
    checked_directory,
    elapsed_ms,
    forget_engine,
    json_rows,
)

if TYPE_CHECKING:
    from pyspark.sql import DataFrame, SparkSession

#: How Spark names its types, as DuckDB (and the console) names them.
SPARK_TYPES: Final = {
    "string": "VARCHAR",
    "boolean": "BOOLEAN",
    "tinyint": "TINYINT",
    "smallint": "SMALLINT",
    "int": "INTEGER",
    "bigint": "BIGINT",
    "float": "FLOAT",
    "double": "DOUBLE",
    "date": "DATE",
    "timestamp": "TIMESTAMP WITH TIME ZONE",
    "timestamp_ntz": "TIMESTAMP",
    "binary": "BLOB",
}
#: Errors of Spark's that mean the query ran out of memory.
_MEMORY_ERRORS: Final = ("OutOfMemoryError", "UNABLE_TO_ACQUIRE_MEMORY", "SPARK_OUT_OF_MEMORY")

_session: SparkSession | None = None
_session_master: str | None = None
#: How soon a timed-out query's job group is cancelled again while it still runs.
_CANCEL_AGAIN_SECONDS: Final = 0.25

_session_lock = threading.Lock()


def shared_session(master: str, limits: EngineLimits) -> SparkSession:
    """The process's one SparkSession, started on first use (10–20 s: a JVM)."""
    global _session, _session_master
    with _session_lock:
        if _session is not None:
            if master != _session_master:
                raise ValueError(f"Spark runs on {_session_master}; one master per process")
            return _session
        from pyspark.sql import SparkSession

        builder = (
            SparkSession.builder.master(master)
            .appName("sluice-sandbox")
            .config("spark.ui.enabled", "false")
            .config("spark.ui.showConsoleProgress", "false")
            .config("spark.sql.session.timeZone", "UTC")
            .config("spark.sql.runSQLOnFiles", "false")
        )
        if master.startswith("local"):
            builder = (
                builder.config("spark.driver.memory", f"{limits.memory_mb}m")
                .config("spark.driver.bindAddress", "127.0.0.1")
                .config("spark.driver.host", "127.0.0.1")
                # A few partitions per thread: the default 200 makes a small GROUP BY slow.
                .config("spark.sql.shuffle.partitions", str(max(2, 2 * limits.threads)))
            )
        session = builder.getOrCreate()
        session.sparkContext.setLogLevel("ERROR")
        # PySpark logs a failed query's message, which can quote the data.
        logging.getLogger("SQLQueryContextLogger").setLevel(logging.CRITICAL)
        _session, _session_master = session, master
        return session


def stop_session() -> None:
    """Stop the shared session (tests and benchmarks, when they are done with Spark)."""
    global _session, _session_master
    with _session_lock:
        if _session is not None:
            _session.stop()
        _session, _session_master = None, None


def to_spark_sql(sql: str) -> str:
    """The DuckDB-dialect query in Spark's dialect; exactly one query, or ``query_failed``."""
    try:
        statements = sqlglot.parse(sql, read="duckdb")
    except SqlglotError as error:
        raise QueryFailed(kind="Parser") from error
    if len(statements) != 1 or not isinstance(statements[0], exp.Query):
        raise QueryFailed("error.query_failed.statement")
    return statements[0].sql(dialect="spark")


def _plain(value: object) -> object:
    """A struct (a nested ``Row``) as a mapping, as DuckDB returns it; a ``Row`` is a tuple
    and would otherwise become a list without its field names."""
    as_dict = getattr(value, "asDict", None)
    if callable(as_dict):
        return as_dict(recursive=True)
    if isinstance(value, list):
        return [_plain(v) for v in value]
    return value


def _sql_type(simple: str) -> str:
    return SPARK_TYPES.get(simple, simple.upper())


class SparkWorkspace:
    """A workspace's Spark session (its own temporary views) on the shared context."""

    def __init__(
        self, key: str, views: Sequence[ViewSource], limits: EngineLimits, master: str
    ) -> None:
        self.key = key
        self.limits = limits
        directories = {view.name: checked_directory(view) for view in views}
        self._session = shared_session(master, limits).newSession()
        for name, directory in directories.items():
            frame = self._session.read.parquet(str(directory / "*.parquet"))
            frame.createOrReplaceTempView(name)
        self._views = tuple(directories)
        self._lock = threading.Lock()
        self._running: set[str] = set()
        self._closing = False
        self._closed = False

    def run(self, sql: str, *, max_rows: int) -> QueryResult:
        started = time.perf_counter()
        limit = min(max_rows, self.limits.max_result_rows)
        if limit < 1:
            raise ValueError("max_rows must be at least 1")
        spark_sql = to_spark_sql(sql)
        context = self._session.sparkContext
        group = self._begin()
        alarm = WATCHDOG.arm(self.limits.timeout_seconds, lambda: self._cancel(group))
        try:
            # Job groups are per Python thread (PySpark pins threads to JVM threads).
            context.setJobGroup(group, f"workspace {self.key}", interruptOnCancel=True)
            frame: DataFrame = self._session.sql(spark_sql)
            columns = tuple(
                (field.name, _sql_type(field.dataType.simpleString()))
                for field in frame.schema.fields
            )
            fetched = frame.limit(limit + 1).collect()
        except Exception as error:
            raise self._refusal(error, alarm.fired) from error
        finally:
            alarm.disarm()
            context.setLocalProperty("spark.jobGroup.id", None)  # type: ignore[arg-type]
            self._end(group)
        return QueryResult(
            columns=columns,
            rows=json_rows([[_plain(value) for value in row] for row in fetched[:limit]]),
            truncated=len(fetched) > limit,
            elapsed_ms=elapsed_ms(started),
        )

    def _refusal(self, error: Exception, timed_out: bool) -> Exception:
        if isinstance(error, QueryFailed | QueryTimeout | QueryTooLarge):
            return error
        text = str(error)
        if any(marker in text for marker in _MEMORY_ERRORS):
            return QueryTooLarge(limit=self.limits.memory_mb)
        if self._closing and "CANCELLED" in text:
            return QueryFailed("error.query_failed.closed")
        if timed_out:
            return QueryTimeout(seconds=f"{self.limits.timeout_seconds:g}")
        error_class = getattr(error, "getCondition", None) or getattr(error, "getErrorClass", None)
        kind = error_class() if callable(error_class) else None
        return QueryFailed(kind=kind or type(error).__name__)

    def _cancel(self, group: str) -> None:
        """Cancel the group's jobs, and again shortly while the query still runs: a cancel
        reaches only jobs already submitted, and planning may submit the next one later."""
        with self._lock:
            running = group in self._running
        if running:
            self._session.sparkContext.cancelJobGroup(group)
            WATCHDOG.arm(_CANCEL_AGAIN_SECONDS, lambda: self._cancel(group))

    def _begin(self) -> str:
        with self._lock:
            if self._closing:
                raise QueryFailed("error.query_failed.closed")
            group = f"sluice-{uuid.uuid4().hex}"
            self._running.add(group)
            return group

    def _end(self, group: str) -> None:
        with self._lock:
            self._running.discard(group)
            self._close_if_idle()

    def _close_if_idle(self) -> None:
        # Called with the lock held.
        if self._closing and not self._running and not self._closed:
            self._closed = True
            for name in self._views:
                self._session.catalog.dropTempView(name)

    def retire(self) -> None:
        with self._lock:
            self._closing = True
            self._close_if_idle()

    def close(self) -> None:
        forget_engine(self.key, self)
        with self._lock:
            self._closing = True
            for group in self._running:
                self._session.sparkContext.cancelJobGroup(group)
            self._close_if_idle()

    @property
    def closed(self) -> bool:
        return self._closed


def spark_engine(
    key: str, views: Sequence[ViewSource], limits: EngineLimits, *, master: str
) -> WorkspaceEngine:
    """The workspace's Spark engine, built once per key, view set and master, then reused."""
    frozen = tuple(views)
    return cached_engine(
        key,
        ("spark", frozen, limits, master),
        lambda: SparkWorkspace(key, frozen, limits, master),
    )
