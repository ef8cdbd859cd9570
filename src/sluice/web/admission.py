"""How many requests one server process serves at once: as many as its pool has
connections (``Settings.database_pool_size``); the others wait their turn in the event
loop, holding neither a connection nor a thread.

Without this bound, a burst of requests larger than the thread pool locked the process
for the pool's 30-second timeout, then failed with 500: a request holds its session's
connection from its first statement until its commit, across several hops between the
event loop and worker threads. With every worker thread taken by new requests waiting
for a connection, and every connection held by requests waiting for a worker thread,
nothing moved. An admitted request finds a connection kept for it (beside them, the
pool's overflow serves what runs outside requests), so every thread it waits for is one
that will finish.

A request waits at most ``WAIT_SECONDS`` for its turn; then it is answered ``busy`` (503,
with ``Retry-After``), not left waiting for ever behind requests that take long.
"""

from __future__ import annotations

import asyncio
import weakref
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Final

from sluice.core.errors import SluiceError
from sluice.core.i18n import add_messages

#: The longest a request waits for its turn.
WAIT_SECONDS: Final = 30.0
#: What ``busy`` tells the caller to wait before trying again.
RETRY_AFTER_SECONDS: Final = 5


class Busy(SluiceError):
    status = 503
    code = "busy"
    retry_after = RETRY_AFTER_SECONDS


add_messages(
    {
        "problem.busy": ("平台繁忙", "The platform is busy"),
        "error.busy": (
            "此刻请求过多，本次请求未处理，也未改变任何内容。请稍后重试。",
            "There are too many requests at this moment: this one was not handled and "
            "changed nothing. Please try again shortly.",
        ),
    }
)


class Admission:
    """At most ``capacity`` requests at once in each event loop of the process."""

    def __init__(self, capacity: int, *, wait_seconds: float = WAIT_SECONDS) -> None:
        if capacity < 1:
            raise ValueError("capacity must be at least 1")
        self.capacity = capacity
        self.wait_seconds = wait_seconds
        # One semaphore per loop: an asyncio primitive belongs to the loop that first
        # waited on it, and tests run one application in several loops, one after another.
        self._turns: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, asyncio.Semaphore]
        self._turns = weakref.WeakKeyDictionary()

    @asynccontextmanager
    async def turn(self) -> AsyncIterator[None]:
        loop = asyncio.get_running_loop()
        turns = self._turns.get(loop)
        if turns is None:
            turns = self._turns[loop] = asyncio.Semaphore(self.capacity)
        try:
            await asyncio.wait_for(turns.acquire(), self.wait_seconds)
        except TimeoutError:
            raise Busy() from None
        try:
            yield
        finally:
            turns.release()


__all__ = ["RETRY_AFTER_SECONDS", "WAIT_SECONDS", "Admission", "Busy"]
