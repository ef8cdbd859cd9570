"""What the export API takes and answers."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from sluice.sandbox.exports import MAX_PURPOSE


class ExportIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    query_id: uuid.UUID
    purpose: str = Field(min_length=1, max_length=MAX_PURPOSE)
    #: ε for differential privacy; absent: no noise.
    epsilon: float | None = Field(default=None, gt=0, le=100)


class ExportRead(BaseModel):
    id: uuid.UUID
    workspace_id: uuid.UUID
    query_id: uuid.UUID
    authorization_id: uuid.UUID
    purpose: str
    status: str
    requested_by: str
    requested_at: datetime
    sql: str
    sql_sm3: str
    versions: list[dict[str, Any]]
    columns: list[dict[str, str]]
    checks: list[dict[str, Any]]
    #: k, the groups of the result, and how many of them covered fewer than k subjects.
    min_subjects: int
    groups: int
    suppressed_groups: int
    #: ε as decimal text, and the noised columns.
    epsilon: str | None
    noise: list[dict[str, Any]]
    rows: int
    file_sm3: str
    file_bytes: int
    decided_by: str | None
    decided_at: datetime | None
    decision_reason: str | None
    manifest_digest: str | None
