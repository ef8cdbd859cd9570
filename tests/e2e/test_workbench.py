"""Each role logs in with a browser and lands on its workbench, at a 1366×900 screen.

The page must fit the window (no sideways scrolling), log no browser console error, draw its
charts, and show the role's own to-dos. Screenshots of each role's workbench are taken as
workbench-<role>.png, into docs/screenshots for the walkthrough in docs/guide.md when
``make screenshots`` runs (``conftest.screenshots``).
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Final

import pytest

from sluice.core.clock import FixedClock
from sluice.core.database import Database
from sluice.core.settings import Settings
from tests.e2e.conftest import screenshots, serving
from tests.identity.factories import Account
from tests.web.factories import City, build

pytestmark = pytest.mark.browser

WIDTH: Final = 1366
HEIGHT: Final = 900

#: Role (the screenshot's name) -> the person of the city who logs in, and a line only that
#: role's workbench shows.
ROLES: Final = {
    "bureau": ("bureau", "逾期未答复：1 件纠错工单"),
    "bureau2": ("colleague", "待您审批：1 项不可逆操作"),
    "registry": ("registry", "没有待办理的登记申请"),
    "finance": ("finance", "数据收益的核算、上缴和报告尚未上线"),
    "provider": ("provider_a", "待答复：1 件纠错工单"),
    "operator": ("operator", "待整改：1 份整改通知"),
    "buyer": ("buyer", "用 API 密钥调用本单位订阅的数据产品"),
    "panel": ("panelist", "待评分：1 轮磋商等待您的评分"),
    "subject": ("subject", "在“我的同意”中授予或随时撤回"),
}


@dataclass(frozen=True)
class Served:
    base: str
    city: City


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory, sqlite_template: Path) -> Iterator[Served]:
    """One city and one server for the module: each role only logs in and reads its own
    workbench, and what one role's login writes (its session) is on no other's."""
    root = tmp_path_factory.mktemp("workbench")
    path = root / "live.db"
    shutil.copy(sqlite_template, path)
    database = Database(f"sqlite:///{path}")
    clock = FixedClock(datetime.now(UTC))
    settings = Settings(home=root / "var", database_url=database.url)
    city = build(database, clock, settings)
    with serving(root / "var", database, clock) as base:
        yield Served(base, city)
    database.dispose()


def _log_in(page: Any, base: str, account: Account) -> None:
    page.goto(f"{base}/login")
    page.fill("input[name=username]", account.username)
    page.fill("input[name=password]", account.password)
    page.click("button[type=submit]:has-text('登录')")
    page.wait_for_url(f"{base}/console")


@pytest.mark.parametrize("role", list(ROLES))
def test_each_role_lands_on_a_workbench_that_fits_and_draws(
    browser: Any, served: Served, role: str
) -> None:
    live_server, city = served.base, served.city
    person, expected = ROLES[role]
    context = browser.new_context(locale="zh-CN", viewport={"width": WIDTH, "height": HEIGHT})
    page = context.new_page()
    errors: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: errors.append(str(e)))
    try:
        # Landing waits for the page's load event: its scripts (deferred) have run and it
        # fetches nothing after, so the charts are drawn or drawing (waited for below).
        _log_in(page, live_server, getattr(city, person))
        charts = page.locator("[data-chart]").count()
        if charts:
            page.wait_for_function(
                "() => [...document.querySelectorAll('[data-chart]')]"
                ".every(el => el.querySelector('canvas'))"
            )
        text = page.inner_text("main")
        width = page.evaluate("document.documentElement.scrollWidth")
        panels = page.locator("section.panel").count()
        empty = page.evaluate(
            "() => [...document.querySelectorAll('section.panel')]"
            ".filter(p => !p.querySelector('[data-testid=todos], [data-testid=panel-note]'))"
            ".map(p => p.dataset.testid)"
        )
        page.screenshot(path=str(screenshots() / f"workbench-{role}.png"), full_page=True)
    finally:
        context.close()
    assert expected in text
    assert width <= WIDTH, f"{width} px wide in a {WIDTH} px window"
    assert errors == []
    assert panels >= 1 and empty == []
    if role == "bureau":
        assert charts == 2  # overdue tickets per provider, agreements by state
        assert "督办" in text
