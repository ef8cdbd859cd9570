"""REST routes of competitive consultations (竞争性磋商). Thin: each calls the service.

The bureau manages rounds (``selection.manage``), panel members read and fill their own
score sheets (``selection.score``), and anyone reads published results. The fixed paths
(``published``, ``assigned``) are declared before ``/{round_id}`` so they are not taken
for an id.
"""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Depends
from sqlalchemy.orm import Session

from sluice.core.permissions import Permission as P
from sluice.core.principal import Principal
from sluice.operators.selection import service
from sluice.operators.selection.models import SelectionRound
from sluice.operators.selection.ranking import Ranking, exact, two_decimals
from sluice.operators.selection.schemas import (
    CandidateAdd,
    CandidateRead,
    CriteriaSet,
    CriterionMean,
    CriterionRead,
    MissingScoreRead,
    OperatorChoice,
    PanelMemberAdd,
    PanelMemberRead,
    PublicRankingEntry,
    PublicResult,
    PublicResultSummary,
    RankingEntryRead,
    RankingRead,
    Reason,
    RoundCreate,
    RoundDetail,
    RoundRead,
    RoundStatus,
    ScoreSheetRead,
    ScoreSheetRow,
    ScoresSubmit,
    SelectionRead,
)
from sluice.operators.selection.states import SCORING
from sluice.web.deps import AppClock, AppSettings, DbSession, Public, Requires

router = APIRouter(prefix="/api/v1/selections", tags=["operators"])
Anyone = Depends(Public())
Manager = Annotated[Principal, Depends(Requires(P.SELECTION_MANAGE))]
Scorer = Annotated[Principal, Depends(Requires(P.SELECTION_SCORE))]


# --- reads shared by the API and the pages -----------------------------------------------


def round_read(r: SelectionRound) -> RoundRead:
    return RoundRead(
        id=r.id,
        title=r.title,
        scenario=r.scenario,
        description=r.description,
        announced_on=r.announced_on,
        status=RoundStatus(r.status),
        created_at=r.created_at,
        opened_at=r.opened_at,
        scoring_started_at=r.scoring_started_at,
        scoring_closed_at=r.scoring_closed_at,
        published_at=r.published_at,
        cancelled_at=r.cancelled_at,
        cancel_reason=r.cancel_reason,
    )


def criteria_read(session: Session, round_id: uuid.UUID) -> list[CriterionRead]:
    return [
        CriterionRead(
            id=c.id, position=c.position, name=c.name, weight=c.weight, description=c.description
        )
        for c in service.criteria(session, round_id)
    ]


def ranking_read(result: Ranking) -> RankingRead:
    return RankingRead(
        tiebreak_criterion_id=result.tiebreak_criterion_id,
        tie_at_top=result.tie_at_top,
        entries=[
            RankingEntryRead(
                rank=e.rank,
                organization_id=e.organization_id,
                name=e.name,
                weighted_score=two_decimals(e.weighted),
                weighted_score_exact=exact(e.weighted),
                tied=e.tied,
                separated_by_tiebreak=e.separated_by_tiebreak,
                means=[
                    CriterionMean(criterion_id=k, mean=two_decimals(v), mean_exact=exact(v))
                    for k, v in e.means.items()
                ],
            )
            for e in result.entries
        ],
    )


def sheet_read(sheet: service.ScoreSheet) -> ScoreSheetRead:
    r = sheet.round
    return ScoreSheetRead(
        round_id=r.id,
        title=r.title,
        status=RoundStatus(r.status),
        member=sheet.member.display_name,
        criteria=[
            CriterionRead(
                id=c.id,
                position=c.position,
                name=c.name,
                weight=c.weight,
                description=c.description,
            )
            for c in sheet.criteria
        ],
        rows=[
            ScoreSheetRow(
                organization_id=row.organization_id,
                name=row.name,
                scores={str(k): v for k, v in row.scores.items()},
            )
            for row in sheet.rows
        ],
        editable=sheet.editable,
        missing=sheet.missing,
    )


def selection_read(
    session: Session, r: SelectionRound, result: Ranking | None
) -> SelectionRead | None:
    if r.selected_organization_id is None or r.selected_at is None:
        return None
    winner = result.winner if result else None
    return SelectionRead(
        organization_id=r.selected_organization_id,
        name=service.organization_name(session, r.selected_organization_id) or "",
        reason=r.selection_reason,
        top_ranked=winner is not None and winner.organization_id == r.selected_organization_id,
        selected_at=r.selected_at,
        selected_by=r.selected_by_username,
    )


def detail(session: Session, *, actor: Principal, round_id: uuid.UUID) -> RoundDetail:
    r = service.get(session, actor=actor, round_id=round_id)
    result = service.ranking(session, r)
    missing = service.missing_scores(session, r) if r.status == SCORING else []
    return RoundDetail(
        **round_read(r).model_dump(),
        criteria=criteria_read(session, r.id),
        candidates=[
            CandidateRead(
                organization_id=c.candidate.organization_id,
                name=c.name,
                credit_code=c.credit_code,
                application_id=c.candidate.application_id,
                registered_at=c.candidate.registered_at,
            )
            for c in service.candidates(session, r.id)
        ],
        panel=[
            PanelMemberRead(
                user_id=m.member.user_id,
                username=m.username,
                display_name=m.member.display_name,
                named_at=m.member.named_at,
            )
            for m in service.panel(session, r.id)
        ],
        missing_scores=[
            MissingScoreRead(member=m.member, candidate=m.candidate, criterion=m.criterion)
            for m in missing
        ],
        ranking=ranking_read(result) if result else None,
        score_sheets=[
            sheet_read(s) for s in service.score_sheets(session, actor=actor, round_id=r.id)
        ],
        selection=selection_read(session, r, result),
        actions=service.allowed_actions(actor, r),
    )


def public_result(session: Session, round_id: uuid.UUID) -> PublicResult:
    r = service.published_round(session, round_id)
    result = service.ranking(session, r)
    outcome = service.published_selection(session, r.id)
    assert result is not None and outcome is not None and r.published_at is not None
    return PublicResult(
        id=r.id,
        title=r.title,
        scenario=r.scenario,
        announced_on=r.announced_on,
        published_at=r.published_at,
        criteria=criteria_read(session, r.id),
        panel=[m.member.display_name for m in service.panel(session, r.id)],
        ranking=[
            PublicRankingEntry(
                rank=e.rank, name=e.name, weighted_score=two_decimals(e.weighted), tied=e.tied
            )
            for e in result.entries
        ],
        selected_operator=service.organization_name(session, outcome.organization_id) or "",
        selected_organization_id=outcome.organization_id,
        selection_reason=r.selection_reason,
        selected_on=outcome.selected_on,
    )


def public_summaries(session: Session) -> list[PublicResultSummary]:
    return [
        PublicResultSummary(
            id=r.id,
            title=r.title,
            scenario=r.scenario,
            published_at=r.published_at,
            selected_operator=service.organization_name(session, r.selected_organization_id) or "",
        )
        for r in service.published_rounds(session)
        if r.published_at is not None
    ]


# --- public -------------------------------------------------------------------------------


@router.get("/published", dependencies=[Anyone])
def list_published(session: DbSession) -> list[PublicResultSummary]:
    return public_summaries(session)


@router.get("/published/{round_id}", dependencies=[Anyone])
def get_published(round_id: uuid.UUID, session: DbSession) -> PublicResult:
    return public_result(session, round_id)


# --- the panel ----------------------------------------------------------------------------


@router.get("/assigned")
def list_assigned(actor: Scorer, session: DbSession) -> list[RoundRead]:
    return [round_read(r) for r in service.my_rounds(session, actor=actor)]


@router.get("/{round_id}/my-scores")
def get_my_scores(round_id: uuid.UUID, actor: Scorer, session: DbSession) -> ScoreSheetRead:
    return sheet_read(service.my_sheet(session, actor=actor, round_id=round_id))


@router.put("/{round_id}/my-scores")
def put_my_scores(
    round_id: uuid.UUID, body: ScoresSubmit, actor: Scorer, session: DbSession, clock: AppClock
) -> ScoreSheetRead:
    sheet = service.submit_scores(
        session, actor=actor, clock=clock, round_id=round_id, scores=body.scores
    )
    return sheet_read(sheet)


# --- the bureau ---------------------------------------------------------------------------


@router.get("")
def list_rounds(
    actor: Manager, session: DbSession, status: RoundStatus | None = None
) -> list[RoundRead]:
    rounds = service.list_rounds(session, actor=actor, status=status.value if status else None)
    return [round_read(r) for r in rounds]


@router.post("", status_code=201)
def create_round(
    body: RoundCreate, actor: Manager, session: DbSession, clock: AppClock
) -> RoundDetail:
    r = service.create_round(session, actor=actor, clock=clock, data=body)
    return detail(session, actor=actor, round_id=r.id)


@router.get("/{round_id}")
def get_round(round_id: uuid.UUID, actor: Manager, session: DbSession) -> RoundDetail:
    return detail(session, actor=actor, round_id=round_id)


@router.put("/{round_id}/criteria")
def put_criteria(
    round_id: uuid.UUID, body: CriteriaSet, actor: Manager, session: DbSession, clock: AppClock
) -> RoundDetail:
    service.set_criteria(session, actor=actor, clock=clock, round_id=round_id, items=body.criteria)
    return detail(session, actor=actor, round_id=round_id)


@router.post("/{round_id}/candidates")
def add_candidate(
    round_id: uuid.UUID, body: CandidateAdd, actor: Manager, session: DbSession, clock: AppClock
) -> RoundDetail:
    service.add_candidate(
        session, actor=actor, clock=clock, round_id=round_id, organization_id=body.organization_id
    )
    return detail(session, actor=actor, round_id=round_id)


@router.delete("/{round_id}/candidates/{organization_id}")
def remove_candidate(
    round_id: uuid.UUID,
    organization_id: uuid.UUID,
    actor: Manager,
    session: DbSession,
    clock: AppClock,
) -> RoundDetail:
    service.remove_candidate(
        session, actor=actor, clock=clock, round_id=round_id, organization_id=organization_id
    )
    return detail(session, actor=actor, round_id=round_id)


@router.post("/{round_id}/panel")
def name_panel_member(
    round_id: uuid.UUID, body: PanelMemberAdd, actor: Manager, session: DbSession, clock: AppClock
) -> RoundDetail:
    service.name_panel_member(
        session, actor=actor, clock=clock, round_id=round_id, user_id=body.user_id
    )
    return detail(session, actor=actor, round_id=round_id)


@router.delete("/{round_id}/panel/{user_id}")
def remove_panel_member(
    round_id: uuid.UUID, user_id: uuid.UUID, actor: Manager, session: DbSession, clock: AppClock
) -> RoundDetail:
    service.remove_panel_member(
        session, actor=actor, clock=clock, round_id=round_id, user_id=user_id
    )
    return detail(session, actor=actor, round_id=round_id)


@router.post("/{round_id}/open")
def open_round(
    round_id: uuid.UUID, actor: Manager, session: DbSession, clock: AppClock
) -> RoundDetail:
    service.open_round(session, actor=actor, clock=clock, round_id=round_id)
    return detail(session, actor=actor, round_id=round_id)


@router.post("/{round_id}/start-scoring")
def start_scoring(
    round_id: uuid.UUID,
    actor: Manager,
    session: DbSession,
    clock: AppClock,
    settings: AppSettings,
) -> RoundDetail:
    service.start_scoring(session, actor=actor, clock=clock, settings=settings, round_id=round_id)
    return detail(session, actor=actor, round_id=round_id)


@router.post("/{round_id}/close-scoring")
def close_scoring(
    round_id: uuid.UUID, actor: Manager, session: DbSession, clock: AppClock
) -> RoundDetail:
    service.close_scoring(session, actor=actor, clock=clock, round_id=round_id)
    return detail(session, actor=actor, round_id=round_id)


@router.post("/{round_id}/selection")
def select_operator(
    round_id: uuid.UUID, body: OperatorChoice, actor: Manager, session: DbSession, clock: AppClock
) -> RoundDetail:
    service.select_operator(
        session,
        actor=actor,
        clock=clock,
        round_id=round_id,
        organization_id=body.organization_id,
        reason=body.reason,
    )
    return detail(session, actor=actor, round_id=round_id)


@router.post("/{round_id}/publish")
def publish(
    round_id: uuid.UUID, actor: Manager, session: DbSession, clock: AppClock
) -> RoundDetail:
    service.publish(session, actor=actor, clock=clock, round_id=round_id)
    return detail(session, actor=actor, round_id=round_id)


@router.post("/{round_id}/cancel")
def cancel(
    round_id: uuid.UUID, body: Reason, actor: Manager, session: DbSession, clock: AppClock
) -> RoundDetail:
    service.cancel(session, actor=actor, clock=clock, round_id=round_id, reason=body.reason)
    return detail(session, actor=actor, round_id=round_id)
