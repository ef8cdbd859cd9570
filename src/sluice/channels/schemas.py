"""What the register's form accepts."""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from sluice.core.dates import BoundedDate

Trimmed = Annotated[str, StringConstraints(strip_whitespace=True)]


class OwnerKind(StrEnum):
    DEPARTMENT = "department"  # 市直部门
    COUNTY = "county"  # 县（市、区）
    PARK = "park"  # 园区


class ChannelIn(BaseModel):
    """A channel as registered, or as changed (the whole form each time)."""

    model_config = ConfigDict(extra="forbid")

    name: Trimmed = Field(min_length=2, max_length=200)
    owner_kind: OwnerKind
    owner_name: Trimmed = Field(min_length=2, max_length=200)
    description: Trimmed = Field(default="", max_length=4000)
    plan: Trimmed = Field(min_length=2, max_length=4000)
    move_by: BoundedDate
