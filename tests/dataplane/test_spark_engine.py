"""The Spark engine gives the same answers as DuckDB for the sandbox's analyses (R8.2, issue 11).

One SparkSession for the module (a JVM takes 10–20 s to start). Each analysis is first
checked by the query policy, as the sandbox does, and the normalised DuckDB-dialect SQL
it returns runs on both engines over the same Parquet versions.
"""

from __future__ import annotations

import importlib.util
import shutil
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from sluice.core.settings import Settings
from sluice.dataplane import spark_engine
from sluice.dataplane.column_rules import FieldClass, Form, default_rule
from sluice.dataplane.sandbox_engine import (
    DuckDBWorkspace,
    EngineLimits,
    QueryFailed,
    QueryTimeout,
    ViewSource,
    WorkspaceEngine,
    close_workspace,
    duckdb_engine,
    engine_for,
)
from sluice.guard.query_policy import ViewColumn, ViewSpec, check_query
from tests.dataplane import sandbox_data
from tests.infrastructure import skip_or_fail

LIMITS = EngineLimits(memory_mb=1024, threads=2, timeout_seconds=60, max_result_rows=1_000)
MASTER = "local[2]"


def _column(name: str, sql_type: str, field_class: FieldClass, form: Form) -> ViewColumn:
    rule = default_rule(field_class, form)
    return ViewColumn(name, sql_type, field_class, form, rule, subject=form == "token")


SPECS = {
    "scjgj_enterprises": ViewSpec(
        "scjgj_enterprises",
        (
            _column("uscc_token", "VARCHAR", "identifier", "token"),
            _column("name_masked", "VARCHAR", "identifier", "masked"),
            _column("district", "VARCHAR", "public", "value"),
            _column("industry", "VARCHAR", "internal", "value"),
            _column("tax_rating", "VARCHAR", "internal", "value"),
            _column("founded_on", "DATE", "sensitive", "value"),
            _column("registered_capital", "DECIMAL(18,2)", "sensitive", "value"),
        ),
    ),
    "sw_tax": ViewSpec(
        "sw_tax",
        (
            _column("uscc_token", "VARCHAR", "identifier", "token"),
            _column("tax_year", "INTEGER", "internal", "value"),
            _column("tax_paid_fen", "BIGINT", "sensitive", "value"),
        ),
    ),
}

#: The 普惠金融 analyses of the demo, as an operator writes them.
ANALYSES = {
    "enterprises by district and tax rating": """
        SELECT district, tax_rating, count(*) AS registrations,
               count(DISTINCT uscc_token) AS enterprises,
               sum(registered_capital) AS capital
        FROM scjgj_enterprises
        GROUP BY district, tax_rating
        ORDER BY district, tax_rating
    """,
    "founding year bands": """
        SELECT floor(year(founded_on) / 5) * 5 AS founded_from,
               count(DISTINCT uscc_token) AS enterprises,
               min(registered_capital) AS smallest
        FROM scjgj_enterprises
        WHERE industry <> '金融业'
        GROUP BY founded_from
        HAVING count(*) >= 10
        ORDER BY founded_from
    """,
    "tax paid by rating, joined on tokens": """
        SELECT e.tax_rating, count(DISTINCT e.uscc_token) AS enterprises,
               sum(t.tax_paid_fen) AS paid_fen, sum(t.tax_paid_fen) // 100 AS paid_yuan
        FROM scjgj_enterprises e JOIN sw_tax t ON e.uscc_token = t.uscc_token
        WHERE t.tax_year = 2024
        GROUP BY e.tax_rating
        ORDER BY e.tax_rating
    """,
    "founded by quarter in one district": """
        SELECT date_trunc('quarter', founded_on) AS quarter, count(*) AS n
        FROM scjgj_enterprises
        WHERE district = '鲅鱼圈区' AND founded_on >= DATE '2020-01-01'
        GROUP BY quarter
        ORDER BY quarter
    """,
}


@dataclass(frozen=True)
class Engines:
    duckdb: WorkspaceEngine
    spark: WorkspaceEngine
    views: list[ViewSource]
    home: Path


@pytest.fixture(scope="module")
def engines(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Engines]:
    if shutil.which("java") is None:
        skip_or_fail("Java 17 (openjdk-17-jre-headless) for the Spark engine")
    if importlib.util.find_spec("pyspark") is None:
        skip_or_fail("pyspark (the dev extra: make test installs it) for the Spark engine")
    home = tmp_path_factory.mktemp("home")
    data = home / "data"
    views = [
        ViewSource(
            "scjgj_enterprises",
            sandbox_data.write_version(
                data, "scjgj", "enterprises", "run-1", sandbox_data.enterprises_table(3_000)
            ),
        ),
        ViewSource(
            "sw_tax",
            sandbox_data.write_version(data, "sw", "tax", "run-1", sandbox_data.tax_table(4_000)),
        ),
    ]
    key = f"workspace-{uuid.uuid4()}"
    spark = spark_engine.spark_engine(key, views, LIMITS, master=MASTER)
    duck = duckdb_engine(f"{key}-duckdb", views, LIMITS)
    try:
        yield Engines(duck, spark, views, home)
    finally:
        close_workspace(key)
        close_workspace(f"{key}-duckdb")
        spark_engine.stop_session()


@pytest.mark.parametrize("analysis", list(ANALYSES))
def test_spark_and_duckdb_give_identical_answers(engines: Engines, analysis: str) -> None:
    checked = check_query(ANALYSES[analysis], SPECS, row_cap=100)

    on_duckdb = engines.duckdb.run(checked.sql, max_rows=1_000)
    on_spark = engines.spark.run(checked.sql, max_rows=1_000)

    assert on_spark.rows == on_duckdb.rows
    assert len(on_duckdb.rows) >= 3
    assert [name for name, _ in on_spark.columns] == [name for name, _ in on_duckdb.columns]
    assert on_spark.truncated is on_duckdb.truncated is False


def test_spark_reports_sql_types_as_duckdb_names_them(engines: Engines) -> None:
    result = engines.spark.run(
        "SELECT district, count(*) AS n, sum(registered_capital) AS capital, "
        "min(founded_on) AS first FROM scjgj_enterprises GROUP BY district ORDER BY district",
        max_rows=2,
    )

    assert result.columns == (
        ("district", "VARCHAR"),
        ("n", "BIGINT"),
        ("capital", "DECIMAL(28,2)"),
        ("first", "DATE"),
    )
    assert result.truncated is True and len(result.rows) == 2
    assert isinstance(result.rows[0][2], str) and isinstance(result.rows[0][3], str)

    nested = "SELECT {'year': 2024, 'days': [DATE '2024-01-01']} AS pair, 1.5::DECIMAL(4, 2) AS d"
    assert engines.spark.run(nested, max_rows=1).rows == engines.duckdb.run(nested, max_rows=1).rows


def test_spark_runs_one_query_and_no_files(engines: Engines) -> None:
    for sql in (
        "SET spark.sql.runSQLOnFiles = true",
        "SELECT 1; SELECT 2",
        "COPY (SELECT 1) TO '/tmp/x.csv'",
    ):
        with pytest.raises(QueryFailed) as refused:
            engines.spark.run(sql, max_rows=1)
        assert refused.value.message_key == "error.query_failed.statement"
    # A file named as a relation does not resolve: runSQLOnFiles is off.
    other = engines.views[1].directory / "part-0.parquet"
    with pytest.raises(QueryFailed) as refused:
        engines.spark.run(f'SELECT * FROM parquet."{other}"', max_rows=1)  # noqa: S608
    assert refused.value.params == {"kind": "TABLE_OR_VIEW_NOT_FOUND"}


def test_a_runaway_spark_query_is_cancelled_at_the_limit(engines: Engines) -> None:
    limits = EngineLimits(memory_mb=1024, threads=2, timeout_seconds=1.5, max_result_rows=10)
    key = f"workspace-{uuid.uuid4()}"
    engine = spark_engine.spark_engine(key, engines.views[1:], limits, master=MASTER)
    started = time.perf_counter()
    try:
        with pytest.raises(QueryTimeout) as refused:
            # A sum, not a bare count: Spark's tight count(*) loop over a cross join does
            # not look at the kill flag, so its tasks would outlive the cancel.
            engine.run(
                "SELECT sum(a.tax_year + b.tax_year + c.tax_year) "
                "FROM sw_tax a, sw_tax b, sw_tax c",
                max_rows=1,
            )
    finally:
        close_workspace(key)

    assert time.perf_counter() - started < 4.0
    assert refused.value.detail("en").startswith("The query ran longer than the 1.5-second limit")


def test_engine_for_runs_spark_when_the_settings_say_so(engines: Engines) -> None:
    settings = Settings(home=engines.home, engine="spark", spark_master=MASTER)
    key = f"workspace-{uuid.uuid4()}"
    try:
        engine = engine_for(settings, key, engines.views)
        assert isinstance(engine, spark_engine.SparkWorkspace)
        assert not isinstance(engine, DuckDBWorkspace)
        assert engine_for(settings, key, engines.views) is engine
        assert engine.run("SELECT count(*) AS n FROM sw_tax", max_rows=1).rows == [[4_000]]
    finally:
        close_workspace(key)
    assert engine.closed
