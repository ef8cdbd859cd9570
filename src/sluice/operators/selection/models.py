"""Competitive consultation (竞争性磋商, R5.2a): rounds, criteria, candidates, panel, scores."""

from __future__ import annotations

import uuid
from datetime import date, datetime

from sqlalchemy import CheckConstraint, ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from sluice.core.database import Base, UUIDPrimaryKey


class SelectionRound(UUIDPrimaryKey, Base):
    """One consultation for one scenario. ``status`` only changes through
    ``states.ROUND.fire``; the operator's selection and its reason are kept here
    (and in the audit log) once the bureau makes it."""

    __tablename__ = "selection_rounds"

    title: Mapped[str] = mapped_column(String(200))
    #: The scenario the authorization will be for (一场景一授权), e.g. 普惠金融.
    scenario: Mapped[str] = mapped_column(String(100), index=True)
    description: Mapped[str] = mapped_column(Text)
    #: The day the consultation announcement (磋商公告) is dated.
    announced_on: Mapped[date]
    status: Mapped[str] = mapped_column(String(20), index=True)
    created_at: Mapped[datetime]
    opened_at: Mapped[datetime | None]
    scoring_started_at: Mapped[datetime | None]
    scoring_closed_at: Mapped[datetime | None]
    published_at: Mapped[datetime | None]
    cancelled_at: Mapped[datetime | None]
    cancel_reason: Mapped[str | None] = mapped_column(Text)
    selected_organization_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("organizations.id"), index=True
    )
    #: Required when the bureau does not take the single top-ranked candidate.
    selection_reason: Mapped[str | None] = mapped_column(Text)
    selected_at: Mapped[datetime | None]
    selected_by_username: Mapped[str | None] = mapped_column(String(150))
    #: The agreement whose forced exit opened this round to select a new operator (R5.5),
    #: and its number as people read it; empty for a first selection. No foreign key: the
    #: agreements live in the layer above.
    follows_authorization_id: Mapped[uuid.UUID | None] = mapped_column(index=True, unique=True)
    follows_agreement: Mapped[str | None] = mapped_column(String(60))


class SelectionCriterion(UUIDPrimaryKey, Base):
    """A scoring criterion and its weight in integer percent; a round's weights total 100."""

    __tablename__ = "selection_criteria"
    __table_args__ = (
        UniqueConstraint("round_id", "name", name="uq_selection_criteria_round_id_name"),
        CheckConstraint("weight >= 1 AND weight <= 100", name="weight_percent"),
    )

    round_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("selection_rounds.id"), index=True)
    position: Mapped[int]
    name: Mapped[str] = mapped_column(String(100))
    weight: Mapped[int]
    description: Mapped[str | None] = mapped_column(Text)


class SelectionCandidate(UUIDPrimaryKey, Base):
    """An organization registered for the round on the strength of a qualified operator
    application (R2), which is kept so the record shows what qualified it."""

    __tablename__ = "selection_candidates"
    __table_args__ = (
        UniqueConstraint(
            "round_id", "organization_id", name="uq_selection_candidates_round_id_organization_id"
        ),
    )

    round_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("selection_rounds.id"), index=True)
    organization_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("organizations.id"), index=True)
    application_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("operator_applications.id"))
    registered_at: Mapped[datetime]


class SelectionPanelMember(UUIDPrimaryKey, Base):
    """A panel user the bureau named for the round. The name is copied when named: the
    published panel list shows who sat on the panel then, not a later renamed account."""

    __tablename__ = "selection_panel_members"
    __table_args__ = (
        UniqueConstraint("round_id", "user_id", name="uq_selection_panel_members_round_id_user_id"),
    )

    round_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("selection_rounds.id"), index=True)
    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id"), index=True)
    display_name: Mapped[str] = mapped_column(String(200))
    named_at: Mapped[datetime]


class SelectionScore(UUIDPrimaryKey, Base):
    """One panel member's score (0–100) of one candidate on one criterion; revisable while
    the round is scoring, every revision in the audit log."""

    __tablename__ = "selection_scores"
    __table_args__ = (
        UniqueConstraint(
            "member_id",
            "candidate_id",
            "criterion_id",
            name="uq_selection_scores_member_id_candidate_id_criterion_id",
        ),
        CheckConstraint("score >= 0 AND score <= 100", name="score_range"),
    )

    round_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("selection_rounds.id"), index=True)
    member_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("selection_panel_members.id"))
    candidate_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("selection_candidates.id"))
    criterion_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("selection_criteria.id"))
    score: Mapped[int]
    scored_at: Mapped[datetime]
