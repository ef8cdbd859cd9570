"""Who sees which correction ticket is decided in one place (``tickets.repository._visible``),
and every list and get-by-id goes through it: the department whose data it is about and the
organization that filed it see a ticket, the bureau sees all, anyone else sees none (404 for
one, the same answer as no ticket at all; its history too)."""

from __future__ import annotations

import uuid

import pytest
from fastapi.testclient import TestClient

from sluice.core.clock import FixedClock
from sluice.core.database import Database
from sluice.core.errors import NotFound
from sluice.quality.tickets import service
from tests.identity.factories import Account, bearer
from tests.quality.tickets.factories import World, file_ticket, make_world, principal_of


@pytest.fixture
def world(database: Database, clock: FixedClock) -> World:
    return make_world(database, clock)


@pytest.fixture
def tickets(database: Database, clock: FixedClock, world: World) -> dict[str, uuid.UUID]:
    """The operator on provider A's data, provider B on provider A's, the operator on B's."""
    return {
        "op_on_a": file_ticket(database, clock, world.operator, world.resource_a).id,
        "b_on_a": file_ticket(database, clock, world.provider_b, world.resource_a).id,
        "op_on_b": file_ticket(database, clock, world.operator, world.resource_b).id,
    }


def _expected(world: World, tickets: dict[str, uuid.UUID]) -> dict[str, tuple[Account, set[str]]]:
    return {
        "provider_a": (world.provider_a, {"op_on_a", "b_on_a"}),  # its data
        "provider_b": (world.provider_b, {"b_on_a", "op_on_b"}),  # filed, and its data
        "operator": (world.operator, {"op_on_a", "op_on_b"}),  # filed
        "other_operator": (world.other_operator, set()),
        "bureau": (world.bureau, set(tickets)),
    }


def test_lists_of_tickets_are_scoped(
    client: TestClient, world: World, tickets: dict[str, uuid.UUID]
) -> None:
    names = {str(v): k for k, v in tickets.items()}
    for who, (account, seen) in _expected(world, tickets).items():
        headers = bearer(client, account)
        listed = client.get("/api/v1/tickets", headers=headers).json()
        assert (listed["total"], {names[t["id"]] for t in listed["items"]}) == (len(seen), seen), (
            who
        )
        page = client.get("/console/tickets", headers=headers).text
        assert {k for k, v in tickets.items() if str(v) in page} == seen, who


def test_a_ticket_by_id_is_scoped(
    client: TestClient, world: World, tickets: dict[str, uuid.UUID]
) -> None:
    nobody = str(uuid.uuid4())
    for who, (account, seen) in _expected(world, tickets).items():
        headers = bearer(client, account)
        for name, ticket in tickets.items():
            for path in ("/api/v1/tickets/{id}", "/console/tickets/{id}"):
                response = client.get(path.format(id=ticket), headers=headers)
                if name in seen:
                    assert response.status_code == 200, (who, name, path)
                else:
                    unknown = client.get(path.format(id=nobody), headers=headers)
                    assert response.status_code == unknown.status_code == 404, (who, name)
                    assert response.text.replace(str(ticket), nobody) == unknown.text


def test_the_services_apply_the_same_scope(
    database: Database, clock: FixedClock, world: World, tickets: dict[str, uuid.UUID]
) -> None:
    with database.unit_of_work() as session:
        for who, (account, seen) in _expected(world, tickets).items():
            actor = principal_of(account)
            total, views = service.list_tickets(session, actor=actor, clock=clock)
            assert {v.ticket.id for v in views} == {tickets[n] for n in seen}, who
            assert total == len(seen)
            for name, ticket in tickets.items():
                if name in seen:
                    assert service.get(session, actor=actor, ticket_id=ticket).ticket.id == ticket
                    assert service.history(session, actor=actor, ticket_id=ticket)
                else:
                    with pytest.raises(NotFound):
                        service.get(session, actor=actor, ticket_id=ticket)
                    with pytest.raises(NotFound):
                        service.history(session, actor=actor, ticket_id=ticket)
