"""Group commit (``gateway.settlement``): calls waiting together are written in one
transaction; a call refused in it gets its refusal and leaves nothing, the others are
written; a call whose writes fail is taken out and fails alone; a batch the database aborts
is written again; two workers' batches counting the same counters in crossed order do not
deadlock; a stuck writer does not hold requests for ever. And a count refused by one limit
takes back what it counted against the others."""

from __future__ import annotations

import fcntl
import threading
import time
import uuid
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from datetime import UTC, datetime
from pathlib import Path

import psycopg
import pytest
from sqlalchemy import Engine, create_engine, event, select, text
from sqlalchemy.exc import IntegrityError, OperationalError
from sqlalchemy.orm import Session

from sluice.core.database import Database
from sluice.core.errors import SluiceError
from sluice.gateway import quotas, repository, settlement
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


def _write(
    database: Database,
    works: list[settlement.Work],
    counters: list[tuple[str, ...]] | None = None,
    *,
    engine: Engine | None = None,
) -> list[object]:
    """One batch as the writer writes it; each call's outcome (its result or error)."""
    writer = settlement._Writer(engine or database.engine)
    calls = [
        settlement._Call(work, scopes, Future())
        for work, scopes in zip(works, counters or [()] * len(works), strict=True)
    ]
    writer._write(calls)
    return [c.future.exception() or c.future.result() for c in calls]


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


def test_a_call_whose_writes_fail_fails_alone_and_the_rest_of_its_batch_is_written(
    database: Database,
) -> None:
    with database.unit_of_work() as session:
        session.add(_cap(1))
    outcomes = _write(database, [_add(5), _add(1), _add(6)])
    assert outcomes[0] == 5 and outcomes[2] == 6
    assert isinstance(outcomes[1], settlement.SettlementFailed)
    assert outcomes[1].status == 503
    assert isinstance(outcomes[1].__cause__, IntegrityError)
    assert _versions(database) == [1, 5, 6]


def _add_unflushed(version: int) -> settlement.Work:
    """As a call's guard decision and use record are added: to the session, not flushed."""

    def work(session: Session) -> int:
        session.add(_cap(version))
        return version

    return work


def test_a_call_whose_rows_fail_when_flushed_fails_alone_not_its_neighbours(
    database: Database,
) -> None:
    """A call's rows are flushed at the end of its turn: a bad one is blamed on it, not
    written by the next call's statement or at commit, failing every call of the batch."""
    with database.unit_of_work() as session:
        session.add(_cap(1))
    outcomes = _write(database, [_add_unflushed(5), _add_unflushed(1), _add(6), _add_unflushed(7)])
    assert outcomes[0] == 5 and outcomes[2:] == [6, 7], outcomes
    assert isinstance(outcomes[1], settlement.SettlementFailed)
    assert _versions(database) == [1, 5, 6, 7]


def _aborted_once(ran: list[str]) -> settlement.Work:
    """A work whose first run the database aborts as it would to break a deadlock."""

    def work(session: Session) -> int:
        ran.append("aborting")
        if ran.count("aborting") == 1:
            raise OperationalError("UPDATE …", None, psycopg.errors.DeadlockDetected("deadlock"))
        return _add(7)(session)

    return work


def test_a_batch_the_database_aborted_is_written_again(database: Database) -> None:
    ran: list[str] = []

    def counted(session: Session) -> int:
        ran.append("counted")
        return _add(8)(session)

    outcomes = _write(database, [counted, _aborted_once(ran)])
    assert outcomes == [8, 7]
    assert ran == ["counted", "aborting", "counted", "aborting"]
    assert _versions(database) == [7, 8]


def test_a_batch_that_cannot_be_written_fails_every_call_in_it_and_writes_none(
    database: Database,
) -> None:
    def unreachable(_session: Session) -> int:
        raise OperationalError("SELECT 1", None, RuntimeError("server closed the connection"))

    outcomes = _write(database, [_add(5), unreachable, _add(6)])
    assert all(isinstance(o, settlement.SettlementFailed) for o in outcomes), outcomes
    assert _versions(database) == []


def test_a_request_stops_waiting_for_a_stuck_writer_and_its_call_is_never_written(
    database: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The writer is held inside one call; a second request gives up after the queue wait
    with ``settlement_failed`` and its call, cancelled, is not written when the writer
    comes free."""
    started, release = threading.Event(), threading.Event()

    def stuck(session: Session) -> int:
        started.set()
        assert release.wait(30)
        return _add(1)(session)

    def settle(work: settlement.Work) -> object:
        with database.unit_of_work() as session:
            return settlement.settle(session, work)

    with ThreadPoolExecutor(1) as pool:
        first = pool.submit(settle, stuck)
        assert started.wait(30)
        monkeypatch.setattr(settlement, "QUEUE_WAIT_SECONDS", 0.05)
        with pytest.raises(settlement.SettlementFailed):
            settle(_add(2))
        release.set()
        assert first.result() == 1
    assert settle(_add(3)) == 3  # the writer goes on
    assert _versions(database) == [1, 3]


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


def _counting(
    scope: str, ran: list[str], then: Callable[[], None] = lambda: None
) -> settlement.Work:
    def work(session: Session) -> dict[str, int]:
        ran.append(scope)
        counted = quotas.take(
            session, (quotas.Limit(scope, 100, "day", "quota"),), product="p", at=AT
        )
        then()
        return counted

    return work


def _waiting_for_a_lock(database: Database, pid: int) -> bool:
    with database.engine.connect() as connection:
        return bool(
            connection.scalar(
                text("SELECT count(*) FROM pg_locks WHERE pid = :pid AND NOT granted"),
                {"pid": pid},
            )
        )


def _until(condition: Callable[[], bool]) -> None:
    """Wait for what another connection is doing (no fixed sleep: it polls a condition)."""
    deadline = time.monotonic() + 30
    while not condition():
        assert time.monotonic() < deadline, "the other transaction never got there"
        time.sleep(0.01)


@pytest.mark.postgres
def test_two_workers_batches_counting_in_crossed_order_do_not_deadlock(
    database: Database,
) -> None:
    """Worker A's batch counts X then Y, worker B's Y then X. A counts X and waits until B
    is waiting on a lock: had B locked Y by then (as counting call by call did), A's count
    of Y would close a cycle and the database would abort one batch. Locked up front in
    one order, B waits for A's commit, and every call is counted once, in one run."""
    x, y = f"quota:x-{uuid.uuid4()}", f"quota:y-{uuid.uuid4()}"
    other = create_engine(database.engine.url)
    pids: list[int] = []
    event.listen(other, "connect", lambda dbapi, _: pids.append(_pid(dbapi)))
    ran: list[str] = []
    try:
        with ThreadPoolExecutor(1) as pool:
            b_batch: Future[list[object]] | None = None

            def b_starts_then_a_waits_for_it() -> None:
                nonlocal b_batch
                b_batch = pool.submit(
                    _write,
                    database,
                    [_counting(y, ran), _counting(x, ran)],
                    [(y,), (x,)],
                    engine=other,
                )
                _until(lambda: bool(pids) and _waiting_for_a_lock(database, pids[0]))

            a = _write(
                database,
                [_counting(x, ran, then=b_starts_then_a_waits_for_it), _counting(y, ran)],
                [(x,), (y,)],
            )
            assert b_batch is not None
            b = b_batch.result()
    finally:
        other.dispose()
    assert a == [{x: 1}, {y: 1}] and b == [{y: 2}, {x: 2}], (a, b)
    assert sorted(ran) == sorted([x, y, y, x])  # no batch ran twice


def _pid(dbapi: object) -> int:
    return int(dbapi.info.backend_pid)  # type: ignore[attr-defined]


@pytest.mark.postgres
def test_a_batch_waiting_too_long_for_a_lock_fails_its_calls_and_the_writer_goes_on(
    database: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(settlement, "LOCK_TIMEOUT_MS", 100)
    held = f"quota:held-{uuid.uuid4()}"
    ran: list[str] = []
    with Session(database.engine) as holder:
        repository.begin_batch(holder, [held], lock_timeout_ms=1000, statement_timeout_ms=1000)
        outcomes = _write(database, [_add(1), _counting(held, ran)], [(), (held,)])
        holder.rollback()
    assert all(isinstance(o, settlement.SettlementFailed) for o in outcomes), outcomes
    assert ran == [] and _versions(database) == []
    assert _write(database, [_counting(held, ran)], [(held,)]) == [{held: 1}]


@pytest.mark.parametrize("database", ["sqlite"], indirect=True)
def test_on_sqlite_a_writer_holds_the_workers_turn_for_its_whole_transaction(
    database: Database,
) -> None:
    """The workers' writers take turns through a file lock beside the database (the kernel
    hands it to a waiting writer at once; SQLite's own busy wait sleeps between tries and
    let one worker's writer starve the other's): held for the whole batch, let go after."""
    path = Path(f"{database.engine.url.database}.writers")
    inside, release = threading.Event(), threading.Event()

    def held(session: Session) -> int:
        inside.set()
        assert release.wait(30)
        return _add(1)(session)

    def taken_by_another() -> bool:
        with path.open("a+b") as other:
            try:
                fcntl.flock(other, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                return True
            fcntl.flock(other, fcntl.LOCK_UN)
            return False

    with ThreadPoolExecutor(1) as pool:
        batch = pool.submit(_write, database, [held])
        assert inside.wait(30)
        assert taken_by_another()
        release.set()
        assert batch.result(timeout=30) == [1]
    assert not taken_by_another()


@pytest.mark.parametrize("database", ["sqlite"], indirect=True)
def test_on_sqlite_a_request_stops_waiting_for_a_turn_that_never_comes(
    database: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Another worker holds the turn (frozen, say): the request gives up after the queue
    wait with ``settlement_failed``, and its call, never marked running, is not written
    when the turn comes back."""
    monkeypatch.setattr(settlement, "QUEUE_WAIT_SECONDS", 0.05)
    path = Path(f"{database.engine.url.database}.writers")

    def settle(work: settlement.Work) -> object:
        with database.unit_of_work() as session:
            return settlement.settle(session, work)

    with path.open("a+b") as frozen:
        fcntl.flock(frozen, fcntl.LOCK_EX)
        with pytest.raises(settlement.SettlementFailed):
            settle(_add(1))
        fcntl.flock(frozen, fcntl.LOCK_UN)
    monkeypatch.setattr(settlement, "QUEUE_WAIT_SECONDS", 30.0)
    assert settle(_add(2)) == 2
    assert _versions(database) == [2]
