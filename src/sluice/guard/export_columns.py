"""Which output columns of a checked query may leave the platform (R8.6, R8.9).

The query policy already decided what a query may *compute*; this decides what of its
answer may be *exported*. A column of the output is refused when it carries

- an identifier token or a masked identifier, other than counted: an ``aggregate`` column
  whose strongest source is a token or masked column can only be a count (the column
  rules allow nothing else), so it passes;
- the row-level value of a sensitive or identifier field (a ``value`` or ``group_key``
  column of that class): the policy lets a generalised sensitive key (a year, a band)
  through, and so does this, because a generalised key is not the field's value, but an
  exported file must not carry the values themselves;
- one record's own value of a sensitive or identifier field picked by an aggregate:
  ``min``, ``max``, ``median``, ``mode``, ``quantile``/``percentile_disc``, ``first``,
  ``last``, ``any_value``, ``arg_min``/``arg_max``, ``list`` and ``string_agg`` return a
  value some record holds, anywhere in the query (through CTEs and subqueries too);
- one group's statistic picked by such an aggregate among groups computed inside the query
  (``max`` of the districts' counts): the value belongs to a single inner group, and the
  subject count vouches only for the union of them (``subject_counts`` counts the larger
  of the inner groups), so a group of fewer than k could leave behind a count of many.

``refusal`` names the first column refused and why; ``None`` lets them all through.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Final, Literal

import sqlglot
from sqlglot import exp
from sqlglot.optimizer.scope import Scope, traverse_scope

from sluice.guard.query_functions import has_aggregate
from sluice.guard.query_types import CheckedQuery, OutputColumn, ViewSpec

DIALECT: Final = "duckdb"

Reason = Literal["token", "masked", "row_value", "picked_value", "picked_group"]

#: Aggregates whose answer is a value one of the records holds.
PICKING: Final[tuple[type[exp.Expr], ...]] = (
    exp.Min,
    exp.Max,
    exp.Median,
    exp.Mode,
    exp.Quantile,
    exp.PercentileDisc,
    exp.First,
    exp.Last,
    exp.AnyValue,
    exp.ArgMin,
    exp.ArgMax,
    exp.ArrayAgg,
    exp.GroupConcat,
)
_PROTECTED: Final = frozenset({"sensitive", "identifier"})
#: What ``_lineage`` says of a value computed by an aggregate inside the query.
_AGGREGATED: Final = "aggregated"


@dataclass(frozen=True)
class ColumnRefusal:
    #: The output column (or, for a picked value, the aggregate's text).
    column: str
    reason: Reason


def refusal(checked: CheckedQuery, views: Mapping[str, ViewSpec]) -> ColumnRefusal | None:
    """The first output column that may not leave, and why; ``None`` if all may."""
    for column in checked.output:
        reason = _judge(column)
        if reason is not None:
            return ColumnRefusal(column.name, reason)
    return _picked(checked.sql, {n.lower(): v for n, v in views.items()})


def _judge(column: OutputColumn) -> Reason | None:
    if column.kind == "aggregate":
        return None  # a token or masked source can only have been counted
    if column.form == "token":
        return "token"
    if column.form == "masked":
        return "masked"
    if column.field_class in _PROTECTED and column.kind == "value":
        return "row_value"
    if column.field_class == "identifier":
        return "row_value"
    return None


def _picked(sql: str, views: Mapping[str, ViewSpec]) -> ColumnRefusal | None:
    """The first picking aggregate, anywhere in the query, over a sensitive or identifier
    field's row values or over statistics of inner groups."""
    tree = sqlglot.parse_one(sql, read=DIALECT)
    for scope in traverse_scope(tree):
        for node in scope.find_all(*PICKING):
            lineage: set[str] = set()
            for column in node.find_all(exp.Column):
                lineage |= _lineage(scope, column, views, depth=0)
            if lineage & _PROTECTED:
                return ColumnRefusal(_as_written(node), "picked_value")
            if _AGGREGATED in lineage:
                return ColumnRefusal(_as_written(node), "picked_group")
    return None


def _as_written(node: exp.Expr) -> str:
    """The aggregate as a person would write it: ``MAX(registered_capital_fen)``, not the
    qualified and quoted text the policy normalised it to."""
    bare = node.copy()
    for column in bare.find_all(exp.Column):
        column.set("table", None)
    for identifier in bare.find_all(exp.Identifier):
        identifier.set("quoted", False)
    return bare.sql(dialect=DIALECT, comments=False)[:200]


def _lineage(
    scope: Scope, column: exp.Column, views: Mapping[str, ViewSpec], *, depth: int
) -> set[str]:
    """The field classes whose row values reach this column reference, and
    ``aggregated`` where a value was computed by an aggregate of an inner query."""
    if depth > 64:  # pragma: no cover - deeper than any query the policy lets through
        return set(_PROTECTED)
    source = scope.sources.get(column.table)
    if isinstance(source, exp.Table):
        spec = views.get(source.name.lower())
        found = spec.column(column.name) if spec is not None else None
        return {found.field_class} if found is not None else set()
    if not isinstance(source, Scope):
        return set()
    lineage: set[str] = set()
    for select in _selects(source.expression):
        inner = source if source.expression is select else _scope_of(source, select)
        for projection in select.expressions:
            if projection.alias_or_name.lower() != column.name.lower():
                continue
            if has_aggregate(projection):
                lineage.add(_AGGREGATED)  # a statistic of an inner group, not a row's value
                continue
            for reference in projection.find_all(exp.Column):
                if inner is not None:
                    lineage |= _lineage(inner, reference, views, depth=depth + 1)
    return lineage


def _selects(node: exp.Expr) -> list[exp.Select]:
    if isinstance(node, exp.SetOperation):
        return [*_selects(node.left), *_selects(node.right)]
    if isinstance(node, exp.Subquery):
        return _selects(node.this)
    return [node] if isinstance(node, exp.Select) else []


def _scope_of(parent: Scope, select: exp.Select) -> Scope | None:
    """The scope of one branch of a set operation the parent scope stands for."""
    for child in parent.traverse():
        if child.expression is select:
            return child
    return None
