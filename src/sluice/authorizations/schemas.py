"""Inputs and outputs of the authorization API and console forms."""

from __future__ import annotations

import uuid
from datetime import date
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from sluice.authorizations.clauses import AgreementClauses
from sluice.core.dates import BoundedDate


class _Input(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class DecisionIn(_Input):
    """A collective decision (三重一大) as recorded from the meeting's minutes."""

    meeting: str = Field(min_length=2, max_length=200)
    held_on: BoundedDate
    participants: list[str] = Field(min_length=3)
    outcome: Literal["approved", "rejected", "deferred"]
    summary: str = Field(default="", max_length=4000)

    @field_validator("participants")
    @classmethod
    def _named(cls, names: list[str]) -> list[str]:
        cleaned = [n.strip() for n in names if n.strip()]
        if len(set(cleaned)) != len(cleaned):
            raise ValueError("participants must be distinct")
        if len(cleaned) < 3:
            raise ValueError("a collective decision needs at least 3 participants")
        return cleaned


class PlanIn(_Input):
    title: str = Field(min_length=2, max_length=200)
    sections: dict[str, str]


class AuthorizationCreate(_Input):
    operator_id: uuid.UUID
    plan_id: uuid.UUID
    selection_round_id: uuid.UUID | None = None
    mode: Literal["whole", "domain", "scenario"] = "scenario"
    domain: str | None = Field(default=None, max_length=60)
    scenario: str = Field(min_length=2, max_length=200)
    purpose: str = Field(min_length=2, max_length=4000)
    rights: list[str] = Field(default_factory=lambda: ["processing", "product_operation"])
    term_years: int | None = Field(default=None, ge=1)
    entry_ids: list[uuid.UUID] = Field(min_length=1)
    clauses: AgreementClauses


class ScopeChange(_Input):
    add_entry_ids: list[uuid.UUID] = Field(default_factory=list)
    remove_entry_ids: list[uuid.UUID] = Field(default_factory=list)
    reason: str = Field(min_length=2, max_length=2000)


class ReasonIn(_Input):
    reason: str = Field(min_length=2, max_length=2000)


class TerminateIn(ReasonIn):
    """A request to terminate: carried out when another bureau user approves it, or at once
    when it cites an approved collective decision on this termination someone else recorded."""

    decision_id: uuid.UUID | None = Field(
        default=None, description="The collective decision (三重一大) it rests on, if any."
    )
    how: Literal["termination", "rescission", "revocation"] = Field(
        default="termination",
        description="How it ends: terminated (终止), rescinded (解除) or revoked (撤销), R5.6.",
    )


class MatterDecisionIn(DecisionIn):
    """A collective decision on one irreversible act on one object (e.g. terminating one
    agreement): ``act`` is the act's name, ``target_id`` the object's id."""

    act: str = Field(max_length=40, description="e.g. authorization.terminate")
    target_id: uuid.UUID


class ExitIn(_Input):
    letter: str = Field(min_length=10, max_length=8000)
    exit_date: BoundedDate


class RectificationIn(_Input):
    grounds: Literal["violation", "breach", "major_incident"]
    description: str = Field(min_length=2, max_length=4000)
    deadline: BoundedDate


class AuthorizationRead(BaseModel):
    id: uuid.UUID
    number: str
    status: str
    operator: str
    operator_id: uuid.UUID
    scenario: str
    mode: str
    term_start: date | None
    term_end: date | None
    version: int
