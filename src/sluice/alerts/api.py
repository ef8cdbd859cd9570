"""The alerts' REST API, for the bureau: list and read alerts, acknowledge or dismiss one
with a reason, and lift the containment a critical one took."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Depends

from sluice.alerts import service
from sluice.alerts.schemas import AlertPage, AlertRead, AlertReason
from sluice.core.paging import ListQuery
from sluice.core.permissions import Permission as P
from sluice.core.principal import Principal
from sluice.web.deps import AppClock, DbSession, Requires
from sluice.web.listing import ListSpec

router = APIRouter(prefix="/api/v1/alerts", tags=["alerts"])

AlertReader = Annotated[Principal, Depends(Requires(P.ALERTS_READ))]
AlertHandler = Annotated[Principal, Depends(Requires(P.ALERTS_HANDLE))]
ALERTS = ListSpec(
    sorts=("raised", "severity", "rule", "status"),
    filters=("status", "severity", "rule", "subject_type", "contained"),
    default_sort="-raised",
)


@router.get("")
def list_alerts(
    actor: AlertReader, session: DbSession, listing: Annotated[ListQuery, Depends(ALERTS)]
) -> AlertPage:
    """Alerts, newest first. Filters ``status``, ``severity``, ``rule``, ``subject_type``,
    ``contained`` (``yes``: a containment in force); ``q`` searches the subject and its
    organization; ``page`` and ``size`` page."""
    page = service.alert_page(session, actor=actor, query=listing)
    return AlertPage(
        total=page.total, items=[AlertRead.model_validate(alert) for alert, _ in page.items]
    )


@router.get("/{alert_id}")
def read_alert(alert_id: uuid.UUID, actor: AlertReader, session: DbSession) -> AlertRead:
    return AlertRead.model_validate(service.get_alert(session, actor=actor, alert_id=alert_id))


@router.post("/{alert_id}/acknowledge")
def acknowledge(
    alert_id: uuid.UUID, body: AlertReason, actor: AlertHandler, session: DbSession, clock: AppClock
) -> AlertRead:
    """The bureau has seen the alert (``open`` → ``acknowledged``), saying what it does."""
    found = service.acknowledge(
        session, actor=actor, at=clock.now(), alert_id=alert_id, reason=body.reason
    )
    return AlertRead.model_validate(found)


@router.post("/{alert_id}/dismiss")
def dismiss(
    alert_id: uuid.UUID, body: AlertReason, actor: AlertHandler, session: DbSession, clock: AppClock
) -> AlertRead:
    """A false alarm, saying why; a containment stays until it is lifted."""
    found = service.dismiss(
        session, actor=actor, at=clock.now(), alert_id=alert_id, reason=body.reason
    )
    return AlertRead.model_validate(found)


@router.post("/{alert_id}/lift")
def lift(
    alert_id: uuid.UUID, body: AlertReason, actor: AlertHandler, session: DbSession, clock: AppClock
) -> AlertRead:
    """Lift the alert's containment (resume the key or the workspace), saying why."""
    found = service.lift(
        session, actor=actor, at=clock.now(), alert_id=alert_id, reason=body.reason
    )
    return AlertRead.model_validate(found)
