"""The alerts tests' world: the gateway's (``tests/gateway/world.py``), built once per module
and database, and a client on it whose clock each test moves (put back after)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from sluice.core.clock import FixedClock
from sluice.web.app import create_app
from tests.conftest import module_database
from tests.gateway.world import GatewayWorld, build, exports_registered
from tests.sandbox.world import START
from tests.sandbox.world import build as build_city


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def world(
    request: pytest.FixtureRequest,
    tmp_path_factory: pytest.TempPathFactory,
    sqlite_template: Path,
) -> Iterator[GatewayWorld]:
    root = tmp_path_factory.mktemp("alerts")
    with exports_registered(), module_database(request, root, sqlite_template) as database:
        yield build(build_city(database, root / "var"))


@pytest.fixture(scope="module")
def app_clock() -> FixedClock:
    return FixedClock(START)


@pytest.fixture(scope="module")
def client(world: GatewayWorld, app_clock: FixedClock) -> Iterator[TestClient]:
    app = create_app(world.settings, database=world.database, clock=app_clock)
    with TestClient(app, base_url="http://127.0.0.1") as test_client:
        yield test_client


@pytest.fixture
def clock(app_clock: FixedClock) -> Iterator[FixedClock]:
    yield app_clock
    app_clock.advance(FixedClock(START).now() - app_clock.now())
