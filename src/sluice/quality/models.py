"""Periodic quality assessments (a provider's scores at a point in time, kept for trends)
and the versions of the bureau's data-quality management rules."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, String, Text
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


class QualityRulesVersion(UUIDPrimaryKey, Base):
    """One published version of the data-quality management rules (数据质量管理规则, R4.3).

    Published versions never change: a new text is a new version with the next number. The
    version in force on a day is the newest whose ``effective_on`` has come, so earlier
    versions stay readable as what applied before.
    """

    __tablename__ = "quality_rules_versions"

    number: Mapped[int] = mapped_column(unique=True)
    title: Mapped[str] = mapped_column(String(200))
    body: Mapped[str] = mapped_column(Text)
    #: The first day (Asia/Shanghai) it applies.
    effective_on: Mapped[date]
    published_at: Mapped[datetime]
    published_by_user: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id"))
    published_by_username: Mapped[str] = mapped_column(String(150))
    #: The publisher's name as shown at the time (the username for the platform itself).
    published_by_name: Mapped[str] = mapped_column(String(200))
