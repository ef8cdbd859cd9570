"""Comments on a draft agreement (充分征求各方意见, R5.2). Keyword-only, no HTTP, no commit.

* The bureau sends a draft's current version out for comments (``open_round``) while the
  agreement is a draft or under review, one round at a time, with a last day a number of
  working days ahead on the statutory calendar (``core.workdays``). The parties asked are
  the ones it concerns: every provider whose data is in scope, the operator, and the
  finance bureau (accounting and the government's share of revenue).
* Each party's users see the round on their workbench and file comments (``comment``) until
  its last day, each on one part of the agreement (the N1 parts, or the draft as a whole);
  a party reads its own comments, never another party's.
* The bureau records how it handled each comment (``handle``): adopted, partly adopted or
  not adopted, with the reason unless adopted. It closes the round once the last day has
  passed, or earlier when every party has answered (``close``).
* ``service.decide`` refuses the collective decision (三重一大) while a round is open or a
  comment is unhandled; when the agreement is approved the rounds are kept with that
  decision and the version it approved, and shown with the agreement.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, Final

from sqlalchemy.orm import Session

from sluice.audit import service as audit
from sluice.audit.lifecycles import StateMachine, Transition
from sluice.authorizations import comment_repository as repo
from sluice.authorizations import parties, repository, service
from sluice.authorizations import states as st
from sluice.authorizations.clauses import N1_PARTS
from sluice.authorizations.comment_models import AgreementComment, CommentParty, CommentRound
from sluice.authorizations.models import Authorization, CollectiveDecision
from sluice.catalog import repository as catalog
from sluice.core.clock import local
from sluice.core.errors import Conflict, InvalidInput, NotFound
from sluice.core.i18n import MessageList, MessageRef, add_messages
from sluice.core.paging import ListQuery, Page
from sluice.core.permissions import Permission
from sluice.core.principal import Principal
from sluice.core.workdays import add_working_days

OPEN: Final = repo.OPEN
CLOSED: Final = "closed"

ROUND = StateMachine(
    entity="agreement_comment_round",
    entity_labels=("协议草案征求意见", "Round of comments on a draft agreement"),
    states={OPEN: ("征求意见中", "Open for comments"), CLOSED: ("已结束", "Closed")},
    initial=OPEN,
    transitions=(
        Transition(
            "close",
            (OPEN,),
            CLOSED,
            Permission.AUTHORIZATIONS_MANAGE,
            "结束征求意见",
            "Close the round",
        ),
    ),
)

OPENED = "agreement_comment_round.opened"
FILED = "agreement_comment.filed"
HANDLED = "agreement_comment.handled"

audit.declare_actions(
    {
        OPENED: ("协议草案征求意见", "Draft agreement sent out for comments"),
        FILED: ("对协议草案提出意见", "Comment on a draft agreement filed"),
        HANDLED: ("记录意见处理情况", "Handling of a comment recorded"),
    }
)
audit.declare_target_types(
    {
        "agreement_comment_round": ("协议草案征求意见", "Round of comments"),
        "agreement_comment": ("协议草案意见", "Comment on a draft agreement"),
    }
)
audit.declare_detail_labels(
    {
        "round": ("轮次", "Round"),
        "last_day": ("截止日", "Last day"),
        "parties": ("征求意见单位数", "Parties asked"),
        "comment": ("意见", "Comment"),
        "agreement_part": ("协议条款", "Part of the agreement"),
        "response": ("处理说明", "How it was handled"),
    }
)
audit.declare_detail_values("agreement_part", "comment_part.{value}", "clause.{value}")
audit.declare_detail_values("outcome", "comment_outcome.{value}")

#: Who is asked, in the order a round lists them.
ROLES: Final = ("provider", "operator", "finance")
#: What a comment may be about: the draft as a whole, or one of the parts N1 requires.
PARTS: Final = ("general", *N1_PARTS)
#: How the bureau handled a comment.
OUTCOMES: Final = ("adopted", "partly", "not_adopted")
#: Working days a round stays open unless the bureau chooses otherwise, and the bounds.
DEFAULT_WORKING_DAYS: Final = 10
MIN_WORKING_DAYS: Final = 3
MAX_WORKING_DAYS: Final = 30
#: Comments one party may file in one round (each on one part).
MAX_COMMENTS_PER_PARTY: Final = 30
MAX_BODY: Final = 4000
MAX_NOTE: Final = 2000

add_messages(
    {
        "comment_role.provider": ("数据提供部门", "Data provider"),
        "comment_role.operator": ("运营机构", "Operator"),
        "comment_role.finance": ("财政部门", "Finance bureau"),
        "comment_part.general": ("总体意见", "The draft as a whole"),
        "comment_outcome.adopted": ("采纳", "Adopted"),
        "comment_outcome.partly": ("部分采纳", "Partly adopted"),
        "comment_outcome.not_adopted": ("不采纳", "Not adopted"),
        "comments.not_found": (
            "没有这一轮征求意见，或您无权查看。",
            "There is no such round of comments, or you may not see it.",
        ),
        "comments.comment_not_found": ("没有这条意见。", "There is no such comment."),
        "comments.not_draft": (
            "协议处于“{status}”状态：只有草稿或审核中的协议才能征求意见。",
            "The agreement is {status}: only a draft or one under review can be sent out "
            "for comments.",
        ),
        "comments.already_open": (
            "第 {number} 轮征求意见尚未结束，结束后才能再开一轮。",
            "Round {number} is still open; close it before opening another.",
        ),
        "comments.working_days": (
            "征求意见期限为 {min} 至 {max} 个工作日。",
            "A round lasts {min} to {max} working days.",
        ),
        "comments.no_parties": (
            "协议范围内没有数据提供部门，无人可征求意见。",
            "No data provider is in the agreement's scope; there is nobody to ask.",
        ),
        "comments.closed": (
            "第 {number} 轮征求意见已结束，不再接收意见。",
            "Round {number} is closed and takes no more comments.",
        ),
        "comments.past_due": (
            "第 {number} 轮征求意见已于 {due} 截止，不再接收意见。",
            "Round {number} took comments until {due}; it takes no more.",
        ),
        "comments.part_unknown": (
            "请选择意见针对的协议内容。",
            "Choose the part of the agreement the comment is about.",
        ),
        "comments.body_length": (
            "意见内容须为 2 至 {max} 个字符。",
            "A comment is 2 to {max} characters long.",
        ),
        "comments.too_many": (
            "本轮贵单位已提出 {max} 条意见，不能再提。",
            "Your organization has filed {max} comments in this round; no more can be filed.",
        ),
        "comments.already_handled": (
            "这条意见的处理情况已于 {at} 记录，不能更改。",
            "How this comment was handled was recorded on {at} and cannot change.",
        ),
        "comments.outcome_unknown": (
            "请选择处理结果：采纳、部分采纳或不采纳。",
            "Choose how it was handled: adopted, partly adopted or not adopted.",
        ),
        "comments.reason_required": (
            "部分采纳或不采纳的，须说明理由。",
            "Give the reason when a comment is adopted only in part or not at all.",
        ),
        "comments.close_early": (
            "征求意见截止日为 {due}；截止前结束须各方均已反馈，尚未反馈：{missing}。",
            "The round runs until {due}; it can close earlier only once every party has "
            "answered, and {missing} have not.",
        ),
        "problem.comments_close_early": ("尚有单位未反馈", "Parties yet to answer"),
        "problem.comments_closed": ("征求意见已结束", "Round closed"),
    }
)


# -- reads ------------------------------------------------------------------------------------


def _seen(
    session: Session, actor: Principal, round_id: uuid.UUID, *, for_update: bool = False
) -> CommentRound:
    actor.require(Permission.AGREEMENT_COMMENTS_READ)
    found = repo.round_for(session, actor, round_id, for_update=for_update)
    if found is None:
        raise NotFound("comments.not_found")
    return found


def round_page(session: Session, actor: Principal, query: ListQuery) -> Page[repo.RoundRow]:
    """The rounds the actor sees: the bureau all, a party those it was asked in."""
    actor.require(Permission.AGREEMENT_COMMENTS_READ)
    return repo.round_page(session, actor, query)


def taking_comments(round_: CommentRound, today: date) -> bool:
    return round_.status == OPEN and today <= round_.due_on


@dataclass(frozen=True)
class PartyView:
    organization_id: uuid.UUID
    name: str
    role: str
    answered: bool


@dataclass(frozen=True)
class RoundView:
    """One round as a page shows it to its reader."""

    round: CommentRound
    authorization: Authorization
    operator: str
    #: The version sent, as it was sent (scope, term, clauses).
    content: dict[str, Any]
    parties: list[PartyView]
    #: The comments the reader may read, with their organizations' names.
    comments: list[AgreementComment]
    names: dict[uuid.UUID, str]
    #: The decision the round went to, if the agreement has been approved since.
    decision: CollectiveDecision | None
    #: The reader's organization is asked in this round (and may comment while it is open).
    asked: bool
    open_now: bool

    @property
    def unhandled(self) -> int:
        return sum(1 for c in self.comments if c.outcome is None)

    @property
    def missing(self) -> list[str]:
        return [p.name for p in self.parties if not p.answered]


def _view(session: Session, actor: Principal, round_: CommentRound, today: date) -> RoundView:
    authorization = repository.authorization(session, round_.authorization_id)
    if authorization is None:  # pragma: no cover - a round belongs to an agreement
        raise NotFound("comments.not_found")
    version = repository.version(session, authorization.id, round_.version)
    asked = repo.parties(session, round_.id)
    said = repo.answered(session, round_.id)
    names = parties.names(session, {p.organization_id for p in asked} | {authorization.operator_id})
    order = {role: i for i, role in enumerate(ROLES)}
    views = sorted(
        (
            PartyView(
                p.organization_id, names[p.organization_id], p.role, p.organization_id in said
            )
            for p in asked
        ),
        key=lambda v: (order.get(v.role, len(order)), v.name),
    )
    return RoundView(
        round=round_,
        authorization=authorization,
        operator=names[authorization.operator_id],
        content=version.content if version else {},
        parties=views,
        comments=repo.comments_seen(session, actor, round_.id),
        names=names,
        decision=repository.decision(session, round_.decision_id),
        asked=any(p.organization_id == actor.organization_id for p in asked),
        open_now=taking_comments(round_, today),
    )


def round_view(
    session: Session, actor: Principal, round_id: uuid.UUID, *, today: date
) -> RoundView:
    """A round the actor sees, with the draft sent and the comments the actor may read."""
    return _view(session, actor, _seen(session, actor, round_id), today)


def rounds_of_agreement(
    session: Session, actor: Principal, authorization: Authorization, *, today: date
) -> list[RoundView]:
    """The agreement's rounds for its page (whoever sees the agreement: the bureau all the
    comments, the operator its own)."""
    if not actor.has(Permission.AGREEMENT_COMMENTS_READ):
        return []
    return [_view(session, actor, r, today) for r in repo.rounds_of(session, authorization.id)]


def may_open(actor: Principal, authorization: Authorization, session: Session) -> bool:
    """Whether to offer the bureau the form to open a round now (``open_round`` decides)."""
    return (
        actor.has(Permission.AUTHORIZATIONS_MANAGE)
        and authorization.status in (st.DRAFT, st.UNDER_REVIEW)
        and repo.open_round(session, authorization.id) is None
    )


# -- acts -------------------------------------------------------------------------------------


def _parties_of(session: Session, authorization: Authorization) -> list[tuple[uuid.UUID, str]]:
    """Who a draft concerns: the providers of the data in scope, the operator, finance."""
    entries = [row.entry_id for row in repository.scope(session, authorization.id)]
    providers = sorted({e.provider_id for e in catalog.entries_by_ids(session, entries)})
    found: list[tuple[uuid.UUID, str]] = [(p, "provider") for p in providers]
    found.append((authorization.operator_id, "operator"))
    found.extend((org.id, "finance") for org in parties.finance_organizations(session))
    return found


def open_round(
    session: Session,
    *,
    actor: Principal,
    at: datetime,
    authorization_id: uuid.UUID,
    working_days: int = DEFAULT_WORKING_DAYS,
    note: str = "",
) -> CommentRound:
    """Send the draft's current version to the parties it concerns for comments."""
    actor.require(Permission.AUTHORIZATIONS_MANAGE)
    authorization = service.seen(session, actor, authorization_id)
    if authorization.status not in (st.DRAFT, st.UNDER_REVIEW):
        raise Conflict(
            "comments.not_draft",
            status=MessageRef(f"state.authorization.{authorization.status}"),
        )
    still_open = repo.open_round(session, authorization.id)
    if still_open is not None:
        raise Conflict("comments.already_open", number=still_open.number)
    if not MIN_WORKING_DAYS <= working_days <= MAX_WORKING_DAYS:
        raise InvalidInput(
            "comments.working_days",
            errors=[{"field": "working_days", "type": "range"}],
            min=MIN_WORKING_DAYS,
            max=MAX_WORKING_DAYS,
        )
    asked = _parties_of(session, authorization)
    if not any(role == "provider" for _, role in asked):
        raise Conflict("comments.no_parties")
    version = service.current_version(session, authorization)
    round_ = CommentRound(
        authorization_id=authorization.id,
        number=repo.next_number(session, authorization.id),
        version=version.number,
        digest=version.digest,
        status=ROUND.initial,
        note=note.strip()[:MAX_NOTE],
        working_days=working_days,
        due_on=add_working_days(local(at).date(), working_days),
        opened_by=actor.username,
        opened_by_name=actor.display_name or actor.username,
        opened_at=at,
    )
    session.add(round_)
    session.flush()
    for organization_id, role in asked:
        session.add(CommentParty(round_id=round_.id, organization_id=organization_id, role=role))
    session.flush()
    audit.record(
        session,
        actor=actor,
        action=OPENED,
        target_type="authorization",
        target_id=authorization.id,
        at=at,
        detail={
            "round": round_.number,
            "version": version.number,
            "last_day": round_.due_on.isoformat(),
            "parties": len(asked),
        },
    )
    return round_


def comment(
    session: Session,
    *,
    actor: Principal,
    at: datetime,
    round_id: uuid.UUID,
    part: str,
    body: str,
) -> AgreementComment:
    """A party's comment on one part of the draft, while the round takes comments."""
    actor.require(Permission.AGREEMENT_COMMENTS_FILE)
    round_ = _seen(session, actor, round_id)
    asked = repo.party(session, round_.id, actor.organization_id) if actor.organization_id else None
    if asked is None:
        raise NotFound("comments.not_found")
    if round_.status != OPEN:
        raise Conflict("comments.closed", problem_code="comments_closed", number=round_.number)
    if local(at).date() > round_.due_on:
        raise Conflict(
            "comments.past_due",
            problem_code="comments_closed",
            number=round_.number,
            due=round_.due_on.isoformat(),
        )
    text = body.strip()
    if part not in PARTS:
        raise InvalidInput("comments.part_unknown", errors=[{"field": "part", "type": "choice"}])
    if not 2 <= len(text) <= MAX_BODY:
        raise InvalidInput(
            "comments.body_length", errors=[{"field": "body", "type": "length"}], max=MAX_BODY
        )
    if repo.comments_of(session, round_.id, asked.organization_id) >= MAX_COMMENTS_PER_PARTY:
        raise Conflict("comments.too_many", max=MAX_COMMENTS_PER_PARTY)
    filed = AgreementComment(
        round_id=round_.id,
        organization_id=asked.organization_id,
        role=asked.role,
        part=part,
        body=text,
        author=actor.username,
        author_name=actor.display_name or actor.username,
        submitted_at=at,
    )
    session.add(filed)
    session.flush()
    audit.record(
        session,
        actor=actor,
        action=FILED,
        target_type="agreement_comment_round",
        target_id=round_.id,
        at=at,
        detail={"comment": str(filed.id), "agreement_part": part, "role": asked.role},
    )
    return filed


def handle(
    session: Session,
    *,
    actor: Principal,
    at: datetime,
    comment_id: uuid.UUID,
    outcome: str,
    response: str,
) -> AgreementComment:
    """Record how the bureau handled a comment: once, with the reason unless adopted."""
    actor.require(Permission.AUTHORIZATIONS_MANAGE)
    found = repo.comment(session, comment_id, for_update=True)
    if found is None:
        raise NotFound("comments.comment_not_found")
    _seen(session, actor, found.round_id)
    if found.outcome is not None and found.handled_at is not None:
        handled_on = local(found.handled_at).date().isoformat()
        raise Conflict("comments.already_handled", at=handled_on)
    if outcome not in OUTCOMES:
        raise InvalidInput(
            "comments.outcome_unknown", errors=[{"field": "outcome", "type": "choice"}]
        )
    text = response.strip()[:MAX_BODY]
    if outcome != "adopted" and len(text) < 2:
        raise InvalidInput(
            "comments.reason_required", errors=[{"field": "response", "type": "required"}]
        )
    found.outcome = outcome
    found.response = text
    found.handled_by = actor.username
    found.handled_by_name = actor.display_name or actor.username
    found.handled_at = at
    audit.record(
        session,
        actor=actor,
        action=HANDLED,
        target_type="agreement_comment",
        target_id=found.id,
        at=at,
        detail={"outcome": outcome, "response": text},
    )
    return found


def close(session: Session, *, actor: Principal, at: datetime, round_id: uuid.UUID) -> CommentRound:
    """Close a round: after its last day, or earlier once every party has answered."""
    actor.require(Permission.AUTHORIZATIONS_MANAGE)
    round_ = _seen(session, actor, round_id, for_update=True)
    ROUND.require(round_, "close")
    if local(at).date() <= round_.due_on:
        said = repo.answered(session, round_.id)
        silent = [p.organization_id for p in repo.parties(session, round_.id)]
        silent = [i for i in silent if i not in said]
        if silent:
            names = parties.names(session, silent)
            raise Conflict(
                "comments.close_early",
                problem_code="comments_close_early",
                due=round_.due_on.isoformat(),
                # Names are no message keys: the list only joins them the reader's way.
                missing=MessageList([names[i] for i in silent]),
            )
    ROUND.fire(
        round_, "close", session=session, actor=actor, at=at, detail={"number": round_.number}
    )
    round_.closed_by = actor.username
    round_.closed_at = at
    return round_
