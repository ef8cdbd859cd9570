"""Catalog search latency at p95 over 10,000 published entries, against the 50 ms limit.

The whole public search is timed as the API runs it (terms, ranking, page of results and
the four facet counts) on the embedded SQLite control plane, over a mix of one-word,
two-word, synonym and filtered queries.
"""

from __future__ import annotations

import shutil
import statistics
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import create_engine

from bench.harness import Result
from sluice.catalog import reads
from sluice.core.clock import FixedClock
from sluice.core.database import Database
from sluice.core.migrate import upgrade
from sluice.demo import catalog as demo_catalog
from sluice.demo import city
from sluice.demo.datasets import build_datasets

LIMIT_MS = 50.0
QUERIES = (
    ("企业", {}),
    ("社保", {}),
    ("不动产登记", {}),
    ("住房公积金 缴存", {}),
    ("行政处罚", {"domain": "governance"}),
    ("统计", {"open_level": "open"}),
    ("2024年", {}),
    ("信息", {}),
    ("", {"domain": "industry:finance"}),
    ("医疗", {}),
    ("港口吞吐量", {}),
    ("水", {}),
)


def run(quick: bool) -> list[Result]:
    entries = 1_000 if quick else 10_000
    rounds = 3 if quick else 20
    clock = FixedClock(datetime(2026, 11, 26, tzinfo=UTC))
    with tempfile.TemporaryDirectory() as scratch:
        directory = Path(scratch)
        path = directory / "bench.db"
        engine = create_engine(f"sqlite:///{path}")
        upgrade(engine)
        engine.dispose()
        database = Database(f"sqlite:///{path}")
        sources = directory / "sources"
        summaries = [
            city._summary(d) for d in build_datasets(sources_dir=sources, seed=1, scale=0.01)
        ]
        with database.unit_of_work() as session:
            city.seed_identity(session, clock=clock)
            demo_catalog.seed_catalog(
                session, clock=clock, datasets=summaries, seed=1, target=entries
            )
        timings = []
        with database.unit_of_work() as session:
            for _ in range(rounds):
                for q, filters in QUERIES:
                    wanted = {"provider": None, "domain": None, "open_level": None, "batch": None}
                    started = time.perf_counter()
                    reads.catalog_page(
                        session,
                        q=q,
                        filters={**wanted, **filters},
                        page=1,
                        page_size=20,
                        locale="zh-CN",
                    )
                    timings.append((time.perf_counter() - started) * 1000)
        database.dispose()
        shutil.rmtree(sources, ignore_errors=True)
    p95 = statistics.quantiles(timings, n=20)[18]
    return [
        Result(
            name=f"catalog search p95 over {entries:,} entries ({len(timings)} queries)",
            ours=1000.0 / p95,
            peer=1000.0 / LIMIT_MS,
            unit="1/s at p95",
            peer_name=f"the {LIMIT_MS:.0f} ms limit",
            target_ratio=1.0,
            note=f"p95 {p95:.1f} ms, median {statistics.median(timings):.1f} ms",
        )
    ]
