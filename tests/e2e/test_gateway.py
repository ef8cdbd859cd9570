"""A buyer subscribes to a listed product from its console in a browser, calls it with its
API key, and reads the call in its call log (issue 12): no inline script, no console error."""

from __future__ import annotations

import json
import socket
import threading
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import uvicorn

from sluice.core.database import Database
from sluice.web.app import create_app
from tests.gateway.world import PLANNING, GatewayWorld, build, exports_registered
from tests.sandbox.world import build as build_city

pytestmark = pytest.mark.browser


@pytest.fixture
def world(tmp_path: Path, live_database: Database) -> GatewayWorld:
    with exports_registered():
        return build(build_city(live_database, tmp_path / "var"))


@pytest.fixture
def server(world: GatewayWorld) -> Iterator[str]:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    app = create_app(world.settings, database=world.database, clock=world.clock())
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


def test_a_buyer_subscribes_and_reads_its_call_log(
    world: GatewayWorld, server: str, page: Any
) -> None:
    buyer = world.buyer()
    code = world.stats.code
    errors: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: errors.append(str(e)))

    page.goto(f"{server}/login?next=/console/subscriptions")
    page.fill("input[name=username]", buyer.account.username)
    page.fill("input[name=password]", buyer.account.password)
    page.click("button[type=submit]:has-text('登录')")
    page.wait_for_url("**/console/subscriptions")
    page.fill(f"[data-testid=subscribe-{code}] input[name=quota_limit]", "100")
    page.click(f"[data-testid=subscribe-{code}] button[type=submit]")
    page.wait_for_url("**/console/subscriptions?done=subscribed")
    row = page.wait_for_selector(f"tr[data-product='{code}'][data-status=active]")
    assert "每天 100 次：已用 0，剩余 100" in row.inner_text()

    request = urllib.request.Request(  # noqa: S310 (the test's own loopback server)
        f"{server}/gateway/v1/products/{code}/invoke",
        data=json.dumps({"input": {}, "purpose": PLANNING}).encode(),
        method="POST",
        headers={"X-API-Key": buyer.key, "Content-Type": "application/json"},
    )
    with urllib.request.urlopen(request, timeout=10) as answer:  # noqa: S310
        request_id = json.loads(answer.read())["request_id"]

    page.click("a[href='/console/gateway/calls']")
    page.wait_for_url("**/console/gateway/calls")
    call = page.wait_for_selector(f"tr[data-request='{request_id}']")
    text = call.inner_text()
    assert code in text and "已应答" in text and PLANNING in text and "¥0.00" in text
    page.goto(f"{server}/console/subscriptions")
    row = page.wait_for_selector(f"tr[data-product='{code}'][data-status=active]")
    assert "已用 1，剩余 99" in row.inner_text()
    assert "<script>" not in page.content()
    assert errors == []
