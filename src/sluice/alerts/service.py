"""Alerts: evaluating the rules, containing critical ones, and the bureau's handling.
Keyword-only, no HTTP, no commit (the webhook is sent after commit, by ``webhook``).

``evaluate`` runs every enabled rule over the window before now's and now's own, raises one
alert per rule, subject and window (the unique key; a second run, or a second worker, raises
nothing new), and contains each critical one at once as the platform's monitoring: a key is
suspended (``gateway.service.suspend_key``: its calls are refused with ``key_suspended``), a
workspace is suspended (``sandbox.workspaces.suspend``: its queries and exports are refused
with ``workspace_suspended``). Only the bureau lifts a containment, from the alert, with a
reason (``lift``).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Final

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from sluice.alerts import repository, rules
from sluice.alerts.models import Alert
from sluice.alerts.states import ALERT, ESCALATED, OPEN
from sluice.audit import service as audit
from sluice.audit.models import AuditEvent
from sluice.audit.repository import events_of
from sluice.core.errors import Conflict, InvalidInput, NotFound
from sluice.core.i18n import add_messages
from sluice.core.paging import ListQuery, Page
from sluice.core.permissions import Permission
from sluice.core.principal import Principal
from sluice.core.settings import Settings
from sluice.gateway import service as gateway
from sluice.identity import service as identity
from sluice.sandbox import workspaces

#: Who raises alerts and contains their subjects: the platform's monitoring.
MONITOR: Final = Principal.system("monitoring")
SEVERITIES: Final = ("info", "warning", "critical")
KEY_SUSPENDED: Final = "key_suspended"
WORKSPACE_SUSPENDED: Final = "workspace_suspended"
REASON_MIN: Final = 2
REASON_MAX: Final = 500

RAISED: Final = "alert.raised"
LIFTED: Final = "alert.containment_lifted"

audit.declare_actions(
    {
        RAISED: ("产生安全告警", "Security alert raised"),
        LIFTED: ("解除告警的自动处置", "Alert's containment lifted"),
    }
)
audit.declare_detail_labels(
    {
        "alert_rule": ("告警规则", "Alert rule"),
        "severity": ("严重程度", "Severity"),
        "observed": ("观测值", "Observed"),
        "threshold": ("阈值", "Threshold"),
        "containment": ("自动处置", "Containment"),
        "incident": ("安全事件", "Incident"),
    }
)
add_messages(
    {
        "alerts.not_found": ("告警不存在。", "There is no such alert."),
        "alerts.reason_required": (
            "请写明理由（2 至 500 个字）。",
            "Give the reason (2 to 500 characters).",
        ),
        "alerts.nothing_to_lift": (
            "该告警没有生效中的自动处置可解除。",
            "This alert has no containment in force to lift.",
        ),
        "alerts.containment_reason": (
            "安全告警自动处置：{rule}（观测值 {observed}，阈值 {threshold}）",
            "Automatic containment of a security alert: {rule} (observed {observed}, "
            "threshold {threshold})",
        ),
        "alerts.severity.info": ("提示", "Info"),
        "alerts.severity.warning": ("警告", "Warning"),
        "alerts.severity.critical": ("严重", "Critical"),
        "alerts.subject.api_key": ("API 密钥", "API key"),
        "alerts.subject.workspace": ("沙箱工作区", "Sandbox workspace"),
        "alerts.containment.key_suspended": ("已暂停 API 密钥", "API key suspended"),
        "alerts.containment.workspace_suspended": (
            "已暂停沙箱工作区",
            "Sandbox workspace suspended",
        ),
        "alerts.rule.rate_spike": ("调用量突增", "Rate spike"),
        "alerts.rule.enumeration": ("遍历查询多个主体", "Enumeration of subjects"),
        "alerts.rule.refusal_ratio": ("拒绝比例过高", "High refusal ratio"),
        "alerts.rule.off_hours": ("非工作时间使用", "Off-hours use"),
        "alerts.rule.new_address": ("新的客户端地址", "New client address"),
        "alerts.rule.export_volume": ("导出量过大", "Export volume"),
        "alerts.rule.refused_queries": ("沙箱查询屡被拒绝", "Refused sandbox queries"),
    }
)
audit.declare_target_types({"alert": ("安全告警", "Security alert")})

# Rule names in English for the containment reason (stored text, read by the buyer).
_RULE_NAMES: Final = {
    "rate_spike": "rate spike / 调用量突增",
    "enumeration": "enumeration / 遍历查询",
    "refusal_ratio": "refusal ratio / 拒绝比例",
    "off_hours": "off-hours use / 非工作时间",
    "new_address": "new client address / 新地址",
    "export_volume": "export volume / 导出量",
    "refused_queries": "refused queries / 查询被拒",
}


_UNKNOWN: Final = repository.Subject("—", None, gone=True, suspended=False)


def _reason(text: str) -> str:
    cleaned = " ".join(text.split())
    if not REASON_MIN <= len(cleaned) <= REASON_MAX:
        raise InvalidInput("alerts.reason_required")
    return cleaned


def _number(value: float) -> str:
    return f"{value:g}"


# -- evaluation -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Evaluation:
    """What one run did: the alerts it raised and how many of them contained their subject."""

    raised: list[Alert]
    contained: int


def evaluate(session: Session, *, settings: Settings, at: datetime) -> Evaluation:
    """Run every enabled rule over the previous and the current window at ``at``; raise the
    alerts not raised yet and contain the critical ones (see the module docstring)."""
    raised: list[Alert] = []
    for name, function in rules.RULES.items():
        rule = settings.alert_rules[name]
        if not rule["enabled"]:
            continue
        for window in rules.windows_to_evaluate(at, rule["window_minutes"]):
            findings = function(session, rule, window, settings)
            raised += _raise(session, settings, rule, window, findings, at)
    contained = sum(_contain(session, alert, at) for alert in raised)
    return Evaluation(raised, contained)


def raise_findings(
    session: Session,
    *,
    settings: Settings,
    window: rules.Window,
    findings: list[rules.Finding],
    at: datetime,
) -> list[Alert]:
    """Raise alerts for findings made elsewhere (the demo's past, an import), as ``evaluate``
    raises its own: one per rule, subject and window, audited, critical ones contained."""
    raised: list[Alert] = []
    for name in rules.RULES:
        mine = [f for f in findings if f.rule == name]
        raised += _raise(session, settings, settings.alert_rules[name], window, mine, at)
    for alert in raised:
        _contain(session, alert, at)
    return raised


def _raise(
    session: Session,
    settings: Settings,
    rule: dict[str, Any],
    window: rules.Window,
    findings: list[rules.Finding],
    at: datetime,
) -> list[Alert]:
    if not findings:
        return []
    name = findings[0].rule
    seen = repository.existing(
        session, name, window.start, [(f.subject_type, f.subject_id) for f in findings]
    )
    fresh = [f for f in findings if (f.subject_type, f.subject_id) not in seen]
    keys = repository.key_subjects(
        session, [f.subject_id for f in fresh if f.subject_type == rules.API_KEY]
    )
    spaces = repository.workspace_subjects(
        session, [f.subject_id for f in fresh if f.subject_type == rules.WORKSPACE]
    )
    raised = []
    for finding in fresh:
        subjects = keys if finding.subject_type == rules.API_KEY else spaces
        subject = subjects.get(finding.subject_id, _UNKNOWN)
        label, organization_id = subject.label, subject.organization_id
        alert = Alert(
            id=uuid.uuid4(),
            rule=name,
            severity=rule["severity"],
            subject_type=finding.subject_type,
            subject_id=finding.subject_id,
            subject_label=label[:200],
            organization_id=organization_id,
            window_start=window.start,
            window_end=window.end,
            observed=finding.observed,
            threshold=finding.threshold,
            detail=finding.detail,
            status=OPEN,
            raised_at=at,
            delivery="pending" if settings.alert_webhook_url else None,
            delivery_attempts=0,
        )
        try:
            with session.begin_nested():
                session.add(alert)
        except IntegrityError:
            continue  # another worker raised it a moment ago
        audit.record(
            session,
            actor=MONITOR,
            action=RAISED,
            target_type="alert",
            target_id=alert.id,
            at=at,
            detail={
                "alert_rule": name,
                "severity": alert.severity,
                "observed": finding.observed,
                "threshold": finding.threshold,
                "subject": label,
            },
        )
        raised.append(alert)
    return raised


def _contain(session: Session, alert: Alert, at: datetime) -> bool:
    """Suspend a critical alert's key or workspace; False if there is nothing to suspend
    (not critical, a revoked key, a closed workspace, or already suspended)."""
    if alert.severity != "critical":
        return False
    reason = (
        f"{_RULE_NAMES[alert.rule]} {_number(alert.observed)} ≥ {_number(alert.threshold)}"
        f" (alert {str(alert.id)[:8]})"
    )
    if alert.subject_type == rules.API_KEY:
        key = repository.key_subjects(session, [alert.subject_id]).get(alert.subject_id)
        if key is None or key.gone or key.suspended:
            return False
        gateway.suspend_key(session, key_id=alert.subject_id, reason=reason, actor=MONITOR, at=at)
        alert.containment = KEY_SUSPENDED
    else:
        space = repository.workspace_subjects(session, [alert.subject_id]).get(alert.subject_id)
        if space is None or space.gone or space.suspended:
            return False
        workspaces.suspend(
            session, actor=MONITOR, workspace_id=alert.subject_id, reason=reason, at=at
        )
        alert.containment = WORKSPACE_SUSPENDED
    alert.contained_at = at
    return True


# -- reading --------------------------------------------------------------------------------


def alert_page(
    session: Session, *, actor: Principal, query: ListQuery
) -> Page[tuple[Alert, str | None]]:
    """Alerts for the bureau, newest first (see ``repository.alert_page`` for filters)."""
    actor.require(Permission.ALERTS_READ)
    return repository.alert_page(session, query)


def get_alert(session: Session, *, actor: Principal, alert_id: uuid.UUID) -> Alert:
    """One alert, for the bureau (and the incidents built on it); ``not_found`` otherwise."""
    if not actor.has(Permission.ALERTS_READ):
        raise NotFound("alerts.not_found")
    found = repository.alert(session, alert_id)
    if found is None:
        raise NotFound("alerts.not_found")
    return found


def open_counts(session: Session, *, actor: Principal) -> dict[str, int]:
    actor.require(Permission.ALERTS_READ)
    return repository.open_counts(session)


_CONTAINMENT_ACTIONS: Final = frozenset(
    {
        "identity.api_key.suspended",
        "identity.api_key.resumed",
        workspaces.SUSPENDED,
        workspaces.RESUMED,
    }
)


def history(session: Session, *, actor: Principal, alert_id: uuid.UUID) -> list[AuditEvent]:
    """The alert's events and its subject's suspensions and resumptions since it was raised,
    oldest first."""
    found = get_alert(session, actor=actor, alert_id=alert_id)
    own = events_of(session, target_type="alert", target_id=str(found.id))
    subject = [
        e
        for e in events_of(session, target_type=found.subject_type, target_id=str(found.subject_id))
        if e.action in _CONTAINMENT_ACTIONS and e.occurred_at >= found.raised_at
    ]
    return sorted([*own, *subject], key=lambda e: (e.occurred_at, e.id))


def containment_in_force(alert: Alert) -> bool:
    return alert.containment is not None and alert.lifted_at is None


# -- the bureau's handling ------------------------------------------------------------------


def acknowledge(
    session: Session, *, actor: Principal, at: datetime, alert_id: uuid.UUID, reason: str
) -> Alert:
    """The bureau has seen the alert and is on it."""
    return _handle(session, actor, at, alert_id, "acknowledge", reason)


def dismiss(
    session: Session, *, actor: Principal, at: datetime, alert_id: uuid.UUID, reason: str
) -> Alert:
    """The bureau judges the alert a false alarm, saying why. A containment it took stays
    until it is lifted (``lift``)."""
    return _handle(session, actor, at, alert_id, "dismiss", reason)


def _handle(
    session: Session,
    actor: Principal,
    at: datetime,
    alert_id: uuid.UUID,
    transition: str,
    reason: str,
) -> Alert:
    found = get_alert(session, actor=actor, alert_id=alert_id)
    text = _reason(reason)
    ALERT.fire(found, transition, session=session, actor=actor, at=at, detail={"reason": text})
    found.handled_by = actor.username
    found.handled_at = at
    found.handled_reason = text
    return found


def lift(
    session: Session, *, actor: Principal, at: datetime, alert_id: uuid.UUID, reason: str
) -> Alert:
    """The bureau lifts the alert's containment, saying why: the key or workspace is resumed
    (audited by its module) and the alert records who lifted it. Only the bureau may."""
    found = get_alert(session, actor=actor, alert_id=alert_id)
    actor.require(Permission.ALERTS_HANDLE)
    text = _reason(reason)
    if not containment_in_force(found):
        raise Conflict("alerts.nothing_to_lift")
    if found.containment == KEY_SUSPENDED:
        identity.resume_api_key(session, actor=actor, key_id=found.subject_id, reason=text, at=at)
    else:
        workspaces.resume(session, actor=actor, workspace_id=found.subject_id, reason=text, at=at)
    found.lifted_by = actor.username
    found.lifted_at = at
    found.lift_reason = text
    audit.record(
        session,
        actor=actor,
        action=LIFTED,
        target_type="alert",
        target_id=found.id,
        at=at,
        detail={"containment": found.containment, "reason": text},
    )
    return found


def mark_escalated(
    session: Session,
    *,
    actor: Principal,
    at: datetime,
    alert_id: uuid.UUID,
    incident_id: uuid.UUID,
) -> Alert:
    """An incident was opened from the alert (``incidents`` calls this in the same
    transaction): the alert is ``escalated`` and names the incident. An alert already
    escalated to the same incident is left as it is."""
    found = get_alert(session, actor=actor, alert_id=alert_id)
    if found.status == ESCALATED and found.incident_id == incident_id:
        return found
    ALERT.fire(
        found,
        "escalate",
        session=session,
        actor=actor,
        at=at,
        detail={"incident": str(incident_id)},
    )
    found.incident_id = incident_id
    found.handled_by = actor.username
    found.handled_at = at
    return found
