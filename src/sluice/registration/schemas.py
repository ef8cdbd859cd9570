"""What the registration API takes and answers."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from sluice.registration.service import MAX_GROUNDS, MAX_REASON


class DecisionIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    #: accept, not_accept (with reasons), pass (the formal review; public notice for a first
    #: registration or a change), refuse (with reasons), issue (after the notice).
    action: Literal["accept", "not_accept", "pass", "refuse", "issue"]
    reason: str = Field(default="", max_length=MAX_REASON)


class ObjectionIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    grounds: str = Field(min_length=2, max_length=MAX_GROUNDS)


class ObjectionDecisionIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    decision: Literal["uphold", "dismiss"]
    reason: str = Field(min_length=2, max_length=MAX_REASON)


class MaterialRead(BaseModel):
    id: uuid.UUID
    name: str
    media_type: str
    size: int
    sm3: str


class DueRead(BaseModel):
    #: accept, review or notice.
    step: str
    day: date
    over: bool
    #: Working days past the day (acceptance and review).
    late_by: int


class ObjectionRead(BaseModel):
    id: uuid.UUID
    filed_at: datetime
    grounds: str
    status: str
    decided_at: datetime | None
    decided_by: str | None
    decision_reason: str | None
    #: Who objected: the registry alone reads these; ``null`` for everyone else.
    objector_name: str | None
    objector_organization: str | None


class ApplicationRead(BaseModel):
    id: uuid.UUID
    kind: str
    subject_id: uuid.UUID
    type: str
    registration_id: uuid.UUID | None
    applicant_id: uuid.UUID
    applicant_name: str
    applied_by: str
    applied_at: datetime
    reference: str
    title: str
    summary: str
    statement: str
    evidence_sm3: str
    status: str
    accept_due: date
    accepted_at: datetime | None
    review_due: date | None
    notice_from: date | None
    notice_until: date | None
    decided_at: datetime | None
    decided_by: str | None
    decision_reason: str | None
    due: DueRead | None
    materials: list[MaterialRead]
    objections: list[ObjectionRead]


class CertificateRead(BaseModel):
    """The certificate in force: the signed content, its SM3 digest and the signature."""

    version: int
    issued_at: datetime
    content: dict[str, Any]
    digest: str
    algorithm: str
    public_key_hex: str
    signature_hex: str


class RegistrationRead(BaseModel):
    id: uuid.UUID
    code: str
    kind: str
    subject_id: uuid.UUID
    reference: str
    title: str
    summary: str
    holder_id: uuid.UUID
    holder_name: str
    status: str
    #: in_force, expired, cancelled or pending.
    standing: str
    registered_at: datetime
    valid_from: datetime
    valid_until: datetime
    cancelled_at: datetime | None
    version: int
    verify_url: str
    certificate: CertificateRead
