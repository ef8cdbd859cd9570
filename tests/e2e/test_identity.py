"""Issue 10 item 7 in a real browser: reloading the page after creating an API key neither
makes a second key nor shows the first again; the bureau makes a user whose organization it
picks by typing its code, and the users list fits a 1366 px window."""

from __future__ import annotations

from typing import Any

import pytest

from sluice.core.clock import FixedClock
from sluice.core.database import Database
from sluice.core.permissions import OrgKind, Role
from sluice.core.principal import Principal
from sluice.identity import service
from sluice.identity.schemas import OrganizationCreate
from tests.identity.factories import Account, make_account

pytestmark = pytest.mark.browser

OVERFLOW = "document.documentElement.scrollWidth > window.innerWidth"


def _login(page: Any, live_server: str, account: Account) -> None:
    page.goto(f"{live_server}/login")
    page.fill("input[name=username]", account.username)
    page.fill("input[name=password]", account.password)
    page.click("button[type=submit]:has-text('登录')")
    page.wait_for_url(f"{live_server}/console")


def test_a_reload_after_creating_a_key_makes_no_second_key_and_hides_the_first(
    page: Any, live_server: str, live_database: Database, live_clock: FixedClock
) -> None:
    _login(page, live_server, make_account(live_database, live_clock, Role.BUYER))
    page.goto(f"{live_server}/console/api-keys")
    page.fill("input[name=name]", "征信核验")
    page.click("button:has-text('创建密钥')")
    page.wait_for_selector("[data-testid=new-key]")
    assert page.url == f"{live_server}/console/api-keys"  # the key is not in the address
    key = page.inner_text("[data-testid=new-key] code")
    assert key.startswith("slk_")
    page.reload()  # the browser asks nothing about resubmitting: it re-reads a GET
    assert page.locator("[data-testid=new-key]").count() == 0
    assert key not in page.content()
    assert page.locator("table[data-testid=api-keys] tr[data-prefix]").count() == 1


def test_the_bureau_picks_the_new_users_organization_by_its_code(
    page: Any, live_server: str, live_database: Database, live_clock: FixedClock
) -> None:
    from playwright.sync_api import expect  # with the browser: only where it is installed

    with live_database.unit_of_work() as session:
        for n in range(40):
            service.create_organization(
                session,
                actor=Principal.system("test"),
                clock=live_clock,
                data=OrganizationCreate(
                    code=f"op-{n:02d}", kind=OrgKind.OPERATOR, name=f"营口数据运营有限公司{n:02d}"
                ),
            )
    page.set_viewport_size({"width": 1366, "height": 900})
    _login(page, live_server, make_account(live_database, live_clock, Role.BUREAU))
    page.goto(f"{live_server}/console/users")
    assert not page.evaluate(OVERFLOW)
    page.click("[data-testid=new-user] summary")
    page.fill("input[name=username]", "liumin")
    page.fill("input[name=display_name]", "刘敏")
    page.fill("input[name=password]", "Liaohe-estuary-tide-2026")
    page.fill("[data-testid=pick-search-organization_id]", "op-27")
    choice = page.locator(".pick-results button.pick")
    expect(choice).to_have_count(1)
    assert "营口数据运营有限公司27 · 运营机构 · op-27" in choice.inner_text()
    choice.click()
    page.check("input[name=roles][value=operator]")
    page.click("[data-testid=new-user] button[type=submit]")
    page.wait_for_url(f"{live_server}/console/users?q=liumin")
    expect(page.locator("[data-testid=notice]")).to_have_text("已创建用户“liumin”。")
    row = page.locator("tr[data-username=liumin]")
    assert "营口数据运营有限公司27" in row.inner_text() and "运营机构" in row.inner_text()
    assert not page.evaluate(OVERFLOW)
