"""The demo's past alerts (``demo/alerts.py``), on the session's demo city (SQLite): four
alerts, the critical one's key suspended by the monitoring, and that key is not the one the
credentials file gives the buyer, whose key still answers."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime, timedelta

from sqlalchemy import select

from sluice.alerts.models import Alert
from sluice.core.database import Database
from sluice.core.ids import sm3_hex
from sluice.demo.alerts import BATCH_KEY
from sluice.identity.models import ApiKey
from tests.demo_city import DemoCity


def test_the_demo_has_past_alerts_and_one_key_suspended_that_buyers_are_not_given(
    demo_sqlite: DemoCity,
) -> None:
    database = Database(demo_sqlite.url)
    try:
        with database.unit_of_work() as session:
            # The demo's incident brings its own, older alert (``demo/incidents.py``).
            since = datetime.now(UTC) - timedelta(days=5)
            alerts = session.scalars(select(Alert).where(Alert.raised_at >= since)).all()
            suspended = session.scalars(
                select(ApiKey).where(ApiKey.suspended_at.is_not(None))
            ).all()
    finally:
        database.dispose()
    assert Counter((a.rule, a.severity, a.status) for a in alerts) == Counter(
        {
            ("enumeration", "critical", "open"): 1,
            ("refusal_ratio", "warning", "acknowledged"): 1,
            ("off_hours", "info", "dismissed"): 1,
            ("refused_queries", "warning", "open"): 1,
        }
    )
    [critical] = [a for a in alerts if a.severity == "critical"]
    assert [(k.id, k.name) for k in suspended] == [(critical.subject_id, BATCH_KEY)]
    assert critical.containment == "key_suspended" and critical.lifted_at is None
    given = {sm3_hex(b["api_key"]) for b in demo_sqlite.credentials["buyers"]}
    assert suspended[0].key_hash not in given
