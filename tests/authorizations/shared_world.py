"""One authorization world per test module and database, for the modules on comments,
operator rules, modes and the N1 document: each test takes agreements of its own (a
scenario and a product apiece) in the same world, so the world is built once.

Besides ``factories.make_world`` (the bureau, two qualified operators, an approved plan,
four published entries of one provider in the domain ``governance``) it has a second
provider with a login, whose two entries are in ``industry:finance``, and the finance bureau
with a login. A module takes it with::

    @pytest.fixture(scope="module", params=["sqlite", "postgresql"])
    def shared(request, tmp_path_factory, sqlite_template):
        yield from shared_world.build(request, tmp_path_factory, sqlite_template)
"""

from __future__ import annotations

import itertools
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest

from sluice.authorizations import service
from sluice.core.clock import SHANGHAI, FixedClock
from sluice.core.database import Database
from sluice.core.permissions import OrgKind, Role
from sluice.core.principal import Principal
from sluice.core.settings import Settings
from tests.authorizations.factories import CLAUSES, World, draft, make_world
from tests.catalog.factories import publish, resource_data
from tests.conftest import module_database
from tests.identity.factories import Account, make_account

#: Where every test's clock starts: Thursday 26 November 2026, 10:00 in the city.
START = datetime(2026, 11, 26, 10, 0, tzinfo=SHANGHAI)
_numbers = itertools.count(1)


def principal(account: Account, kind: OrgKind, name: str) -> Principal:
    role = Role(kind.value)
    return Principal(
        username=account.username,
        via="session",
        user_id=account.user_id,
        organization_id=account.organization_id,
        organization_kind=kind,
        roles=frozenset({role}),
        display_name=name,
    )


@dataclass(frozen=True)
class Shared:
    database: Database
    settings: Settings
    world: World
    #: A provider with a login; its entries are in the domain ``industry:finance``.
    provider: Account
    finance_entries: list[uuid.UUID]
    #: The finance bureau, with a login.
    finance: Account

    def clock(self) -> FixedClock:
        """A clock of the test's own: moving it moves nobody else's."""
        return FixedClock(START)

    def provider_principal(self) -> Principal:
        return principal(self.provider, OrgKind.PROVIDER, "周琳")

    def finance_principal(self) -> Principal:
        return principal(self.finance, OrgKind.FINANCE, "赵丽")

    def unique(self, **overrides: Any) -> dict[str, Any]:
        """Draft values with a scenario and a product no other test uses."""
        n = next(_numbers)
        product = CLAUSES.products[0].model_copy(update={"name": f"测试产品{n}"})
        values: dict[str, Any] = {
            "scenario": f"测试场景{n}",
            "clauses": CLAUSES.model_copy(update={"products": [product]}),
        }
        values.update(overrides)
        return values

    def draft(self, clock: FixedClock, **overrides: Any) -> uuid.UUID:
        """A new draft agreement (scope: one entry of each provider unless given)."""
        scope = [self.world.entries[0], self.finance_entries[0]]
        values = self.unique(**{"entry_ids": scope, **overrides})
        with self.database.unit_of_work() as session:
            created = service.create_authorization(
                session,
                actor=self.world.bureau_principal(),
                settings=self.settings,
                at=clock.now(),
                data=draft(self.world, **values),
            )
            return created.id


def build(
    request: pytest.FixtureRequest,
    tmp_path_factory: pytest.TempPathFactory,
    sqlite_template: Path,
) -> Iterator[Shared]:
    root = tmp_path_factory.mktemp("shared-world")
    with module_database(request, root, sqlite_template) as database:
        settings = Settings(home=root / "var", database_url=database.url)
        clock = FixedClock(START)
        world = make_world(database, clock, settings)
        provider = make_account(database, clock, Role.PROVIDER)
        finance = make_account(database, clock, Role.FINANCE)
        assert provider.organization_id is not None
        entries = publish(
            database,
            clock,
            provider.organization_id,
            [
                resource_data(f"fin-{n}", f"企业纳税信用{n}", domain="industry:finance")
                for n in (1, 2)
            ],
        )
        yield Shared(database, settings, world, provider, entries, finance)
