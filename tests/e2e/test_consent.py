"""A data subject in a browser (R8.7, R8.11): logs in, grants a buyer consent for a product
and purpose, sees it in force, revokes it, and reads who used its data."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
import uvicorn

from sluice.consent import offers, service
from sluice.core.database import Database
from sluice.identity import repository as identity_repository
from sluice.web.app import create_app
from tests.consent.world import INCOME, LOAN, NOW, PRODUCTS, World, build

pytestmark = pytest.mark.browser


@pytest.fixture
def world(tmp_path: Path, live_database: Database, monkeypatch: pytest.MonkeyPatch) -> World:
    monkeypatch.setattr(offers, "products_service", PRODUCTS)
    built = build(live_database, tmp_path / "var")
    with built.database.unit_of_work() as session:
        for minutes, outcome in enumerate(("answered", "consent_required")):
            service.record_use(
                session,
                subject_token=built.zhang.token,
                buyer_id=built.buyer.organization_id,  # type: ignore[arg-type]
                product_id=INCOME.id,
                consent_id=None,
                purpose=LOAN,
                at=NOW - timedelta(days=2, minutes=minutes),
                kind="call",
                outcome=outcome,
            )
    return built


@pytest.fixture
def server(world: World) -> Iterator[str]:
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


def test_a_subject_grants_sees_and_revokes_consent_and_sees_the_uses_of_its_data(
    world: World, server: str, page: Any
) -> None:
    with world.database.unit_of_work() as session:
        assert world.buyer.organization_id is not None
        buyer = identity_repository.organization(session, world.buyer.organization_id)
        assert buyer is not None
        buyer_name = buyer.name
    errors: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.on("dialog", lambda dialog: dialog.accept())

    page.goto(f"{server}/login?next=/console/consents")
    page.fill("input[name=username]", world.zhang.username)
    page.fill("input[name=password]", world.zhang.account().password)
    page.click("button[type=submit]:has-text('登录')")
    page.wait_for_url("**/console/consents")
    assert "210802********3414" in page.inner_text("[data-testid=subject-identity]")

    page.select_option("[data-testid=grant-buyer]", label=buyer_name)
    page.select_option("[data-testid=grant-product]", label=INCOME.name)
    page.select_option("[data-testid=grant-purpose]", label=LOAN)
    page.fill("[data-testid=grant-until]", "2027-05-25")
    page.click("[data-testid=grant-submit]")
    page.wait_for_selector("[data-testid=notice]")
    assert "已授予同意" in page.inner_text("[data-testid=notice]")
    row = page.locator("[data-testid=consents] tbody tr").first
    assert buyer_name in row.inner_text() and "有效" in row.inner_text()
    assert "2026-11-26\n– 2027-05-25" in row.inner_text()

    row.locator("[data-testid=revoke]").click()
    page.wait_for_selector("text=已撤回同意")
    row = page.locator("[data-testid=consents] tbody tr").first
    assert "已撤回" in row.locator("[data-testid=standing]").inner_text()
    assert row.locator("[data-testid=revoke]").count() == 0

    page.click("[data-testid=console-nav] >> text=谁用了我的数据")
    page.wait_for_url("**/console/consents/uses")
    rows = page.locator("[data-testid=uses] tbody tr")
    assert rows.count() == 2
    first, second = rows.nth(0).inner_text(), rows.nth(1).inner_text()
    assert buyer_name in first and INCOME.name in first and LOAN in first and "已应答" in first
    assert "被拒绝" in second and "consent_required" in second
    assert errors == []
