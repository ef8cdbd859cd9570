"""Competitive consultation (竞争性磋商, R5.2a): the bureau chooses an operator for a scenario
from several qualified candidates scored by a panel, and keeps its reasons.
Keyword-only, no HTTP, no commit.

* The bureau drafts a round with its criteria and their weights (integer percent, at least
  one criterion, totalling 100). Opening the round fixes them.
* Candidates are organizations with a qualified operator application (R2), registered while
  the round is draft or open; scoring starts with at least
  ``Settings.selection_min_candidates`` of them, all still qualified, and at least one
  panel member.
* The bureau names the panel from the users holding the panel role. Each member scores
  each candidate on each criterion, 0–100, and may revise until scoring closes; nobody else
  scores (``not_on_panel``). Scoring closes only when every cell is filled; what is missing
  is listed.
* Ranking: a candidate's weighted score is Σ weight% × the panel's mean on the criterion,
  computed exactly (fractions) and shown with two decimals. Equal weighted scores are
  separated by the mean on the highest-weighted criterion (the first listed if several
  share the top weight); candidates still equal share a rank, and a tie at the top is named
  as such: the bureau must break it with a reason.
* The bureau selects the operator: the single top-ranked one, or any other candidate with a
  written reason. Both are kept on the round and in the audit log. Publishing makes the
  result public: ranking, weighted scores, panel names, the operator and the date;
  the members' individual score sheets stay with the bureau.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy.orm import Session

from sluice.audit import service as audit
from sluice.core.clock import Clock, local
from sluice.core.errors import Conflict, InvalidInput, NotFound, PermissionDenied
from sluice.core.i18n import ZH, MessageList, add_messages
from sluice.core.paging import ListQuery, Page
from sluice.core.permissions import Permission
from sluice.core.principal import Principal
from sluice.core.settings import Settings
from sluice.operators import qualified
from sluice.operators.selection import repository
from sluice.operators.selection.models import (
    SelectionCandidate,
    SelectionCriterion,
    SelectionPanelMember,
    SelectionRound,
    SelectionScore,
)
from sluice.operators.selection.ranking import Ranking, exact, rank
from sluice.operators.selection.repository import (
    NamedCandidate,
    NamedMember,
    OrganizationChoice,
    PanelUser,
)
from sluice.operators.selection.schemas import CriterionIn, RoundCreate, ScoreIn
from sluice.operators.selection.states import (
    DRAFT,
    PREPARING,
    PUBLISHED,
    RANKED,
    ROUND,
    SCORING,
)

CREATED = "selection_round.created"
CRITERIA_SET = "selection_round.criteria_set"
CANDIDATE_ADDED = "selection_round.candidate_added"
CANDIDATE_REMOVED = "selection_round.candidate_removed"
MEMBER_NAMED = "selection_round.panel_member_named"
MEMBER_REMOVED = "selection_round.panel_member_removed"
SCORED = "selection_round.scored"
SELECTED = "selection_round.operator_selected"
REOPENED = "selection_round.opened_after_forced_exit"

#: How many missing cells the refusal's sentence names (the problem lists them all).
_MISSING_IN_DETAIL = 10

audit.declare_actions(
    {
        CREATED: ("创建竞争性磋商", "Consultation created"),
        CRITERIA_SET: ("设定评分因素和权重", "Criteria and weights set"),
        CANDIDATE_ADDED: ("登记候选机构", "Candidate registered"),
        CANDIDATE_REMOVED: ("移除候选机构", "Candidate removed"),
        MEMBER_NAMED: ("指定评审专家", "Panel member named"),
        MEMBER_REMOVED: ("移除评审专家", "Panel member removed"),
        SCORED: ("提交磋商评分", "Scores submitted"),
        SELECTED: ("选定运营机构", "Operator selected"),
        REOPENED: (
            "强制退出后重新遴选运营机构",
            "New selection opened after a forced exit",
        ),
    }
)
add_messages(
    {
        "problem.criteria_weights_invalid": ("评分因素权重不符合要求", "Invalid criteria weights"),
        "error.criteria_weights_invalid": (
            "评分因素的权重合计须为 100%，当前合计 {total}%。",
            "The criteria weights must total 100%; they total {total}%.",
        ),
        "selection.criteria_required": (
            "请至少设定一项评分因素，权重合计 100%。",
            "Set at least one criterion; the weights must total 100%.",
        ),
        "selection.criteria_duplicate": (
            "评分因素“{name}”重复。",
            "The criterion '{name}' is listed twice.",
        ),
        "problem.candidate_not_qualified": ("候选机构未通过资格审核", "Candidate not qualified"),
        "error.candidate_not_qualified": (
            "“{name}”没有通过资格审核的运营机构申请，不能参加竞争性磋商。",
            "'{name}' has no qualified operator application and cannot take part in the "
            "consultation.",
        ),
        "problem.too_few_candidates": ("候选机构不足", "Too few candidates"),
        "error.too_few_candidates": (
            "竞争性磋商至少需要 {required} 家通过资格审核的候选机构，目前只有 {count} 家。",
            "A competitive consultation needs at least {required} qualified candidates; "
            "it has {count}.",
        ),
        "problem.not_on_panel": ("不是本次磋商的评审专家", "Not on this panel"),
        "error.not_on_panel": (
            "您不是本次竞争性磋商的评审专家，不能查看或提交评分。",
            "You are not on the panel of this consultation and may not see or submit scores.",
        ),
        "problem.scores_incomplete": ("评分尚未完成", "Scores incomplete"),
        "error.scores_incomplete": (
            "尚有 {count} 项评分未提交，不能结束评分：{missing}",
            "{count} score(s) are still missing, so scoring cannot close: {missing}",
        ),
        "problem.selection_reason_required": ("需要说明理由", "Reason required"),
        "error.selection_reason_required": (
            "“{chosen}”不是排名第一的候选机构（第一名：{top}），选定须填写书面理由。",
            "'{chosen}' is not the top-ranked candidate (top: {top}); choosing it needs a "
            "written reason.",
        ),
        "selection.tie_reason_required": (
            "{top} 并列第一，须由数据局说明理由后选定。",
            "{top} are tied for first place; the bureau must give a reason for its choice.",
        ),
        "selection.not_found": (
            "竞争性磋商不存在，或尚未公布结果。",
            "There is no such consultation, or its result is not published.",
        ),
        "selection.criteria_fixed": (
            "磋商公告发布后，评分因素和权重不能再修改。",
            "The criteria and weights are fixed once the round is open.",
        ),
        "selection.roster_fixed": (
            "评分开始后不能再增减候选机构或评审专家。",
            "Candidates and panel members cannot change once scoring has started.",
        ),
        "selection.candidate_exists": (
            "“{name}”已是本次磋商的候选机构。",
            "'{name}' is already a candidate in this round.",
        ),
        "selection.candidate_unknown": (
            "所选机构不是本次磋商的候选机构。",
            "The chosen organization is not a candidate in this round.",
        ),
        "selection.organization_unknown": ("所选机构不存在。", "The organization does not exist."),
        "selection.member_exists": (
            "“{name}”已是本次磋商的评审专家。",
            "'{name}' is already on this panel.",
        ),
        "selection.member_unknown": (
            "所选用户不是本次磋商的评审专家。",
            "The chosen user is not on this panel.",
        ),
        "selection.not_panel_user": (
            "所选用户不是在用的评价专家账户，不能担任评审。",
            "The chosen user is not an active panel account and cannot be named.",
        ),
        "selection.panel_empty": (
            "请先指定至少一名评审专家。",
            "Name at least one panel member first.",
        ),
        "selection.not_scoring": (
            "本次磋商当前不在评分阶段，不能提交或修改评分。",
            "This round is not being scored; scores cannot be submitted or changed.",
        ),
        "selection.score_target_unknown": (
            "评分指向的候选机构或评分因素不属于本次磋商。",
            "A score names a candidate or a criterion that is not part of this round.",
        ),
        "selection.not_ranked": (
            "评分结束、排名产生后才能选定运营机构。",
            "The operator can be selected only once scoring has closed and the ranking exists.",
        ),
        "selection.no_selection": (
            "请先选定运营机构，再公布结果。",
            "Select the operator before publishing the result.",
        ),
        "selection.follows": ("重新遴选缘由", "Why a new selection"),
        "selection.follows_text": (
            "{number} 的运营机构被强制退出，本次磋商为该场景重新遴选运营机构",
            "The operator of {number} was forced out; this round selects a new operator "
            "for its scenario",
        ),
    }
)


class CriteriaWeightsInvalid(InvalidInput):
    code = "criteria_weights_invalid"


class CandidateNotQualified(InvalidInput):
    code = "candidate_not_qualified"


class TooFewCandidates(Conflict):
    code = "too_few_candidates"


class NotOnPanel(PermissionDenied):
    code = "not_on_panel"


class SelectionReasonRequired(InvalidInput):
    code = "selection_reason_required"


@dataclass(frozen=True)
class MissingScore:
    member: str
    candidate: str
    criterion: str

    def text(self) -> str:
        return f"{self.member} — {self.candidate} — {self.criterion}"


class _Texts(MessageList):
    """Names that are data, not message keys: joined in the reader's way, not translated."""

    def render(self, locale: str) -> str:
        return ("；" if locale == ZH else "; ").join(self.keys) or "—"


class ScoresIncomplete(Conflict):
    code = "scores_incomplete"

    def __init__(self, missing: Sequence[MissingScore]) -> None:
        named = [m.text() for m in missing[:_MISSING_IN_DETAIL]]
        if len(missing) > _MISSING_IN_DETAIL:
            named.append("…")
        super().__init__(count=len(missing), missing=_Texts(named))
        self.missing = tuple(missing)

    def problem(self, locale: str, instance: str | None = None) -> dict[str, Any]:
        body = super().problem(locale, instance)
        body["missing"] = [
            {"member": m.member, "candidate": m.candidate, "criterion": m.criterion}
            for m in self.missing
        ]
        return body


# --- reading ------------------------------------------------------------------------------


def _managed(
    session: Session, *, actor: Principal, round_id: uuid.UUID, for_update: bool = True
) -> SelectionRound:
    actor.require(Permission.SELECTION_MANAGE)
    found = repository.visible_round(session, actor, round_id, for_update=for_update)
    if found is None:
        raise NotFound("selection.not_found")
    return found


def get(session: Session, *, actor: Principal, round_id: uuid.UUID) -> SelectionRound:
    """A round for the bureau."""
    return _managed(session, actor=actor, round_id=round_id, for_update=False)


def list_rounds(
    session: Session, *, actor: Principal, status: str | None = None
) -> list[SelectionRound]:
    actor.require(Permission.SELECTION_MANAGE)
    return repository.visible_rounds(session, actor, status=status)


def round_page(session: Session, *, actor: Principal, query: ListQuery) -> Page[SelectionRound]:
    """One page of the rounds, for the bureau."""
    actor.require(Permission.SELECTION_MANAGE)
    return repository.round_page(session, actor, query)


def my_round_page(session: Session, *, actor: Principal, query: ListQuery) -> Page[SelectionRound]:
    """One page of the rounds the acting panel member sits on."""
    actor.require(Permission.SELECTION_SCORE)
    return repository.seated_round_page(session, actor, query)


def organization_names(session: Session, ids: Iterable[uuid.UUID]) -> dict[uuid.UUID, str]:
    """Names of organizations (the operators rounds selected), in one read."""
    return repository.organization_names(session, ids)


def criteria(session: Session, round_id: uuid.UUID) -> list[SelectionCriterion]:
    return repository.criteria(session, round_id)


def candidates(session: Session, round_id: uuid.UUID) -> list[NamedCandidate]:
    return repository.candidates(session, round_id)


def panel(session: Session, round_id: uuid.UUID) -> list[NamedMember]:
    return repository.panel(session, round_id)


def candidate_choices(
    session: Session, round_: SelectionRound
) -> list[tuple[OrganizationChoice, bool]]:
    """Operator companies the bureau may still register, each with whether it is qualified;
    none once the roster is fixed."""
    if round_.status not in PREPARING:
        return []
    registered = {c.candidate.organization_id for c in repository.candidates(session, round_.id)}
    return [
        (o, qualified.is_qualified(session, o.id))
        for o in repository.operator_organizations(session)
        if o.id not in registered
    ]


def panel_choices(session: Session, round_: SelectionRound) -> list[PanelUser]:
    """Panel users the bureau may still name to the round."""
    named = {m.member.user_id for m in repository.panel(session, round_.id)}
    return [u for u in repository.panel_users(session) if u.id not in named]


def allowed_actions(actor: Principal, round_: SelectionRound) -> list[str]:
    """Transitions the actor may fire on the round now (for buttons and the API)."""
    return [t.name for t in ROUND.available(round_.status) if actor.has(t.permission)]


def missing_scores(session: Session, round_: SelectionRound) -> list[MissingScore]:
    """Every (member, candidate, criterion) without a score, in sheet order."""
    crits = repository.criteria(session, round_.id)
    cands = repository.candidates(session, round_.id)
    have = {
        (s.member_id, s.candidate_id, s.criterion_id) for s in repository.scores(session, round_.id)
    }
    return [
        MissingScore(m.member.display_name, c.name, k.name)
        for m in repository.panel(session, round_.id)
        for c in cands
        for k in crits
        if (m.member.id, c.candidate.id, k.id) not in have
    ]


def ranking(session: Session, round_: SelectionRound) -> Ranking | None:
    """The ranking once scoring has closed (None before: partial scores rank nothing)."""
    if round_.status not in (RANKED, PUBLISHED):
        return None
    return _compute_ranking(session, round_)


def _compute_ranking(session: Session, round_: SelectionRound) -> Ranking:
    crits = repository.criteria(session, round_.id)
    cands = repository.candidates(session, round_.id)
    organization_of = {c.candidate.id: c.candidate.organization_id for c in cands}
    return rank(
        crits,
        [(c.candidate.organization_id, c.name) for c in cands],
        (
            (organization_of[s.candidate_id], s.criterion_id, s.score)
            for s in repository.scores(session, round_.id)
        ),
    )


@dataclass(frozen=True)
class SheetRow:
    organization_id: uuid.UUID
    name: str
    #: criterion id -> score, None while not scored.
    scores: dict[uuid.UUID, int | None]


@dataclass(frozen=True)
class ScoreSheet:
    round: SelectionRound
    member: SelectionPanelMember
    criteria: list[SelectionCriterion]
    rows: list[SheetRow]

    @property
    def editable(self) -> bool:
        return self.round.status == SCORING

    @property
    def missing(self) -> int:
        return sum(1 for row in self.rows for v in row.scores.values() if v is None)


def _sheet(
    round_: SelectionRound,
    member: SelectionPanelMember,
    crits: list[SelectionCriterion],
    cands: list[NamedCandidate],
    scores: Iterable[SelectionScore],
) -> ScoreSheet:
    given = {(s.candidate_id, s.criterion_id): s.score for s in scores if s.member_id == member.id}
    rows = [
        SheetRow(
            c.candidate.organization_id,
            c.name,
            {k.id: given.get((c.candidate.id, k.id)) for k in crits},
        )
        for c in cands
    ]
    return ScoreSheet(round_, member, crits, rows)


def score_sheets(session: Session, *, actor: Principal, round_id: uuid.UUID) -> list[ScoreSheet]:
    """Every member's sheet: for the bureau only."""
    round_ = get(session, actor=actor, round_id=round_id)
    crits = repository.criteria(session, round_.id)
    cands = repository.candidates(session, round_.id)
    scores = repository.scores(session, round_.id)
    return [
        _sheet(round_, m.member, crits, cands, scores) for m in repository.panel(session, round_.id)
    ]


def _member_of(
    session: Session, *, actor: Principal, round_id: uuid.UUID, for_update: bool = False
) -> tuple[SelectionRound, SelectionPanelMember]:
    actor.require(Permission.SELECTION_SCORE)
    found = repository.seat(session, actor, round_id, for_update=for_update)
    if found is None:
        if not repository.round_exists(session, round_id):
            raise NotFound("selection.not_found")
        raise NotOnPanel()
    return found.round, found.member


def my_rounds(session: Session, *, actor: Principal) -> list[SelectionRound]:
    """The rounds the acting panel member sits on."""
    actor.require(Permission.SELECTION_SCORE)
    return repository.seated_rounds(session, actor)


def my_sheet(session: Session, *, actor: Principal, round_id: uuid.UUID) -> ScoreSheet:
    round_, member = _member_of(session, actor=actor, round_id=round_id)
    return _sheet(
        round_,
        member,
        repository.criteria(session, round_.id),
        repository.candidates(session, round_.id),
        repository.scores_of_member(session, member.id),
    )


# --- the bureau prepares ------------------------------------------------------------------


def check_criteria(items: Sequence[CriterionIn]) -> None:
    """Refuse criteria a round cannot take (none, a name twice, weights not totalling 100):
    a form checks them with its other fields, the services before saving."""
    if not items:
        raise CriteriaWeightsInvalid(
            "selection.criteria_required", errors=[{"field": "criteria", "type": "required"}]
        )
    seen: set[str] = set()
    for item in items:
        if item.name in seen:
            raise InvalidInput(
                "selection.criteria_duplicate",
                name=item.name,
                errors=[{"field": "criteria", "type": "duplicate"}],
            )
        seen.add(item.name)
    total = sum(item.weight for item in items)
    if total != 100:
        raise CriteriaWeightsInvalid(
            total=total, errors=[{"field": "criteria", "type": "weights_total"}]
        )


def _write_criteria(
    session: Session, round_: SelectionRound, items: Sequence[CriterionIn]
) -> list[SelectionCriterion]:
    repository.delete_criteria(session, round_.id)
    session.flush()
    rows = [
        SelectionCriterion(
            round_id=round_.id,
            position=position,
            name=item.name,
            weight=item.weight,
            description=item.description,
        )
        for position, item in enumerate(items, start=1)
    ]
    session.add_all(rows)
    session.flush()
    return rows


def create_round(
    session: Session, *, actor: Principal, clock: Clock, data: RoundCreate
) -> SelectionRound:
    actor.require(Permission.SELECTION_MANAGE)
    if data.criteria is not None:
        check_criteria(data.criteria)
    now = clock.now()
    round_ = SelectionRound(
        title=data.title,
        scenario=data.scenario,
        description=data.description,
        announced_on=data.announced_on,
        status=ROUND.initial,
        created_at=now,
    )
    session.add(round_)
    session.flush()
    audit.record(
        session,
        actor=actor,
        action=CREATED,
        target_type=ROUND.entity,
        target_id=round_.id,
        at=now,
        detail={
            "title": data.title,
            "scenario": data.scenario,
            "announced_on": data.announced_on.isoformat(),
        },
    )
    if data.criteria is not None:
        _record_criteria(
            session, actor, round_, _write_criteria(session, round_, data.criteria), now
        )
    return round_


def open_after_forced_exit(
    session: Session,
    *,
    actor: Principal,
    at: datetime,
    authorization_id: uuid.UUID,
    agreement_number: str,
    scenario: str,
    grounds: str,
    criteria_from: uuid.UUID | None = None,
) -> SelectionRound:
    """After a forced exit the bureau selects a new operator for the scenario (R5.5): a draft
    round, linked to the ended agreement, for the bureau to complete and open. It takes the
    criteria of the round that selected the operator forced out, if there was one. One
    round per agreement: asked again, the same round is returned."""
    actor.require(Permission.SELECTION_MANAGE)
    existing = repository.following(session, authorization_id)
    if existing is not None:
        return existing
    round_ = SelectionRound(
        title=f"{scenario}场景运营机构重新遴选（竞争性磋商）"[:200],
        scenario=scenario[:100],
        description=(
            f"{agreement_number}的运营机构因{grounds}被强制退出，依实施方案重新遴选"
            f"{scenario}场景的运营机构。"
        ),
        announced_on=local(at).date(),
        status=ROUND.initial,
        created_at=at,
        follows_authorization_id=authorization_id,
        follows_agreement=agreement_number[:60],
    )
    session.add(round_)
    session.flush()
    audit.record(
        session,
        actor=actor,
        action=REOPENED,
        target_type=ROUND.entity,
        target_id=round_.id,
        at=at,
        detail={"agreement": agreement_number, "scenario": scenario, "grounds": grounds},
    )
    previous = repository.criteria(session, criteria_from) if criteria_from else []
    if previous:
        items = [
            CriterionIn(name=c.name, weight=c.weight, description=c.description) for c in previous
        ]
        _record_criteria(session, actor, round_, _write_criteria(session, round_, items), at)
    return round_


def round_following(session: Session, authorization_id: uuid.UUID) -> SelectionRound | None:
    """The round opened to replace the operator forced out of the agreement, if any."""
    return repository.following(session, authorization_id)


def _record_criteria(
    session: Session,
    actor: Principal,
    round_: SelectionRound,
    rows: Sequence[SelectionCriterion],
    at: Any,
) -> None:
    audit.record(
        session,
        actor=actor,
        action=CRITERIA_SET,
        target_type=ROUND.entity,
        target_id=round_.id,
        at=at,
        detail={"criteria": [{"name": r.name, "weight": r.weight} for r in rows]},
    )


def set_criteria(
    session: Session,
    *,
    actor: Principal,
    clock: Clock,
    round_id: uuid.UUID,
    items: Sequence[CriterionIn],
) -> list[SelectionCriterion]:
    """Replace the round's criteria; only while it is a draft."""
    round_ = _managed(session, actor=actor, round_id=round_id)
    if round_.status != DRAFT:
        raise Conflict("selection.criteria_fixed")
    check_criteria(items)
    rows = _write_criteria(session, round_, items)
    _record_criteria(session, actor, round_, rows, clock.now())
    return rows


def _preparing(session: Session, *, actor: Principal, round_id: uuid.UUID) -> SelectionRound:
    round_ = _managed(session, actor=actor, round_id=round_id)
    if round_.status not in PREPARING:
        raise Conflict("selection.roster_fixed")
    return round_


def add_candidate(
    session: Session,
    *,
    actor: Principal,
    clock: Clock,
    round_id: uuid.UUID,
    organization_id: uuid.UUID,
) -> SelectionCandidate:
    round_ = _preparing(session, actor=actor, round_id=round_id)
    organization = repository.organization(session, organization_id)
    if organization is None:
        raise InvalidInput(
            "selection.organization_unknown",
            errors=[{"field": "organization_id", "type": "unknown"}],
        )
    application = qualified.qualified_application(session, organization.id)
    if application is None:
        raise CandidateNotQualified(
            name=organization.name, errors=[{"field": "organization_id", "type": "not_qualified"}]
        )
    if repository.candidate(session, round_.id, organization.id) is not None:
        raise Conflict("selection.candidate_exists", name=organization.name)
    now = clock.now()
    candidate = SelectionCandidate(
        round_id=round_.id,
        organization_id=organization.id,
        application_id=application.id,
        registered_at=now,
    )
    session.add(candidate)
    session.flush()
    audit.record(
        session,
        actor=actor,
        action=CANDIDATE_ADDED,
        target_type=ROUND.entity,
        target_id=round_.id,
        at=now,
        detail={
            "organization_id": str(organization.id),
            "name": organization.name,
            "application_id": str(application.id),
        },
    )
    return candidate


def remove_candidate(
    session: Session,
    *,
    actor: Principal,
    clock: Clock,
    round_id: uuid.UUID,
    organization_id: uuid.UUID,
) -> None:
    round_ = _preparing(session, actor=actor, round_id=round_id)
    candidate = repository.candidate(session, round_.id, organization_id)
    if candidate is None:
        raise NotFound("selection.candidate_unknown")
    session.delete(candidate)
    audit.record(
        session,
        actor=actor,
        action=CANDIDATE_REMOVED,
        target_type=ROUND.entity,
        target_id=round_.id,
        at=clock.now(),
        detail={"organization_id": str(organization_id)},
    )


def name_panel_member(
    session: Session,
    *,
    actor: Principal,
    clock: Clock,
    round_id: uuid.UUID,
    user_id: uuid.UUID,
) -> SelectionPanelMember:
    round_ = _preparing(session, actor=actor, round_id=round_id)
    user = repository.panel_user(session, user_id)
    if user is None:
        raise InvalidInput(
            "selection.not_panel_user", errors=[{"field": "user_id", "type": "not_panel"}]
        )
    if repository.member(session, round_.id, user.id) is not None:
        raise Conflict("selection.member_exists", name=user.display_name)
    now = clock.now()
    member = SelectionPanelMember(
        round_id=round_.id, user_id=user.id, display_name=user.display_name, named_at=now
    )
    session.add(member)
    session.flush()
    audit.record(
        session,
        actor=actor,
        action=MEMBER_NAMED,
        target_type=ROUND.entity,
        target_id=round_.id,
        at=now,
        detail={"user_id": str(user.id), "username": user.username},
    )
    return member


def remove_panel_member(
    session: Session,
    *,
    actor: Principal,
    clock: Clock,
    round_id: uuid.UUID,
    user_id: uuid.UUID,
) -> None:
    round_ = _preparing(session, actor=actor, round_id=round_id)
    member = repository.member(session, round_.id, user_id)
    if member is None:
        raise NotFound("selection.member_unknown")
    session.delete(member)
    audit.record(
        session,
        actor=actor,
        action=MEMBER_REMOVED,
        target_type=ROUND.entity,
        target_id=round_.id,
        at=clock.now(),
        detail={"user_id": str(user_id)},
    )


# --- the lifecycle ------------------------------------------------------------------------


def open_round(
    session: Session, *, actor: Principal, clock: Clock, round_id: uuid.UUID
) -> SelectionRound:
    """Publish the announcement: the criteria, checked once more, are fixed from now on."""
    round_ = _managed(session, actor=actor, round_id=round_id)
    ROUND.require(round_, "open")
    crits = repository.criteria(session, round_.id)
    check_criteria([CriterionIn(name=c.name, weight=c.weight) for c in crits])
    now = clock.now()
    ROUND.fire(round_, "open", session=session, actor=actor, at=now)
    round_.opened_at = now
    return round_


def start_scoring(
    session: Session, *, actor: Principal, clock: Clock, settings: Settings, round_id: uuid.UUID
) -> SelectionRound:
    round_ = _managed(session, actor=actor, round_id=round_id)
    ROUND.require(round_, "start_scoring")
    cands = repository.candidates(session, round_.id)
    # Qualification could change after registration: check it again at the gate.
    for c in cands:
        if not qualified.is_qualified(session, c.candidate.organization_id):
            raise CandidateNotQualified(name=c.name)
    if len(cands) < settings.selection_min_candidates:
        raise TooFewCandidates(required=settings.selection_min_candidates, count=len(cands))
    if not repository.panel(session, round_.id):
        raise Conflict("selection.panel_empty")
    now = clock.now()
    ROUND.fire(
        round_,
        "start_scoring",
        session=session,
        actor=actor,
        at=now,
        detail={"minimum_candidates": settings.selection_min_candidates},
    )
    round_.scoring_started_at = now
    return round_


def submit_scores(
    session: Session,
    *,
    actor: Principal,
    clock: Clock,
    round_id: uuid.UUID,
    scores: Sequence[ScoreIn],
) -> ScoreSheet:
    """A panel member enters or revises scores (a partial sheet may be saved)."""
    round_, member = _member_of(session, actor=actor, round_id=round_id, for_update=True)
    if round_.status != SCORING:
        raise Conflict("selection.not_scoring")
    crits = {c.id: c for c in repository.criteria(session, round_.id)}
    cands = {c.candidate.organization_id: c for c in repository.candidates(session, round_.id)}
    existing = {
        (s.candidate_id, s.criterion_id): s for s in repository.scores_of_member(session, member.id)
    }
    now = clock.now()
    changes = []
    for item in scores:
        candidate = cands.get(item.organization_id)
        if candidate is None or item.criterion_id not in crits:
            raise InvalidInput(
                "selection.score_target_unknown", errors=[{"field": "scores", "type": "unknown"}]
            )
        cell = existing.get((candidate.candidate.id, item.criterion_id))
        if cell is None:
            cell = SelectionScore(
                round_id=round_.id,
                member_id=member.id,
                candidate_id=candidate.candidate.id,
                criterion_id=item.criterion_id,
                score=item.score,
                scored_at=now,
            )
            session.add(cell)
            existing[candidate.candidate.id, item.criterion_id] = cell
            changes.append(_change(candidate.name, crits[item.criterion_id], None, item.score))
        elif cell.score != item.score:
            changes.append(
                _change(candidate.name, crits[item.criterion_id], cell.score, item.score)
            )
            cell.score = item.score
            cell.scored_at = now
    session.flush()
    if changes:
        audit.record(
            session,
            actor=actor,
            action=SCORED,
            target_type=ROUND.entity,
            target_id=round_.id,
            at=now,
            detail={"member": member.display_name, "changes": changes},
        )
    return my_sheet(session, actor=actor, round_id=round_.id)


def _change(
    candidate: str, criterion: SelectionCriterion, before: int | None, after: int
) -> dict[str, Any]:
    return {"candidate": candidate, "criterion": criterion.name, "from": before, "to": after}


def close_scoring(
    session: Session, *, actor: Principal, clock: Clock, round_id: uuid.UUID
) -> SelectionRound:
    round_ = _managed(session, actor=actor, round_id=round_id)
    ROUND.require(round_, "close_scoring")
    missing = missing_scores(session, round_)
    if missing:
        raise ScoresIncomplete(missing)
    now = clock.now()
    detail = {"ranking": _ranking_detail(_compute_ranking(session, round_))}
    ROUND.fire(round_, "close_scoring", session=session, actor=actor, at=now, detail=detail)
    round_.scoring_closed_at = now
    return round_


def _ranking_detail(result: Ranking) -> list[dict[str, Any]]:
    return [
        {
            "rank": e.rank,
            "organization_id": str(e.organization_id),
            "name": e.name,
            "weighted_score": exact(e.weighted),
        }
        for e in result.entries
    ]


def select_operator(
    session: Session,
    *,
    actor: Principal,
    clock: Clock,
    round_id: uuid.UUID,
    organization_id: uuid.UUID,
    reason: str | None,
) -> SelectionRound:
    """Choose the operator from the ranking; anything but the single top-ranked candidate
    needs a written reason. The choice may be changed until the result is published."""
    round_ = _managed(session, actor=actor, round_id=round_id)
    if round_.status != RANKED:
        raise Conflict("selection.not_ranked")
    result = ranking(session, round_)
    assert result is not None
    chosen = result.entry(organization_id)
    if chosen is None:
        raise InvalidInput(
            "selection.candidate_unknown", errors=[{"field": "organization_id", "type": "unknown"}]
        )
    reason = (reason or "").strip() or None
    top_ranked = result.winner is not None and result.winner.organization_id == organization_id
    if not top_ranked and reason is None:
        top = _Texts([e.name for e in result.top])
        if result.tie_at_top:
            raise SelectionReasonRequired(
                "selection.tie_reason_required",
                top=top,
                errors=[{"field": "reason", "type": "required"}],
            )
        raise SelectionReasonRequired(
            chosen=chosen.name, top=top, errors=[{"field": "reason", "type": "required"}]
        )
    now = clock.now()
    round_.selected_organization_id = organization_id
    round_.selection_reason = reason
    round_.selected_at = now
    round_.selected_by_username = actor.username
    audit.record(
        session,
        actor=actor,
        action=SELECTED,
        target_type=ROUND.entity,
        target_id=round_.id,
        at=now,
        detail={
            "organization_id": str(organization_id),
            "name": chosen.name,
            "rank": chosen.rank,
            "weighted_score": exact(chosen.weighted),
            "top_ranked": top_ranked,
            "tie_at_top": result.tie_at_top,
            "reason": reason,
            "ranking": _ranking_detail(result),
        },
    )
    return round_


def publish(
    session: Session, *, actor: Principal, clock: Clock, round_id: uuid.UUID
) -> SelectionRound:
    round_ = _managed(session, actor=actor, round_id=round_id)
    ROUND.require(round_, "publish")
    if round_.selected_organization_id is None:
        raise Conflict("selection.no_selection")
    now = clock.now()
    ROUND.fire(
        round_,
        "publish",
        session=session,
        actor=actor,
        at=now,
        detail={"organization_id": str(round_.selected_organization_id)},
    )
    round_.published_at = now
    return round_


def cancel(
    session: Session, *, actor: Principal, clock: Clock, round_id: uuid.UUID, reason: str
) -> SelectionRound:
    round_ = _managed(session, actor=actor, round_id=round_id)
    now = clock.now()
    ROUND.fire(round_, "cancel", session=session, actor=actor, at=now, detail={"reason": reason})
    round_.cancelled_at = now
    round_.cancel_reason = reason
    return round_


# --- public -------------------------------------------------------------------------------


@dataclass(frozen=True)
class PublishedSelection:
    round_id: uuid.UUID
    title: str
    scenario: str
    organization_id: uuid.UUID
    selected_on: date
    published_on: date


def published_selection(session: Session, round_id: uuid.UUID) -> PublishedSelection | None:
    """The outcome of a published round, for the authorization that follows it."""
    round_ = repository.visible_round(session, None, round_id)
    if (
        round_ is None
        or round_.selected_organization_id is None
        or round_.selected_at is None
        or round_.published_at is None
    ):
        return None
    return PublishedSelection(
        round_id=round_.id,
        title=round_.title,
        scenario=round_.scenario,
        organization_id=round_.selected_organization_id,
        selected_on=local(round_.selected_at).date(),
        published_on=local(round_.published_at).date(),
    )


def selected_operator(session: Session, round_id: uuid.UUID) -> uuid.UUID | None:
    """The organization selected by a published round; None for any other round."""
    found = published_selection(session, round_id)
    return found.organization_id if found else None


def published_round(session: Session, round_id: uuid.UUID) -> SelectionRound:
    """A round anyone may read: published, else not found (drafts and cancellations too)."""
    round_ = repository.visible_round(session, None, round_id)
    if round_ is None:
        raise NotFound("selection.not_found")
    return round_


def published_rounds(session: Session) -> list[SelectionRound]:
    return repository.visible_rounds(session, None)


def organization_name(session: Session, organization_id: uuid.UUID | None) -> str | None:
    if organization_id is None:
        return None
    organization = repository.organization(session, organization_id)
    return organization.name if organization else None
