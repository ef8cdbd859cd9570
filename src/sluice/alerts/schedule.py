"""Evaluating the rules on a schedule (the served application) and on demand (the CLI).

``run_once`` is one evaluation in its own transaction, then the webhook deliveries after it
committed. ``periodic`` runs it every ``alert_evaluate_seconds`` in a worker thread for as
long as the application lives (``web.app``'s lifespan); with several workers each runs it,
and the unique key of an alert (rule, subject, window) keeps them from raising it twice. A
failed run is logged and the next one comes as planned.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass

from sluice.alerts import service, webhook
from sluice.core.clock import Clock
from sluice.core.database import Database
from sluice.core.settings import Settings

log = logging.getLogger("sluice.alerts")


@dataclass(frozen=True)
class RunResult:
    raised: int
    critical: int
    contained: int
    delivered: int


def run_once(database: Database, *, settings: Settings, clock: Clock) -> RunResult:
    """Evaluate every rule now, commit, then deliver what waits for the webhook."""
    with database.unit_of_work() as session:
        evaluation = service.evaluate(session, settings=settings, at=clock.now())
        raised = len(evaluation.raised)
        critical = sum(a.severity == "critical" for a in evaluation.raised)
    delivered = webhook.deliver_pending(database, settings=settings, clock=clock)
    return RunResult(raised, critical, evaluation.contained, delivered)


async def periodic(database: Database, *, settings: Settings, clock: Clock) -> None:
    """Run ``run_once`` every ``alert_evaluate_seconds`` until cancelled (0: never)."""
    interval = settings.alert_evaluate_seconds
    if interval <= 0:
        return
    while True:
        await asyncio.sleep(interval)
        try:
            result = await asyncio.to_thread(run_once, database, settings=settings, clock=clock)
        except Exception:  # a failed run must not end the schedule
            log.exception("alert evaluation failed")
            continue
        if result.raised:
            log.warning(
                "alerts raised: %s (%s critical, %s contained)",
                result.raised,
                result.critical,
                result.contained,
            )
