"""The DuckDB sandbox engine: locked to its version directories, limited, reused (R8.2).

Every test calls the engine directly with SQL the query policy would refuse: the point is
that DuckDB itself refuses it too, so a mistake in the policy does not open the files.
"""

from __future__ import annotations

import json
import threading
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from sluice.core.settings import Settings
from sluice.dataplane import sandbox_shared
from sluice.dataplane.product_engine import product_engine
from sluice.dataplane.sandbox_engine import (
    DuckDBWorkspace,
    EngineLimits,
    QueryFailed,
    QueryTimeout,
    QueryTooLarge,
    ViewSource,
    close_workspace,
    duckdb_engine,
    engine_for,
)
from tests.dataplane import sandbox_data

LIMITS = EngineLimits(memory_mb=256, threads=2, timeout_seconds=1.0, max_result_rows=1_000)
ENTERPRISES_V1 = 600
ENTERPRISES_V2 = 240


@dataclass(frozen=True)
class Home:
    """A SLUICE_HOME with two versions of one resource and everything a view must not see."""

    root: Path
    v1: Path
    v2: Path
    tax: Path
    #: Files beside the versions that no query may read, by what they stand for.
    secrets: dict[str, Path]

    @property
    def settings(self) -> Settings:
        return Settings(home=self.root)


@pytest.fixture(scope="module")
def home(tmp_path_factory: pytest.TempPathFactory) -> Home:
    root = tmp_path_factory.mktemp("home")
    data = root / "data"
    v1 = sandbox_data.write_version(
        data, "scjgj", "enterprises", "run-1", sandbox_data.enterprises_table(ENTERPRISES_V1)
    )
    v2 = sandbox_data.write_version(
        data,
        "scjgj",
        "enterprises",
        "run-2",
        sandbox_data.enterprises_table(ENTERPRISES_V2, seed=5),
    )
    tax = sandbox_data.write_version(data, "sw", "tax", "run-1", sandbox_data.tax_table(400))
    # A directory whose name extends the version's: allowed by a bare prefix, not by ours.
    sibling = sandbox_data.write_version(
        data, "scjgj", "enterprises", "run-10", pa.table({"leak": ["sibling"]})
    )
    secrets = {
        "sibling version": sibling / "part-0.parquet",
        "raw upload": root / "raw" / "scjgj" / "enterprises" / "upload.csv",
        "quarantine": root / "quarantine" / "scjgj" / "rejected.csv",
        "key store": root / "keys" / "master.key",
        "source": root / "sources" / "enterprises.csv",
        "evidence": root / "evidence" / "licence.csv",
        "upload": root / "uploads" / "incoming.csv",
        "derived": data / "authorizations" / str(uuid.uuid4()) / "export.csv",
    }
    for path in secrets.values():
        path.parent.mkdir(parents=True, exist_ok=True)
        if path.suffix == ".csv":
            path.write_text("secret\nleak\n", encoding="utf-8")
        elif not path.exists():
            path.write_text("leak", encoding="utf-8")
    return Home(root, v1, v2, tax, secrets)


@pytest.fixture
def key() -> Iterator[str]:
    name = f"workspace-{uuid.uuid4()}"
    yield name
    close_workspace(name)


def _views(home: Home, enterprises: Path | None = None) -> list[ViewSource]:
    return [
        ViewSource("scjgj_enterprises", enterprises or home.v1),
        ViewSource("sw_tax", home.tax),
    ]


def _engine(home: Home, key: str, limits: EngineLimits = LIMITS) -> DuckDBWorkspace:
    engine = duckdb_engine(key, _views(home), limits)
    assert isinstance(engine, DuckDBWorkspace)
    return engine


def test_a_view_reads_its_own_version_only(home: Home, key: str) -> None:
    engine = _engine(home, key)

    result = engine.run(
        "SELECT count(*) AS n, count(DISTINCT district) AS districts FROM scjgj_enterprises",
        max_rows=10,
    )

    assert result.columns == (("n", "BIGINT"), ("districts", "BIGINT"))
    assert result.rows == [[ENTERPRISES_V1, len(sandbox_data.DISTRICTS)]]
    assert result.truncated is False


@pytest.mark.parametrize(
    "what",
    [
        "sibling version",
        "raw upload",
        "quarantine",
        "key store",
        "source",
        "evidence",
        "upload",
        "derived",
    ],
)
def test_duckdb_refuses_every_file_outside_the_versions_in_scope(
    home: Home, key: str, what: str
) -> None:
    engine = _engine(home, key)
    path = home.secrets[what]
    reader = "read_parquet" if path.suffix == ".parquet" else "read_csv"

    with pytest.raises(QueryFailed) as refused:
        engine.run(f"SELECT * FROM {reader}('{path}')", max_rows=10)  # noqa: S608

    assert isinstance(refused.value.__cause__, duckdb.PermissionException)
    assert refused.value.code == "query_failed" and refused.value.status == 422


@pytest.mark.parametrize(
    "sql",
    [
        # Another version of the same resource, a glob over the data zone, a path that
        # climbs out of an allowed directory, a file named as a table, text files.
        "SELECT count(*) FROM read_parquet('{v2}/*.parquet')",
        "SELECT count(*) FROM read_parquet('{root}/data/**/*.parquet')",
        "SELECT count(*) FROM read_parquet('{v1}/../run-2/part-0.parquet')",
        "SELECT count(*) FROM '{v2}/part-0.parquet'",
        "SELECT * FROM read_text('/etc/passwd')",
        "SELECT * FROM read_csv('{root}/keys/master.key', header = false)",
        "SELECT * FROM glob('{root}/*')",
        "SELECT * FROM read_json('http://127.0.0.1:9/x.json')",
        "SELECT * FROM sniff_csv('{root}/raw/scjgj/enterprises/upload.csv')",
    ],
)
def test_duckdb_refuses_other_paths_however_they_are_spelled(
    home: Home, key: str, sql: str
) -> None:
    engine = _engine(home, key)

    with pytest.raises(QueryFailed) as refused:
        engine.run(sql.format(root=home.root, v1=home.v1, v2=home.v2), max_rows=10)

    assert isinstance(refused.value.__cause__, duckdb.PermissionException)


@pytest.mark.parametrize(
    "sql",
    [
        "COPY (SELECT * FROM scjgj_enterprises) TO '{v1}/copy.csv'",
        "COPY scjgj_enterprises TO '{v1}/copy.parquet' (FORMAT parquet)",
        "EXPORT DATABASE '{v1}/export'",
        "ATTACH '{v1}/x.duckdb' AS x",
        "INSTALL httpfs",
        "LOAD httpfs",
        "CREATE TABLE copy AS SELECT * FROM scjgj_enterprises",
        "SET enable_external_access = true",
        "PRAGMA threads = 8",
        "CALL pragma_version()",
        "SELECT 1; SELECT 2",
        "EXPLAIN ANALYZE SELECT * FROM scjgj_enterprises",
    ],
)
def test_only_one_select_ever_runs(home: Home, key: str, sql: str) -> None:
    engine = _engine(home, key)

    with pytest.raises(QueryFailed) as refused:
        engine.run(sql.format(v1=home.v1), max_rows=10)

    assert refused.value.message_key == "error.query_failed.statement"
    assert refused.value.detail("en") == (
        "The analysis engine runs exactly one SELECT query; this statement was not run."
    )
    assert refused.value.detail("zh-CN") == "分析引擎只执行一条 SELECT 查询，该语句未被执行。"
    # A COPY inside an allowed directory would have written there: it never ran.
    assert sorted(p.name for p in home.v1.iterdir()) == ["part-0.parquet"]


@pytest.mark.parametrize(
    "statement",
    [
        "SET enable_external_access = true",
        "SET allowed_directories = ['/']",
        "SET allowed_paths = ['/etc/passwd']",
        "RESET allowed_directories",
        "SET lock_configuration = false",
        "RESET lock_configuration",
        "SET memory_limit = '100GB'",
        "SET max_execution_time = 0",
        "PRAGMA threads = 64",
        "SET temp_directory = '/tmp'",
        "SET autoload_known_extensions = true",
        "SET python_enable_replacements = true",
    ],
)
def test_the_configuration_is_locked_in_duckdb_itself(home: Home, key: str, statement: str) -> None:
    engine = _engine(home, key)
    # Past the engine's own statement check, straight to DuckDB on a connection of the
    # workspace's database: the lock is DuckDB's, not ours.
    cursor = engine._database.cursor()
    try:
        with pytest.raises(duckdb.InvalidInputException, match="configuration has been locked"):
            cursor.execute(statement)
    finally:
        cursor.close()

    settings = engine.run(
        "SELECT current_setting('lock_configuration') AS locked, "
        "current_setting('enable_external_access') AS external, "
        "current_setting('allowed_directories') AS allowed, "
        "current_setting('memory_limit') AS memory, current_setting('threads') AS threads, "
        "current_setting('temp_directory') AS temp, "
        "current_setting('autoload_known_extensions') AS autoload, "
        "current_setting('autoinstall_known_extensions') AS autoinstall",
        max_rows=1,
    )
    [[locked, external, allowed, memory, threads, temp, autoload, autoinstall]] = settings.rows
    assert (locked, external, autoload, autoinstall) == (True, False, False, False)
    assert sorted(allowed) == sorted([f"{home.v1}/", f"{home.tax}/"])
    assert (memory, threads, temp) == ("244.1 MiB", 2, "")


def test_a_runaway_query_times_out_within_the_limit_while_another_answers(
    home: Home, key: str
) -> None:
    engine = _engine(home, key)
    outcome: dict[str, object] = {}

    def runaway() -> None:
        started = time.perf_counter()
        try:
            engine.run("SELECT count(*) FROM range(1e12::BIGINT)", max_rows=1)
        except QueryTimeout as error:
            outcome["error"] = error
        outcome["seconds"] = time.perf_counter() - started

    thread = threading.Thread(target=runaway)
    thread.start()
    try:
        time.sleep(0.1)  # the runaway is on the engine's threads now
        answered = engine.run("SELECT count(*) AS n FROM sw_tax", max_rows=1)
        assert thread.is_alive(), "the second query answered while the first still ran"
    finally:
        thread.join()

    assert answered.rows == [[400]]
    error = outcome["error"]
    assert isinstance(error, QueryTimeout)
    assert (error.status, error.code) == (504, "query_timeout")
    # Not before the limit (less a millisecond: the engine's alarm and this stopwatch start
    # on either side of the query and read the clock apart), and well before twice it.
    assert 0.999 <= float(str(outcome["seconds"])) < 2.0
    assert error.detail("zh-CN").startswith("查询运行超过 1 秒的时间上限，已被中止。")
    assert error.detail("en").startswith("The query ran longer than the 1-second limit")


def test_a_runaway_self_join_ends_within_the_limit(home: Home, key: str) -> None:
    engine = _engine(home, key)
    started = time.perf_counter()

    with pytest.raises((QueryTimeout, QueryTooLarge)):
        engine.run(
            "SELECT a.district, count(*) FROM scjgj_enterprises a, scjgj_enterprises b, "
            "scjgj_enterprises c, scjgj_enterprises d GROUP BY a.district",
            max_rows=10,
        )

    assert time.perf_counter() - started < 2.0


def test_a_query_past_the_memory_limit_is_too_large(home: Home, key: str) -> None:
    limits = EngineLimits(memory_mb=64, threads=2, timeout_seconds=30, max_result_rows=10)
    engine = _engine(home, key, limits)

    with pytest.raises(QueryTooLarge) as refused:
        engine.run("SELECT i, count(*) FROM range(50_000_000) t(i) GROUP BY i", max_rows=10)

    assert (refused.value.status, refused.value.code) == (503, "query_too_large")
    assert "64 MB" in refused.value.detail("zh-CN") and "64 MB" in refused.value.detail("en")


def test_results_are_json_safe(home: Home, key: str) -> None:
    engine = _engine(home, key)

    result = engine.run(
        "SELECT DATE '2024-02-29' AS day, TIMESTAMP '2024-02-29 08:30:00' AS at, "
        "TIME '23:59:01' AS clock, 1234567.89::DECIMAL(18, 2) AS money, "
        "'NaN'::DOUBLE AS nan, 'inf'::DOUBLE AS inf, 0.5::DOUBLE AS half, NULL AS nothing, "
        "'\\x01\\xff'::BLOB AS bytes, INTERVAL 90 MINUTE AS span, [DATE '2024-01-01'] AS days, "
        "{'amount': 1.50::DECIMAL(4, 2)} AS pair, "
        "170141183460469231731687303715884105727::HUGEINT AS huge",
        max_rows=1,
    )

    assert dict(result.columns) == {
        "day": "DATE",
        "at": "TIMESTAMP",
        "clock": "TIME",
        "money": "DECIMAL(18,2)",
        "nan": "DOUBLE",
        "inf": "DOUBLE",
        "half": "DOUBLE",
        "nothing": '"NULL"',
        "bytes": "BLOB",
        "span": "INTERVAL",
        "days": "DATE[]",
        "pair": "STRUCT(amount DECIMAL(4,2))",
        "huge": "HUGEINT",
    }
    assert result.rows == [
        [
            "2024-02-29",
            "2024-02-29T08:30:00",
            "23:59:01",
            "1234567.89",
            None,
            None,
            0.5,
            None,
            "Af8=",
            "P0DT5400S",
            ["2024-01-01"],
            {"amount": "1.50"},
            170141183460469231731687303715884105727,
        ]
    ]
    json.dumps(result.rows, allow_nan=False)  # would raise on NaN, dates or decimals


def test_rows_past_max_rows_are_cut_and_marked(home: Home, key: str) -> None:
    limits = EngineLimits(memory_mb=256, threads=2, timeout_seconds=5, max_result_rows=4)
    engine = _engine(home, key, limits)
    grouped = "SELECT district, count(*) AS n FROM {} GROUP BY district ORDER BY n DESC, district"
    query = grouped.format("scjgj_enterprises")

    asked = engine.run(query, max_rows=2)
    capped = engine.run(query, max_rows=100)  # the workspace's limit wins
    whole = duckdb.sql(grouped.format(f"'{home.v1}/*.parquet'")).fetchall()

    assert (asked.rows, asked.truncated) == ([list(r) for r in whole[:2]], True)
    assert (capped.rows, capped.truncated) == ([list(r) for r in whole[:4]], True)


def test_engine_errors_never_quote_the_data(home: Home, key: str) -> None:
    engine = _engine(home, key)
    first_token = pq.read_table(home.v1 / "part-0.parquet").column("uscc_token")[0].as_py()

    with pytest.raises(QueryFailed) as refused:
        engine.run("SELECT sum(uscc_token::INTEGER) FROM scjgj_enterprises", max_rows=1)

    assert isinstance(refused.value.__cause__, duckdb.ConversionException)
    assert first_token in str(refused.value.__cause__)  # DuckDB's message quotes the row
    for locale in ("zh-CN", "en"):
        problem = json.dumps(refused.value.problem(locale), ensure_ascii=False)
        assert first_token not in problem
        assert "Conversion" in problem


def test_the_same_workspace_reuses_its_database_and_a_new_view_set_rebuilds(
    home: Home, key: str
) -> None:
    first = _engine(home, key)
    first.run("SELECT 1", max_rows=1)

    started = time.perf_counter()
    again = duckdb_engine(key, _views(home), LIMITS)
    result = again.run("SELECT count(*) FROM scjgj_enterprises", max_rows=1)
    fixed_cost = time.perf_counter() - started

    assert again is first and again._database is first._database
    assert result.rows == [[ENTERPRISES_V1]]
    assert fixed_cost < 0.05

    # A new version of the resource: a new database over it; the old one closes.
    rebuilt = duckdb_engine(key, _views(home, enterprises=home.v2), LIMITS)
    assert rebuilt is not first and first.closed
    assert rebuilt.run("SELECT count(*) FROM scjgj_enterprises", max_rows=1).rows == [
        [ENTERPRISES_V2]
    ]
    with pytest.raises(QueryFailed) as refused:
        first.run("SELECT 1", max_rows=1)
    assert refused.value.message_key == "error.query_failed.closed"


def test_closing_a_workspace_stops_its_running_query(home: Home, key: str) -> None:
    limits = EngineLimits(memory_mb=256, threads=2, timeout_seconds=30, max_result_rows=10)
    engine = _engine(home, key, limits)
    outcome: list[BaseException] = []

    def runaway() -> None:
        try:
            engine.run("SELECT count(*) FROM range(1e12::BIGINT)", max_rows=1)
        except QueryFailed as error:
            outcome.append(error)

    thread = threading.Thread(target=runaway)
    thread.start()
    time.sleep(0.1)
    started = time.perf_counter()
    close_workspace(key)
    thread.join(timeout=5)

    assert time.perf_counter() - started < 2.0
    [error] = outcome
    assert isinstance(error, QueryFailed)
    assert error.message_key == "error.query_failed.closed"
    assert engine.closed
    assert duckdb_engine(key, _views(home), limits) is not engine


def test_engine_for_picks_duckdb_and_reads_only_the_data_zone(home: Home, key: str) -> None:
    settings = home.settings
    assert settings.engine == "duckdb"

    engine = engine_for(settings, key, _views(home))
    assert isinstance(engine, DuckDBWorkspace)
    assert engine.limits == EngineLimits(
        memory_mb=settings.sandbox_memory_mb,
        threads=settings.sandbox_threads,
        timeout_seconds=settings.sandbox_timeout_seconds,
        max_result_rows=settings.sandbox_max_result_rows,
    )

    # A view over anything but a version directory in the data zone is never built.
    for directory in (
        home.root / "raw" / "scjgj" / "enterprises",
        home.secrets["derived"].parent,
        home.root / "keys",
        home.root / "data",  # the zone itself: it holds every version
        home.root / "data" / "scjgj",  # a provider's folder: all its resources
        home.root,
    ):
        with pytest.raises(ValueError):
            engine_for(settings, f"{key}-bad", [ViewSource("leak", directory)])
    # Even where the data zone check does not apply, a folder of folders is refused.
    with pytest.raises(ValueError, match="subdirectories"):
        duckdb_engine(f"{key}-bad", [ViewSource("leak", home.root / "data")], LIMITS)


def test_a_product_engine_holds_small_versions_in_memory_and_answers_the_same(
    home: Home, key: str
) -> None:
    """With ``table_rows``, a version of at most that many rows is read into memory once
    (a table), a larger one stays a view over its Parquet; the answers are the same, and a
    file outside the versions is still refused."""
    views = _views(home)
    sql = (
        "SELECT district, count(*) AS n, (SELECT count(*) FROM sw_tax) AS taxed "
        "FROM scjgj_enterprises GROUP BY district ORDER BY district"
    )
    over_parquet = DuckDBWorkspace(key, views, LIMITS)
    held = DuckDBWorkspace(f"{key}-held", views, LIMITS, table_rows=ENTERPRISES_V1)
    try:
        kinds = dict(
            held._database.execute(
                "SELECT table_name, table_type FROM information_schema.tables"
            ).fetchall()
        )
        assert kinds == {"scjgj_enterprises": "BASE TABLE", "sw_tax": "BASE TABLE"}
        assert held.run(sql, max_rows=50).rows == over_parquet.run(sql, max_rows=50).rows
        smaller = DuckDBWorkspace(f"{key}-small", views, LIMITS, table_rows=ENTERPRISES_V1 - 1)
        try:
            kinds = dict(
                smaller._database.execute(
                    "SELECT table_name, table_type FROM information_schema.tables"
                ).fetchall()
            )
            assert kinds == {"scjgj_enterprises": "VIEW", "sw_tax": "BASE TABLE"}
        finally:
            smaller.close()
        sibling = home.secrets["sibling version"]
        with pytest.raises(QueryFailed):
            held.run(f"SELECT * FROM read_parquet('{sibling}')", max_rows=1)  # noqa: S608
    finally:
        over_parquet.close()
        held.close()


def test_a_version_the_memory_limit_cannot_hold_stays_a_view_and_still_answers(
    tmp_path: Path,
) -> None:
    """Read into memory only if it fits: a version under ``table_rows`` but over the
    engine's memory limit stays a view over its files, and the engine is built."""
    directory = tmp_path / "big"
    directory.mkdir()
    rows = 300_000
    strings = pa.array([uuid.UUID(int=i).hex * 2 for i in range(rows)])
    pq.write_table(pa.table({"id": pa.array(range(rows)), "s": strings}), directory / "0.parquet")
    tight = EngineLimits(memory_mb=8, threads=1, timeout_seconds=30, max_result_rows=10)
    engine = DuckDBWorkspace("big", (ViewSource("big", directory),), tight, table_rows=rows)
    try:
        kinds = engine._database.execute(
            "SELECT table_name, table_type FROM information_schema.tables"
        ).fetchall()
        assert kinds == [("big", "VIEW")]
        assert engine.run("SELECT count(*) FROM big WHERE id = 5", max_rows=1).rows == [[1]]
    finally:
        engine.close()


def test_a_product_engine_over_a_version_it_cannot_read_fails_the_call_not_the_server(
    home: Home, key: str
) -> None:
    """A damaged file in a version: building the product's engine is ``query_failed``
    (a refusal the gateway logs), not an exception that becomes a 500."""
    broken = sandbox_data.write_version(
        home.root / "data", "scjgj", "broken", f"run-{uuid.uuid4().hex[:8]}", pa.table({"a": [1]})
    )
    (broken / "part-0.parquet").write_bytes(b"PAR1 not really a parquet file PAR1")
    with pytest.raises(QueryFailed) as failed:
        product_engine(home.settings, key, [ViewSource("broken", broken)])
    assert (failed.value.status, failed.value.code) == (422, "query_failed")
    assert key not in sandbox_shared._engines
