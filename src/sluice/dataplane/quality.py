"""Quality reports: four scores from 0 to 100 for every ingestion, and the failures behind them.

- **completeness**: the share of required cells that are present. Every row counts, a
  malformed row as missing all its required cells. 100 when no field is required.
- **accuracy**: the share of non-empty cells that pass their type, range, enum and
  pattern rules (a cell failing two rules counts once). A malformed row counts as one
  checked cell that failed. 100 when there is nothing to check.
- **consistency**: the share of checked cells that pass uniqueness and the
  cross-dataset checks (``consistency_check``: a value must exist in a reference
  dataset). 100 when nothing was checked.
- **timeliness**: 100 when the data's previous update is no older than the window of
  its declared update frequency (``FREQUENCY_WINDOWS``), falling linearly to 0 at three
  windows; always 100 for ``irregular`` data and for a first ingestion.
- **overall**: the weighted mean ``0.3 completeness + 0.4 accuracy + 0.2 consistency +
  0.1 timeliness`` (``WEIGHTS``): wrong values mislead more than missing ones, and
  lateness is the provider's schedule rather than the data's content.

An upload that stores no row at all (a header alone, or every row rejected) scores 0 for
completeness, accuracy and consistency whatever its cells were: the version it would make
holds nothing usable, and an empty dataset must never look like a good one.

Scores are rounded to two decimals.

Cross-dataset consistency compares tokens: an enterprise's ``legal_rep_id_token`` must be
among the residents' ``id_number_token``. That works without any plaintext because tokens
are deterministic under the shared ``tokenization`` key. Consistency findings lower the
score and are reported with sample rows; they do not reject rows (the reference dataset
may itself be incomplete).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, Final

import numpy as np
import numpy.typing as npt
import pyarrow as pa
import pyarrow.parquet as pq

from sluice.dataplane.readers import MALFORMED_ROW
from sluice.dataplane.validation import SAMPLE_ROWS, CheckResult

FREQUENCY_WINDOWS: Final[Mapping[str, timedelta | None]] = {
    "realtime": timedelta(hours=1),
    "daily": timedelta(days=1),
    "weekly": timedelta(days=7),
    "monthly": timedelta(days=31),
    "quarterly": timedelta(days=92),
    "yearly": timedelta(days=366),
    "irregular": None,
}
WEIGHTS: Final[Mapping[str, float]] = {
    "completeness": 0.3,
    "accuracy": 0.4,
    "consistency": 0.2,
    "timeliness": 0.1,
}
CONSISTENCY_RULE: Final = "consistency"
#: How many windows late the timeliness score reaches 0.
LATE_WINDOWS: Final = 3

Bools = npt.NDArray[np.bool_]


@dataclass(frozen=True, slots=True)
class ConsistencyResult:
    """One cross-dataset check over a column: which rows' values the reference lacks."""

    field: str
    checked: int
    failed: int
    #: Over the checked table's rows: True where the value is missing from the reference.
    failed_mask: Bools = dataclasses.field(repr=False)
    samples: list[int]
    rule: str = CONSISTENCY_RULE


@dataclass(frozen=True, slots=True)
class QualityReport:
    completeness: float
    accuracy: float
    consistency: float
    timeliness: float
    overall: float
    rows_total: int
    rows_accepted: int
    rows_rejected: int
    failures: dict[str, dict[str, int]]
    samples: dict[str, dict[str, list[int]]]

    def as_json(self) -> dict[str, Any]:
        return {
            "scores": {
                "completeness": self.completeness,
                "accuracy": self.accuracy,
                "consistency": self.consistency,
                "timeliness": self.timeliness,
                "overall": self.overall,
            },
            "rows_total": self.rows_total,
            "rows_accepted": self.rows_accepted,
            "rows_rejected": self.rows_rejected,
            "failures": {k: dict(v) for k, v in self.failures.items()},
            "samples": {k: {r: list(s) for r, s in v.items()} for k, v in self.samples.items()},
        }


def build_report(
    check: CheckResult,
    *,
    consistency: Sequence[ConsistencyResult] = (),
    frequency: str | None = None,
    last_update: datetime | None = None,
    as_of: datetime | None = None,
) -> QualityReport:
    """The report of one ingestion (or check) from its ``CheckResult``."""
    malformed = int(check.malformed.num_rows)
    stats = check.stats.values()

    required_cells = check.rows_total * len(check.required_fields)
    missing = sum(s.missing_required for s in stats) + malformed * len(check.required_fields)
    completeness = _share(required_cells - missing, required_cells)

    checked = sum(s.present for s in stats) + malformed
    wrong = sum(s.accuracy_failed for s in stats) + malformed
    accuracy = _share(checked - wrong, checked)

    compared = sum(s.unique_checked for s in stats) + sum(c.checked for c in consistency)
    repeated = sum(s.unique_failed for s in stats) + sum(c.failed for c in consistency)
    consistent = _share(compared - repeated, compared)

    if check.rows_accepted == 0:
        completeness = accuracy = consistent = 0.0
    timely = timeliness_score(frequency, last_update, as_of or datetime.now(UTC))
    scores = {
        "completeness": completeness,
        "accuracy": accuracy,
        "consistency": consistent,
        "timeliness": timely,
    }
    overall = sum(WEIGHTS[name] * score for name, score in scores.items())

    failures = {name: dict(rules) for name, rules in check.failures.items()}
    samples = {name: dict(rules) for name, rules in check.samples.items()}
    for result in consistency:
        if result.failed:
            failures.setdefault(result.field, {})[result.rule] = result.failed
            samples.setdefault(result.field, {})[result.rule] = result.samples
    return QualityReport(
        completeness=round(completeness, 2),
        accuracy=round(accuracy, 2),
        consistency=round(consistent, 2),
        timeliness=round(timely, 2),
        overall=round(overall, 2),
        rows_total=check.rows_total,
        rows_accepted=check.rows_accepted,
        rows_rejected=check.rows_rejected,
        failures=failures,
        samples=samples,
    )


def timeliness_score(frequency: str | None, last_update: datetime | None, as_of: datetime) -> float:
    """100 within one window of the declared frequency, linearly down to 0 at three.

    ``last_update`` is the data's previous update (None for a first ingestion); both
    datetimes must be timezone-aware.
    """
    if frequency is None or last_update is None:
        return 100.0
    if frequency not in FREQUENCY_WINDOWS:
        raise ValueError(
            f"unknown update frequency {frequency!r} "
            f"(expected one of: {', '.join(FREQUENCY_WINDOWS)})"
        )
    window = FREQUENCY_WINDOWS[frequency]
    if window is None:
        return 100.0
    if last_update.tzinfo is None or as_of.tzinfo is None:
        raise ValueError("timeliness needs timezone-aware datetimes")
    age = as_of - last_update
    if age <= window:
        return 100.0
    late = (age - window) / ((LATE_WINDOWS - 1) * window)
    return max(0.0, 100.0 * (1.0 - late))


def _share(good: int, total: int) -> float:
    return 100.0 if total <= 0 else 100.0 * good / total


# ---------------------------------------------------------------------------------------
# Cross-dataset consistency


def consistency_check(
    table_or_path: pa.Table | Path,
    column: str,
    reference: Path,
    reference_column: str,
    *,
    field_name: str | None = None,
    row_numbers: pa.Array | None = None,
    rule: str = CONSISTENCY_RULE,
) -> ConsistencyResult:
    """Which non-null values of ``column`` are missing from ``reference_column`` of the
    reference dataset (a Parquet file, or a directory of them), by a DuckDB anti-join.

    Compare tokens with tokens (``legal_rep_id_token`` against ``id_number_token``).
    Samples are ``row_numbers`` of the failing rows (default: 1-based positions).
    """
    import duckdb

    if isinstance(table_or_path, pa.Table):
        table = table_or_path
    else:
        table = pq.read_table(table_or_path, columns=[column])
    values = table.column(column)
    n = len(values)
    probe = pa.table({"i": pa.array(np.arange(n, dtype=np.int64)), "v": values})
    source = _parquet_glob(reference)
    allowed = [str(reference if reference.is_dir() else reference.parent)]
    connection = duckdb.connect(config={"threads": 2})
    try:
        # Locked like every DuckDB the data plane runs: only the reference's directory.
        connection.execute(f"SET allowed_directories = {_sql_list(allowed)}")
        connection.execute("SET enable_external_access = false")
        connection.execute("SET lock_configuration = true")
        connection.register("probe", probe)
        # The column name is a quoted identifier; the path is a bound parameter.
        query = (
            "SELECT probe.i FROM probe ANTI JOIN read_parquet($1) AS ref "  # noqa: S608
            f"ON probe.v = ref.{_quote(reference_column)} "
            "WHERE probe.v IS NOT NULL ORDER BY probe.i"
        )
        missing = connection.execute(query, [source]).fetchnumpy()["i"]
    finally:
        connection.close()
    failed = np.zeros(n, dtype=bool)
    failed[np.asarray(missing, dtype=np.int64)] = True
    numbers = (
        np.asarray(row_numbers.to_numpy(zero_copy_only=False), dtype=np.int64)
        if row_numbers is not None
        else np.arange(1, n + 1, dtype=np.int64)
    )
    return ConsistencyResult(
        field=field_name or column,
        checked=int(n - values.null_count),
        failed=int(failed.sum()),
        failed_mask=failed,
        samples=[int(x) for x in numbers[np.flatnonzero(failed)[:SAMPLE_ROWS]]],
        rule=rule,
    )


def _parquet_glob(reference: Path) -> str:
    if reference.is_dir():
        return str(reference / "**" / "*.parquet")
    if not reference.exists():
        raise FileNotFoundError(f"reference dataset not found: {reference}")
    return str(reference)


def _quote(identifier: str) -> str:
    return '"' + identifier.replace('"', '""') + '"'


def _sql_list(items: Sequence[str]) -> str:
    return "[" + ", ".join("'" + item.replace("'", "''") + "'" for item in items) + "]"


__all__ = [
    "CONSISTENCY_RULE",
    "FREQUENCY_WINDOWS",
    "MALFORMED_ROW",
    "WEIGHTS",
    "ConsistencyResult",
    "QualityReport",
    "build_report",
    "consistency_check",
    "timeliness_score",
]
