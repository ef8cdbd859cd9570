"""The bureau works through the resources list in a browser: the search box narrows the list
as it is typed (htmx swaps the list, the address keeps the query), and the pager reaches
page 2."""

from __future__ import annotations

from typing import Any

import pytest

from sluice.catalog import service
from sluice.core.clock import FixedClock
from sluice.core.database import Database
from sluice.core.permissions import Role
from tests.catalog.factories import provider_principal, resource_data
from tests.identity.factories import Account, make_account

pytestmark = pytest.mark.browser


def _login(page: Any, live_server: str, account: Account) -> None:
    page.goto(f"{live_server}/login")
    page.fill("input[name=username]", account.username)
    page.fill("input[name=password]", account.password)
    page.click("button[type=submit]:has-text('登录')")
    page.wait_for_url(f"{live_server}/console")


def _codes(page: Any) -> list[str]:
    return [
        str(c)
        for c in page.eval_on_selector_all(
            "#list tr[data-code]", "rows => rows.map(r => r.dataset.code)"
        )
    ]


def test_the_search_box_narrows_the_list_in_place_and_the_pager_reaches_page_two(
    page: Any, live_server: str, live_database: Database, live_clock: FixedClock
) -> None:
    from playwright.sync_api import expect  # with the browser: only where it is installed

    provider = make_account(live_database, live_clock, Role.PROVIDER)
    assert provider.organization_id is not None
    with live_database.unit_of_work() as session:
        actor = provider_principal(provider.organization_id)
        for i in range(60):
            data = resource_data(f"r{i:03d}", f"资源{i:03d}")
            service.register_resource(session, actor=actor, clock=live_clock, data=data)
    _login(page, live_server, make_account(live_database, live_clock, Role.BUREAU))
    page.goto(f"{live_server}/console/resources?sort=code")
    assert _codes(page) == [f"r{i:03d}" for i in range(50)]
    # A mark on the window survives an htmx swap, not a page load.
    page.evaluate("window.__stayed = true")
    page.fill("[data-testid=list-search]", "r05")
    # The address keeps the query (the toolbar also sends its empty filters along).
    page.wait_for_url(lambda url: "/console/resources?q=r05&" in url and "sort=code" in url)
    expect(page.locator("#list tr[data-code]")).to_have_count(10)
    assert _codes(page) == [f"r{i:03d}" for i in range(50, 60)]
    assert page.evaluate("window.__stayed === true")
    assert page.inner_text("[data-testid=list-range]") == "第 1–10 条，共 10 条"
    # Back to the whole list, and on to page 2 by the pager.
    page.fill("[data-testid=list-search]", "")
    expect(page.locator("#list tr[data-code]")).to_have_count(50)
    page.click("[data-testid=next-page]")
    page.wait_for_url("**/console/resources?sort=code&page=2")
    assert _codes(page) == [f"r{i:03d}" for i in range(50, 60)]
    assert page.inner_text("[data-testid=list-range]") == "第 51–60 条，共 60 条"
