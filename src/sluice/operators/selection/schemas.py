from __future__ import annotations

import uuid
from datetime import date, datetime
from enum import StrEnum
from typing import Any

from pydantic import BaseModel, Field, field_validator

from sluice.core.dates import BoundedDate


class RoundStatus(StrEnum):
    """The states of ``states.ROUND`` (a test keeps the two equal)."""

    DRAFT = "draft"
    OPEN = "open"
    SCORING = "scoring"
    RANKED = "ranked"
    PUBLISHED = "published"
    CANCELLED = "cancelled"


def _strip(value: Any) -> Any:
    return value.strip() if isinstance(value, str) else value


def _blank_to_none(value: Any) -> Any:
    value = _strip(value)
    return value or None


class CriterionIn(BaseModel):
    name: str = Field(min_length=1, max_length=100, examples=["技术方案"])
    weight: int = Field(ge=1, le=100, description="Integer percent; a round's weights total 100.")
    description: str | None = Field(default=None, max_length=2000)

    _name = field_validator("name", mode="before")(_strip)
    _description = field_validator("description", mode="before")(_blank_to_none)


class CriteriaSet(BaseModel):
    criteria: list[CriterionIn]


class RoundCreate(BaseModel):
    title: str = Field(min_length=2, max_length=200)
    scenario: str = Field(
        min_length=2,
        max_length=100,
        description="The scenario the authorization will be for (一场景一授权), e.g. 普惠金融.",
    )
    description: str = Field(min_length=2, max_length=8000)
    announced_on: BoundedDate = Field(
        description="Date of the consultation announcement (磋商公告)."
    )
    criteria: list[CriterionIn] | None = Field(
        default=None, description="Optional: the criteria at once (same rules as PUT criteria)."
    )

    _texts = field_validator("title", "scenario", "description", mode="before")(_strip)


class CandidateAdd(BaseModel):
    organization_id: uuid.UUID


class PanelMemberAdd(BaseModel):
    user_id: uuid.UUID


class Reason(BaseModel):
    reason: str = Field(min_length=2, max_length=4000)

    _reason = field_validator("reason", mode="before")(_strip)


class OperatorChoice(BaseModel):
    organization_id: uuid.UUID
    reason: str | None = Field(
        default=None,
        max_length=4000,
        description="Required unless the choice is the single top-ranked candidate; kept.",
    )

    _reason = field_validator("reason", mode="before")(_blank_to_none)


class ScoreIn(BaseModel):
    organization_id: uuid.UUID = Field(description="The candidate's organization.")
    criterion_id: uuid.UUID
    score: int = Field(ge=0, le=100)


class ScoresSubmit(BaseModel):
    scores: list[ScoreIn] = Field(min_length=1)


# --- reads ------------------------------------------------------------------------------


class CriterionRead(BaseModel):
    id: uuid.UUID
    position: int
    name: str
    weight: int
    description: str | None


class CandidateRead(BaseModel):
    organization_id: uuid.UUID
    name: str
    credit_code: str | None
    application_id: uuid.UUID
    registered_at: datetime


class PanelMemberRead(BaseModel):
    user_id: uuid.UUID
    username: str
    display_name: str
    named_at: datetime


class MissingScoreRead(BaseModel):
    member: str
    candidate: str
    criterion: str


class CriterionMean(BaseModel):
    criterion_id: uuid.UUID
    mean: str = Field(description="Mean of the panel's scores, two decimals.")
    mean_exact: str = Field(description="The exact mean as a fraction, e.g. 245/3.")


class RankingEntryRead(BaseModel):
    rank: int
    organization_id: uuid.UUID
    name: str
    weighted_score: str = Field(description="Σ weight% × panel mean, two decimals (0–100).")
    weighted_score_exact: str = Field(description="The exact weighted score as a fraction.")
    tied: bool = Field(description="Shares its rank with another candidate.")
    separated_by_tiebreak: bool = Field(
        description="Same weighted score as a neighbour, ranked by the highest-weighted criterion."
    )
    means: list[CriterionMean]


class RankingRead(BaseModel):
    tiebreak_criterion_id: uuid.UUID
    tie_at_top: bool = Field(
        description="Several candidates share rank 1: the bureau must choose with a reason."
    )
    entries: list[RankingEntryRead]


class ScoreSheetRow(BaseModel):
    organization_id: uuid.UUID
    name: str
    scores: dict[str, int | None] = Field(description="criterion id -> score, null if not yet.")


class ScoreSheetRead(BaseModel):
    round_id: uuid.UUID
    title: str
    status: RoundStatus
    member: str
    criteria: list[CriterionRead]
    rows: list[ScoreSheetRow]
    editable: bool
    missing: int


class SelectionRead(BaseModel):
    organization_id: uuid.UUID
    name: str
    reason: str | None
    top_ranked: bool = Field(description="The choice is the single top-ranked candidate.")
    selected_at: datetime
    selected_by: str | None


class RoundRead(BaseModel):
    id: uuid.UUID
    title: str
    scenario: str
    description: str
    announced_on: date
    status: RoundStatus
    created_at: datetime
    opened_at: datetime | None
    scoring_started_at: datetime | None
    scoring_closed_at: datetime | None
    published_at: datetime | None
    cancelled_at: datetime | None
    cancel_reason: str | None


class RoundDetail(RoundRead):
    criteria: list[CriterionRead]
    candidates: list[CandidateRead]
    panel: list[PanelMemberRead]
    missing_scores: list[MissingScoreRead] = Field(
        description="While scoring: what every named panel member has still to score."
    )
    ranking: RankingRead | None
    score_sheets: list[ScoreSheetRead] = Field(description="Per-member sheets (bureau only).")
    selection: SelectionRead | None
    actions: list[str] = Field(description="Transitions the caller may fire now.")


class PublicRankingEntry(BaseModel):
    rank: int
    name: str
    weighted_score: str
    tied: bool


class PublicResult(BaseModel):
    """What anyone may read once the result is published: no per-member scores."""

    id: uuid.UUID
    title: str
    scenario: str
    announced_on: date
    published_at: datetime
    criteria: list[CriterionRead]
    panel: list[str]
    ranking: list[PublicRankingEntry]
    selected_operator: str
    selected_organization_id: uuid.UUID
    selection_reason: str | None
    selected_on: date


class PublicResultSummary(BaseModel):
    id: uuid.UUID
    title: str
    scenario: str
    published_at: datetime
    selected_operator: str
