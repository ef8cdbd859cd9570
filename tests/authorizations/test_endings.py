"""How agreements end when more than one thing is going on: renewals, open orders and exits,
a transaction that fails, a scope changed after the decision, the consultation behind it."""

from __future__ import annotations

import uuid
from datetime import date, timedelta

import pytest

from sluice.authorizations import exits, repository, service
from sluice.authorizations import states as st
from sluice.authorizations.schemas import ExitIn, RectificationIn, ScopeChange
from sluice.authorizations.sweep import sweep
from sluice.catalog import service as catalog
from sluice.core.clock import FixedClock
from sluice.core.database import Database
from sluice.core.errors import Conflict, InvalidInput
from sluice.core.keystore import KeyDestroyed
from sluice.core.settings import Settings
from sluice.dataplane import derived
from sluice.guard import service as guard
from sluice.guard.service import AuthorizationInactive, OutOfScope
from tests.authorizations.factories import (
    World,
    active_authorization,
    decision,
    draft,
    fail_by_two,
    make_world,
    published_round,
    terminate_by_two,
)
from tests.catalog.factories import BUREAU


@pytest.fixture
def world(database: Database, clock: FixedClock, settings: Settings) -> World:
    return make_world(database, clock, settings)


def _status(database: Database, authorization_id: uuid.UUID) -> str:
    with database.unit_of_work() as session:
        found = repository.authorization(session, authorization_id)
        assert found is not None
        return found.status


def _renew(
    database: Database, clock: FixedClock, settings: Settings, world: World, old: uuid.UUID
) -> uuid.UUID:
    clock.advance(timedelta(days=365 * 3 - 80))
    with database.unit_of_work() as session:
        sweep(session, settings=settings, at=clock.now())
    with database.unit_of_work() as session:
        successor = service.renew(
            session,
            actor=world.bureau_principal(),
            settings=settings,
            at=clock.now(),
            authorization_id=old,
            data=decision(),
        )
        return successor.id


def _use(database: Database, clock: FixedClock, world: World, authorization_id: uuid.UUID) -> None:
    with database.unit_of_work() as session:
        guard.authorize_use(
            session,
            actor=world.operator_principal(),
            authorization_id=authorization_id,
            at=clock.now(),
            action="test",
        )


def test_a_renewed_agreement_can_still_be_forced_out_and_its_renewal_ends_with_it(
    database: Database, clock: FixedClock, settings: Settings, world: World
) -> None:
    old = active_authorization(database, clock, settings, world)
    successor = _renew(database, clock, settings, world, old)
    assert _status(database, old) == st.RENEWED
    _use(database, clock, world, old)  # still in force until its own term ends
    bureau = world.bureau_principal()
    with database.unit_of_work() as session:
        order = exits.issue_rectification(
            session,
            actor=bureau,
            at=clock.now(),
            settings=Settings(),
            authorization_id=old,
            data=RectificationIn(
                grounds="major_incident",
                description="数据泄露",
                deadline=clock.now().date() + timedelta(days=10),
            ),
        )
        order_id = order.id
    with database.unit_of_work() as session:
        exits.report_rectification(
            session,
            actor=world.operator_principal(),
            at=clock.now(),
            order_id=order_id,
            report="已整改",
        )
        fail_by_two(
            session, world, clock=clock, settings=settings, order_id=order_id, note="整改不到位"
        )
    assert _status(database, old) == st.TERMINATED
    assert _status(database, successor) == st.TERMINATED
    with pytest.raises(AuthorizationInactive):
        _use(database, clock, world, old)


def test_a_renewal_that_never_takes_effect_ends_the_chain_and_destroys_its_data(
    database: Database, clock: FixedClock, settings: Settings, world: World
) -> None:
    old = active_authorization(database, clock, settings, world)
    derived.write(settings, old, "scores.parquet", b"scores")
    successor = _renew(database, clock, settings, world, old)
    clock.advance(date(2029, 11, 25) - clock.now().date())  # the term's last day: no change
    with database.unit_of_work() as session:
        assert sweep(session, settings=settings, at=clock.now()).expired == []
    assert derived.read(settings, old, "scores.parquet") == b"scores"
    clock.advance(timedelta(days=1))  # nobody signed the renewal
    with database.unit_of_work() as session:
        report = sweep(session, settings=settings, at=clock.now())
    assert report.expired == ["营数授〔2026〕1号"]
    assert (_status(database, old), _status(database, successor)) == (st.EXPIRED, st.TERMINATED)
    with pytest.raises(KeyDestroyed):
        derived.read(settings, old, "scores.parquet")
    with database.unit_of_work() as session:
        certificates = [repository.certificate(session, i) for i in (old, successor)]
        assert all(c is not None for c in certificates)
        # A second sweep finds nothing more to do.
        again = sweep(session, settings=settings, at=clock.now())
        assert (again.expired, again.certificates, again.destructions_finished) == ([], [], [])


def test_a_signed_renewal_carries_the_data_on(
    database: Database, clock: FixedClock, settings: Settings, world: World
) -> None:
    old = active_authorization(database, clock, settings, world)
    derived.write(settings, old, "scores.parquet", b"scores")
    successor = _renew(database, clock, settings, world, old)
    with database.unit_of_work() as session:
        for actor in (world.bureau_principal(), world.operator_principal()):
            service.sign(
                session, actor=actor, settings=settings, at=clock.now(), authorization_id=successor
            )
    clock.advance(date(2029, 11, 27) - clock.now().date())  # the renewal's second day
    with database.unit_of_work() as session:
        sweep(session, settings=settings, at=clock.now())
    assert (_status(database, old), _status(database, successor)) == (st.RENEWED, st.ACTIVE)
    _use(database, clock, world, successor)
    assert derived.read(settings, old, "scores.parquet") == b"scores"


def test_termination_withdraws_open_orders_and_closes_pending_exits(
    database: Database, clock: FixedClock, settings: Settings, world: World
) -> None:
    authorization_id = active_authorization(database, clock, settings, world)
    bureau = world.bureau_principal()
    with database.unit_of_work() as session:
        order = exits.issue_rectification(
            session,
            actor=bureau,
            at=clock.now(),
            settings=Settings(),
            authorization_id=authorization_id,
            data=RectificationIn(
                grounds="breach", description="未披露", deadline=date(2026, 12, 20)
            ),
        )
        request = exits.request_exit(
            session,
            actor=world.operator_principal(),
            settings=settings,
            at=clock.now(),
            authorization_id=authorization_id,
            data=ExitIn(letter="因业务调整申请退出本场景。", exit_date=date(2027, 3, 1)),
        )
        exits.decide_exit(
            session, actor=bureau, at=clock.now(), exit_id=request.id, approve=True, reason="同意"
        )
        order_id, exit_id = order.id, request.id
    with database.unit_of_work() as session:
        terminate_by_two(
            session,
            world,
            clock=clock,
            settings=settings,
            authorization_id=authorization_id,
            reason="严重违约",
        )
    clock.advance(timedelta(days=120))  # past the deadline and the exit date
    with database.unit_of_work() as session:
        report = sweep(session, settings=settings, at=clock.now())
        assert (report.overdue_rectifications, report.exits_executed) == ([], [])
        statuses = (
            session.get(type(order), order_id).status,  # type: ignore[union-attr]
            session.get(type(request), exit_id).status,  # type: ignore[union-attr]
        )
    assert statuses == (st.RECT_WITHDRAWN, st.EXIT_SUPERSEDED)


def test_nothing_is_destroyed_when_the_ending_transaction_rolls_back(
    database: Database, clock: FixedClock, settings: Settings, world: World
) -> None:
    authorization_id = active_authorization(database, clock, settings, world)
    derived.write(settings, authorization_id, "scores.parquet", b"scores")
    with pytest.raises(RuntimeError), database.unit_of_work() as session:
        terminate_by_two(
            session,
            world,
            clock=clock,
            settings=settings,
            authorization_id=authorization_id,
            reason="严重违约",
        )
        raise RuntimeError("the request failed after terminating")
    assert _status(database, authorization_id) == st.ACTIVE
    assert derived.read(settings, authorization_id, "scores.parquet") == b"scores"
    with database.unit_of_work() as session:
        certificate = terminate_by_two(
            session,
            world,
            clock=clock,
            settings=settings,
            authorization_id=authorization_id,
            reason="严重违约",
        )
        assert certificate.status == st.TERMINATED
        issued = repository.certificate(session, authorization_id)
        assert issued is not None
        assert [i["name"] for i in issued.content["items"]] == ["scores.parquet.sm4"]
    with pytest.raises(KeyDestroyed):
        derived.read(settings, authorization_id, "scores.parquet")


def test_a_scope_change_after_the_decision_needs_a_new_decision(
    database: Database, clock: FixedClock, settings: Settings, world: World
) -> None:
    bureau = world.bureau_principal()
    with database.unit_of_work() as session:
        created = service.create_authorization(
            session, actor=bureau, settings=settings, at=clock.now(), data=draft(world)
        )
        service.submit(session, actor=bureau, at=clock.now(), authorization_id=created.id)
        service.decide(
            session, actor=bureau, at=clock.now(), authorization_id=created.id, data=decision()
        )
        service.change_scope(
            session,
            actor=bureau,
            settings=settings,
            at=clock.now(),
            authorization_id=created.id,
            change=ScopeChange(add_entry_ids=[world.entries[2]], reason="补充数据"),
        )
        assert created.status == st.UNDER_REVIEW
        with pytest.raises(Conflict):
            service.sign(
                session,
                actor=bureau,
                settings=settings,
                at=clock.now(),
                authorization_id=created.id,
            )


def test_a_term_from_29_february_ends_on_the_last_day_of_february() -> None:
    assert service.term_end_for(date(2028, 2, 29), 3) == date(2031, 2, 28)
    assert service.term_end_for(date(2028, 2, 28), 3) == date(2031, 2, 27)
    assert service.term_end_for(date(2028, 2, 29), 4) == date(2032, 2, 28)


def test_a_withdrawn_resource_is_refused_even_in_scope(
    database: Database, clock: FixedClock, settings: Settings, world: World
) -> None:
    authorization_id = active_authorization(database, clock, settings, world)
    with database.unit_of_work() as session:
        catalog.change_entry(
            session, actor=BUREAU, clock=clock, entry_id=world.entries[0], transition="withdraw"
        )
    with database.unit_of_work() as session, pytest.raises(OutOfScope) as refused:
        guard.authorize_use(
            session,
            actor=world.operator_principal(),
            authorization_id=authorization_id,
            at=clock.now(),
            action="test",
            resource_id=world.resources[0],
        )
    assert "已撤出目录" in refused.value.detail("zh-CN")


def test_a_consultation_founds_one_agreement_for_its_own_scenario(
    database: Database, clock: FixedClock, settings: Settings, world: World
) -> None:
    round_id = published_round(database, clock, settings, world, scenario="普惠金融")
    bureau = world.bureau_principal()

    def create(**kw):  # type: ignore[no-untyped-def]
        with database.unit_of_work() as session:
            return service.create_authorization(
                session,
                actor=bureau,
                settings=settings,
                at=clock.now(),
                data=draft(world, selection_round_id=round_id, **kw),
            ).number

    with pytest.raises(InvalidInput) as other:
        create(scenario="就业服务")
    assert other.value.code == "round_other_scenario"
    with pytest.raises(InvalidInput):
        create(operator_id=world.other_operator.organization_id)  # not the one selected
    assert create() == "营数授〔2026〕1号"
    with pytest.raises(Conflict) as used:
        create(entry_ids=world.entries[2:], scenario="普惠金融")
    assert used.value.code in ("round_used", "scenario_taken")
    relaxed = settings.model_copy(update={"one_scenario_one_authorization": False})
    with database.unit_of_work() as session, pytest.raises(Conflict) as reused:
        service.create_authorization(
            session,
            actor=bureau,
            settings=relaxed,
            at=clock.now(),
            data=draft(world, selection_round_id=round_id),
        )
    assert reused.value.code == "round_used"
