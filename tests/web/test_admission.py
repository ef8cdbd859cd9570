"""A burst of requests larger than the thread pool is served, not locked up (web.admission).

Before admission, 80 requests at once against a pool of 2 (+10) connections locked the
process: connections were held by requests waiting for the event loop or a worker thread,
while the loop itself (looking up a bearer token) or every worker thread waited for a
connection. After the pool's 30 s timeout, requests failed with 500.
"""

from __future__ import annotations

import asyncio
import json
import threading
from collections.abc import Iterator
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
from tests.web.asgi import http_scope

BURST = 80
POOL = 2
#: Seconds after which the burst counts as locked (the pool's own timeout is 30).
LOCKED_AFTER = 25


async def _request(
    app: Any,
    path: str,
    headers: dict[str, str],
    *,
    method: str = "GET",
    body: asyncio.Future[bytes] | None = None,
) -> tuple[int, dict[str, str], bytes]:
    """One request straight through the ASGI application: its status, headers and body.
    ``body``, when given, is sent once it is set (a client sending slowly)."""
    status = 0
    answered: dict[str, str] = {}
    content = bytearray()

    async def receive() -> dict[str, Any]:
        sent = await body if body is not None else b""
        return {"type": "http.request", "body": sent, "more_body": False}

    async def send(message: dict[str, Any]) -> None:
        nonlocal status
        if message["type"] == "http.response.start":
            status = message["status"]
            answered.update((k.decode(), v.decode()) for k, v in message["headers"])
        elif message["type"] == "http.response.body":
            content.extend(message.get("body", b""))

    scope = http_scope(app, method, path, headers)
    await app(scope, receive, send)
    return status, answered, bytes(content)


async def _get(app: Any, path: str, headers: dict[str, str]) -> int:
    status, _, _ = await _request(app, path, headers)
    return status


def _in_own_loop(work: Any) -> Any:
    """Run a coroutine in a loop of its own thread: the browser tests' Playwright keeps an
    event loop running in the main thread for the whole session."""
    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(asyncio.run, work).result(timeout=LOCKED_AFTER)


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

    _in_own_loop(burst())
    _in_own_loop(burst())  # a second loop gets its own turns
    assert peak == 3


@pytest.fixture
def one_turn(settings: Settings, database: Database, clock: FixedClock) -> Iterator[Any]:
    """An application serving one request at a time, and a bureau person's bearer token."""
    small = Database(database.url, pool_size=1)
    app = create_app(settings, database=small, clock=clock)
    with TestClient(app, base_url="http://127.0.0.1") as client:
        token = bearer(client, make_account(small, clock, Role.BUREAU))
    yield app, token
    small.dispose()


def test_a_form_sent_slowly_holds_no_turn(one_turn: Any) -> None:
    app, token = one_turn

    async def scene() -> tuple[int, int]:
        body: asyncio.Future[bytes] = asyncio.get_running_loop().create_future()
        form = {"Content-Type": "multipart/form-data; boundary=x", "Cookie": "sluice_csrf=t"}
        slow = asyncio.create_task(_request(app, "/login", form, method="POST", body=body))
        await asyncio.sleep(0.05)  # the login form is waiting for its body
        status = await _get(app, "/api/v1/me", token)
        body.set_result(
            b'--x\r\nContent-Disposition: form-data; name="csrf_token"\r\n\r\nt\r\n--x--\r\n'
        )
        login, _, _ = await slow
        return status, login

    me, login = _in_own_loop(scene())
    assert me == 200  # answered while the form was still on its way
    assert login == 401  # served once its body came: no username or password in it


def test_a_request_that_waits_too_long_for_its_turn_is_told_the_platform_is_busy(
    one_turn: Any,
) -> None:
    app, token = one_turn
    app.state.admission = Admission(1, wait_seconds=0.05)

    async def scene() -> tuple[int, dict[str, str], bytes]:
        async with app.state.admission.turn():  # the one turn is taken, and kept
            return await _request(app, "/api/v1/me", {**token, "Accept-Language": "en"})

    status, headers, body = _in_own_loop(scene())
    assert status == 503
    assert headers["retry-after"] == "5"
    problem = json.loads(body)
    assert problem["code"] == "busy"
    assert problem["detail"].startswith("There are too many requests at this moment")
    # And in Chinese by default.
    app.state.admission = Admission(1, wait_seconds=0.05)

    async def in_chinese() -> bytes:
        async with app.state.admission.turn():
            return (await _request(app, "/api/v1/me", token))[2]

    assert json.loads(_in_own_loop(in_chinese()))["title"] == "平台繁忙"


def test_a_pool_size_below_one_is_refused() -> None:
    with pytest.raises(ValueError, match="at least 1"):
        Admission(0)
    with pytest.raises(ValueError):
        Settings(database_pool_size=0)
