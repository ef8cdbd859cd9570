"""What the gateway and its REST routes take and answer."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

PURPOSE_MAX = 200


class InvokeIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    input: dict[str, Any] = Field(
        default_factory=dict, description="The product's inputs by name (see its market page)."
    )
    consent_id: uuid.UUID | None = Field(
        default=None,
        description="The data subject's consent, for products that need one (R8.7).",
    )
    purpose: str = Field(
        min_length=1,
        max_length=PURPOSE_MAX,
        description="What the call is for: one of the product's purposes.",
    )


class MeteredRead(BaseModel):
    unit: str = Field(description="The billing unit: call, item, period or volume.")
    quantity: int
    amount_fen: int = Field(description="What this call costs, in fen (0 for free products).")


class InvokeOut(BaseModel):
    """The answer: the product's result and the request's metadata, nothing else."""

    request_id: uuid.UUID
    product: str
    result: dict[str, Any]
    metered: MeteredRead


class SubscribeIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    product_code: str = Field(min_length=1, max_length=64)
    quota_limit: int | None = Field(
        default=None, ge=1, description="Calls per quota period; empty: the platform's cap."
    )
    quota_period: Literal["day", "month"] = "day"
    rate_limit: int | None = Field(
        default=None, ge=1, description="Calls per rate period; empty: the platform's cap."
    )
    rate_period: Literal["second", "minute"] = "second"


class SubscriptionRead(BaseModel):
    id: uuid.UUID
    product_id: uuid.UUID
    product_code: str
    status: str
    quota_limit: int
    quota_period: str
    quota_used: int = Field(description="Calls counted in the current quota period.")
    quota_left: int
    quota_resets_at: datetime
    rate_limit: int
    rate_period: str
    subscribed_by: str
    subscribed_at: datetime
    ended_at: datetime | None
    end_reason: str | None


class CallRead(BaseModel):
    request_id: uuid.UUID
    at: datetime
    buyer: str
    product_code: str
    kind: str
    purpose: str | None
    consent_id: uuid.UUID | None
    outcome: str = Field(description="answered, or the refusal's code.")
    status: int
    latency_ms: int
    amount_fen: int | None = Field(description="What the call was metered at (answered calls).")


class CallPage(BaseModel):
    total: int
    items: list[CallRead]


class MeteringRead(BaseModel):
    product_id: uuid.UUID
    product: str
    buyer_id: uuid.UUID
    buyer: str
    events: int
    quantity: int
    amount_fen: int


class SigningSecretOut(BaseModel):
    api_key_id: uuid.UUID
    secret: str = Field(description="The signing secret. It is shown only this once.")


class TraceRead(BaseModel):
    """Whose download a leaked file came from (``identified`` false: none of them)."""

    identified: bool
    file_sm3: str
    download_id: uuid.UUID | None = None
    buyer_id: uuid.UUID | None = None
    buyer: str | None = None
    product_id: uuid.UUID | None = None
    product: str | None = None
    downloaded_at: datetime | None = None
    api_key_id: uuid.UUID | None = None
