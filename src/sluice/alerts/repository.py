"""Every query of the alerts, in one place. Only the bureau reads alerts (the service checks
the permission); the lists join the organization behind the subject for its name."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime
from typing import Any, NamedTuple, cast

from sqlalchemy import Select, func, select, update
from sqlalchemy.orm import Session

from sluice.alerts.models import Alert
from sluice.core.paging import ListQuery, Page, contains, paginate
from sluice.identity.models import ApiKey, Organization
from sluice.sandbox.models import Workspace


def existing(
    session: Session, rule: str, window_start: datetime, subjects: Sequence[tuple[str, uuid.UUID]]
) -> set[tuple[str, uuid.UUID]]:
    """Which of ``subjects`` already have an alert of ``rule`` for the window."""
    if not subjects:
        return set()
    rows = session.execute(
        select(Alert.subject_type, Alert.subject_id).where(
            Alert.rule == rule,
            Alert.window_start == window_start,
            Alert.subject_id.in_([subject_id for _, subject_id in subjects]),
        )
    ).all()
    return {(subject_type, subject_id) for subject_type, subject_id in rows}


class Subject(NamedTuple):
    """An alert's subject as lists show it, and whether it can still be contained."""

    label: str
    organization_id: uuid.UUID | None
    #: A revoked key, a closed workspace: nothing left to suspend.
    gone: bool
    suspended: bool


def key_subjects(session: Session, ids: Sequence[uuid.UUID]) -> dict[uuid.UUID, Subject]:
    """Each key's prefix and name, its organization, revoked, suspended."""
    if not ids:
        return {}
    rows = session.execute(
        select(
            ApiKey.id,
            ApiKey.prefix,
            ApiKey.name,
            ApiKey.organization_id,
            ApiKey.revoked_at,
            ApiKey.suspended_at,
        ).where(ApiKey.id.in_(list(ids)))
    ).all()
    return {
        r[0]: Subject(f"{r[1]}… {r[2]}", r[3], r[4] is not None, r[5] is not None) for r in rows
    }


def workspace_subjects(session: Session, ids: Sequence[uuid.UUID]) -> dict[uuid.UUID, Subject]:
    """Each workspace's scenario, its operator, closed, suspended."""
    if not ids:
        return {}
    rows = session.execute(
        select(
            Workspace.id,
            Workspace.scenario,
            Workspace.operator_id,
            Workspace.status,
            Workspace.suspended_at,
        ).where(Workspace.id.in_(list(ids)))
    ).all()
    return {r[0]: Subject(r[1], r[2], r[3] != "open", r[4] is not None) for r in rows}


def alert(session: Session, alert_id: uuid.UUID) -> Alert | None:
    return session.get(Alert, alert_id)


def alert_page(session: Session, query: ListQuery) -> Page[tuple[Alert, str | None]]:
    """Alerts, newest first, with the name of the organization behind each. Search: the
    subject's label, the organization. Filters ``status``, ``severity``, ``rule``,
    ``subject_type``, ``contained`` (``yes``: a containment in force)."""
    statement = cast(
        "Select[Any]",
        select(Alert, Organization.name).outerjoin(
            Organization, Organization.id == Alert.organization_id
        ),
    )
    for name in ("status", "severity", "rule", "subject_type"):
        if value := query.filter(name):
            statement = statement.where(getattr(Alert, name) == value)
    if query.filter("contained") == "yes":
        statement = statement.where(Alert.containment.is_not(None), Alert.lifted_at.is_(None))
    if query.q:
        statement = statement.where(contains(query.q, Alert.subject_label, Organization.name))
    return paginate(
        session,
        statement,
        query,
        sorts={
            "raised": Alert.raised_at,
            "severity": Alert.severity,
            "rule": Alert.rule,
            "status": Alert.status,
        },
        default="-raised",
        tiebreak=Alert.id,
        scalars=False,
    )


def open_counts(session: Session) -> dict[str, int]:
    """Open alerts by severity."""
    rows = session.execute(
        select(Alert.severity, func.count()).where(Alert.status == "open").group_by(Alert.severity)
    ).all()
    return {str(severity): int(count) for severity, count in rows}


def claim_delivery(session: Session, alert_id: uuid.UUID, attempts: int) -> bool:
    """Take an alert's next webhook delivery for this worker: True if no one else did."""
    result = session.execute(
        update(Alert)
        .where(
            Alert.id == alert_id,
            Alert.delivery.in_(("pending", "retrying")),
            Alert.delivery_attempts == attempts,
        )
        .values(delivery_attempts=attempts + 1)
    )
    return bool(getattr(result, "rowcount", 0))


def due_deliveries(session: Session, limit: int) -> list[tuple[uuid.UUID, int]]:
    rows = session.execute(
        select(Alert.id, Alert.delivery_attempts)
        .where(Alert.delivery.in_(("pending", "retrying")))
        .order_by(Alert.raised_at)
        .limit(limit)
    ).all()
    return [(alert_id, attempts) for alert_id, attempts in rows]
