from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from sluice.core.database import Base


class AuditEvent(Base):
    __tablename__ = "audit_events"

    # Integer ids keep the append order that a later hash chain will cover.
    id: Mapped[int] = mapped_column(
        BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=True
    )
    occurred_at: Mapped[datetime] = mapped_column(index=True)
    action: Mapped[str] = mapped_column(String(100), index=True)
    outcome: Mapped[str] = mapped_column(String(20))
    actor_username: Mapped[str] = mapped_column(String(150))
    actor_via: Mapped[str] = mapped_column(String(20))
    actor_user_id: Mapped[uuid.UUID | None] = mapped_column(index=True)
    actor_organization_id: Mapped[uuid.UUID | None]
    actor_api_key_id: Mapped[uuid.UUID | None]
    target_type: Mapped[str] = mapped_column(String(60))
    target_id: Mapped[str] = mapped_column(String(100), index=True)
    detail: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    # What the entry was about beyond its target (R8.8; ``record``'s keyword fields).
    #: The reason code of a refusal or decision (``out_of_scope``…); older entries kept it
    #: in ``detail["reason"]`` (``audit.service.reason_of`` reads both).
    reason: Mapped[str | None] = mapped_column(String(64))
    authorization_id: Mapped[uuid.UUID | None]
    purpose: Mapped[str | None] = mapped_column(String(200))
    consent_id: Mapped[uuid.UUID | None]
    #: The request it was written in and the client's address (``Principal``).
    request_id: Mapped[uuid.UUID | None]
    client_address: Mapped[str | None] = mapped_column(String(64))
    #: SM3 of the entry's resources (``audit_event_resources``), so a hash of this row's
    #: columns covers them too (``audit.service.resources_digest``).
    resources_digest: Mapped[str | None] = mapped_column(String(64))
    resources: Mapped[list[AuditEventResource]] = relationship(lazy="raise")


class AuditEventResource(Base):
    """One data resource an audit entry used, indexed by resource: a provider reads the uses
    of its data by index. Append-only like ``audit_events`` (triggers)."""

    __tablename__ = "audit_event_resources"
    __table_args__ = (Index("ix_audit_event_resources_resource", "resource_id", "event_id"),)

    event_id: Mapped[int] = mapped_column(
        BigInteger().with_variant(Integer, "sqlite"),
        ForeignKey("audit_events.id"),
        primary_key=True,
    )
    resource_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
