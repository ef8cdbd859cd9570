"""A person logs in with a browser and uses the console."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest

from sluice.core.clock import FixedClock
from sluice.core.database import Database
from sluice.core.permissions import Role
from tests.identity.factories import make_account

pytestmark = pytest.mark.browser


def test_bureau_logs_in_sees_its_console_and_switches_language(
    page: Any, live_server: str, live_database: Database, live_clock: FixedClock, tmp_path: Path
) -> None:
    account = make_account(live_database, live_clock, Role.BUREAU, username="bureau_e2e")
    page.goto(f"{live_server}/console")
    assert re.search(r"/login\?next=/console$", page.url)
    page.fill("input[name=username]", account.username)
    page.fill("input[name=password]", account.password)
    page.click("button[type=submit]:has-text('登录')")
    page.wait_for_url(f"{live_server}/console")
    assert page.inner_text("[data-testid=console-welcome]") == "您好，测试bureau"
    nav = page.inner_text("[data-testid=console-nav]")
    assert "机构管理" in nav and "用户管理" in nav and "审计日志" in nav
    assert "API 密钥" not in nav
    page.click("[data-testid=switch-language]")
    page.wait_for_selector("text=Hello, 测试bureau")
    assert "Organizations" in page.inner_text("[data-testid=console-nav]")
    page.click("text=Audit log")
    rows = page.inner_text("[data-testid=audit-events]")
    assert "Login succeeded" in rows
    page.screenshot(path=str(tmp_path / "console.png"), full_page=True)


def test_wrong_password_shows_the_reason(
    page: Any, live_server: str, live_database: Database, live_clock: FixedClock
) -> None:
    account = make_account(live_database, live_clock, Role.BUYER)
    page.goto(f"{live_server}/login")
    page.fill("input[name=username]", account.username)
    page.fill("input[name=password]", "not-the-password")
    page.click("button[type=submit]:has-text('登录')")
    assert page.inner_text("[data-testid=login-error]") == "用户名或密码错误。"
    assert page.input_value("input[name=username]") == account.username
