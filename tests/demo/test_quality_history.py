"""The demo's quality history: monthly assessments before its first real one, so the
scoreboard's trend has a line per provider, scored by the platform's own rule."""

from __future__ import annotations

from datetime import datetime

from sluice.core.clock import SHANGHAI, FixedClock
from sluice.core.database import Database
from sluice.core.permissions import Role
from sluice.core.principal import Principal
from sluice.demo.data import HISTORY_MONTHS, seed_quality_history
from sluice.quality import repository, service
from tests.identity.factories import make_account

RESOURCE = {
    "resource_id": "00000000-0000-0000-0000-000000000001",
    "resource": "water_bills",
    "name": "用水缴费记录",
    "completeness": 96.0,
    "accuracy": 91.0,
    "consistency": 99.0,
    "timeliness": 100.0,
}


def test_each_provider_gets_six_earlier_months_that_differ(
    database: Database, clock: FixedClock
) -> None:
    providers = [make_account(database, clock, Role.PROVIDER) for _ in range(3)]
    at = datetime(2026, 12, 30, 10, 0, tzinfo=SHANGHAI)
    with database.unit_of_work() as session:
        current = []
        for account in providers:
            assert account.organization_id is not None
            assessment = service.provider_assessment(
                provider_id=account.organization_id,
                resources=[RESOURCE, {**RESOURCE, "resource": "gas_bills", "accuracy": 85.0}],
                overdue_tickets=0,
                at=at,
            )
            repository.add(session, assessment)
            current.append(assessment)
        added = seed_quality_history(session, current=current)
    assert len(added) == HISTORY_MONTHS * len(providers) == 18
    with database.unit_of_work() as session:
        board = service.scoreboard(session, actor=Principal.system("test"))["providers"]
    assert len(board) == 3
    for line in board:
        days = [point["at"] for point in line["trend"]]
        # Monthly, oldest first, ending on the real assessment (the 30th becomes the 28th
        # in earlier months, so February has one).
        assert days == [
            "2026-06-28",
            "2026-07-28",
            "2026-08-28",
            "2026-09-28",
            "2026-10-28",
            "2026-11-28",
            "2026-12-30",
        ]
        scores = [point["score"] for point in line["trend"]]
        assert len(set(scores)) > 3  # a line, not a flat mark
        assert scores[0] < scores[-1]  # the departments got better at their exports
        assert all(0.0 <= s <= 100.0 for s in scores)
    # Each provider moves at its own pace.
    assert len({line["trend"][0]["score"] for line in board}) == 3


def test_the_history_is_the_same_every_time(database: Database, clock: FixedClock) -> None:
    account = make_account(database, clock, Role.PROVIDER)
    assert account.organization_id is not None
    current = service.provider_assessment(
        provider_id=account.organization_id,
        resources=[RESOURCE],
        overdue_tickets=1,
        at=clock.now(),
    )
    with database.unit_of_work() as session:
        first = [a.score for a in seed_quality_history(session, current=[current], months=3)]
        again = [a.score for a in seed_quality_history(session, current=[current], months=3)]
        session.rollback()
    assert first == again
