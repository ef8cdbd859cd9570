"""The demo's past alerts, so the bureau's alert list, an alert page and a suspended key
have something to show. Cheaply: the findings are written as the rules would have made
them, through ``alerts.service.raise_findings``, which raises, audits and contains them as
an evaluation does.

* three days ago, 辽信征信's second key ``旧系统批量接口`` (not the key the credentials file
  gives it) asked about 486 distinct subjects in an hour: a critical ``enumeration``
  alert, and the key suspended by the monitoring, still in force;
* two days ago, 鲅鱼圈保险代理's calls were refused 62% of the time in an hour: a warning
  ``refusal_ratio``, acknowledged by the bureau;
* the night before last, 营口银行 made 34 calls off hours: ``off_hours``, info, dismissed as
  a batch run it had reported;
* a few hours ago, the 普惠金融 workspace had 23 queries refused in an hour:
  ``refused_queries``, open.

Idempotent: an alert exists once per rule, subject and window, and the second key is made
once.
"""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta
from typing import Any, Final

from sqlalchemy.orm import Session

from sluice.alerts import rules, service
from sluice.alerts.models import Alert
from sluice.core.clock import FixedClock
from sluice.core.database import Database
from sluice.core.settings import Settings
from sluice.demo.products import login
from sluice.identity import service as identity
from sluice.sandbox import workspaces

#: The key of 辽信征信 the alert suspends: made for the demo, never in the credentials file.
BATCH_KEY: Final = "旧系统批量接口"


def seed_alerts(database: Database, *, settings: Settings, now: datetime) -> int:
    """Raise the demo's past alerts (see the module docstring); returns how many are new."""
    with database.unit_of_work() as session:
        liaoxin = login(session, "buyer3")
        batch = next(
            (k for k in identity.own_api_keys(session, actor=liaoxin) if k.name == BATCH_KEY),
            None,
        )
        if batch is None:
            made_at = FixedClock(now - timedelta(days=20))
            batch, _ = identity.create_api_key(
                session, actor=liaoxin, clock=made_at, name=BATCH_KEY
            )
        operator = login(session, "operator")
        rows = workspaces.workspace_rows(session, actor=operator, at=now)
        finance = next((r.workspace.id for r in rows if r.workspace.scenario == "普惠金融"), None)
        past = [
            (3.0, "enumeration", rules.API_KEY, batch.id, 486.0, {"calls": 512}),
            (
                2.0,
                "refusal_ratio",
                rules.API_KEY,
                _first_key(session, "buyer2"),
                0.62,
                {"calls": 50, "refused": 31},
            ),
            (1.6, "off_hours", rules.API_KEY, _first_key(session, "buyer"), 34.0, {"events": 34}),
        ]
        if finance is not None:
            past.append(
                (
                    0.2,
                    "refused_queries",
                    rules.WORKSPACE,
                    finance,
                    23.0,
                    {"refused": 23, "codes": 3},
                )
            )
        made: list[Alert] = []
        for days, rule, subject_type, subject, observed, detail in past:
            if subject is None:
                continue
            made += _raise(
                session,
                settings,
                now - timedelta(days=days),
                rule,
                subject_type,
                subject,
                observed,
                detail,
            )
        bureau = login(session, "bureau")
        for alert in made:
            if alert.rule == "refusal_ratio":
                service.acknowledge(
                    session,
                    actor=bureau,
                    at=alert.raised_at + timedelta(hours=2),
                    alert_id=alert.id,
                    reason="已电话联系需求方，核查其同意书上传流程",
                )
            elif alert.rule == "off_hours":
                service.dismiss(
                    session,
                    actor=bureau,
                    at=alert.raised_at + timedelta(hours=9),
                    alert_id=alert.id,
                    reason="夜间批处理，已事先报备",
                )
        return len(made)


def _raise(
    session: Session,
    settings: Settings,
    at: datetime,
    rule: str,
    subject_type: str,
    subject: uuid.UUID,
    observed: float,
    detail: dict[str, Any],
) -> list[Alert]:
    configured = settings.alert_rules[rule]
    window = rules.window_at(at, configured["window_minutes"])
    finding = rules.Finding(rule, subject_type, subject, observed, configured["threshold"], detail)
    return service.raise_findings(
        session, settings=settings, window=window, findings=[finding], at=window.end
    )


def _first_key(session: Session, username: str) -> uuid.UUID | None:
    """The buyer's first live key (the one the credentials file gives it), if it has one."""
    actor = login(session, username)
    live = [
        k
        for k in identity.own_api_keys(session, actor=actor)
        if k.name != BATCH_KEY and k.revoked_at is None
    ]
    return min(live, key=lambda k: k.created_at).id if live else None
