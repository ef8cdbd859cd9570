"""The approval rules below the API: two approvers pressing at once carry the act out once
(PostgreSQL row lock), and a request names the object so its page can link to it."""

from __future__ import annotations

import threading
import uuid

import pytest

from sluice.approvals import service as approvals
from sluice.approvals.models import ApprovalRequest
from sluice.authorizations import repository, service
from sluice.core.clock import FixedClock
from sluice.core.database import Database
from sluice.core.errors import InvalidTransition, SluiceError
from sluice.core.settings import Settings
from tests.approvals.factories import colleague, principal_of
from tests.authorizations.factories import World, active_authorization, make_world


@pytest.fixture
def world(database: Database, clock: FixedClock, settings: Settings) -> World:
    return make_world(database, clock, settings)


def _ask(
    database: Database, clock: FixedClock, settings: Settings, world: World, agreement: uuid.UUID
) -> uuid.UUID:
    with database.unit_of_work() as session:
        request = service.terminate(
            session,
            actor=world.bureau_principal(),
            settings=settings,
            at=clock.now(),
            authorization_id=agreement,
            reason="严重违约",
        )
        assert (request.target_link, request.target_type) == (
            f"/console/authorizations/{agreement}",
            "authorization",
        )
        return request.id


def test_two_approvers_at_once_carry_the_act_out_once(
    database: Database, clock: FixedClock, settings: Settings, world: World
) -> None:
    # At once on PostgreSQL (the row lock decides); one after the other on SQLite, which
    # serializes writers itself.
    at_once = database.url.startswith("postgresql")
    agreement = active_authorization(database, clock, settings, world)
    request_id = _ask(database, clock, settings, world, agreement)
    approvers = [
        world.colleague_principal(),
        principal_of(colleague(database, clock, world.bureau, "赵丽")),
    ]
    outcomes: list[str] = []
    start = threading.Barrier(len(approvers) if at_once else 1)

    def approve(index: int) -> None:
        start.wait()
        try:
            with database.unit_of_work() as session:
                approvals.approve(
                    session,
                    actor=approvers[index],
                    settings=settings,
                    at=clock.now(),
                    approval_id=request_id,
                )
            outcomes.append("approved")
        except InvalidTransition:
            outcomes.append("already decided")
        except SluiceError as error:  # pragma: no cover - shown if it ever happens
            outcomes.append(error.code)

    if at_once:
        threads = [threading.Thread(target=approve, args=(i,)) for i in range(len(approvers))]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    else:
        for index in range(len(approvers)):
            approve(index)
    assert sorted(outcomes) == ["already decided", "approved"]
    with database.unit_of_work() as session:
        found = repository.authorization(session, agreement)
        assert found is not None and found.status == "terminated"
        assert repository.certificate(session, agreement) is not None
        row = session.get(ApprovalRequest, request_id)
        assert row is not None and row.status == "approved"
