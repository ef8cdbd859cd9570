"""Inputs and outputs of the approvals API and console."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from sluice.approvals.models import ApprovalRequest
from sluice.core.i18n import translate


class _Input(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class ApproveIn(_Input):
    note: str = Field(default="", max_length=2000, description="Optional remark, kept.")


class RejectIn(_Input):
    note: str = Field(min_length=2, max_length=2000, description="Why not; kept.")


class ApprovalRead(BaseModel):
    id: uuid.UUID
    act: str
    act_label: str
    status: str
    status_label: str
    target_type: str
    target_id: uuid.UUID
    target_label: str
    target_link: str
    grounds: str
    params: dict[str, Any]
    decision_id: uuid.UUID | None
    requested_by: str
    requested_by_name: str
    requested_at: datetime
    expires_at: datetime
    decided_by: str | None
    decided_by_name: str | None
    decided_via: str | None
    decided_at: datetime | None
    decision_note: str | None
    carried_out_at: datetime | None


def approval_read(row: ApprovalRequest, locale: str) -> ApprovalRead:
    return ApprovalRead(
        id=row.id,
        act=row.act,
        act_label=translate(f"approval_act.{row.act}", locale),
        status=row.status,
        status_label=translate(f"state.approval.{row.status}", locale),
        target_type=row.target_type,
        target_id=row.target_id,
        target_label=row.target_label,
        target_link=row.target_link,
        grounds=row.grounds,
        params=dict(row.params or {}),
        decision_id=row.decision_id,
        requested_by=row.requested_by,
        requested_by_name=row.requested_by_name,
        requested_at=row.requested_at,
        expires_at=row.expires_at,
        decided_by=row.decided_by,
        decided_by_name=row.decided_by_name,
        decided_via=row.decided_via,
        decided_at=row.decided_at,
        decision_note=row.decision_note,
        carried_out_at=row.carried_out_at,
    )
