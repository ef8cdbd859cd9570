"""The sandbox tests' city (``tests/sandbox/world.py``), built once per module and database,
and a client on it."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from sluice.catalog import index as catalog_index
from sluice.core.database import Database
from sluice.web.app import create_app
from tests.conftest import PostgresSchema, _truncate_all
from tests.infrastructure import skip_or_fail
from tests.sandbox.world import SandboxWorld, build


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def city(
    request: pytest.FixtureRequest,
    tmp_path_factory: pytest.TempPathFactory,
    sqlite_template: Path,
) -> Iterator[SandboxWorld]:
    root = tmp_path_factory.mktemp("sandbox")
    schema: str | None = None
    if request.param == "sqlite":
        path = root / "sluice.db"
        shutil.copy(sqlite_template, path)
        database = Database(f"sqlite:///{path}")
    else:
        postgres: PostgresSchema = request.getfixturevalue("postgres")
        if postgres.problem or postgres.url is None:
            skip_or_fail(postgres.problem or "PostgreSQL unavailable")
            return
        database = Database(postgres.url)
        schema = postgres.schema
    try:
        yield build(database, root / "var")
    finally:
        if schema is not None:
            _truncate_all(database, schema)
            catalog_index.reset()
        database.dispose()


@pytest.fixture(scope="module")
def client(city: SandboxWorld) -> Iterator[TestClient]:
    app = create_app(city.settings, database=city.database, clock=city.clock())
    with TestClient(app, base_url="http://127.0.0.1") as test_client:
        yield test_client
