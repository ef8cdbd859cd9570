"""The products tests' city (``tests/products/world.py``), built once per module and
database, and a client on it."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from sluice.web.app import create_app
from tests.conftest import module_database
from tests.products.world import ProductWorld, build
from tests.sandbox.world import build as build_city


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def world(
    request: pytest.FixtureRequest,
    tmp_path_factory: pytest.TempPathFactory,
    sqlite_template: Path,
) -> Iterator[ProductWorld]:
    root = tmp_path_factory.mktemp("products")
    with module_database(request, root, sqlite_template) as database:
        yield build(build_city(database, root / "var"))


@pytest.fixture(scope="module")
def client(world: ProductWorld) -> Iterator[TestClient]:
    app = create_app(world.city.settings, database=world.database, clock=world.clock())
    with TestClient(app, base_url="http://127.0.0.1") as test_client:
        yield test_client
