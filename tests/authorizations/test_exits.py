"""Exits, rectification, the daily sweep: how agreements end, and that they end for real."""

from __future__ import annotations

import uuid
from datetime import date, timedelta

import pytest

from sluice.authorizations import endings, exits, repository
from sluice.authorizations import states as st
from sluice.authorizations.schemas import ExitIn, RectificationIn
from sluice.authorizations.sweep import sweep
from sluice.core.clock import FixedClock
from sluice.core.database import Database
from sluice.core.errors import Conflict, InvalidInput
from sluice.core.settings import Settings
from tests.authorizations.factories import World, active_authorization, fail_by_two, make_world

LETTER = "因公司战略调整，申请退出本场景授权运营。"


@pytest.fixture
def world(database: Database, clock: FixedClock, settings: Settings) -> World:
    return make_world(database, clock, settings)


@pytest.fixture
def authorization_id(
    database: Database, clock: FixedClock, settings: Settings, world: World
) -> uuid.UUID:
    return active_authorization(database, clock, settings, world)


def _status(database: Database, authorization_id: uuid.UUID) -> str:
    with database.unit_of_work() as session:
        found = repository.authorization(session, authorization_id)
        assert found is not None
        return found.status


def _sweep(database: Database, settings: Settings, clock: FixedClock):  # type: ignore[no-untyped-def]
    with database.unit_of_work() as session:
        return sweep(session, settings=settings, at=clock.now())


def test_a_voluntary_exit_ends_on_its_date_then_hands_over_and_disposes_by_r5_7(
    database: Database,
    clock: FixedClock,
    settings: Settings,
    world: World,
    authorization_id: uuid.UUID,
) -> None:
    bureau = world.bureau_principal()
    with database.unit_of_work() as session:
        request = exits.request_exit(
            session,
            actor=world.operator_principal(),
            settings=settings,
            at=clock.now(),
            authorization_id=authorization_id,
            data=ExitIn(letter=LETTER, exit_date=date(2027, 3, 1)),
        )
        exit_id = request.id
        exits.decide_exit(
            session, actor=bureau, at=clock.now(), exit_id=exit_id, approve=True, reason="同意"
        )
    with database.unit_of_work() as session, pytest.raises(Conflict) as early:
        endings.execute_exit(
            session, actor=bureau, settings=settings, at=clock.now(), exit_id=exit_id
        )
    assert "尚未到" in early.value.detail("zh-CN")
    # Still in force until the exit date.
    clock.advance(timedelta(days=94))  # 2027-02-28
    assert _sweep(database, settings, clock).exits_executed == []
    assert _status(database, authorization_id) == st.ACTIVE
    clock.advance(timedelta(days=1))  # 2027-03-01
    report = _sweep(database, settings, clock)
    assert report.exits_executed == [str(exit_id)]
    assert _status(database, authorization_id) == st.TERMINATED
    with database.unit_of_work() as session:
        assert repository.certificate(session, authorization_id) is not None
        disposals = {(d.name, d.kind, d.goes_to) for d in exits.disposals(session, exit_id)}
        assert disposals == {
            ("小微企业信用画像", "product", "government"),
            ("普惠金融场景形成的公共数据资产", "public_data_asset", "government"),
        }
        own = exits.record_asset(
            session,
            actor=bureau,
            at=clock.now(),
            exit_id=exit_id,
            name="自建机房设备",
            kind="operator_investment",
        )
        assert own.goes_to == "operator"
        items = exits.handover_items(session, exit_id)
        assert len(items) == len(exits.DEFAULT_HANDOVER)
        for item in items[:-1]:
            exits.mark_handover_done(session, actor=bureau, at=clock.now(), item_id=item.id)
    with database.unit_of_work() as session, pytest.raises(Conflict) as open_items:
        exits.complete_exit(session, actor=bureau, at=clock.now(), exit_id=exit_id)
    assert "还有 1 项交接事项未完成：提交退出总结报告" in open_items.value.detail("zh-CN")
    with database.unit_of_work() as session:
        exits.mark_handover_done(session, actor=bureau, at=clock.now(), item_id=items[-1].id)
        done = exits.complete_exit(session, actor=bureau, at=clock.now(), exit_id=exit_id)
        assert done.status == st.EXIT_COMPLETED


def test_a_refused_exit_leaves_the_authorization_in_force(
    database: Database,
    clock: FixedClock,
    settings: Settings,
    world: World,
    authorization_id: uuid.UUID,
) -> None:
    with database.unit_of_work() as session:
        request = exits.request_exit(
            session,
            actor=world.operator_principal(),
            settings=settings,
            at=clock.now(),
            authorization_id=authorization_id,
            data=ExitIn(letter=LETTER, exit_date=date(2027, 6, 1)),
        )
        exits.decide_exit(
            session,
            actor=world.bureau_principal(),
            at=clock.now(),
            exit_id=request.id,
            approve=False,
            reason="在途订单未处理完毕",
        )
    clock.advance(timedelta(days=200))
    _sweep(database, settings, clock)
    assert _status(database, authorization_id) == st.ACTIVE


def test_a_failed_rectification_forces_exit_at_once(
    database: Database,
    clock: FixedClock,
    settings: Settings,
    world: World,
    authorization_id: uuid.UUID,
) -> None:
    bureau = world.bureau_principal()
    with database.unit_of_work() as session:
        order = exits.issue_rectification(
            session,
            actor=bureau,
            at=clock.now(),
            settings=Settings(),
            authorization_id=authorization_id,
            data=RectificationIn(
                grounds="breach", description="未按约定披露收费标准", deadline=date(2026, 12, 26)
            ),
        )
        exits.report_rectification(
            session,
            actor=world.operator_principal(),
            at=clock.now(),
            order_id=order.id,
            report="已在门户公开收费标准。",
        )
        fail_by_two(
            session, world, clock=clock, settings=settings, order_id=order.id, note="公开内容不完整"
        )
        [forced] = repository.exits(session, authorization_id)
        assert (forced.kind, forced.status) == ("forced", st.EXIT_HANDOVER)
        assert forced.rectification_id == order.id
        # Two people: the one who found it failed asked, the second approved and carried out.
        assert (forced.requested_by, forced.decided_by) == (
            world.bureau.username,
            world.colleague.username,
        )
    assert _status(database, authorization_id) == st.TERMINATED


def test_a_missed_rectification_deadline_forces_exit_in_the_sweep(
    database: Database,
    clock: FixedClock,
    settings: Settings,
    world: World,
    authorization_id: uuid.UUID,
) -> None:
    with database.unit_of_work() as session:
        order = exits.issue_rectification(
            session,
            actor=world.bureau_principal(),
            at=clock.now(),
            settings=Settings(),
            authorization_id=authorization_id,
            data=RectificationIn(
                grounds="major_incident",
                description="发生数据泄露事件",
                deadline=date(2026, 12, 10),
            ),
        )
        order_id = order.id
    clock.advance(timedelta(days=14))  # 2026-12-10: the deadline day itself is still allowed
    assert _sweep(database, settings, clock).overdue_rectifications == []
    clock.advance(timedelta(days=1))
    assert _sweep(database, settings, clock).overdue_rectifications == [str(order_id)]
    assert _status(database, authorization_id) == st.TERMINATED


def test_a_rectification_deadline_must_be_in_the_future(
    database: Database, clock: FixedClock, world: World, authorization_id: uuid.UUID
) -> None:
    with database.unit_of_work() as session, pytest.raises(InvalidInput):
        exits.issue_rectification(
            session,
            actor=world.bureau_principal(),
            at=clock.now(),
            settings=Settings(),
            authorization_id=authorization_id,
            data=RectificationIn(
                grounds="violation", description="违规", deadline=date(2026, 11, 26)
            ),
        )


def test_a_rectification_deadline_leaves_the_operator_working_days_to_respond(
    database: Database, clock: FixedClock, world: World, authorization_id: uuid.UUID
) -> None:
    """A missed deadline forces the exit with nobody else deciding: one bureau token must
    not be able to order rectification by tomorrow. Thursday 26 November 2026: five working
    days reach Thursday 3 December; Wednesday 2 December is refused."""
    settings = Settings(rectification_min_working_days=5)

    def order(deadline: date) -> None:
        with database.unit_of_work() as session:
            exits.issue_rectification(
                session,
                actor=world.bureau_principal(),
                at=clock.now(),
                settings=settings,
                authorization_id=authorization_id,
                data=RectificationIn(grounds="breach", description="未披露", deadline=deadline),
            )

    with pytest.raises(InvalidInput) as refused:
        order(date(2026, 12, 2))
    assert refused.value.message_key == "rect.deadline_too_soon"
    assert refused.value.detail("zh-CN") == "整改期限至少须留出 5 个工作日，最早为 2026-12-03。"
    order(date(2026, 12, 3))


def test_reminders_at_90_30_and_7_days_then_expiry_and_destruction(
    database: Database, clock: FixedClock, settings: Settings, authorization_id: uuid.UUID
) -> None:
    term_end = date(2029, 11, 25)
    days = (term_end - date(2026, 11, 26)).days
    clock.advance(timedelta(days=days - 91))
    assert _sweep(database, settings, clock).reminders == []
    assert _status(database, authorization_id) == st.ACTIVE
    clock.advance(timedelta(days=1))  # 90 days before the end
    report = _sweep(database, settings, clock)
    assert report.expiring == ["营数授〔2026〕1号"]
    assert report.reminders == ["营数授〔2026〕1号:90"]
    assert _sweep(database, settings, clock).reminders == []  # once only
    clock.advance(timedelta(days=60))
    assert _sweep(database, settings, clock).reminders == ["营数授〔2026〕1号:30"]
    clock.advance(timedelta(days=23))
    assert _sweep(database, settings, clock).reminders == ["营数授〔2026〕1号:7"]
    clock.advance(timedelta(days=7))  # the last day of the term: still in force
    assert _sweep(database, settings, clock).expired == []
    assert _status(database, authorization_id) == st.EXPIRING
    clock.advance(timedelta(days=1))
    report = _sweep(database, settings, clock)
    assert report.expired == ["营数授〔2026〕1号"]
    assert report.certificates == []  # issued when it ended, inside the same sweep
    assert _status(database, authorization_id) == st.EXPIRED
    with database.unit_of_work() as session:
        assert [r.days_before for r in repository.reminders(session, authorization_id)] == [
            90,
            30,
            7,
        ]
        assert repository.certificate(session, authorization_id) is not None
