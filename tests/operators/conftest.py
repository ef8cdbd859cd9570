"""Fixtures shared by the operators' tests."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy.orm import Session

from sluice.core.database import Database


@pytest.fixture
def session(database: Database) -> Iterator[Session]:
    """A session on the test database, for calling the services directly."""
    with database.sessions() as session:
        yield session
