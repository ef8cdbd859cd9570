"""The access decision itself: what the catalog changed after the agreement still counts."""

from __future__ import annotations

import pytest

from sluice.catalog import service as catalog
from sluice.core.clock import FixedClock
from sluice.core.database import Database
from sluice.core.settings import Settings
from sluice.guard import service as guard
from sluice.guard.service import OutOfScope
from tests.authorizations.factories import World, active_authorization, make_world
from tests.catalog.factories import BUREAU


@pytest.fixture
def world(database: Database, clock: FixedClock, settings: Settings) -> World:
    return make_world(database, clock, settings)


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
