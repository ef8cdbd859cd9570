"""Ingestion, rows per second, against DuckDB copying the same CSV to Parquet.

The file is residents-like: resident ID number (checksum-valid, unique), name, mobile,
birth date, registration date, district code, gender code. The peer is DuckDB's plain
``COPY (SELECT * FROM read_csv(...)) TO ... (FORMAT parquet)``: parse and write, nothing
else. Ours is the whole ``ingest_file``: SM3 content hash, parse as strings, clean,
validate every field (ID checksums and birth dates, uniqueness, mobiles, names, dates,
enum), tokenize the three identifiers, mask them, write Parquet and keep the raw upload
SM4-GCM encrypted. Both run with two threads on the same file; each is timed twice and
the faster run counts.
"""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path

import duckdb
import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pcsv

from bench.harness import Result, stopwatch
from sluice.core.checksums import ric_from_bodies
from sluice.core.keystore import KeyStore
from sluice.dataplane.ingest import ingest_file
from sluice.dataplane.schema import DatasetSchema

FULL_ROWS = 10_000_000
QUICK_ROWS = 200_000
THREADS = 2
RUNS = 2

_DISTRICTS = np.array([210802, 210803, 210804, 210811, 210881, 210882], dtype=np.int64)

SCHEMA = DatasetSchema.from_json(
    {
        "fields": [
            {
                "name": "id_number",
                "type": "id_number",
                "class": "identifier",
                "required": True,
                "unique": True,
            },
            {"name": "name", "type": "person_name", "class": "identifier", "required": True},
            {"name": "mobile", "type": "mobile", "class": "identifier"},
            {"name": "birth_date", "type": "date", "class": "sensitive", "required": True},
            {"name": "registered_on", "type": "date", "class": "internal"},
            {
                "name": "district",
                "type": "enum",
                "class": "public",
                "values": [str(code) for code in _DISTRICTS],
            },
            {"name": "gender", "type": "enum", "class": "internal", "values": ["1", "2"]},
        ]
    }
)

_SURNAMES = list("王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘")
_GIVEN = list("伟芳娜秀英敏静丽强磊军洋勇艳杰娟涛明超兰霞平刚华建国红玉飞鑫宇浩然子涵欣怡梓轩")
_MOBILE_PREFIXES = [f"1{n}" for n in (30, 31, 32, 35, 36, 38, 39, 50, 51, 58, 86, 88)]


def residents_csv(path: Path, rows: int, seed: int = 7) -> None:
    """Write a residents-like CSV, generated column by column with numpy and Arrow."""
    rng = np.random.default_rng(seed)
    first_day = np.datetime64("1940-01-01").astype(np.int64)
    days = 30_000
    # Distinct (district, birth day, sequence) triples make the ID numbers unique.
    space = len(_DISTRICTS) * days * 1000
    picked = np.unique(rng.integers(0, space, int(rows * 1.05) + 16))
    picked = rng.permutation(picked)[:rows]
    sequence, rest = picked % 1000, picked // 1000
    district = _DISTRICTS[rest % len(_DISTRICTS)]
    birth = (first_day + rest // len(_DISTRICTS)).astype("datetime64[D]")
    month_start = birth.astype("datetime64[M]")
    year = birth.astype("datetime64[Y]").astype(np.int64) + 1970
    month = (month_start - birth.astype("datetime64[Y]")).astype(np.int64) + 1
    day = (birth - month_start).astype(np.int64) + 1
    ymd = year * 10_000 + month * 100 + day
    ids = ric_from_bodies(district * 10**11 + ymd * 10**3 + sequence)

    surname = pa.array(np.array(_SURNAMES)[rng.integers(0, len(_SURNAMES), rows)])
    given1 = pa.array(np.array(_GIVEN)[rng.integers(0, len(_GIVEN), rows)])
    given2 = np.array(_GIVEN)[rng.integers(0, len(_GIVEN), rows)]
    given2 = pa.array(np.where(rng.random(rows) < 0.6, given2, ""))
    name = pc.binary_join_element_wise(surname, given1, given2, "")
    prefix = pa.array(np.array(_MOBILE_PREFIXES)[rng.integers(0, len(_MOBILE_PREFIXES), rows)])
    tail = pc.utf8_lpad(pc.cast(pa.array(rng.integers(0, 10**8, rows)), pa.string()), 8, "0")
    mobile = pc.binary_join_element_wise(prefix, tail, "")
    registered = np.datetime64("2000-01-01") + rng.integers(0, 9000, rows)
    table = pa.table(
        {
            "id_number": ids,
            "name": name,
            "mobile": mobile,
            "birth_date": pc.cast(pa.array(birth), pa.string()),
            "registered_on": pc.cast(pa.array(registered.astype("datetime64[D]")), pa.string()),
            "district": pc.cast(pa.array(district), pa.string()),
            "gender": pa.array(np.where(sequence % 2 == 1, "1", "2")),
        }
    )
    pcsv.write_csv(table, path, pcsv.WriteOptions(quoting_style="none"))


def _peer_seconds(csv: Path, directory: Path) -> float:
    target = directory / "peer.parquet"
    connection = duckdb.connect()
    connection.execute(f"SET threads = {THREADS}")
    try:
        with stopwatch() as elapsed:
            connection.execute(
                f"COPY (SELECT * FROM read_csv('{csv}')) TO '{target}' (FORMAT parquet)"
            )
    finally:
        connection.close()
    target.unlink()
    return elapsed[0]


def _ours_seconds(csv: Path, directory: Path, run: int) -> float:
    work = directory / f"run-{run}"
    keys = KeyStore(work / "keys")
    keys.data_key("tokenization")  # key creation is a one-off, not ingestion work
    keys.data_key("dataset-bench")
    with stopwatch() as elapsed:
        outcome = ingest_file(
            source=csv,
            schema=SCHEMA,
            dataset_dir=work / "version",
            quarantine_dir=work / "quarantine",
            raw_dir=work / "raw",
            keys=keys,
            dataset_scope="dataset-bench",
            threads=THREADS,
        )
    if outcome.rows_rejected:
        raise AssertionError(f"the generated file should be clean: {outcome.check}")
    shutil.rmtree(work)
    return elapsed[0]


def run(quick: bool) -> list[Result]:
    rows = QUICK_ROWS if quick else FULL_ROWS
    with tempfile.TemporaryDirectory() as scratch:
        directory = Path(scratch)
        csv = directory / "residents.csv"
        residents_csv(csv, rows)
        size_mb = csv.stat().st_size / 1e6
        peer = min(_peer_seconds(csv, directory) for _ in range(RUNS))
        ours = min(_ours_seconds(csv, directory, run) for run in range(RUNS))
    return [
        Result(
            name=f"ingest residents CSV ({rows:,} rows, {size_mb:,.0f} MB)",
            ours=rows / ours,
            peer=rows / peer,
            unit="rows/s",
            peer_name="DuckDB read_csv + COPY to Parquet",
            target_ratio=0.25,
            note=(
                "ours also hashes (SM3), validates, tokenizes (SM4), masks and keeps the "
                "raw upload SM4-GCM encrypted"
            ),
        )
    ]
