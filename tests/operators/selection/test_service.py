"""Competitive consultation rules (R5.2a): criteria, candidates, panel, scores, ranking,
the bureau's choice and its reason, and every edge of the round's lifecycle."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from fractions import Fraction

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from sluice.audit.models import AuditEvent
from sluice.core.clock import FixedClock
from sluice.core.database import Database
from sluice.core.errors import (
    Conflict,
    InvalidInput,
    InvalidTransition,
    NotFound,
    PermissionDenied,
    SluiceError,
)
from sluice.core.permissions import Role
from sluice.core.settings import Settings
from sluice.operators.selection import service
from sluice.operators.selection.schemas import CriterionIn, RoundStatus, ScoreIn
from sluice.operators.selection.states import ROUND
from tests.identity.factories import make_account
from tests.operators.selection.factories import (
    World,
    bureau,
    make_world,
    new_round,
    prepare,
    score_all,
    scored_round,
)


@pytest.fixture
def world(database: Database, clock: FixedClock) -> World:
    return make_world(database, clock)


def _start(session: Session, clock: FixedClock, settings: Settings, round_id: uuid.UUID) -> None:
    service.start_scoring(
        session, actor=bureau(), clock=clock, settings=settings, round_id=round_id
    )


def _close(session: Session, clock: FixedClock, round_id: uuid.UUID) -> None:
    service.close_scoring(session, actor=bureau(), clock=clock, round_id=round_id)


def test_the_round_states_and_the_api_enum_agree() -> None:
    assert set(ROUND.states) == {s.value for s in RoundStatus}


# --- criteria --------------------------------------------------------------------------------


def test_weights_not_totalling_100_are_refused_with_code_and_message(
    database: Database, clock: FixedClock
) -> None:
    with database.unit_of_work() as session:
        round_id = new_round(session, clock, criteria=None)
        with pytest.raises(InvalidInput) as refused:
            service.set_criteria(
                session,
                actor=bureau(),
                clock=clock,
                round_id=round_id,
                items=[
                    CriterionIn(name="技术方案", weight=40),
                    CriterionIn(name="运营方案", weight=50),
                ],
            )
    error = refused.value
    assert error.code == "criteria_weights_invalid"
    assert error.status == 422
    assert error.detail("zh-CN") == "评分因素的权重合计须为 100%，当前合计 90%。"
    assert error.detail("en") == "The criteria weights must total 100%; they total 90%."
    assert error.title("en") == "Invalid criteria weights"


def test_a_round_needs_at_least_one_criterion_to_open(
    database: Database, clock: FixedClock
) -> None:
    with database.unit_of_work() as session:
        round_id = new_round(session, clock, criteria=None)
        with pytest.raises(InvalidInput) as refused:
            service.open_round(session, actor=bureau(), clock=clock, round_id=round_id)
    assert refused.value.code == "criteria_weights_invalid"
    assert refused.value.detail("en") == "Set at least one criterion; the weights must total 100%."


def test_a_criterion_named_twice_is_refused(database: Database, clock: FixedClock) -> None:
    with database.unit_of_work() as session:
        round_id = new_round(session, clock)
        with pytest.raises(InvalidInput) as refused:
            service.set_criteria(
                session,
                actor=bureau(),
                clock=clock,
                round_id=round_id,
                items=[CriterionIn(name="技术方案", weight=50)] * 2,
            )
    assert refused.value.detail("zh-CN") == "评分因素“技术方案”重复。"


def test_criteria_are_replaced_in_draft_and_fixed_once_open(
    database: Database, clock: FixedClock
) -> None:
    with database.unit_of_work() as session:
        round_id = new_round(session, clock)
        service.set_criteria(
            session,
            actor=bureau(),
            clock=clock,
            round_id=round_id,
            items=[
                CriterionIn(name="技术方案", weight=70),
                CriterionIn(name="安全保障", weight=30),
            ],
        )
        assert [(c.name, c.weight) for c in service.criteria(session, round_id)] == [
            ("技术方案", 70),
            ("安全保障", 30),
        ]
        service.open_round(session, actor=bureau(), clock=clock, round_id=round_id)
        with pytest.raises(Conflict) as refused:
            service.set_criteria(
                session,
                actor=bureau(),
                clock=clock,
                round_id=round_id,
                items=[CriterionIn(name="技术方案", weight=100)],
            )
    assert (
        refused.value.detail("en") == "The criteria and weights are fixed once the round is open."
    )


# --- candidates and panel ---------------------------------------------------------------------


def test_an_unqualified_organization_is_refused_as_candidate(
    database: Database, clock: FixedClock, world: World
) -> None:
    with database.unit_of_work() as session:
        round_id = new_round(session, clock)
        with pytest.raises(InvalidInput) as refused:
            service.add_candidate(
                session,
                actor=bureau(),
                clock=clock,
                round_id=round_id,
                organization_id=world.unqualified,
            )
        assert service.candidates(session, round_id) == []
    error = refused.value
    assert error.code == "candidate_not_qualified"
    assert error.detail("zh-CN") == (
        "“丁网络有限公司”没有通过资格审核的运营机构申请，不能参加竞争性磋商。"
    )


def test_an_organization_without_any_application_is_refused_too(
    database: Database, clock: FixedClock
) -> None:
    buyer = make_account(database, clock, Role.BUYER)
    with database.unit_of_work() as session:
        round_id = new_round(session, clock)
        with pytest.raises(InvalidInput) as refused:
            service.add_candidate(
                session,
                actor=bureau(),
                clock=clock,
                round_id=round_id,
                organization_id=buyer.organization_id,  # type: ignore[arg-type]
            )
    assert refused.value.code == "candidate_not_qualified"


def test_a_candidate_is_registered_once_with_its_qualified_application(
    database: Database, clock: FixedClock, world: World
) -> None:
    with database.unit_of_work() as session:
        round_id = new_round(session, clock)
        added = service.add_candidate(
            session, actor=bureau(), clock=clock, round_id=round_id, organization_id=world.alpha
        )
        assert added.application_id is not None
        with pytest.raises(Conflict) as refused:
            service.add_candidate(
                session, actor=bureau(), clock=clock, round_id=round_id, organization_id=world.alpha
            )
    assert refused.value.detail("zh-CN") == "“甲数据科技有限公司”已是本次磋商的候选机构。"


def test_too_few_candidates_cannot_be_scored(
    database: Database, clock: FixedClock, settings: Settings, world: World
) -> None:
    with database.unit_of_work() as session:
        round_id = new_round(session, clock)
        prepare(session, clock, world, round_id, candidates=[world.alpha])
        with pytest.raises(Conflict) as refused:
            _start(session, clock, settings, round_id)
    error = refused.value
    assert error.code == "too_few_candidates"
    assert error.status == 409
    assert error.detail("zh-CN") == (
        "竞争性磋商至少需要 2 家通过资格审核的候选机构，目前只有 1 家。"
    )
    assert error.detail("en") == (
        "A competitive consultation needs at least 2 qualified candidates; it has 1."
    )


def test_the_minimum_is_a_setting(
    database: Database, clock: FixedClock, settings: Settings, world: World
) -> None:
    strict = settings.model_copy(update={"selection_min_candidates": 3})
    with database.unit_of_work() as session:
        round_id = new_round(session, clock)
        prepare(session, clock, world, round_id, candidates=[world.alpha, world.beta])
        with pytest.raises(Conflict) as refused:
            _start(session, clock, strict, round_id)
        assert "至少需要 3 家" in refused.value.detail("zh-CN")
        service.add_candidate(
            session, actor=bureau(), clock=clock, round_id=round_id, organization_id=world.gamma
        )
        _start(session, clock, strict, round_id)


def test_scoring_needs_a_panel(
    database: Database, clock: FixedClock, settings: Settings, world: World
) -> None:
    with database.unit_of_work() as session:
        round_id = new_round(session, clock)
        service.open_round(session, actor=bureau(), clock=clock, round_id=round_id)
        for org in (world.alpha, world.beta):
            service.add_candidate(
                session, actor=bureau(), clock=clock, round_id=round_id, organization_id=org
            )
        with pytest.raises(Conflict) as refused:
            _start(session, clock, settings, round_id)
    assert refused.value.detail("en") == "Name at least one panel member first."


def test_only_panel_users_can_be_named(database: Database, clock: FixedClock, world: World) -> None:
    operator = make_account(database, clock, Role.OPERATOR)
    with database.unit_of_work() as session:
        round_id = new_round(session, clock)
        with pytest.raises(InvalidInput) as refused:
            service.name_panel_member(
                session, actor=bureau(), clock=clock, round_id=round_id, user_id=operator.user_id
            )
    assert refused.value.detail("zh-CN") == "所选用户不是在用的评价专家账户，不能担任评审。"


def test_candidates_and_panel_are_fixed_once_scoring_starts(
    database: Database, clock: FixedClock, settings: Settings, world: World
) -> None:
    with database.unit_of_work() as session:
        round_id = new_round(session, clock)
        prepare(session, clock, world, round_id, candidates=[world.alpha, world.beta])
        service.remove_candidate(
            session, actor=bureau(), clock=clock, round_id=round_id, organization_id=world.beta
        )
        service.add_candidate(
            session, actor=bureau(), clock=clock, round_id=round_id, organization_id=world.beta
        )
        _start(session, clock, settings, round_id)
        with pytest.raises(Conflict) as refused:
            service.add_candidate(
                session, actor=bureau(), clock=clock, round_id=round_id, organization_id=world.gamma
            )
        assert refused.value.detail("en") == (
            "Candidates and panel members cannot change once scoring has started."
        )
        with pytest.raises(Conflict):
            service.remove_panel_member(
                session,
                actor=bureau(),
                clock=clock,
                round_id=round_id,
                user_id=world.members[0].user_id,
            )


# --- scoring ----------------------------------------------------------------------------------


def test_a_panel_member_not_on_the_round_cannot_score_or_see_it(
    database: Database, clock: FixedClock, settings: Settings, world: World
) -> None:
    with database.unit_of_work() as session:
        round_id = new_round(session, clock)
        prepare(session, clock, world, round_id)
        _start(session, clock, settings, round_id)
        criterion = service.criteria(session, round_id)[0]
        outsider = world.outsider.principal(session)
        with pytest.raises(PermissionDenied) as refused:
            service.submit_scores(
                session,
                actor=outsider,
                clock=clock,
                round_id=round_id,
                scores=[ScoreIn(organization_id=world.alpha, criterion_id=criterion.id, score=90)],
            )
        with pytest.raises(PermissionDenied):
            service.my_sheet(session, actor=outsider, round_id=round_id)
        assert service.my_rounds(session, actor=outsider) == []
    error = refused.value
    assert error.code == "not_on_panel"
    assert error.status == 403
    assert error.detail("en") == (
        "You are not on the panel of this consultation and may not see or submit scores."
    )


def test_the_bureau_itself_cannot_score(
    database: Database, clock: FixedClock, settings: Settings, world: World
) -> None:
    with database.unit_of_work() as session:
        round_id = new_round(session, clock)
        with pytest.raises(PermissionDenied) as refused:
            service.my_sheet(session, actor=bureau(), round_id=round_id)
    assert refused.value.code == "permission_denied"


def test_scores_are_revised_until_scoring_closes_and_every_change_is_audited(
    database: Database, clock: FixedClock, settings: Settings, world: World
) -> None:
    member = world.members[0]
    with database.unit_of_work() as session:
        round_id = new_round(session, clock)
        prepare(session, clock, world, round_id, candidates=[world.alpha, world.beta])
        _start(session, clock, settings, round_id)
        criterion = service.criteria(session, round_id)[0]

        def give(score: int) -> service.ScoreSheet:
            return service.submit_scores(
                session,
                actor=member.principal(session),
                clock=clock,
                round_id=round_id,
                scores=[
                    ScoreIn(organization_id=world.alpha, criterion_id=criterion.id, score=score)
                ],
            )

        def alpha_row(sheet: service.ScoreSheet) -> dict[uuid.UUID, int | None]:
            return next(r.scores for r in sheet.rows if r.organization_id == world.alpha)

        sheet = give(70)
        assert alpha_row(sheet)[criterion.id] == 70
        assert sheet.missing == 2 * 4 - 1
        sheet = give(82)
        assert alpha_row(sheet)[criterion.id] == 82
        changes = [
            e.detail["changes"]
            for e in session.scalars(
                select(AuditEvent)
                .where(AuditEvent.action == "selection_round.scored")
                .order_by(AuditEvent.id)
            )
        ]
        assert changes == [
            [{"candidate": "甲数据科技有限公司", "criterion": "技术方案", "from": None, "to": 70}],
            [{"candidate": "甲数据科技有限公司", "criterion": "技术方案", "from": 70, "to": 82}],
        ]
        for m in world.members:
            score_all(
                session,
                clock,
                m,
                round_id,
                {world.alpha: [80, 80, 80, 80], world.beta: [70, 70, 70, 70]},
            )
        _close(session, clock, round_id)
        with pytest.raises(Conflict) as refused:
            give(99)
        assert not service.my_sheet(
            session, actor=member.principal(session), round_id=round_id
        ).editable
    assert refused.value.detail("en") == (
        "This round is not being scored; scores cannot be submitted or changed."
    )


def test_a_score_outside_the_round_is_refused(
    database: Database, clock: FixedClock, settings: Settings, world: World
) -> None:
    with database.unit_of_work() as session:
        round_id = new_round(session, clock)
        prepare(session, clock, world, round_id, candidates=[world.alpha, world.beta])
        _start(session, clock, settings, round_id)
        criterion = service.criteria(session, round_id)[0]
        with pytest.raises(InvalidInput) as refused:
            service.submit_scores(
                session,
                actor=world.members[0].principal(session),
                clock=clock,
                round_id=round_id,
                scores=[ScoreIn(organization_id=world.gamma, criterion_id=criterion.id, score=5)],
            )
    assert refused.value.detail("zh-CN") == "评分指向的候选机构或评分因素不属于本次磋商。"


def test_closing_lists_every_missing_score(
    database: Database, clock: FixedClock, settings: Settings, world: World
) -> None:
    first, second, third = world.members
    with database.unit_of_work() as session:
        round_id = new_round(session, clock, criteria=[("技术方案", 60), ("安全保障", 40)])
        prepare(session, clock, world, round_id, candidates=[world.alpha, world.beta])
        _start(session, clock, settings, round_id)
        score_all(session, clock, first, round_id, {world.alpha: [80, 80], world.beta: [70, 70]})
        score_all(session, clock, second, round_id, {world.alpha: [80, 80]})
        tech = service.criteria(session, round_id)[0]
        service.submit_scores(
            session,
            actor=third.principal(session),
            clock=clock,
            round_id=round_id,
            scores=[ScoreIn(organization_id=world.beta, criterion_id=tech.id, score=75)],
        )
        with pytest.raises(Conflict) as refused:
            _close(session, clock, round_id)
    error = refused.value
    assert isinstance(error, service.ScoresIncomplete)
    assert error.code == "scores_incomplete"
    # Members named at the same moment are listed by name: 孙 (third) before 钱 (second).
    assert [(m.member, m.candidate, m.criterion) for m in error.missing] == [
        (third.display_name, "乙数字服务有限公司", "安全保障"),
        (third.display_name, "甲数据科技有限公司", "技术方案"),
        (third.display_name, "甲数据科技有限公司", "安全保障"),
        (second.display_name, "乙数字服务有限公司", "技术方案"),
        (second.display_name, "乙数字服务有限公司", "安全保障"),
    ]
    problem = error.problem("zh-CN")
    assert problem["missing"][0] == {
        "member": "孙工程师",
        "candidate": "乙数字服务有限公司",
        "criterion": "安全保障",
    }
    assert problem["detail"].startswith("尚有 5 项评分未提交，不能结束评分：")
    assert problem["detail"].endswith(
        "钱研究员 — 乙数字服务有限公司 — 技术方案；钱研究员 — 乙数字服务有限公司 — 安全保障"
    )
    assert error.detail("en").endswith(
        "钱研究员 — 乙数字服务有限公司 — 技术方案; 钱研究员 — 乙数字服务有限公司 — 安全保障"
    )


# --- ranking and the choice -------------------------------------------------------------------


def test_the_worked_example_ranks_exactly(
    database: Database, clock: FixedClock, settings: Settings, world: World
) -> None:
    with database.unit_of_work() as session:
        round_id = scored_round(session, clock, settings, world)
        _close(session, clock, round_id)
        round_ = service.get(session, actor=bureau(), round_id=round_id)
        result = service.ranking(session, round_)
        assert result is not None
        tech = service.criteria(session, round_id)[0]
        assert [(e.rank, e.name, e.weighted) for e in result.entries] == [
            (1, "乙数字服务有限公司", Fraction(839, 10)),
            (2, "甲数据科技有限公司", Fraction(2399, 30)),
            (3, "丙信息技术有限公司", Fraction(236, 3)),
        ]
        assert result.entries[1].means[tech.id] == Fraction(263, 3)
        closed = session.scalar(
            select(AuditEvent).where(AuditEvent.action == "selection_round.close_scoring")
        )
        assert closed is not None
        assert [(r["rank"], r["weighted_score"]) for r in closed.detail["ranking"]] == [
            (1, "839/10"),
            (2, "2399/30"),
            (3, "236/3"),
        ]


def test_ranking_is_not_shown_while_scoring(
    database: Database, clock: FixedClock, settings: Settings, world: World
) -> None:
    with database.unit_of_work() as session:
        round_id = scored_round(session, clock, settings, world)
        round_ = service.get(session, actor=bureau(), round_id=round_id)
        assert service.ranking(session, round_) is None


def test_the_top_ranked_is_selected_without_a_reason(
    database: Database, clock: FixedClock, settings: Settings, world: World
) -> None:
    with database.unit_of_work() as session:
        round_id = scored_round(session, clock, settings, world)
        _close(session, clock, round_id)
        service.select_operator(
            session,
            actor=bureau(),
            clock=clock,
            round_id=round_id,
            organization_id=world.beta,
            reason=None,
        )
        assert service.selected_operator(session, round_id) is None  # not yet published
        service.publish(session, actor=bureau(), clock=clock, round_id=round_id)
        assert service.selected_operator(session, round_id) == world.beta
        outcome = service.published_selection(session, round_id)
        assert outcome is not None
        assert outcome.scenario == "普惠金融"
        assert outcome.selected_on.isoformat() == "2026-11-26"


def test_choosing_another_candidate_needs_a_reason_which_is_kept(
    database: Database, clock: FixedClock, settings: Settings, world: World
) -> None:
    with database.unit_of_work() as session:
        round_id = scored_round(session, clock, settings, world)
        _close(session, clock, round_id)
        with pytest.raises(InvalidInput) as refused:
            service.select_operator(
                session,
                actor=bureau(),
                clock=clock,
                round_id=round_id,
                organization_id=world.alpha,
                reason="  ",
            )
        error = refused.value
        assert error.code == "selection_reason_required"
        assert error.detail("zh-CN") == (
            "“甲数据科技有限公司”不是排名第一的候选机构（第一名：乙数字服务有限公司），"
            "选定须填写书面理由。"
        )
        reason = "乙公司在磋商后撤回了其收益分配承诺，经集体决策改选排名第二的甲公司。"
        chosen = service.select_operator(
            session,
            actor=bureau(),
            clock=clock,
            round_id=round_id,
            organization_id=world.alpha,
            reason=reason,
        )
        assert chosen.selection_reason == reason
        event = session.scalar(
            select(AuditEvent).where(AuditEvent.action == "selection_round.operator_selected")
        )
        assert event is not None
        assert event.detail["reason"] == reason
        assert event.detail["top_ranked"] is False
        assert event.detail["rank"] == 2


def test_a_tie_at_the_top_must_be_broken_by_the_bureau_with_a_reason(
    database: Database, clock: FixedClock, settings: Settings, world: World
) -> None:
    with database.unit_of_work() as session:
        round_id = new_round(session, clock, criteria=[("技术方案", 60), ("安全保障", 40)])
        prepare(session, clock, world, round_id, candidates=[world.alpha, world.beta])
        _start(session, clock, settings, round_id)
        for m in world.members:
            score_all(session, clock, m, round_id, {world.alpha: [80, 70], world.beta: [80, 70]})
        _close(session, clock, round_id)
        result = service.ranking(session, service.get(session, actor=bureau(), round_id=round_id))
        assert result is not None
        assert result.tie_at_top
        assert [(e.rank, e.tied) for e in result.entries] == [(1, True), (1, True)]
        with pytest.raises(InvalidInput) as refused:
            service.select_operator(
                session,
                actor=bureau(),
                clock=clock,
                round_id=round_id,
                organization_id=world.beta,
                reason=None,
            )
        assert refused.value.code == "selection_reason_required"
        assert refused.value.detail("zh-CN") == (
            "乙数字服务有限公司；甲数据科技有限公司 并列第一，须由数据局说明理由后选定。"
        )
        service.select_operator(
            session,
            actor=bureau(),
            clock=clock,
            round_id=round_id,
            organization_id=world.beta,
            reason="两家并列第一，乙公司的安全保障方案已通过等保三级测评，选定乙公司。",
        )
        service.publish(session, actor=bureau(), clock=clock, round_id=round_id)
        assert service.selected_operator(session, round_id) == world.beta


def test_the_operator_is_chosen_from_the_candidates_only(
    database: Database, clock: FixedClock, settings: Settings, world: World
) -> None:
    with database.unit_of_work() as session:
        round_id = scored_round(session, clock, settings, world)
        _close(session, clock, round_id)
        with pytest.raises(InvalidInput) as refused:
            service.select_operator(
                session,
                actor=bureau(),
                clock=clock,
                round_id=round_id,
                organization_id=world.unqualified,
                reason="不应接受",
            )
    assert refused.value.detail("en") == "The chosen organization is not a candidate in this round."


def test_publishing_needs_a_selection(
    database: Database, clock: FixedClock, settings: Settings, world: World
) -> None:
    with database.unit_of_work() as session:
        round_id = scored_round(session, clock, settings, world)
        _close(session, clock, round_id)
        with pytest.raises(Conflict) as refused:
            service.publish(session, actor=bureau(), clock=clock, round_id=round_id)
    assert refused.value.detail("en") == "Select the operator before publishing the result."


def test_an_unpublished_round_is_not_found_for_the_public(
    database: Database, clock: FixedClock, settings: Settings, world: World
) -> None:
    with database.unit_of_work() as session:
        round_id = scored_round(session, clock, settings, world)
        _close(session, clock, round_id)
        with pytest.raises(NotFound):
            service.published_round(session, round_id)
        with pytest.raises(NotFound):
            service.published_round(session, uuid.uuid4())
        assert service.published_rounds(session) == []
        assert service.selected_operator(session, round_id) is None


# --- the lifecycle, edge by edge ------------------------------------------------------------

Fire = Callable[[Session, FixedClock, Settings, uuid.UUID], object]

FIRES: dict[str, Fire] = {
    "open": lambda s, c, st, r: service.open_round(s, actor=bureau(), clock=c, round_id=r),
    "start_scoring": lambda s, c, st, r: service.start_scoring(
        s, actor=bureau(), clock=c, settings=st, round_id=r
    ),
    "close_scoring": lambda s, c, st, r: service.close_scoring(
        s, actor=bureau(), clock=c, round_id=r
    ),
    "publish": lambda s, c, st, r: service.publish(s, actor=bureau(), clock=c, round_id=r),
    "cancel": lambda s, c, st, r: service.cancel(
        s, actor=bureau(), clock=c, round_id=r, reason="预算调整，本轮磋商终止"
    ),
}


def _round_in(
    state: str, session: Session, clock: FixedClock, settings: Settings, world: World
) -> uuid.UUID:
    """A round in ``state`` with whatever that state's next edges need."""
    if state == "draft":
        return new_round(session, clock)
    if state == "cancelled":
        round_id = new_round(session, clock)
        FIRES["cancel"](session, clock, settings, round_id)
        return round_id
    if state == "open":
        round_id = new_round(session, clock)
        prepare(session, clock, world, round_id)
        return round_id
    round_id = scored_round(session, clock, settings, world)
    if state == "scoring":
        return round_id
    _close(session, clock, round_id)
    service.select_operator(
        session,
        actor=bureau(),
        clock=clock,
        round_id=round_id,
        organization_id=world.beta,
        reason=None,
    )
    if state == "ranked":
        return round_id
    FIRES["publish"](session, clock, settings, round_id)
    return round_id


@pytest.mark.parametrize("state", list(ROUND.states))
def test_every_edge_of_the_lifecycle(
    database: Database, clock: FixedClock, settings: Settings, world: World, state: str
) -> None:
    allowed = {t.name: t.target for t in ROUND.available(state)}
    for name in (t.name for t in ROUND.transitions):
        with database.unit_of_work() as session:
            round_id = _round_in(state, session, clock, settings, world)
            if name in allowed:
                FIRES[name](session, clock, settings, round_id)
                round_ = service.get(session, actor=bureau(), round_id=round_id)
                assert round_.status == allowed[name], (state, name)
                event = session.scalar(
                    select(AuditEvent)
                    .where(
                        AuditEvent.action == f"selection_round.{name}",
                        AuditEvent.target_id == str(round_id),
                    )
                    .order_by(AuditEvent.id.desc())
                )
                assert event is not None
                assert (event.detail["from"], event.detail["to"]) == (state, allowed[name])
            else:
                with pytest.raises(InvalidTransition) as refused:
                    FIRES[name](session, clock, settings, round_id)
                assert refused.value.code == "invalid_transition", (state, name)
                assert service.get(session, actor=bureau(), round_id=round_id).status == state


def test_an_invalid_transition_explains_itself(
    database: Database, clock: FixedClock, settings: Settings, world: World
) -> None:
    with database.unit_of_work() as session:
        round_id = new_round(session, clock)
        with pytest.raises(SluiceError) as refused:
            FIRES["publish"](session, clock, settings, round_id)
    assert refused.value.detail("zh-CN") == (
        "竞争性磋商当前为“筹备中”，不能执行“公布磋商结果”。可执行：发布磋商公告、终止磋商。"
    )


def test_cancelling_keeps_the_reason(database: Database, clock: FixedClock) -> None:
    with database.unit_of_work() as session:
        round_id = new_round(session, clock)
        cancelled = service.cancel(
            session, actor=bureau(), clock=clock, round_id=round_id, reason="场景需求调整"
        )
        assert (cancelled.status, cancelled.cancel_reason) == ("cancelled", "场景需求调整")
        assert cancelled.cancelled_at == clock.now()


def test_only_the_bureau_manages_rounds(
    database: Database, clock: FixedClock, world: World
) -> None:
    with database.unit_of_work() as session:
        round_id = new_round(session, clock)
        member = world.members[0].principal(session)
        with pytest.raises(PermissionDenied) as refused:
            service.open_round(session, actor=member, clock=clock, round_id=round_id)
    assert refused.value.code == "permission_denied"
