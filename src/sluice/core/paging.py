"""One way to page, sort, filter and search a list, shared by every repository and page.

A list never loads more than one page of rows: the repository counts the filtered set and
reads one slice of it, ordered by a column the list declared sortable. A page past the end
names nothing, so it is a :class:`PageNotFound` (404), never an empty page "9999 / 346".
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any, Final, Generic, TypeVar

from sqlalchemy import ColumnElement, Select, func, or_, select
from sqlalchemy.orm import InstrumentedAttribute, Session

from sluice.core.errors import NotFound
from sluice.core.i18n import add_messages

T = TypeVar("T")
#: A column of a table or a mapped attribute (``Model.title``), as lists name them.
Column = ColumnElement[Any] | InstrumentedAttribute[Any]

DEFAULT_PAGE_SIZE: Final = 50
MAX_PAGE_SIZE: Final = 200
#: Longest search text a list accepts; longer input is cut, not refused.
MAX_QUERY_LENGTH: Final = 200

add_messages(
    {
        "problem.page_not_found": ("页码不存在", "No such page"),
        "error.page_not_found_number": (
            "第 {page} 页不存在（共 {pages} 页）。",
            "There is no page {page} (there are {pages}).",
        ),
    }
)


class PageNotFound(NotFound):
    code = "page_not_found"


@dataclass(frozen=True)
class ListQuery:
    """What a reader asked of a list: one page, one order, a search text and filters."""

    page: int = 1
    size: int = DEFAULT_PAGE_SIZE
    sort: str = ""
    descending: bool = False
    q: str = ""
    filters: Mapping[str, str] = field(default_factory=dict)

    @property
    def offset(self) -> int:
        return (self.page - 1) * self.size

    def filter(self, name: str) -> str | None:
        value = self.filters.get(name)
        return value or None

    def with_sort(self, sort: str, descending: bool) -> ListQuery:
        return replace(self, sort=sort, descending=descending)


@dataclass(frozen=True)
class Page(Generic[T]):
    items: Sequence[T]
    total: int
    query: ListQuery

    @property
    def pages(self) -> int:
        return max(1, math.ceil(self.total / self.query.size))

    @property
    def first(self) -> int:
        """Position (from 1) of the first row shown, 0 when the list is empty."""
        return self.query.offset + 1 if self.items else 0

    @property
    def last(self) -> int:
        return self.query.offset + len(self.items)


def check_page(query: ListQuery, total: int) -> None:
    pages = max(1, math.ceil(total / query.size))
    if query.page > pages:
        raise PageNotFound("error.page_not_found_number", page=query.page, pages=pages)


def paginate(
    session: Session,
    statement: Select[Any],
    query: ListQuery,
    *,
    sorts: Mapping[str, Column],
    default: str,
    tiebreak: Column,
    scalars: bool = True,
) -> Page[Any]:
    """Count the filtered statement, then read the one page asked for, in a stable order.

    ``sorts`` maps the names a list may be sorted by to columns; an unknown name falls back
    to ``default`` (``-name`` for descending). ``tiebreak`` (a unique column) keeps the order
    stable when many rows share a value, so paging neither repeats nor skips a row.
    """
    total = session.scalar(select(func.count()).select_from(statement.order_by(None).subquery()))
    total = int(total or 0)
    check_page(query, total)
    name, descending = query.sort, query.descending
    if name not in sorts:
        name, descending = default.removeprefix("-"), default.startswith("-")
    column = sorts[name]
    ordered = statement.order_by(
        column.desc().nulls_last() if descending else column.asc().nulls_last(), tiebreak
    )
    rows = session.execute(ordered.offset(query.offset).limit(query.size))
    items = list(rows.scalars() if scalars else rows.all())
    return Page(items, total, replace(query, sort=name, descending=descending))


def page_of(items: Sequence[T], query: ListQuery) -> Page[T]:
    """A page over a list already in memory (small lists: checklists, a round's sheets)."""
    check_page(query, len(items))
    return Page(items[query.offset : query.offset + query.size], len(items), query)


def _literal(text: str) -> str:
    """The text as a LIKE pattern that matches only itself (``%`` and ``_`` escaped)."""
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def contains(text: str, *columns: Column) -> ColumnElement[bool]:
    """Any column holds the text, ignoring case; ``%`` and ``_`` are taken literally."""
    escaped = _literal(text)
    return or_(*(column.ilike(f"%{escaped}%", escape="\\") for column in columns))


def starts_with(text: str, column: Column, *, ignore_case: bool = True) -> ColumnElement[bool]:
    """The column starts with the text; ``%`` and ``_`` are taken literally."""
    pattern = f"{_literal(text)}%"
    if ignore_case:
        return column.ilike(pattern, escape="\\")
    return column.like(pattern, escape="\\")
