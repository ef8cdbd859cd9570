"""A real server on a free loopback port, and Debian's chromium driven by Playwright."""

from __future__ import annotations

import contextlib
import os
import shutil
import socket
import tempfile
import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Final

import pytest
import uvicorn

from sluice.core.clock import FixedClock
from sluice.core.database import Database
from sluice.core.settings import Settings
from sluice.web.app import create_app
from tests.infrastructure import skip_or_fail

CHROMIUM = "/usr/bin/chromium"
#: The guide's screenshots (docs/guide.md), retaken only when asked for
#: (``make screenshots``); a plain test run writes its own under the system's temp
#: directory and leaves the tracked ones alone.
GUIDE_SCREENSHOTS: Final = Path(__file__).resolve().parents[2] / "docs" / "screenshots"


def screenshots() -> Path:
    """Where a browser test saves the screenshots the guide shows."""
    if os.environ.get("SLUICE_UPDATE_SCREENSHOTS") == "1":
        target = GUIDE_SCREENSHOTS
    else:
        target = Path(tempfile.gettempdir()) / "sluice-screenshots"
    target.mkdir(parents=True, exist_ok=True)
    return target


@pytest.fixture
def live_database(tmp_path: Path, sqlite_template: Path) -> Iterator[Database]:
    path = tmp_path / "live.db"
    shutil.copy(sqlite_template, path)
    database = Database(f"sqlite:///{path}")
    yield database
    database.dispose()


@pytest.fixture
def live_clock() -> FixedClock:
    return FixedClock(datetime.now(UTC))


@contextlib.contextmanager
def serving(home: Path, database: Database, clock: FixedClock) -> Iterator[str]:
    """The application on this database, served on a free loopback port: its base address."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    settings = Settings(home=home, database_url=database.url)
    app = create_app(settings, database=database, clock=clock)
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 15
    while not server.started:
        if time.monotonic() > deadline:
            raise RuntimeError("the test server did not start")
        time.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)


@pytest.fixture
def live_server(tmp_path: Path, live_database: Database, live_clock: FixedClock) -> Iterator[str]:
    with serving(tmp_path / "var", live_database, live_clock) as base:
        yield base


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    if not Path(CHROMIUM).exists():
        skip_or_fail(f"browser tests need Debian's chromium at {CHROMIUM} (apt install chromium)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        instance = playwright.chromium.launch(
            executable_path=CHROMIUM,
            headless=True,
            args=["--no-sandbox", "--disable-background-networking", "--disable-gpu"],
        )
        yield instance
        instance.close()


@pytest.fixture
def page(browser: Any) -> Iterator[Any]:
    context = browser.new_context(locale="zh-CN")
    yield context.new_page()
    context.close()
