"""The sandbox query policy: p95 of checking one realistic query, against the 5 ms limit.

The whole check is timed as the sandbox runs it before every query: parse, allow-lists,
relations, qualification against the workspace's views, the column rules through every
derivation, the row cap and the normalised SQL. The query is an operator's analysis of
the 普惠金融 kind: a CTE, two joins on tokens, a generalised date, distinct counts, a
window over aggregates, HAVING and ORDER BY.
"""

from __future__ import annotations

import statistics
import time

from bench.harness import Result
from sluice.dataplane.column_rules import FieldClass, Form, default_rule
from sluice.guard.query_policy import ViewColumn, ViewSpec, check_query

LIMIT_MS = 5.0
QUERY = """
WITH young AS (
  SELECT uscc_token, district, industry
  FROM scjgj_enterprises
  WHERE founded_on >= DATE '2015-01-01'  -- founded in the last ten years
)
SELECT y.district, t.tax_rating, year(e.founded_on) AS founded,
       count(DISTINCT y.uscc_token) AS enterprises, sum(t.tax_paid) AS paid,
       rank() OVER (ORDER BY sum(t.tax_paid) DESC) AS place
FROM young y
JOIN sw_tax_ratings t ON y.uscc_token = t.uscc_token
JOIN scjgj_enterprises e ON e.uscc_token = y.uscc_token
WHERE t.tax_rating IN ('A', 'B') AND y.industry <> '金融业'
GROUP BY y.district, t.tax_rating, founded
HAVING count(DISTINCT y.uscc_token) >= 10
ORDER BY paid DESC
"""


def _column(name: str, sql_type: str, field_class: FieldClass, form: Form) -> ViewColumn:
    return ViewColumn(
        name,
        sql_type,
        field_class,
        form,
        default_rule(field_class, form),
        subject=form == "token",
    )


VIEWS = {
    view.name: view
    for view in (
        ViewSpec(
            "scjgj_enterprises",
            (
                _column("uscc_token", "VARCHAR", "identifier", "token"),
                _column("name_masked", "VARCHAR", "identifier", "masked"),
                _column("district", "VARCHAR", "public", "value"),
                _column("industry", "VARCHAR", "internal", "value"),
                _column("registered_capital", "DECIMAL(18,2)", "sensitive", "value"),
                _column("founded_on", "DATE", "sensitive", "value"),
            ),
        ),
        ViewSpec(
            "sw_tax_ratings",
            (
                _column("uscc_token", "VARCHAR", "identifier", "token"),
                _column("tax_rating", "VARCHAR", "internal", "value"),
                _column("tax_paid", "DOUBLE", "sensitive", "value"),
            ),
        ),
    )
}


def run(quick: bool) -> list[Result]:
    rounds = 50 if quick else 1_000
    check_query(QUERY, VIEWS, row_cap=100)  # imports and caches warm, as in a server
    timings = []
    for _ in range(rounds):
        started = time.perf_counter()
        check_query(QUERY, VIEWS, row_cap=100)
        timings.append((time.perf_counter() - started) * 1000)
    p95 = statistics.quantiles(timings, n=20)[18]
    return [
        Result(
            name=f"sandbox policy check p95 ({rounds} checks of one analysis)",
            ours=1000.0 / p95,
            peer=1000.0 / LIMIT_MS,
            unit="1/s at p95",
            peer_name=f"the {LIMIT_MS:.0f} ms limit",
            target_ratio=1.0,
            note=f"p95 {p95:.2f} ms, median {statistics.median(timings):.2f} ms",
        )
    ]
