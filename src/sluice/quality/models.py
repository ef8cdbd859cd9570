"""Periodic quality assessments: a provider's scores at a point in time, kept for trends."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey
from sqlalchemy.orm import Mapped, mapped_column

from sluice.core.database import Base, UUIDPrimaryKey


class ProviderAssessment(UUIDPrimaryKey, Base):
    __tablename__ = "quality_assessments"

    provider_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("organizations.id"), index=True)
    assessed_at: Mapped[datetime] = mapped_column(index=True)
    score: Mapped[float]
    completeness: Mapped[float]
    accuracy: Mapped[float]
    consistency: Mapped[float]
    timeliness: Mapped[float]
    overdue_tickets: Mapped[int]
    #: Resources assessed, their individual scores and the deductions applied.
    detail: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
