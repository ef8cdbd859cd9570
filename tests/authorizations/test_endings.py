"""How agreements end when more than one thing is going on: renewals, open orders and exits,
a transaction that fails, a scope changed after the decision, the consultation behind it;
and the hooks other modules join every ending with (``endings.register_ending_hook``)."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from datetime import date, timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from sluice.audit import service as audit
from sluice.audit.models import AuditEvent
from sluice.authorizations import endings, exits, repository, service
from sluice.authorizations import states as st
from sluice.authorizations.endings import HOOK_ORDER, Ending, Kind
from sluice.authorizations.schemas import ExitIn, RectificationIn, ScopeChange
from sluice.authorizations.sweep import sweep
from sluice.core.clock import FixedClock
from sluice.core.database import Database
from sluice.core.errors import Conflict, InvalidInput
from sluice.core.keystore import KeyDestroyed
from sluice.core.settings import Settings
from sluice.dataplane import derived
from sluice.guard import service as guard
from sluice.guard.service import AuthorizationInactive
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


# -- the hooks other modules join an ending with ----------------------------------------------

#: What the recording hooks write in the ending's transaction, so a rollback shows.
HOOK_ACTION = "test.ending_hook"

Call = tuple[str, str, Kind]  # place, agreement number, kind of ending


@pytest.fixture
def hooks(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[Call]]:
    """A recording hook at every place of ``HOOK_ORDER``, registered in reverse order (the
    order they run in is the declared one, not the order modules happened to register)."""
    monkeypatch.setattr(endings, "_hooks", {})  # only this test's hooks
    audit.declare_actions({HOOK_ACTION: ("测试：结束钩子", "Test: ending hook")})
    calls: list[Call] = []

    def recorder(place: str) -> Callable[[Session, Ending], None]:
        def hook(session: Session, ending: Ending) -> None:
            calls.append((place, ending.authorization.number, ending.kind))
            audit.record(
                session,
                actor=ending.actor,
                action=HOOK_ACTION,
                target_type="authorization",
                target_id=ending.authorization.id,
                at=ending.at,
                detail={"place": place, "kind": str(ending.kind)},
            )

        return hook

    undo = [endings.register_ending_hook(p, recorder(p)) for p in reversed(HOOK_ORDER)]
    assert endings.ending_hooks() == HOOK_ORDER
    yield calls
    for unregister in undo:
        unregister()
    assert endings.ending_hooks() == ()


def _written(database: Database) -> list[tuple[str, str]]:
    with database.unit_of_work() as session:
        query = select(AuditEvent).where(AuditEvent.action == HOOK_ACTION)
        return [
            (e.detail["place"], e.detail["kind"])
            for e in session.scalars(query.order_by(AuditEvent.id))
        ]


def _each_place(number: str, kind: Kind) -> list[Call]:
    return [(place, number, kind) for place in HOOK_ORDER]


def _number(database: Database, authorization_id: uuid.UUID) -> str:
    with database.unit_of_work() as session:
        found = repository.authorization(session, authorization_id)
        assert found is not None
        return found.number


def _end_by_expiry(
    database: Database, clock: FixedClock, settings: Settings, world: World, agreement: uuid.UUID
) -> list[Call]:
    clock.advance(date(2029, 11, 26) - clock.now().date())  # the day after the term
    with database.unit_of_work() as session:
        assert sweep(session, settings=settings, at=clock.now()).expired != []
    return _each_place(_number(database, agreement), Kind.EXPIRY)


def _end_by_termination(
    database: Database, clock: FixedClock, settings: Settings, world: World, agreement: uuid.UUID
) -> list[Call]:
    with database.unit_of_work() as session:
        terminate_by_two(
            session,
            world,
            clock=clock,
            settings=settings,
            authorization_id=agreement,
            reason="违约",
        )
    return _each_place(_number(database, agreement), Kind.TERMINATION)


def _end_by_exit(
    database: Database, clock: FixedClock, settings: Settings, world: World, agreement: uuid.UUID
) -> list[Call]:
    with database.unit_of_work() as session:
        request = exits.request_exit(
            session,
            actor=world.operator_principal(),
            settings=settings,
            at=clock.now(),
            authorization_id=agreement,
            data=ExitIn(letter="因业务调整申请退出本场景。", exit_date=date(2027, 3, 1)),
        )
        exits.decide_exit(
            session,
            actor=world.bureau_principal(),
            at=clock.now(),
            exit_id=request.id,
            approve=True,
            reason="同意",
        )
    clock.advance(date(2027, 3, 1) - clock.now().date())
    with database.unit_of_work() as session:
        assert sweep(session, settings=settings, at=clock.now()).exits_executed != []
    return _each_place(_number(database, agreement), Kind.EXIT)


def _order(database: Database, clock: FixedClock, world: World, agreement: uuid.UUID) -> uuid.UUID:
    with database.unit_of_work() as session:
        return exits.issue_rectification(
            session,
            actor=world.bureau_principal(),
            at=clock.now(),
            settings=Settings(),
            authorization_id=agreement,
            data=RectificationIn(
                grounds="breach", description="未披露", deadline=date(2026, 12, 10)
            ),
        ).id


def _end_by_failed_rectification(
    database: Database, clock: FixedClock, settings: Settings, world: World, agreement: uuid.UUID
) -> list[Call]:
    order_id = _order(database, clock, world, agreement)
    with database.unit_of_work() as session:
        exits.report_rectification(
            session,
            actor=world.operator_principal(),
            at=clock.now(),
            order_id=order_id,
            report="已改",
        )
        fail_by_two(
            session, world, clock=clock, settings=settings, order_id=order_id, note="不合格"
        )
    return _each_place(_number(database, agreement), Kind.FORCED_EXIT)


def _end_by_missed_deadline(
    database: Database, clock: FixedClock, settings: Settings, world: World, agreement: uuid.UUID
) -> list[Call]:
    _order(database, clock, world, agreement)
    clock.advance(timedelta(days=15))  # past 2026-12-10
    with database.unit_of_work() as session:
        assert sweep(session, settings=settings, at=clock.now()).overdue_rectifications != []
    return _each_place(_number(database, agreement), Kind.FORCED_EXIT)


def _end_with_its_renewal(
    database: Database, clock: FixedClock, settings: Settings, world: World, agreement: uuid.UUID
) -> list[Call]:
    successor = _renew(database, clock, settings, world, agreement)
    expected = _end_by_termination(database, clock, settings, world, agreement)
    return expected + _each_place(_number(database, successor), Kind.SUCCESSOR)


@pytest.mark.parametrize(
    "ending",
    [
        _end_by_expiry,
        _end_by_termination,
        _end_by_exit,
        _end_by_failed_rectification,
        _end_by_missed_deadline,
        _end_with_its_renewal,
    ],
    ids=["expiry", "termination", "exit", "failed", "overdue", "renewal"],
)
def test_the_hooks_run_once_per_ending_in_the_declared_order_for_every_kind(
    database: Database,
    clock: FixedClock,
    settings: Settings,
    world: World,
    hooks: list[Call],
    ending: Callable[[Database, FixedClock, Settings, World, uuid.UUID], list[Call]],
) -> None:
    agreement = active_authorization(database, clock, settings, world)
    hooks.clear()  # nothing ended while the agreement was made
    expected = ending(database, clock, settings, world, agreement)
    assert hooks == expected
    assert _written(database) == [(place, str(kind)) for place, _, kind in expected]
    with database.unit_of_work() as session:  # a later sweep ends nothing twice
        sweep(session, settings=settings, at=clock.now())
    assert hooks == expected


def test_nothing_the_hooks_did_remains_when_the_ending_rolls_back(
    database: Database, clock: FixedClock, settings: Settings, world: World, hooks: list[Call]
) -> None:
    agreement = active_authorization(database, clock, settings, world)
    derived.write(settings, agreement, "scores.parquet", b"scores")
    with pytest.raises(RuntimeError), database.unit_of_work() as session:
        terminate_by_two(
            session,
            world,
            clock=clock,
            settings=settings,
            authorization_id=agreement,
            reason="违约",
        )
        raise RuntimeError("the request failed after terminating")
    assert _written(database) == []
    assert _status(database, agreement) == st.ACTIVE
    assert derived.read(settings, agreement, "scores.parquet") == b"scores"


def test_a_failing_hook_stops_the_ending_and_destroys_nothing(
    monkeypatch: pytest.MonkeyPatch,
    database: Database,
    clock: FixedClock,
    settings: Settings,
    world: World,
) -> None:
    monkeypatch.setattr(endings, "_hooks", {})
    agreement = active_authorization(database, clock, settings, world)
    derived.write(settings, agreement, "scores.parquet", b"scores")

    def refuse(session: Session, ending: Ending) -> None:
        raise RuntimeError("the workspace could not be closed")

    endings.register_ending_hook("workspaces", refuse)
    with pytest.raises(RuntimeError), database.unit_of_work() as session:
        terminate_by_two(
            session,
            world,
            clock=clock,
            settings=settings,
            authorization_id=agreement,
            reason="违约",
        )
    assert _status(database, agreement) == st.ACTIVE
    with database.unit_of_work() as session:
        assert repository.certificate(session, agreement) is None
    assert derived.read(settings, agreement, "scores.parquet") == b"scores"


def test_a_hook_takes_a_declared_place_and_only_one(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(endings, "_hooks", {})

    def hook(session: Session, ending: Ending) -> None:
        pass

    with pytest.raises(ValueError, match="no place"):
        endings.register_ending_hook("somewhere", hook)
    undo = endings.register_ending_hook("products", hook)
    with pytest.raises(ValueError, match="already registered"):
        endings.register_ending_hook("products", hook)
    assert endings.ending_hooks() == ("products",)
    undo()
    assert endings.ending_hooks() == ()
