"""A burst of requests larger than the thread pool is served, not locked up (web.admission).

Before admission, 80 requests at once against a pool of 2 (+10) connections locked the
process: connections were held by requests waiting for the event loop or a worker thread,
while the loop itself (looking up a bearer token) or every worker thread waited for a
connection. After the pool's 30 s timeout, requests failed with 500.
"""

from __future__ import annotations

import asyncio
import threading
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import event

from sluice.core.clock import FixedClock
from sluice.core.database import Database
from sluice.core.permissions import Role
from sluice.core.settings import Settings
from sluice.web.admission import Admission
from sluice.web.app import create_app
from tests.identity.factories import bearer, make_account

BURST = 80
POOL = 2
#: Seconds after which the burst counts as locked (the pool's own timeout is 30).
LOCKED_AFTER = 25


async def _get(app: Any, path: str, headers: dict[str, str]) -> int:
    """One GET straight through the ASGI application; its status."""
    status = 0

    async def receive() -> dict[str, Any]:
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message: dict[str, Any]) -> None:
        nonlocal status
        if message["type"] == "http.response.start":
            status = message["status"]

    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "GET",
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "root_path": "",
        "query_string": b"",
        "headers": [(b"host", b"127.0.0.1")]
        + [(name.lower().encode(), value.encode()) for name, value in headers.items()],
        "client": ("127.0.0.1", 50000),
        "server": ("127.0.0.1", 80),
        "app": app,
        "state": {},
    }
    await app(scope, receive, send)
    return status


async def _burst(app: Any, path: str, headers: dict[str, str]) -> list[int]:
    return list(await asyncio.gather(*(_get(app, path, headers) for _ in range(BURST))))


def test_a_burst_beyond_the_thread_pool_is_served_within_the_pool(
    settings: Settings, database: Database, clock: FixedClock
) -> None:
    small = Database(database.url, pool_size=POOL)
    app = create_app(settings, database=small, clock=clock)
    with TestClient(app, base_url="http://127.0.0.1") as client:
        token = bearer(client, make_account(small, clock, Role.BUREAU))
    held = peak = 0

    def checkout(*_: object) -> None:
        nonlocal held, peak
        held += 1
        peak = max(peak, held)

    def checkin(*_: object) -> None:
        nonlocal held
        held -= 1

    event.listen(small.engine, "checkout", checkout)
    event.listen(small.engine, "checkin", checkin)
    # A bearer token is looked up on the event loop, before any worker thread. The burst
    # runs in a thread of its own: the browser tests' Playwright keeps an event loop
    # running in the main thread for the whole session.
    statuses: list[int] = []

    def run() -> None:
        statuses.extend(asyncio.run(_burst(app, "/api/v1/me", token)))

    # A daemon: a locked burst is left behind, so the test fails rather than hangs.
    burst = threading.Thread(target=run, daemon=True)
    burst.start()
    burst.join(timeout=LOCKED_AFTER)
    assert not burst.is_alive(), f"{BURST} requests still unanswered after {LOCKED_AFTER} s"
    small.dispose()
    assert statuses == [200] * BURST
    # Every request had its connection from the kept ones: none waited on the pool.
    assert peak <= POOL


def test_admission_lets_in_no_more_than_its_capacity_at_once() -> None:
    admission = Admission(3)
    inside = peak = 0

    async def request() -> None:
        nonlocal inside, peak
        async with admission.turn():
            inside += 1
            peak = max(peak, inside)
            await asyncio.sleep(0)
            inside -= 1

    async def burst() -> None:
        await asyncio.gather(*(request() for _ in range(50)))

    with ThreadPoolExecutor(max_workers=1) as pool:
        pool.submit(asyncio.run, burst()).result()
        pool.submit(asyncio.run, burst()).result()  # a second loop gets its own turns
    assert peak == 3


def test_a_pool_size_below_one_is_refused() -> None:
    with pytest.raises(ValueError, match="at least 1"):
        Admission(0)
    with pytest.raises(ValueError):
        Settings(database_pool_size=0)
