"""Bodies and answers of the quality API: the data-quality management rules."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from pydantic import BaseModel, Field, field_validator


def _strip(value: Any) -> Any:
    return value.strip() if isinstance(value, str) else value


class RulesCreate(BaseModel):
    """A new version of the data-quality management rules, published as written."""

    title: str = Field(min_length=2, max_length=200)
    body: str = Field(min_length=10, max_length=50_000, description="The full text.")
    effective_on: date = Field(
        description="First day (Asia/Shanghai) it applies: today or later, and not before "
        "the effective day of the version published last."
    )

    _stripped = field_validator("title", "body", mode="before")(_strip)


class RulesRead(BaseModel):
    number: int
    title: str
    body: str
    effective_on: date
    published_at: datetime
    published_by: str = Field(description="The publisher's name.")
    in_force: bool = Field(description="Whether it is the version in force today.")


class RulesList(BaseModel):
    in_force: int | None = Field(description="The number of the version in force today.")
    versions: list[RulesRead] = Field(description="Every version, the newest first.")
