"""Correction tickets: deadlines on the statutory calendar, every edge, who may do what."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import select

from sluice.audit.models import AuditEvent
from sluice.core.clock import SHANGHAI, FixedClock
from sluice.core.database import Database
from sluice.core.errors import (
    Conflict,
    InvalidInput,
    InvalidTransition,
    NotFound,
    PermissionDenied,
)
from sluice.core.principal import Principal
from sluice.core.settings import Settings
from sluice.quality.tickets import service
from sluice.quality.tickets.models import CorrectionTicket
from sluice.quality.tickets.schemas import TargetLevel, TicketCreate, TicketStatus
from sluice.quality.tickets.states import TICKET
from tests.identity.factories import Account
from tests.quality.tickets.factories import (
    World,
    file_ticket,
    make_resource,
    make_version,
    make_world,
    principal_of,
)

#: How to bring a freshly filed ticket into each state: (transition, who fires it).
PATHS: dict[str, list[tuple[str, str]]] = {
    "open": [],
    "acknowledged": [("acknowledge", "provider_a")],
    "fixed": [("acknowledge", "provider_a"), ("fix", "provider_a")],
    "rejected": [("acknowledge", "provider_a"), ("reject", "provider_a")],
    "closed": [("acknowledge", "provider_a"), ("fix", "provider_a"), ("close", "operator")],
}


@pytest.fixture
def world(database: Database, clock: FixedClock) -> World:
    return make_world(database, clock)


def _fire(
    database: Database, clock: FixedClock, actor: Principal, ticket_id: uuid.UUID, name: str
) -> CorrectionTicket:
    with database.unit_of_work() as session:
        if name == "acknowledge":
            return service.acknowledge(session, actor=actor, clock=clock, ticket_id=ticket_id)
        if name == "fix":
            return service.fix(
                session, actor=actor, clock=clock, ticket_id=ticket_id, resolution="已更正地址"
            )
        if name == "reject":
            return service.reject(
                session, actor=actor, clock=clock, ticket_id=ticket_id, resolution="数据无误"
            )
        return service.close(session, actor=actor, clock=clock, ticket_id=ticket_id)


def _ticket_in(database: Database, clock: FixedClock, world: World, state: str) -> uuid.UUID:
    ticket = file_ticket(database, clock, world.operator, world.resource_a)
    if ("fix", "provider_a") in PATHS[state]:
        clock.advance(timedelta(minutes=1))  # the corrected data a fix rests on, uploaded
        make_version(database, clock, world.resource_a)
    for name, who in PATHS[state]:
        _fire(database, clock, principal_of(getattr(world, who)), ticket.id, name)
    return ticket.id


def _status(database: Database, ticket_id: uuid.UUID) -> str:
    with database.unit_of_work() as session:
        ticket = session.get(CorrectionTicket, ticket_id)
        assert ticket is not None
        return ticket.status


def _move_to(clock: FixedClock, at: datetime) -> None:
    clock.advance(at - clock.now())


def test_the_status_enum_is_the_machine() -> None:
    assert [s.value for s in TicketStatus] == list(TICKET.states)
    assert TICKET.initial == "open"
    assert [(t.name, t.sources, t.target) for t in TICKET.transitions] == [
        ("acknowledge", ("open",), "acknowledged"),
        ("fix", ("acknowledged",), "fixed"),
        ("reject", ("acknowledged",), "rejected"),
        ("close", ("fixed", "rejected"), "closed"),
    ]


def test_filing_copies_the_provider_and_sets_the_deadline(
    database: Database, clock: FixedClock, world: World
) -> None:
    ticket = file_ticket(
        database,
        clock,
        world.operator,
        world.resource_a,
        level=TargetLevel.FIELD,
        field_name="phone",
    )
    assert ticket.status == "open"
    assert ticket.provider_id == world.org(world.provider_a)
    assert ticket.filed_by_org == world.org(world.operator)
    assert ticket.filed_by_user == world.operator.user_id
    assert ticket.working_days == 5
    # Thursday 26 November 2026, 10:00 in the city: due Thursday 3 December.
    assert ticket.due_date == date(2026, 12, 3)
    with database.unit_of_work() as session:
        event = session.scalars(select(AuditEvent).where(AuditEvent.action == service.FILED)).one()
        assert event.target_id == str(ticket.id)
        assert event.actor_username == world.operator.username
        assert event.detail["due_date"] == "2026-12-03"
        assert event.detail["statutory_calendar"] is True


def test_a_ticket_filed_before_national_day_is_due_after_it(
    database: Database, clock: FixedClock, world: World
) -> None:
    _move_to(clock, datetime(2025, 9, 30, 16, 0, tzinfo=SHANGHAI))
    ticket = file_ticket(database, clock, world.operator, world.resource_a)
    # 1–8 October off; 9, 10, Saturday 11 (adjusted workday), 13, 14 October.
    assert ticket.due_date == date(2025, 10, 14)


def test_the_filing_day_is_the_citys_day_not_utcs(
    database: Database, clock: FixedClock, world: World
) -> None:
    # Saturday 27 Sep 2025 17:30 UTC is Sunday 28 Sep 01:30 in the city, an adjusted
    # working day that is not counted: 29, 30 Sep, 9, 10 Oct and Saturday 11 Oct.
    _move_to(clock, datetime(2025, 9, 27, 17, 30, tzinfo=UTC))
    assert clock.now().astimezone(SHANGHAI).date() == date(2025, 9, 28)
    ticket = file_ticket(database, clock, world.operator, world.resource_a)
    assert ticket.due_date == date(2025, 10, 11)


def test_the_configured_number_of_working_days_is_used_and_kept(
    database: Database, clock: FixedClock, world: World
) -> None:
    _move_to(clock, datetime(2026, 2, 13, 9, 0, tzinfo=SHANGHAI))
    settings = Settings(ticket_answer_working_days=3)
    ticket = file_ticket(database, clock, world.operator, world.resource_a, settings=settings)
    # 春节 2026: Saturday 14 Feb is a working day, 15–23 Feb off, then 24 and 25 Feb.
    assert ticket.due_date == date(2026, 2, 25)
    assert ticket.working_days == 3


def test_every_edge_fires_for_its_party_and_is_audited(
    database: Database, clock: FixedClock, world: World
) -> None:
    fired: list[tuple[str, str, str]] = []
    closer = {"fixed": "operator", "rejected": "bureau"}
    for answer, outcome in (("fix", "fixed"), ("reject", "rejected")):
        ticket = file_ticket(database, clock, world.operator, world.resource_a)
        if answer == "fix":
            clock.advance(timedelta(minutes=1))
            make_version(database, clock, world.resource_a)
        steps = [("acknowledge", "provider_a"), (answer, "provider_a"), ("close", closer[outcome])]
        for name, who in steps:
            before = _status(database, ticket.id)
            after = _fire(database, clock, principal_of(getattr(world, who)), ticket.id, name)
            fired.append((name, before, after.status))
        with database.unit_of_work() as session:
            done = session.get(CorrectionTicket, ticket.id)
            assert done is not None
            assert done.status == "closed"
            assert done.outcome == outcome
            assert done.acknowledged_at == done.resolved_at == done.closed_at == clock.now()
            assert done.answered_late is False
            assert done.resolution in ("已更正地址", "数据无误")
    edges = {(t.name, source, t.target) for t in TICKET.transitions for source in t.sources}
    assert set(fired) == edges
    with database.unit_of_work() as session:
        events = session.scalars(
            select(AuditEvent)
            .where(AuditEvent.action.like("correction_ticket.%"))
            .order_by(AuditEvent.id)
        ).all()
        assert [e.action for e in events] == [
            "correction_ticket.filed",
            "correction_ticket.acknowledge",
            "correction_ticket.fix",
            "correction_ticket.close",
            "correction_ticket.filed",
            "correction_ticket.acknowledge",
            "correction_ticket.reject",
            "correction_ticket.close",
        ]
        assert events[2].detail == {
            "from": "acknowledged",
            "to": "fixed",
            "resolution": "已更正地址",
            "late": False,
            "repair_version": 1,
        }
        assert events[3].detail == {
            "from": "fixed",
            "to": "closed",
            "closed_on": "repair",
            "repair_version": 1,
        }
        assert events[7].actor_username == world.bureau.username
        assert events[7].detail == {"from": "rejected", "to": "closed", "closed_on": "reason"}


@pytest.mark.parametrize("state", list(TICKET.states))
def test_every_edge_not_in_the_table_is_refused(
    database: Database, clock: FixedClock, world: World, state: str
) -> None:
    ticket_id = _ticket_in(database, clock, world, state)
    who = {"acknowledge": "provider_a", "fix": "provider_a", "reject": "provider_a"}
    for transition in TICKET.transitions:
        if state in transition.sources:
            continue
        actor = principal_of(getattr(world, who.get(transition.name, "operator")))
        # Closing a ticket not yet answered says what is missing (the answer and repair).
        unanswered = transition.name == "close" and state in ("open", "acknowledged")
        with pytest.raises(Conflict if unanswered else InvalidTransition) as caught:
            _fire(database, clock, actor, ticket_id, transition.name)
        assert caught.value.status == 409
        assert caught.value.code == ("ticket_not_repaired" if unanswered else "invalid_transition")
        assert _status(database, ticket_id) == state


def test_refusal_messages_name_the_state_in_both_languages(
    database: Database, clock: FixedClock, world: World
) -> None:
    ticket_id = _ticket_in(database, clock, world, "open")
    with pytest.raises(InvalidTransition) as caught:
        _fire(database, clock, principal_of(world.provider_a), ticket_id, "reject")
    assert caught.value.detail("zh-CN") == (
        "纠错工单当前为“待受理”，不能执行“不予更正”。可执行：受理。"
    )
    assert caught.value.detail("en") == (
        "Correction ticket is 'Open'; 'Reject' is not possible. Possible: Acknowledge."
    )


def test_only_the_providing_department_answers(
    database: Database, clock: FixedClock, world: World
) -> None:
    # Provider B filed on A's data, so B sees the ticket but may not answer it.
    ticket = file_ticket(database, clock, world.provider_b, world.resource_a)
    for name in ("acknowledge", "fix", "reject"):
        with pytest.raises(PermissionDenied) as caught:
            _fire(database, clock, principal_of(world.provider_b), ticket.id, name)
        assert caught.value.status == 403
        assert caught.value.code == "permission_denied"
        assert caught.value.detail("zh-CN") == "只有提供该数据的部门可以受理、更正或驳回此工单。"
        assert caught.value.detail("en").startswith("Only the department that provides this data")
    # The operator's role has no right to answer at all.
    with pytest.raises(PermissionDenied) as role:
        _fire(database, clock, principal_of(world.operator), ticket.id, "acknowledge")
    assert role.value.detail("en") == (
        "Your role may not: Answer tickets on own data. Ask the data bureau if you need it."
    )
    assert _status(database, ticket.id) == "open"


def test_another_providers_ticket_is_not_found(
    database: Database, clock: FixedClock, world: World
) -> None:
    ticket = file_ticket(database, clock, world.operator, world.resource_a)
    for name in ("acknowledge", "fix", "reject"):
        with pytest.raises(NotFound) as caught:
            _fire(database, clock, principal_of(world.provider_b), ticket.id, name)
        assert caught.value.status == 404
        assert caught.value.detail("en") == (
            "There is no such correction ticket, or you may not see it."
        )
    with database.unit_of_work() as session, pytest.raises(NotFound):
        service.get(session, actor=principal_of(world.provider_b), ticket_id=ticket.id)
    with pytest.raises(NotFound):
        _fire(database, clock, principal_of(world.provider_a), uuid.uuid4(), "acknowledge")


def test_only_the_filer_or_the_bureau_closes(
    database: Database, clock: FixedClock, world: World
) -> None:
    ticket_id = _ticket_in(database, clock, world, "fixed")
    # The provider sees the ticket and holds tickets.close, but did not file it.
    with pytest.raises(PermissionDenied) as caught:
        _fire(database, clock, principal_of(world.provider_a), ticket_id, "close")
    assert caught.value.detail("zh-CN") == "只有提交此工单的单位或数据局可以关闭此工单。"
    with pytest.raises(NotFound):
        _fire(database, clock, principal_of(world.other_operator), ticket_id, "close")
    assert _status(database, ticket_id) == "fixed"
    _fire(database, clock, principal_of(world.operator), ticket_id, "close")
    assert _status(database, ticket_id) == "closed"


@pytest.mark.parametrize(
    ("level", "field_name", "row_ref", "key", "on"),
    [
        (TargetLevel.FIELD, None, None, "tickets.field_required", "field_name"),
        (TargetLevel.FIELD, "phone", "第 12 行", "tickets.field_no_row", "row_ref"),
        (TargetLevel.FIELD, "salary", None, "tickets.field_unknown", "field_name"),
        (TargetLevel.ROW, "phone", None, "tickets.row_required", "row_ref"),
        (
            TargetLevel.ROW,
            "salary",
            "credit_code=91210800MA0000000X",
            "tickets.field_unknown",
            "field_name",
        ),
        (TargetLevel.DATASET, "phone", None, "tickets.dataset_no_target", "target_level"),
        (TargetLevel.DATASET, None, "第 3 行", "tickets.dataset_no_target", "target_level"),
    ],
)
def test_the_target_must_match_its_level(
    database: Database,
    clock: FixedClock,
    world: World,
    level: TargetLevel,
    field_name: str | None,
    row_ref: str | None,
    key: str,
    on: str,
) -> None:
    with pytest.raises(InvalidInput) as caught:
        file_ticket(
            database,
            clock,
            world.operator,
            world.resource_a,
            level=level,
            field_name=field_name,
            row_ref=row_ref,
        )
    assert caught.value.message_key == key
    assert caught.value.errors[0]["field"] == on
    with database.unit_of_work() as session:
        assert session.scalars(select(CorrectionTicket)).all() == []


def test_a_row_ticket_may_name_a_field(database: Database, clock: FixedClock, world: World) -> None:
    ticket = file_ticket(
        database,
        clock,
        world.operator,
        world.resource_a,
        level=TargetLevel.ROW,
        field_name="phone",
        row_ref="credit_code=91210800MA0000000X",
    )
    assert (ticket.target_level, ticket.field_name) == ("row", "phone")


def test_unknown_resource_and_own_data_are_refused(
    database: Database, clock: FixedClock, world: World
) -> None:
    with pytest.raises(InvalidInput) as unknown:
        file_ticket(database, clock, world.operator, uuid.uuid4())
    assert unknown.value.detail("en") == "The chosen data resource does not exist."
    with pytest.raises(InvalidInput) as own:
        file_ticket(database, clock, world.provider_a, world.resource_a)
    assert own.value.detail("zh-CN") == "不能对本部门提供的数据提交纠错工单，请直接更正数据。"
    buyer = Principal(username="buyer", via="token", roles=frozenset())
    with database.unit_of_work() as session, pytest.raises(PermissionDenied):
        service.file_ticket(
            session,
            actor=buyer,
            clock=clock,
            settings=Settings(),
            data=TicketCreate(
                resource_id=world.resource_a, target_level=TargetLevel.DATASET, description="错误"
            ),
        )


def test_each_party_sees_its_own_tickets(
    database: Database, clock: FixedClock, world: World
) -> None:
    by_operator = file_ticket(database, clock, world.operator, world.resource_a)
    by_other = file_ticket(database, clock, world.other_operator, world.resource_b)
    by_provider_b = file_ticket(database, clock, world.provider_b, world.resource_a)

    def seen(account: Account) -> set[uuid.UUID]:
        with database.unit_of_work() as session:
            total, views = service.list_tickets(session, actor=principal_of(account), clock=clock)
            assert total == len(views)
            return {v.ticket.id for v in views}

    assert seen(world.bureau) == {by_operator.id, by_other.id, by_provider_b.id}
    assert seen(world.provider_a) == {by_operator.id, by_provider_b.id}
    assert seen(world.provider_b) == {by_other.id, by_provider_b.id}
    assert seen(world.operator) == {by_operator.id}
    assert seen(world.other_operator) == {by_other.id}


def test_overdue_by_the_city_date_and_counted_per_provider(
    database: Database, clock: FixedClock, world: World
) -> None:
    a_org, b_org = world.org(world.provider_a), world.org(world.provider_b)
    provider_a = principal_of(world.provider_a)
    # Thursday 26 November 2026: three tickets on A's data, all due Thursday 3 December.
    on_time = file_ticket(database, clock, world.operator, world.resource_a)
    acknowledged = file_ticket(database, clock, world.operator, world.resource_a)
    untouched = file_ticket(database, clock, world.bureau, world.resource_a)
    _fire(database, clock, provider_a, on_time.id, "acknowledge")
    _fire(database, clock, provider_a, acknowledged.id, "acknowledge")
    # Monday 30 November: one on B's data, due Monday 7 December.
    _move_to(clock, datetime(2026, 11, 30, 9, 0, tzinfo=SHANGHAI))
    on_b = file_ticket(database, clock, world.operator, world.resource_b)
    assert on_b.due_date == date(2026, 12, 7)

    def counts() -> dict[uuid.UUID, int]:
        with database.unit_of_work() as session:
            return service.overdue_counts_by_provider(session, today=service.today(clock))

    # On the due date itself the answer is still on time, to the last minute of the day.
    _move_to(clock, datetime(2026, 12, 3, 23, 58, tzinfo=SHANGHAI))
    make_version(database, clock, world.resource_a)
    _move_to(clock, datetime(2026, 12, 3, 23, 59, tzinfo=SHANGHAI))
    _fire(database, clock, provider_a, on_time.id, "fix")
    assert counts() == {}
    # 00:30 on 4 December in the city is still 3 December in UTC: overdue all the same.
    _move_to(clock, datetime(2026, 12, 4, 0, 30, tzinfo=SHANGHAI))
    assert clock.now().date() == date(2026, 12, 3)
    assert counts() == {a_org: 2}
    with database.unit_of_work() as session:
        assert {t.id for t in service.overdue(session, actor=provider_a, clock=clock)} == {
            acknowledged.id,
            untouched.id,
        }
        assert service.overdue(session, actor=principal_of(world.provider_b), clock=clock) == []
        total, views = service.list_tickets(session, actor=provider_a, clock=clock, overdue=True)
        assert total == 2
        assert all(service.is_overdue(v.ticket, today=service.today(clock)) for v in views)
    # Tuesday 8 December: B's ticket is late too; A's are three working days late.
    _move_to(clock, datetime(2026, 12, 8, 9, 0, tzinfo=SHANGHAI))
    assert counts() == {a_org: 2, b_org: 1}
    assert service.working_days_overdue(untouched, today=date(2026, 12, 8)) == 3
    # A answers one late: it stops being overdue but stays counted as a late answer.
    _fire(database, clock, provider_a, acknowledged.id, "reject")
    assert counts() == {a_org: 1, b_org: 1}
    with database.unit_of_work() as session:
        stats = service.ticket_stats_by_provider(session, today=service.today(clock))
    assert stats[a_org] == service.TicketStats(
        filed=3, awaiting=1, overdue=1, answered=2, answered_late=1, fixed=1, rejected=1
    )
    assert stats[a_org].answered_on_time == 1
    assert stats[b_org] == service.TicketStats(
        filed=1, awaiting=1, overdue=1, answered=0, answered_late=0, fixed=0, rejected=0
    )
    with database.unit_of_work() as session:
        late = session.get(CorrectionTicket, acknowledged.id)
        assert late is not None and late.answered_late is True


def test_allowed_actions_follow_the_party_and_the_state(
    database: Database, clock: FixedClock, world: World
) -> None:
    ticket_id = _ticket_in(database, clock, world, "open")
    with database.unit_of_work() as session:
        ticket = session.get(CorrectionTicket, ticket_id)
        assert ticket is not None
        assert service.allowed_actions(principal_of(world.provider_a), ticket) == ["acknowledge"]
        assert service.allowed_actions(principal_of(world.operator), ticket) == []
        ticket.status = "rejected"
        assert service.allowed_actions(principal_of(world.operator), ticket) == ["close"]
        assert service.allowed_actions(principal_of(world.bureau), ticket) == ["close"]
        assert service.allowed_actions(principal_of(world.provider_a), ticket) == []
        session.rollback()


def test_operators_and_other_departments_file_only_on_published_resources(
    database: Database, clock: FixedClock, world: World
) -> None:
    unpublished = make_resource(database, clock, world.org(world.provider_a), published=False)
    with pytest.raises(InvalidInput) as caught:
        file_ticket(database, clock, world.operator, unpublished)
    assert caught.value.message_key == "tickets.resource_unknown"
    # Nor may another department: the unpublished resource does not exist for it (R8.3).
    with pytest.raises(InvalidInput) as caught:
        file_ticket(database, clock, world.provider_b, unpublished)
    assert caught.value.message_key == "tickets.resource_unknown"
    # The bureau sees every resource, so it may file.
    assert file_ticket(database, clock, world.bureau, unpublished).status == "open"
