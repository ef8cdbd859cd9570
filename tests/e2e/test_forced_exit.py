"""In a browser: the bureau forces an operator out for a violation, a second person of the
bureau approves, the agreement ends and the new consultation for its scenario appears (R5.5)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from sluice.core.clock import FixedClock
from sluice.core.database import Database
from sluice.core.settings import Settings
from tests.authorizations.factories import active_authorization, make_world
from tests.identity.factories import Account

pytestmark = pytest.mark.browser

FACTS = "违规将授权数据传出平台，用于合同约定以外的营销用途"


def _log_in(page: Any, base: str, account: Account, target: str) -> None:
    page.context.clear_cookies()
    page.goto(f"{base}/login?next={target}")
    page.fill("input[name=username]", account.username)
    page.fill("input[name=password]", account.password)
    page.click("button[type=submit]:has-text('登录')")
    page.wait_for_url(f"{base}{target}")


def test_a_forced_exit_on_two_approvals_opens_a_new_consultation(
    page: Any,
    live_server: str,
    live_database: Database,
    live_clock: FixedClock,
    tmp_path: Path,
) -> None:
    settings = Settings(home=tmp_path / "var", database_url=live_database.url)
    world = make_world(live_database, live_clock, settings)
    agreement = active_authorization(live_database, live_clock, settings, world)
    target = f"/console/authorizations/{agreement}"

    _log_in(page, live_server, world.bureau, target)
    form = page.locator("[data-testid=force-exit-form]")
    form.locator("select[name=grounds]").select_option("violation")
    form.locator("textarea[name=description]").fill(FACTS)
    form.locator("button[data-action=force_exit]").click()
    page.wait_for_url(f"{live_server}{target}?done=force_requested")
    assert "须由另一名数据局工作人员" in page.locator("[data-testid=notice]").inner_text()
    assert page.locator("[data-testid=authorization-status]").inner_text() == "生效中"
    page.goto(f"{live_server}/console/approvals")
    card = page.locator("[data-act='authorization.force_exit']")
    assert "因重大违约或违法违规直接强制退出" in card.inner_text()
    assert card.locator("[data-testid=own-request]").count() == 1  # not hers to approve

    _log_in(page, live_server, world.colleague, "/console/approvals")
    card = page.locator("[data-act='authorization.force_exit']")
    assert FACTS in card.inner_text()
    card.locator("button[data-action=approve]").click()
    page.wait_for_load_state()

    page.goto(f"{live_server}{target}")
    assert page.locator("[data-testid=authorization-status]").inner_text() == "已终止"
    assert page.locator("[data-testid=end-kind]").inner_text() == "强制退出"
    new_round = page.locator("[data-testid=following-round]")
    assert "普惠金融场景运营机构重新遴选（竞争性磋商）" in new_round.inner_text()
    assert "筹备中" in new_round.inner_text()
    new_round.locator("a").click()
    page.wait_for_selector("[data-testid=round-status]")
    assert page.locator("[data-testid=round-status]").inner_text() == "筹备中"
    number = page.locator("[data-testid=follows-agreement]").inner_text()
    assert number.endswith("的运营机构被强制退出，本次磋商为该场景重新遴选运营机构")
    page.locator("[data-testid=follows-agreement] a").click()
    page.wait_for_url(f"{live_server}{target}")
