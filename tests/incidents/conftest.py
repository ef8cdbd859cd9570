from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.incidents import world
from tests.incidents.world import IncidentWorld


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def incidents(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory, sqlite_template: Path
) -> Iterator[IncidentWorld]:
    yield from world.build(request, tmp_path_factory, sqlite_template)
