"""A product's SQL through the sandbox's query policy, with its parameters (R8.10, R8.2).

A product's query must pass exactly as a sandbox query would (``query_policy.check_query``
on the agreement's workspace views: one SELECT, only the views, allowed functions, the
column rules through every derivation). It differs in one way: it has **named
parameters**, ``:name`` (sqlglot reads ``$name`` the same), which the buyer's inputs fill
at each call. The policy itself refuses every placeholder, so ``prepare``:

1. finds every placeholder in the parse tree: an unnamed one (``?``) or one the product
   does not declare is ``spec_invalid``, as is a declared parameter the SQL never uses;
   a placeholder outside a ``WHERE`` condition (in the output, a join, ``LIMIT``, a
   group key) is ``spec_invalid`` too, so a parameter can only narrow which rows are
   read, never be echoed back or change the query's shape;
2. puts a reserved string literal (``'__sluice_parameter_<name>__'``) in each one's place
   and has the policy check that query: a parameter is judged as a literal there, so
   ``uscc_token = :subject`` is the equality filter the token's rule allows, and
   ``lower(uscc_token) = :subject`` is refused like any other use of a token inside a
   function;
3. turns the literals of the normalised SQL the policy returns (and of the subject-count
   rewrite, for statistics) back into ``$name`` parameters, which the engine binds
   (``dataplane.product_engine``): an input never becomes SQL text.

With the checked query it also keeps what the export gate says of its output
(``export_columns.refusal``: every product's answer leaves the platform) and, for a query
about one subject (a score: ``subject`` names its parameter), the first view it reads
**not** restricted to that subject (``Prepared.unrestricted``). A read is restricted when
the ``SELECT`` reading the view has, among the top-level ``AND`` conjuncts of its
``WHERE``, ``<a token column of the subject's type in that view> = :subject`` (either
side; parentheses allowed, no ``OR`` or ``NOT`` around it): ``uscc_token`` of the tax
ratings, ``employer_uscc_token`` of the provident fund accounts, as the caller says
(``subject_columns``). Every read counts: each branch of a set
operation, each CTE and subquery, each side of a join. So every row the query sees is
that subject's, whatever it computes of them.

The result is cached per SQL, parameters and views (the views change only with a new
version of the data or a new scope), so a call pays for the check once.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Final

import sqlglot
from sqlglot import exp
from sqlglot.errors import SqlglotError
from sqlglot.optimizer.scope import traverse_scope

from sluice.guard import export_columns
from sluice.guard.product_errors import InvalidSpec
from sluice.guard.product_specs import VerificationSpec
from sluice.guard.query_policy import CheckedQuery, SqlInvalid, check_query, subject_count_query
from sluice.guard.query_types import ViewSpec

DIALECT: Final = "duckdb"
_MARK: Final = "__sluice_parameter_{}__"
_RESERVED: Final = "__sluice_parameter_"
_MARKED: Final = re.compile(r"^__sluice_parameter_([a-z][a-z0-9_]{0,62})__$")
#: The output column a verification reads (the answer column's value, or a bare 1).
ANSWER: Final = "answer"


@dataclass(frozen=True)
class Prepared:
    """A product's query as the policy passed it, ready to bind."""

    #: As the policy judged it (reserved literals where the parameters are).
    checked: CheckedQuery
    #: The normalised SQL with ``$name`` parameters, as the engine runs it.
    sql: str
    #: The parameter names ``sql`` uses.
    parameters: frozenset[str]
    #: The subject-count rewrite (``query_policy.subject_count_query``) with its
    #: parameters, when asked for and the query reads subject columns.
    counts_sql: str | None = None
    counts_parameters: frozenset[str] = frozenset()
    #: What the export gate refuses of the output (``None``: all of it may leave).
    leaving: export_columns.ColumnRefusal | None = None
    #: For a query about one subject: the first view it reads without restricting it to
    #: the subject (``None``: every read is restricted).
    unrestricted: str | None = None


def prepare(
    sql: str,
    parameters: Sequence[str],
    views: Mapping[str, ViewSpec],
    *,
    row_cap: int,
    counts: bool = False,
    subject: str | None = None,
    subject_columns: Mapping[str, Iterable[str]] | None = None,
) -> Prepared:
    """The query checked with its parameters (see the module docstring): ``spec_invalid``
    for a parameter problem, the policy's own ``QueryRefused`` for the rest. ``subject``
    names the parameter a query about one subject binds the subject's token to, and
    ``subject_columns`` the token columns of each view that hold that subject's type."""
    columns = tuple(
        sorted(
            (view, tuple(sorted(c.lower() for c in names)))
            for view, names in (subject_columns or {}).items()
        )
    )
    return _prepare(
        sql,
        tuple(sorted(set(parameters))),
        tuple(sorted(views.values(), key=lambda v: v.name)),
        row_cap,
        counts,
        subject,
        columns,
    )


@lru_cache(maxsize=512)
def _prepare(
    sql: str,
    parameters: tuple[str, ...],
    views: tuple[ViewSpec, ...],
    row_cap: int,
    counts: bool,
    subject: str | None,
    subject_columns: tuple[tuple[str, tuple[str, ...]], ...],
) -> Prepared:
    marked, used = _mark(sql, parameters)
    by_name = {v.name: v for v in views}
    checked = check_query(marked, by_name, row_cap=row_cap)
    for name in parameters:
        if name not in used:
            raise InvalidSpec("product.spec.parameter_unused", part=name)
    bound, bound_names = _unmark(checked.sql)
    counted: str | None = None
    counted_uses: frozenset[str] = frozenset()
    if counts:
        rewritten = subject_count_query(checked, by_name)
        if rewritten is not None:
            counted, counted_uses = _unmark(rewritten)
    leaving = export_columns.refusal(checked, by_name)
    unrestricted = (
        _unrestricted(checked.sql, dict(subject_columns), subject) if subject is not None else None
    )
    return Prepared(checked, bound, bound_names, counted, counted_uses, leaving, unrestricted)


def _unrestricted(
    sql: str, subject_columns: Mapping[str, tuple[str, ...]], parameter: str
) -> str | None:
    """The first view the (policy-normalised) query reads without a top-level ``WHERE``
    conjunct ``<a subject column of it> = :parameter`` (see the module docstring)."""
    by_name = {name.lower(): columns for name, columns in subject_columns.items()}
    marked = _MARK.format(parameter)
    tree = sqlglot.parse_one(sql, read=DIALECT)
    for scope in traverse_scope(tree):
        for alias, source in scope.sources.items():
            if not isinstance(source, exp.Table):
                continue  # a CTE or subquery: its own scope is checked on its own
            columns = by_name.get(source.name.lower(), ())
            where = scope.expression.args.get("where")
            if not columns or not isinstance(where, exp.Where):
                return source.name
            if not any(
                _restricts(conjunct, alias, column, marked)
                for conjunct in _conjuncts(where.this)
                for column in columns
            ):
                return source.name
    return None


def _conjuncts(condition: exp.Expr) -> list[exp.Expr]:
    """The top-level ``AND`` terms of a condition (through parentheses)."""
    while isinstance(condition, exp.Paren):
        condition = condition.this
    if isinstance(condition, exp.And):
        return [*_conjuncts(condition.left), *_conjuncts(condition.right)]
    return [condition]


def _restricts(conjunct: exp.Expr, alias: str, column: str, marked: str) -> bool:
    """Whether a conjunct is ``<alias>.<column> = :subject`` (either way round)."""
    if not isinstance(conjunct, exp.EQ):
        return False
    sides = [conjunct.this, conjunct.expression]
    for side, other in (sides, sides[::-1]):
        while isinstance(side, exp.Paren):
            side = side.this
        while isinstance(other, exp.Paren):
            other = other.this
        if (
            isinstance(side, exp.Column)
            and side.name.lower() == column
            and side.table.lower() == alias.lower()
            and isinstance(other, exp.Literal)
            and other.is_string
            and other.this == marked
        ):
            return True
    return False


def _mark(sql: str, parameters: tuple[str, ...]) -> tuple[str, frozenset[str]]:
    """The SQL with each placeholder replaced by its reserved literal, and the names
    used."""
    if _RESERVED in sql:
        raise InvalidSpec("product.spec.parameter_reserved", part=_RESERVED)
    try:
        statements = sqlglot.parse(sql, read=DIALECT)
    except SqlglotError:
        return sql, frozenset()  # the policy explains what it cannot parse
    if len(statements) != 1 or statements[0] is None:
        return sql, frozenset()  # the policy refuses several statements, naming the second
    tree = statements[0]
    declared = ", ".join(f":{p}" for p in parameters) or "—"
    used: set[str] = set()
    for placeholder in list(tree.find_all(exp.Placeholder)):
        name = placeholder.args.get("this")
        if not isinstance(name, str) or not name:
            raise InvalidSpec("product.spec.parameter_unnamed", part=placeholder.sql(DIALECT))
        if name not in parameters:
            raise InvalidSpec("product.spec.parameter_undeclared", part=name, declared=declared)
        if not isinstance(placeholder.find_ancestor(exp.Where, exp.Query, exp.Join), exp.Where):
            raise InvalidSpec("product.spec.parameter_place", part=name)
        used.add(name)
        placeholder.replace(exp.Literal.string(_MARK.format(name)))
    return tree.sql(dialect=DIALECT), frozenset(used)


def _unmark(sql: str) -> tuple[str, frozenset[str]]:
    """The reserved literals of the policy's SQL back into ``$name`` parameters."""
    try:
        tree = sqlglot.parse_one(sql, read=DIALECT)
    except SqlglotError as error:  # pragma: no cover - the policy's own output parses
        raise SqlInvalid("sandbox.query.unparsable", part=str(error)[:200]) from None
    used: set[str] = set()
    for literal in list(tree.find_all(exp.Literal)):
        found = _MARKED.match(literal.this) if literal.is_string else None
        if found is not None:
            used.add(found.group(1))
            literal.replace(exp.Placeholder(this=found.group(1)))
    return tree.sql(dialect=DIALECT, comments=False), frozenset(used)


def verification_sql(spec: VerificationSpec, optional: frozenset[str]) -> str:
    """A verification as a query: its view's rows where every matched column equals its
    input (an optional input left out matches anything), returning the answer column's
    distinct values (at most two: more than one value is no answer) or a bare 1."""
    return _verification_sql(
        spec.view, tuple(spec.match.items()), spec.answer_column, tuple(sorted(optional))
    )


@lru_cache(maxsize=512)
def _verification_sql(
    view: str,
    match: tuple[tuple[str, str], ...],
    answer_column: str | None,
    optional: tuple[str, ...],
) -> str:
    conditions: list[exp.Expr] = []
    for name, column in match:
        equal: exp.Expr = exp.EQ(
            this=exp.column(column, quoted=True), expression=exp.Placeholder(this=name)
        )
        if name in optional:
            equal = exp.paren(
                exp.or_(equal, exp.Is(this=exp.Placeholder(this=name), expression=exp.Null()))
            )
        conditions.append(equal)
    if answer_column is not None:
        query = exp.select(
            exp.alias_(exp.column(answer_column, quoted=True), ANSWER, quoted=True)
        ).distinct()
        limit = 2
    else:
        query = exp.select(exp.alias_(exp.Literal.number(1), ANSWER, quoted=True))
        limit = 1
    table = exp.Table(this=exp.to_identifier(view, quoted=True))
    query = query.from_(table).where(exp.and_(*conditions))
    return query.limit(limit).sql(dialect=DIALECT)
