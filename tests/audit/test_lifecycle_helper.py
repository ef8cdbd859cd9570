"""The lifecycle helper: declared edges fire and are audited; anything else is refused."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field

import pytest
from sqlalchemy import select

from sluice.audit.lifecycles import StateMachine, Transition
from sluice.audit.models import AuditEvent
from sluice.core.clock import FixedClock
from sluice.core.database import Database
from sluice.core.errors import InvalidTransition, PermissionDenied
from sluice.core.permissions import OrgKind, Permission, Role
from sluice.core.principal import Principal

TICKET = StateMachine(
    entity="test_ticket",
    entity_labels=("测试工单", "Test ticket"),
    states={
        "open": ("待处理", "Open"),
        "acknowledged": ("已受理", "Acknowledged"),
        "closed": ("已关闭", "Closed"),
    },
    initial="open",
    transitions=(
        Transition(
            "acknowledge",
            ("open",),
            "acknowledged",
            Permission.IDENTITY_MANAGE,
            "受理",
            "Acknowledge",
        ),
        Transition(
            "close", ("open", "acknowledged"), "closed", Permission.CONSOLE_VIEW, "关闭", "Close"
        ),
    ),
)
BUREAU = Principal(
    username="b", via="token", organization_kind=OrgKind.BUREAU, roles=frozenset({Role.BUREAU})
)
BUYER = Principal(
    username="c", via="token", organization_kind=OrgKind.BUYER, roles=frozenset({Role.BUYER})
)


@dataclass
class Ticket:
    status: str = "open"
    id: uuid.UUID = field(default_factory=uuid.uuid4)


def test_every_declared_edge_fires_and_is_audited(database: Database, clock: FixedClock) -> None:
    for transition in TICKET.transitions:
        for source in transition.sources:
            ticket = Ticket(status=source)
            with database.unit_of_work() as session:
                TICKET.fire(ticket, transition.name, session=session, actor=BUREAU, at=clock.now())
            assert ticket.status == transition.target
    with database.unit_of_work() as session:
        events = session.scalars(select(AuditEvent).order_by(AuditEvent.id)).all()
        assert [(e.action, e.detail["from"], e.detail["to"]) for e in events] == [
            ("test_ticket.acknowledge", "open", "acknowledged"),
            ("test_ticket.close", "open", "closed"),
            ("test_ticket.close", "acknowledged", "closed"),
        ]


def test_an_undeclared_edge_is_refused_with_labels_in_the_readers_language(
    database: Database, clock: FixedClock
) -> None:
    ticket = Ticket(status="closed")
    with database.unit_of_work() as session, pytest.raises(InvalidTransition) as caught:
        TICKET.fire(ticket, "acknowledge", session=session, actor=BUREAU, at=clock.now())
    assert ticket.status == "closed"
    assert caught.value.detail("zh-CN") == "测试工单当前为“已关闭”，不能执行“受理”。可执行：—。"
    assert caught.value.detail("en") == (
        "Test ticket is 'Closed'; 'Acknowledge' is not possible. Possible: —."
    )
    open_ticket = Ticket()
    with database.unit_of_work() as session, pytest.raises(InvalidTransition) as caught:
        TICKET.fire(open_ticket, "reopen", session=session, actor=BUREAU, at=clock.now())
    assert caught.value.detail("en").endswith("Possible: Acknowledge, Close.")


def test_a_role_without_the_permission_cannot_fire(database: Database, clock: FixedClock) -> None:
    ticket = Ticket()
    with database.unit_of_work() as session, pytest.raises(PermissionDenied):
        TICKET.fire(ticket, "acknowledge", session=session, actor=BUYER, at=clock.now())
    assert ticket.status == "open"
    with database.unit_of_work() as session:
        assert session.scalars(select(AuditEvent)).all() == []


def test_declaration_mistakes_fail_at_import_time() -> None:
    with pytest.raises(ValueError, match="undeclared states"):
        StateMachine(
            entity="broken",
            entity_labels=("坏", "Broken"),
            states={"a": ("甲", "A")},
            initial="a",
            transitions=(Transition("go", ("a",), "b", Permission.CONSOLE_VIEW, "走", "Go"),),
        )


def test_table_renders_for_pages() -> None:
    rows = TICKET.table("zh-CN")
    assert rows[1] == {
        "transition": "关闭",
        "from": "待处理、已受理",
        "to": "已关闭",
        "permission": "进入工作台",
    }
