"""Products' queries on a locked DuckDB workspace, with their parameters bound (R8.10).

A product (``guard.product_calls``) runs SQL the guard checked once, when the product was
declared, with the buyer's inputs as **bound parameters** (``$name``): an input never
becomes SQL text, so no spelling of it can change what the query does. The sandbox's
engine (``sandbox_engine.DuckDBWorkspace``) runs SQL without parameters; this module adds
``run_bound`` on the same locked database (same ``allowed_directories``, external access
off, configuration locked, memory, thread and time limits, the watchdog, JSON-safe rows)
and keeps one engine per agreement in the same cache as the sandbox's, so the fixed cost
of a call is a cursor, a parse and the scan.

Products always run on DuckDB: a call is answered in milliseconds, which Spark (the
sandbox's scale-out engine) cannot do; the data a product reads is the same Parquet.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Final

import duckdb

from sluice.dataplane.sandbox_engine import DuckDBWorkspace, _check_in_data_zone, limits_of
from sluice.dataplane.sandbox_shared import (
    WATCHDOG,
    Alarm,
    EngineLimits,
    QueryFailed,
    QueryResult,
    QueryTimeout,
    QueryTooLarge,
    ViewSource,
    cached_engine,
    elapsed_ms,
    json_rows,
)

if TYPE_CHECKING:
    from sluice.core.settings import Settings

__all__ = ["ProductWorkspace", "QueryResult", "ViewSource", "product_engine"]

#: View sets already found inside the data zone (checking resolves every path: most of a
#: call's fixed cost), per home, data and keys directory; a new version is a new set.
_checked_zones: set[tuple[Path, Path, Path, tuple[ViewSource, ...]]] = set()
_zones_lock = threading.Lock()
_ZONES_KEPT: Final = 4096


class ProductWorkspace(DuckDBWorkspace):
    """A workspace's locked DuckDB database that also runs bound queries."""

    def run_bound(
        self, sql: str, parameters: Mapping[str, object], *, max_rows: int
    ) -> QueryResult:
        """Run one SELECT with ``$name`` parameters bound from ``parameters`` (every name
        the SQL uses, no other): at most ``max_rows`` rows, ``truncated`` when more exist.
        Refusals as ``run``: ``query_timeout``, ``query_too_large``, ``query_failed``."""
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
            raise QueryFailed(kind=type(error).__name__.removesuffix("Exception")) from error
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


def product_engine(settings: Settings, key: str, views: Sequence[ViewSource]) -> ProductWorkspace:
    """The engine for ``key`` (one per agreement) over these views, built once and reused
    while they stay the same; every view must read a version directory in the data zone,
    as for the sandbox (``sandbox_engine.engine_for``)."""
    frozen = tuple(views)
    zone = (settings.home, settings.data_dir, settings.keys_path, frozen)
    if zone not in _checked_zones:
        _check_in_data_zone(settings, frozen)
        with _zones_lock:
            if len(_checked_zones) > _ZONES_KEPT:
                _checked_zones.clear()
            _checked_zones.add(zone)
    limits: EngineLimits = limits_of(settings)
    return cached_engine(
        key, ("duckdb-product", frozen, limits), lambda: ProductWorkspace(key, frozen, limits)
    )
