"""The ledger reads products through the products module's own service: with nothing
listed there is nothing to consent to, and an unknown product's title is a dash."""

from __future__ import annotations

import uuid

from sluice.consent import offers
from sluice.core.database import Database
from tests.consent.world import NOW


def test_offers_come_from_the_products_module(database: Database) -> None:
    unknown = uuid.uuid4()
    with database.unit_of_work() as session:
        assert offers.offers(session, at=NOW) == []
        assert offers.offer(session, unknown, at=NOW) is None
        assert offers.titles(session, [unknown]) == {unknown: "—"}
        assert offers.search(session, "信用") == []
