"""Quality reports: the four scores, by their documented formulas, on known files."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from sluice.dataplane.check import check_file
from sluice.dataplane.quality import (
    WEIGHTS,
    build_report,
    consistency_check,
    timeliness_score,
)
from sluice.dataplane.schema import DatasetSchema
from tests.dataplane import defects

NOW = dt.datetime(2026, 11, 26, 12, tzinfo=dt.UTC)


def test_scores_of_the_residents_file(tmp_path: Path) -> None:
    path = defects.write_csv(tmp_path / "r.csv", defects.RESIDENTS_HEADER, defects.RESIDENTS_ROWS)
    check = check_file(path, DatasetSchema.from_json(defects.RESIDENTS_SCHEMA))

    report = build_report(
        check, frequency="daily", last_update=NOW - dt.timedelta(hours=20), as_of=NOW
    )

    # Completeness: 16 rows x 3 required fields; 2 names missing, and the broken row
    # counts as missing all three.
    completeness = 100 * (48 - 2 - 3) / 48
    # Accuracy: 15 parsed rows x 7 fields minus 4 empty cells, plus the broken row as one
    # cell; 2 bad IDs, 2 bad mobiles, 1 bad date, 1 bad district, and the broken row.
    accuracy = 100 * (102 - 7) / 102
    # Consistency: 15 IDs compared for uniqueness, 1 repeat.
    consistency = 100 * 14 / 15
    overall = 0.3 * completeness + 0.4 * accuracy + 0.2 * consistency + 0.1 * 100
    assert (report.completeness, report.accuracy, report.consistency, report.timeliness) == (
        round(completeness, 2),
        round(accuracy, 2),
        round(consistency, 2),
        100.0,
    )
    assert report.overall == round(overall, 2)
    assert (report.rows_total, report.rows_accepted, report.rows_rejected) == (16, 7, 9)
    assert report.failures == defects.RESIDENTS_EXPECTED["failures"]
    assert report.samples["mobile"] == {"mobile": [6, 13]}
    document = report.as_json()
    assert set(document["scores"]) == {*WEIGHTS, "overall"}
    assert document["failures"] == defects.RESIDENTS_EXPECTED["failures"]


@pytest.mark.parametrize(
    ("frequency", "age", "score"),
    [
        ("daily", dt.timedelta(hours=23), 100.0),
        ("daily", dt.timedelta(days=1), 100.0),
        ("daily", dt.timedelta(days=2), 50.0),
        ("daily", dt.timedelta(days=3), 0.0),
        ("daily", dt.timedelta(days=30), 0.0),
        ("weekly", dt.timedelta(days=10.5), 75.0),
        ("monthly", dt.timedelta(days=31), 100.0),
        ("quarterly", dt.timedelta(days=184), 50.0),
        ("yearly", dt.timedelta(days=400), pytest.approx(100 * (1 - 34 / 732))),
        ("realtime", dt.timedelta(hours=2), 50.0),
        ("irregular", dt.timedelta(days=3650), 100.0),
    ],
)
def test_timeliness_falls_from_one_window_to_three(
    frequency: str, age: dt.timedelta, score: float
) -> None:
    assert timeliness_score(frequency, NOW - age, NOW) == score


def test_timeliness_of_a_first_ingestion_and_of_unknown_frequencies() -> None:
    assert timeliness_score("daily", None, NOW) == 100.0
    assert timeliness_score(None, NOW - dt.timedelta(days=99), NOW) == 100.0
    with pytest.raises(ValueError, match="unknown update frequency 'hourly'"):
        timeliness_score("hourly", NOW, NOW)


def test_consistency_check_anti_joins_on_tokens(tmp_path: Path) -> None:
    reference = tmp_path / "residents" / "v1"
    reference.mkdir(parents=True)
    pq.write_table(pa.table({"id_number_token": ["t1", "t2", "t3"]}), reference / "part-0.parquet")
    table = pa.table({"legal_rep_id_token": ["t2", "t9", None, "t1", "t8"]})

    result = consistency_check(
        table,
        "legal_rep_id_token",
        reference,
        "id_number_token",
        field_name="legal_rep_id",
        row_numbers=pa.array([3, 5, 8, 9, 12]),
    )

    assert (result.field, result.rule, result.checked, result.failed) == (
        "legal_rep_id",
        "consistency",
        4,
        2,
    )
    assert result.failed_mask.tolist() == [False, True, False, False, True]
    assert result.samples == [5, 12]


def test_a_clean_check_scores_100(tmp_path: Path) -> None:
    rows = [r for i, r in enumerate(defects.RESIDENTS_ROWS, 1) if i in defects.RESIDENTS_ACCEPTED]
    path = defects.write_csv(tmp_path / "clean.csv", defects.RESIDENTS_HEADER, rows)
    report = build_report(check_file(path, DatasetSchema.from_json(defects.RESIDENTS_SCHEMA)))
    assert report.overall == 100.0 and report.failures == {}


@pytest.mark.parametrize(
    "rows",
    [
        [],  # a header and nothing else
        [[defects.BAD_CHECK_ID, "张三", "13800138000", "1990-01-01"]] * 3,  # all rejected
    ],
)
def test_an_upload_that_stores_no_row_scores_nothing_for_its_content(
    tmp_path: Path, rows: list[list[str]]
) -> None:
    """R4.3, R9.3: a header-only file used to score 92 (100 for everything it did not
    have); data that stores nothing is not good data."""
    document = {
        "fields": [
            {"name": "id_number", "type": "id_number", "required": True, "unique": True},
            {"name": "name", "type": "person_name"},
            {"name": "mobile", "type": "mobile"},
            {"name": "birth_date", "type": "date"},
        ]
    }
    header = ["id_number", "name", "mobile", "birth_date"]
    path = defects.write_csv(tmp_path / "none.csv", header, rows)
    check = check_file(path, DatasetSchema.from_json(document))
    report = build_report(check, frequency="daily", last_update=NOW, as_of=NOW)
    assert check.rows_accepted == 0
    assert (report.completeness, report.accuracy, report.consistency) == (0.0, 0.0, 0.0)
    assert (report.timeliness, report.overall) == (100.0, 10.0)
