"""Demo city generation, rows per second, against DuckDB writing the same rows to Parquet.

The peer generates as many rows of similar shape (an 18-character code, a name, a mobile,
a date, two integers, a category) with DuckDB's vectorized engine and copies them to
Parquet: the speed of a columnar engine doing comparable work, which we should not fall
far behind while also keeping every ID checksum-valid and every dataset linked.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

import duckdb

from bench.harness import Result, stopwatch
from sluice.demo.datasets import build_datasets

FULL_SCALE = 1.0
QUICK_SCALE = 0.02


def _peer_rows_per_second(rows: int, directory: Path) -> float:
    target = directory / "peer.parquet"
    connection = duckdb.connect()
    connection.execute("SET threads = 2")
    query = f"""
        COPY (
          SELECT
            '2108' || lpad((i % 100000000000000)::VARCHAR, 14, '0') AS code,
            chr(19968 + (i % 20000)::INT) || chr(19968 + ((i * 7) % 20000)::INT) AS name,
            '138' || lpad((i % 100000000)::VARCHAR, 8, '0') AS mobile,
            DATE '1930-01-01' + (i % 30000)::INT AS birth_date,
            (i * 31) % 1000000 AS amount_fen,
            i % 12 AS month,
            ['A', 'B', 'M', 'C', 'D'][(i % 5)::INT + 1] AS rating
          FROM range({rows}) t(i)
        ) TO '{target}' (FORMAT parquet)
    """
    with stopwatch() as elapsed:
        connection.execute(query)
    connection.close()
    return rows / elapsed[0]


def run(quick: bool) -> list[Result]:
    scale = QUICK_SCALE if quick else FULL_SCALE
    with tempfile.TemporaryDirectory() as scratch:
        directory = Path(scratch)
        with stopwatch() as elapsed:
            datasets = build_datasets(sources_dir=directory / "sources", seed=1, scale=scale)
        rows = sum(d.rows for d in datasets)
        ours = rows / elapsed[0]
        peer = _peer_rows_per_second(rows, directory)
    return [
        Result(
            name=f"demo generation, scale {scale:g} ({rows:,} rows in {len(datasets)} datasets)",
            ours=ours,
            peer=peer,
            unit="rows/s",
            peer_name="DuckDB generate + COPY to Parquet",
            note="ours also checksums IDs and credit codes and links datasets by key",
        )
    ]
