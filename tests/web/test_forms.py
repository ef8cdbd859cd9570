"""The shared form helpers (web/forms.py): impossible dates said precisely, every problem of
a form gathered in one round, the schema's and the service's together."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any

import pytest
from pydantic import BaseModel, Field

from sluice.core.errors import Conflict, InvalidInput
from sluice.web.forms import FieldProblem, FormErrors, date_message, parse_date, parse_form


@pytest.mark.parametrize(
    ("typed", "zh", "en"),
    [
        (
            "2026-02-30",
            "2026-02-30 不是有效的日期：2 月没有 30 日。",
            "2026-02-30 is not a valid date: February has no day 30.",
        ),
        (
            "2026-04-31",
            "2026-04-31 不是有效的日期：4 月没有 31 日。",
            "2026-04-31 is not a valid date: April has no day 31.",
        ),
        (
            "2025-02-29",
            "2025-02-29 不是有效的日期：2025 年不是闰年，2 月没有 29 日。",
            "2025-02-29 is not a valid date: 2025 is not a leap year, so February has no day 29.",
        ),
        (
            "2026-13-01",
            "2026-13-01 不是有效的日期：月份应在 1 到 12 之间。",
            "2026-13-01 is not a valid date: the month must be 1 to 12.",
        ),
        (
            "2026-01-00",
            "2026-01-00 不是有效的日期：日应在 1 到 31 之间。",
            "2026-01-00 is not a valid date: the day must be 1 to 31.",
        ),
        (
            "2026/02/28",
            "“2026/02/28”不是有效的日期，请按 年-月-日 填写（如 2026-02-28）。",
            "'2026/02/28' is not a date; use year-month-day (e.g. 2026-02-28).",
        ),
    ],
)
def test_an_impossible_date_says_what_is_wrong_with_it(typed: str, zh: str, en: str) -> None:
    with pytest.raises(FieldProblem) as refused:
        parse_date(typed, "held_on")
    assert refused.value.field == "held_on"
    assert date_message(typed, "zh-CN") == zh
    assert date_message(typed, "en") == en
    errors = FormErrors("zh-CN")
    assert errors.date(typed, "held_on") is None
    assert errors.as_dict() == {"held_on": zh}


def test_real_dates_parse_including_a_leap_day() -> None:
    assert parse_date(" 2024-02-29 ", "held_on") == date(2024, 2, 29)
    errors = FormErrors("en")
    assert errors.date("2026-11-25", "held_on") == date(2026, 11, 25)
    assert errors.date("", "held_on") is None and not errors
    assert errors.date("", "held_on", required=True) is None
    assert errors.as_dict() == {"held_on": "Required."}


class _Meeting(BaseModel):
    title: str = Field(min_length=2)
    held_on: date


def test_a_schema_date_field_gets_the_precise_message_too() -> None:
    """Every page parsing a form into a schema with a date gets it, with no change of its own."""
    data, errors = parse_form(_Meeting, {"title": "x", "held_on": "2026-02-30"}, "zh-CN")
    assert data is None
    assert errors == {
        "title": "至少 2 个字符。",
        "held_on": "2026-02-30 不是有效的日期：2 月没有 30 日。",
    }


@dataclass(frozen=True)
class _Problem:
    field: str
    key: str
    params: dict[str, Any] = field(default_factory=dict)


def test_schema_errors_and_service_problems_arrive_in_one_round() -> None:
    errors = FormErrors("zh-CN")
    assert errors.parse(_Meeting, {"title": "x", "held_on": "2026-11-25"}) is None
    errors.problems(
        [
            _Problem("held_on", "form.date_month", {"value": "2026-13-01"}),
            _Problem("title", "form.too_long", {"max_length": 1}),
        ]
    )
    # A service's problem replaces the schema's message for its field: it knows more.
    assert errors.as_dict() == {
        "title": "最多 1 个字符。",
        "held_on": "2026-13-01 不是有效的日期：月份应在 1 到 12 之间。",
    }
    errors.refusal(InvalidInput("form.required", errors=[{"field": "place"}]))
    errors.refusal(Conflict())
    assert errors.get("place") == "必填。"
    assert errors.get("__all__") == "该操作与现有数据冲突。"
    assert len(errors) == 4 and "place" in errors
