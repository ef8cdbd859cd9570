"""Queries of the rounds of comments on draft agreements, scoped to who is asking.

Who may see a round is decided once, by ``round_seen_by``: the bureau (and the platform
itself) every round, an organization the rounds it was asked to comment in, anyone else
none (a 404). Within a round an organization reads its own comments only; the bureau reads
all of them (``comments_seen``). The functions without a principal serve the agreement's
own rules (``service.decide`` asks whether a round is still open or a comment unhandled).
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any, Final, cast

from sqlalchemy import ColumnElement, Select, exists, false, func, select, true, update
from sqlalchemy.orm import Session

from sluice.authorizations.comment_models import AgreementComment, CommentParty, CommentRound
from sluice.authorizations.models import Authorization
from sluice.core.paging import Column, ListQuery, Page, contains, paginate
from sluice.core.permissions import OrgKind
from sluice.core.principal import Principal

#: The round is still taking comments (``comments.ROUND``'s first state).
OPEN: Final = "open"


def sees_all(actor: Principal) -> bool:
    return actor.is_system or actor.organization_kind == OrgKind.BUREAU


def round_seen_by(actor: Principal) -> ColumnElement[bool]:
    """The rounds ``actor`` may see, as a condition on ``CommentRound``."""
    if sees_all(actor):
        return true()
    if actor.organization_id is None:
        return false()
    return exists().where(
        CommentParty.round_id == CommentRound.id,
        CommentParty.organization_id == actor.organization_id,
    )


def round_for(
    session: Session, actor: Principal, round_id: uuid.UUID, *, for_update: bool = False
) -> CommentRound | None:
    query = select(CommentRound).where(CommentRound.id == round_id, round_seen_by(actor))
    if for_update:
        query = query.with_for_update()
    return session.scalar(query)


def rounds_of(session: Session, authorization_id: uuid.UUID) -> list[CommentRound]:
    query = select(CommentRound).where(CommentRound.authorization_id == authorization_id)
    return list(session.scalars(query.order_by(CommentRound.number)))


def open_round(session: Session, authorization_id: uuid.UUID) -> CommentRound | None:
    """The agreement's round still taking comments, if any (one at a time)."""
    query = select(CommentRound).where(
        CommentRound.authorization_id == authorization_id, CommentRound.status == OPEN
    )
    return session.scalar(query.order_by(CommentRound.number.desc()).limit(1))


def next_number(session: Session, authorization_id: uuid.UUID) -> int:
    query = select(func.max(CommentRound.number)).where(
        CommentRound.authorization_id == authorization_id
    )
    return int(session.scalar(query) or 0) + 1


def unhandled(session: Session, authorization_id: uuid.UUID) -> int:
    """Comments on this agreement whose handling the bureau has not recorded."""
    query = (
        select(func.count(AgreementComment.id))
        .join(CommentRound, CommentRound.id == AgreementComment.round_id)
        .where(
            CommentRound.authorization_id == authorization_id,
            AgreementComment.outcome.is_(None),
        )
    )
    return int(session.scalar(query) or 0)


def attach_to_decision(
    session: Session, authorization_id: uuid.UUID, decision_id: uuid.UUID, version: int
) -> None:
    """The rounds not yet before a decision went to this one, with the version it decided."""
    session.execute(
        update(CommentRound)
        .where(
            CommentRound.authorization_id == authorization_id,
            CommentRound.decision_id.is_(None),
        )
        .values(decision_id=decision_id, decided_version=version)
        .execution_options(synchronize_session="fetch")
    )


def parties(session: Session, round_id: uuid.UUID) -> list[CommentParty]:
    query = select(CommentParty).where(CommentParty.round_id == round_id)
    return list(session.scalars(query.order_by(CommentParty.role, CommentParty.organization_id)))


def party(session: Session, round_id: uuid.UUID, organization_id: uuid.UUID) -> CommentParty | None:
    query = select(CommentParty).where(
        CommentParty.round_id == round_id, CommentParty.organization_id == organization_id
    )
    return session.scalar(query)


def comments_seen(
    session: Session, actor: Principal, round_id: uuid.UUID
) -> list[AgreementComment]:
    """The round's comments ``actor`` may read, in the order they came."""
    query = select(AgreementComment).where(AgreementComment.round_id == round_id)
    if not sees_all(actor):
        if actor.organization_id is None:
            return []
        query = query.where(AgreementComment.organization_id == actor.organization_id)
    return list(session.scalars(query.order_by(AgreementComment.submitted_at, AgreementComment.id)))


def comments_of(session: Session, round_id: uuid.UUID, organization_id: uuid.UUID) -> int:
    query = select(func.count(AgreementComment.id)).where(
        AgreementComment.round_id == round_id, AgreementComment.organization_id == organization_id
    )
    return int(session.scalar(query) or 0)


def answered(session: Session, round_id: uuid.UUID) -> set[uuid.UUID]:
    """The organizations that have filed at least one comment in the round."""
    query = (
        select(AgreementComment.organization_id)
        .where(AgreementComment.round_id == round_id)
        .distinct()
    )
    return set(session.scalars(query))


def comment(
    session: Session, comment_id: uuid.UUID, *, for_update: bool = False
) -> AgreementComment | None:
    return session.get(AgreementComment, comment_id, with_for_update=for_update)


# -- the list of rounds and the workbench -----------------------------------------------------


@dataclass(frozen=True)
class RoundRow:
    round: CommentRound
    number: str
    scenario: str


ROUND_SORTS: Final[Mapping[str, Column]] = {
    "opened": CommentRound.opened_at,
    "due": CommentRound.due_on,
    "agreement": Authorization.created_at,
}


def round_page(session: Session, actor: Principal, query: ListQuery) -> Page[RoundRow]:
    """One page of the rounds ``actor`` sees. Filter ``status``; ``q`` searches the
    agreement's number and scenario."""
    statement = (
        select(CommentRound, Authorization.number, Authorization.scenario)
        .join(Authorization, Authorization.id == CommentRound.authorization_id)
        .where(round_seen_by(actor))
    )
    if status := query.filter("status"):
        statement = statement.where(CommentRound.status == status)
    if query.q:
        statement = statement.where(contains(query.q, Authorization.number, Authorization.scenario))
    page = paginate(
        session,
        cast("Select[Any]", statement),  # rows of several columns, read with scalars=False
        query,
        sorts=ROUND_SORTS,
        default="-opened",
        tiebreak=CommentRound.id,
        scalars=False,
    )
    rows = [RoundRow(r, number, scenario) for r, number, scenario in page.items]
    return Page(rows, page.total, page.query)


def awaiting(
    session: Session, organization_id: uuid.UUID, today: date, *, limit: int
) -> tuple[int, list[RoundRow]]:
    """Rounds still open to this organization in which it has said nothing yet: how many,
    and the first ``limit`` by their last day."""
    said = exists().where(
        AgreementComment.round_id == CommentRound.id,
        AgreementComment.organization_id == organization_id,
    )
    asked = exists().where(
        CommentParty.round_id == CommentRound.id,
        CommentParty.organization_id == organization_id,
    )
    conditions = (CommentRound.status == OPEN, CommentRound.due_on >= today, asked, ~said)
    total = session.scalar(select(func.count(CommentRound.id)).where(*conditions)) or 0
    rows = session.execute(
        select(CommentRound, Authorization.number, Authorization.scenario)
        .join(Authorization, Authorization.id == CommentRound.authorization_id)
        .where(*conditions)
        .order_by(CommentRound.due_on, CommentRound.id)
        .limit(limit)
    ).all()
    return int(total), [RoundRow(r, n, s) for r, n, s in rows]


def unhandled_comments(
    session: Session, *, limit: int
) -> tuple[int, list[tuple[AgreementComment, CommentRound, str]]]:
    """Every comment waiting for the bureau's handling: how many, and the oldest few with
    their round and the agreement's number."""
    base = (
        select(AgreementComment, CommentRound, Authorization.number)
        .join(CommentRound, CommentRound.id == AgreementComment.round_id)
        .join(Authorization, Authorization.id == CommentRound.authorization_id)
        .where(AgreementComment.outcome.is_(None))
    )
    total = session.scalar(select(func.count()).select_from(base.subquery())) or 0
    rows = session.execute(
        base.order_by(AgreementComment.submitted_at, AgreementComment.id).limit(limit)
    ).all()
    return int(total), [(c, r, n) for c, r, n in rows]


def to_close(session: Session, today: date, *, limit: int) -> tuple[int, list[RoundRow]]:
    """Open rounds whose last day has passed: the bureau closes them before deciding."""
    conditions = (CommentRound.status == OPEN, CommentRound.due_on < today)
    total = session.scalar(select(func.count(CommentRound.id)).where(*conditions)) or 0
    rows = session.execute(
        select(CommentRound, Authorization.number, Authorization.scenario)
        .join(Authorization, Authorization.id == CommentRound.authorization_id)
        .where(*conditions)
        .order_by(CommentRound.due_on, CommentRound.id)
        .limit(limit)
    ).all()
    return int(total), [RoundRow(r, n, s) for r, n, s in rows]
