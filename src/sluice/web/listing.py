"""The console's list pattern: query parameters in, one page and its controls out.

Every list page declares a :class:`ListSpec` (which columns sort, which filters exist) and
takes ``listing: ListQuery = Depends(spec)``. The same template macros (``_list.html``)
draw the search box, the filters, the sortable headers, the pager and the empty state, and
an htmx request for the list alone gets only its rows (:func:`render_list`).

A page number that is not a number, below 1 or past the end names no page: 404, like any
other address that does not exist.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

from fastapi import Request
from fastapi.responses import HTMLResponse

from sluice.core.errors import NotFound
from sluice.core.i18n import add_messages
from sluice.core.paging import DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE, MAX_QUERY_LENGTH, ListQuery, Page
from sluice.web.params import MAX_POSITION
from sluice.web.templating import render

add_messages(
    {
        "list.search": ("搜索", "Search"),
        "list.search_placeholder": ("输入关键词", "Type to search"),
        "list.all": ("全部", "All"),
        "list.filter": ("筛选", "Filter"),
        "list.reset": ("清除条件", "Clear"),
        "list.range": (
            "第 {first}–{last} 条，共 {total} 条",
            "{first}–{last} of {total}",
        ),
        "list.total": ("共 {total} 条", "{total} in all"),
        "list.page": ("第 {page} / {pages} 页", "Page {page} of {pages}"),
        "list.first": ("首页", "First"),
        "list.previous": ("上一页", "Previous"),
        "list.next": ("下一页", "Next"),
        "list.last": ("末页", "Last"),
        "list.sort_by": ("按{column}排序", "Sort by {column}"),
        "list.empty": ("没有记录。", "Nothing here yet."),
        "list.empty_filtered": (
            "没有符合条件的记录。请换一个关键词或清除筛选条件。",
            "Nothing matches. Try another word or clear the filters.",
        ),
        "list.export_csv": ("导出 CSV", "Export CSV"),
    }
)


@dataclass(frozen=True)
class ListSpec:
    """What one list offers: sortable column names, filter names and its page size.

    Call it as a FastAPI dependency to read the reader's request into a :class:`ListQuery`.
    """

    sorts: Sequence[str] = ()
    filters: Sequence[str] = ()
    default_sort: str = ""
    size: int = DEFAULT_PAGE_SIZE
    searchable: bool = True

    def __call__(self, request: Request) -> ListQuery:
        params = request.query_params
        page = _page_number(params.get("page"))
        size = self.size
        if "size" in params:
            size = _bounded(params["size"], 1, MAX_PAGE_SIZE)
        sort = params.get("sort", self.default_sort) or self.default_sort
        descending = sort.startswith("-")
        name = sort.removeprefix("-")
        if name not in self.sorts:
            name, descending = (
                self.default_sort.removeprefix("-"),
                self.default_sort.startswith("-"),
            )
        filters = {n: params.get(n, "").strip()[:MAX_QUERY_LENGTH] for n in self.filters}
        query = params.get("q", "").strip()[:MAX_QUERY_LENGTH] if self.searchable else ""
        return ListQuery(
            page=page,
            size=size,
            sort=name,
            descending=descending,
            q=query,
            filters={k: v for k, v in filters.items() if v},
        )


def _page_number(raw: str | None) -> int:
    if raw is None or raw == "":
        return 1
    return _bounded(raw, 1, MAX_POSITION)


def _bounded(raw: str, low: int, high: int) -> int:
    if not raw.isascii() or not raw.isdigit() or not low <= int(raw) <= high:
        raise NotFound("error.page_not_found")
    return int(raw)


def link(query: ListQuery, **changes: Any) -> str:
    """The query string of this list with some parameters changed (page, sort, a filter)."""
    params: dict[str, Any] = {}
    if query.q:
        params["q"] = query.q
    params.update(query.filters)
    if query.sort:
        params["sort"] = f"-{query.sort}" if query.descending else query.sort
    if query.page > 1:
        params["page"] = query.page
    params.update(changes)
    clean = {k: v for k, v in params.items() if v not in (None, "")}
    if clean.get("page") == 1:
        del clean["page"]
    return "?" + urlencode(clean) if clean else "?"


def sort_link(query: ListQuery, name: str) -> str:
    """Sorting by a column starts ascending; asking again reverses it. Back to page 1."""
    descending = query.sort == name and not query.descending
    return link(query, sort=f"-{name}" if descending else name, page=None)


def is_list_request(request: Request, list_id: str) -> bool:
    """htmx asks for the list alone when the search box or a filter changes."""
    return request.headers.get("HX-Target") == list_id


def render_list(
    request: Request,
    template: str,
    context: dict[str, Any],
    *,
    page: Page[Any],
    list_id: str = "list",
    rows_template: str | None = None,
) -> HTMLResponse:
    """The whole page, or only its list (``rows_template``) when htmx asked for the list."""
    full = {"listing": page.query, "page_of_rows": page, "list_id": list_id, **context}
    if rows_template and is_list_request(request, list_id):
        return render(request, rows_template, full)
    return render(request, template, full)


def register_template_helpers() -> None:
    from sluice.web.templating import TEMPLATES

    TEMPLATES.env.globals.update(list_link=link, sort_link=sort_link)


register_template_helpers()
