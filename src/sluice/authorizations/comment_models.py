"""Rounds of comments on a draft agreement (充分征求各方意见, R5.2).

A ``CommentRound`` sends one version of a draft to the parties it concerns, with a last
day; each party (``CommentParty``) may file comments on it until then
(``AgreementComment``), and the bureau records how it handled each. The round keeps the
version and digest it sent, and, once the agreement is decided, the collective decision
(三重一大) it went to and the version that decision was on.
"""

from __future__ import annotations

import uuid
from datetime import date, datetime

from sqlalchemy import ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from sluice.core.database import Base, UUIDPrimaryKey


class CommentRound(UUIDPrimaryKey, Base):
    """One version of a draft agreement out for comments. ``status`` changes only through
    ``comments.ROUND``."""

    __tablename__ = "agreement_comment_rounds"
    __table_args__ = (UniqueConstraint("authorization_id", "number"),)

    authorization_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("authorizations.id"), index=True)
    #: 1, 2, … within the agreement.
    number: Mapped[int]
    #: The agreement version sent, and its SM3 digest: what the comments are about.
    version: Mapped[int]
    digest: Mapped[str] = mapped_column(String(64))
    status: Mapped[str] = mapped_column(String(20), index=True)
    #: What the bureau asks the parties to look at.
    note: Mapped[str] = mapped_column(Text, default="")
    working_days: Mapped[int]
    #: The last day comments are taken (Asia/Shanghai), ``working_days`` after opening.
    due_on: Mapped[date]
    opened_by: Mapped[str] = mapped_column(String(150))
    opened_by_name: Mapped[str] = mapped_column(String(200))
    opened_at: Mapped[datetime]
    closed_by: Mapped[str | None] = mapped_column(String(150))
    closed_at: Mapped[datetime | None]
    #: The collective decision that approved the agreement with these comments before it,
    #: and the version it approved (later than ``version`` if comments changed the draft).
    decision_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("collective_decisions.id"))
    decided_version: Mapped[int | None]


class CommentParty(UUIDPrimaryKey, Base):
    """An organization asked for its comments in a round, and as what."""

    __tablename__ = "agreement_comment_parties"
    __table_args__ = (UniqueConstraint("round_id", "organization_id"),)

    round_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("agreement_comment_rounds.id"), index=True
    )
    organization_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("organizations.id"), index=True)
    #: "provider" (its data is in scope), "operator" or "finance".
    role: Mapped[str] = mapped_column(String(20))


class AgreementComment(UUIDPrimaryKey, Base):
    """One comment of one party on one part of the draft, and how the bureau handled it."""

    __tablename__ = "agreement_comments"

    round_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("agreement_comment_rounds.id"), index=True
    )
    organization_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("organizations.id"))
    role: Mapped[str] = mapped_column(String(20))
    #: The part of the agreement it is about: "general" or one of ``clauses.N1_PARTS``.
    part: Mapped[str] = mapped_column(String(40))
    body: Mapped[str] = mapped_column(Text)
    author: Mapped[str] = mapped_column(String(150))
    author_name: Mapped[str] = mapped_column(String(200))
    submitted_at: Mapped[datetime]
    #: "adopted", "partly" or "not_adopted"; empty until the bureau has handled it.
    outcome: Mapped[str | None] = mapped_column(String(20))
    #: How it was taken up, or why not (required unless adopted).
    response: Mapped[str | None] = mapped_column(Text)
    handled_by: Mapped[str | None] = mapped_column(String(150))
    handled_by_name: Mapped[str | None] = mapped_column(String(200))
    handled_at: Mapped[datetime | None]
