"""Working days on the statutory calendar, checked against the State Council's arrangements.

国庆/中秋 2025 (国办发明电〔2024〕12号): 1–8 October off; Sunday 28 September and Saturday
11 October are working days. 春节 2026 (国办发明电〔2025〕7号): 15–23 February off; Saturday
14 February and Saturday 28 February are working days.
"""

from __future__ import annotations

import logging
from datetime import date, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from sluice.core import workdays
from sluice.core.workdays import (
    add_working_days,
    covered,
    is_working_day,
    working_days_before,
    working_days_between,
)


def test_the_2025_national_day_arrangement_is_known() -> None:
    assert is_working_day(date(2025, 9, 28))  # Sunday, adjusted working day (调休上班)
    assert not is_working_day(date(2025, 9, 27))  # an ordinary Saturday
    for day in range(1, 9):
        assert not is_working_day(date(2025, 10, day)), day
    assert is_working_day(date(2025, 10, 9))
    assert is_working_day(date(2025, 10, 11))  # Saturday, adjusted working day
    assert not is_working_day(date(2025, 10, 12))


@pytest.mark.parametrize(
    ("filed", "n", "due"),
    [
        # Filed on the adjusted Sunday: 29 Sep, 30 Sep, 9 Oct, 10 Oct, Sat 11 Oct.
        (date(2025, 9, 28), 5, date(2025, 10, 11)),
        # Filed the day before the holiday: 9 Oct, 10 Oct, Sat 11 Oct, 13 Oct, 14 Oct.
        (date(2025, 9, 30), 5, date(2025, 10, 14)),
        # Filed on Friday: Sun 28 Sep counts, then 29, 30 Sep, 9 and 10 Oct.
        (date(2025, 9, 26), 5, date(2025, 10, 10)),
        (date(2025, 9, 30), 1, date(2025, 10, 9)),
        # Filed during the holiday: counting starts at the first working day after it.
        (date(2025, 10, 3), 1, date(2025, 10, 9)),
        (date(2025, 10, 3), 3, date(2025, 10, 11)),
        # 春节 2026, filed Friday 13 Feb: Sat 14 Feb counts, then 24, 25, 26, 27 Feb.
        (date(2026, 2, 13), 5, date(2026, 2, 27)),
        # After the holiday: 25, 26, 27 Feb and the adjusted Saturday 28 Feb.
        (date(2026, 2, 24), 4, date(2026, 2, 28)),
        (date(2026, 2, 14), 1, date(2026, 2, 24)),
        # An ordinary week: Thursday plus 5 is the next Thursday.
        (date(2026, 11, 26), 5, date(2026, 12, 3)),
    ],
)
def test_deadline_skips_statutory_holidays_and_counts_adjusted_workdays(
    filed: date, n: int, due: date
) -> None:
    assert add_working_days(filed, n) == due
    assert working_days_between(filed, due) == n


def test_the_filing_day_itself_never_counts() -> None:
    assert add_working_days(date(2025, 10, 9), 1) == date(2025, 10, 10)
    assert add_working_days(date(2025, 10, 9), 0) == date(2025, 10, 9)
    with pytest.raises(ValueError, match="zero or more"):
        add_working_days(date(2025, 10, 9), -1)


def test_counting_back_skips_the_national_day_week() -> None:
    # 2025-10-09 (Thu) back over the holiday 10-01..08: 09-30 (Tue) is one working day before.
    assert working_days_before(date(2025, 10, 9), 1) == date(2025, 9, 30)
    # 2025-09-28 (Sun) was an adjusted working day.
    assert working_days_before(date(2025, 9, 30), 2) == date(2025, 9, 28)
    assert working_days_before(date(2025, 10, 9), 0) == date(2025, 10, 9)
    with pytest.raises(ValueError, match="zero or more"):
        working_days_before(date(2025, 10, 9), -1)


def test_working_days_between_counts_after_a_up_to_b() -> None:
    assert working_days_between(date(2025, 9, 30), date(2025, 10, 8)) == 0
    assert working_days_between(date(2025, 9, 30), date(2025, 10, 9)) == 1
    assert working_days_between(date(2025, 10, 9), date(2025, 10, 9)) == 0
    assert working_days_between(date(2025, 10, 14), date(2025, 9, 30)) == -5
    # Across 春节 2026: Sat 14 Feb, then 24–27 Feb and Sat 28 Feb.
    assert working_days_between(date(2026, 2, 13), date(2026, 3, 1)) == 6


@given(
    start=st.dates(min_value=date(2004, 1, 1), max_value=date(2026, 11, 15)),
    n=st.integers(min_value=0, max_value=25),
)
def test_adding_and_counting_agree(start: date, n: int) -> None:
    due = add_working_days(start, n)
    assert working_days_between(start, due) == n
    assert n == 0 or is_working_day(due)
    if n:
        assert working_days_between(start, due - timedelta(days=1)) == n - 1


def test_years_the_calendar_does_not_cover_fall_back_to_monday_to_friday(
    caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(workdays, "_warned_years", set())  # warn again in this test
    assert covered(date(2025, 10, 1))
    assert not covered(date(2099, 1, 1))
    assert not covered(date(2003, 10, 1))
    with caplog.at_level(logging.WARNING, logger="sluice.workdays"):
        # 2099-01-01 is a Thursday: 元旦 is not known, so it counts as a working day.
        assert date(2099, 1, 1).weekday() == 3
        assert is_working_day(date(2099, 1, 1))
        assert not is_working_day(date(2099, 1, 3))  # Saturday
        # Friday 2 January 2099 plus one working day is Monday 5 January.
        assert add_working_days(date(2099, 1, 2), 1) == date(2099, 1, 5)
        assert working_days_between(date(2099, 1, 2), date(2099, 1, 9)) == 5
        # 2003 is before the calendar's first year: 1 October 2003 (a Wednesday) counts.
        assert is_working_day(date(2003, 10, 1))
    assert any("2099" in r.getMessage() for r in caplog.records)
