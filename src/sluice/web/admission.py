"""How many requests one server process serves at once: as many as its pool has
connections (``Settings.database_pool_size``); the others wait their turn in the event
loop, holding neither a connection nor a thread.

Without this bound, a burst of requests larger than the thread pool locked the process
for the pool's 30-second timeout, then failed with 500: a request holds its session's
connection from its first statement until its commit, across several hops between the
event loop and worker threads. With every worker thread taken by new requests waiting
for a connection, and every connection held by requests waiting for a worker thread,
nothing moved. A request admitted here always finds a connection free, so every thread
it waits for is one that will finish.
"""

from __future__ import annotations

import asyncio
import weakref
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager


class Admission:
    """At most ``capacity`` requests at once in each event loop of the process."""

    def __init__(self, capacity: int) -> None:
        if capacity < 1:
            raise ValueError("capacity must be at least 1")
        self.capacity = capacity
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
        async with turns:
            yield


__all__ = ["Admission"]
