"""An operator's qualification application (R2) and everything it declares.

The applicant's own company is an entity of its ownership graph (``is_applicant``), so
records that describe an entity (financial statements, incidents, penalties, credit
records) all name the entity they belong to: that is what lets a controlled subsidiary
qualify for its parent (R2.9). Money is integer fen, shares integer basis points.
"""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from sluice.core.database import Base, UUIDPrimaryKey

_APPLICATION_FK = "operator_applications.id"
_ENTITY_FK = "operator_entities.id"


class OperatorApplication(UUIDPrimaryKey, Base):
    """``status`` only changes through ``states.APPLICATION.fire``."""

    __tablename__ = "operator_applications"

    organization_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("organizations.id"), index=True)
    company_name: Mapped[str] = mapped_column(String(200))
    company_name_en: Mapped[str | None] = mapped_column(String(200))
    #: Unified social credit code (统一社会信用代码), checksum-valid when written.
    credit_code: Mapped[str] = mapped_column(String(18))
    legal_representative: Mapped[str | None] = mapped_column(String(100))
    registered_address: Mapped[str | None] = mapped_column(String(300))
    established_on: Mapped[date | None]
    registered_capital_fen: Mapped[int | None] = mapped_column(BigInteger)
    business_scope: Mapped[str | None] = mapped_column(Text)
    #: The registration status (登记状态) the national enterprise credit information
    #: publicity system shows for the company (``schemas.BusinessStatus``); None until
    #: declared. A revoked, deregistered or suspended company cannot qualify (R2.1).
    business_status: Mapped[str | None] = mapped_column(String(20))
    status: Mapped[str] = mapped_column(String(20), index=True)
    created_by: Mapped[str] = mapped_column(String(150))
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]
    submitted_at: Mapped[datetime | None]
    decided_at: Mapped[datetime | None]
    decided_by: Mapped[str | None] = mapped_column(String(150))
    decision_reason: Mapped[str | None] = mapped_column(Text)
    #: How many times the automated checks ran; results of the latest run carry this number.
    checks_run: Mapped[int] = mapped_column(default=0)
    checked_at: Mapped[datetime | None]
    #: Overall verdict of the latest run: "qualifies", "qualifies_through", "needs_review"
    #: or "fails" (``checks.Verdict``).
    verdict: Mapped[str | None] = mapped_column(String(30))
    #: For "qualifies_through": the controlled entity that qualifies (R2.9) and the path
    #: from the applicant to it, as the check stored it.
    qualifying_entity_id: Mapped[uuid.UUID | None]
    qualifying_path: Mapped[list[dict[str, Any]] | None] = mapped_column(JSON)


class OperatorPrincipal(UUIDPrimaryKey, Base):
    """A principal person (主要负责人: legal representative, directors, managers; R2.2)."""

    __tablename__ = "operator_principals"

    application_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey(_APPLICATION_FK, ondelete="CASCADE"), index=True
    )
    name: Mapped[str] = mapped_column(String(100))
    position: Mapped[str] = mapped_column(String(100))
    nationality: Mapped[str] = mapped_column(String(2))
    #: Only ever the masked form (``210802********1234``); the full number is not kept.
    id_number_masked: Mapped[str | None] = mapped_column(String(40))
    major_penalty: Mapped[bool] = mapped_column(default=False)
    serious_dishonesty: Mapped[bool] = mapped_column(default=False)
    note: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime]


class OperatorEntity(UUIDPrimaryKey, Base):
    """A node of the ownership graph: a company, a state body, a person or another entity."""

    __tablename__ = "operator_entities"
    __table_args__ = (
        UniqueConstraint("application_id", "name", name="uq_operator_entities_application_name"),
    )

    application_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey(_APPLICATION_FK, ondelete="CASCADE"), index=True
    )
    #: ``ownership.NodeKind``.
    kind: Mapped[str] = mapped_column(String(20))
    name: Mapped[str] = mapped_column(String(200))
    #: ISO 3166-1 alpha-2 of the place of registration, or a person's nationality.
    jurisdiction: Mapped[str] = mapped_column(String(2))
    credit_code: Mapped[str | None] = mapped_column(String(18))
    is_applicant: Mapped[bool] = mapped_column(default=False)
    note: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime]


class OperatorLink(UUIDPrimaryKey, Base):
    """An edge of the ownership graph, from the party with the stake or the power to the
    entity it bears on (``ownership.Link``)."""

    __tablename__ = "operator_links"
    __table_args__ = (
        UniqueConstraint(
            "holder_id", "held_id", "relation", name="uq_operator_links_holder_held_relation"
        ),
    )

    application_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey(_APPLICATION_FK, ondelete="CASCADE"), index=True
    )
    holder_id: Mapped[uuid.UUID] = mapped_column(ForeignKey(_ENTITY_FK, ondelete="CASCADE"))
    held_id: Mapped[uuid.UUID] = mapped_column(ForeignKey(_ENTITY_FK, ondelete="CASCADE"))
    #: ``ownership.Relation``.
    relation: Mapped[str] = mapped_column(String(20))
    share_bp: Mapped[int | None]
    created_at: Mapped[datetime]


class OperatorCreditRecord(UUIDPrimaryKey, Base):
    """A bad record on the national credit information platform (信用中国, R2.3)."""

    __tablename__ = "operator_credit_records"

    application_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey(_APPLICATION_FK, ondelete="CASCADE"), index=True
    )
    entity_id: Mapped[uuid.UUID] = mapped_column(ForeignKey(_ENTITY_FK), index=True)
    #: ``schemas.CreditCategory``.
    category: Mapped[str] = mapped_column(String(40))
    source: Mapped[str] = mapped_column(String(100))
    listed_on: Mapped[date]
    #: The day it was removed from the list (信用修复), if it was.
    removed_on: Mapped[date | None]
    description: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime]


class OperatorPenalty(UUIDPrimaryKey, Base):
    """An administrative penalty (行政处罚) on an entity of the graph."""

    __tablename__ = "operator_penalties"

    application_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey(_APPLICATION_FK, ondelete="CASCADE"), index=True
    )
    entity_id: Mapped[uuid.UUID] = mapped_column(ForeignKey(_ENTITY_FK), index=True)
    decided_on: Mapped[date]
    authority: Mapped[str] = mapped_column(String(200))
    document_no: Mapped[str | None] = mapped_column(String(100))
    #: A major penalty (重大行政处罚: large fines, licence revoked, business suspended).
    major: Mapped[bool] = mapped_column(default=False)
    amount_fen: Mapped[int | None] = mapped_column(BigInteger)
    description: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime]


class OperatorIncident(UUIDPrimaryKey, Base):
    """A network or data security incident (R2.8)."""

    __tablename__ = "operator_incidents"

    application_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey(_APPLICATION_FK, ondelete="CASCADE"), index=True
    )
    entity_id: Mapped[uuid.UUID] = mapped_column(ForeignKey(_ENTITY_FK), index=True)
    occurred_on: Mapped[date]
    #: "network" or "data".
    kind: Mapped[str] = mapped_column(String(10))
    description: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime]


class OperatorFinancials(UUIDPrimaryKey, Base):
    """One fiscal year's statements of an entity, in fen (R2.5)."""

    __tablename__ = "operator_financial_statements"
    __table_args__ = (
        UniqueConstraint(
            "entity_id", "fiscal_year", name="uq_operator_financial_statements_entity_year"
        ),
    )

    application_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey(_APPLICATION_FK, ondelete="CASCADE"), index=True
    )
    entity_id: Mapped[uuid.UUID] = mapped_column(ForeignKey(_ENTITY_FK), index=True)
    fiscal_year: Mapped[int]
    total_assets_fen: Mapped[int] = mapped_column(BigInteger)
    total_liabilities_fen: Mapped[int] = mapped_column(BigInteger)
    net_assets_fen: Mapped[int] = mapped_column(BigInteger)
    revenue_fen: Mapped[int] = mapped_column(BigInteger)
    net_profit_fen: Mapped[int] = mapped_column(BigInteger)
    #: Funds committed to data governance and initial operation.
    committed_funds_fen: Mapped[int] = mapped_column(BigInteger)
    #: "unqualified", "qualified", "adverse" or "disclaimer".
    audit_opinion: Mapped[str] = mapped_column(String(20))
    auditor: Mapped[str | None] = mapped_column(String(200))
    created_at: Mapped[datetime]


class OperatorChecklistItem(UUIDPrimaryKey, Base):
    """A condition the reviewer judges by hand (R2.6, R2.7, R2.8, R2.10); the bureau keeps
    the list."""

    __tablename__ = "operator_checklist_items"

    key: Mapped[str] = mapped_column(String(60), unique=True)
    requirement: Mapped[str] = mapped_column(String(10))
    title_zh: Mapped[str] = mapped_column(String(200))
    title_en: Mapped[str] = mapped_column(String(200))
    description_zh: Mapped[str] = mapped_column(Text, default="")
    description_en: Mapped[str] = mapped_column(Text, default="")
    evidence_required: Mapped[bool] = mapped_column(default=True)
    #: The item may be met by relying on the platform the bureau provides instead of the
    #: applicant's own means (processing capacity, R2.6: 可依托实施机构提供的运营平台开展业务).
    accepts_platform_reliance: Mapped[bool] = mapped_column(default=False)
    active: Mapped[bool] = mapped_column(default=True)
    position: Mapped[int] = mapped_column(default=0)
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]


class OperatorChecklistAnswer(UUIDPrimaryKey, Base):
    """The applicant's statement on one checklist item and the reviewer's judgment of it."""

    __tablename__ = "operator_checklist_answers"
    __table_args__ = (
        UniqueConstraint(
            "application_id", "item_id", name="uq_operator_checklist_answers_application_item"
        ),
    )

    application_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey(_APPLICATION_FK, ondelete="CASCADE"), index=True
    )
    item_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("operator_checklist_items.id"))
    statement: Mapped[str | None] = mapped_column(Text)
    #: The applicant meets the item by relying on the bureau's platform (only where the
    #: item accepts that); its own evidence is then not required.
    relies_on_platform: Mapped[bool] = mapped_column(default=False)
    #: None until judged; then "met" or "not_met".
    judgment: Mapped[str | None] = mapped_column(String(10))
    note: Mapped[str | None] = mapped_column(Text)
    judged_at: Mapped[datetime | None]
    judged_by: Mapped[str | None] = mapped_column(String(150))


class OperatorEvidence(UUIDPrimaryKey, Base):
    """An uploaded document. The file lives under ``<home>/evidence/<sm3>`` and is kept."""

    __tablename__ = "operator_evidence"

    application_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey(_APPLICATION_FK, ondelete="CASCADE"), index=True
    )
    #: The checklist item it supports, or None for a document of the application as a whole
    #: (business licence, audit report …).
    item_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("operator_checklist_items.id"))
    title: Mapped[str] = mapped_column(String(200))
    filename: Mapped[str] = mapped_column(String(255))
    content_type: Mapped[str] = mapped_column(String(100))
    size_bytes: Mapped[int] = mapped_column(BigInteger)
    sm3: Mapped[str] = mapped_column(String(64), index=True)
    uploaded_by: Mapped[str] = mapped_column(String(150))
    uploaded_at: Mapped[datetime]


class OperatorCheckResult(UUIDPrimaryKey, Base):
    """One automated check of one run, for the applicant or a controlled entity (R2.9)."""

    __tablename__ = "operator_check_results"
    __table_args__ = (Index("ix_operator_check_results_application_run", "application_id", "run"),)

    application_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey(_APPLICATION_FK, ondelete="CASCADE")
    )
    run: Mapped[int]
    #: Order within the run: the applicant's checks first, then each entity tried (R2.9).
    position: Mapped[int]
    #: The graph entity checked (not a foreign key: results outlive edits of the graph).
    entity_id: Mapped[uuid.UUID | None]
    entity_name: Mapped[str] = mapped_column(String(200))
    #: True for the applicant's own results; False for a controlled entity's (R2.9).
    for_applicant: Mapped[bool] = mapped_column(default=True)
    check: Mapped[str] = mapped_column(String(30))
    requirement: Mapped[str] = mapped_column(String(10))
    #: "pass", "fail" or "needs_review".
    result: Mapped[str] = mapped_column(String(20))
    #: {"key": message key, "params": {...}, "findings": [{"result", "key", "params"}]}
    explanation: Mapped[dict[str, Any]] = mapped_column(JSON)
    #: For the ownership check: each path as [{"entity_id", "name", "jurisdiction",
    #: "relation", "share_bp", "foreign"}], from the checked entity to a foreign element.
    paths: Mapped[list[list[dict[str, Any]]]] = mapped_column(JSON, default=list)
    ran_at: Mapped[datetime]
