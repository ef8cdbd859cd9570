"""What the products' API takes and answers."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from sluice.guard.product_specs import BillingUnit, ProductType

#: A product code: lower-case letters, digits and hyphens, 3 to 64, no hyphen at either end.
CODE_PATTERN = r"^[a-z0-9][a-z0-9-]{1,62}[a-z0-9]$"
MAX_FEN = 10_000_000_000


def _purposes(values: list[str]) -> list[str]:
    cleaned = [" ".join(v.split()) for v in values]
    cleaned = [v for v in cleaned if v]
    if not cleaned:
        raise ValueError("at least one purpose")
    if len(set(cleaned)) != len(cleaned):
        raise ValueError("purposes must be distinct")
    for value in cleaned:
        if not 2 <= len(value) <= 200:
            raise ValueError("each purpose is 2 to 200 characters")
    return cleaned


class ProductUpdate(BaseModel):
    """What the operator declares (and may change while the product is a draft)."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    code: str = Field(pattern=CODE_PATTERN, min_length=3, max_length=64)
    name: str = Field(min_length=2, max_length=200)
    description: str = Field(min_length=2, max_length=4000)
    type: ProductType
    #: The spec of the type (``guard.product_specs``); ``kind`` may be left out.
    spec: dict[str, Any]
    consent_required: bool = False
    purposes: list[str] = Field(min_length=1, max_length=20)
    #: ``governance``, ``welfare`` or ``industry:<sector>``.
    domain: str = Field(min_length=2, max_length=60)
    billing_unit: BillingUnit
    #: Integer fen per billing unit (0: free).
    price_fen: int = Field(ge=0, le=MAX_FEN)

    @field_validator("purposes")
    @classmethod
    def _clean_purposes(cls, values: list[str]) -> list[str]:
        return _purposes(values)


class ProductIn(ProductUpdate):
    #: The operator's workspace (of an agreement in force) the product is built in.
    workspace_id: uuid.UUID


class ReasonIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    reason: str = Field(min_length=2, max_length=2000)


class ReviewIn(ReasonIn):
    decision: Literal["approve", "reject"]


class DelistIn(ReasonIn):
    #: An approved collective decision on this delisting, recorded by someone else.
    decision_id: uuid.UUID | None = None


class AmendmentIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    #: How the product passes security and compliance review before it is offered.
    review: str = Field(
        default="上线前经数据局安全与合规审查通过后方可提供。", min_length=2, max_length=2000
    )


class PriceCapIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    product_type: ProductType
    domain: str = Field(min_length=2, max_length=60)
    cap_fen: int = Field(ge=0, le=MAX_FEN)
    reason: str = Field(min_length=2, max_length=2000)


class PriceCapRead(BaseModel):
    id: uuid.UUID
    product_type: str
    domain: str
    version: int
    cap_fen: int
    effective_from: datetime
    reason: str
    set_by: str


class ProductRead(BaseModel):
    id: uuid.UUID
    code: str
    name: str
    description: str
    type: str
    spec: dict[str, Any]
    resource_ids: list[uuid.UUID]
    output_schema: dict[str, Any]
    consent_required: bool
    subject_input: str | None
    subject_kind: str | None
    purposes: list[str]
    domain: str
    billing_unit: str
    price_fen: int
    pricing_rule: str | None
    operator_id: uuid.UUID
    operator: str
    workspace_id: uuid.UUID
    authorization_id: uuid.UUID
    #: The agreement, as both parties signed it, names the product.
    named_in_agreement: bool
    status: str
    created_at: datetime
    updated_at: datetime
    submitted_at: datetime | None
    reviewed_by: str | None
    reviewed_at: datetime | None
    review_reason: str | None
    first_listed_at: datetime | None
    listed_at: datetime | None
    suspended_reason: str | None
    ended_at: datetime | None
    end_reason: str | None


class DelistRead(BaseModel):
    """The delisting asked for: carried out once a second bureau user approves it."""

    approval_id: uuid.UUID
    status: str
    product: ProductRead


class AmendmentRead(BaseModel):
    authorization_id: uuid.UUID
    version: int
    digest: str
