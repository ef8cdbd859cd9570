"""Dates people type, held to a plausible range before they reach a rule or the database.

A mistyped year (``7325-06-01`` for a rectification deadline) parses as a date, and then
either slips past every later check or reaches a database that cannot hold it. Every date
a form or the API accepts is a ``BoundedDate``: one type, one range, one message.
"""

from __future__ import annotations

from datetime import date
from typing import Annotated, Final

from pydantic import AfterValidator
from pydantic_core import PydanticCustomError

from sluice.core.i18n import add_messages

#: The earliest date any record here may carry (a company founded, a penalty decided …).
EARLIEST: Final = date(1900, 1, 1)
#: The latest date any plan may name (deadlines, exit dates, meetings …).
LATEST: Final = date(2099, 12, 31)

#: The pydantic error type; forms show ``form.date_out_of_range`` for it.
OUT_OF_RANGE: Final = "date_out_of_range"

add_messages(
    {
        f"form.{OUT_OF_RANGE}": (
            "日期须在 {earliest} 至 {latest} 之间。",
            "The date must be between {earliest} and {latest}.",
        )
    }
)


def within_range(value: date) -> date:
    if not EARLIEST <= value <= LATEST:
        raise PydanticCustomError(
            OUT_OF_RANGE,
            "the date {value} is outside {earliest} to {latest}",
            {
                "value": value.isoformat(),
                "earliest": EARLIEST.isoformat(),
                "latest": LATEST.isoformat(),
            },
        )
    return value


BoundedDate = Annotated[date, AfterValidator(within_range)]
