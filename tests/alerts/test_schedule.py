"""When the rules run: the served application's schedule keeps going after a failed run and
stops when the application does; ``sluice alerts evaluate`` runs them once and says what it
did. The schedule's waits are replaced by a fake that ends it, so nothing sleeps."""

from __future__ import annotations

import asyncio
import shutil
from collections.abc import Coroutine, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from sluice.alerts import schedule
from sluice.cli import app as cli
from sluice.core.clock import FixedClock
from sluice.core.settings import Settings, get_settings
from tests.sandbox.world import START


def _in_own_loop(coroutine: Coroutine[Any, Any, None]) -> None:
    """Run it on a new loop in a thread of its own: a browser test earlier in the same
    worker may leave an event loop running in this thread, and asyncio.run refuses then."""
    with ThreadPoolExecutor(1) as thread:
        thread.submit(asyncio.run, coroutine).result()


def test_the_schedule_survives_a_failed_run_and_stops_when_cancelled(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    waits: list[float] = []
    runs: list[str] = []

    async def wait(seconds: float) -> None:
        waits.append(seconds)
        if len(waits) == 3:
            raise asyncio.CancelledError

    def run_once(database: Any, *, settings: Settings, clock: Any) -> schedule.RunResult:
        runs.append("run")
        if len(runs) == 1:
            raise RuntimeError("database away")
        return schedule.RunResult(raised=1, critical=0, contained=0, delivered=0)

    monkeypatch.setattr(schedule.asyncio, "sleep", wait)
    monkeypatch.setattr(schedule, "run_once", run_once)
    settings = Settings(alert_evaluate_seconds=120)
    with pytest.raises(asyncio.CancelledError):
        _in_own_loop(schedule.periodic(None, settings=settings, clock=FixedClock(START)))  # type: ignore[arg-type]
    assert (waits, runs) == ([120, 120, 120], ["run", "run"])
    # Turned off, it returns at once.
    off = Settings(alert_evaluate_seconds=0)
    _in_own_loop(schedule.periodic(None, settings=off, clock=FixedClock(START)))  # type: ignore[arg-type]
    assert len(runs) == 2


@pytest.fixture
def cli_database(
    tmp_path: Path, sqlite_template: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[str]:
    shutil.copy(sqlite_template, tmp_path / "sluice.db")
    url = f"sqlite:///{tmp_path / 'sluice.db'}"
    monkeypatch.setenv("SLUICE_HOME", str(tmp_path / "home"))
    monkeypatch.setenv("SLUICE_DATABASE_URL", url)
    get_settings.cache_clear()
    yield url
    get_settings.cache_clear()


def test_the_cli_evaluates_once_and_says_what_it_did(cli_database: str) -> None:
    result = CliRunner().invoke(cli, ["alerts", "evaluate"])
    assert result.exit_code == 0, result.output
    assert result.output.strip() == (
        "alerts raised: 0 (critical: 0, contained: 0); webhook deliveries: 0"
    )
