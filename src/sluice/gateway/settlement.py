"""Group commit: the calls answered at about the same time are written in one transaction.

A call's last step (counting, metering, its log row, its subject's use record, the guard's
audited decision) is a handful of small writes, and a commit. Each call committing on its
own made the database's write lock the gateway's bottleneck: SQLite has one per database,
and a writer that finds it taken sleeps in the busy handler in steps of up to 100 ms while
the other worker process takes it again; on PostgreSQL the quota counters' rows stay locked
until each commit, so every call of a key waited for the commit (and its flush to disk)
of the call before.

So each process has one writer thread per database (``settle``): a request thread hands
it the call's writes, with the counters they will count, and waits for the answer. The
writer takes every call waiting, locks the counters of all of them in one order
(``repository.begin_batch``: two workers' batches never deadlock), runs their writes one
after another in one transaction and commits once; only then does each request answer its
buyer, so a buyer never holds an answer whose trace is not on disk.

What one call does to the batch stays with that call:

* a count that refuses it (``quota_exceeded``, ``rate_limited``) is taken back within the
  transaction (``quotas.take``) and the call gets its refusal; the others are written;
* a call whose writes fail (a constraint, a bug) is taken out and the batch written again
  without it; it alone answers ``settlement_failed`` (503: not charged, try again), which
  the route logs like any refusal;
* a batch the database aborted as a whole (a deadlock or serialization failure with
  something outside the writer) is written again, up to ``RETRIES`` times.

Only when the batch cannot be written at all (the database is gone, a lock waited for
longer than ``LOCK_TIMEOUT_MS``, the commit failed) does every call in it answer
``settlement_failed``, and none of them was written. A request waits at most
``QUEUE_WAIT_SECONDS`` for the writer to take its call up (a writer stuck on the database,
or on SQLite waiting for its turn, does not hold every request of the process for ever);
once taken up, the call's outcome is waited for: on PostgreSQL each statement of the batch
is bounded (``LOCK_TIMEOUT_MS``, ``STATEMENT_TIMEOUT_MS``), not the batch as a whole.
"""

from __future__ import annotations

import fcntl
import logging
import os
import queue
import threading
import weakref
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future
from concurrent.futures import TimeoutError as FutureTimeout
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any, Final, TypeVar

from sqlalchemy import Engine
from sqlalchemy.exc import DBAPIError, OperationalError
from sqlalchemy.orm import Session

from sluice.core.errors import SluiceError
from sluice.core.i18n import add_messages
from sluice.gateway import repository

log = logging.getLogger(__name__)

T = TypeVar("T")
#: The most calls one transaction writes (a bound on how long the write lock is held).
MAX_BATCH: Final = 256
#: How many times a batch the database aborted as a whole is written again.
RETRIES: Final = 3
#: PostgreSQL: the longest a batch waits for a lock, and runs one statement (milliseconds).
LOCK_TIMEOUT_MS = 5_000
STATEMENT_TIMEOUT_MS = 15_000
#: The longest a request waits for the writer to take its call up.
QUEUE_WAIT_SECONDS = 30.0
#: SQLSTATEs of a transaction the database aborted to resolve a conflict: worth a retry.
_RETRYABLE: Final = frozenset({"40P01", "40001"})

Work = Callable[[Session], Any]


class SettlementFailed(SluiceError):
    status = 503
    code = "settlement_failed"


add_messages(
    {
        "problem.settlement_failed": ("调用未能记录", "Call not recorded"),
        "error.settlement_failed": (
            "本次调用的结果未能记录，因此未返回结果，也不计费。请稍后重试。",
            "This call could not be recorded, so no result was returned and nothing was "
            "charged. Please try again shortly.",
        ),
    }
)


@dataclass(frozen=True, eq=False)
class _Call:
    work: Work
    #: The counters ``work`` counts (``quotas.Limit.scope``), locked before the batch runs.
    counters: tuple[str, ...]
    future: Future[Any]


class _CallBroke(Exception):
    """One call's writes failed for a reason of its own: the batch goes on without it."""

    def __init__(self, call: _Call, error: Exception) -> None:
        super().__init__(str(error))
        self.call, self.error = call, error


class _Writer:
    """One database's writer thread in this process; it ends with its engine."""

    def __init__(self, engine: Engine) -> None:
        self._engine = weakref.ref(engine)
        self._turns = _turns_of(engine)
        self._queue: queue.SimpleQueue[_Call | None] = queue.SimpleQueue()
        weakref.finalize(engine, self._queue.put, None)
        self._thread = threading.Thread(target=self._run, name="sluice-settlement", daemon=True)
        self._thread.start()

    def submit(self, work: Work, counters: Iterable[str] = ()) -> Future[Any]:
        future: Future[Any] = Future()
        self._queue.put(_Call(work, tuple(counters), future))
        return future

    def _run(self) -> None:
        while (first := self._queue.get()) is not None:
            batch = [first]
            while len(batch) < MAX_BATCH:
                try:
                    queued = self._queue.get_nowait()
                except queue.Empty:
                    break
                if queued is None:  # the engine is gone: nothing more can come
                    break
                batch.append(queued)
            self._write(batch)

    def _write(self, batch: list[_Call]) -> None:
        try:
            with _turn(self._turns):
                self._write_in_turn(batch)
        except BaseException as error:  # the writer goes on: every later call still needs it
            log.exception("the gateway's writer failed on a batch")
            for call in batch:
                if not call.future.done():
                    call.future.set_exception(_failed(error))

    def _write_in_turn(self, batch: list[_Call]) -> None:
        # Marked running only now, in the writer's turn: until then a request that stops
        # waiting cancels its call, and a cancelled call is not written.
        calls = [call for call in batch if call.future.set_running_or_notify_cancel()]
        aborted = 0
        while calls:
            try:
                done = self._transaction(calls)
            except _CallBroke as broke:
                log.error("a gateway call could not be settled", exc_info=broke.error)
                broke.call.future.set_exception(_failed(broke.error))
                calls.remove(broke.call)
                continue
            except BaseException as error:
                if _retryable(error) and aborted < RETRIES:
                    aborted += 1
                    continue
                log.error(
                    "a batch of %d gateway calls could not be settled", len(calls), exc_info=error
                )
                for call in calls:
                    call.future.set_exception(_failed(error))
                return
            for call, result, refusal in done:
                if refusal is not None:
                    call.future.set_exception(refusal)
                else:
                    call.future.set_result(result)
            return

    def _transaction(self, calls: list[_Call]) -> list[tuple[_Call, Any, SluiceError | None]]:
        engine = self._engine()
        if engine is None:
            raise RuntimeError("the database was closed")
        done: list[tuple[_Call, Any, SluiceError | None]] = []
        with Session(engine, expire_on_commit=False) as session:
            repository.begin_batch(
                session,
                (scope for call in calls for scope in call.counters),
                lock_timeout_ms=LOCK_TIMEOUT_MS,
                statement_timeout_ms=STATEMENT_TIMEOUT_MS,
            )
            for call in calls:
                try:
                    result = call.work(session)
                    # Its rows are written now: one that fails is this call's, no other's.
                    session.flush()
                    done.append((call, result, None))
                except SluiceError as refusal:  # taken back by the work itself
                    done.append((call, None, refusal))
                except OperationalError:  # the database's, not this call's
                    raise
                except Exception as error:
                    if isinstance(error, DBAPIError) and error.connection_invalidated:
                        raise
                    raise _CallBroke(call, error) from error
            session.commit()
        return done


def _turns_of(engine: Engine) -> IO[bytes] | None:
    """SQLite: the file through which every process's writer takes its turn (``_turn``)."""
    path = engine.url.database
    if engine.dialect.name != "sqlite" or not path or path == ":memory:":
        return None
    turns = Path(f"{path}.writers").open("a+b")  # noqa: SIM115 (open while the writer lives)
    weakref.finalize(engine, turns.close)
    return turns


@contextmanager
def _turn(turns: IO[bytes] | None) -> Iterator[None]:
    """On SQLite, the writers of all worker processes take turns through a file lock,
    which the kernel hands to a waiting writer the moment it is let go: waiting on
    SQLite's own lock, a writer sleeps up to 100 ms between tries while the other process's
    writer takes it again and again (a p99 of seconds under load). PostgreSQL needs none."""
    if turns is None:
        yield
        return
    fcntl.flock(turns, fcntl.LOCK_EX)
    try:
        yield
    finally:
        fcntl.flock(turns, fcntl.LOCK_UN)


def _retryable(error: BaseException) -> bool:
    """A transaction the database aborted to break a conflict (PostgreSQL's deadlock and
    serialization failures): written again, it will most likely pass."""
    original = getattr(error, "orig", None)
    return getattr(original, "sqlstate", None) in _RETRYABLE


def _failed(error: BaseException) -> SettlementFailed:
    failed = SettlementFailed()
    failed.__cause__ = error
    return failed


_writers: weakref.WeakKeyDictionary[Engine, _Writer] = weakref.WeakKeyDictionary()
_writers_lock = threading.Lock()


def _forget_writers_in_child() -> None:
    """A forked child has none of its parent's threads: it starts its own writers."""
    global _writers_lock
    _writers_lock = threading.Lock()
    _writers.clear()


os.register_at_fork(after_in_child=_forget_writers_in_child)


def settle(session: Session, work: Callable[[Session], T], *, counters: Iterable[str] = ()) -> T:
    """Run ``work`` in the writer's next transaction and return what it returned once that
    transaction committed (or raise its refusal, or ``SettlementFailed``). ``counters`` are
    the scopes ``work`` counts (``quotas.take``). The request's own session is committed
    first, so it holds no lock while it waits (a signed call's nonce is all it may hold).

    ``work`` must not leave a partial write behind when it raises a ``SluiceError``: it
    raises before writing, or takes back what it wrote (the batch is not rolled back for
    one call). It may run more than once (each time in a new transaction), so it writes
    only through the session it is given."""
    session.commit()
    engine = session.get_bind().engine
    with _writers_lock:
        writer = _writers.get(engine)
        if writer is None:
            writer = _writers[engine] = _Writer(engine)
    future = writer.submit(work, counters)
    try:
        result: T = future.result(timeout=QUEUE_WAIT_SECONDS)
    except FutureTimeout:
        if future.cancel():  # never taken up: it will not be written
            log.error("the gateway's writer took no call for %s s", QUEUE_WAIT_SECONDS)
            raise SettlementFailed() from None
        # Taken up just now: its transaction is under way, bounded by the statement timeout.
        result = future.result()
    return result


__all__ = ["MAX_BATCH", "SettlementFailed", "settle"]
