"""Differential privacy for an export (R8.6): Laplace noise on its count and sum columns,
drawn by OpenDP.

What is protected: **one record of one view** (two datasets are neighbours when one has a
record the other lacks). Sensitivity, per output column:

- ``count(…)``, ``count(DISTINCT …)``, ``count_if(…)``: 1; one record moves a count by at
  most one;
- ``sum(column)`` over a column read straight from a view: ``max(|min|, |max|)`` of the
  bounds its catalog field declares (``min``/``max`` rules, which ingestion enforced), and
  the sum is taken over the values clamped to those bounds (``least(greatest(x, min),
  max)``), so the sensitivity holds whatever a version holds;
- anything else (``avg``, ``min``, a sum of an expression or of a column without declared
  bounds, a window, a set operation) cannot carry calibrated noise here: the export with ε
  is refused (``export_noise_unsupported``), naming the column; without ε it may still go.

ε: the ε the operator asks for is split evenly among the noised columns (sequential
composition); the groups of one GROUP BY are disjoint, so a record falls in one group
(parallel composition). Each column's noise has scale ``sensitivity / ε_column``, its
privacy loss as OpenDP's measurement maps it (never more than ``ε_column``). Integers get
the discrete Laplace mechanism (they stay integers), decimals and floats the continuous one
(decimals keep their scale). Counts below zero become zero (post-processing costs nothing).

Known limits, written in docs/sandbox.md: a join that repeats a record in several rows or
groups multiplies its influence; which groups appear at all is decided by the exact subject
counts (k) before the noise, not by a noisy threshold.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any, Final

import opendp.prelude as dp
import sqlglot
from sqlglot import exp
from sqlglot.optimizer.scope import build_scope

from sluice.guard.query_types import CheckedQuery

DIALECT: Final = "duckdb"
#: A column's privacy loss may exceed its share by float rounding alone; the scale is
#: widened by this much so it never does.
_MARGIN: Final = 1e-9

dp.enable_features("contrib")

#: The declared bounds of a view's column, ``None`` if it declares none.
Bounds = Callable[[str, str], tuple[Decimal, Decimal] | None]


class Unsupported(Exception):
    """A column the noise cannot be calibrated for: its name and why (a message key)."""

    def __init__(self, column: str, why: str) -> None:
        super().__init__(column, why)
        self.column = column
        self.why = why


@dataclass(frozen=True)
class NoisedColumn:
    index: int
    name: str
    aggregate: str  # "count" or "sum"
    sensitivity: Decimal
    #: For a sum, the bounds its values were clamped to.
    bounds: tuple[Decimal, Decimal] | None = None

    def described(self, epsilon: Decimal, scale: float, spent: float) -> dict[str, Any]:
        """What the manifest and the review page say of it (numbers as decimal text: a
        signed record has no floats)."""
        described: dict[str, Any] = {
            "column": self.name,
            "aggregate": self.aggregate,
            "mechanism": "laplace",
            "sensitivity": str(self.sensitivity),
            "epsilon": str(epsilon),
            "scale": _text(scale),
            "privacy_loss": _text(spent),
        }
        if self.bounds is not None:
            described["bounds"] = [str(self.bounds[0]), str(self.bounds[1])]
        return described


@dataclass(frozen=True)
class NoisePlan:
    columns: tuple[NoisedColumn, ...]
    #: The SQL to run: the checked SQL with each noised sum clamped to its bounds.
    sql: str


def plan(checked: CheckedQuery, bounds: Bounds) -> NoisePlan:
    """Which columns get noise and with what sensitivity; ``Unsupported`` names the first
    aggregate column that cannot."""
    tree = sqlglot.parse_one(checked.sql, read=DIALECT)
    aggregates = [(i, c) for i, c in enumerate(checked.output) if c.kind == "aggregate"]
    if not aggregates:
        raise Unsupported("—", "export.noise.nothing")
    if not isinstance(tree, exp.Select):
        raise Unsupported(aggregates[0][1].name, "export.noise.set_operation")
    scope = build_scope(tree)
    if scope is None:  # pragma: no cover - a SELECT always has a scope
        raise Unsupported(aggregates[0][1].name, "export.noise.aggregate")
    columns = []
    for index, output in aggregates:
        inner = tree.expressions[index].unalias()
        if isinstance(inner, exp.Filter):
            inner = inner.this
        if isinstance(inner, exp.Count | exp.CountIf):
            columns.append(NoisedColumn(index, output.name, "count", Decimal(1)))
            continue
        if not isinstance(inner, exp.Sum):
            raise Unsupported(output.name, "export.noise.aggregate")
        argument = inner.this
        source = scope.sources.get(argument.table) if isinstance(argument, exp.Column) else None
        if not isinstance(argument, exp.Column) or not isinstance(source, exp.Table):
            raise Unsupported(output.name, "export.noise.sum_expression")
        declared = bounds(source.name, argument.name)
        if declared is None:
            raise Unsupported(output.name, "export.noise.unbounded")
        low, high = declared
        clamped = exp.Least(
            this=exp.Greatest(this=argument.copy(), expressions=[_literal(low)]),
            expressions=[_literal(high)],
        )
        inner.set("this", clamped)
        columns.append(
            NoisedColumn(index, output.name, "sum", max(abs(low), abs(high)), (low, high))
        )
    return NoisePlan(tuple(columns), tree.sql(dialect=DIALECT, comments=False))


def apply(
    noise: NoisePlan, epsilon: Decimal, rows: Sequence[list[object]]
) -> tuple[list[list[object]], list[dict[str, Any]]]:
    """The rows with noise drawn on the planned columns, and each column as described."""
    share = epsilon / len(noise.columns)
    noisy = [list(row) for row in rows]
    described = []
    for column in noise.columns:
        scale = float(column.sensitivity) / float(share) * (1 + _MARGIN)
        integer = _mechanism("i64", scale)
        real = _mechanism("f64", scale)
        for row in noisy:
            row[column.index] = _noisy(row[column.index], column, integer, real)
        spent = max(
            float(integer.map(math.ceil(column.sensitivity))),  # type: ignore[no-untyped-call]
            float(real.map(float(column.sensitivity))),  # type: ignore[no-untyped-call]
        )
        described.append(column.described(share, scale, spent))
    return noisy, described


def _mechanism(kind: str, scale: float) -> dp.Measurement:
    nan = {} if kind == "i64" else {"nan": False}
    return dp.m.make_laplace(
        dp.atom_domain(T=kind, **nan), dp.absolute_distance(T=kind), scale=scale
    )


def _noisy(
    value: object, column: NoisedColumn, integer: dp.Measurement, real: dp.Measurement
) -> object:
    if value is None or isinstance(value, bool):
        return value
    if isinstance(value, int):
        drawn = int(integer(max(min(value, 2**62), -(2**62))))
        return max(drawn, 0) if column.aggregate == "count" else drawn
    if isinstance(value, float):
        return float(real(value))
    try:
        exact = Decimal(str(value))
    except InvalidOperation:
        return None  # not a number after all: nothing calibrated can be released
    drawn_real = float(real(float(exact)))
    exponent = exact.as_tuple().exponent
    places = max(-exponent, 0) if isinstance(exponent, int) else 0
    return f"{drawn_real:.{places}f}"


def _literal(value: Decimal) -> exp.Expr:
    return exp.Literal.number(str(value))


def _text(value: float) -> str:
    return f"{value:.6g}"
