"""On PostgreSQL, two server processes writing audit entries and serving signed tree heads at
once still give one gap-free log whose every entry is a leaf, and whose every head is the
root of the entries it counts."""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import text

from sluice.audit import sequencer
from sluice.audit.verify_proof import check_head
from sluice.core.clock import SHANGHAI, FixedClock
from sluice.core.database import Database
from sluice.core.permissions import Role
from sluice.core.settings import Settings
from sluice.transparency import heads
from tests.conftest import module_database
from tests.gateway.test_calls import two_workers
from tests.identity.factories import make_account

pytestmark = pytest.mark.postgres


@dataclass(frozen=True)
class World:
    """What ``two_workers`` needs to serve the application on this database."""

    database: Database
    settings: Settings
    now: FixedClock

    def clock(self) -> FixedClock:
        return self.now


@pytest.fixture(scope="module", params=["postgresql"])
def world(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory, sqlite_template: Path
) -> Iterator[World]:
    root = tmp_path_factory.mktemp("log-concurrency")
    with module_database(request, root, sqlite_template) as database:
        clock = FixedClock(datetime(2026, 11, 26, 10, 0, tzinfo=SHANGHAI))
        make_account(database, clock, Role.BUREAU)
        yield World(database, Settings(home=root / "var", database_url=database.url), clock)


def _call(base: str, n: int) -> tuple[int, dict[str, Any]]:
    """Every fourth call asks for the tree head; the others fail to log in (each audited)."""
    if n % 4 == 0:
        request = urllib.request.Request(f"{base}/api/v1/audit/tree-head")  # noqa: S310
    else:
        body = json.dumps({"username": f"nobody{n}", "password": "not-the-password"}).encode()
        request = urllib.request.Request(  # noqa: S310 (the test's own loopback server)
            f"{base}/api/v1/auth/token",
            data=body,
            method="POST",
            headers={"Content-Type": "application/json"},
        )
    try:
        with urllib.request.urlopen(request, timeout=60) as answer:  # noqa: S310 (loopback)
            return answer.status, json.loads(answer.read())
    except urllib.error.HTTPError as refusal:
        return refusal.code, json.loads(refusal.read())


def test_two_workers_at_once_leave_a_gap_free_verifiable_log(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    # One failed login bars the address: the rest are refused, each still audited.
    monkeypatch.setenv("SLUICE_ADDRESS_LOCKOUT_ATTEMPTS", "1")
    with two_workers(world) as base, ThreadPoolExecutor(max_workers=12) as pool:  # type: ignore[arg-type]
        answers = list(pool.map(lambda n: _call(base, n), range(24)))
    signed = [body for status, body in answers if status == 200 and "root_hash" in body]
    logins = [status for n, (status, _) in enumerate(answers) if n % 4]
    assert len(signed) == 6  # every tree head asked for was served
    assert len(logins) == 18 and set(logins) <= {401, 429}
    with world.database.unit_of_work() as session:
        sequencer.sequence(session, full=True)
    with world.database.unit_of_work() as session:
        leaves = session.execute(
            text("SELECT leaf_index, event_id FROM audit_leaves ORDER BY leaf_index")
        ).all()
        events = session.execute(text("SELECT id FROM audit_events ORDER BY id")).scalars().all()
        assert [index for index, _ in leaves] == list(range(len(leaves)))
        assert sorted(event for _, event in leaves) == list(events)
        failed = session.execute(
            text("SELECT count(*) FROM audit_events WHERE action = 'identity.login.failed'")
        ).scalar()
        assert failed == 18
        for head in signed:
            check_head(head)
            tree = sequencer.StoredTree(session, head["tree_size"])
            assert tree.root().hex() == head["root_hash"]
        result = heads.verify_log(session)
    assert result.ok and result.unsequenced == 0, result.findings
    assert result.leaves == len(events)
