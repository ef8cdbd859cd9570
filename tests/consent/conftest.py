"""The consent tests' world (``tests/consent/world.py``), built once per module and
database, with the stand-in products installed, and a client on it."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from sluice.consent import offers
from sluice.web.app import create_app
from tests.conftest import module_database
from tests.consent.world import PRODUCTS, World, build


@pytest.fixture(scope="module")
def products() -> Iterator[None]:
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(offers, "products_service", PRODUCTS)
        yield


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def world(
    request: pytest.FixtureRequest,
    tmp_path_factory: pytest.TempPathFactory,
    sqlite_template: Path,
    products: None,
) -> Iterator[World]:
    root = tmp_path_factory.mktemp("consent")
    with module_database(request, root, sqlite_template) as database:
        yield build(database, root / "var")


@pytest.fixture(scope="module")
def client(world: World) -> Iterator[TestClient]:
    app = create_app(world.settings, database=world.database, clock=world.clock())
    with TestClient(app, base_url="http://127.0.0.1") as test_client:
        yield test_client
