"""Queries of the emergency plans, drills and incidents, scoped to who is asking.

Who sees what is decided here once: the bureau (and the platform itself) everything; an
operator its own plans, drills and incidents; anyone else nothing (a 404).
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Final, cast

from sqlalchemy import ColumnElement, Select, false, func, select, true
from sqlalchemy.orm import InstrumentedAttribute, Session, aliased

from sluice.alerts.models import Alert
from sluice.core.paging import Column, ListQuery, Page, contains, paginate
from sluice.core.permissions import OrgKind
from sluice.core.principal import Principal
from sluice.identity.models import Organization
from sluice.incidents.models import (
    EmergencyDrill,
    EmergencyPlan,
    IncidentAlert,
    IncidentStep,
    SecurityIncident,
)


def sees_all(actor: Principal) -> bool:
    return actor.is_system or actor.organization_kind == OrgKind.BUREAU


def _own(actor: Principal, column: InstrumentedAttribute[Any]) -> ColumnElement[bool]:
    if sees_all(actor):
        return true()
    if actor.organization_kind == OrgKind.OPERATOR and actor.organization_id is not None:
        return column == actor.organization_id
    return false()


def plan_for(session: Session, actor: Principal, plan_id: uuid.UUID) -> EmergencyPlan | None:
    return session.scalar(
        select(EmergencyPlan).where(
            EmergencyPlan.id == plan_id, _own(actor, EmergencyPlan.owner_id)
        )
    )


def latest_plan(session: Session, owner_id: uuid.UUID) -> EmergencyPlan | None:
    query = select(EmergencyPlan).where(EmergencyPlan.owner_id == owner_id)
    return session.scalar(query.order_by(EmergencyPlan.version.desc()).limit(1))


def plan_versions(session: Session, owner_id: uuid.UUID) -> list[EmergencyPlan]:
    query = select(EmergencyPlan).where(EmergencyPlan.owner_id == owner_id)
    return list(session.scalars(query.order_by(EmergencyPlan.version.desc())))


@dataclass(frozen=True)
class PlanRow:
    plan: EmergencyPlan
    owner: str
    owner_kind: str
    drills: int


PLAN_SORTS: Final[Mapping[str, Column]] = {
    "filed": EmergencyPlan.filed_at,
    "owner": Organization.name,
    "approved": EmergencyPlan.approved_on,
}


def plan_page(session: Session, actor: Principal, query: ListQuery) -> Page[PlanRow]:
    """The newest version of each plan ``actor`` sees (``all=1``: every version), with the
    number of drills recorded under it. ``q`` searches the title and the owner's name."""
    later = aliased(EmergencyPlan)
    newer = (
        select(later.id)
        .where(later.owner_id == EmergencyPlan.owner_id, later.version > EmergencyPlan.version)
        .exists()
    )
    drills = (
        select(func.count(EmergencyDrill.id))
        .where(EmergencyDrill.plan_id == EmergencyPlan.id)
        .scalar_subquery()
    )
    statement = (
        select(EmergencyPlan, Organization.name, Organization.kind, drills)
        .join(Organization, Organization.id == EmergencyPlan.owner_id)
        .where(_own(actor, EmergencyPlan.owner_id))
    )
    if query.filter("all") != "1":
        statement = statement.where(~newer)
    if kind := query.filter("owner_kind"):
        statement = statement.where(Organization.kind == kind)
    if query.q:
        statement = statement.where(contains(query.q, EmergencyPlan.title, Organization.name))
    page = paginate(
        session,
        cast("Select[Any]", statement),
        query,
        sorts=PLAN_SORTS,
        default="-filed",
        tiebreak=EmergencyPlan.id,
        scalars=False,
    )
    rows = [PlanRow(p, name, kind, int(n or 0)) for p, name, kind, n in page.items]
    return Page(rows, page.total, page.query)


def drills_of(session: Session, owner_id: uuid.UUID) -> list[EmergencyDrill]:
    """Every drill recorded under any version of the owner's plan, the latest first."""
    query = select(EmergencyDrill).where(EmergencyDrill.owner_id == owner_id)
    return list(session.scalars(query.order_by(EmergencyDrill.held_on.desc(), EmergencyDrill.id)))


def last_drill(session: Session, owner_id: uuid.UUID) -> EmergencyDrill | None:
    query = select(EmergencyDrill).where(EmergencyDrill.owner_id == owner_id)
    return session.scalar(query.order_by(EmergencyDrill.held_on.desc()).limit(1))


def incident_for(
    session: Session, actor: Principal, incident_id: uuid.UUID, *, for_update: bool = False
) -> SecurityIncident | None:
    query = select(SecurityIncident).where(
        SecurityIncident.id == incident_id, _own(actor, SecurityIncident.operator_id)
    )
    if for_update:
        query = query.with_for_update()
    return session.scalar(query)


@dataclass(frozen=True)
class IncidentRow:
    incident: SecurityIncident
    operator: str | None
    alerts: int


INCIDENT_SORTS: Final[Mapping[str, Column]] = {
    "reported": SecurityIncident.reported_at,
    "updated": SecurityIncident.updated_at,
    "status": SecurityIncident.status,
    "severity": SecurityIncident.severity,
}


def incident_page(session: Session, actor: Principal, query: ListQuery) -> Page[IncidentRow]:
    """The incidents ``actor`` sees. Filters ``status`` (``open``: not closed) and
    ``severity``; ``q`` searches the number, the title and the operator's name."""
    alerts = (
        select(func.count())
        .select_from(IncidentAlert)
        .where(IncidentAlert.incident_id == SecurityIncident.id)
        .scalar_subquery()
    )
    statement = (
        select(SecurityIncident, Organization.name, alerts)
        .outerjoin(Organization, Organization.id == SecurityIncident.operator_id)
        .where(_own(actor, SecurityIncident.operator_id))
    )
    if status := query.filter("status"):
        if status == "open":
            statement = statement.where(SecurityIncident.status != "closed")
        else:
            statement = statement.where(SecurityIncident.status == status)
    if severity := query.filter("severity"):
        statement = statement.where(SecurityIncident.severity == severity)
    if query.q:
        statement = statement.where(
            contains(query.q, SecurityIncident.number, SecurityIncident.title, Organization.name)
        )
    page = paginate(
        session,
        cast("Select[Any]", statement),
        query,
        sorts=INCIDENT_SORTS,
        default="-reported",
        tiebreak=SecurityIncident.id,
        scalars=False,
    )
    rows = [IncidentRow(i, name, int(n or 0)) for i, name, n in page.items]
    return Page(rows, page.total, page.query)


def steps_of(session: Session, incident_id: uuid.UUID) -> list[IncidentStep]:
    query = select(IncidentStep).where(IncidentStep.incident_id == incident_id)
    return list(session.scalars(query.order_by(IncidentStep.position)))


def next_position(session: Session, incident_id: uuid.UUID) -> int:
    found = session.scalar(
        select(func.max(IncidentStep.position)).where(IncidentStep.incident_id == incident_id)
    )
    return int(found or 0) + 1


def alerts_of(session: Session, incident_id: uuid.UUID) -> list[Alert]:
    query = (
        select(Alert)
        .join(IncidentAlert, IncidentAlert.alert_id == Alert.id)
        .where(IncidentAlert.incident_id == incident_id)
    )
    return list(session.scalars(query.order_by(Alert.raised_at, Alert.id)))


def incidents_of_alert(session: Session, alert_id: uuid.UUID) -> list[uuid.UUID]:
    query = select(IncidentAlert.incident_id).where(IncidentAlert.alert_id == alert_id)
    return list(session.scalars(query))


def open_incidents(session: Session, actor: Principal, *, limit: int) -> tuple[int, list[Any]]:
    """Incidents ``actor`` sees that are not closed, the oldest first."""
    conditions = (SecurityIncident.status != "closed", _own(actor, SecurityIncident.operator_id))
    total = session.scalar(select(func.count(SecurityIncident.id)).where(*conditions)) or 0
    rows = session.scalars(
        select(SecurityIncident)
        .where(*conditions)
        .order_by(SecurityIncident.reported_at, SecurityIncident.id)
        .limit(limit)
    )
    return int(total), list(rows)


def organizations(session: Session, ids: Sequence[uuid.UUID]) -> dict[uuid.UUID, Organization]:
    if not ids:
        return {}
    found = session.scalars(select(Organization).where(Organization.id.in_(list(ids))))
    return {o.id: o for o in found}


def operators(session: Session) -> list[tuple[uuid.UUID, str]]:
    """Every active operator organization, by name: whom an incident may concern."""
    rows = session.execute(
        select(Organization.id, Organization.name)
        .where(Organization.kind == OrgKind.OPERATOR, Organization.active.is_(True))
        .order_by(Organization.name)
    ).all()
    return [(row[0], row[1]) for row in rows]


def bureau_name(session: Session) -> str:
    """The bureau's name, for the documents it issues."""
    found = session.scalar(
        select(Organization.name).where(Organization.kind == OrgKind.BUREAU).limit(1)
    )
    return found or ""
