"""The functions a sandbox query may call: an allow-list, and what each kind does to a column.

Anything not named here is refused (``function_not_allowed``), so a function DuckDB adds in
a later release, or one that reaches files, the network, settings or the catalog
(``read_csv``, ``glob``, ``getenv``, ``current_setting``, ``duckdb_*``, ``pragma_*``),
never becomes callable by accident. Hash functions are left out on purpose: a hash of a
token is the token under another name.

sqlglot parses a known function into its own expression class (``count`` → ``Count``,
``list`` → ``ArrayAgg``) and an unknown one into ``Anonymous``; both are listed.
"""

from __future__ import annotations

from typing import Final, Literal

from sqlglot import exp

AggregateUse = Literal["count", "count_distinct", "any"]

#: Aggregates; ``count`` and ``count(DISTINCT …)`` are told apart where they are called.
AGGREGATES: Final[frozenset[type[exp.Expr]]] = frozenset(
    {
        exp.Count,
        exp.ApproxDistinct,
        exp.CountIf,
        exp.Sum,
        exp.Avg,
        exp.Min,
        exp.Max,
        exp.Median,
        exp.Mode,
        exp.PercentileCont,
        exp.PercentileDisc,
        exp.Quantile,
        exp.Stddev,
        exp.StddevPop,
        exp.StddevSamp,
        exp.Variance,
        exp.VariancePop,
        exp.Corr,
        exp.CovarPop,
        exp.CovarSamp,
        exp.LogicalAnd,
        exp.LogicalOr,
        exp.GroupConcat,
        exp.ArrayAgg,
        exp.First,
        exp.Last,
        exp.AnyValue,
        exp.ArgMin,
        exp.ArgMax,
    }
)
#: Aggregates that return the rows' values themselves rather than a statistic of them:
#: what they return is judged as row output (``in_rows``).
COLLECTING: Final[frozenset[type[exp.Expr]]] = frozenset(
    {exp.ArrayAgg, exp.GroupConcat, exp.First, exp.Last, exp.AnyValue}
)
#: Window functions that rank rows by the window's ORDER BY.
RANKING: Final[frozenset[type[exp.Expr]]] = frozenset(
    {exp.RowNumber, exp.Rank, exp.DenseRank, exp.PercentRank, exp.CumeDist, exp.Ntile}
)
#: Window functions that return another row's value.
NAVIGATION: Final[frozenset[type[exp.Expr]]] = frozenset(
    {exp.Lag, exp.Lead, exp.FirstValue, exp.LastValue, exp.NthValue}
)
#: Ordinary scalar functions: their result derives from every argument.
SCALARS: Final[frozenset[type[exp.Expr]]] = frozenset(
    {
        # numbers
        exp.Round,
        exp.Floor,
        exp.Ceil,
        exp.Abs,
        exp.Sqrt,
        exp.Pow,
        exp.Ln,
        exp.Log,
        exp.Exp,
        exp.Sign,
        exp.Greatest,
        exp.Least,
        # conditions and types
        exp.Coalesce,
        exp.Nullif,
        exp.If,
        exp.Case,
        exp.Cast,
        exp.TryCast,
        # dates
        exp.TimestampTrunc,
        exp.DateTrunc,
        exp.Year,
        exp.Quarter,
        exp.Month,
        exp.Week,
        exp.Day,
        exp.DayOfMonth,
        exp.DayOfWeek,
        exp.DayOfYear,
        exp.Extract,
        exp.TimeToStr,
        exp.StrToTime,
        exp.DateDiff,
        exp.DateAdd,
        exp.DateSub,
        exp.DateFromParts,
        exp.LastDay,
        exp.TimeToUnix,
        exp.CurrentDate,
        exp.CurrentTimestamp,
        # text
        exp.Lower,
        exp.Upper,
        exp.Length,
        exp.Substring,
        exp.Concat,
        exp.ConcatWs,
        exp.Trim,
        exp.Replace,
        exp.Left,
        exp.Right,
        exp.Pad,
        exp.StrPosition,
        exp.StartsWith,
        exp.SplitPart,
        exp.Reverse,
        # lists built by list()/array_agg
        exp.ArraySize,
        exp.Array,
    }
)
#: Functions sqlglot does not model, by their DuckDB name.
ANONYMOUS: Final[frozenset[str]] = frozenset({"mean", "date_part", "datepart", "now", "age"})

ALLOWED: Final = AGGREGATES | RANKING | NAVIGATION | SCALARS

#: Units to which a date is generalised: date_trunc, extract and date_part keep no more.
GENERAL_UNITS: Final = frozenset(
    {"year", "isoyear", "quarter", "month", "decade", "century", "millennium"}
)
#: Functions that generalise a date by themselves.
GENERALISERS: Final[frozenset[type[exp.Expr]]] = frozenset({exp.Year, exp.Quarter, exp.Month})


def is_allowed(node: exp.Func) -> bool:
    if isinstance(node, exp.Anonymous):
        return node.name.lower() in ANONYMOUS
    return type(node) in ALLOWED


def function_name(node: exp.Func) -> str:
    """The name to show: as written for an unknown function, else DuckDB's spelling."""
    if isinstance(node, exp.Anonymous):
        return node.name.lower()
    try:
        rendered = node.sql(dialect="duckdb", comments=False)
    except Exception:  # a node DuckDB cannot render still has a name
        rendered = ""
    head = rendered.split("(", 1)[0].strip()
    if head and head.replace("_", "").isalnum():
        return head.lower()
    return node.key


def aggregate_use(node: exp.Expr) -> AggregateUse:
    """What an aggregate does with its argument: counts it, counts it once per value, or
    reads it (sum, min, list … can return or reveal the values themselves)."""
    if isinstance(node, exp.Count):
        return "count_distinct" if isinstance(node.this, exp.Distinct) else "count"
    if isinstance(node, exp.ApproxDistinct):
        return "count_distinct"
    if isinstance(node, exp.CountIf):
        return "count"
    return "any"


def window_of(node: exp.Expr) -> exp.Expr | None:
    """The node an aggregate belongs to, past IGNORE NULLS and FILTER wrappers: a
    ``Window`` when it is a window aggregate."""
    parent = node.parent
    while isinstance(parent, exp.IgnoreNulls | exp.RespectNulls | exp.Filter):
        parent = parent.parent
    return parent


def is_aggregate(node: exp.Expr) -> bool:
    return type(node) in AGGREGATES


def has_aggregate(node: exp.Expr | None) -> bool:
    """An aggregate evaluated at this level (not in a window, not in a subquery)."""
    if node is None:
        return False
    stack = [node]
    while stack:
        current = stack.pop()
        if is_aggregate(current) and not isinstance(window_of(current), exp.Window):
            return True
        for child in current.iter_expressions():
            if not isinstance(child, exp.Subquery | exp.Select | exp.SetOperation):
                stack.append(child)
    return False


# --- constructs ----------------------------------------------------------------------

#: Parse-tree nodes a query may contain besides allowed functions; anything else is
#: refused as a construct (an allow-list, like the functions).
NODES: Final[frozenset[type[exp.Expr]]] = frozenset(
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
CONSTRUCT_NAMES: Final[dict[type[exp.Expr], str]] = {
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
COMPARISONS: Final = (
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
