"""An operator asks in a browser to export a query's result; the bureau reviews it on the
export list and approves it; the operator sees it approved and downloads the file the
manifest names (R8.6). No inline script, no console error, nothing wider than the screen."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import uvicorn

from sluice.core.database import Database
from sluice.core.ids import sm3_hex
from sluice.sandbox import workspaces
from sluice.web.app import create_app
from tests.sandbox.world import SandboxWorld, build

pytestmark = pytest.mark.browser

SHOTS = Path("/tmp/shots")  # noqa: S108 - where the lead looks at screenshots
K = 4


@pytest.fixture
def city(tmp_path: Path, live_database: Database) -> SandboxWorld:
    return build(live_database, tmp_path / "var")


@pytest.fixture
def server(city: SandboxWorld) -> Iterator[str]:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    settings = city.settings.model_copy(update={"sandbox_export_min_subjects": K})
    app = create_app(settings, database=city.database, clock=city.clock())
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 15
    while not server.started:
        if time.monotonic() > deadline:
            raise RuntimeError("the test server did not start")
        time.sleep(0.05)
    yield f"http://127.0.0.1:{port}"
    server.should_exit = True
    thread.join(timeout=10)


def _watch(page: Any) -> list[str]:
    errors: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: errors.append(str(e)))
    return errors


def _login(page: Any, server: str, account: Any, target: str) -> None:
    page.goto(f"{server}/login?next={target}")
    page.fill("input[name=username]", account.username)
    page.fill("input[name=password]", account.password)
    page.click("button[type=submit]:has-text('登录')")
    page.wait_for_url(f"**{target}")


def _fits(page: Any) -> None:
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= page.viewport_size["width"], width


def test_an_operator_requests_an_export_and_the_bureau_approves_it(
    city: SandboxWorld, server: str, page: Any, browser: Any
) -> None:
    with city.database.unit_of_work() as session:
        rows = workspaces.workspace_rows(session, actor=city.operator(), at=city.clock().now())
        workspace = next(r.workspace.id for r in rows if r.workspace.scenario == "普惠金融")
    SHOTS.mkdir(exist_ok=True)
    errors = _watch(page)
    _login(page, server, city.world.operator, f"/console/workspaces/{workspace}")
    page.wait_for_selector(".CodeMirror")
    page.evaluate(
        "(sql) => document.querySelector('.CodeMirror').CodeMirror.setValue(sql)",
        "SELECT district, count(*) AS firms\nFROM scjgj_enterprises\n"
        "GROUP BY district\nORDER BY firms DESC",
    )
    page.click("[data-testid=run]")
    page.wait_for_selector("[data-testid=result] table.result")
    page.click("#history tr[data-outcome=ok] [data-testid=request-export]")
    page.wait_for_selector("[data-testid=export-form]")
    page.fill("[data-testid=export-purpose-input]", "普惠金融产品的区县企业分布")
    page.click("[data-testid=export-submit]")
    page.wait_for_selector("[data-testid=export-status][data-status=pending]")
    assert page.text_content("[data-testid=notice]") == "出域申请已提交，等待数据局审核。"
    assert page.text_content("[data-testid=export-suppressed]") == (
        "共 3 个分组，1 个分组不足 4 个主体，已抑制"
    )
    export_url = page.url.split("?")[0]
    export_id = export_url.rsplit("/", 1)[1]
    _fits(page)
    page.screenshot(path=str(SHOTS / "export-requested.png"), full_page=True)

    reviewer = browser.new_context(locale="zh-CN")
    bureau = reviewer.new_page()
    bureau_errors = _watch(bureau)
    _login(bureau, server, city.world.bureau, "/console")
    bureau.click("a:has-text('待审核：1 项结果出域申请')")
    card = bureau.wait_for_selector(f"section[data-export='{export_id}']")
    cells = card.eval_on_selector_all(
        "[data-testid=candidate] tbody td", "cells => cells.map(c => c.textContent)"
    )
    assert cells == ["站前区", "5", "西市区", "4"]  # 老边区 (3 firms) is not there
    assert "count(*)" in card.text_content().lower()  # the SQL is on the card
    _fits(bureau)
    bureau.screenshot(path=str(SHOTS / "export-review.png"), full_page=True)
    card.query_selector("[data-action=approve]").click()
    bureau.wait_for_selector("[data-testid=export-status][data-status=approved]")
    assert bureau.text_content("[data-testid=notice]") == "已批准，出域清单已签署。"
    reviewer.close()

    page.goto(export_url)
    page.wait_for_selector("[data-testid=export-status][data-status=approved]")
    assert page.text_content("[data-testid=export-status]") == "已批准"
    href = page.get_attribute("[data-testid=download-file]", "href")
    downloaded = page.request.get(f"{server}{href}")
    assert downloaded.status == 200
    assert downloaded.text() == "district,firms\r\n站前区,5\r\n西市区,4\r\n"
    manifest = page.request.get(
        f"{server}{page.get_attribute('[data-testid=download-manifest]', 'href')}"
    ).json()
    assert manifest["content"]["file"]["sm3"] == sm3_hex(downloaded.body())
    _fits(page)
    page.screenshot(path=str(SHOTS / "export-approved.png"), full_page=True)
    assert errors == [] and bureau_errors == []
