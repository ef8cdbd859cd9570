"""What the suite needs from outside (PostgreSQL, chromium) and how it reacts when it is missing."""

from __future__ import annotations

import os
from typing import Final

import pytest
from argon2 import PasswordHasher

STRICT = os.environ.get("SLUICE_STRICT_TESTS") == "1"
PG_URL = os.environ.get(
    "SLUICE_TEST_DATABASE_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)
#: Skips for missing infrastructure carry this prefix, so the summary can name them even when
#: they happened in pytest-xdist workers (the controller sees only their reports).
MISSING = "missing infrastructure: "
#: argon2id at its cheapest, for the suite and the servers it starts: production parameters
#: cost ~0.3 s a hash or verify, and the suite makes thousands.
CHEAP_HASHER: Final = PasswordHasher(time_cost=1, memory_cost=8, parallelism=1)


def skip_or_fail(reason: str) -> None:
    """Missing infrastructure skips loudly on a laptop and fails under the strict flag."""
    if STRICT:
        pytest.fail(f"strict mode: {reason}", pytrace=False)
    pytest.skip(MISSING + reason)
