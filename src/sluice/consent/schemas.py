"""What the consent API takes and answers."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from sluice.identity.schemas import PASSWORD_FLOOR, PASSWORD_MAX, Trimmed


class SubjectCreate(BaseModel):
    """A data subject's account, opened by the bureau with the person's ID number or the
    enterprise's credit code (kept only as its token and masked form)."""

    model_config = ConfigDict(extra="forbid")

    username: str = Field(min_length=3, max_length=150, pattern=r"^[A-Za-z0-9_.@-]+$")
    display_name: Trimmed = Field(min_length=1, max_length=200)
    password: str = Field(min_length=PASSWORD_FLOOR, max_length=PASSWORD_MAX)
    kind: Literal["person", "enterprise"]
    #: The ID number (person) or unified social credit code (enterprise), as typed.
    identifier: str = Field(min_length=1, max_length=40, repr=False)


class SubjectRead(BaseModel):
    id: uuid.UUID
    user_id: uuid.UUID
    username: str
    kind: str
    #: The identifier masked (``110105********002X``); the identifier itself is kept nowhere.
    masked: str
    created_at: datetime


class ConsentGrant(BaseModel):
    """A subject's consent to one buyer for one product and one of its purposes; the
    platform writes the consent text the subject confirms, kept as its evidence."""

    model_config = ConfigDict(extra="forbid")

    buyer_id: uuid.UUID
    product_id: uuid.UUID
    purpose: Trimmed = Field(min_length=1, max_length=100)
    #: First and last day of validity (Beijing days, both included).
    valid_from: date
    valid_until: date


class ConsentRead(BaseModel):
    id: uuid.UUID
    buyer_id: uuid.UUID
    buyer: str
    product_id: uuid.UUID
    product: str
    purpose: str
    valid_from: date
    valid_until: date
    status: str
    #: ``active``, ``pending``, ``expired`` or ``revoked`` today.
    standing: str
    #: The subject, masked (a buyer never sees more).
    subject: str
    subject_kind: str
    granted_at: datetime
    revoked_at: datetime | None


class LedgerRead(ConsentRead):
    """A consent as the bureau inspects it: with its evidence."""

    evidence_kind: str
    evidence_name: str
    evidence_sm3: str
    evidence_bytes: int


class ConsentPage(BaseModel):
    total: int
    page: int
    items: list[ConsentRead]


class LedgerPage(BaseModel):
    total: int
    page: int
    items: list[LedgerRead]


class UseRead(BaseModel):
    used_at: datetime
    buyer_id: uuid.UUID
    buyer: str
    product_id: uuid.UUID
    product: str
    purpose: str
    kind: str
    #: ``answered`` or the refusal's code.
    outcome: str
    consent_id: uuid.UUID | None


class UsePage(BaseModel):
    total: int
    page: int
    items: list[UseRead]
