"""The monitoring rules: each reads the platform's own records over one window with a few
set-based statements (GROUP BY over the window, never a statement per row) and returns what
crossed its threshold.

| rule | subject | what it counts in the window |
|---|---|---|
| ``rate_spike`` | API key, workspace | calls (queries) against the mean of the previous
  ``baseline_windows`` windows |
| ``enumeration`` | API key | distinct subjects its calls named |
| ``refusal_ratio`` | API key | refused calls / all calls (at least ``min_events``) |
| ``off_hours`` | API key, workspace | calls (queries) outside working hours or on rest days |
| ``new_address`` | API key | audited actions from a client address the key did not use in
  the previous ``baseline_windows`` windows |
| ``export_volume`` | workspace | export requests |
| ``refused_queries`` | workspace | refused sandbox queries |

The stream is what is already kept: ``gateway_calls``, ``consent_uses`` (the subject a call
named, with the call's id), ``sandbox_queries``, ``sandbox_exports`` and ``audit_events``;
the enumeration rule joins a key's calls to their subjects by that id.

Windows are aligned to Beijing time (an hour window starts on the hour, a day window at
midnight), so two evaluations in the same window see the same one.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, time, timedelta
from typing import Any, Final
from zoneinfo import ZoneInfo

from sqlalchemy import ColumnElement, and_, case, distinct, false, func, or_, select
from sqlalchemy.orm import Session

from sluice.audit.models import AuditEvent
from sluice.consent.models import ConsentUse
from sluice.core.settings import Settings
from sluice.core.workdays import is_working_day
from sluice.gateway.models import Call
from sluice.sandbox.export_models import ExportRequest
from sluice.sandbox.models import WorkspaceQuery

BEIJING: Final = ZoneInfo("Asia/Shanghai")
BEIJING_OFFSET_SECONDS: Final = 8 * 3600
API_KEY: Final = "api_key"
WORKSPACE: Final = "workspace"
ANSWERED: Final = "answered"
QUERY_OK: Final = "ok"


@dataclass(frozen=True)
class Window:
    """[start, end): the window a rule looks at."""

    start: datetime
    end: datetime


def window_at(at: datetime, minutes: int) -> Window:
    """The window of ``minutes`` that holds ``at``, aligned to Beijing time's midnight."""
    step = minutes * 60
    offset = BEIJING_OFFSET_SECONDS  # Beijing keeps no summer time
    local_seconds = int(at.timestamp()) + offset
    start = datetime.fromtimestamp(local_seconds - local_seconds % step - offset, UTC)
    return Window(start, start + timedelta(seconds=step))


def windows_to_evaluate(at: datetime, minutes: int) -> tuple[Window, Window]:
    """The window before ``at``'s (now complete) and ``at``'s own (so far)."""
    current = window_at(at, minutes)
    return Window(current.start - (current.end - current.start), current.start), current


@dataclass(frozen=True)
class Finding:
    """A subject that crossed a rule's threshold in a window."""

    rule: str
    subject_type: str
    subject_id: uuid.UUID
    observed: float
    threshold: float
    detail: dict[str, Any] = field(default_factory=dict)


RuleFunction = Callable[[Session, dict[str, Any], Window, Settings], list[Finding]]


# -- API keys (gateway calls) ---------------------------------------------------------------


def _in(column: Any, window: Window) -> ColumnElement[bool]:
    return and_(column >= window.start, column < window.end)


def enumeration(
    session: Session, rule: dict[str, Any], window: Window, settings: Settings
) -> list[Finding]:
    """Distinct subjects named by one key's calls, answered or refused. The window's calls
    and the window's use records are each read once (materialized), then matched by the
    call's id: the database indexes the smaller side for the join itself (SQLite an
    automatic index, PostgreSQL a hash join), so no call looks up the use records one by
    one."""
    threshold = rule["threshold"]
    calls = (
        select(Call.id, Call.api_key_id, Call.buyer_id, Call.product_id, Call.kind, Call.at)
        .where(_in(Call.at, window))
        .cte("window_calls")
        .prefix_with("MATERIALIZED")
    )
    uses = (
        select(ConsentUse.call_id, ConsentUse.subject_token)
        .where(_in(ConsentUse.used_at, window))
        .cte("window_uses")
        .prefix_with("MATERIALIZED")
    )
    subjects = func.count(distinct(uses.c.subject_token))
    rows = session.execute(
        select(calls.c.api_key_id, subjects, func.count(distinct(calls.c.id)))
        .select_from(calls)
        .join(uses, uses.c.call_id == calls.c.id)
        .group_by(calls.c.api_key_id)
        .having(subjects >= threshold)
    ).all()
    return [
        Finding("enumeration", API_KEY, key, float(n), threshold, {"calls": calls_made})
        for key, n, calls_made in rows
    ]


def _rate_spike(
    session: Session,
    rule: dict[str, Any],
    window: Window,
    subject_type: str,
    subject: Any,
    at: Any,
) -> list[Finding]:
    """Events in the window against the mean of the ``baseline_windows`` before it. A
    subject with no history has a baseline of one event per window."""
    windows = rule["baseline_windows"]
    current: dict[uuid.UUID, int] = dict(
        session.execute(
            select(subject, func.count())
            .where(_in(at, window))
            .group_by(subject)
            .having(func.count() >= rule["min_events"])
        ).all()
    )
    if not current:
        return []
    span = window.end - window.start
    before = Window(window.start - span * windows, window.start)
    baseline: dict[uuid.UUID, int] = dict(
        session.execute(
            select(subject, func.count())
            .where(_in(at, before), subject.in_(list(current)))
            .group_by(subject)
        ).all()
    )
    found = []
    for key, count in current.items():
        mean = baseline.get(key, 0) / windows
        ratio = count / max(mean, 1.0)
        if ratio >= rule["threshold"]:
            detail = {"events": count, "baseline_mean": round(mean, 2), "baseline_windows": windows}
            found.append(
                Finding("rate_spike", subject_type, key, round(ratio, 2), rule["threshold"], detail)
            )
    return found


def rate_spike(
    session: Session, rule: dict[str, Any], window: Window, settings: Settings
) -> list[Finding]:
    return _rate_spike(session, rule, window, API_KEY, Call.api_key_id, Call.at) + _rate_spike(
        session, rule, window, WORKSPACE, WorkspaceQuery.workspace_id, WorkspaceQuery.submitted_at
    )


def refusal_ratio(
    session: Session, rule: dict[str, Any], window: Window, settings: Settings
) -> list[Finding]:
    """The share of a key's calls that were refused, once it made ``min_events``."""
    refused = func.sum(case((Call.outcome != ANSWERED, 1), else_=0))
    rows = session.execute(
        select(Call.api_key_id, func.count(), refused)
        .where(_in(Call.at, window))
        .group_by(Call.api_key_id)
        .having(func.count() >= rule["min_events"])
    ).all()
    found = []
    for key, calls, refusals in rows:
        ratio = int(refusals or 0) / calls
        if ratio >= rule["threshold"]:
            detail = {"calls": calls, "refused": int(refusals or 0)}
            found.append(
                Finding("refusal_ratio", API_KEY, key, round(ratio, 3), rule["threshold"], detail)
            )
    return found


def off_hours_spans(window: Window, hours: tuple[int, int]) -> list[Window]:
    """The parts of ``window`` outside working hours (Beijing time) or on rest days of the
    Chinese statutory calendar."""
    spans: list[Window] = []
    day = window.start.astimezone(BEIJING).date()
    last = (window.end - timedelta(microseconds=1)).astimezone(BEIJING).date()
    while day <= last:
        midnight = datetime.combine(day, time(0), BEIJING)
        following = midnight + timedelta(days=1)
        if is_working_day(day):
            parts = [
                (midnight, midnight + timedelta(hours=hours[0])),
                (midnight + timedelta(hours=hours[1]), following),
            ]
        else:
            parts = [(midnight, following)]
        for start, end in parts:
            start, end = max(start, window.start), min(end, window.end)
            if start < end:
                spans.append(Window(start.astimezone(UTC), end.astimezone(UTC)))
        day += timedelta(days=1)
    return spans


def _off_hours(
    session: Session,
    rule: dict[str, Any],
    spans: Sequence[Window],
    subject_type: str,
    subject: Any,
    at: Any,
) -> list[Finding]:
    rows = session.execute(
        select(subject, func.count())
        .where(or_(false(), *(_in(at, span) for span in spans)))
        .group_by(subject)
        .having(func.count() >= rule["threshold"])
    ).all()
    return [
        Finding("off_hours", subject_type, key, float(n), rule["threshold"], {"events": n})
        for key, n in rows
    ]


def off_hours(
    session: Session, rule: dict[str, Any], window: Window, settings: Settings
) -> list[Finding]:
    """Calls (queries) made outside working hours, once they reach the threshold."""
    spans = off_hours_spans(window, settings.alert_working_hours)
    if not spans:
        return []
    return _off_hours(session, rule, spans, API_KEY, Call.api_key_id, Call.at) + _off_hours(
        session, rule, spans, WORKSPACE, WorkspaceQuery.workspace_id, WorkspaceQuery.submitted_at
    )


def new_address(
    session: Session, rule: dict[str, Any], window: Window, settings: Settings
) -> list[Finding]:
    """Client addresses a key acted from in the window (its audited actions) that it did not
    use in the ``baseline_windows`` windows before; a key with no earlier address at all is
    new, not moved, and is left out."""
    address, key = AuditEvent.client_address, AuditEvent.actor_api_key_id
    span = window.end - window.start
    before = Window(window.start - span * rule["baseline_windows"], window.start)
    seen = (
        select(key.label("key"), address.label("address"))
        .where(key.is_not(None), address.is_not(None), _in(AuditEvent.occurred_at, before))
        .distinct()
        .subquery()
    )
    known = select(seen.c.key).distinct().subquery()
    fresh = func.count(distinct(address))
    rows = session.execute(
        select(key, fresh, func.min(address))
        .select_from(AuditEvent)
        .join(known, known.c.key == key)
        .outerjoin(seen, and_(seen.c.key == key, seen.c.address == address))
        .where(
            key.is_not(None),
            address.is_not(None),
            _in(AuditEvent.occurred_at, window),
            seen.c.key.is_(None),
        )
        .group_by(key)
        .having(fresh >= rule["threshold"])
    ).all()
    return [
        Finding("new_address", API_KEY, k, float(n), rule["threshold"], {"address": first})
        for k, n, first in rows
        if k is not None
    ]


# -- workspaces (sandbox queries and exports) -----------------------------------------------


def export_volume(
    session: Session, rule: dict[str, Any], window: Window, settings: Settings
) -> list[Finding]:
    """Export requests from one workspace, whatever became of them, with their rows."""
    rows = session.execute(
        select(ExportRequest.workspace_id, func.count(), func.sum(ExportRequest.rows))
        .where(_in(ExportRequest.requested_at, window))
        .group_by(ExportRequest.workspace_id)
        .having(func.count() >= rule["threshold"])
    ).all()
    return [
        Finding(
            "export_volume",
            WORKSPACE,
            workspace,
            float(n),
            rule["threshold"],
            {"exports": n, "rows": int(total or 0)},
        )
        for workspace, n, total in rows
    ]


def refused_queries(
    session: Session, rule: dict[str, Any], window: Window, settings: Settings
) -> list[Finding]:
    """Sandbox queries the guard refused in one workspace."""
    rows = session.execute(
        select(
            WorkspaceQuery.workspace_id, func.count(), func.count(distinct(WorkspaceQuery.outcome))
        )
        .where(_in(WorkspaceQuery.submitted_at, window), WorkspaceQuery.outcome != QUERY_OK)
        .group_by(WorkspaceQuery.workspace_id)
        .having(func.count() >= rule["threshold"])
    ).all()
    return [
        Finding(
            "refused_queries",
            WORKSPACE,
            workspace,
            float(n),
            rule["threshold"],
            {"refused": n, "codes": codes},
        )
        for workspace, n, codes in rows
    ]


#: Every rule by its code, in the order they are evaluated (and listed).
RULES: Final[dict[str, RuleFunction]] = {
    "enumeration": enumeration,
    "rate_spike": rate_spike,
    "refusal_ratio": refusal_ratio,
    "off_hours": off_hours,
    "new_address": new_address,
    "export_volume": export_volume,
    "refused_queries": refused_queries,
}
