"""What a sandbox query may do, decided on its parse tree before any engine sees it (R8.2).

``check_query`` parses the SQL with sqlglot in the DuckDB dialect (never a regular
expression: comments, case and quoting do not matter) and allows it only when

1. it is exactly one ``SELECT`` (CTEs, subqueries, set operations, LATERAL allowed;
   anything else, several statements, ``WITH RECURSIVE`` → ``statement_not_allowed``);
2. every construct in it is one the policy knows (placeholders, ``USING SAMPLE``,
   ``PIVOT``, lambdas, ``LIMIT … PERCENT`` … → ``statement_not_allowed``) and every
   function is on the allow-list of ``query_functions`` (``function_not_allowed``);
3. it reads only the workspace's views and its own CTEs: no qualified names
   (``information_schema.tables``, ``main.x``), no files (``'x.parquet'``), no table
   functions (``read_csv``, ``range``, ``glob``, ``query`` …) → ``relation_not_allowed``
   or ``function_not_allowed``;
4. every column it touches is used as its rule allows (``column_rules``), through any
   derivation: a column's *flow* follows it into every expression, CTE, subquery, set
   operation, LATERAL and correlated subquery, so ``lower(token)``, ``token || ''``,
   ``CAST(token AS …)``, ``string_agg(token)`` and ``CASE WHEN … THEN token`` are still
   the token (``column_not_allowed``).

How a flow is judged. Each expression carries, per source column ``(view, column)``, how
it got there: a **row** value (``ROW``) or a generalised one (``ROW_GEN``: a year,
quarter or month of a date, a width band ``floor(x / n) * n`` or ``x // n`` with a
literal ``n > 1``, or a CASE whose results are all literals); the same as a **group key**
of an aggregate query (``KEY``, ``KEY_GEN``); or **aggregated** (``AGG``). The rules are
checked where a flow changes hands:

- entering an aggregate: ``count(x)``, ``count(DISTINCT x)`` or any other use against
  ``in_aggregates`` (then ``AGG``, which may go anywhere);
- GROUP BY, window PARTITION BY and DISTINCT ON: ``ROW`` needs ``as_group_key = yes``,
  ``ROW_GEN`` at least ``generalised``;
- comparisons (``=``, ``<``, ``LIKE``, ``IN``, ``IS``, BETWEEN …, anywhere: WHERE, ON,
  HAVING, QUALIFY, FILTER, CASE conditions, projections) against ``in_filters``;
  ``equality`` allows ``=``, ``IN`` and ``IS NULL`` between the bare column (no function
  around it) and literals, other bare columns or a subquery's bare column;
- ORDER BY (query, window, aggregate): needs ``in_filters = yes`` or ``in_rows``;
- the final output: ``ROW``/``ROW_GEN`` needs ``in_rows``.

A window aggregate over the whole partition is an aggregate; with ORDER BY or a frame it
returns per-row values (a one-row frame is the row), so its result stays row-level. A
correlated subquery or LATERAL answers once per outer row, so whatever it aggregates is
row-level again outside it.

Interface notes for the callers (beyond the brief): ``OutputColumn.field_class`` and
``form`` are the strongest among the column's *sources*; for an ``aggregate`` column a
token or masked source can only have been counted (the rules allow nothing else), so the
export gate judges ``form`` together with ``kind``. ``QueryRefused`` has one subclass per
code (``SqlInvalid``, ``StatementNotAllowed``, …); catch the base. ``subject_count_query``
returns ``None`` both when no view read has a subject column and when the subjects cannot
be threaded to the output (they pass through a nested set operation): an export gate
should refuse a query over subject data whose count it cannot get.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from enum import IntEnum
from functools import lru_cache
from typing import Any, Final, Literal, cast

import sqlglot
from sqlglot import exp
from sqlglot.dialects.dialect import Dialect
from sqlglot.errors import ParseError, SqlglotError, TokenError
from sqlglot.optimizer.qualify import qualify
from sqlglot.optimizer.scope import Scope, traverse_scope
from sqlglot.schema import MappingSchema
from sqlglot.tokens import TokenType  # type: ignore[attr-defined]

from sluice.core.errors import SluiceError
from sluice.core.i18n import MessageRef, add_messages
from sluice.core.ids import sm3_hex
from sluice.guard import query_functions as functions
from sluice.guard.column_rules import ColumnRule, FieldClass, Form, cell_key

__all__ = [
    "CheckedQuery",
    "ColumnNotAllowed",
    "FunctionNotAllowed",
    "OutputColumn",
    "QueryRefused",
    "RelationNotAllowed",
    "SqlInvalid",
    "StatementNotAllowed",
    "ViewColumn",
    "ViewSpec",
    "check_query",
    "subject_count_query",
]

DIALECT: Final = "duckdb"
Kind = Literal["value", "aggregate", "group_key"]
Source = tuple[str, str]


@dataclass(frozen=True)
class ViewColumn:
    name: str
    sql_type: str
    field_class: FieldClass
    form: Form
    rule: ColumnRule
    #: A token column that identifies the data subject (for k-anonymity counts).
    subject: bool = False


@dataclass(frozen=True)
class ViewSpec:
    name: str
    columns: tuple[ViewColumn, ...]

    def column(self, name: str) -> ViewColumn | None:
        wanted = name.lower()
        return next((c for c in self.columns if c.name.lower() == wanted), None)


@dataclass(frozen=True)
class OutputColumn:
    name: str
    kind: Kind
    #: The (view, column) pairs it derives from.
    sources: frozenset[tuple[str, str]]
    #: The strongest among its sources (``public``/``value`` when it has none).
    field_class: FieldClass
    form: Form


@dataclass(frozen=True)
class CheckedQuery:
    #: Normalised SQL in the DuckDB dialect, comments dropped, ``SELECT *`` expanded,
    #: row cap applied (``LIMIT row_cap + 1`` on row-level queries: more rows than the cap
    #: means truncated).
    sql: str
    views: frozenset[str]
    output: tuple[OutputColumn, ...]
    #: True unless every output column is an aggregate or a group key.
    row_level: bool
    #: SM3 hex of the submitted SQL text.
    digest: str


# --- refusals ----------------------------------------------------------------------------


class QueryRefused(SluiceError):
    """A query the policy does not run; ``part`` names what it refused."""

    status = 403
    code = "query_refused"

    def __init__(self, message_key: str, /, *, part: str, **params: Any) -> None:
        super().__init__(message_key, part=part, **params)
        self.part = part


class SqlInvalid(QueryRefused):
    status = 422
    code = "sql_invalid"


class StatementNotAllowed(QueryRefused):
    code = "statement_not_allowed"


class RelationNotAllowed(QueryRefused):
    code = "relation_not_allowed"


class FunctionNotAllowed(QueryRefused):
    code = "function_not_allowed"


class ColumnNotAllowed(QueryRefused):
    code = "column_not_allowed"


add_messages(
    {
        "problem.sql_invalid": ("SQL 无法解析", "SQL not understood"),
        "problem.statement_not_allowed": ("不允许的语句", "Statement not allowed"),
        "problem.relation_not_allowed": ("不允许访问的表", "Relation not allowed"),
        "problem.function_not_allowed": ("不允许的函数", "Function not allowed"),
        "problem.column_not_allowed": ("列的用法不符合规则", "Column use not allowed"),
        "sandbox.query.empty": ("查询为空。", "The query is empty."),
        "sandbox.query.unparsable": (
            "SQL 无法解析：{part}",
            "The SQL could not be parsed: {part}",
        ),
        "sandbox.query.unresolved": (
            "列 {part} 不存在或来源不明确：请写明表名或别名。",
            "Column {part} does not exist or is ambiguous; qualify it with its table.",
        ),
        "sandbox.query.several_statements": (
            "只能提交一条 SELECT 语句，“{part}”开始了第二条。",
            "Submit exactly one SELECT statement; {part} starts a second one.",
        ),
        "sandbox.query.statement": (
            "不允许执行 {part} 语句：沙箱只接受一条 SELECT 查询。",
            "{part} statements are not allowed; the sandbox runs one SELECT query.",
        ),
        "sandbox.query.construct": (
            "查询中不允许使用 {part}。",
            "{part} is not allowed in a query.",
        ),
        "sandbox.query.limit": (
            "LIMIT 和 OFFSET 只能是整数常量，不能是 {part}。",
            "LIMIT and OFFSET must be whole-number literals, not {part}.",
        ),
        "sandbox.query.recursive": (
            "不允许使用 WITH RECURSIVE（递归查询）。",
            "WITH RECURSIVE is not allowed.",
        ),
        "sandbox.query.function": (
            "不允许使用函数 {part}",
            "Function {part} is not allowed",
        ),
        "sandbox.query.relation": (
            "不允许访问 {part}：只能查询本工作区的视图 {views}。",
            "{part} may not be read; only this workspace's views may: {views}.",
        ),
        "sandbox.query.whole_row": (
            "不能整行引用 {part}：请列出需要的列。",
            "{part} cannot be referenced as a whole row; name the columns you need.",
        ),
        "sandbox.column.rows": (
            "列 {part} 不能出现在逐行结果中：请只在聚合中使用它。",
            "Column {part} may not appear in row-level results; use it inside aggregates.",
        ),
        "sandbox.column.aggregate": (
            "列 {part} 不能用于 {function}：该列在聚合中{allowed}。",
            "Column {part} cannot be used in {function}; inside aggregates: {allowed}.",
        ),
        "sandbox.column.group_key": (
            "列 {part} 不能作为分组键：该列作为分组键{allowed}。",
            "Column {part} cannot be a group key; as a group key: {allowed}.",
        ),
        "sandbox.column.filter": (
            "列 {part} 不能以 {operator} 用于筛选或连接：该列在筛选与连接中{allowed}。",
            "Column {part} cannot be used with {operator} in a filter or join; "
            "in filters and joins: {allowed}.",
        ),
        "sandbox.column.order": (
            "列 {part} 不能用于排序。",
            "Column {part} cannot be used to order rows.",
        ),
    }
)

#: Leading keywords of statements the sandbox never runs, for SQL sqlglot cannot parse
#: (``EXPORT DATABASE``, ``IMPORT DATABASE``) and to name the ones it can.
_STATEMENT_NAMES: Final[dict[type[exp.Expr], str]] = {
    exp.Copy: "COPY",
    exp.Attach: "ATTACH",
    exp.Detach: "DETACH",
    exp.Install: "INSTALL",
    exp.Pragma: "PRAGMA",
    exp.Set: "SET",
    exp.Use: "USE",
    exp.Describe: "DESCRIBE",
    exp.Show: "SHOW",
    exp.Summarize: "SUMMARIZE",
    exp.Insert: "INSERT",
    exp.Update: "UPDATE",
    exp.Delete: "DELETE",
    exp.Create: "CREATE",
    exp.Drop: "DROP",
    exp.Alter: "ALTER",
    exp.Merge: "MERGE",
    exp.TruncateTable: "TRUNCATE",
    exp.Transaction: "BEGIN",
    exp.Commit: "COMMIT",
    exp.Rollback: "ROLLBACK",
}
_NEVER_RUN: Final = frozenset(
    {
        *_STATEMENT_NAMES.values(),
        "EXPORT",
        "IMPORT",
        "LOAD",
        "RESET",
        "CALL",
        "CHECKPOINT",
        "VACUUM",
        "ANALYZE",
        "EXPLAIN",
        "GRANT",
        "REVOKE",
        "COMMENT",
        "PREPARE",
        "EXECUTE",
        "DEALLOCATE",
        "UNPIVOT",
        "PIVOT",
    }
)

#: Parse-tree nodes a query may contain besides allowed functions; anything else is
#: refused as a construct (an allow-list, like the functions).
_NODES: Final[frozenset[type[exp.Expr]]] = frozenset(
    {
        exp.Select,
        exp.Union,
        exp.Intersect,
        exp.Except,
        exp.With,
        exp.CTE,
        exp.Subquery,
        exp.Lateral,
        exp.From,
        exp.Join,
        exp.Table,
        exp.TableAlias,
        exp.Where,
        exp.Group,
        exp.Cube,
        exp.Rollup,
        exp.GroupingSets,
        exp.Having,
        exp.Qualify,
        exp.Order,
        exp.Ordered,
        exp.Limit,
        exp.Offset,
        exp.Window,
        exp.WindowSpec,
        exp.Filter,
        exp.Distinct,
        exp.WithinGroup,
        exp.IgnoreNulls,
        exp.RespectNulls,
        exp.Exists,
        exp.Alias,
        exp.Column,
        exp.Identifier,
        exp.Star,
        exp.Literal,
        exp.Null,
        exp.Boolean,
        exp.DataType,
        exp.DataTypeParam,
        exp.Var,
        exp.Interval,
        exp.Paren,
        exp.Tuple,
        exp.Bracket,
        exp.Neg,
        exp.Not,
        exp.And,
        exp.Or,
        exp.Add,
        exp.Sub,
        exp.Mul,
        exp.Div,
        exp.IntDiv,
        exp.Mod,
        exp.DPipe,
        exp.EQ,
        exp.NEQ,
        exp.GT,
        exp.GTE,
        exp.LT,
        exp.LTE,
        exp.Like,
        exp.ILike,
        exp.Between,
        exp.In,
        exp.Is,
    }
)
_CONSTRUCT_NAMES: Final[dict[type[exp.Expr], str]] = {
    exp.Placeholder: "parameters ($1, ?)",
    exp.TableSample: "USING SAMPLE / TABLESAMPLE",
    exp.Pivot: "PIVOT / UNPIVOT",
    exp.Lambda: "lambda (x -> …)",
    exp.Values: "VALUES",
    exp.LimitOptions: "LIMIT … PERCENT / WITH TIES",
    exp.Into: "SELECT … INTO",
    exp.Dot: "struct field access (a.b)",
    exp.PropertyEQ: "struct literal",
}
_COMPARISONS: Final = (
    exp.EQ,
    exp.NEQ,
    exp.GT,
    exp.GTE,
    exp.LT,
    exp.LTE,
    exp.Like,
    exp.ILike,
    exp.Between,
    exp.In,
    exp.Is,
)


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
class _Column:
    name: str
    flow: Flow
    kind: Kind


@dataclass
class _Result:
    columns: list[_Column]
    level: Literal["row", "group"]

    def named(self, name: str) -> _Column | None:
        wanted = name.lower()
        return next((c for c in self.columns if c.name.lower() == wanted), None)


# --- the check ---------------------------------------------------------------------------


def check_query(sql: str, views: Mapping[str, ViewSpec], *, row_cap: int) -> CheckedQuery:
    """The query as it may run, or ``QueryRefused`` naming the part that may not."""
    digest = sm3_hex(sql)
    by_name = {name.lower(): spec for name, spec in views.items()}
    listed = "、".join(sorted(spec.name for spec in by_name.values())) or "—"
    tree = _parse_one(sql)
    _check_nodes(tree, by_name, listed)
    _name_outputs(tree)
    try:
        tree = qualify(
            tree,
            schema=_schema(tuple(by_name.values())),
            dialect=DIALECT,
            validate_qualify_columns=False,
            quote_identifiers=True,
            identify=True,
        )
    except SqlglotError as error:
        raise SqlInvalid("sandbox.query.unparsable", part=str(error)[:200]) from None
    scopes = traverse_scope(tree)
    read = _check_relations(scopes, by_name, listed)
    analysis = _Analysis(by_name)
    result = analysis.run(scopes)
    _check_output(result, analysis)
    row_level = result.level == "row"
    if row_level:
        _cap(tree, row_cap + 1)
    output = tuple(_output_column(c, by_name) for c in result.columns)
    return CheckedQuery(
        sql=tree.sql(dialect=DIALECT, comments=False, copy=False),
        views=frozenset(read),
        output=output,
        row_level=row_level,
        digest=digest,
    )


def _parse_one(sql: str) -> exp.Query:
    try:
        statements = [s for s in sqlglot.parse(sql, read=DIALECT) if s is not None]
    except (ParseError, TokenError) as error:
        raise _unparsable(sql, error) from None
    if not statements:
        raise SqlInvalid("sandbox.query.empty", part="")
    if len(statements) > 1:
        raise StatementNotAllowed(
            "sandbox.query.several_statements", part=_statement_name(statements[1])
        )
    [statement] = statements
    if not isinstance(statement, exp.Select | exp.SetOperation):
        raise StatementNotAllowed("sandbox.query.statement", part=_statement_name(statement))
    return statement


def _statement_name(statement: exp.Expr) -> str:
    if isinstance(statement, exp.Command):
        return str(statement.this).upper()
    if isinstance(statement, exp.Select | exp.SetOperation):
        return "SELECT"
    return _STATEMENT_NAMES.get(type(statement), statement.key.upper())


def _unparsable(sql: str, error: SqlglotError) -> QueryRefused:
    """Why SQL sqlglot cannot parse is refused: a second statement or a statement kind
    the sandbox never runs says so (read from the tokens, not the text); else invalid."""
    try:
        tokens = Dialect.get_or_raise(DIALECT).tokenize(sql)
    except SqlglotError:
        tokens = []
    statements: list[list[str]] = [[]]
    for token in tokens:
        if token.token_type == TokenType.SEMICOLON:
            statements.append([])
        else:
            statements[-1].append(token.text.upper())
    statements = [s for s in statements if s]
    if len(statements) > 1:
        return StatementNotAllowed("sandbox.query.several_statements", part=statements[1][0])
    if statements and statements[0][0] in _NEVER_RUN:
        return StatementNotAllowed("sandbox.query.statement", part=statements[0][0])
    detail = str(error).splitlines()[0][:200] if str(error) else ""
    return SqlInvalid("sandbox.query.unparsable", part=detail)


def _check_nodes(tree: exp.Expr, views: Mapping[str, ViewSpec], listed: str) -> None:
    """Every node is a known construct or an allowed function; relations are names of
    views or of CTEs the query defines (where each name may be used is checked on the
    scopes later)."""
    tables: list[str] = []
    ctes: set[str] = set()
    for node in tree.walk():
        if isinstance(node, exp.CTE):
            ctes.add(node.alias_or_name.lower())
        if isinstance(node, exp.With) and node.args.get("recursive"):
            raise StatementNotAllowed("sandbox.query.recursive", part="WITH RECURSIVE")
        if isinstance(node, exp.Select) and node.args.get("windows"):
            # Named windows would carry PARTITION BY away from where it is checked.
            raise StatementNotAllowed("sandbox.query.construct", part="WINDOW")
        if isinstance(node, exp.Window) and node.args.get("alias"):
            raise StatementNotAllowed("sandbox.query.construct", part="WINDOW")
        if isinstance(node, exp.Table):
            _check_table_shape(node, listed)
            tables.append(node.name)
        if isinstance(node, exp.Limit | exp.Offset):
            value = node.expression
            if not (isinstance(value, exp.Literal) and value.is_int):
                part = value.sql(dialect=DIALECT, comments=False)
                raise StatementNotAllowed("sandbox.query.limit", part=part)
        if isinstance(node, exp.TableColumn):
            raise ColumnNotAllowed("sandbox.query.whole_row", part=node.name)
        if type(node) in _NODES:
            continue
        if isinstance(node, exp.Func):
            if not functions.is_allowed(node):
                raise FunctionNotAllowed(
                    "sandbox.query.function", part=functions.function_name(node)
                )
            continue
        if isinstance(node, exp.Command):
            raise StatementNotAllowed("sandbox.query.statement", part=_statement_name(node))
        name = _CONSTRUCT_NAMES.get(type(node), node.key.upper())
        raise StatementNotAllowed("sandbox.query.construct", part=name)
    for name in tables:
        if name.lower() not in views and name.lower() not in ctes:
            raise RelationNotAllowed("sandbox.query.relation", part=name, views=listed)


def _check_table_shape(table: exp.Table, listed: str) -> None:
    """A relation is one plain name: not a table function, not schema- or catalog-
    qualified (``information_schema.tables``, ``main.x``, ``other_db.main.x``)."""
    target = table.this
    if isinstance(target, exp.Func):
        raise FunctionNotAllowed("sandbox.query.function", part=functions.function_name(target))
    if not isinstance(target, exp.Identifier) or table.args.get("db") or table.args.get("catalog"):
        name = ".".join(part.name for part in table.parts) or table.key
        raise RelationNotAllowed("sandbox.query.relation", part=name, views=listed)


@lru_cache(maxsize=256)
def _schema(views: tuple[ViewSpec, ...]) -> MappingSchema:
    """The views' columns and types as the qualifier reads them (parsing the types is
    most of the cost, and a workspace's views change only with a new version)."""
    return MappingSchema(
        {spec.name.lower(): {c.name: c.sql_type for c in spec.columns} for spec in views},
        dialect=DIALECT,
    )


def _check_relations(
    scopes: Iterable[Scope], views: Mapping[str, ViewSpec], listed: str
) -> set[str]:
    """Every table a scope reads is a view of the workspace (CTE names resolve to their
    scopes, so a CTE may shadow a view). Returns the views read."""
    read: set[str] = set()
    for scope in scopes:
        for source in scope.sources.values():
            if not isinstance(source, exp.Table):
                continue
            spec = views.get(source.name.lower())
            if spec is None:
                raise RelationNotAllowed("sandbox.query.relation", part=source.name, views=listed)
            read.add(spec.name)
    return read


def _name_outputs(tree: exp.Expr) -> None:
    """Unnamed output expressions keep their text as their name (``count(*)``) rather
    than the ``_col_1`` the qualifier would give them."""
    select = tree
    while isinstance(select, exp.SetOperation):
        select = select.this
    if not isinstance(select, exp.Select):
        return
    named = []
    for projection in select.expressions:
        if not isinstance(projection, exp.Alias | exp.Column | exp.Star):
            name = projection.sql(dialect=DIALECT, comments=False)
            projection = exp.alias_(projection, name, quoted=True)
        named.append(projection)
    select.set("expressions", named)


def _cap(tree: exp.Expr, rows: int) -> None:
    limit = tree.args.get("limit")
    if isinstance(limit, exp.Limit) and isinstance(limit.expression, exp.Literal):
        rows = min(rows, int(limit.expression.name))
    tree.set("limit", exp.Limit(expression=exp.Literal.number(rows)))


# --- the analysis ------------------------------------------------------------------------


class _Analysis:
    def __init__(self, views: Mapping[str, ViewSpec]) -> None:
        self.views = views
        self.views_read: set[str] = set()
        self.results: dict[int, _Result] = {}

    def rule(self, source: Source) -> ColumnRule:
        view, column = source
        spec = self.views[view.lower()].column(column)
        assert spec is not None
        return spec.rule

    def run(self, scopes: Iterable[Scope]) -> _Result:
        result: _Result | None = None
        for scope in scopes:
            result = self._scope(scope)
            self.results[id(scope.expression)] = result
        assert result is not None
        return result

    def result_of(self, node: exp.Expr) -> _Result:
        while isinstance(node, exp.Subquery | exp.Lateral):
            node = node.this
        return self.results[id(node)]

    def _scope(self, scope: Scope) -> _Result:
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
            result = _Result(
                [_Column(c.name, c.flow.mapped(_PER_ROW), "value") for c in result.columns],
                "row",
            )
        return result

    def _set_operation(self, node: exp.SetOperation) -> _Result:
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
            columns.append(_Column(a.name, flow, kind))
        return _Result(columns, level)


@dataclass
class _Comparison:
    """One comparison: each operand's flow checked against the in_filters rule."""

    analysis: _Analysis
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
                    part=_source_name(source),
                    operator=self.operator,
                    allowed=_label("in_filters", rule.in_filters),
                )


class _Select:
    """One SELECT scope: its clauses checked, its output columns' flows."""

    def __init__(self, analysis: _Analysis, scope: Scope) -> None:
        self.analysis = analysis
        self.scope = scope
        self.select = cast(exp.Select, scope.expression)
        self.grouped = (
            bool(self.select.args.get("group"))
            or any(has_aggregate(p) for p in self.select.expressions)
            or has_aggregate(self.select.args.get("having"))
        )
        self.correlated = False
        self.projections: dict[str, exp.Expr] = {
            p.alias_or_name.lower(): p for p in self.select.expressions
        }

    def run(self) -> _Result:
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
                keys.extend(p for p in select.expressions if not has_aggregate(p))
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
            columns.append(_Column(projection.alias_or_name, flow, "value"))
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
        return _Result(columns, level)

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
        if not isinstance(node, (*_COMPARISONS, exp.Exists, exp.Boolean)):
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
                    part=_source_name(source),
                    allowed=_label("as_group_key", rule.as_group_key),
                )

    def order(self, items: Sequence[exp.Expr], *, grouped: bool) -> None:
        for item in items:
            target = item.this if isinstance(item, exp.Ordered) else item
            for source, _use in self.flow(target, grouped=grouped, aliases=True).live():
                rule = self.analysis.rule(source)
                if rule.in_filters != "yes" and not rule.in_rows:
                    raise ColumnNotAllowed("sandbox.column.order", part=_source_name(source))

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
            inner_grouped = False if _is_aggregate(node.this) else grouped
            self.condition(
                where.this if isinstance(where, exp.Where) else where, grouped=inner_grouped
            )
            return self.flow(node.this, grouped=grouped)
        if isinstance(node, exp.WithinGroup):
            return self.aggregate(node.this, grouped=grouped, extra=node.expression)
        if _is_aggregate(node):
            return self.aggregate(node, grouped=grouped)
        if isinstance(node, exp.Case | exp.If):
            return self.case(node, grouped=grouped)
        if isinstance(node, _COMPARISONS):
            return self.comparison(node, grouped=grouped)
        if isinstance(node, exp.Order):
            self.order(node.expressions, grouped=grouped)
            return self.flow(node.this, grouped=grouped)
        if isinstance(node, exp.TableColumn):
            raise ColumnNotAllowed("sandbox.query.whole_row", part=node.name)
        if type(node) not in _NODES and not (
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
        in_window = isinstance(_window_of(node), exp.Window)
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
                    part=_source_name(source),
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
        if _is_aggregate(inner):
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


def _window_of(node: exp.Expr) -> exp.Expr | None:
    parent = node.parent
    while isinstance(parent, exp.IgnoreNulls | exp.RespectNulls | exp.Filter):
        parent = parent.parent
    return parent


def _is_aggregate(node: exp.Expr) -> bool:
    return type(node) in functions.AGGREGATES


def has_aggregate(node: exp.Expr | None) -> bool:
    """An aggregate evaluated in this scope (not in a window, not in a subquery)."""
    if node is None:
        return False
    stack = [node]
    while stack:
        current = stack.pop()
        if _is_aggregate(current) and not isinstance(_window_of(current), exp.Window):
            return True
        for child in current.iter_expressions():
            if not isinstance(child, exp.Subquery | exp.Select | exp.SetOperation):
                stack.append(child)
    return False


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
    number to a band of width > 1 (``floor(x / n) * m``, ``floor(x / n)``, ``x // n``)."""
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
            if _number(factor) is not None and isinstance(inner, exp.Floor | exp.IntDiv):
                return _band_argument(inner)
        return None
    if isinstance(node, exp.Floor) and not node.args.get("decimals"):
        inner = _strip(node.this)
        if isinstance(inner, exp.Div) and (_number(inner.expression) or 0) > 1:
            return cast(exp.Expr, inner.this)
        return None
    if isinstance(node, exp.IntDiv) and (_number(node.expression) or 0) > 1:
        return cast(exp.Expr, node.this)
    return None


def _strip(node: exp.Expr) -> exp.Expr:
    while isinstance(node, exp.Paren):
        node = node.this
    return node


def _check_output(result: _Result, analysis: _Analysis) -> None:
    for column in result.columns:
        for source, use in column.flow.live():
            rule = analysis.rule(source)
            if use in (Use.ROW, Use.ROW_GEN) and not rule.in_rows:
                raise ColumnNotAllowed("sandbox.column.rows", part=_source_name(source))


_CLASS_ORDER: Final[tuple[FieldClass, ...]] = ("public", "internal", "sensitive", "identifier")
_FORM_ORDER: Final[tuple[Form, ...]] = ("value", "masked", "token")


def _output_column(column: _Column, views: Mapping[str, ViewSpec]) -> OutputColumn:
    classes: list[FieldClass] = ["public"]
    forms: list[Form] = ["value"]
    for view, name in column.flow.uses:
        spec = views[view.lower()].column(name)
        if spec is not None:
            classes.append(spec.field_class)
            forms.append(spec.form)
    return OutputColumn(
        name=column.name,
        kind=column.kind,
        sources=frozenset(column.flow.uses),
        field_class=max(classes, key=_CLASS_ORDER.index),
        form=max(forms, key=_FORM_ORDER.index),
    )


def _source_name(source: Source) -> str:
    return f"{source[0]}.{source[1]}"


def _label(cell: str, value: str) -> MessageRef:
    return MessageRef(cell_key(cell, value))


def _use_name(use: str) -> str:
    return "count(DISTINCT …)" if use == "count_distinct" else "count"


# --- k-anonymity -------------------------------------------------------------------------


def subject_count_query(checked: CheckedQuery, views: Mapping[str, ViewSpec]) -> str | None:
    """For the export gate's k-anonymity check: SQL returning, per output group (its
    group-key columns, or every column of a row-level query), ``subjects``, the number of
    distinct subject tokens behind it; ``None`` when no subject column is reachable (see
    ``subject_counts``)."""
    from sluice.guard.subject_counts import subject_count_sql

    return subject_count_sql(checked, views)
