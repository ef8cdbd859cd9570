"""Working days on the Chinese statutory calendar (法定节假日与调休).

A working day is a day people work in mainland China: Monday to Friday unless it is a
statutory holiday, plus the weekend days the State Council moves into work (调休上班, e.g.
Sunday 2025-09-28 before 国庆). ``chinese_calendar`` holds the State Council's yearly
arrangement and knows both kinds of exception.

Counting rule (the one Chinese administrative deadlines use: the day a period starts is
not counted in it, 期间开始的当日不计入):

* ``add_working_days(start, n)`` is the n-th working day **after** ``start``. The filing
  day never counts, even when it is itself a working day; a ticket filed on a holiday starts
  counting at the first working day after it. ``n == 0`` gives ``start`` itself.
* ``working_days_between(a, b)`` counts the working days ``d`` with ``a < d <= b``, so
  ``working_days_between(a, add_working_days(a, n)) == n``; it is negative when ``b < a``.

Years the installed ``chinese_calendar`` does not cover (it raises ``NotImplementedError``;
today it knows 2004 to 2026, and the State Council publishes each year's arrangement
around November of the year before) fall back to plain Monday to Friday, with a warning in
the log. A deadline in such a year can then fall on a holiday or miss an adjusted working
weekend, so it is only an estimate until the package is upgraded; ``covered`` tells callers
which kind of answer they got.
"""

from __future__ import annotations

import logging
from datetime import date, timedelta

import chinese_calendar

log = logging.getLogger("sluice.workdays")

_ONE_DAY = timedelta(days=1)
_warned_years: set[int] = set()


def covered(day: date) -> bool:
    """Whether the statutory arrangement for ``day``'s year is known (not the fallback)."""
    try:
        chinese_calendar.is_workday(day)
    except NotImplementedError:
        return False
    return True


def is_working_day(day: date) -> bool:
    """A statutory working day; Monday to Friday in years the calendar does not cover."""
    try:
        return bool(chinese_calendar.is_workday(day))
    except NotImplementedError:
        if day.year not in _warned_years:
            _warned_years.add(day.year)
            log.warning(
                "chinese_calendar has no holiday arrangement for %s; counting Monday to "
                "Friday as working days (upgrade chinesecalendar)",
                day.year,
            )
        return day.weekday() < 5


def add_working_days(start: date, n: int) -> date:
    """The ``n``-th working day after ``start`` (``start`` itself is never counted)."""
    if n < 0:
        raise ValueError("n must be zero or more working days")
    return _walk(start, n, _ONE_DAY)


def working_days_before(start: date, n: int) -> date:
    """The ``n``-th working day before ``start`` (``start`` itself is never counted)."""
    if n < 0:
        raise ValueError("n must be zero or more working days")
    return _walk(start, n, -_ONE_DAY)


def _walk(start: date, n: int, step: timedelta) -> date:
    day = start
    remaining = n
    while remaining:
        day += step
        if is_working_day(day):
            remaining -= 1
    return day


def working_days_between(a: date, b: date) -> int:
    """Working days ``d`` with ``a < d <= b``; negative (the same count) when ``b < a``."""
    if b < a:
        return -working_days_between(b, a)
    count = 0
    day = a + _ONE_DAY
    while day <= b:
        if is_working_day(day):
            count += 1
        day += _ONE_DAY
    return count
