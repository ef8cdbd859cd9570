"""Signing the audit log's tree head on a schedule (the served application).

``periodic`` runs ``heads.run_scheduled`` every ``audit_tree_head_seconds`` in a worker
thread for as long as the application lives (``web.app``'s lifespan): it sequences the
whole log (stragglers included) and signs a head when the tree grew. With several workers
each runs it; the sequencer's lock and the unique tree size of a head keep them in step. A
failed run is logged and the next one comes as planned.
"""

from __future__ import annotations

import asyncio
import logging

from sluice.core.clock import Clock
from sluice.core.database import Database
from sluice.core.settings import Settings
from sluice.transparency import heads

log = logging.getLogger("sluice.transparency")


async def periodic(database: Database, *, settings: Settings, clock: Clock) -> None:
    """Run ``heads.run_scheduled`` every ``audit_tree_head_seconds`` until cancelled."""
    interval = settings.audit_tree_head_seconds
    if interval <= 0:
        return
    while True:
        await asyncio.sleep(interval)
        try:
            await asyncio.to_thread(heads.run_scheduled, database, settings=settings, clock=clock)
        except Exception:  # a failed run must not end the schedule
            log.exception("signing the audit tree head failed")
