"""What the emergency response keeps (R8.12, R8.13).

* ``EmergencyPlan``: one version of an organization's emergency plan (应急预案): the
  bureau's, or an operator's own made after it. Each version is a text or an uploaded PDF
  (kept SM4-sealed in the evidence store under its SM3, or both), who approved it inside
  the organization and when, and the SM3 digest of what was filed. A version never
  changes; a revision is the next version.
* ``EmergencyDrill``: the record of one drill (演练) held under a plan version: the day,
  the scenario, who took part, what it found and what follows.
* ``SecurityIncident``: a security incident or data leak (安全事件), with its operator
  when one is concerned, its severity and its place in ``states.INCIDENT``; each step
  of its timeline is an ``IncidentStep`` (who, when, what), and the alerts behind it are
  listed in ``incident_alerts``. The table names keep clear of the qualification history's
  ``operator_incidents`` (incidents an applicant declared in its past).
"""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from sluice.core.database import Base, UUIDPrimaryKey


class EmergencyPlan(UUIDPrimaryKey, Base):
    __tablename__ = "emergency_plans"
    __table_args__ = (UniqueConstraint("owner_id", "version"),)

    #: The bureau or the operator whose plan it is.
    owner_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("organizations.id"), index=True)
    #: 1, 2, … per owner.
    version: Mapped[int]
    title: Mapped[str] = mapped_column(String(200))
    #: The text, when filed as text ("" when only a document was uploaded).
    body: Mapped[str] = mapped_column(Text, default="")
    file_name: Mapped[str | None] = mapped_column(String(200))
    file_sm3: Mapped[str | None] = mapped_column(String(64))
    file_bytes: Mapped[int | None]
    #: Who approved this version inside its organization (a name and post), and on what day.
    approved_by: Mapped[str] = mapped_column(String(200))
    approved_on: Mapped[date]
    #: What was filed (owner, version, title, approval, the text's and the file's SM3) and
    #: the SM3 of its canonical form.
    content: Mapped[dict[str, Any]] = mapped_column(JSON)
    digest: Mapped[str] = mapped_column(String(64))
    filed_by: Mapped[str] = mapped_column(String(150))
    filed_by_name: Mapped[str] = mapped_column(String(200))
    filed_at: Mapped[datetime]


class EmergencyDrill(UUIDPrimaryKey, Base):
    __tablename__ = "emergency_drills"

    plan_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("emergency_plans.id"), index=True)
    #: The plan's owner, kept on the drill so scoping needs no join.
    owner_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("organizations.id"), index=True)
    held_on: Mapped[date]
    scenario: Mapped[str] = mapped_column(Text)
    #: Who took part: departments, operators, people.
    participants: Mapped[str] = mapped_column(Text)
    findings: Mapped[str] = mapped_column(Text)
    #: What is to be done after it (the plan revised, training …).
    follow_up: Mapped[str] = mapped_column(Text)
    recorded_by: Mapped[str] = mapped_column(String(150))
    recorded_by_name: Mapped[str] = mapped_column(String(200))
    recorded_at: Mapped[datetime]


class SecurityIncident(UUIDPrimaryKey, Base):
    __tablename__ = "security_incidents"
    __table_args__ = (Index("ix_security_incidents_status_reported", "status", "reported_at"),)

    #: e.g. 营数安〔2026〕3号.
    number: Mapped[str] = mapped_column(String(40), unique=True)
    title: Mapped[str] = mapped_column(String(200))
    #: ``general`` or ``major`` (a major one may open a rectification order).
    severity: Mapped[str] = mapped_column(String(10))
    #: The operator concerned, when one is.
    operator_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("organizations.id"), index=True
    )
    description: Mapped[str] = mapped_column(Text)
    #: ``states.INCIDENT``.
    status: Mapped[str] = mapped_column(String(20), index=True)
    reported_by: Mapped[str] = mapped_column(String(150))
    reported_by_name: Mapped[str] = mapped_column(String(200))
    reported_at: Mapped[datetime]
    updated_at: Mapped[datetime]
    #: The review (复盘) it was closed with, and when.
    review: Mapped[str | None] = mapped_column(Text)
    closed_at: Mapped[datetime | None]
    #: The rectification order a major incident opened (``authorizations.exits``).
    rectification_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("rectification_orders.id")
    )


class IncidentStep(UUIDPrimaryKey, Base):
    """One step of an incident's timeline: its report, each transition, a note, the
    operator's special report, the rectification ordered."""

    __tablename__ = "incident_steps"
    __table_args__ = (UniqueConstraint("incident_id", "position"),)

    incident_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("security_incidents.id"))
    #: 1, 2, … in the order they happened.
    position: Mapped[int]
    #: ``reported``, a transition's name, ``note``, ``special_report`` or ``rectification``.
    kind: Mapped[str] = mapped_column(String(30))
    #: The incident's state after the step.
    status: Mapped[str] = mapped_column(String(20))
    note: Mapped[str] = mapped_column(Text)
    #: What the step says beyond its note (the measures taken, to whom it was reported …).
    detail: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    actor: Mapped[str] = mapped_column(String(150))
    actor_name: Mapped[str] = mapped_column(String(200))
    #: The organization the actor acted for, by name as it was.
    actor_organization: Mapped[str | None] = mapped_column(String(200))
    at: Mapped[datetime]


class IncidentAlert(Base):
    """An alert behind an incident."""

    __tablename__ = "incident_alerts"

    incident_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("security_incidents.id"), primary_key=True
    )
    alert_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("alerts.id"), primary_key=True, index=True
    )
