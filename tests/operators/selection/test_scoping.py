"""Who sees which round is decided in the repository and every list and read by id goes
through it: the bureau sees every round; the public, and anyone else reading a round as
such, only published results; a panel member reaches a round only through their seat on its
panel. A round one may not see is not found (404) or simply not listed. A panel member asking
for the sheet of a round they do not sit on is told so (403 ``not_on_panel``), as before."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

import pytest
from fastapi.testclient import TestClient

from sluice.core.clock import FixedClock
from sluice.core.database import Database
from sluice.core.permissions import Role
from sluice.core.principal import Principal
from sluice.core.settings import Settings
from sluice.operators.selection import repository, service
from tests.identity.factories import bearer, console_login, make_account
from tests.operators.selection.factories import (
    World,
    bureau,
    make_world,
    new_round,
    scored_round,
)

BASE = "/api/v1/selections"


@dataclass(frozen=True)
class Rounds:
    draft: uuid.UUID  # nobody sits on its panel
    scoring: uuid.UUID  # the world's three members sit on its panel


@pytest.fixture
def world(database: Database, clock: FixedClock) -> World:
    return make_world(database, clock)


@pytest.fixture
def rounds(database: Database, clock: FixedClock, settings: Settings, world: World) -> Rounds:
    with database.unit_of_work() as session:
        draft = new_round(session, clock, scenario="就业服务")
        scoring = scored_round(session, clock, settings, world)
    return Rounds(draft, scoring)


def _publish(database: Database, clock: FixedClock, round_id: uuid.UUID) -> None:
    """Close scoring, select the top-ranked candidate and publish the result."""
    with database.unit_of_work() as session:
        closed = service.close_scoring(session, actor=bureau(), clock=clock, round_id=round_id)
        ranking = service.ranking(session, closed)
        assert ranking is not None and ranking.winner is not None
        service.select_operator(
            session,
            actor=bureau(),
            clock=clock,
            round_id=round_id,
            organization_id=ranking.winner.organization_id,
            reason=None,
        )
        service.publish(session, actor=bureau(), clock=clock, round_id=round_id)


def _reads(database: Database, actor: Principal | None, rounds: Rounds) -> dict[str, Any]:
    """What the repository gives ``actor`` (None: the public) of the two rounds."""
    with database.sessions() as session:
        return {
            "draft": repository.visible_round(session, actor, rounds.draft) is not None,
            "scoring": repository.visible_round(session, actor, rounds.scoring) is not None,
            "listed": {r.id for r in repository.visible_rounds(session, actor)},
        }


def _seats(database: Database, actor: Principal, rounds: Rounds) -> dict[str, Any]:
    """The rounds ``actor`` reaches through a seat on their panel."""
    with database.sessions() as session:
        return {
            "draft": repository.seat(session, actor, rounds.draft) is not None,
            "scoring": repository.seat(session, actor, rounds.scoring) is not None,
            "listed": [r.id for r in repository.seated_rounds(session, actor)],
        }


def test_the_repository_scopes_every_read_to_the_principal(
    database: Database, clock: FixedClock, world: World, rounds: Rounds
) -> None:
    both = {rounds.draft, rounds.scoring}
    with database.sessions() as session:
        member = world.members[0].principal(session)
        outsider = world.outsider.principal(session)
    assert _reads(database, bureau(), rounds) == {"draft": True, "scoring": True, "listed": both}
    assert _reads(database, Principal.system("test"), rounds)["listed"] == both
    nothing = {"draft": False, "scoring": False, "listed": set()}
    for reader in (None, member, outsider):
        assert _reads(database, reader, rounds) == nothing
    assert _seats(database, member, rounds) == {
        "draft": False,
        "scoring": True,
        "listed": [rounds.scoring],
    }
    assert _seats(database, outsider, rounds) == {"draft": False, "scoring": False, "listed": []}
    assert _seats(database, bureau(), rounds)["listed"] == []  # the bureau sits on no panel

    _publish(database, clock, rounds.scoring)
    published = {"draft": False, "scoring": True, "listed": {rounds.scoring}}
    for reader in (None, member, outsider):
        assert _reads(database, reader, rounds) == published


def _get(client: TestClient, url: str, headers: dict[str, str] | None = None) -> Any:
    client.cookies.clear()
    return client.get(url, headers=headers or {})


def test_every_api_list_and_read_by_id_is_scoped(
    client: TestClient, database: Database, clock: FixedClock, world: World, rounds: Rounds
) -> None:
    manager = bearer(client, make_account(database, clock, Role.BUREAU))
    member = bearer(client, world.members[0].account)
    outsider = bearer(client, world.outsider.account)

    listed = [r["id"] for r in _get(client, BASE, manager).json()]
    assert set(listed) == {str(rounds.draft), str(rounds.scoring)}
    assert _get(client, f"{BASE}/{rounds.draft}", manager).status_code == 200
    assert _get(client, f"{BASE}/{uuid.uuid4()}", manager).status_code == 404
    # Panel members read rounds only as panel members.
    assert _get(client, BASE, member).status_code == 403
    assert _get(client, f"{BASE}/{rounds.scoring}", member).status_code == 403

    assigned = [r["id"] for r in _get(client, f"{BASE}/assigned", member).json()]
    assert assigned == [str(rounds.scoring)]
    assert _get(client, f"{BASE}/assigned", outsider).json() == []
    assert _get(client, f"{BASE}/{rounds.scoring}/my-scores", member).status_code == 200
    for headers, round_id in ((outsider, rounds.scoring), (member, rounds.draft)):
        refused = _get(client, f"{BASE}/{round_id}/my-scores", headers)
        assert (refused.status_code, refused.json()["code"]) == (403, "not_on_panel")
    assert _get(client, f"{BASE}/{uuid.uuid4()}/my-scores", member).status_code == 404

    assert _get(client, f"{BASE}/published").json() == []
    for round_id in (rounds.draft, rounds.scoring):
        assert _get(client, f"{BASE}/published/{round_id}").status_code == 404
    _publish(database, clock, rounds.scoring)
    assert [r["id"] for r in _get(client, f"{BASE}/published").json()] == [str(rounds.scoring)]
    assert _get(client, f"{BASE}/published/{rounds.scoring}").status_code == 200
    assert _get(client, f"{BASE}/published/{rounds.draft}").status_code == 404


def test_every_page_list_and_read_by_id_is_scoped(
    client: TestClient, database: Database, clock: FixedClock, world: World, rounds: Rounds
) -> None:
    client.cookies.clear()
    console_login(client, make_account(database, clock, Role.BUREAU))
    listed = client.get("/console/selections").text
    assert str(rounds.draft) in listed and str(rounds.scoring) in listed
    assert client.get(f"/console/selections/{rounds.draft}").status_code == 200
    assert client.get(f"/console/selections/{uuid.uuid4()}").status_code == 404

    client.cookies.clear()
    console_login(client, world.members[0].account)
    assigned = client.get("/console/scoring").text
    assert str(rounds.scoring) in assigned and str(rounds.draft) not in assigned
    assert client.get(f"/console/scoring/{rounds.scoring}").status_code == 200
    assert client.get(f"/console/scoring/{rounds.draft}").status_code == 403
    client.cookies.clear()
    console_login(client, world.outsider.account)
    assert str(rounds.scoring) not in client.get("/console/scoring").text
    assert client.get(f"/console/scoring/{rounds.scoring}").status_code == 403

    client.cookies.clear()
    public = client.get("/portal/selections").text
    assert str(rounds.draft) not in public and str(rounds.scoring) not in public
    assert client.get(f"/portal/selections/{rounds.scoring}").status_code == 404
    _publish(database, clock, rounds.scoring)
    public = client.get("/portal/selections").text
    assert str(rounds.scoring) in public and str(rounds.draft) not in public
    assert client.get(f"/portal/selections/{rounds.scoring}").status_code == 200
    assert client.get(f"/portal/selections/{rounds.draft}").status_code == 404
