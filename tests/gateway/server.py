"""The application as ``uvicorn --factory --workers 2`` starts it for the concurrency test:
settings from the environment (``SLUICE_HOME``, ``SLUICE_DATABASE_URL``) and a clock that
stands still at ``SLUICE_TEST_NOW``, the time the test's world lives in, and the suite's
cheap password hashing."""

from __future__ import annotations

import os
from datetime import datetime

from fastapi import FastAPI

from sluice.core.clock import FixedClock
from sluice.core.settings import Settings
from sluice.identity import passwords
from sluice.web.app import create_app
from tests.infrastructure import CHEAP_HASHER


def app() -> FastAPI:
    # As cheap as the suite's own: the concurrency tests log in dozens of times.
    passwords.use_hasher(CHEAP_HASHER)
    at = datetime.fromisoformat(os.environ["SLUICE_TEST_NOW"])
    return create_app(Settings(), clock=FixedClock(at))
