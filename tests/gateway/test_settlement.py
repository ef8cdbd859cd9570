"""Group commit (``gateway.settlement``): calls waiting together are written in one
transaction; a call refused in it gets its refusal and leaves nothing, the others are
written; a transaction that fails fails every call in it and writes none of them. And a
count refused by one limit takes back what it counted against the others."""

from __future__ import annotations

import uuid
from concurrent.futures import Future, ThreadPoolExecutor
from datetime import UTC, datetime

import pytest
from sqlalchemy import event, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from sluice.core.database import Database
from sluice.core.errors import SluiceError
from sluice.gateway import quotas, settlement
from sluice.gateway.models import Counter
from sluice.products.models import PriceCap

AT = datetime(2026, 12, 4, 10, 0, tzinfo=UTC)


class Refused(SluiceError):
    status = 429
    code = "refused_in_test"


def _cap(version: int) -> PriceCap:
    return PriceCap(
        id=uuid.uuid4(),
        product_type="score",
        domain="industry:test",
        version=version,
        cap_fen=100 + version,
        effective_from=AT,
        reason="test",
        set_by="bureau",
        set_at=AT,
    )


def _versions(database: Database) -> list[int]:
    with database.unit_of_work() as session:
        return sorted(session.scalars(select(PriceCap.version)))


def _add(version: int) -> settlement.Work:
    def work(session: Session) -> int:
        session.add(_cap(version))
        session.flush()
        return version

    return work


def _refuse(_session: Session) -> int:
    raise Refused()


def _write(database: Database, works: list[settlement.Work]) -> list[object]:
    """One batch as the writer writes it; each call's outcome (its result or error)."""
    writer = settlement._Writer(database.engine)
    futures: list[Future[object]] = [Future() for _ in works]
    writer._write(list(zip(works, futures, strict=True)))
    return [f.exception() or f.result() for f in futures]


def test_a_batch_commits_once_and_a_refused_call_in_it_leaves_nothing(
    database: Database,
) -> None:
    commits: list[int] = []
    event.listen(database.engine, "commit", lambda _c: commits.append(1))
    outcomes = _write(database, [_add(1), _refuse, _add(2), _add(3)])
    assert outcomes[0] == 1 and outcomes[2:] == [2, 3]
    assert isinstance(outcomes[1], Refused)
    assert commits == [1]
    assert _versions(database) == [1, 2, 3]


def test_a_batch_that_fails_fails_every_call_in_it_and_writes_none(database: Database) -> None:
    with database.unit_of_work() as session:
        session.add(_cap(1))
    outcomes = _write(database, [_add(5), _add(1), _add(6)])
    assert all(isinstance(o, IntegrityError) for o in outcomes), outcomes
    assert _versions(database) == [1]


def test_calls_settled_from_many_threads_each_get_their_own_answer(database: Database) -> None:
    def call(version: int) -> int:
        with database.unit_of_work() as session:
            return settlement.settle(session, _add(version))

    with ThreadPoolExecutor(8) as pool:
        answers = list(pool.map(call, range(1, 41)))
    assert answers == list(range(1, 41))
    assert _versions(database) == list(range(1, 41))


def test_a_count_refused_by_one_limit_takes_back_the_others(database: Database) -> None:
    roomy = quotas.Limit("quota:roomy", 10, "day", "quota")
    full = quotas.Limit("rate:full", 1, "day", "rate")
    with database.unit_of_work() as session:
        quotas.take(session, (roomy, full), product="p", at=AT)
    with database.unit_of_work() as session, pytest.raises(quotas.RateLimited):
        quotas.take(session, (roomy, full), product="p", at=AT)
        # The transaction goes on, as a settlement's does, and commits what it holds.
    with database.unit_of_work() as session:
        used = {str(s): int(n) for s, n in session.execute(select(Counter.scope, Counter.used))}
    assert used == {"quota:roomy": 1, "rate:full": 1}
