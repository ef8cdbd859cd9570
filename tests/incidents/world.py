"""One world per test module and database for the incidents: the authorization world
(the bureau, two qualified operators) with an agreement of the first operator in force,
and alerts made through the alerts' own model as the monitoring would raise them."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

import pytest

from sluice.alerts.models import Alert
from sluice.core.clock import FixedClock
from sluice.core.database import Database
from sluice.core.permissions import Role
from sluice.core.principal import Principal
from sluice.core.settings import Settings
from tests.authorizations import shared_world
from tests.authorizations.factories import World, active_authorization
from tests.authorizations.shared_world import START, Shared
from tests.conftest import module_database
from tests.identity.factories import Account, make_account


@dataclass(frozen=True)
class IncidentWorld:
    shared: Shared
    #: The first operator's agreement in force: a rectification may be ordered under it.
    agreement_id: uuid.UUID

    @property
    def database(self) -> Database:
        return self.shared.database

    @property
    def settings(self) -> Settings:
        return self.shared.settings

    @property
    def world(self) -> World:
        return self.shared.world

    def clock(self) -> FixedClock:
        return self.shared.clock()

    def bureau(self) -> Principal:
        return self.world.bureau_principal()

    def operator(self) -> Principal:
        return self.world.operator_principal()

    def other_operator(self) -> Principal:
        return self.world.operator_principal(self.world.other_operator)

    @property
    def operator_id(self) -> uuid.UUID:
        assert self.world.operator.organization_id is not None
        return self.world.operator.organization_id

    def alert(
        self, at: datetime, *, rule: str = "enumeration", organization_id: uuid.UUID | None = None
    ) -> uuid.UUID:
        """An open critical alert on a workspace of ``organization_id`` (the operator)."""
        with self.database.unit_of_work() as session:
            alert = Alert(
                rule=rule,
                severity="critical",
                subject_type="workspace",
                subject_id=uuid.uuid4(),
                subject_label="普惠金融沙箱",
                organization_id=organization_id or self.operator_id,
                window_start=at - timedelta(hours=1),
                window_end=at,
                observed=412.0,
                threshold=50.0,
                detail={"baseline": 8.0},
                status="open",
                raised_at=at,
                delivery=None,
                delivery_attempts=0,
            )
            session.add(alert)
            session.flush()
            return alert.id


def build(
    request: pytest.FixtureRequest,
    tmp_path_factory: pytest.TempPathFactory,
    sqlite_template: Path,
) -> Iterator[IncidentWorld]:
    for built in shared_world.build(request, tmp_path_factory, sqlite_template):
        agreement = active_authorization(
            built.database, built.clock(), built.settings, built.world, **built.unique()
        )
        yield IncidentWorld(built, agreement)


@dataclass(frozen=True)
class People:
    """The bureau and two operators with logins, and nothing else: enough for the pages."""

    database: Database
    settings: Settings
    bureau: Account
    operator: Account
    other_operator: Account

    def clock(self) -> FixedClock:
        return FixedClock(START)


def build_people(
    request: pytest.FixtureRequest,
    tmp_path_factory: pytest.TempPathFactory,
    sqlite_template: Path,
) -> Iterator[People]:
    root = tmp_path_factory.mktemp("incident-people")
    with module_database(request, root, sqlite_template) as database:
        settings = Settings(home=root / "var", database_url=database.url)
        clock = FixedClock(START)
        yield People(
            database,
            settings,
            make_account(database, clock, Role.BUREAU),
            make_account(database, clock, Role.OPERATOR),
            make_account(database, clock, Role.OPERATOR),
        )
