"""An operator runs a query in its sandbox workspace in a browser, then sees a refusal
explained (R8.2): the CodeMirror editor, htmx for the answer, no inline script."""

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
from sluice.sandbox import workspaces
from sluice.web.app import create_app
from tests.sandbox.world import SandboxWorld, build

pytestmark = pytest.mark.browser

SHOTS = Path("/tmp/shots")  # noqa: S108 - where the lead looks at screenshots


@pytest.fixture
def city(tmp_path: Path, live_database: Database) -> SandboxWorld:
    return build(live_database, tmp_path / "var")


@pytest.fixture
def server(city: SandboxWorld) -> Iterator[str]:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    app = create_app(city.settings, database=city.database, clock=city.clock())
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


def _run(page: Any, sql: str) -> None:
    page.evaluate("(sql) => document.querySelector('.CodeMirror').CodeMirror.setValue(sql)", sql)
    page.click("[data-testid=run]")


def test_an_operator_runs_a_query_and_sees_a_refusal_explained(
    city: SandboxWorld, server: str, page: Any
) -> None:
    with city.database.unit_of_work() as session:
        rows = workspaces.workspace_rows(session, actor=city.operator(), at=city.clock().now())
        workspace = next(r.workspace.id for r in rows if r.workspace.scenario == "普惠金融")
    errors: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: errors.append(str(e)))

    page.goto(f"{server}/login?next=/console/workspaces/{workspace}")
    page.fill("input[name=username]", city.world.operator.username)
    page.fill("input[name=password]", city.world.operator.password)
    page.click("button[type=submit]:has-text('登录')")
    page.wait_for_url(f"**/console/workspaces/{workspace}")
    page.wait_for_selector(".CodeMirror")  # the editor took over the textarea

    _run(
        page,
        "SELECT district, count(*) AS firms\nFROM scjgj_enterprises\n"
        "GROUP BY district\nORDER BY firms DESC",
    )
    result = page.wait_for_selector("[data-testid=result] table.result")
    cells = result.eval_on_selector_all("tbody td", "cells => cells.map(c => c.textContent)")
    assert cells == ["站前区", "5", "西市区", "4", "老边区", "3"]
    # The history was read again after the run.
    page.wait_for_selector("#history tr[data-outcome=ok]")
    SHOTS.mkdir(exist_ok=True)
    page.screenshot(path=str(SHOTS / "sandbox-result.png"), full_page=True)

    _run(page, "SELECT uscc_token, district FROM scjgj_enterprises")
    refusal = page.wait_for_selector("[data-testid=refusal]")
    assert refusal.get_attribute("data-code") == "column_not_allowed"
    assert (
        page.text_content("[data-testid=refusal-detail]")
        == "列 scjgj_enterprises.uscc_token 不能出现在逐行结果中：请只在聚合中使用它。"
    )
    page.wait_for_selector("#history tr[data-outcome=column_not_allowed]")
    page.screenshot(path=str(SHOTS / "sandbox-refusal.png"), full_page=True)
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= page.viewport_size["width"], width
    assert errors == []
