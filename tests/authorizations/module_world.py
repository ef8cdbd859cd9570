"""One authorization world per test module and database, for modules whose tests each take
an agreement of their own in it (a scenario apiece) and never move the clock for the others.

The function-scoped ``database`` fixture builds a world for every test; the endings tests
need the same bureau, operators, plan and catalog each time, so ``place`` (in this
folder's conftest) builds it once per module on SQLite (a copy of the migrated template)
and once on PostgreSQL (this worker's schema, emptied again when the module is done, as the
``database`` fixture does)."""

from __future__ import annotations

import itertools
import uuid
from dataclasses import dataclass
from datetime import datetime

from sluice.core.clock import SHANGHAI, FixedClock
from sluice.core.database import Database
from sluice.core.settings import Settings
from tests.authorizations.factories import CLAUSES, World, active_authorization

#: Where the module's clock starts (a Thursday).
START = datetime(2026, 11, 26, 10, 0, tzinfo=SHANGHAI)
_scenarios = itertools.count(1)


@dataclass(frozen=True)
class Place:
    database: Database
    settings: Settings
    world: World

    def clock(self) -> FixedClock:
        """A clock of the test's own at the module's start: moving it moves nobody else's."""
        return FixedClock(START)

    def agreement(self, **overrides: object) -> uuid.UUID:
        """A new agreement in force, for a scenario and a product no other test uses (an
        operator never develops the same product twice, N2)."""
        n = next(_scenarios)
        values: dict[str, object] = {
            "scenario": f"终止场景{n}",
            "clauses": CLAUSES.model_copy(
                update={
                    "products": [CLAUSES.products[0].model_copy(update={"name": f"场景产品{n}"})]
                }
            ),
            **overrides,
        }
        return active_authorization(
            self.database, self.clock(), self.settings, self.world, **values
        )
