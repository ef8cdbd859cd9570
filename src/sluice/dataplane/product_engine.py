"""Products' queries on a locked DuckDB workspace, with their parameters bound (R8.10).

A product (``guard.product_calls``) runs SQL the guard checked once, when the product was
declared, with the buyer's inputs as **bound parameters** (``$name``): an input never
becomes SQL text, so no spelling of it can change what the query does. The sandbox's
engine (``sandbox_engine.DuckDBWorkspace``, its ``run`` with ``parameters``) is the same
locked database (same ``allowed_directories``, external access off, configuration locked,
memory, thread and time limits, the watchdog, JSON-safe rows); this module keeps one per
agreement in the same cache as the sandbox's, so the fixed cost of a call is a cursor, a
parse and the scan. A version of at most ``product_engine_table_rows`` rows is read into
the engine's memory once, as a table, so a call's point lookup scans no Parquet; a larger
one stays a view over its files, as does one the memory limit turns out not to hold. Each
worker keeps at most ``product_engines_kept`` engines, the least recently used retiring
first (an agreement's engine is also let go of when it ends: ``product_calls.release``).

Products always run on DuckDB: a call is answered in milliseconds, which Spark (the
sandbox's scale-out engine) cannot do; the data a product reads is the same Parquet.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Final

from sluice.dataplane.sandbox_engine import DuckDBWorkspace, check_in_data_zone, limits_of
from sluice.dataplane.sandbox_shared import (
    EngineLimits,
    QueryResult,
    ViewSource,
    cached_engine,
)

if TYPE_CHECKING:
    from sluice.core.settings import Settings

__all__ = ["DuckDBWorkspace", "QueryResult", "ViewSource", "product_engine"]

#: View sets already found inside the data zone (checking resolves every path: most of a
#: call's fixed cost), per home, data and keys directory; a new version is a new set.
_checked_zones: set[tuple[Path, Path, Path, tuple[ViewSource, ...]]] = set()
_zones_lock = threading.Lock()
_ZONES_KEPT: Final = 4096


def product_engine(settings: Settings, key: str, views: Sequence[ViewSource]) -> DuckDBWorkspace:
    """The engine for ``key`` (one per agreement) over these views, built once and reused
    while they stay the same; every view must read a version directory in the data zone,
    as for the sandbox (``sandbox_engine.engine_for``)."""
    frozen = tuple(views)
    zone = (settings.home, settings.data_dir, settings.keys_path, frozen)
    if zone not in _checked_zones:
        check_in_data_zone(settings, frozen)
        with _zones_lock:
            if len(_checked_zones) > _ZONES_KEPT:
                _checked_zones.clear()
            _checked_zones.add(zone)
    limits: EngineLimits = limits_of(settings)
    rows = settings.product_engine_table_rows
    return cached_engine(
        key,
        ("duckdb-product", frozen, limits, rows),
        lambda: DuckDBWorkspace(key, frozen, limits, table_rows=rows),
        group="product",
        keep=settings.product_engines_kept,
    )
