"""What a sandbox query may do, decided on its parse tree before any engine sees it (R8.2).

Changes to the agreed interface (all additive; the names import from here as agreed):
``ViewColumn``, ``ViewSpec``, ``OutputColumn`` and ``CheckedQuery`` live in
``query_types`` and the refusals in ``query_refusals``; ``QueryRefused`` has one subclass
per code (``SqlInvalid`` 422, ``StatementNotAllowed``, ``RelationNotAllowed``,
``FunctionNotAllowed``, ``ColumnNotAllowed`` 403): catch the base, read ``code`` and
``part``. ``ViewSpec.column(name)`` looks a column up case-insensitively. Unnamed output
expressions are named by their text (``count(*)``), not DuckDB's default.

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
quarter or month of a date, a width band ``floor(x / n) * n`` with a literal ``n > 1``
(not ``x // n``: DuckDB divides decimals exactly with it), or a CASE whose results are
all literals); the same as a **group key**
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
row-level again outside it. Aggregates that return the rows' own values (``list``,
``string_agg``, ``first``, ``any_value``, the first argument of ``arg_max``) are judged as
row output. The analysis itself is ``query_flows``; the allow-lists ``query_functions``.

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

from collections.abc import Iterable, Mapping
from functools import lru_cache
from typing import Final

import sqlglot
from sqlglot import exp
from sqlglot.dialects.dialect import Dialect
from sqlglot.errors import ParseError, SqlglotError, TokenError
from sqlglot.optimizer.qualify import qualify
from sqlglot.optimizer.scope import Scope, traverse_scope
from sqlglot.schema import MappingSchema
from sqlglot.tokens import TokenType  # type: ignore[attr-defined]

from sluice.core.ids import sm3_hex
from sluice.dataplane.column_rules import FieldClass, Form
from sluice.guard import query_functions as functions
from sluice.guard.query_flows import Analysis, Column, check_output
from sluice.guard.query_refusals import (
    ColumnNotAllowed,
    FunctionNotAllowed,
    QueryRefused,
    RelationNotAllowed,
    SqlInvalid,
    StatementNotAllowed,
)
from sluice.guard.query_types import (
    CheckedQuery,
    OutputColumn,
    ViewColumn,
    ViewSpec,
)
from sluice.guard.subject_counts import subject_count_sql

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
    analysis = Analysis(by_name)
    result = analysis.run(scopes)
    check_output(result, analysis)
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
        if type(node) in functions.NODES:
            continue
        if isinstance(node, exp.Func):
            if not functions.is_allowed(node):
                raise FunctionNotAllowed(
                    "sandbox.query.function", part=functions.function_name(node)
                )
            continue
        if isinstance(node, exp.Command):
            raise StatementNotAllowed("sandbox.query.statement", part=_statement_name(node))
        name = functions.CONSTRUCT_NAMES.get(type(node), node.key.upper())
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


_CLASS_ORDER: Final[tuple[FieldClass, ...]] = ("public", "internal", "sensitive", "identifier")
_FORM_ORDER: Final[tuple[Form, ...]] = ("value", "masked", "token")


def _output_column(column: Column, views: Mapping[str, ViewSpec]) -> OutputColumn:
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


# --- k-anonymity -------------------------------------------------------------------------


def subject_count_query(checked: CheckedQuery, views: Mapping[str, ViewSpec]) -> str | None:
    """For the export gate's k-anonymity check: SQL returning, per output group (its
    group-key columns, or every column of a row-level query), ``subjects``, the number of
    distinct subject tokens behind it; ``None`` when no subject column is reachable (see
    ``subject_counts``)."""
    return subject_count_sql(checked, views)
