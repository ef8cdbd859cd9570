"""An injectable clock, so terms, deadlines and lockouts can be tested without sleeping."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from typing import Protocol
from zoneinfo import ZoneInfo

SHANGHAI = ZoneInfo("Asia/Shanghai")


class Clock(Protocol):
    def now(self) -> datetime: ...


class SystemClock:
    def now(self) -> datetime:
        return datetime.now(UTC)


class FixedClock:
    """A clock that only moves when told to."""

    def __init__(self, at: datetime) -> None:
        if at.tzinfo is None:
            raise ValueError("FixedClock needs an aware datetime")
        self._at = at.astimezone(UTC)

    def now(self) -> datetime:
        return self._at

    def advance(self, delta: timedelta) -> None:
        self._at += delta


_display_zone: ZoneInfo = SHANGHAI


def set_display_zone(name: str) -> None:
    """The one zone people read times in (the ``display_timezone`` setting)."""
    global _display_zone
    _display_zone = ZoneInfo(name)


def display_zone() -> ZoneInfo:
    return _display_zone


def local(at: datetime) -> datetime:
    """Storage is UTC; people in the city read their own zone's time (Asia/Shanghai)."""
    if at.tzinfo is None:  # SQLite hands back naive values; they were stored as UTC
        at = at.replace(tzinfo=UTC)
    return at.astimezone(_display_zone)


def day_start(day: date) -> datetime:
    """The first moment of ``day`` in the city's zone (where ``local(at).date()`` turns)."""
    return datetime.combine(day, time.min, tzinfo=_display_zone)


def display(value: datetime | str | None, *, with_time: bool = True) -> str:
    """Every timestamp a person reads goes through here: one zone, one format."""
    if value is None or value == "":
        return "—"
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    return local(value).strftime("%Y-%m-%d %H:%M" if with_time else "%Y-%m-%d")
