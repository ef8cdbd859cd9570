"""Every edge of every declared lifecycle fires, and every edge not in a table is refused
with a message that names the state and what is allowed from it (DESIGN.md §3)."""

from __future__ import annotations

import importlib
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime

import pytest
from sqlalchemy import select

from sluice.audit.lifecycles import MACHINES, StateMachine
from sluice.audit.models import AuditEvent
from sluice.core.database import Database
from sluice.core.errors import InvalidTransition
from sluice.core.i18n import translate
from sluice.core.principal import Principal

STATE_MODULES = (
    "sluice.catalog.states",
    "sluice.quality.tickets.states",
    "sluice.operators.states",
    "sluice.operators.selection.states",
    "sluice.authorizations.states",
)
for _module in STATE_MODULES:
    importlib.import_module(_module)

AT = datetime(2026, 11, 27, 2, 0, tzinfo=UTC)

#: The lifecycles the issues ask for; a machine missing here would go unwalked.
EXPECTED = {
    "authorization",
    "implementation_plan",
    "rectification",
    "exit",
    "correction_ticket",
    "catalog_batch",
    "catalog_entry",
}


@dataclass
class Thing:
    status: str
    id: uuid.UUID = field(default_factory=uuid.uuid4)


def _edges(*, allowed: bool) -> list[tuple[str, str, str]]:
    return [
        (entity, state, t.name)
        for entity, machine in sorted(MACHINES.items())
        for state in machine.states
        for t in machine.transitions
        if (state in t.sources) == allowed
    ]


def test_the_lifecycles_of_this_issue_are_declared() -> None:
    assert set(MACHINES) >= EXPECTED


@pytest.mark.parametrize(("entity", "state", "name"), _edges(allowed=True))
def test_every_edge_fires_and_is_audited(
    database: Database, entity: str, state: str, name: str
) -> None:
    machine: StateMachine = MACHINES[entity]
    transition = next(t for t in machine.transitions if t.name == name)
    thing = Thing(status=state)
    with database.unit_of_work() as session:
        machine.fire(thing, name, session=session, actor=Principal.system("t"), at=AT)
        assert thing.status == transition.target
        event = session.scalars(
            select(AuditEvent).where(AuditEvent.target_id == str(thing.id))
        ).one()
    assert event.action == f"{entity}.{name}"
    assert (event.detail["from"], event.detail["to"]) == (state, transition.target)


@pytest.mark.parametrize(("entity", "state", "name"), _edges(allowed=False))
def test_every_edge_not_in_the_table_is_refused_with_reasons(
    entity: str, state: str, name: str
) -> None:
    machine: StateMachine = MACHINES[entity]
    thing = Thing(status=state)
    with pytest.raises(InvalidTransition) as refused:
        # Refused before anything is written: no session is needed to prove it.
        machine.fire(thing, name, session=None, actor=Principal.system("t"), at=AT)  # type: ignore[arg-type]
    assert thing.status == state
    detail_zh = refused.value.detail("zh-CN")
    detail_en = refused.value.detail("en")
    assert translate(f"state.{entity}.{state}", "zh-CN") in detail_zh
    assert translate(f"state.{entity}.{state}", "en") in detail_en
    assert translate(f"transition.{entity}.{name}", "en") in detail_en
    allowed = machine.available(state)
    for t in allowed:
        assert translate(f"transition.{entity}.{t.name}", "zh-CN") in detail_zh
    if not allowed:
        assert detail_zh.endswith("可执行：—。")
