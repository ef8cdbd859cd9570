"""Fixtures of the authorization tests: the world built once per module (``module_world``)."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from sluice.catalog import index as catalog_index
from sluice.core.clock import FixedClock
from sluice.core.database import Database
from sluice.core.settings import Settings
from tests.authorizations.factories import make_world
from tests.authorizations.module_world import START, Place
from tests.conftest import PostgresSchema, _truncate_all
from tests.infrastructure import skip_or_fail


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def place(
    request: pytest.FixtureRequest,
    tmp_path_factory: pytest.TempPathFactory,
    sqlite_template: Path,
) -> Iterator[Place]:
    root = tmp_path_factory.mktemp("endings")
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
    settings = Settings(home=root / "var", database_url=database.url)
    try:
        yield Place(database, settings, make_world(database, FixedClock(START), settings))
    finally:
        if schema is not None:
            _truncate_all(database, schema)
            catalog_index.reset()
        database.dispose()
