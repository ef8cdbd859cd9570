"""Small dataset versions for the sandbox engines, shaped like the demo's 普惠金融 data.

Written the way ingestion writes a version (``<data>/<provider>/<resource>/<run>/part-0.parquet``)
so the engines read real directories. Values are deterministic, so both engines can be
held to the same answers.
"""

from __future__ import annotations

import datetime as dt
import random
from decimal import Decimal
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

DISTRICTS = ("站前区", "西市区", "鲅鱼圈区", "老边区", "盖州市", "大石桥市")
RATINGS = ("A", "B", "C", "D", "M")
INDUSTRIES = ("制造业", "批发和零售业", "建筑业", "金融业", "信息技术服务业")


def token(n: int) -> str:
    return f"{n * 2654435761 % 2**128:032x}"


def enterprises_table(rows: int, seed: int = 11) -> pa.Table:
    """``rows`` enterprise registrations: a tenth of the enterprises appear twice (a
    re-registration), so distinct tokens and rows differ."""
    rng = random.Random(seed)
    first_day = dt.date(1990, 1, 1)
    subjects = [token(rng.randrange(rows - rows // 10)) for _ in range(rows)]
    return pa.table(
        {
            "uscc_token": pa.array(subjects, pa.string()),
            "name_masked": pa.array([f"营口市{n % 97}**有限公司" for n in range(rows)]),
            "district": pa.array([rng.choice(DISTRICTS) for _ in range(rows)]),
            "industry": pa.array([rng.choice(INDUSTRIES) for _ in range(rows)]),
            "tax_rating": pa.array([rng.choice(RATINGS) for _ in range(rows)]),
            "founded_on": pa.array(
                [first_day + dt.timedelta(days=rng.randrange(12_400)) for _ in range(rows)],
                pa.date32(),
            ),
            "registered_capital": pa.array(
                [Decimal(rng.randrange(10_000, 50_000_000)) / 100 for _ in range(rows)],
                pa.decimal128(18, 2),
            ),
        }
    )


def tax_table(rows: int, seed: int = 12) -> pa.Table:
    """Yearly tax paid by a subset of the same enterprises (joins on ``uscc_token``)."""
    rng = random.Random(seed)
    years = (2022, 2023, 2024)
    return pa.table(
        {
            "uscc_token": pa.array([token(rng.randrange(rows)) for _ in range(rows)]),
            "tax_year": pa.array([rng.choice(years) for _ in range(rows)], pa.int32()),
            "tax_paid_fen": pa.array([rng.randrange(5_000_000) for _ in range(rows)], pa.int64()),
        }
    )


def write_version(data_dir: Path, provider: str, resource: str, run: str, table: pa.Table) -> Path:
    directory = data_dir / provider / resource / run
    directory.mkdir(parents=True, exist_ok=True)
    pq.write_table(table, directory / "part-0.parquet")
    return directory
