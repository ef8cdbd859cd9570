"""How many distinct data subjects stand behind each group of a checked query (R8.6).

The export gate suppresses every output group that covers fewer than k subjects. This
module rewrites the checked query so that it returns, per output group, that number:
the subject tokens (``ViewColumn.subject``) of the views it reads are threaded through
its CTEs and subqueries as extra columns and counted where the query aggregates.

- An aggregate query keeps its FROM, WHERE, GROUP BY and HAVING; its output becomes the
  group-key columns and ``subjects``, ``count(DISTINCT token)`` per group.
- A query that reads aggregated subqueries (``WITH t AS (… GROUP BY …) SELECT … FROM t``)
  counts inside them and carries the count out; where it aggregates such counts again,
  the larger count is a lower bound of the union, and it is the one used.
- A row-level query is grouped by all its output columns.
- Several subject columns (a join of person and enterprise data) give the smallest of
  their counts; a UNION counts each branch (rows, UNION ALL).

ORDER BY, LIMIT, OFFSET, QUALIFY and DISTINCT are dropped, so the groups counted are a
superset of the rows the query returns. ``None``: no view read has a subject column, or
the subjects cannot be threaded (a nested set operation or LATERAL between them and the
output); the gate must then refuse rather than pass.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Final

import sqlglot
from sqlglot import exp
from sqlglot.optimizer.scope import Scope, traverse_scope

from sluice.guard.query_functions import has_aggregate
from sluice.guard.query_types import CheckedQuery, ViewSpec

DIALECT: Final = "duckdb"
SUBJECTS: Final = "subjects"
_TOKEN: Final = "__sluice_subject_{}"  # noqa: S105  # a column name
_COUNT: Final = "__sluice_subjects_{}"
_KEY: Final = "__sluice_key_{}"


@dataclass
class _Threaded:
    """What a scope projects for its subjects: token columns (per row) and subject
    counts (per group), by output name."""

    tokens: list[str] = field(default_factory=list)
    counts: list[str] = field(default_factory=list)

    @property
    def empty(self) -> bool:
        return not self.tokens and not self.counts


class _Unreachable(Exception):
    pass


def subject_count_sql(checked: CheckedQuery, views: Mapping[str, ViewSpec]) -> str | None:
    by_name = {name.lower(): spec for name, spec in views.items()}
    subjects = {name: [c.name for c in spec.columns if c.subject] for name, spec in by_name.items()}
    if not any(subjects.get(view.lower()) for view in checked.views):
        return None
    tree = sqlglot.parse_one(checked.sql, read=DIALECT)
    scopes = {id(scope.expression): scope for scope in traverse_scope(tree)}
    threader = _Threader(subjects, scopes)
    with_ = tree.args.get("with_") if isinstance(tree, exp.SetOperation) else None
    branches = _branches(tree)
    kinds = [column.kind for column in checked.output]
    names = [column.name for column in checked.output]
    try:
        parts = [threader.top(branch, kinds, names) for branch in branches]
    except _Unreachable:
        return None
    if any(part is None for part in parts):
        return None
    queries = [part for part in parts if part is not None]
    result: exp.Query = queries[0]
    for query in queries[1:]:
        result = exp.union(result, query, distinct=False)
    if with_ is not None:
        result.set("with_", with_)
    return result.sql(dialect=DIALECT, comments=False)


def _branches(tree: exp.Expr) -> list[exp.Select]:
    if isinstance(tree, exp.SetOperation):
        return [*_branches(tree.left), *_branches(tree.right)]
    while isinstance(tree, exp.Subquery):
        tree = tree.this
    if not isinstance(tree, exp.Select):
        raise _Unreachable
    return [tree]


class _Threader:
    def __init__(
        self,
        subjects: Mapping[str, list[str]],
        scopes: Mapping[int, Scope],
    ) -> None:
        self.subjects = subjects
        self.scopes = scopes
        self.done: dict[int, _Threaded] = {}
        self.counter = 0

    def grouped(self, select: exp.Select) -> bool:
        return (
            bool(select.args.get("group"))
            or any(has_aggregate(p) for p in select.expressions)
            or has_aggregate(select.args.get("having"))
        )

    def _name(self, pattern: str) -> str:
        self.counter += 1
        return pattern.format(self.counter)

    def sources(self, select: exp.Select) -> tuple[list[exp.Expr], list[exp.Expr]]:
        """The subject tokens and counts reachable from the select's FROM and JOINs, as
        expressions valid inside it."""
        scope = self.scopes.get(id(select))
        if scope is None:
            raise _Unreachable
        tokens: list[exp.Expr] = []
        counts: list[exp.Expr] = []
        for alias, (_node, target) in scope.selected_sources.items():
            if isinstance(target, exp.Table):
                for name in self.subjects.get(target.name.lower(), []):
                    tokens.append(exp.column(name, table=alias, quoted=True))
                continue
            inner = target.expression
            if not isinstance(inner, exp.Select):
                raise _Unreachable
            threaded = self.thread(inner)
            tokens.extend(exp.column(n, table=alias, quoted=True) for n in threaded.tokens)
            counts.extend(exp.column(n, table=alias, quoted=True) for n in threaded.counts)
        return tokens, counts

    def thread(self, select: exp.Select) -> _Threaded:
        """Adds the subject columns to an inner select's output, once."""
        known = self.done.get(id(select))
        if known is not None:
            return known
        tokens, counts = self.sources(select)
        threaded = _Threaded()
        if self.grouped(select):
            measures: list[exp.Expr] = [
                *(exp.Count(this=exp.Distinct(expressions=[t])) for t in tokens),
                *(exp.Max(this=c) for c in counts),
            ]
            for expression in measures:
                name = self._name(_COUNT)
                select.append("expressions", exp.alias_(expression, name, quoted=True))
                threaded.counts.append(name)
        else:
            for token in tokens:
                name = self._name(_TOKEN)
                select.append("expressions", exp.alias_(token, name, quoted=True))
                threaded.tokens.append(name)
            for count in counts:
                name = self._name(_COUNT)
                select.append("expressions", exp.alias_(count, name, quoted=True))
                threaded.counts.append(name)
        self.done[id(select)] = threaded
        return threaded

    def top(
        self, select: exp.Select, kinds: Sequence[str], names: Sequence[str]
    ) -> exp.Select | None:
        for clause in ("order", "limit", "offset", "qualify", "distinct"):
            select.set(clause, None)
        keys = [
            (projection, name)
            for projection, kind, name in zip(select.expressions, kinds, names, strict=False)
            if kind != "aggregate" and not projection.find(exp.Window)
        ]
        if self.grouped(select):
            tokens, counts = self.sources(select)
            measures: list[exp.Expr] = [
                *(exp.Count(this=exp.Distinct(expressions=[t])) for t in tokens),
                *(exp.Max(this=c) for c in counts),
            ]
            if not measures:
                return None
            select.set(
                "expressions",
                [
                    *(exp.alias_(p.unalias().copy(), n, quoted=True) for p, n in keys),
                    exp.alias_(_least(measures), SUBJECTS, quoted=True),
                ],
            )
            return select
        threaded = self.thread(select)
        if threaded.empty:
            return None
        inner_keys = []
        for projection, _name in keys:
            key = self._name(_KEY)
            select.append("expressions", exp.alias_(projection.unalias().copy(), key, quoted=True))
            inner_keys.append(key)
        measures = [
            *(
                exp.Count(this=exp.Distinct(expressions=[exp.column(t, table="q", quoted=True)]))
                for t in threaded.tokens
            ),
            *(exp.Min(this=exp.column(c, table="q", quoted=True)) for c in threaded.counts),
        ]
        wrapper = exp.select(
            *(
                exp.alias_(exp.column(k, table="q", quoted=True), name, quoted=True)
                for k, (_p, name) in zip(inner_keys, keys, strict=True)
            ),
            exp.alias_(_least(measures), SUBJECTS, quoted=True),
        ).from_(exp.alias_(exp.Subquery(this=select.copy()), "q", table=True, quoted=True))
        if inner_keys:
            wrapper = wrapper.group_by(*(exp.column(k, table="q", quoted=True) for k in inner_keys))
        return wrapper


def _least(measures: list[exp.Expr]) -> exp.Expr:
    if len(measures) == 1:
        return measures[0]
    return exp.Least(this=measures[0], expressions=measures[1:])
