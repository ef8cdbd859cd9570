"""Registration (登记, N4): applications, the register itself, certificates, objections, the
materials kept as evidence, and the per-year sequence of registration codes.

A ``RegistrationApplication`` is one request to the registry (first registration, change,
correction, renewal or cancellation) about one subject of a registered kind (a data
product, later a data resource). What it says is fixed when it is filed: the subject as
its kind described it then, the statement and the materials, all summed up in
``evidence_sm3`` (the SM3 of the canonical application record, 存证). A ``Registration``
is the register's entry: its code, the holder, the term, in force or cancelled; every
certificate issued for it (a change, correction or renewal issues the next version) is a
``RegistrationCertificate`` signed by the registry with SM2. An ``Objection`` is someone's
real-name objection during the public notice: who objected is kept for the registry alone.
"""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    ForeignKey,
    Index,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column

from sluice.core.database import Base, UUIDPrimaryKey

#: The applications still waiting for the registry (``states.OPEN``), as SQL.
OPEN_CONDITION = "status IN ('applied', 'accepted', 'in_notice')"


class Registration(UUIDPrimaryKey, Base):
    """One entry of the register: a subject registered under a code, for a term."""

    __tablename__ = "registrations"
    __table_args__ = (Index("ix_registrations_kind_subject", "kind", "subject_id"),)

    #: e.g. ``YK-DP-2026-000123``.
    code: Mapped[str] = mapped_column(String(40), unique=True)
    #: The registered kind (``product``) and the subject's id in the module that owns it.
    kind: Mapped[str] = mapped_column(String(40))
    subject_id: Mapped[uuid.UUID]
    #: How people name the subject (a product's code), its title and its summary, as the
    #: last issued certificate says them.
    reference: Mapped[str] = mapped_column(String(100))
    title: Mapped[str] = mapped_column(String(300))
    summary: Mapped[str] = mapped_column(Text)
    holder_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("organizations.id"), index=True)
    holder_name: Mapped[str] = mapped_column(String(200))
    #: ``registered`` or ``cancelled`` (``states.REGISTRATION``); expiry is read from the term.
    status: Mapped[str] = mapped_column(String(20))
    registered_at: Mapped[datetime]
    valid_from: Mapped[datetime]
    valid_until: Mapped[datetime]
    cancelled_at: Mapped[datetime | None]
    #: The version of the certificate in force (1, then one more for every change,
    #: correction and renewal).
    version: Mapped[int]


class RegistrationApplication(UUIDPrimaryKey, Base):
    """One application to the registry, with its deadlines and what was decided."""

    __tablename__ = "registration_applications"
    __table_args__ = (
        Index("ix_registration_applications_kind_subject", "kind", "subject_id"),
        Index("ix_registration_applications_status_applied", "status", "applied_at"),
        # One application at a time per subject, even when two are filed at the same moment.
        Index(
            "uq_registration_applications_open",
            "kind",
            "subject_id",
            unique=True,
            postgresql_where=text(OPEN_CONDITION),
            sqlite_where=text(OPEN_CONDITION),
        ),
    )

    kind: Mapped[str] = mapped_column(String(40))
    subject_id: Mapped[uuid.UUID]
    #: ``first``, ``change``, ``correction``, ``renewal`` or ``cancellation``.
    type: Mapped[str] = mapped_column(String(20))
    #: The registration it is about (set when filed, except for a first registration, which
    #: gets it when the registration is issued).
    registration_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("registrations.id"), index=True
    )
    applicant_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("organizations.id"), index=True)
    applicant_name: Mapped[str] = mapped_column(String(200))
    applied_by: Mapped[str] = mapped_column(String(150))
    applied_at: Mapped[datetime]
    #: The subject as its kind described it when the application was filed.
    reference: Mapped[str] = mapped_column(String(100))
    title: Mapped[str] = mapped_column(String(300))
    summary: Mapped[str] = mapped_column(Text)
    #: What the applicant asks and why (what changes, what is corrected, why cancel).
    statement: Mapped[str] = mapped_column(Text)
    #: SM3 of the canonical application record, materials' SM3 included (存证).
    evidence_sm3: Mapped[str] = mapped_column(String(64))
    #: ``states.APPLICATION``.
    status: Mapped[str] = mapped_column(String(20))
    #: The last day (Asia/Shanghai) the registry may accept or refuse it (3 working days).
    accept_due: Mapped[date]
    accepted_at: Mapped[datetime | None]
    accepted_by: Mapped[str | None] = mapped_column(String(150))
    #: The last day of the formal review (20 working days after acceptance).
    review_due: Mapped[date | None]
    #: The public notice (first registrations and changes): its first and last day.
    notice_from: Mapped[date | None]
    notice_until: Mapped[date | None]
    decided_at: Mapped[datetime | None]
    decided_by: Mapped[str | None] = mapped_column(String(150))
    #: Why it was not accepted or refused, or the registry's note on passing it.
    decision_reason: Mapped[str | None] = mapped_column(Text)


class RegistrationMaterial(UUIDPrimaryKey, Base):
    """A document filed with an application, sealed (SM4-GCM) and kept with its SM3."""

    __tablename__ = "registration_materials"

    application_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("registration_applications.id"), index=True
    )
    name: Mapped[str] = mapped_column(String(200))
    media_type: Mapped[str] = mapped_column(String(100))
    size: Mapped[int] = mapped_column(BigInteger)
    #: SM3 of the plaintext, as filed.
    sm3: Mapped[str] = mapped_column(String(64))
    sealed: Mapped[bytes] = mapped_column(LargeBinary)


class RegistrationCertificate(UUIDPrimaryKey, Base):
    """A certificate the registry issued: the signed content, its digest and signature."""

    __tablename__ = "registration_certificates"
    __table_args__ = (
        UniqueConstraint(
            "registration_id", "version", name="uq_registration_certificates_registration_version"
        ),
    )

    registration_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("registrations.id"))
    version: Mapped[int]
    application_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("registration_applications.id"))
    issued_at: Mapped[datetime]
    content: Mapped[dict[str, Any]] = mapped_column(JSON)
    #: SM3 of the content's canonical form, and the registry's SM2 signature over it.
    digest: Mapped[str] = mapped_column(String(64))
    signer_organization_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("organizations.id"))
    public_key_hex: Mapped[str] = mapped_column(String(200))
    signature_hex: Mapped[str] = mapped_column(String(200))


class Objection(UUIDPrimaryKey, Base):
    """A real-name objection to an application in public notice."""

    __tablename__ = "registration_objections"

    application_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("registration_applications.id"), index=True
    )
    filed_at: Mapped[datetime]
    #: Who objected: the account, the name and the organization as they were then.
    objector_user_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id"))
    objector_username: Mapped[str] = mapped_column(String(150))
    objector_name: Mapped[str] = mapped_column(String(200))
    objector_organization_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("organizations.id")
    )
    objector_organization: Mapped[str | None] = mapped_column(String(200))
    grounds: Mapped[str] = mapped_column(Text)
    #: ``states.OBJECTION``.
    status: Mapped[str] = mapped_column(String(20))
    decided_at: Mapped[datetime | None]
    decided_by: Mapped[str | None] = mapped_column(String(150))
    decision_reason: Mapped[str | None] = mapped_column(Text)


class RegistrationSequence(Base):
    """The last number issued under a prefix (``YK-DP-2026``), taken by one atomic upsert."""

    __tablename__ = "registration_sequences"

    prefix: Mapped[str] = mapped_column(String(40), primary_key=True)
    last: Mapped[int]
