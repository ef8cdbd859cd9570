"""A provider (the demo's 市公安局) sees in a browser how its data is used (R9.3): from its
workbench to the usage page, the chart drawn by ECharts and the tables, whose numbers are
the audit log's (counted here straight from its tables); no console error."""

from __future__ import annotations

import json
import socket
import threading
import time
import uuid
from collections.abc import Iterator
from datetime import datetime, timedelta
from typing import Any

import pytest
import uvicorn
from sqlalchemy import text

from sluice.core.clock import SystemClock, display_zone
from sluice.core.database import Database
from sluice.web.app import create_app
from tests.demo_city import DemoCity

pytestmark = pytest.mark.browser
PROVIDER = "provider"  # 刘强（市公安局）
STATISTICS = "population-by-district-age"  # reads gaj_residents


@pytest.fixture(scope="module")
def server(demo_sqlite: DemoCity) -> Iterator[str]:
    # Only reads, so it shares the suite's demo city.
    database = Database(demo_sqlite.url)
    app = create_app(demo_sqlite.settings, database=database, clock=SystemClock())
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
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
    database.dispose()


def _logged(demo: DemoCity, since: datetime) -> tuple[int, int, set[str]]:
    """Entries naming 市公安局's resources since ``since``, those of the statistics
    product's calls, counted from the log's own tables, and 市公安局's resource codes."""
    database = Database(demo.url)
    try:
        with database.engine.connect() as connection:
            uses = connection.execute(
                text(
                    "SELECT count(DISTINCT e.id) FROM audit_events e "
                    "JOIN audit_event_resources r ON r.event_id = e.id "
                    "JOIN catalog_resources c ON c.id = r.resource_id "
                    "JOIN organizations o ON o.id = c.provider_id "
                    "WHERE o.code = 'gaj' AND e.occurred_at >= :since"
                ),
                {"since": since.replace(tzinfo=None)},
            ).scalar_one()
            product_id = connection.execute(
                text("SELECT id FROM products WHERE code = :code"), {"code": STATISTICS}
            ).scalar_one()
            calls = sum(
                1
                for (detail,) in connection.execute(
                    text(
                        "SELECT detail FROM audit_events WHERE action = 'guard.decision' "
                        "AND occurred_at >= :since"
                    ),
                    {"since": since.replace(tzinfo=None)},
                )
                if json.loads(detail).get("product_id") == str(uuid.UUID(str(product_id)))
            )
            codes = set(
                connection.execute(
                    text(
                        "SELECT c.code FROM catalog_resources c JOIN organizations o "
                        "ON o.id = c.provider_id WHERE o.code = 'gaj'"
                    )
                ).scalars()
            )
    finally:
        database.dispose()
    return int(uses), calls, codes


def test_a_provider_sees_the_uses_of_its_data(
    demo_sqlite: DemoCity, server: str, page: Any
) -> None:
    errors: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.goto(f"{server}/login")
    page.fill("input[name=username]", PROVIDER)
    page.fill("input[name=password]", demo_sqlite.passwords[PROVIDER])
    page.click("main form button[type=submit]")
    page.wait_for_url(f"{server}/console")

    page.click("a[href='/console/usage']")
    page.wait_for_url(f"{server}/console/usage")
    today = datetime.now(display_zone()).date()
    since = datetime.combine(today - timedelta(days=29), datetime.min.time(), display_zone())
    uses, calls, own = _logged(demo_sqlite, since)
    assert uses > 0 and calls > 0, "the demo's history calls the population statistics"
    assert page.inner_text("[data-testid=usage-uses]") == str(uses)

    chart = page.locator("[data-testid=usage-chart]")
    chart.locator("canvas").wait_for()
    option = json.loads(chart.get_attribute("data-chart"))
    assert sum(sum(s["data"]) for s in option["series"]) == uses
    assert "产品调用" in [s["name"] for s in option["series"]]

    row = page.locator(f"[data-testid=usage-products-table] tr[data-product='{STATISTICS}']")
    assert row.locator("td").nth(3).inner_text() == str(calls)
    assert page.locator("[data-testid=usage-recent] tbody tr").count() == min(uses, 50)
    # Only 市公安局's own resources are listed.
    codes = page.eval_on_selector_all(
        "[data-testid=usage-resources] tr[data-resource]",
        "rows => rows.map(r => r.dataset.resource)",
    )
    assert codes and set(codes) == own
    assert errors == []
