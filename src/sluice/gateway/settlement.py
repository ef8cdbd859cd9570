"""Group commit: the calls answered at about the same time are written in one transaction.

A call's last step (counting, metering, its log row, its subject's use record, the guard's
audited decision) is a handful of small writes, and a commit. Each call committing on its
own made the database's write lock the gateway's bottleneck: SQLite has one per database,
and a writer that finds it taken sleeps in the busy handler in steps of up to 100 ms while
the other worker process takes it again; on PostgreSQL the quota counters' rows stay locked
until each commit, so every call of a key waited for the commit (and its flush to disk)
of the call before.

So each process has one writer thread per database (``settle``): a request thread hands
it the call's writes and waits for the answer. The writer takes every call waiting, runs
their writes one after another in one transaction and commits once; only then does each
request answer its buyer, so a buyer never holds an answer whose trace is not on disk. A
call whose count refuses it (``quota_exceeded``, ``rate_limited``) is taken back within the
transaction (``quotas.take``) and gets its refusal; the others of the batch are written. If
the commit itself fails, every call of the batch fails with it, and none was answered.
"""

from __future__ import annotations

import queue
import threading
import weakref
from collections.abc import Callable
from concurrent.futures import Future
from typing import Any, Final, TypeVar

from sqlalchemy import Engine
from sqlalchemy.orm import Session

from sluice.core.errors import SluiceError

T = TypeVar("T")
#: The most calls one transaction writes (a bound on how long the write lock is held).
MAX_BATCH: Final = 256

Work = Callable[[Session], Any]


class _Writer:
    """One database's writer thread in this process; it ends with its engine."""

    def __init__(self, engine: Engine) -> None:
        self._engine = weakref.ref(engine)
        self._queue: queue.SimpleQueue[tuple[Work, Future[Any]] | None] = queue.SimpleQueue()
        weakref.finalize(engine, self._queue.put, None)
        self._thread = threading.Thread(target=self._run, name="sluice-settlement", daemon=True)
        self._thread.start()

    def submit(self, work: Work) -> Future[Any]:
        future: Future[Any] = Future()
        self._queue.put((work, future))
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

    def _write(self, batch: list[tuple[Work, Future[Any]]]) -> None:
        done: list[tuple[Future[Any], Any, SluiceError | None]] = []
        try:
            engine = self._engine()
            if engine is None:
                raise RuntimeError("the database was closed")
            with Session(engine, expire_on_commit=False) as session:
                for work, future in batch:
                    try:
                        done.append((future, work(session), None))
                    except SluiceError as error:  # taken back by the work itself
                        done.append((future, None, error))
                session.commit()
        except BaseException as error:  # the batch is not written: no call of it answers
            for _, future in batch:
                future.set_exception(error)
            return
        for future, result, refusal in done:
            if refusal is not None:
                future.set_exception(refusal)
            else:
                future.set_result(result)


_writers: weakref.WeakKeyDictionary[Engine, _Writer] = weakref.WeakKeyDictionary()
_writers_lock = threading.Lock()


def settle(session: Session, work: Callable[[Session], T]) -> T:
    """Run ``work`` in the writer's next transaction and return what it returned once that
    transaction committed (or raise its refusal). The request's own session is committed
    first, so it holds no lock while it waits (a signed call's nonce is all it may hold).

    ``work`` must not leave a partial write behind when it raises a ``SluiceError``: it
    raises before writing, or takes back what it wrote (the batch is not rolled back for
    one call)."""
    session.commit()
    engine = session.get_bind().engine
    with _writers_lock:
        writer = _writers.get(engine)
        if writer is None:
            writer = _writers[engine] = _Writer(engine)
    result: T = writer.submit(work).result()
    return result


__all__ = ["MAX_BATCH", "settle"]
