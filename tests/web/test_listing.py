"""The shared list pattern: what a reader's address asks, and the links and controls it draws."""

from __future__ import annotations

from urllib.parse import quote

import pytest
from fastapi.testclient import TestClient
from starlette.requests import Request

from sluice.core.clock import FixedClock
from sluice.core.database import Database
from sluice.core.errors import NotFound
from sluice.core.paging import ListQuery, PageNotFound, check_page, page_of
from sluice.core.permissions import OrgKind, Role
from sluice.web.listing import ListSpec, link, sort_link
from tests.identity.factories import console_login, make_account, make_org

SPEC = ListSpec(sorts=("title", "created"), filters=("status",), default_sort="-created")


def _read(query: str) -> ListQuery:
    scope = {"type": "http", "query_string": quote(query, safe="=&%").encode(), "headers": []}
    return SPEC(Request(scope))


def test_an_address_becomes_a_bounded_query() -> None:
    assert _read("") == ListQuery(page=1, sort="created", descending=True)
    asked = _read("page=3&sort=title&status=open&q=%20社保%20&other=x")
    assert (asked.page, asked.sort, asked.descending) == (3, "title", False)
    assert asked.filters == {"status": "open"} and asked.q == "社保"
    assert _read("sort=password").sort == "created"  # only declared columns sort
    assert len(_read("q=" + "字" * 500).q) == 200


@pytest.mark.parametrize("page", ["0", "-1", "x", "1.5", "１", "99999999999"])
def test_a_page_that_is_not_a_page_number_is_not_found(page: str) -> None:
    with pytest.raises(NotFound):
        _read(f"page={page}")


def test_a_page_past_the_end_is_not_found_and_says_how_many_there_are() -> None:
    check_page(ListQuery(page=3, size=50), total=101)
    with pytest.raises(PageNotFound) as caught:
        check_page(ListQuery(page=4, size=50), total=101)
    assert caught.value.detail("zh-CN") == "第 4 页不存在（共 3 页）。"
    assert page_of(list(range(120)), ListQuery(page=3, size=50)).items == list(range(100, 120))


def test_links_keep_the_search_filters_and_order() -> None:
    query = ListQuery(page=2, sort="title", q="社保", filters={"status": "open"})
    assert link(query, page=3) == "?q=%E7%A4%BE%E4%BF%9D&status=open&sort=title&page=3"
    assert link(query, page=1) == "?q=%E7%A4%BE%E4%BF%9D&status=open&sort=title"
    assert sort_link(query, "title").endswith("sort=-title")  # again reverses
    assert sort_link(query, "created").endswith("sort=created")  # a new column starts ascending


def test_a_filter_without_a_dropdown_survives_a_new_search(
    client: TestClient, database: Database, clock: FixedClock
) -> None:
    console_login(client, make_account(database, clock, Role.BUREAU))
    page = client.get("/console/users?organization=sjj")
    toolbar = page.text.split('data-testid="list-toolbar"')[1].split("</form>")[0]
    assert '<input type="hidden" name="organization" value="sjj">' in toolbar


def test_a_picker_answers_in_the_readers_language_and_only_to_who_may_pick(
    client: TestClient, database: Database, clock: FixedClock
) -> None:
    with database.unit_of_work() as session:
        make_org(session, clock, OrgKind.PROVIDER, code="water-co")
    bureau = make_account(database, clock, Role.BUREAU)
    console_login(client, bureau)
    chinese = client.get("/console/pick/organizations?q=water-co")
    assert "数据提供部门 · water-co" in chinese.text
    client.cookies.set("sluice_locale", "en")
    english = client.get("/console/pick/organizations?q=water-co")
    assert "Data provider · water-co" in english.text and "找到" not in english.text
    assert client.get("/console/pick/no-such-kind?q=x").status_code == 404
    client.cookies.clear()
    console_login(client, make_account(database, clock, Role.PROVIDER))
    # A provider may not read organizations: the picker does not exist for it.
    assert client.get("/console/pick/organizations?q=water-co").status_code == 404
