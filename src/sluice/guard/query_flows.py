"""How each column of a workspace view flows through a query, and where its rule is checked.

The analysis behind ``query_policy.check_query``; see that module for the policy as a
whole. Every expression carries, per source column ``(view, column)``, how it got there
(``Use``): a row value, a generalised row value, a group key (raw or generalised), or an
aggregate. The rules of ``column_rules`` are checked where a flow changes hands:
aggregates, grouping, comparisons, ordering and the final output.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from enum import IntEnum
from typing import Final, Literal, cast

from sqlglot import exp
from sqlglot.optimizer.scope import Scope

from sluice.core.i18n import MessageRef
from sluice.dataplane.column_rules import ColumnRule, cell_key
from sluice.guard import query_functions as functions
from sluice.guard.query_refusals import (
    ColumnNotAllowed,
    SqlInvalid,
    StatementNotAllowed,
)
from sluice.guard.query_types import Kind, Source, ViewSpec

# --- flows -------------------------------------------------------------------------------


class Use(IntEnum):
    """How a source column reaches an expression; larger reveals more."""

    AGG = 0
    KEY_GEN = 1
    KEY = 2
    ROW_GEN = 3
    ROW = 4


_TO_KEY: Final = {Use.ROW: Use.KEY, Use.ROW_GEN: Use.KEY_GEN}
_GENERALISED: Final = {Use.ROW: Use.ROW_GEN, Use.KEY: Use.KEY_GEN}
_PER_ROW: Final = {Use.AGG: Use.ROW, Use.KEY: Use.ROW, Use.KEY_GEN: Use.ROW_GEN}


@dataclass(frozen=True)
class Flow:
    uses: Mapping[Source, Use] = field(default_factory=dict)
    #: The expression is the column itself (no function around it): equality may test it.
    bare: bool = False
    #: The expression holds an aggregate (its value is one per group).
    aggregate: bool = False

    def mapped(self, change: Mapping[Use, Use], *, bare: bool = False) -> Flow:
        return Flow({s: change.get(u, u) for s, u in self.uses.items()}, bare, self.aggregate)

    def live(self) -> Iterator[tuple[Source, Use]]:
        """The uses that still carry values (not yet aggregated)."""
        return ((s, u) for s, u in self.uses.items() if u is not Use.AGG)


EMPTY: Final = Flow()


def _union(flows: Iterable[Flow]) -> Flow:
    uses: dict[Source, Use] = {}
    aggregate = False
    for flow in flows:
        aggregate = aggregate or flow.aggregate
        for source, use in flow.uses.items():
            if use > uses.get(source, Use.AGG) or source not in uses:
                uses[source] = use
    return Flow(uses, False, aggregate)


@dataclass
class Column:
    name: str
    flow: Flow
    kind: Kind


@dataclass
class Result:
    columns: list[Column]
    level: Literal["row", "group"]

    def named(self, name: str) -> Column | None:
        wanted = name.lower()
        return next((c for c in self.columns if c.name.lower() == wanted), None)


# --- the analysis ------------------------------------------------------------------------


class Analysis:
    def __init__(self, views: Mapping[str, ViewSpec]) -> None:
        self.views = views
        self.views_read: set[str] = set()
        self.results: dict[int, Result] = {}

    def rule(self, source: Source) -> ColumnRule:
        view, column = source
        spec = self.views[view.lower()].column(column)
        assert spec is not None
        return spec.rule

    def run(self, scopes: Iterable[Scope]) -> Result:
        result: Result | None = None
        for scope in scopes:
            result = self._scope(scope)
            self.results[id(scope.expression)] = result
        assert result is not None
        return result

    def result_of(self, node: exp.Expr) -> Result:
        while isinstance(node, exp.Subquery | exp.Lateral):
            node = node.this
        return self.results[id(node)]

    def _scope(self, scope: Scope) -> Result:
        node = scope.expression
        if isinstance(node, exp.Lateral):
            return self.result_of(node)
        if isinstance(node, exp.SetOperation):
            return self._set_operation(node)
        assert isinstance(node, exp.Select)
        select = _Select(self, scope)
        result = select.run()
        if select.correlated:
            # Correlated: it answers once per outer row, so what it aggregated is per row.
            result = Result(
                [Column(c.name, c.flow.mapped(_PER_ROW), "value") for c in result.columns],
                "row",
            )
        return result

    def _set_operation(self, node: exp.SetOperation) -> Result:
        left, right = self.result_of(node.left), self.result_of(node.right)
        if len(left.columns) != len(right.columns):
            raise SqlInvalid("sandbox.query.unparsable", part=node.key.upper())
        level: Literal["row", "group"] = "row" if "row" in (left.level, right.level) else "group"
        columns = []
        for a, b in zip(left.columns, right.columns, strict=True):
            if not isinstance(node, exp.Union):
                # INTERSECT and EXCEPT compare the branches' rows value by value.
                flows = [a.flow, b.flow]
                bare_ok = all(f.bare or not f.uses for f in flows)
                _Comparison(self, "=", flows, bare_ok=bare_ok).check()
            flow = _union([a.flow, b.flow])
            kind: Kind = (
                "value" if level == "row" else "aggregate" if flow.aggregate else "group_key"
            )
            columns.append(Column(a.name, flow, kind))
        return Result(columns, level)


@dataclass
class _Comparison:
    """One comparison: each operand's flow checked against the in_filters rule."""

    analysis: Analysis
    operator: str
    operands: Sequence[Flow]
    #: Every operand is a bare column, a literal or a subquery's bare column.
    bare_ok: bool

    def check(self) -> None:
        equality = self.operator in ("=", "IN", "IS NULL") and self.bare_ok
        for flow in self.operands:
            for source, _use in flow.live():
                rule = self.analysis.rule(source)
                if rule.in_filters == "yes" or (rule.in_filters == "equality" and equality):
                    continue
                raise ColumnNotAllowed(
                    "sandbox.column.filter",
                    part=source_name(source),
                    operator=self.operator,
                    allowed=_label("in_filters", rule.in_filters),
                )


class _Select:
    """One SELECT scope: its clauses checked, its output columns' flows."""

    def __init__(self, analysis: Analysis, scope: Scope) -> None:
        self.analysis = analysis
        self.scope = scope
        self.select = cast(exp.Select, scope.expression)
        self.grouped = (
            bool(self.select.args.get("group"))
            or any(functions.has_aggregate(p) for p in self.select.expressions)
            or functions.has_aggregate(self.select.args.get("having"))
        )
        self.correlated = False
        self.projections: dict[str, exp.Expr] = {
            p.alias_or_name.lower(): p for p in self.select.expressions
        }

    def run(self) -> Result:
        select = self.select
        for join in select.args.get("joins") or []:
            if join.args.get("on") is not None:
                self.condition(join.args["on"], grouped=False)
        where = select.args.get("where")
        if where is not None:
            self.condition(where.this, grouped=False)
        group = select.args.get("group")
        if group is not None:
            keys: list[exp.Expr] = []
            for key in group.expressions:
                if isinstance(key, exp.Cube | exp.Rollup | exp.GroupingSets):
                    keys.extend(_flatten_sets(key))
                else:
                    keys.append(key)
            if group.args.get("all"):
                keys.extend(p for p in select.expressions if not functions.has_aggregate(p))
            for key in keys:
                self.group_key(self.flow(key, grouped=False))
        distinct = select.args.get("distinct")
        if distinct is not None and distinct.args.get("on") is not None:
            for key in distinct.args["on"].expressions:
                self.group_key(self.flow(key, grouped=self.grouped))
        columns = []
        for projection in select.expressions:
            flow = self.flow(projection, grouped=self.grouped)
            if self.grouped:
                # Whatever the engine groups by implicitly (GROUP BY ALL) is a key too.
                self.group_key(flow, keys_only=True)
            columns.append(Column(projection.alias_or_name, flow, "value"))
        having = select.args.get("having")
        if having is not None:
            self.condition(having.this, grouped=True)
        qualify_clause = select.args.get("qualify")
        if qualify_clause is not None:
            self.condition(qualify_clause.this, grouped=self.grouped)
        order = select.args.get("order")
        if order is not None:
            self.order(order.expressions, grouped=self.grouped)
        level = self.level()
        if level == "group":
            for column in columns:
                column.kind = "aggregate" if column.flow.aggregate else "group_key"
        return Result(columns, level)

    def level(self) -> Literal["row", "group"]:
        """Group-level when it aggregates or reads only group-level sources (a SELECT
        without FROM is one row of constants); else one row per input row."""
        if self.grouped:
            return "group"
        for _node, target in self.scope.selected_sources.values():
            if isinstance(target, exp.Table):
                return "row"
            if self.analysis.result_of(target.expression).level == "row":
                return "row"
        return "group"

    # -- clauses

    def condition(self, node: exp.Expr, *, grouped: bool) -> Flow:
        """A filter: its comparisons are checked where they are evaluated; anything else
        tested for truth (``WHERE token``, ``WHERE lower(x)``) needs in_filters = yes."""
        if isinstance(node, exp.And | exp.Or | exp.Not | exp.Paren):
            return _union(self.condition(child, grouped=grouped) for child in _children(node))
        flow = self.flow(node, grouped=grouped)
        if not isinstance(node, (*functions.COMPARISONS, exp.Exists, exp.Boolean)):
            _Comparison(self.analysis, node.key.upper(), [flow], bare_ok=False).check()
        return flow

    def group_key(self, flow: Flow, *, keys_only: bool = False) -> None:
        for source, use in flow.live():
            if keys_only and use not in (Use.KEY, Use.KEY_GEN):
                continue
            rule = self.analysis.rule(source)
            needed = {"yes"} if use in (Use.ROW, Use.KEY) else {"yes", "generalised"}
            if rule.as_group_key not in needed:
                raise ColumnNotAllowed(
                    "sandbox.column.group_key",
                    part=source_name(source),
                    allowed=_label("as_group_key", rule.as_group_key),
                )

    def order(self, items: Sequence[exp.Expr], *, grouped: bool) -> None:
        for item in items:
            target = item.this if isinstance(item, exp.Ordered) else item
            for source, _use in self.flow(target, grouped=grouped, aliases=True).live():
                rule = self.analysis.rule(source)
                if rule.in_filters != "yes" and not rule.in_rows:
                    raise ColumnNotAllowed("sandbox.column.order", part=source_name(source))

    # -- expressions

    def flow(self, node: exp.Expr, *, grouped: bool, aliases: bool = False) -> Flow:
        """The flow of ``node`` evaluated per row (``grouped`` False) or per group."""
        if isinstance(node, exp.Column):
            return self.column(node, grouped=grouped, aliases=aliases)
        if isinstance(node, exp.Alias | exp.Paren):
            return self.flow(node.this, grouped=grouped, aliases=aliases)
        if isinstance(node, exp.Subquery | exp.Select | exp.SetOperation):
            result = self.analysis.result_of(node)
            if len(result.columns) != 1:
                return _union(c.flow for c in result.columns)
            return result.columns[0].flow
        if isinstance(node, exp.Exists):
            return EMPTY
        if isinstance(node, exp.Window):
            return self.window(node, grouped=grouped)
        if isinstance(node, exp.Filter):
            where = node.expression
            inner_grouped = False if functions.is_aggregate(node.this) else grouped
            self.condition(
                where.this if isinstance(where, exp.Where) else where, grouped=inner_grouped
            )
            return self.flow(node.this, grouped=grouped)
        if isinstance(node, exp.WithinGroup):
            return self.aggregate(node.this, grouped=grouped, extra=node.expression)
        if functions.is_aggregate(node):
            return self.aggregate(node, grouped=grouped)
        if isinstance(node, exp.Case | exp.If):
            return self.case(node, grouped=grouped)
        if isinstance(node, functions.COMPARISONS):
            return self.comparison(node, grouped=grouped)
        if isinstance(node, exp.Order):
            self.order(node.expressions, grouped=grouped)
            return self.flow(node.this, grouped=grouped)
        if isinstance(node, exp.TableColumn):
            raise ColumnNotAllowed("sandbox.query.whole_row", part=node.name)
        if type(node) not in functions.NODES and not (
            isinstance(node, exp.Func) and functions.is_allowed(node)
        ):
            # Something the qualifier introduced that the first walk did not see.
            raise StatementNotAllowed("sandbox.query.construct", part=node.key.upper())
        band = _band_argument(node)
        if band is not None:
            return self.flow(band, grouped=grouped).mapped(_GENERALISED)
        children = [self.flow(child, grouped=grouped) for child in _children(node)]
        flow = _union(children)
        if isinstance(node, exp.Coalesce) and all(c.bare for c in children):
            return Flow(flow.uses, True, flow.aggregate)
        return flow

    def column(self, node: exp.Column, *, grouped: bool, aliases: bool) -> Flow:
        table, name = node.table, node.name
        if not table:
            projection = self.projections.get(name.lower()) if aliases else None
            if projection is not None:
                # ORDER BY an output name: the output's flow.
                return self.flow(projection, grouped=grouped)
            if self._is_source(name):
                raise ColumnNotAllowed("sandbox.query.whole_row", part=name)
            raise SqlInvalid("sandbox.query.unresolved", part=name)
        source = self._source(table)
        if source is None:
            raise SqlInvalid("sandbox.query.unresolved", part=f"{table}.{name}")
        if isinstance(source, exp.Table):
            view = self.analysis.views[source.name.lower()]
            spec = view.column(name)
            if spec is None:
                raise SqlInvalid("sandbox.query.unresolved", part=f"{view.name}.{name}")
            self.analysis.views_read.add(view.name)
            flow = Flow({(view.name, spec.name): Use.ROW}, bare=True)
        else:
            column = self.analysis.result_of(source.expression).named(name)
            if column is None:
                raise SqlInvalid("sandbox.query.unresolved", part=f"{table}.{name}")
            flow = column.flow
        return flow.mapped(_TO_KEY, bare=flow.bare) if grouped else flow

    def _source(self, alias: str) -> exp.Table | Scope | None:
        scope: Scope | None = self.scope
        while scope is not None:
            source = scope.sources.get(alias)
            if source is not None:
                if scope is not self.scope:
                    self.correlated = True
                return source
            scope = scope.parent
        return None

    def _is_source(self, name: str) -> bool:
        return self._source(name) is not None or name.lower() in self.analysis.views

    def aggregate(self, node: exp.Expr, *, grouped: bool, extra: exp.Expr | None = None) -> Flow:
        """An aggregate call: its arguments evaluated per row, checked, then aggregated.
        Inside a window the arguments are evaluated at the window's level instead."""
        in_window = isinstance(functions.window_of(node), exp.Window)
        level = grouped if in_window else False
        if isinstance(node, exp.CountIf):
            args = self.condition(node.this, grouped=level)
        else:
            parts = [self.flow(c, grouped=level) for c in _children(node)]
            if extra is not None:
                if isinstance(extra, exp.Order):
                    parts.extend(
                        self.flow(o.this if isinstance(o, exp.Ordered) else o, grouped=level)
                        for o in extra.expressions
                    )
                else:
                    parts.append(self.flow(extra, grouped=level))
            args = _union(parts)
        use = functions.aggregate_use(node)
        for source, _use in args.live():
            rule = self.analysis.rule(source)
            if not rule.allows_aggregate(use):
                name = functions.function_name(node) if isinstance(node, exp.Func) else node.key
                raise ColumnNotAllowed(
                    "sandbox.column.aggregate",
                    part=source_name(source),
                    function=name if use == "any" else _use_name(use),
                    allowed=_label("in_aggregates", rule.in_aggregates),
                )
        if isinstance(node, exp.ArgMin | exp.ArgMax):
            # The value of the row where the second argument is smallest or largest: the
            # first argument comes out as a row's value, the second only orders.
            picked = self.flow(node.this, grouped=level)
            uses = dict.fromkeys(args.uses, Use.AGG) | dict.fromkeys(picked.uses, Use.ROW)
            return Flow(uses, False, True)
        if type(node) in functions.COLLECTING:
            # list(), string_agg(), first() … return the rows' values themselves.
            return Flow(dict.fromkeys(args.uses, Use.ROW), False, True)
        return Flow(dict.fromkeys(args.uses, Use.AGG), False, True)

    def window(self, node: exp.Window, *, grouped: bool) -> Flow:
        for key in node.args.get("partition_by") or []:
            self.group_key(self.flow(key, grouped=grouped))
        order = node.args.get("order")
        ordering = []
        if order is not None:
            self.order(order.expressions, grouped=grouped)
            ordering = [
                self.flow(o.this if isinstance(o, exp.Ordered) else o, grouped=grouped)
                for o in order.expressions
            ]
        inner = _unwrap(node.this)
        result = self.flow(node.this, grouped=grouped)
        if functions.is_aggregate(inner):
            if order is None and node.args.get("spec") is None:
                return result
            # Framed or running: one value per row, as revealing as its arguments.
            arguments = _union(self.flow(c, grouped=grouped) for c in _children(inner))
            return _union([arguments, *ordering])
        return _union([result, *ordering])

    def case(self, node: exp.Case | exp.If, *, grouped: bool) -> Flow:
        if isinstance(node, exp.If):
            branches = [(node.this, node.args.get("true"))]
            default = node.args.get("false")
            operand = None
        else:
            branches = [(i.this, i.args.get("true")) for i in node.args.get("ifs") or []]
            default = node.args.get("default")
            operand = node.this
        conditions = []
        for condition, _value in branches:
            if operand is not None:
                # CASE x WHEN v: x = v.
                conditions.append(self.compare("=", [operand, condition], grouped=grouped))
            else:
                conditions.append(self.condition(condition, grouped=grouped))
        values = [self.flow(v, grouped=grouped) for _c, v in branches if v is not None]
        if default is not None:
            values.append(self.flow(default, grouped=grouped))
        tested = _union(conditions)
        if all(not v.uses for v in values):
            # Every result is a literal: a band over what the conditions test.
            return Flow(
                tested.mapped(_GENERALISED).uses,
                False,
                tested.aggregate or any(v.aggregate for v in values),
            )
        return _union([tested, *values])

    def comparison(self, node: exp.Expr, *, grouped: bool) -> Flow:
        operands: list[exp.Expr]
        if isinstance(node, exp.In):
            query = node.args.get("query")
            operands = [node.this, *(node.expressions or []), *([query] if query else [])]
            operator = "IN"
        elif isinstance(node, exp.Is):
            operands = [node.this, node.expression]
            operator = "IS NULL" if isinstance(node.expression, exp.Null) else "IS"
        elif isinstance(node, exp.Between):
            operands = [node.this, node.args["low"], node.args["high"]]
            operator = "BETWEEN"
        else:
            operands = [node.this, node.expression]
            operator = _OPERATORS.get(type(node), node.key.upper())
        return self.compare(operator, operands, grouped=grouped)

    def compare(self, operator: str, operands: list[exp.Expr], *, grouped: bool) -> Flow:
        flows = [self.flow(o, grouped=grouped) for o in operands]
        bare_ok = all(f.bare or _is_literal(o) for o, f in zip(operands, flows, strict=True))
        _Comparison(self.analysis, operator, flows, bare_ok=bare_ok).check()
        return _union(flows)


_OPERATORS: Final[dict[type[exp.Expr], str]] = {
    exp.EQ: "=",
    exp.NEQ: "<>",
    exp.GT: ">",
    exp.GTE: ">=",
    exp.LT: "<",
    exp.LTE: "<=",
    exp.Like: "LIKE",
    exp.ILike: "ILIKE",
}


def _children(node: exp.Expr) -> list[exp.Expr]:
    return [c for c in node.iter_expressions() if not isinstance(c, exp.DataType)]


def _unwrap(node: exp.Expr) -> exp.Expr:
    while isinstance(node, exp.IgnoreNulls | exp.RespectNulls | exp.Filter):
        node = node.this
    return node


def _flatten_sets(node: exp.Expr) -> list[exp.Expr]:
    keys: list[exp.Expr] = []
    for child in node.expressions:
        if isinstance(child, exp.Cube | exp.Rollup | exp.GroupingSets | exp.Tuple):
            keys.extend(_flatten_sets(child))
        else:
            keys.append(child)
    return keys


def _is_literal(node: exp.Expr) -> bool:
    while isinstance(node, exp.Paren | exp.Neg | exp.Cast):
        node = node.this
    if isinstance(node, exp.Tuple):
        return all(_is_literal(e) for e in node.expressions)
    return isinstance(node, exp.Literal | exp.Null | exp.Boolean)


def _number(node: exp.Expr | None) -> float | None:
    if isinstance(node, exp.Literal) and not node.is_string:
        try:
            return float(node.name)
        except ValueError:
            return None
    return None


def _band_argument(node: exp.Expr) -> exp.Expr | None:
    """What a generalising expression generalises: a date to a year, quarter or month, a
    number to a band of width > 1 (``floor(x / n) * m``, ``floor(x / n)``). Not ``x // n``:
    DuckDB divides decimals and doubles exactly with ``//`` (``1234567.89 // 10`` is
    ``123456.789``), so it would group by the exact amount."""
    if type(node) in functions.GENERALISERS:
        return cast(exp.Expr, node.this)
    if isinstance(node, exp.Extract):
        if node.this.name.lower() in functions.GENERAL_UNITS:
            return cast(exp.Expr, node.expression)
        return None
    if isinstance(node, exp.TimestampTrunc | exp.DateTrunc):
        unit = node.args.get("unit")
        if unit is not None and unit.name.lower() in functions.GENERAL_UNITS:
            return cast(exp.Expr, node.this)
        return None
    if isinstance(node, exp.Anonymous) and node.name.lower() in ("date_part", "datepart"):
        unit, *rest = node.expressions
        if isinstance(unit, exp.Literal) and unit.name.lower() in functions.GENERAL_UNITS:
            return rest[0] if len(rest) == 1 else None
        return None
    if isinstance(node, exp.Mul):
        for band, factor in ((node.this, node.expression), (node.expression, node.this)):
            inner = _strip(band)
            if _number(factor) is not None and isinstance(inner, exp.Floor):
                return _band_argument(inner)
        return None
    if isinstance(node, exp.Floor) and not node.args.get("decimals"):
        inner = _strip(node.this)
        if isinstance(inner, exp.Div) and (_number(inner.expression) or 0) > 1:
            return cast(exp.Expr, inner.this)
        return None
    return None


def _strip(node: exp.Expr) -> exp.Expr:
    while isinstance(node, exp.Paren):
        node = node.this
    return node


def check_output(result: Result, analysis: Analysis) -> None:
    for column in result.columns:
        for source, use in column.flow.live():
            rule = analysis.rule(source)
            if use in (Use.ROW, Use.ROW_GEN) and not rule.in_rows:
                raise ColumnNotAllowed("sandbox.column.rows", part=source_name(source))


def source_name(source: Source) -> str:
    return f"{source[0]}.{source[1]}"


def _label(cell: str, value: str) -> MessageRef:
    return MessageRef(cell_key(cell, value))


def _use_name(use: str) -> str:
    return "count(DISTINCT …)" if use == "count_distinct" else "count"
