"""One clock for people: stored in UTC, every timestamp shown in the display zone, one format."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from sluice.core import clock
from sluice.core.settings import Settings

TEMPLATES = Path(clock.__file__).parents[1] / "web" / "templates"
DOCUMENTS = Path(clock.__file__).parents[1] / "authorizations" / "templates"


@pytest.fixture(autouse=True)
def _shanghai() -> Iterator[None]:
    yield
    clock.set_display_zone("Asia/Shanghai")


def test_a_utc_moment_reads_as_beijing_time() -> None:
    at = datetime(2026, 12, 4, 5, 5, tzinfo=UTC)
    assert clock.display(at) == "2026-12-04 13:05"
    assert clock.display(at.isoformat()) == "2026-12-04 13:05"  # an ISO string from an API
    assert clock.display(datetime(2026, 12, 4, 5, 5)) == "2026-12-04 13:05"  # SQLite's naive
    assert clock.display(None) == "—"


def test_the_display_zone_is_a_setting() -> None:
    assert Settings().display_timezone == "Asia/Shanghai"
    clock.set_display_zone("Europe/Berlin")
    assert clock.display(datetime(2026, 12, 4, 5, 5, tzinfo=UTC)) == "2026-12-04 06:05"
    with pytest.raises(ValueError, match="unknown time zone"):
        Settings(display_timezone="Mars/Olympus")


def test_no_template_prints_a_timestamp_around_the_filter() -> None:
    """``x_at`` values are datetimes: printing or slicing them raw shows UTC to a reader."""
    raw = re.compile(r"_at\s*}}|_at\s*\[|_at\s*\|\s*string|_at\.(strftime|isoformat)")
    found = [
        f"{path.relative_to(path.parents[1])}: {match.group(0)}"
        for folder in (TEMPLATES, DOCUMENTS)
        for path in folder.rglob("*.html")
        for match in raw.finditer(path.read_text())
    ]
    assert found == []
