"""The shapes the query policy speaks in: a workspace's views, and a query as checked.

Kept apart from ``query_policy`` so that the subject-count rewrite (``subject_counts``)
and the policy can both use them without importing each other.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from sluice.dataplane.column_rules import ColumnRule, FieldClass, Form

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
