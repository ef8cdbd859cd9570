"""Fixtures of the authorization tests: the world built once per module (``module_world``)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from sluice.core.clock import FixedClock
from sluice.core.settings import Settings
from tests.authorizations.factories import make_world
from tests.authorizations.module_world import START, Place
from tests.conftest import module_database


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def place(
    request: pytest.FixtureRequest,
    tmp_path_factory: pytest.TempPathFactory,
    sqlite_template: Path,
) -> Iterator[Place]:
    root = tmp_path_factory.mktemp("endings")
    with module_database(request, root, sqlite_template) as database:
        settings = Settings(home=root / "var", database_url=database.url)
        yield Place(database, settings, make_world(database, FixedClock(START), settings))
