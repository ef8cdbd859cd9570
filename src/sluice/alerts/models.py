"""What the monitoring keeps: one row per alert a rule raised.

An ``Alert`` names its rule, its severity, its subject (an API key or a sandbox workspace,
with the organization behind it), the window it looked at and what it saw against the
threshold. At most one alert exists per rule, subject and window (the unique key), so an
evaluation run twice, or on two workers, raises it once. Its ``status`` moves
``open`` → ``acknowledged`` / ``dismissed`` / ``escalated`` (to an incident) through
``states.ALERT``; a containment (the key suspended, the workspace suspended) is recorded
with it, and lifted only by the bureau. Webhook delivery is tracked on the row so a failed
delivery is retried by the next run.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Float, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from sluice.core.database import Base, UUIDPrimaryKey


class Alert(UUIDPrimaryKey, Base):
    __tablename__ = "alerts"
    __table_args__ = (
        UniqueConstraint("rule", "subject_type", "subject_id", "window_start"),
        Index("ix_alerts_status_raised", "status", "raised_at"),
        Index("ix_alerts_subject", "subject_type", "subject_id"),
    )

    #: The rule's code (``rules.RULES``): ``rate_spike``, ``enumeration`` …
    rule: Mapped[str] = mapped_column(String(40))
    #: ``info``, ``warning`` or ``critical``.
    severity: Mapped[str] = mapped_column(String(10), index=True)
    #: ``api_key`` or ``workspace``, its id and a label as it was (a key's prefix, a
    #: workspace's scenario) for lists.
    subject_type: Mapped[str] = mapped_column(String(20))
    subject_id: Mapped[uuid.UUID]
    subject_label: Mapped[str] = mapped_column(String(200))
    #: The buyer (a key) or operator (a workspace) behind the subject.
    organization_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("organizations.id"), index=True
    )
    #: The window the rule looked at, [start, end).
    window_start: Mapped[datetime]
    window_end: Mapped[datetime]
    #: What the rule saw, and the threshold it was held to.
    observed: Mapped[float] = mapped_column(Float)
    threshold: Mapped[float] = mapped_column(Float)
    #: Further figures (the baseline, the calls behind a ratio, the new address …).
    detail: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    #: ``open``, ``acknowledged``, ``dismissed`` or ``escalated`` (``states.ALERT``).
    status: Mapped[str] = mapped_column(String(20))
    raised_at: Mapped[datetime]
    handled_by: Mapped[str | None] = mapped_column(String(150))
    handled_at: Mapped[datetime | None]
    handled_reason: Mapped[str | None] = mapped_column(Text)
    #: The incident it was escalated to (``incidents``), once it was.
    incident_id: Mapped[uuid.UUID | None]
    #: ``key_suspended`` or ``workspace_suspended`` when a critical alert contained its
    #: subject; lifted by the bureau with a reason.
    containment: Mapped[str | None] = mapped_column(String(30))
    contained_at: Mapped[datetime | None]
    lifted_by: Mapped[str | None] = mapped_column(String(150))
    lifted_at: Mapped[datetime | None]
    lift_reason: Mapped[str | None] = mapped_column(Text)
    #: Webhook delivery: ``pending``, ``delivered`` or ``failed`` (None: no webhook set when
    #: it was raised), attempts so far, the last error and when it was delivered.
    delivery: Mapped[str | None] = mapped_column(String(10), index=True)
    delivery_attempts: Mapped[int] = mapped_column(default=0)
    delivery_error: Mapped[str | None] = mapped_column(Text)
    delivered_at: Mapped[datetime | None]
