"""The registration tests' world (``world.py``), built once per module and database."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import module_database
from tests.registration.world import World, build


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def world(
    request: pytest.FixtureRequest,
    tmp_path_factory: pytest.TempPathFactory,
    sqlite_template: Path,
) -> Iterator[World]:
    root = tmp_path_factory.mktemp("registration")
    with module_database(request, root, sqlite_template) as database:
        yield build(database, root / "var")
