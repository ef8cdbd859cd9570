from __future__ import annotations

import uuid
from datetime import date, datetime
from enum import StrEnum
from typing import Any

from pydantic import BaseModel, Field, field_validator


class TargetLevel(StrEnum):
    DATASET = "dataset"  # the dataset as a whole
    FIELD = "field"  # one field (column) of it
    ROW = "row"  # one row (record), optionally one field of it


class TicketStatus(StrEnum):
    """The states of ``states.TICKET`` (a test keeps the two equal)."""

    OPEN = "open"
    ACKNOWLEDGED = "acknowledged"
    FIXED = "fixed"
    REJECTED = "rejected"
    CLOSED = "closed"


def _blank_to_none(value: Any) -> Any:
    if isinstance(value, str):
        value = value.strip()
        return value or None
    return value


class TicketCreate(BaseModel):
    resource_id: uuid.UUID
    target_level: TargetLevel
    field_name: str | None = Field(default=None, max_length=80)
    row_ref: str | None = Field(
        default=None,
        max_length=500,
        description="How to find the row: its record key, a row number or a filter.",
    )
    description: str = Field(min_length=2, max_length=4000)

    _blanks = field_validator("field_name", "row_ref", mode="before")(_blank_to_none)

    @field_validator("description", mode="before")
    @classmethod
    def _strip(cls, value: Any) -> Any:
        return value.strip() if isinstance(value, str) else value


class TicketNote(BaseModel):
    """Body of acknowledge and close: an optional note kept in the ticket's history."""

    note: str | None = Field(default=None, max_length=2000)


class TicketResolution(BaseModel):
    """Body of fix and reject: what was corrected, or why nothing will be."""

    resolution: str = Field(min_length=2, max_length=4000)

    @field_validator("resolution", mode="before")
    @classmethod
    def _strip(cls, value: Any) -> Any:
        return value.strip() if isinstance(value, str) else value


class TicketRead(BaseModel):
    id: uuid.UUID
    resource_id: uuid.UUID
    resource_name: str
    provider_id: uuid.UUID
    provider_name: str
    filed_by_org: uuid.UUID | None
    filed_by_org_name: str | None
    filed_by_username: str
    target_level: TargetLevel
    field_name: str | None
    row_ref: str | None
    description: str
    status: TicketStatus
    filed_at: datetime
    working_days: int
    due_date: date = Field(description="Last day (Asia/Shanghai) the provider may answer on.")
    overdue: bool = Field(description="Still unanswered after due_date.")
    working_days_overdue: int = Field(description="Working days past due_date while unanswered.")
    acknowledged_at: datetime | None
    resolved_at: datetime | None
    closed_at: datetime | None
    outcome: str | None
    resolution: str | None
    answered_late: bool | None
    repair_version: int | None = Field(
        default=None,
        description="The dataset version, made after filing, that a 'fixed' answer rests on.",
    )
    urgings: int = Field(default=0, description="How many times the bureau chased it (督办).")


class TicketUrgingRead(BaseModel):
    """督办: the bureau chased the provider on the ticket while it was overdue."""

    at: datetime
    by: str = Field(description="The bureau person's name.")
    by_username: str
    working_days_overdue: int = Field(description="Working days past due_date that day.")
    note: str | None


class TicketEvent(BaseModel):
    at: datetime
    action: str
    actor: str
    detail: dict[str, Any]


class TicketDetail(TicketRead):
    actions: list[str] = Field(description="Transitions the caller may fire now.")
    can_supervise: bool = Field(
        default=False, description="Whether the caller may chase it now (the bureau, overdue)."
    )
    urging_history: list[TicketUrgingRead] = Field(default_factory=list)
    history: list[TicketEvent]
