"""Data subjects, their consents and every use of their data.

A ``DataSubject`` links a console user of role ``subject`` to a person (an ID number) or an
enterprise (a unified social credit code) by the identifier's token, the one ingestion gives
the same value (``dataplane.subject_tokens``), and its masked form. The identifier itself is
kept nowhere.

A ``Consent`` is one subject's consent to one buyer, for one product and one purpose, from
its first day to its last (Beijing days, both included), with its evidence document kept
sealed under its SM3 (``operators.evidence``). The subject's token is copied onto it, so the
gateway's check is one read by primary key.

A ``ConsentUse`` is one call or download about a subject, answered or refused, as the
gateway saw it: what the subject's "who used my data" page lists.
"""

from __future__ import annotations

import uuid
from datetime import date, datetime

from sqlalchemy import ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from sluice.core.database import Base, UUIDPrimaryKey


class DataSubject(UUIDPrimaryKey, Base):
    __tablename__ = "data_subjects"

    user_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), unique=True
    )
    #: ``person`` (an ID number) or ``enterprise`` (a credit code).
    kind: Mapped[str] = mapped_column(String(20))
    #: The identifier's token, as ingested datasets hold it.
    token: Mapped[str] = mapped_column(String(32), unique=True)
    #: The identifier masked by its type's profile (``110105********002X``).
    masked: Mapped[str] = mapped_column(String(40))
    created_by: Mapped[str] = mapped_column(String(150))
    created_at: Mapped[datetime]


class Consent(UUIDPrimaryKey, Base):
    __tablename__ = "consents"
    __table_args__ = (
        Index("ix_consents_subject_granted", "subject_id", "granted_at"),
        Index("ix_consents_buyer_granted", "buyer_id", "granted_at"),
    )

    subject_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("data_subjects.id"))
    #: The subject's token, copied so the gateway's check reads this row alone.
    subject_token: Mapped[str] = mapped_column(String(32))
    buyer_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("organizations.id"))
    product_id: Mapped[uuid.UUID] = mapped_column(index=True)
    #: One of the product's purposes.
    purpose: Mapped[str] = mapped_column(String(100))
    #: First and last day of validity (Beijing days, both included).
    valid_from: Mapped[date]
    valid_until: Mapped[date]
    #: ``granted`` or ``revoked`` (``states.CONSENT``); expiry is read from the dates.
    status: Mapped[str] = mapped_column(String(20), index=True)
    granted_at: Mapped[datetime]
    revoked_at: Mapped[datetime | None]
    #: ``generated`` (the platform's consent text the subject confirmed) or ``uploaded``.
    evidence_kind: Mapped[str] = mapped_column(String(20))
    evidence_name: Mapped[str] = mapped_column(String(200))
    #: SM3 of the evidence's plaintext; the file is kept sealed under this name.
    evidence_sm3: Mapped[str] = mapped_column(String(64))
    evidence_bytes: Mapped[int]


class ConsentUse(UUIDPrimaryKey, Base):
    """One call or download about a subject, answered or refused."""

    __tablename__ = "consent_uses"
    __table_args__ = (Index("ix_consent_uses_subject_used", "subject_token", "used_at"),)

    subject_token: Mapped[str] = mapped_column(String(32))
    #: The gateway call it belongs to (its row in ``gateway_calls``); None before 0028 when
    #: no call matched.
    call_id: Mapped[uuid.UUID | None] = mapped_column(index=True)
    buyer_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("organizations.id"), index=True)
    product_id: Mapped[uuid.UUID]
    #: The consent the buyer named, as it named it (it may be no consent of this subject).
    consent_id: Mapped[uuid.UUID | None]
    purpose: Mapped[str] = mapped_column(String(200))
    #: ``call`` or ``download``.
    kind: Mapped[str] = mapped_column(String(20))
    #: ``answered`` or the refusal's code.
    outcome: Mapped[str] = mapped_column(String(40))
    used_at: Mapped[datetime] = mapped_column(index=True)
