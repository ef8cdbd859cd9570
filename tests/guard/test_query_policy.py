"""The sandbox query policy (R8.2): what an operator may run over its workspace's views.

Pure: no database. Every refusal names its code and the part refused; every pass is
checked for what it returns (output columns, row level, the row cap, the SQL run).
"""

# The queries are the subject here, written as f-strings over the view names.
# ruff: noqa: S608

from __future__ import annotations

import duckdb
import pyarrow as pa
import pytest

from sluice.core.i18n import EN, ZH
from sluice.core.ids import sm3_hex
from sluice.dataplane.column_rules import FieldClass, Form, default_rule, tighten
from sluice.guard.query_policy import (
    CheckedQuery,
    QueryRefused,
    ViewColumn,
    ViewSpec,
    check_query,
    subject_count_query,
)


def _column(
    name: str, sql_type: str, field_class: FieldClass, form: Form, *, subject: bool = False
) -> ViewColumn:
    return ViewColumn(
        name, sql_type, field_class, form, default_rule(field_class, form), subject=subject
    )


ENTERPRISES = ViewSpec(
    "scjgj_enterprises",
    (
        _column("uscc_token", "VARCHAR", "identifier", "token", subject=True),
        _column("name_masked", "VARCHAR", "identifier", "masked"),
        _column("district", "VARCHAR", "public", "value"),
        _column("industry", "VARCHAR", "internal", "value"),
        _column("registered_capital", "DECIMAL(18,2)", "sensitive", "value"),
        _column("founded_on", "DATE", "sensitive", "value"),
    ),
)
TAX = ViewSpec(
    "sw_tax_ratings",
    (
        _column("uscc_token", "VARCHAR", "identifier", "token", subject=True),
        _column("tax_rating", "VARCHAR", "internal", "value"),
        _column("tax_paid", "DOUBLE", "sensitive", "value"),
    ),
)
INSURED = ViewSpec(
    "rsj_insured",
    (
        _column("person_token", "VARCHAR", "identifier", "token", subject=True),
        _column("uscc_token", "VARCHAR", "identifier", "token"),
        _column("gender", "VARCHAR", "internal", "value"),
        _column("birth_date", "DATE", "sensitive", "value"),
        _column("monthly_wage", "DOUBLE", "sensitive", "value"),
    ),
)
VIEWS = {view.name: view for view in (ENTERPRISES, TAX, INSURED)}
CAP = 100

E = "scjgj_enterprises"

#: (id, SQL, code, part): each must be refused with that code, naming that part.
# fmt: off
ADVERSARIAL = [
    # files and the network, in every spelling
    ("read_csv", "SELECT * FROM read_csv('/etc/passwd')", "function_not_allowed", "read_csv"),
    ("read_csv_auto", "SELECT * FROM read_csv_auto('x.csv')", "function_not_allowed",
     "read_csv_auto"),
    ("read_parquet_s3", "SELECT * FROM read_parquet('s3://bucket/x.parquet')",
     "function_not_allowed", "read_parquet"),
    ("read_json_http", "SELECT * FROM read_json_auto('http://203.0.113.9/x.json')",
     "function_not_allowed", "read_json_auto"),
    ("read_text", "SELECT content FROM read_text('/etc/hostname')", "function_not_allowed",
     "read_text"),
    ("parquet_scan", "SELECT * FROM parquet_scan('var/data/x.parquet')",
     "function_not_allowed", "parquet_scan"),
    ("string_literal_file", "SELECT * FROM 'x.csv'", "relation_not_allowed", "x.csv"),
    ("quoted_parquet_file", 'SELECT * FROM "var/raw/x.parquet"', "relation_not_allowed",
     "var/raw/x.parquet"),
    ("https_file", "SELECT * FROM 'https://example.org/x.csv'", "relation_not_allowed",
     "https://example.org/x.csv"),
    ("glob", "SELECT * FROM glob('/work/*')", "function_not_allowed", "glob"),
    ("sqlite_scan", "SELECT * FROM sqlite_scan('a.db', 't')", "function_not_allowed",
     "sqlite_scan"),
    ("query", "SELECT * FROM query('SELECT 1')", "function_not_allowed", "query"),
    ("query_table", f"SELECT * FROM query_table('{E}')", "function_not_allowed",
     "query_table"),
    ("range", "SELECT count(*) FROM range(1000000000000)", "function_not_allowed", "range"),
    ("file_in_nested_cte",
     "WITH a AS (SELECT 1 AS x), b AS (SELECT * FROM a, read_csv('k.csv')) SELECT * FROM b",
     "function_not_allowed", "read_csv"),
    ("file_in_scalar_subquery",
     "SELECT district, (SELECT count(*) FROM read_parquet('x')) FROM scjgj_enterprises",
     "function_not_allowed", "read_parquet"),
    ("file_in_lateral",
     f"SELECT l.* FROM {E} e, LATERAL (SELECT * FROM read_csv(e.district)) l",
     "function_not_allowed", "read_csv"),
    ("mixed_case", "sElEcT * FrOm ReAd_CsV('x.csv')", "function_not_allowed", "read_csv"),
    ("comment_split_name", "SELECT * FROM read_csv/* hi */('x.csv')", "function_not_allowed",
     "read_csv"),
    # statements that are not one SELECT
    ("copy_to", f"COPY (SELECT district FROM {E}) TO 'out.csv'", "statement_not_allowed",
     "COPY"),
    ("copy_table", f"COPY {E} TO '/tmp/x.parquet' (FORMAT parquet)",
     "statement_not_allowed", "COPY"),
    ("attach", "ATTACH 'other.duckdb' AS other", "statement_not_allowed", "ATTACH"),
    ("detach", "DETACH other", "statement_not_allowed", "DETACH"),
    ("install", "INSTALL httpfs", "statement_not_allowed", "INSTALL"),
    ("load", "LOAD httpfs", "statement_not_allowed", "LOAD"),
    ("pragma", "PRAGMA database_list", "statement_not_allowed", "PRAGMA"),
    ("set", "SET enable_external_access = true", "statement_not_allowed", "SET"),
    ("set_directories", "SET allowed_directories = ['/']", "statement_not_allowed", "SET"),
    ("reset", "RESET allowed_directories", "statement_not_allowed", "RESET"),
    ("export", "EXPORT DATABASE '/tmp/dump'", "statement_not_allowed", "EXPORT"),
    ("import", "IMPORT DATABASE '/tmp/dump'", "statement_not_allowed", "IMPORT"),
    ("call", "CALL pragma_version()", "statement_not_allowed", "CALL"),
    ("use", "USE other", "statement_not_allowed", "USE"),
    ("describe", f"DESCRIBE {E}", "statement_not_allowed", "DESCRIBE"),
    ("show", "SHOW TABLES", "statement_not_allowed", "SHOW"),
    ("summarize", f"SUMMARIZE {E}", "statement_not_allowed", "SUMMARIZE"),
    ("create_table", "CREATE TABLE t AS SELECT 1", "statement_not_allowed", "CREATE"),
    ("drop_view", f"DROP VIEW {E}", "statement_not_allowed", "DROP"),
    ("insert", f"INSERT INTO {E} (district) VALUES ('x')", "statement_not_allowed",
     "INSERT"),
    ("two_selects", "SELECT 1; SELECT 2", "statement_not_allowed", "SELECT"),
    ("select_then_copy", f"SELECT 1; COPY {E} TO 'x.csv'", "statement_not_allowed", "COPY"),
    ("select_then_export", "SELECT 1; EXPORT DATABASE 'x'", "statement_not_allowed",
     "EXPORT"),
    ("semicolon_in_block_comment", "SELECT 1 /* ; */; ATTACH 'x.db'",
     "statement_not_allowed", "ATTACH"),
    ("line_comment_first", "-- just a comment\nATTACH 'x.db' AS y",
     "statement_not_allowed", "ATTACH"),
    ("recursive_cte",
     "WITH RECURSIVE r(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM r) SELECT * FROM r",
     "statement_not_allowed", "WITH RECURSIVE"),
    ("placeholder", f"SELECT district FROM {E} WHERE district = $1", "statement_not_allowed",
     "parameters ($1, ?)"),
    ("sample", f"SELECT district FROM {E} USING SAMPLE 10%", "statement_not_allowed",
     "USING SAMPLE / TABLESAMPLE"),
    ("limit_subquery", f"SELECT district FROM {E} LIMIT (SELECT 5)",
     "statement_not_allowed", "(SELECT 5)"),
    ("named_window",
     f"SELECT count(*) OVER w FROM {E} WINDOW w AS (PARTITION BY uscc_token)",
     "statement_not_allowed", "WINDOW"),
    # engine access through functions
    ("getenv", "SELECT getenv('HOME')", "function_not_allowed", "getenv"),
    ("current_setting", "SELECT current_setting('allowed_directories')",
     "function_not_allowed", "current_setting"),
    ("duckdb_settings", "SELECT * FROM duckdb_settings()", "function_not_allowed",
     "duckdb_settings"),
    ("duckdb_tables", "SELECT * FROM duckdb_tables()", "function_not_allowed",
     "duckdb_tables"),
    ("pragma_function", f"SELECT * FROM pragma_table_info('{E}')", "function_not_allowed",
     "pragma_table_info"),
    ("version", "SELECT version()", "function_not_allowed", "version"),
    ("md5_of_token", f"SELECT md5(uscc_token) FROM {E}", "function_not_allowed", "md5"),
    ("hash_of_token", f"SELECT hash(uscc_token) FROM {E}", "function_not_allowed", "hash"),
    ("regexp", f"SELECT count(*) FROM {E} WHERE regexp_matches(district, '^站')",
     "function_not_allowed", "regexp_matches"),
    ("lambda", f"SELECT list_transform([1], x -> x) FROM {E}", "function_not_allowed",
     "list_transform"),
    ("columns_star", f"SELECT COLUMNS('.*') FROM {E}", "function_not_allowed", "columns"),
    ("unnest", f"SELECT unnest([district]) FROM {E}", "function_not_allowed", "unnest"),
    # relations outside the workspace
    ("information_schema", "SeLeCt /* x */ * FrOm information_schema.tables -- y",
     "relation_not_allowed", "information_schema.tables"),
    ("sqlite_master", "SELECT * FROM sqlite_master", "relation_not_allowed", "sqlite_master"),
    ("pg_catalog", "SELECT * FROM pg_catalog.pg_class", "relation_not_allowed",
     "pg_catalog.pg_class"),
    ("schema_qualified_view", f"SELECT count(*) FROM main.{E}", "relation_not_allowed",
     f"main.{E}"),
    ("catalog_qualified_view", f"SELECT count(*) FROM memory.main.{E}",
     "relation_not_allowed", f"memory.main.{E}"),
    ("out_of_scope_view", "SELECT count(*) FROM gaj_residents", "relation_not_allowed",
     "gaj_residents"),
    ("out_of_scope_in_subquery",
     f"SELECT count(*) FROM {E} WHERE district IN (SELECT district FROM gaj_residents)",
     "relation_not_allowed", "gaj_residents"),
    # tokens in the output, directly or through derivation
    ("token_direct", f"SELECT uscc_token FROM {E}", "column_not_allowed",
     f"{E}.uscc_token"),
    ("star_with_token", f"SELECT * FROM {E}", "column_not_allowed", f"{E}.uscc_token"),
    ("qualified_star", f"SELECT e.* FROM {E} e", "column_not_allowed", f"{E}.uscc_token"),
    ("token_lower", f"SELECT lower(uscc_token) FROM {E}", "column_not_allowed",
     f"{E}.uscc_token"),
    ("token_concat", f"SELECT uscc_token || '' AS x FROM {E}", "column_not_allowed",
     f"{E}.uscc_token"),
    ("token_cast", f"SELECT CAST(uscc_token AS VARCHAR) FROM {E}", "column_not_allowed",
     f"{E}.uscc_token"),
    ("token_substr", f"SELECT substr(uscc_token, 1, 16) FROM {E}", "column_not_allowed",
     f"{E}.uscc_token"),
    ("token_case", f"SELECT CASE WHEN district = '站前区' THEN uscc_token END FROM {E}",
     "column_not_allowed", f"{E}.uscc_token"),
    ("token_string_agg", f"SELECT district, string_agg(uscc_token, ',') FROM {E} "
     "GROUP BY district", "column_not_allowed", f"{E}.uscc_token"),
    ("token_list", f"SELECT list(uscc_token) FROM {E}", "column_not_allowed",
     f"{E}.uscc_token"),
    ("token_min", f"SELECT min(uscc_token) FROM {E}", "column_not_allowed",
     f"{E}.uscc_token"),
    ("token_arg_max", f"SELECT arg_max(uscc_token, registered_capital) FROM {E}",
     "column_not_allowed", f"{E}.uscc_token"),
    ("token_compared_in_output", f"SELECT uscc_token = 'x' FROM {E}", "column_not_allowed",
     f"{E}.uscc_token"),
    ("union_smuggling", f"SELECT district FROM {E} UNION ALL SELECT uscc_token FROM {E}",
     "column_not_allowed", f"{E}.uscc_token"),
    ("nested_cte_smuggling",
     f"WITH a AS (SELECT uscc_token AS t FROM {E}), b AS (SELECT upper(t) AS u FROM a) "
     "SELECT u FROM b", "column_not_allowed", f"{E}.uscc_token"),
    ("cte_shadowing_view",
     f"WITH {E} AS (SELECT uscc_token AS district FROM {E}) SELECT district FROM {E}",
     "column_not_allowed", f"{E}.uscc_token"),
    ("lateral_smuggling", f"SELECT l.t FROM {E} e, LATERAL (SELECT e.uscc_token AS t) l",
     "column_not_allowed", f"{E}.uscc_token"),
    ("scalar_subquery_smuggling", f"SELECT (SELECT uscc_token FROM {E} LIMIT 1) AS t",
     "column_not_allowed", f"{E}.uscc_token"),
    ("derived_table_smuggling",
     f"SELECT x FROM (SELECT concat('id:', uscc_token) AS x FROM {E}) q",
     "column_not_allowed", f"{E}.uscc_token"),
    ("whole_row_by_name", f"SELECT {E} FROM {E}", "column_not_allowed", E),
    ("whole_row_by_alias", f"SELECT t FROM {E} AS t", "column_not_allowed", "t"),
    ("group_by_all_smuggling", f"SELECT uscc_token || count(*) FROM {E} GROUP BY ALL",
     "column_not_allowed", f"{E}.uscc_token"),
    # the other rules of the table
    ("token_group_key", f"SELECT count(*) FROM {E} GROUP BY uscc_token",
     "column_not_allowed", f"{E}.uscc_token"),
    ("token_partition", f"SELECT district, count(*) OVER (PARTITION BY uscc_token) FROM {E}",
     "column_not_allowed", f"{E}.uscc_token"),
    ("token_distinct_on", f"SELECT DISTINCT ON (uscc_token) district FROM {E}",
     "column_not_allowed", f"{E}.uscc_token"),
    ("token_like", f"SELECT count(*) FROM {E} WHERE uscc_token LIKE 'a%'",
     "column_not_allowed", f"{E}.uscc_token"),
    ("token_range", f"SELECT count(*) FROM {E} WHERE uscc_token > '8'",
     "column_not_allowed", f"{E}.uscc_token"),
    ("token_prefix_probe", f"SELECT count(*) FROM {E} WHERE substr(uscc_token, 1, 1) = 'a'",
     "column_not_allowed", f"{E}.uscc_token"),
    ("token_truth_test", f"SELECT count(*) FROM {E} WHERE uscc_token", "column_not_allowed",
     f"{E}.uscc_token"),
    ("token_order", f"SELECT district FROM {E} ORDER BY uscc_token", "column_not_allowed",
     f"{E}.uscc_token"),
    ("masked_filter", f"SELECT name_masked FROM {E} WHERE name_masked = '营口*'",
     "column_not_allowed", f"{E}.name_masked"),
    ("masked_group_key", f"SELECT name_masked, count(*) FROM {E} GROUP BY name_masked",
     "column_not_allowed", f"{E}.name_masked"),
    ("masked_count_distinct", f"SELECT count(DISTINCT name_masked) FROM {E}",
     "column_not_allowed", f"{E}.name_masked"),
    ("masked_join", f"SELECT count(*) FROM {E} a JOIN {E} b ON a.name_masked = b.name_masked",
     "column_not_allowed", f"{E}.name_masked"),
    ("sensitive_in_rows", f"SELECT district, registered_capital FROM {E}",
     "column_not_allowed", f"{E}.registered_capital"),
    ("sensitive_year_in_rows", f"SELECT year(founded_on) FROM {E}", "column_not_allowed",
     f"{E}.founded_on"),
    ("sensitive_raw_group_key", f"SELECT founded_on, count(*) FROM {E} GROUP BY founded_on",
     "column_not_allowed", f"{E}.founded_on"),
    ("sensitive_day_group_key",
     f"SELECT date_trunc('day', founded_on), count(*) FROM {E} GROUP BY 1",
     "column_not_allowed", f"{E}.founded_on"),
    ("sensitive_epoch_group_key",
     f"SELECT extract(epoch FROM founded_on) AS e, count(*) FROM {E} GROUP BY e",
     "column_not_allowed", f"{E}.founded_on"),
    ("sensitive_unit_band",
     f"SELECT floor(registered_capital / 1) * 1 AS b, count(*) FROM {E} GROUP BY b",
     "column_not_allowed", f"{E}.registered_capital"),
    # DuckDB's // divides a decimal exactly (1234567.89 // 10 is 123456.789): not a band.
    ("sensitive_decimal_intdiv_group_key",
     f"SELECT registered_capital // 10 AS band, count(*) FROM {E} GROUP BY band",
     "column_not_allowed", f"{E}.registered_capital"),
    ("sensitive_intdiv_band_times",
     f"SELECT registered_capital // 10 * 10 AS band, count(*) FROM {E} GROUP BY band",
     "column_not_allowed", f"{E}.registered_capital"),
    ("sensitive_one_row_frame",
     f"SELECT district, sum(registered_capital) OVER (ORDER BY district ROWS BETWEEN "
     f"CURRENT ROW AND CURRENT ROW) FROM {E}", "column_not_allowed",
     f"{E}.registered_capital"),
    ("sensitive_correlated_per_row",
     f"SELECT e.district, (SELECT max(t.tax_paid) FROM sw_tax_ratings t "
     f"WHERE t.uscc_token = e.uscc_token) AS paid FROM {E} e", "column_not_allowed",
     "sw_tax_ratings.tax_paid"),
    ("sensitive_lateral_per_row",
     f"SELECT e.district, l.m FROM {E} e, LATERAL (SELECT max(t.tax_paid) AS m "
     "FROM sw_tax_ratings t WHERE t.uscc_token = e.uscc_token) l", "column_not_allowed",
     "sw_tax_ratings.tax_paid"),
]
# fmt: on


@pytest.mark.parametrize(
    ("sql", "code", "part"),
    [pytest.param(sql, code, part, id=case) for case, sql, code, part in ADVERSARIAL],
)
def test_adversarial_queries_are_refused(sql: str, code: str, part: str) -> None:
    with pytest.raises(QueryRefused) as refused:
        check_query(sql, VIEWS, row_cap=CAP)
    assert (refused.value.code, refused.value.part) == (code, part)
    assert refused.value.status == 403
    for locale in (ZH, EN):
        assert part in refused.value.detail(locale)


def test_there_are_at_least_forty_adversarial_cases() -> None:
    assert len(ADVERSARIAL) >= 40
    assert len({case for case, *_ in ADVERSARIAL}) == len(ADVERSARIAL)


def test_a_refusal_explains_itself_in_both_languages() -> None:
    with pytest.raises(QueryRefused) as function:
        check_query("SELECT * FROM read_csv('x.csv')", VIEWS, row_cap=CAP)
    assert function.value.detail(ZH) == "不允许使用函数 read_csv"
    assert function.value.detail(EN) == "Function read_csv is not allowed"
    assert function.value.title(ZH) == "不允许的函数"
    with pytest.raises(QueryRefused) as column:
        check_query(f"SELECT count(*) FROM {E} WHERE uscc_token LIKE 'a%'", VIEWS, row_cap=CAP)
    assert column.value.detail(ZH) == (
        f"列 {E}.uscc_token 不能以 LIKE 用于筛选或连接："
        "该列在筛选与连接中仅等值连接与筛选（=、IN 常量、IS NULL）。"
    )
    assert column.value.detail(EN) == (
        f"Column {E}.uscc_token cannot be used with LIKE in a filter or join; in filters "
        "and joins: Equality joins and filters only (=, IN literals, IS NULL)."
    )
    with pytest.raises(QueryRefused) as relation:
        check_query("SELECT * FROM gaj_residents", VIEWS, row_cap=CAP)
    assert relation.value.detail(EN) == (
        "gaj_residents may not be read; only this workspace's views may: rsj_insured、"
        "scjgj_enterprises、sw_tax_ratings."
    )


@pytest.mark.parametrize(
    ("sql", "part"),
    [
        pytest.param("", "", id="empty"),
        pytest.param("-- nothing but a comment", "", id="only_comment"),
        pytest.param("SELECT FROM WHERE", None, id="garbage"),
        pytest.param("SELEC district FROM scjgj_enterprises", None, id="typo"),
        pytest.param(f"SELECT nope FROM {E}", "nope", id="unknown_column"),
        pytest.param(f"SELECT e.nope FROM {E} e", None, id="unknown_qualified_column"),
        pytest.param(
            f"SELECT uscc_token FROM {E} JOIN sw_tax_ratings USING (district)",
            None,
            id="unknown_using_column",
        ),
    ],
)
def test_sql_that_cannot_be_understood_is_invalid(sql: str, part: str | None) -> None:
    with pytest.raises(QueryRefused) as refused:
        check_query(sql, VIEWS, row_cap=CAP)
    assert refused.value.code == "sql_invalid"
    assert refused.value.status == 422
    if part is not None:
        assert refused.value.part == part
    if "nope" in sql:
        assert "nope" in refused.value.detail(ZH) and "nope" in refused.value.detail(EN)


@pytest.fixture(scope="module")
def workspace() -> duckdb.DuckDBPyConnection:
    """The three views as empty tables of their types."""
    connection = duckdb.connect()
    for view in VIEWS.values():
        columns = ", ".join(f"{c.name} {c.sql_type}" for c in view.columns)
        connection.execute(f"CREATE TABLE {view.name} ({columns})")
    return connection


def _check(sql: str) -> CheckedQuery:
    return check_query(sql, VIEWS, row_cap=CAP)


def _outputs(checked: CheckedQuery) -> list[tuple[str, str, str, str]]:
    return [(o.name, o.kind, o.field_class, o.form) for o in checked.output]


def test_enterprises_by_district_and_tax_rating() -> None:
    sql = (
        "SELECT e.district, t.tax_rating, count(DISTINCT e.uscc_token) AS enterprises, "
        "sum(t.tax_paid) AS paid FROM scjgj_enterprises e "
        "JOIN sw_tax_ratings t ON e.uscc_token = t.uscc_token "
        "GROUP BY e.district, t.tax_rating ORDER BY enterprises DESC"
    )
    checked = _check(sql)
    assert _outputs(checked) == [
        ("district", "group_key", "public", "value"),
        ("tax_rating", "group_key", "internal", "value"),
        ("enterprises", "aggregate", "identifier", "token"),
        ("paid", "aggregate", "sensitive", "value"),
    ]
    assert checked.output[2].sources == {(E, "uscc_token")}
    assert not checked.row_level
    assert "LIMIT" not in checked.sql
    assert checked.views == {E, "sw_tax_ratings"}
    assert checked.digest == sm3_hex(sql)


@pytest.mark.parametrize(
    "sql",
    [
        pytest.param(
            f"SELECT district, count(*) AS n FROM {E} GROUP BY 1 HAVING count(DISTINCT "
            "uscc_token) >= 10 ORDER BY n DESC",
            id="group_by_position_having_distinct_tokens",
        ),
        pytest.param(
            f"SELECT year(founded_on) AS y, month(founded_on) AS m, count(*) FROM {E} "
            "GROUP BY y, m",
            id="year_and_month_of_a_sensitive_date",
        ),
        pytest.param(
            f"SELECT date_trunc('quarter', founded_on) AS q, avg(registered_capital) "
            f"FROM {E} GROUP BY q",
            id="date_trunc_quarter",
        ),
        pytest.param(
            f"SELECT extract(year FROM founded_on) AS y, count(*) FROM {E} GROUP BY ALL",
            id="extract_year_group_by_all",
        ),
        pytest.param(
            f"SELECT floor(registered_capital / 1000000) * 1000000 AS band, count(*) "
            f"FROM {E} GROUP BY band",
            id="width_band",
        ),
        pytest.param(
            "SELECT (2026 - year(birth_date)) // 10 * 10 AS age_band, gender, "
            "median(monthly_wage) FROM rsj_insured GROUP BY ALL",
            id="age_bands",
        ),
        pytest.param(
            "SELECT CASE WHEN monthly_wage < 3000 THEN 'low' WHEN monthly_wage < 8000 "
            "THEN 'middle' ELSE 'high' END AS wage_band, count(DISTINCT person_token) "
            "FROM rsj_insured GROUP BY wage_band",
            id="case_bands",
        ),
        pytest.param(
            "SELECT e.industry, count(DISTINCT i.person_token) AS insured FROM rsj_insured i "
            f"JOIN {E} e USING (uscc_token) GROUP BY e.industry",
            id="insured_employment_by_industry_using",
        ),
        pytest.param(
            f"SELECT district, count(*) AS n, rank() OVER (ORDER BY count(*) DESC) AS r, "
            f"sum(count(*)) OVER () AS total FROM {E} GROUP BY district",
            id="windows_over_aggregates",
        ),
        pytest.param(
            f"WITH young AS (SELECT uscc_token, district FROM {E} "
            "WHERE founded_on >= DATE '2020-01-01'), rated AS (SELECT y.district, "
            "t.tax_rating FROM young y JOIN sw_tax_ratings t ON y.uscc_token = t.uscc_token) "
            "SELECT district, tax_rating, count(*) FROM rated GROUP BY ALL",
            id="cte_pipeline",
        ),
        pytest.param(
            f"SELECT count(*) FILTER (WHERE registered_capital > 1e6) AS big, "
            f"quantile_cont(registered_capital, 0.9) AS p90 FROM {E}",
            id="filter_and_quantile",
        ),
        pytest.param(
            f"SELECT district, count(*) FROM {E} WHERE uscc_token IN ('a', 'b') "
            "OR uscc_token IS NULL GROUP BY district",
            id="token_in_literals_and_is_null",
        ),
        pytest.param(
            f"SELECT district, count(*) FROM {E} e WHERE EXISTS (SELECT 1 FROM "
            "sw_tax_ratings t WHERE t.uscc_token = e.uscc_token AND t.tax_rating = 'A') "
            "GROUP BY district",
            id="correlated_exists_on_tokens",
        ),
        pytest.param(
            f"SELECT district, count(*) FROM {E} WHERE uscc_token IN (SELECT uscc_token "
            "FROM sw_tax_ratings WHERE tax_rating = 'A') GROUP BY district",
            id="semi_join_on_tokens",
        ),
        pytest.param(
            f"SELECT count(*) FROM (SELECT DISTINCT uscc_token FROM {E}) q",
            id="count_of_distinct_tokens_in_subquery",
        ),
        pytest.param(
            "SELECT district, count(*) FROM scjgj_enterprises GROUP BY district "
            "UNION ALL SELECT tax_rating, count(*) FROM sw_tax_ratings GROUP BY tax_rating",
            id="union_of_aggregates",
        ),
        pytest.param(
            f"WITH t AS (SELECT district, sum(registered_capital) AS capital FROM {E} "
            "GROUP BY district ORDER BY capital DESC) SELECT * FROM t WHERE capital > 0",
            id="aggregated_cte_ordered_by_alias",
        ),
    ],
)
def test_ordinary_analytics_pass_as_aggregates(
    sql: str, workspace: duckdb.DuckDBPyConnection
) -> None:
    checked = _check(sql)
    assert not checked.row_level
    assert {o.kind for o in checked.output} <= {"aggregate", "group_key"}
    assert "LIMIT" not in checked.sql
    # What runs is valid DuckDB and returns the columns the policy described.
    result = workspace.sql(checked.sql)
    assert result.columns == [o.name for o in checked.output]


def test_row_level_results_are_capped_and_keep_only_shown_columns(
    workspace: duckdb.DuckDBPyConnection,
) -> None:
    checked = _check(
        f"SELECT name_masked, district, industry FROM {E} "
        "WHERE registered_capital > 1000000 ORDER BY founded_on"
    )
    assert checked.row_level
    assert _outputs(checked) == [
        ("name_masked", "value", "identifier", "masked"),
        ("district", "value", "public", "value"),
        ("industry", "value", "internal", "value"),
    ]
    assert checked.sql.endswith("LIMIT 101")
    assert workspace.sql(checked.sql).columns == ["name_masked", "district", "industry"]
    assert _check(f"SELECT district FROM {E} LIMIT 10").sql.endswith("LIMIT 10")
    assert _check(f"SELECT district FROM {E} LIMIT 5000").sql.endswith("LIMIT 101")
    assert _check(f"SELECT district FROM {E} LIMIT 5000 OFFSET 20").sql.endswith(
        "LIMIT 101 OFFSET 20"
    )
    union = _check(f"SELECT district FROM {E} UNION SELECT tax_rating FROM sw_tax_ratings")
    assert union.row_level
    assert union.sql.endswith("LIMIT 101")


def test_star_expands_to_the_allowed_columns_and_the_sql_run_is_what_was_checked() -> None:
    checked = _check(f"SELECT * EXCLUDE (uscc_token, registered_capital, founded_on) FROM {E}")
    assert [o.name for o in checked.output] == ["name_masked", "district", "industry"]
    assert "*" not in checked.sql
    assert "uscc_token" not in checked.sql


def test_window_aggregate_over_a_whole_partition_is_an_aggregate_per_row() -> None:
    checked = _check(
        f"SELECT district, avg(registered_capital) OVER (PARTITION BY district) AS a FROM {E}"
    )
    assert checked.row_level
    assert _outputs(checked)[1] == ("a", "value", "sensitive", "value")


def test_comments_never_reach_the_engine() -> None:
    # A line comment holding "*/" would close the block comment sqlglot writes it as.
    checked = _check(f"SELECT district /* ; DROP VIEW x; */ -- */ ; ATTACH 'x.db'\nFROM {E}")
    assert "/*" not in checked.sql and "--" not in checked.sql
    assert "DROP" not in checked.sql and "ATTACH" not in checked.sql
    assert _outputs(checked) == [("district", "value", "public", "value")]


def test_unnamed_outputs_keep_their_text_as_name() -> None:
    checked = _check(f"SELECT district, count(*) FROM {E} GROUP BY district")
    assert [o.name for o in checked.output] == ["district", "count(*)"]


def test_a_provider_tightened_rule_is_applied() -> None:
    strict = default_rule("public", "value")
    strict = tighten(strict, {"in_rows": "no", "as_group_key": "generalised"})
    view = ViewSpec(
        E,
        tuple(
            ViewColumn(c.name, c.sql_type, c.field_class, c.form, strict, c.subject)
            if c.name == "district"
            else c
            for c in ENTERPRISES.columns
        ),
    )
    views = {E: view}
    with pytest.raises(QueryRefused) as rows:
        check_query(f"SELECT district FROM {E}", views, row_cap=CAP)
    assert (rows.value.code, rows.value.part) == ("column_not_allowed", f"{E}.district")
    with pytest.raises(QueryRefused) as key:
        check_query(f"SELECT district, count(*) FROM {E} GROUP BY 1", views, row_cap=CAP)
    assert key.value.part == f"{E}.district"
    assert check_query(f"SELECT count(DISTINCT district) FROM {E}", views, row_cap=CAP)


# --- the k-anonymity rewrite ---------------------------------------------------------------

PEOPLE = ViewSpec(
    "rsj_people",
    (
        _column("person_token", "VARCHAR", "identifier", "token", subject=True),
        _column("district", "VARCHAR", "public", "value"),
        _column("wage", "DOUBLE", "sensitive", "value"),
    ),
)
VISITS = ViewSpec(
    "wjw_visits",
    (
        _column("person_token", "VARCHAR", "identifier", "token", subject=True),
        _column("clinic", "VARCHAR", "public", "value"),
    ),
)
STATS = ViewSpec("tjj_stats", (_column("district", "VARCHAR", "public", "value"),))
SMALL = {view.name: view for view in (PEOPLE, VISITS, STATS)}


@pytest.fixture(scope="module")
def engine() -> duckdb.DuckDBPyConnection:
    connection = duckdb.connect()
    people = pa.table(
        {
            # 站前区: a, a, b, c (three people); 西市区: d, e; 老边区: f alone.
            "person_token": ["a", "a", "b", "c", "d", "e", "f"],
            "district": ["站前区", "站前区", "站前区", "站前区", "西市区", "西市区", "老边区"],
            "wage": [3000.0, 3100.0, 5000.0, 7000.0, 4000.0, 4500.0, 9000.0],
        }
    )
    visits = pa.table({"person_token": ["a", "b", "b", "d"], "clinic": ["k", "k", "m", "m"]})
    connection.register("rsj_people", people)
    connection.register("wjw_visits", visits)
    connection.register("tjj_stats", pa.table({"district": ["站前区"]}))
    return connection


def _subjects(engine: duckdb.DuckDBPyConnection, sql: str) -> set[tuple[object, ...]]:
    checked = check_query(sql, SMALL, row_cap=CAP)
    rewrite = subject_count_query(checked, SMALL)
    assert rewrite is not None
    return set(engine.sql(rewrite).fetchall())


def test_subject_counts_per_group(engine: duckdb.DuckDBPyConnection) -> None:
    assert _subjects(
        engine,
        "SELECT district, count(*) AS records, avg(wage) FROM rsj_people "
        "GROUP BY district ORDER BY records LIMIT 1",
    ) == {("站前区", 3), ("西市区", 2), ("老边区", 1)}


def test_subject_counts_through_a_filtering_cte(engine: duckdb.DuckDBPyConnection) -> None:
    assert _subjects(
        engine,
        "WITH paid AS (SELECT person_token, district FROM rsj_people WHERE wage >= 4000) "
        "SELECT district, count(*) FROM paid GROUP BY district",
    ) == {("站前区", 2), ("西市区", 2), ("老边区", 1)}


def test_subject_counts_through_an_aggregated_cte(engine: duckdb.DuckDBPyConnection) -> None:
    assert _subjects(
        engine,
        "WITH t AS (SELECT district, count(*) AS n FROM rsj_people GROUP BY district) "
        "SELECT district, n FROM t WHERE n > 1",
    ) == {("站前区", 3), ("西市区", 2)}
    # Aggregating the groups again: the largest group is a lower bound of the whole.
    assert _subjects(
        engine,
        "WITH t AS (SELECT district, count(*) AS n FROM rsj_people GROUP BY district) "
        "SELECT sum(n) AS total FROM t",
    ) == {(3,)}


def test_subject_counts_of_a_join_take_the_smaller(engine: duckdb.DuckDBPyConnection) -> None:
    assert _subjects(
        engine,
        "SELECT p.district, v.clinic, count(*) FROM rsj_people p "
        "JOIN wjw_visits v ON p.person_token = v.person_token GROUP BY ALL",
    ) == {("站前区", "k", 2), ("站前区", "m", 1), ("西市区", "m", 1)}


def test_subject_counts_of_a_row_level_query_and_a_union(
    engine: duckdb.DuckDBPyConnection,
) -> None:
    assert _subjects(engine, "SELECT district FROM rsj_people") == {
        ("站前区", 3),
        ("西市区", 2),
        ("老边区", 1),
    }
    assert _subjects(
        engine,
        "SELECT district AS place, count(*) FROM rsj_people GROUP BY 1 "
        "UNION ALL SELECT clinic, count(*) FROM wjw_visits GROUP BY 1",
    ) == {("站前区", 3), ("西市区", 2), ("老边区", 1), ("k", 2), ("m", 2)}


def test_no_subject_count_without_subjects() -> None:
    checked = check_query("SELECT district, count(*) FROM tjj_stats GROUP BY 1", SMALL, row_cap=1)
    assert subject_count_query(checked, SMALL) is None


@pytest.mark.parametrize(
    ("sql", "part"),
    [
        pytest.param(
            f"SELECT district, list(registered_capital) FROM {E} GROUP BY district",
            f"{E}.registered_capital",
            id="list_of_sensitive_values",
        ),
        pytest.param(
            f"SELECT string_agg(CAST(founded_on AS VARCHAR), ',') FROM {E}",
            f"{E}.founded_on",
            id="string_agg_of_sensitive_values",
        ),
        pytest.param(
            f"SELECT any_value(registered_capital) FROM {E} GROUP BY district",
            f"{E}.registered_capital",
            id="any_value_of_a_sensitive_value",
        ),
        pytest.param(
            f"SELECT arg_max(founded_on, registered_capital) FROM {E}",
            f"{E}.founded_on",
            id="arg_max_returns_a_row_value",
        ),
        pytest.param(f'SELECT "USCC_TOKEN" FROM {E.upper()}', f"{E}.uscc_token", id="quoted_case"),
        pytest.param(f"FROM {E} SELECT uscc_token", f"{E}.uscc_token", id="from_first"),
    ],
)
def test_aggregates_that_return_row_values_are_row_output(sql: str, part: str) -> None:
    with pytest.raises(QueryRefused) as refused:
        check_query(sql, VIEWS, row_cap=CAP)
    assert (refused.value.code, refused.value.part) == ("column_not_allowed", part)


def test_statistics_of_sensitive_values_and_values_picked_by_them_pass() -> None:
    checked = _check(
        f"SELECT district, min(founded_on) AS first_founded, max(registered_capital) AS top, "
        f"arg_max(industry, registered_capital) AS richest_industry FROM {E} GROUP BY district"
    )
    assert [o.kind for o in checked.output] == ["group_key", "aggregate", "aggregate", "aggregate"]
