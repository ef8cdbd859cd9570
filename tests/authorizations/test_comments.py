"""Comments on a draft agreement (R5.2: 充分征求各方意见 before the collective decision).

The bureau sends a draft to the parties it concerns (the providers whose data is in scope,
the operator, the finance bureau) with a last day in working days; each party sees it on
its workbench and comments; the bureau records how each comment was handled; no decision
is taken while a round is open or a comment unhandled, and the comments stay with the
version the decision approved."""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterator
from datetime import date, timedelta
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from sluice.audit.models import AuditEvent
from sluice.authorizations import comment_repository, comments, parties, repository, service
from sluice.authorizations.schemas import ScopeChange
from sluice.catalog import repository as catalog
from sluice.core.clock import FixedClock
from sluice.core.errors import Conflict, InvalidInput, NotFound
from sluice.web.app import create_app
from tests.authorizations import shared_world
from tests.authorizations.factories import decision
from tests.authorizations.shared_world import Shared
from tests.identity.factories import console_login


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def shared(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory, sqlite_template: Path
) -> Iterator[Shared]:
    yield from shared_world.build(request, tmp_path_factory, sqlite_template)


def _provider_of_world(shared: Shared) -> uuid.UUID:
    with shared.database.unit_of_work() as session:
        [entry] = catalog.entries_by_ids(session, [shared.world.entries[0]])
        return entry.provider_id


def _names(shared: Shared, *ids: uuid.UUID | None) -> set[str]:
    with shared.database.unit_of_work() as session:
        return set(parties.names(session, [i for i in ids if i is not None]).values())


def _open(shared: Shared, clock: FixedClock, agreement: uuid.UUID, days: int = 10) -> uuid.UUID:
    with shared.database.unit_of_work() as session:
        opened = comments.open_round(
            session,
            actor=shared.world.bureau_principal(),
            at=clock.now(),
            authorization_id=agreement,
            working_days=days,
            note="请重点审阅数据范围和收益分配条款。",
        )
        return opened.id


def _comment(
    shared: Shared, clock: FixedClock, round_id: uuid.UUID, who: str, part: str
) -> uuid.UUID:
    actor = {
        "provider": shared.provider_principal(),
        "operator": shared.world.operator_principal(),
        "finance": shared.finance_principal(),
    }[who]
    with shared.database.unit_of_work() as session:
        filed = comments.comment(
            session,
            actor=actor,
            at=clock.now(),
            round_id=round_id,
            part=part,
            body=f"{who}对{part}的意见：建议明确按季度对账。",
        )
    clock.advance(timedelta(minutes=1))  # comments are listed in the order they came
    return filed.id


def _decide(shared: Shared, clock: FixedClock, agreement: uuid.UUID) -> None:
    with shared.database.unit_of_work() as session:
        service.decide(
            session,
            actor=shared.world.bureau_principal(),
            at=clock.now(),
            authorization_id=agreement,
            data=decision(),
        )


def _submit(shared: Shared, clock: FixedClock, agreement: uuid.UUID) -> None:
    with shared.database.unit_of_work() as session:
        service.submit(
            session,
            actor=shared.world.bureau_principal(),
            at=clock.now(),
            authorization_id=agreement,
        )


def _handle(
    shared: Shared, clock: FixedClock, comment_id: uuid.UUID, outcome: str, response: str
) -> None:
    with shared.database.unit_of_work() as session:
        comments.handle(
            session,
            actor=shared.world.bureau_principal(),
            at=clock.now(),
            comment_id=comment_id,
            outcome=outcome,
            response=response,
        )


def test_a_draft_goes_to_its_providers_the_operator_and_finance_until_a_working_day(
    shared: Shared,
) -> None:
    clock = shared.clock()
    agreement = shared.draft(clock)
    round_id = _open(shared, clock, agreement)
    with shared.database.unit_of_work() as session:
        round_ = comment_repository.round_for(session, shared.world.bureau_principal(), round_id)
        assert round_ is not None
        version = service.current_version(session, repository.authorization(session, agreement))  # type: ignore[arg-type]
        # Thursday 26 November plus 10 working days: Thursday 10 December.
        assert (round_.number, round_.version, round_.digest, round_.due_on) == (
            1,
            1,
            version.digest,
            date(2026, 12, 10),
        )
        asked = {p.organization_id: p.role for p in comment_repository.parties(session, round_id)}
        event = session.scalars(
            select(AuditEvent).where(
                AuditEvent.action == comments.OPENED, AuditEvent.target_id == str(agreement)
            )
        ).one()
    assert asked == {
        _provider_of_world(shared): "provider",
        shared.provider.organization_id: "provider",
        shared.world.operator.organization_id: "operator",
        shared.finance.organization_id: "finance",
    }
    assert event.detail["last_day"] == "2026-12-10" and event.detail["parties"] == 4

    # A provider whose data is not in the scope is not asked: for it the round does not exist.
    only_governance = shared.draft(clock, entry_ids=[shared.world.entries[1]])
    other_round = _open(shared, clock, only_governance, days=5)
    with shared.database.unit_of_work() as session:
        assert comments.round_view(
            session, shared.world.bureau_principal(), other_round, today=clock.now().date()
        ).round.due_on == date(2026, 12, 3)
        with pytest.raises(NotFound) as unseen:
            comments.round_view(
                session, shared.provider_principal(), other_round, today=date.today()
            )
    assert unseen.value.detail("zh-CN") == "没有这一轮征求意见，或您无权查看。"
    with pytest.raises(NotFound):
        _comment(shared, clock, other_round, "provider", "scope")


def test_no_decision_while_a_round_is_open_or_a_comment_is_unhandled(shared: Shared) -> None:
    clock = shared.clock()
    agreement = shared.draft(clock)
    _submit(shared, clock, agreement)
    round_id = _open(shared, clock, agreement)
    on_scope = _comment(shared, clock, round_id, "provider", "scope")

    with pytest.raises(Conflict) as still_open:
        _decide(shared, clock, agreement)
    assert still_open.value.code == "comments_open"
    assert still_open.value.detail("zh-CN") == (
        "第 1 轮征求意见尚未结束（截止 2026-12-10）：须结束征求意见并记录每条意见的处理情况后，"
        "才能作出集体决策。"
    )
    assert still_open.value.detail("en") == (
        "Round 1 of comments is still open (last day 2026-12-10): close it and record how "
        "every comment was handled before the collective decision."
    )

    # Before its last day the round closes only once every party has answered.
    with shared.database.unit_of_work() as session, pytest.raises(Conflict) as early:
        comments.close(
            session, actor=shared.world.bureau_principal(), at=clock.now(), round_id=round_id
        )
    assert early.value.code == "comments_close_early"
    missing = early.value.detail("zh-CN")
    assert missing.startswith("征求意见截止日为 2026-12-10；截止前结束须各方均已反馈，尚未反馈：")
    assert set(missing.removesuffix("。").split("尚未反馈：")[1].split("、")) == _names(
        shared,
        _provider_of_world(shared),
        shared.world.operator.organization_id,
        shared.finance.organization_id,
    )

    clock.advance(timedelta(days=1))
    on_revenue = _comment(shared, clock, round_id, "finance", "revenue")
    on_term = _comment(shared, clock, round_id, "operator", "term")
    # The world's own provider never answers: the round waits for its last day.
    clock.advance(timedelta(days=14))
    with pytest.raises(Conflict) as past:
        _comment(shared, clock, round_id, "provider", "general")
    assert past.value.detail("zh-CN") == "第 1 轮征求意见已于 2026-12-10 截止，不再接收意见。"
    with shared.database.unit_of_work() as session:
        comments.close(
            session, actor=shared.world.bureau_principal(), at=clock.now(), round_id=round_id
        )

    _handle(shared, clock, on_scope, "adopted", "")
    with pytest.raises(Conflict) as unhandled:
        _decide(shared, clock, agreement)
    assert unhandled.value.code == "comments_unhandled"
    assert unhandled.value.detail("zh-CN") == (
        "还有 2 条意见未记录处理情况（采纳、部分采纳，或不采纳及理由），不能作出集体决策。"
    )
    with pytest.raises(InvalidInput) as no_reason:
        _handle(shared, clock, on_revenue, "not_adopted", "")
    assert no_reason.value.detail("zh-CN") == "部分采纳或不采纳的，须说明理由。"
    _handle(shared, clock, on_revenue, "not_adopted", "分成比例由实施方案确定，本协议不作调整。")
    _handle(shared, clock, on_term, "partly", "期限维持3年，补充续期评估条款。")
    with pytest.raises(Conflict) as again:
        _handle(shared, clock, on_term, "adopted", "")
    assert again.value.detail("zh-CN") == "这条意见的处理情况已于 2026-12-11 记录，不能更改。"

    # A comment changed the draft: the decision is on version 2, the comments on version 1.
    with shared.database.unit_of_work() as session:
        service.change_scope(
            session,
            actor=shared.world.bureau_principal(),
            settings=shared.settings,
            at=clock.now(),
            authorization_id=agreement,
            change=ScopeChange(
                add_entry_ids=[shared.finance_entries[1]], reason="采纳数据提供部门意见"
            ),
        )
    _decide(shared, clock, agreement)
    with shared.database.unit_of_work() as session:
        approved = repository.authorization(session, agreement)
        assert approved is not None and approved.status == "approved"
        view = comments.round_view(
            session, shared.world.bureau_principal(), round_id, today=clock.now().date()
        )
        assert (view.round.version, view.round.decided_version) == (1, 2)
        assert view.decision is not None and view.decision.id == approved.decision_id
        assert [(c.part, c.outcome) for c in view.comments] == [
            ("scope", "adopted"),
            ("revenue", "not_adopted"),
            ("term", "partly"),
        ]


def test_each_party_reads_its_own_comments_and_the_bureau_all(shared: Shared) -> None:
    clock = shared.clock()
    agreement = shared.draft(clock)
    round_id = _open(shared, clock, agreement)
    _comment(shared, clock, round_id, "provider", "scope")
    _comment(shared, clock, round_id, "operator", "liability")
    _comment(shared, clock, round_id, "operator", "general")
    today = clock.now().date()
    with shared.database.unit_of_work() as session:
        seen = {
            who: [
                c.part for c in comments.round_view(session, actor, round_id, today=today).comments
            ]
            for who, actor in (
                ("bureau", shared.world.bureau_principal()),
                ("provider", shared.provider_principal()),
                ("operator", shared.world.operator_principal()),
                ("finance", shared.finance_principal()),
            )
        }
        with pytest.raises(NotFound):
            comments.round_view(
                session,
                shared.world.operator_principal(shared.world.other_operator),
                round_id,
                today=today,
            )
    assert seen == {
        "bureau": ["scope", "liability", "general"],
        "provider": ["scope"],
        "operator": ["liability", "general"],
        "finance": [],
    }


def test_a_round_is_for_a_draft_one_at_a_time_within_its_bounds(shared: Shared) -> None:
    clock = shared.clock()
    agreement = shared.draft(clock)
    with pytest.raises(InvalidInput) as too_short:
        _open(shared, clock, agreement, days=2)
    assert too_short.value.detail("zh-CN") == "征求意见期限为 3 至 30 个工作日。"
    _open(shared, clock, agreement)
    with pytest.raises(Conflict) as twice:
        _open(shared, clock, agreement)
    assert twice.value.detail("zh-CN") == "第 1 轮征求意见尚未结束，结束后才能再开一轮。"
    with pytest.raises(InvalidInput) as nowhere:
        _comment(shared, clock, comment_repository_round(shared, agreement), "provider", "nowhere")
    assert nowhere.value.detail("zh-CN") == "请选择意见针对的协议内容。"

    from tests.authorizations.factories import active_authorization

    signed = active_authorization(
        shared.database, clock, shared.settings, shared.world, **shared.unique()
    )
    with pytest.raises(Conflict) as in_force:
        _open(shared, clock, signed)
    assert in_force.value.detail("zh-CN") == (
        "协议处于“生效中”状态：只有草稿或审核中的协议才能征求意见。"
    )


def comment_repository_round(shared: Shared, agreement: uuid.UUID) -> uuid.UUID:
    with shared.database.unit_of_work() as session:
        found = comment_repository.open_round(session, agreement)
        assert found is not None
        return found.id


# -- what the parties and the bureau see -------------------------------------------------------


@pytest.fixture(scope="module")
def app_clock() -> FixedClock:
    return FixedClock(shared_world.START)


@pytest.fixture(scope="module")
def client(shared: Shared, app_clock: FixedClock) -> Iterator[TestClient]:
    app = create_app(shared.settings, database=shared.database, clock=app_clock)
    with TestClient(app, base_url="http://127.0.0.1") as test_client:
        yield test_client


def _text(html: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


def _number_and_scenario(shared: Shared, agreement: uuid.UUID) -> tuple[str, str]:
    with shared.database.unit_of_work() as session:
        found = repository.authorization(session, agreement)
        assert found is not None
        return found.number, found.scenario


DECISION_FORM = {
    "meeting": "2026年第13次局务会",
    "held_on": "2026-12-16",
    "participants": "王建国\n李敏\n赵丽",
    "outcome": "approved",
}


def test_the_parties_comment_from_their_workbench_and_the_decision_waits_for_the_handling(
    shared: Shared, client: TestClient, app_clock: FixedClock
) -> None:
    clock = shared.clock()
    agreement = shared.draft(clock)
    _submit(shared, clock, agreement)
    number, scenario = _number_and_scenario(shared, agreement)

    client.cookies.clear()
    csrf = console_login(client, shared.world.bureau)
    assert "尚未征求意见。" in _text(client.get(f"/console/authorizations/{agreement}").text)
    opened = client.post(
        f"/console/authorizations/{agreement}/comment-rounds",
        data={"csrf_token": csrf, "working_days": "10", "note": "请重点审阅收益分配条款。"},
        follow_redirects=False,
    )
    assert opened.status_code == 303
    round_path = opened.headers["location"].split("?")[0]
    assert round_path.startswith("/console/comment-rounds/")

    # The provider finds the draft on its workbench, reads it as sent and comments.
    client.cookies.clear()
    csrf = console_login(client, shared.provider)
    row = f"{number} · {scenario} · 第 1 轮"
    home = _text(client.get("/console").text)
    assert re.search(r"待反馈：\d+ 份授权运营协议草案征求贵单位意见", home)
    assert row in home
    page = _text(client.get(round_path).text)
    assert "截止日 2026-12-10（10 个工作日）" in page
    assert "请重点审阅收益分配条款。" in page
    assert "政府分成比例：15.00%" in page
    filed = client.post(
        f"{round_path}/comments",
        data={"csrf_token": csrf, "part": "scope", "body": "建议补充数据更新频率的约定。"},
    )
    assert filed.status_code == 200
    assert "意见已提交。" in filed.text
    assert "待数据局处理" in filed.text
    assert row not in _text(client.get("/console").text)
    # The agreement itself is not the provider's to open.
    assert client.get(f"/console/authorizations/{agreement}").status_code == 403

    # The bureau cannot decide yet, and says why.
    client.cookies.clear()
    csrf = console_login(client, shared.world.bureau)
    refused = client.post(
        f"/console/authorizations/{agreement}/decision", data={"csrf_token": csrf, **DECISION_FORM}
    )
    assert refused.status_code == 409
    assert (
        "第 1 轮征求意见尚未结束（截止 2026-12-10）：须结束征求意见并记录每条意见的处理情况后，"
        "才能作出集体决策。" in refused.text
    )
    assert re.search(r"待处理：\d+ 条意见尚未记录采纳情况", _text(client.get("/console").text))
    with shared.database.unit_of_work() as session:
        (comment,) = comment_repository.comments_seen(
            session, shared.world.bureau_principal(), uuid.UUID(round_path.rsplit("/", 1)[1])
        )
    handling = f"{round_path}/comments/{comment.id}/handling"
    no_reason = client.post(
        handling, data={"csrf_token": csrf, "outcome": "not_adopted", "response": ""}
    )
    assert no_reason.status_code == 422
    assert "部分采纳或不采纳的，须说明理由。" in no_reason.text
    handled = client.post(
        handling,
        data={"csrf_token": csrf, "outcome": "not_adopted", "response": "更新频率已在目录中载明。"},
    )
    assert "已记录处理情况。" in handled.text
    early = client.post(f"{round_path}/close", data={"csrf_token": csrf})
    assert early.status_code == 409
    assert "截止前结束须各方均已反馈" in early.text

    # Past its last day the round closes and the agreement goes to its decision.
    app_clock.advance(timedelta(days=20))
    try:
        client.cookies.clear()
        csrf = console_login(client, shared.world.bureau)  # yesterday's session has lapsed
        closed = client.post(f"{round_path}/close", data={"csrf_token": csrf})
        assert "本轮征求意见已结束。" in closed.text
        decided = client.post(
            f"/console/authorizations/{agreement}/decision",
            data={"csrf_token": csrf, **DECISION_FORM},
        )
    finally:
        app_clock.advance(timedelta(days=-20))
    assert decided.status_code == 200
    shown = _text(decided.text)
    assert "意见及处理情况随第 1 版提交 2026年第13次局务会（2026-12-16）集体决策" in shown
    assert "建议补充数据更新频率的约定。 不采纳 更新频率已在目录中载明。" in shown

    # The provider reads how its comment was handled.
    client.cookies.clear()
    console_login(client, shared.provider)
    own = _text(client.get(round_path).text)
    assert "不采纳 更新频率已在目录中载明。" in own
    assert "本轮征求意见已结束，不再接收意见。" in own


def test_the_finance_bureau_finds_the_rounds_it_is_asked_in_and_others_do_not(
    shared: Shared, client: TestClient
) -> None:
    clock = shared.clock()
    agreement = shared.draft(clock)
    round_id = _open(shared, clock, agreement)
    number, scenario = _number_and_scenario(shared, agreement)
    client.cookies.clear()
    console_login(client, shared.finance)
    listed = _text(client.get(f"/console/comment-rounds?q={number}").text)
    assert f"{number} {scenario} 第 1 轮 · 第 1 版" in listed
    assert "征求意见中" in listed
    assert client.get(f"/console/comment-rounds/{round_id}").status_code == 200

    # An operator not party to the agreement is not asked: no row, and no page.
    other = shared.world.other_operator
    client.cookies.clear()
    console_login(client, other)
    assert number not in _text(client.get(f"/console/comment-rounds?q={number}").text)
    assert client.get(f"/console/comment-rounds/{round_id}").status_code == 404
