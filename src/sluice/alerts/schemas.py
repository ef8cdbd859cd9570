"""What the alerts' API reads and answers."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field


class AlertRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    rule: str = Field(
        description="rate_spike, enumeration, refusal_ratio, off_hours, "
        "new_address, export_volume or refused_queries."
    )
    severity: str = Field(description="info, warning or critical.")
    subject_type: str = Field(description="api_key or workspace.")
    subject_id: uuid.UUID
    subject_label: str
    organization_id: uuid.UUID | None
    window_start: datetime
    window_end: datetime
    observed: float
    threshold: float
    detail: dict[str, Any]
    status: str = Field(description="open, acknowledged, dismissed or escalated.")
    raised_at: datetime
    handled_by: str | None
    handled_at: datetime | None
    handled_reason: str | None
    incident_id: uuid.UUID | None
    containment: str | None = Field(description="key_suspended or workspace_suspended.")
    contained_at: datetime | None
    lifted_by: str | None
    lifted_at: datetime | None
    lift_reason: str | None
    delivery: str | None = Field(description="Webhook: pending, retrying, delivered, failed.")
    delivery_attempts: int
    delivery_error: str | None


class AlertPage(BaseModel):
    total: int
    items: list[AlertRead]


class AlertReason(BaseModel):
    reason: str = Field(min_length=1, max_length=2000)
