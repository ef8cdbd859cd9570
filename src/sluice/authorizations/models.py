"""Authorization agreements, their versions and signatures, and everything that ends them.

An ``Authorization`` is one agreement between the bureau and one operator for one scenario
(R3.1, R3.2). Its content (scope, rights, term, the N1 clauses) lives in numbered
``AuthorizationVersion`` rows, each with the SM3 digest of its canonical form, which is what
both parties sign. ``AuthorizationScope`` is the current scope as indexed rows: the guard
reads it on every data access.
"""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from sluice.core.database import Base, UUIDPrimaryKey


class CollectiveDecision(UUIDPrimaryKey, Base):
    """A collective decision (三重一大) of the bureau: the meeting that decided something."""

    __tablename__ = "collective_decisions"

    #: What was decided on: "implementation_plan", "authorization", "renewal", "exit".
    subject_type: Mapped[str] = mapped_column(String(30))
    subject_id: Mapped[uuid.UUID] = mapped_column(index=True)
    meeting: Mapped[str] = mapped_column(String(200))  # e.g. 2026年第12次局务会
    held_on: Mapped[date]
    participants: Mapped[list[str]] = mapped_column(JSON)
    #: "approved", "rejected" or "deferred".
    outcome: Mapped[str] = mapped_column(String(20))
    summary: Mapped[str] = mapped_column(Text, default="")
    recorded_by: Mapped[str] = mapped_column(String(150))
    recorded_at: Mapped[datetime]


class ImplementationPlan(UUIDPrimaryKey, Base):
    """The implementation plan (实施方案, N1) an authorization is made under."""

    __tablename__ = "implementation_plans"

    title: Mapped[str] = mapped_column(String(200))
    #: The plan's required parts, by key (see ``plans.PLAN_SECTIONS``).
    sections: Mapped[dict[str, str]] = mapped_column(JSON)
    status: Mapped[str] = mapped_column(String(20), index=True)
    decision_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("collective_decisions.id"))
    created_by: Mapped[str] = mapped_column(String(150))
    created_at: Mapped[datetime]
    approved_at: Mapped[datetime | None]


class Authorization(UUIDPrimaryKey, Base):
    __tablename__ = "authorizations"
    __table_args__ = (
        Index("ix_authorizations_status_term_end", "status", "term_end"),
        Index("ix_authorizations_scenario_key", "scenario_key"),
    )

    #: The agreement's number, e.g. 营数授〔2026〕3号.
    number: Mapped[str] = mapped_column(String(60), unique=True)
    operator_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("organizations.id"), index=True)
    plan_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("implementation_plans.id"))
    #: The competitive consultation round that selected the operator, if any.
    selection_round_id: Mapped[uuid.UUID | None]
    #: "whole", "domain" or "scenario" (整体 / 分领域 / 依场景, R3.2).
    mode: Mapped[str] = mapped_column(String(20))
    domain: Mapped[str | None] = mapped_column(String(60))
    scenario: Mapped[str] = mapped_column(String(200))
    #: The scenario folded for comparison (one scenario, one authorization).
    scenario_key: Mapped[str] = mapped_column(String(200))
    purpose: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(20), index=True)
    term_years: Mapped[int]
    #: Set when the agreement takes effect: from the day both parties have signed, or the
    #: day after the previous term for a renewal.
    term_start: Mapped[date | None]
    term_end: Mapped[date | None]
    #: The version both parties sign and the scope rows reflect.
    version: Mapped[int] = mapped_column(Integer, default=1)
    decision_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("collective_decisions.id"))
    renewal_decision_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("collective_decisions.id")
    )
    renewed_from_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("authorizations.id"))
    created_by: Mapped[str] = mapped_column(String(150))
    created_at: Mapped[datetime]
    activated_at: Mapped[datetime | None]
    ended_at: Mapped[datetime | None]
    end_reason: Mapped[str | None] = mapped_column(Text)
    #: How it ended (``endings.Kind``): expiry, termination, rescission, revocation, exit,
    #: forced exit, or with the agreement it renews. Empty for agreements ended before 0016.
    end_kind: Mapped[str | None] = mapped_column(String(20))


class AuthorizationVersion(UUIDPrimaryKey, Base):
    """One version of an agreement's content; a scope change makes the next (R3.3)."""

    __tablename__ = "authorization_versions"
    __table_args__ = (
        UniqueConstraint("authorization_id", "number", name="uq_authorization_versions_number"),
    )

    authorization_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("authorizations.id"), index=True)
    number: Mapped[int]
    #: The agreement's content as signed: parties, mode, scenario, purpose, rights, term,
    #: scope items and clauses (see ``service.version_content``).
    content: Mapped[dict[str, Any]] = mapped_column(JSON)
    #: SM3 of the canonical form of ``content`` (``core.canonical``): what is signed.
    digest: Mapped[str] = mapped_column(String(64))
    #: Differences from the previous version, for people: [{"kind", "field", "before", "after"}].
    changes: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    reason: Mapped[str] = mapped_column(Text, default="")
    created_by: Mapped[str] = mapped_column(String(150))
    created_at: Mapped[datetime]


class AuthorizationScope(Base):
    """A data resource in an authorization's current scope."""

    __tablename__ = "authorization_scope"

    authorization_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("authorizations.id"), primary_key=True
    )
    resource_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("catalog_resources.id"), primary_key=True, index=True
    )
    entry_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("catalog_entries.id"))
    added_in_version: Mapped[int]


class AgreementSignature(UUIDPrimaryKey, Base):
    """One party's SM2 signature over one version's digest."""

    __tablename__ = "agreement_signatures"
    __table_args__ = (
        UniqueConstraint(
            "authorization_id", "version", "party", name="uq_agreement_signatures_party"
        ),
    )

    authorization_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("authorizations.id"), index=True)
    version: Mapped[int]
    #: "bureau" or "operator".
    party: Mapped[str] = mapped_column(String(20))
    organization_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("organizations.id"))
    signer: Mapped[str] = mapped_column(String(150))
    signed_at: Mapped[datetime]
    digest: Mapped[str] = mapped_column(String(64))
    public_key_hex: Mapped[str] = mapped_column(String(128))
    signature_hex: Mapped[str] = mapped_column(String(128))


class AuthorizationReminder(UUIDPrimaryKey, Base):
    """A reminder that an authorization's term is ending (90, 30, 7 days before)."""

    __tablename__ = "authorization_reminders"
    __table_args__ = (
        UniqueConstraint(
            "authorization_id", "term_end", "days_before", name="uq_authorization_reminders_day"
        ),
    )

    authorization_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("authorizations.id"), index=True)
    term_end: Mapped[date]
    days_before: Mapped[int]
    sent_at: Mapped[datetime]


class RectificationOrder(UUIDPrimaryKey, Base):
    """An order to rectify (整改) a violation, breach or major incident, with a deadline."""

    __tablename__ = "rectification_orders"

    authorization_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("authorizations.id"), index=True)
    #: "violation", "breach" or "major_incident" (R5.5).
    grounds: Mapped[str] = mapped_column(String(20))
    description: Mapped[str] = mapped_column(Text)
    deadline: Mapped[date]
    status: Mapped[str] = mapped_column(String(20), index=True)
    issued_by: Mapped[str] = mapped_column(String(150))
    issued_at: Mapped[datetime]
    report: Mapped[str | None] = mapped_column(Text)
    reported_at: Mapped[datetime | None]
    check_note: Mapped[str | None] = mapped_column(Text)
    checked_at: Mapped[datetime | None]


class ExitRequest(UUIDPrimaryKey, Base):
    """A voluntary or forced exit from an authorization (R5.4, R5.5)."""

    __tablename__ = "authorization_exits"

    authorization_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("authorizations.id"), index=True)
    #: "voluntary" or "forced".
    kind: Mapped[str] = mapped_column(String(20))
    status: Mapped[str] = mapped_column(String(20), index=True)
    #: The written request (voluntary) or the grounds (forced).
    letter: Mapped[str] = mapped_column(Text)
    exit_date: Mapped[date]
    requested_by: Mapped[str] = mapped_column(String(150))
    requested_at: Mapped[datetime]
    rectification_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("rectification_orders.id")
    )
    #: A forced exit's grounds ("major_breach", "violation", "major_incident", …), as the
    #: bureau named them; empty for a voluntary exit.
    grounds: Mapped[str | None] = mapped_column(String(20))
    #: Why liability is pursued (依法追究责任, R5.5), when the exit follows a refused,
    #: failed or missed rectification; empty otherwise.
    liability: Mapped[str | None] = mapped_column(Text)
    decision_reason: Mapped[str | None] = mapped_column(Text)
    decided_by: Mapped[str | None] = mapped_column(String(150))
    decided_at: Mapped[datetime | None]
    completed_at: Mapped[datetime | None]


class HandoverItem(UUIDPrimaryKey, Base):
    """One item of an exit's handover checklist (交接清单)."""

    __tablename__ = "exit_handover_items"

    exit_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("authorization_exits.id"), index=True)
    position: Mapped[int]
    title: Mapped[str] = mapped_column(String(200))
    done_at: Mapped[datetime | None]
    done_by: Mapped[str | None] = mapped_column(String(150))
    note: Mapped[str | None] = mapped_column(Text)


class AssetDisposal(UUIDPrimaryKey, Base):
    """Where one asset goes when the agreement ends (R5.7): to the government, or stays the
    operator's. Disposed of at every ending (expiry and termination too, not only exit)."""

    __tablename__ = "exit_asset_disposals"

    authorization_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("authorizations.id"), index=True)
    #: The exit the disposal belongs to, when the agreement ended by one.
    exit_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("authorization_exits.id"), index=True
    )
    name: Mapped[str] = mapped_column(String(200))
    #: "public_data_asset", "product", "operator_investment", or "software" / "hardware"
    #: from the agreement's register of assets.
    kind: Mapped[str] = mapped_column(String(30))
    #: "government" or "operator": fixed by ``kind`` (R5.7), or for software and hardware by
    #: the agreement's register; never chosen at disposal.
    goes_to: Mapped[str] = mapped_column(String(20))
    description: Mapped[str] = mapped_column(Text, default="")
    recorded_by: Mapped[str] = mapped_column(String(150))
    recorded_at: Mapped[datetime]


class AgreementAsset(UUIDPrimaryKey, Base):
    """Software or hardware used under an agreement, and who owns it as the agreement sets
    (软硬件资产归属, R5.7). Disposed of by this ownership when the agreement ends."""

    __tablename__ = "authorization_assets"

    authorization_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("authorizations.id"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    #: "software" or "hardware".
    kind: Mapped[str] = mapped_column(String(20))
    #: "government" or "operator".
    owner: Mapped[str] = mapped_column(String(20))
    description: Mapped[str] = mapped_column(Text, default="")
    recorded_by: Mapped[str] = mapped_column(String(150))
    recorded_at: Mapped[datetime]


class DeletionAttestation(UUIDPrimaryKey, Base):
    """The operator's attestation that the copies it held outside the platform are deleted
    (R5.6): due when the agreement ends, an uploaded document signed with the operator's SM2
    key over the SM3 of what it attests, checked by the bureau. ``status`` changes only
    through ``states.ATTESTATION``."""

    __tablename__ = "deletion_attestations"

    authorization_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("authorizations.id"), unique=True
    )
    operator_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("organizations.id"), index=True)
    status: Mapped[str] = mapped_column(String(20), index=True)
    due_on: Mapped[date]
    opened_at: Mapped[datetime]
    #: What the operator declares, in its own words.
    statement: Mapped[str | None] = mapped_column(Text)
    #: The uploaded document (kept SM4-sealed in the evidence store under its SM3).
    file_name: Mapped[str | None] = mapped_column(String(200))
    file_sm3: Mapped[str | None] = mapped_column(String(64))
    file_bytes: Mapped[int | None]
    #: What was signed: agreement, operator, statement, the file's name, size and SM3, when.
    content: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    #: SM3 of the canonical form of ``content``; the operator's SM2 signature over it.
    digest: Mapped[str | None] = mapped_column(String(64))
    public_key_hex: Mapped[str | None] = mapped_column(String(128))
    signature_hex: Mapped[str | None] = mapped_column(String(128))
    attested_by: Mapped[str | None] = mapped_column(String(150))
    attested_at: Mapped[datetime | None]
    checked_by: Mapped[str | None] = mapped_column(String(150))
    checked_at: Mapped[datetime | None]
    check_note: Mapped[str | None] = mapped_column(Text)


class DestructionCertificate(UUIDPrimaryKey, Base):
    """Proof that an ended authorization's derived data and keys were destroyed (R5.6)."""

    __tablename__ = "destruction_certificates"

    authorization_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("authorizations.id"), unique=True
    )
    number: Mapped[str] = mapped_column(String(60), unique=True)
    issued_at: Mapped[datetime]
    #: The certificate as signed: authorization, items destroyed with their SM3, the key.
    content: Mapped[dict[str, Any]] = mapped_column(JSON)
    digest: Mapped[str] = mapped_column(String(64))
    signer_organization_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("organizations.id"))
    public_key_hex: Mapped[str] = mapped_column(String(128))
    signature_hex: Mapped[str] = mapped_column(String(128))


class NumberSequence(Base):
    """The last number issued under a prefix (营数授〔2026〕, 营数销〔2026〕…).

    Allocated with one atomic upsert, so two agreements drafted at the same moment never
    get the same number (counting rows and adding one did).
    """

    __tablename__ = "number_sequences"

    prefix: Mapped[str] = mapped_column(String(60), primary_key=True)
    last: Mapped[int]
