"""Why a sandbox query is refused: one error class per code, messages naming the part."""

from __future__ import annotations

from typing import Any

from sluice.core.errors import SluiceError
from sluice.core.i18n import add_messages


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
