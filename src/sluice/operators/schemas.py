"""What the API and the console forms accept and return for operator applications."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from enum import StrEnum
from typing import Any

from pydantic import BaseModel, Field, field_validator

from sluice.core.dates import BoundedDate
from sluice.operators import jurisdictions
from sluice.operators.ownership import NodeKind, Relation


class ApplicationStatus(StrEnum):
    """The states of ``states.APPLICATION`` (a test keeps the two equal)."""

    DRAFT = "draft"
    SUBMITTED = "submitted"
    RETURNED = "returned"
    QUALIFIED = "qualified"
    REJECTED = "rejected"


class CreditCategory(StrEnum):
    DISHONEST_DEBTOR = "dishonest_debtor"  # 失信被执行人
    SERIOUS_DISHONESTY = "serious_dishonesty"  # 严重失信主体名单
    ABNORMAL_OPERATION = "abnormal_operation"  # 经营异常名录
    TAX_VIOLATION = "tax_violation"  # 重大税收违法失信主体
    PROCUREMENT_BAN = "procurement_ban"  # 政府采购严重违法失信行为记录
    OTHER = "other"


class BusinessStatus(StrEnum):
    """A company's registration status (登记状态) on the national enterprise credit
    information publicity system (国家企业信用信息公示系统)."""

    EXISTING = "existing"  # 存续（在营、开业、在册）
    IN_BUSINESS = "in_business"  # 在业
    SUSPENDED = "suspended"  # 停业
    REVOKED = "revoked"  # 吊销
    CANCELLED = "cancelled"  # 注销


class IncidentKind(StrEnum):
    NETWORK = "network"
    DATA = "data"


class AuditOpinion(StrEnum):
    UNQUALIFIED = "unqualified"  # 标准无保留意见
    QUALIFIED = "qualified"  # 保留意见
    ADVERSE = "adverse"  # 否定意见
    DISCLAIMER = "disclaimer"  # 无法表示意见


class Judgment(StrEnum):
    MET = "met"
    NOT_MET = "not_met"


class Decision(StrEnum):
    QUALIFY = "qualify"
    REJECT = "reject"
    RETURN = "return"


def _strip(value: Any) -> Any:
    if isinstance(value, str):
        return value.strip()
    return value


def _blank_to_none(value: Any) -> Any:
    if isinstance(value, str):
        value = value.strip()
        return value or None
    return value


def _jurisdiction(value: Any) -> Any:
    if isinstance(value, str):
        value = jurisdictions.normalize(value)
        if not jurisdictions.is_code(value):
            raise ValueError("an ISO 3166-1 alpha-2 code such as CN, HK or US")
    return value


class ApplicationCreate(BaseModel):
    """Blank company name or credit code: taken from the organization's registration."""

    company_name: str | None = Field(default=None, max_length=200)
    company_name_en: str | None = Field(default=None, max_length=200)
    credit_code: str | None = Field(default=None, max_length=40)
    legal_representative: str | None = Field(default=None, max_length=100)
    registered_address: str | None = Field(default=None, max_length=300)
    established_on: BoundedDate | None = None
    registered_capital_fen: int | None = Field(default=None, ge=0)
    business_scope: str | None = Field(default=None, max_length=4000)
    business_status: BusinessStatus | None = None

    _blanks = field_validator(
        "company_name",
        "company_name_en",
        "credit_code",
        "legal_representative",
        "registered_address",
        "business_scope",
        "business_status",
        mode="before",
    )(_blank_to_none)


class ApplicationUpdate(ApplicationCreate):
    """Fields left out (or null) stay as they are."""


class PrincipalCreate(BaseModel):
    name: str = Field(min_length=1, max_length=100)
    position: str = Field(min_length=1, max_length=100)
    nationality: str = Field(default="CN", min_length=2, max_length=2)
    #: Only its masked form is stored.
    id_number: str | None = Field(default=None, max_length=40)
    major_penalty: bool = False
    serious_dishonesty: bool = False
    note: str | None = Field(default=None, max_length=2000)

    _strips = field_validator("name", "position", mode="before")(_strip)
    _blanks = field_validator("id_number", "note", mode="before")(_blank_to_none)
    _code = field_validator("nationality", mode="before")(_jurisdiction)


class EntityCreate(BaseModel):
    kind: NodeKind
    name: str = Field(min_length=1, max_length=200)
    jurisdiction: str = Field(min_length=2, max_length=2)
    credit_code: str | None = Field(default=None, max_length=40)
    note: str | None = Field(default=None, max_length=2000)

    _strips = field_validator("name", mode="before")(_strip)
    _blanks = field_validator("credit_code", "note", mode="before")(_blank_to_none)
    _code = field_validator("jurisdiction", mode="before")(_jurisdiction)


class EntityUpdate(BaseModel):
    kind: NodeKind | None = None
    name: str | None = Field(default=None, min_length=1, max_length=200)
    jurisdiction: str | None = Field(default=None, min_length=2, max_length=2)
    credit_code: str | None = Field(default=None, max_length=40)
    note: str | None = Field(default=None, max_length=2000)

    _blanks = field_validator("name", "credit_code", "note", mode="before")(_blank_to_none)
    _code = field_validator("jurisdiction", mode="before")(_jurisdiction)


class LinkCreate(BaseModel):
    """``holder`` has the stake or the power; ``held`` is the entity it bears on."""

    holder_id: uuid.UUID
    held_id: uuid.UUID
    relation: Relation
    share_bp: int | None = Field(default=None, ge=1, le=10000, description="Basis points.")


class CreditRecordCreate(BaseModel):
    entity_id: uuid.UUID | None = Field(default=None, description="Default: the applicant.")
    category: CreditCategory
    source: str = Field(default="信用中国", min_length=1, max_length=100)
    listed_on: BoundedDate
    removed_on: BoundedDate | None = None
    description: str = Field(min_length=2, max_length=4000)

    _strips = field_validator("source", "description", mode="before")(_strip)


class PenaltyCreate(BaseModel):
    entity_id: uuid.UUID | None = Field(default=None, description="Default: the applicant.")
    decided_on: BoundedDate
    authority: str = Field(min_length=2, max_length=200)
    document_no: str | None = Field(default=None, max_length=100)
    major: bool = False
    amount_fen: int | None = Field(default=None, ge=0)
    description: str = Field(min_length=2, max_length=4000)

    _strips = field_validator("authority", "description", mode="before")(_strip)
    _blanks = field_validator("document_no", mode="before")(_blank_to_none)


class IncidentCreate(BaseModel):
    entity_id: uuid.UUID | None = Field(default=None, description="Default: the applicant.")
    occurred_on: BoundedDate
    kind: IncidentKind
    description: str = Field(min_length=2, max_length=4000)

    _strips = field_validator("description", mode="before")(_strip)


class FinancialsIn(BaseModel):
    """One fiscal year's statements; saving the same entity and year again replaces them."""

    entity_id: uuid.UUID | None = Field(default=None, description="Default: the applicant.")
    fiscal_year: int = Field(ge=1990, le=2200)
    total_assets_fen: int = Field(ge=0)
    total_liabilities_fen: int = Field(ge=0)
    net_assets_fen: int
    revenue_fen: int = Field(ge=0)
    net_profit_fen: int
    committed_funds_fen: int = Field(ge=0)
    audit_opinion: AuditOpinion
    auditor: str | None = Field(default=None, max_length=200)

    _blanks = field_validator("auditor", mode="before")(_blank_to_none)


class ChecklistStatement(BaseModel):
    statement: str = Field(min_length=2, max_length=8000)
    #: Meet the item by relying on the bureau's platform (where the item accepts that).
    relies_on_platform: bool = False

    _strips = field_validator("statement", mode="before")(_strip)


class ItemJudgment(BaseModel):
    judgment: Judgment
    note: str | None = Field(default=None, max_length=4000)

    _blanks = field_validator("note", mode="before")(_blank_to_none)


class DecisionIn(BaseModel):
    decision: Decision
    #: Required; the service refuses a blank reason with ``operators.reason_required``.
    reason: str = Field(default="", max_length=8000)

    _strips = field_validator("reason", mode="before")(_strip)


class ChecklistItemCreate(BaseModel):
    key: str = Field(min_length=2, max_length=60, pattern=r"^[a-z][a-z0-9_]*$")
    requirement: str = Field(pattern=r"^R2\.(1|6|7|8|10)$")
    title_zh: str = Field(min_length=2, max_length=200)
    title_en: str = Field(min_length=2, max_length=200)
    description_zh: str = Field(default="", max_length=4000)
    description_en: str = Field(default="", max_length=4000)
    evidence_required: bool = True
    accepts_platform_reliance: bool = False
    active: bool = True
    position: int = Field(default=1000, ge=0, le=10000)

    _strips = field_validator("title_zh", "title_en", "description_zh", "description_en")(_strip)


class ChecklistItemUpdate(BaseModel):
    requirement: str | None = Field(default=None, pattern=r"^R2\.(1|6|7|8|10)$")
    title_zh: str | None = Field(default=None, min_length=2, max_length=200)
    title_en: str | None = Field(default=None, min_length=2, max_length=200)
    description_zh: str | None = Field(default=None, max_length=4000)
    description_en: str | None = Field(default=None, max_length=4000)
    evidence_required: bool | None = None
    accepts_platform_reliance: bool | None = None
    active: bool | None = None
    position: int | None = Field(default=None, ge=0, le=10000)


# --- reads ------------------------------------------------------------------------------


class ApplicationRead(BaseModel):
    id: uuid.UUID
    organization_id: uuid.UUID
    company_name: str
    company_name_en: str | None
    credit_code: str
    legal_representative: str | None
    registered_address: str | None
    established_on: date | None
    registered_capital_fen: int | None
    business_scope: str | None
    business_status: BusinessStatus | None
    status: ApplicationStatus
    created_at: datetime
    updated_at: datetime
    submitted_at: datetime | None
    decided_at: datetime | None
    decided_by: str | None
    decision_reason: str | None
    checks_run: int
    checked_at: datetime | None
    verdict: str | None = Field(
        description="qualifies, qualifies_through, needs_review or fails (latest run)."
    )


class PrincipalRead(BaseModel):
    id: uuid.UUID
    name: str
    position: str
    nationality: str
    id_number_masked: str | None
    major_penalty: bool
    serious_dishonesty: bool
    note: str | None


class EntityRead(BaseModel):
    id: uuid.UUID
    kind: NodeKind
    name: str
    jurisdiction: str
    credit_code: str | None
    is_applicant: bool
    note: str | None


class LinkRead(BaseModel):
    id: uuid.UUID
    holder_id: uuid.UUID
    held_id: uuid.UUID
    relation: Relation
    share_bp: int | None


class CreditRecordRead(BaseModel):
    id: uuid.UUID
    entity_id: uuid.UUID
    category: CreditCategory
    source: str
    listed_on: date
    removed_on: date | None
    description: str


class PenaltyRead(BaseModel):
    id: uuid.UUID
    entity_id: uuid.UUID
    decided_on: date
    authority: str
    document_no: str | None
    major: bool
    amount_fen: int | None
    description: str


class IncidentRead(BaseModel):
    id: uuid.UUID
    entity_id: uuid.UUID
    occurred_on: date
    kind: IncidentKind
    description: str


class FinancialsRead(FinancialsIn):
    id: uuid.UUID
    entity_id: uuid.UUID


class EvidenceRead(BaseModel):
    id: uuid.UUID
    item_key: str | None
    title: str
    filename: str
    content_type: str
    size_bytes: int
    sm3: str
    uploaded_by: str
    uploaded_at: datetime


class FindingRead(BaseModel):
    result: str
    message: str


class PathStep(BaseModel):
    entity_id: str
    name: str
    jurisdiction: str
    relation: str | None
    share_bp: int | None
    foreign: bool
    label: str = Field(description="How this entity relates to the one before it.")


class CheckRead(BaseModel):
    check: str
    requirement: str
    entity_name: str
    for_applicant: bool
    result: str
    message: str
    findings: list[FindingRead]
    paths: list[list[PathStep]]


class ChecklistAnswerRead(BaseModel):
    item_key: str
    requirement: str
    title: str
    evidence_required: bool
    accepts_platform_reliance: bool
    relies_on_platform: bool
    statement: str | None
    evidence: list[uuid.UUID]
    judgment: Judgment | None
    note: str | None
    judged_by: str | None
    judged_at: datetime | None


class ApplicationDetail(ApplicationRead):
    verdict_message: str | None
    qualifying_path: list[PathStep] | None
    principals: list[PrincipalRead]
    entities: list[EntityRead]
    links: list[LinkRead]
    credit_records: list[CreditRecordRead]
    penalties: list[PenaltyRead]
    incidents: list[IncidentRead]
    financials: list[FinancialsRead]
    evidence: list[EvidenceRead]
    checklist: list[ChecklistAnswerRead]
    checks: list[CheckRead]
    actions: list[str] = Field(description="Transitions the caller may fire now.")


class ChecklistItemRead(BaseModel):
    id: uuid.UUID
    key: str
    requirement: str
    title_zh: str
    title_en: str
    description_zh: str
    description_en: str
    evidence_required: bool
    accepts_platform_reliance: bool
    active: bool
    position: int
