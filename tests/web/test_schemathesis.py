"""No input gets a server error: a bounded schemathesis run over the whole OpenAPI (R8.3).

The run is the reviewer's, made part of the suite: every operation of `/openapi.json` as an
anonymous caller, and as the bureau, a provider, an operator and a buyer on SQLite (the
anonymous caller, the bureau and an operator on PostgreSQL) every operation that role may
call: the public ones and those whose permission it holds. (The others answer 403 or 404
at their door for it, the same door the anonymous walk and tests/identity/test_access.py
already prove.) Each with schema-valid and schema-violating inputs. It is bounded (a few
examples per operation and mode, Hypothesis derandomized so every run sends the same
requests) and runs against a demo city of its own, in its own home and its own database
(a separate PostgreSQL schema), so whatever it deletes or ends belongs to nobody else. Path
ids are drawn from the world's real objects half the time, so the fuzzing reaches past
"not found".
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import schemathesis
from fastapi import FastAPI
from fastapi.routing import APIRoute
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode
from sqlalchemy import create_engine, select, text

from sluice.core.clock import SystemClock
from sluice.core.database import Database
from sluice.core.principal import Principal
from sluice.core.settings import Settings
from sluice.identity import service as identity
from sluice.identity.models import User
from sluice.web.deps import Public, Requires
from sluice.web.routes import all_routes, guards_of
from tests.demo_city import DemoCity, copy_city, run_demo
from tests.infrastructure import PG_URL, skip_or_fail

EXAMPLES = {GenerationMode.POSITIVE: 2, GenerationMode.NEGATIVE: 1}
ROLES = ("anonymous", "bureau", "provider", "operator", "buyer")
#: On PostgreSQL what differs is how the database takes odd values (lengths, ranges, text
#: patterns), not who may call what: the public routes, and the two roles that write the
#: most (the bureau, an operator) reach nearly every table; SQLite runs every role.
ROLES_ON_POSTGRESQL = ("anonymous", "bureau", "operator")
DEMO_USERS = {"bureau": "bureau", "provider": "provider", "operator": "operator", "buyer": "buyer"}

#: Path parameters filled with a real object's id half the time, by the table that holds it.
REAL_IDS = {
    "application_id": "operator_applications",
    "authorization_id": "authorizations",
    "round_id": "selection_rounds",
    "ticket_id": "correction_tickets",
    "entry_id": "catalog_entries",
    "resource_id": "catalog_resources",
    "exit_id": "authorization_exits",
    "batch_id": "catalog_batches",
    "run_id": "ingestion_runs",
    "order_id": "rectification_orders",
    "evidence_id": "operator_evidence",
    "plan_id": "implementation_plans",
    "organization_id": "organizations",
}


@dataclass
class World:
    app: FastAPI
    database: Database
    headers: dict[str, dict[str, str]]
    ids: dict[str, list[str]]
    #: What each signed-in role may do (``Principal.has``), to pick the operations it walks.
    principals: dict[str, Principal]
    #: The OpenAPI document as schemathesis reads it, loaded once for every role's walk.
    schema: Any


def _world(home: Path, url: str) -> World:
    """Sign the demo's people in on a city already built in this home and database."""
    from sluice.web.app import create_app

    # The application's lifespan lives on for the rest of the process (schemathesis keeps
    # it): no background jobs, which would wake every few minutes in this test worker,
    # evaluate alerts over the city and hold the interpreter while a probe waits.
    settings = Settings(
        home=home, database_url=url, alert_evaluate_seconds=0, audit_tree_head_seconds=0
    )
    database = Database(url)
    clock = SystemClock()
    headers: dict[str, dict[str, str]] = {"anonymous": {}}
    principals: dict[str, Principal] = {}
    with database.unit_of_work() as session:
        for role, username in DEMO_USERS.items():
            user = session.scalar(select(User).where(User.username == username))
            assert user is not None, username
            token, _ = identity.issue_access_token(
                session, clock=clock, settings=settings, user=user
            )
            headers[role] = {"Authorization": f"Bearer {token}"}
            principals[role] = identity.principal_for(session, user, via="token")
        buyer_user = session.scalar(select(User).where(User.username == "buyer"))
        assert buyer_user is not None
        buyer = identity.principal_for(session, buyer_user, via="token")
        _, key = identity.create_api_key(session, actor=buyer, clock=clock, name="fuzz")
        headers["buyer"]["X-API-Key"] = key
        ids = {
            name: [str(v) for v in session.scalars(text(f"SELECT id FROM {table}"))]  # noqa: S608
            for name, table in REAL_IDS.items()
        }
    app = create_app(settings, database=database, clock=clock)
    schema = schemathesis.openapi.from_asgi("/openapi.json", app)
    schema.hook("map_path_parameters")(_real_ids(ids))
    return World(app, database, headers, ids, principals, schema)


@pytest.fixture(scope="class")
def sqlite_world(
    tmp_path_factory: pytest.TempPathFactory, demo_sqlite: DemoCity
) -> Iterator[World]:
    # Fuzzing deletes and ends things: it works on a copy of the suite's demo city.
    city = copy_city(demo_sqlite, tmp_path_factory.mktemp("fuzz"))
    built = _world(city.home, city.url)
    yield built
    built.database.dispose()


@pytest.fixture(scope="class")
def postgresql_world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    home = tmp_path_factory.mktemp("fuzz") / "var"
    schema = f"fuzz_{uuid.uuid4().hex[:12]}"
    admin = create_engine(PG_URL)
    try:
        with admin.begin() as connection:
            connection.execute(text(f'CREATE SCHEMA "{schema}"'))
    except Exception as error:  # no PostgreSQL here
        admin.dispose()
        skip_or_fail(f"PostgreSQL unreachable at {PG_URL}: {error!r:.200}")
        return
    separator = "&" if "?" in PG_URL else "?"
    url = f"{PG_URL}{separator}options=-csearch_path%3D{schema}"
    run_demo(home, url)
    built = _world(home, url)
    yield built
    built.database.dispose()
    with admin.begin() as connection:
        connection.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
    admin.dispose()


def _real_ids(ids: dict[str, list[str]]) -> Any:
    def fill(context: Any, path_parameters: dict[str, Any] | None) -> dict[str, Any] | None:
        if path_parameters is None:
            return None
        for name, value in list(path_parameters.items()):
            choices = ids.get(name)
            if not choices:
                continue
            # Deterministic: the generated value picks whether and which real id to use.
            digest = hashlib.sha256(repr(value).encode()).digest()
            if digest[0] % 2 == 0:
                path_parameters[name] = choices[digest[1] % len(choices)]
        return path_parameters

    return fill


def _probe(
    world: World, role: str, operation: Any, mode: GenerationMode, statuses: list[int]
) -> list[str]:
    """Send a few generated requests for one operation; return the ones answered with 5xx."""
    errors: list[str] = []

    @given(case=operation.as_strategy(generation_mode=mode))
    @settings(
        max_examples=EXAMPLES[mode],
        derandomize=True,
        database=None,
        deadline=None,
        suppress_health_check=list(HealthCheck),
        phases=[Phase.explicit, Phase.generate],
    )
    def probe(case: Any) -> None:
        response = case.call(headers=world.headers[role])
        statuses.append(response.status_code)
        if response.status_code >= 500:
            errors.append(
                f"{role} {operation.label} [{mode.value}] -> {response.status_code}: "
                f"{case.as_curl_command()}"
            )

    with contextlib.suppress(Unsatisfiable):  # nothing to violate (no parameters, no body)
        probe()
    return errors


def _server_errors(world: World, role: str) -> list[str]:
    found: list[str] = []
    statuses: list[int] = []
    operations = [
        operation
        for operation in (result.ok() for result in world.schema.get_all_operations())
        if role == "anonymous" or _may_call(world, role, operation)
    ]
    # Logging out revokes the token this walk uses: walk it last.
    operations.sort(key=lambda operation: operation.path == "/api/v1/auth/logout")
    for operation in operations:
        for mode in _modes(world, role, operation):
            found.extend(_probe(world, role, operation, mode, statuses))
    # The run really walked the document (every operation at least once; the whole of it
    # anonymously), and signed-in roles got past the door.
    assert len(statuses) >= len(operations) >= 20, (len(statuses), len(operations))
    if role == "anonymous":
        assert len(operations) > 150, len(operations)
    if role != "anonymous":
        assert sum(200 <= s < 300 for s in statuses) >= 15, sorted(set(statuses))
    return found


def _modes(world: World, role: str, operation: Any) -> tuple[GenerationMode, ...]:
    """Both modes, except for the anonymous caller at an operation that needs a permission:
    the door refuses it before any valid input is read, so only malformed ones (which are
    parsed before the door) can tell it anything."""
    if role == "anonymous" and not isinstance(_guard(world, operation), Public):
        return (GenerationMode.NEGATIVE,)
    return tuple(EXAMPLES)


def _may_call(world: World, role: str, operation: Any) -> bool:
    """A public operation, or one whose permission the role holds (an API key's gateway
    routes: the buyer's)."""
    guard = _guard(world, operation)
    if isinstance(guard, Public):
        return True
    assert isinstance(guard, Requires)
    return world.principals[role].has(guard.permission)


def _guard(world: World, operation: Any) -> Requires | Public:
    [guard] = _routes(world.app)[operation.method.upper(), operation.path]
    return guard


@functools.cache
def _routes(app: FastAPI) -> dict[tuple[str, str], list[Requires | Public]]:
    return {
        (method, route.path): guards_of(route)
        for route in all_routes(app)
        if isinstance(route, APIRoute)
        for method in route.methods
    }


# One class per database, so the two runs can go to different test workers.
class TestOnSQLite:
    @pytest.mark.parametrize("role", ROLES)
    def test_no_input_gets_a_server_error(self, sqlite_world: World, role: str) -> None:
        assert _server_errors(sqlite_world, role) == []


class TestOnPostgreSQL:
    @pytest.mark.parametrize("role", ROLES_ON_POSTGRESQL)
    def test_no_input_gets_a_server_error(self, postgresql_world: World, role: str) -> None:
        assert _server_errors(postgresql_world, role) == []
