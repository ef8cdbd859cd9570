"""A request for an irreversible act and what became of it."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, Index, String, Text, text
from sqlalchemy.orm import Mapped, mapped_column

from sluice.core.database import Base, UUIDPrimaryKey


class ApprovalRequest(UUIDPrimaryKey, Base):
    """``status`` only changes through ``states.APPROVAL.fire``."""

    __tablename__ = "approval_requests"
    __table_args__ = (
        Index("ix_approval_requests_status_expires_at", "status", "expires_at"),
        # At most one request waits on the same act on the same object.
        Index(
            "uq_approval_requests_pending_act_target",
            "act",
            "target_id",
            unique=True,
            sqlite_where=text("status = 'pending'"),
            postgresql_where=text("status = 'pending'"),
        ),
    )

    #: The registered act, e.g. "authorization.terminate" (``registry.Act.name``).
    act: Mapped[str] = mapped_column(String(40))
    target_type: Mapped[str] = mapped_column(String(40))
    target_id: Mapped[uuid.UUID] = mapped_column(index=True)
    #: What the object was called and where its page is, when the request was made.
    target_label: Mapped[str] = mapped_column(String(300))
    target_link: Mapped[str] = mapped_column(String(300))
    #: Why: the requester's words (the reason a terminated agreement will carry).
    grounds: Mapped[str] = mapped_column(Text)
    #: What else the act needs when carried out (e.g. a rectification check's note).
    params: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    #: The collective decision (三重一大) the request rests on, if it cites one.
    decision_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("collective_decisions.id"))
    status: Mapped[str] = mapped_column(String(20), index=True)
    requested_by: Mapped[str] = mapped_column(String(150))
    requested_by_user_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id"))
    requested_by_name: Mapped[str] = mapped_column(String(200))
    requested_at: Mapped[datetime]
    #: After this moment the request lapses (``approval_hours`` after it was made).
    expires_at: Mapped[datetime]
    #: The second person: who approved or rejected (or recorded the decision relied on).
    decided_by: Mapped[str | None] = mapped_column(String(150))
    decided_by_user_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id"))
    decided_by_name: Mapped[str | None] = mapped_column(String(200))
    #: "approver" (a second bureau user) or "collective_decision" (recorded by another).
    decided_via: Mapped[str | None] = mapped_column(String(30))
    decided_at: Mapped[datetime | None]
    decision_note: Mapped[str | None] = mapped_column(Text)
    carried_out_at: Mapped[datetime | None]
