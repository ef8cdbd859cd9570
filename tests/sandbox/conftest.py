"""The sandbox tests' city (``tests/sandbox/world.py``), built once per module and database,
and a client on it."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from sluice.web.app import create_app
from tests.conftest import module_database
from tests.sandbox.world import SandboxWorld, build


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def city(
    request: pytest.FixtureRequest,
    tmp_path_factory: pytest.TempPathFactory,
    sqlite_template: Path,
) -> Iterator[SandboxWorld]:
    root = tmp_path_factory.mktemp("sandbox")
    with module_database(request, root, sqlite_template) as database:
        yield build(database, root / "var")


@pytest.fixture(scope="module")
def client(city: SandboxWorld) -> Iterator[TestClient]:
    app = create_app(city.settings, database=city.database, clock=city.clock())
    with TestClient(app, base_url="http://127.0.0.1") as test_client:
        yield test_client
