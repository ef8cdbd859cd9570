"""emergency plans, drills and incidents (issue 13)

* ``emergency_plans``: the versions of the bureau's and each operator's emergency plan
  (text and/or a sealed PDF, who approved it and when, the SM3 digest of what was filed).
* ``emergency_drills``: the drills held under a plan version, with their records.
* ``security_incidents``: security incidents, their operator, severity, state, review and
  the rectification order a major one opened; ``incident_steps`` their timeline;
  ``incident_alerts`` the alerts behind them.

Revision ID: 0025
Revises: 0024
Create Date: 2026-12-04
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0025"
down_revision: str | None = "0024"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "emergency_plans",
        sa.Column("owner_id", sa.Uuid(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("file_name", sa.String(length=200), nullable=True),
        sa.Column("file_sm3", sa.String(length=64), nullable=True),
        sa.Column("file_bytes", sa.Integer(), nullable=True),
        sa.Column("approved_by", sa.String(length=200), nullable=False),
        sa.Column("approved_on", sa.Date(), nullable=False),
        sa.Column("content", sa.JSON(), nullable=False),
        sa.Column("digest", sa.String(length=64), nullable=False),
        sa.Column("filed_by", sa.String(length=150), nullable=False),
        sa.Column("filed_by_name", sa.String(length=200), nullable=False),
        sa.Column("filed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.ForeignKeyConstraint(
            ["owner_id"],
            ["organizations.id"],
            name=op.f("fk_emergency_plans_owner_id_organizations"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_emergency_plans")),
        sa.UniqueConstraint("owner_id", "version", name=op.f("uq_emergency_plans_owner_id")),
    )
    with op.batch_alter_table("emergency_plans", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_emergency_plans_owner_id"), ["owner_id"], unique=False)

    op.create_table(
        "emergency_drills",
        sa.Column("plan_id", sa.Uuid(), nullable=False),
        sa.Column("owner_id", sa.Uuid(), nullable=False),
        sa.Column("held_on", sa.Date(), nullable=False),
        sa.Column("scenario", sa.Text(), nullable=False),
        sa.Column("participants", sa.Text(), nullable=False),
        sa.Column("findings", sa.Text(), nullable=False),
        sa.Column("follow_up", sa.Text(), nullable=False),
        sa.Column("recorded_by", sa.String(length=150), nullable=False),
        sa.Column("recorded_by_name", sa.String(length=200), nullable=False),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.ForeignKeyConstraint(
            ["owner_id"],
            ["organizations.id"],
            name=op.f("fk_emergency_drills_owner_id_organizations"),
        ),
        sa.ForeignKeyConstraint(
            ["plan_id"],
            ["emergency_plans.id"],
            name=op.f("fk_emergency_drills_plan_id_emergency_plans"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_emergency_drills")),
    )
    with op.batch_alter_table("emergency_drills", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_emergency_drills_owner_id"), ["owner_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_emergency_drills_plan_id"), ["plan_id"], unique=False)

    op.create_table(
        "security_incidents",
        sa.Column("number", sa.String(length=40), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("severity", sa.String(length=10), nullable=False),
        sa.Column("operator_id", sa.Uuid(), nullable=True),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("reported_by", sa.String(length=150), nullable=False),
        sa.Column("reported_by_name", sa.String(length=200), nullable=False),
        sa.Column("reported_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("review", sa.Text(), nullable=True),
        sa.Column("closed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("rectification_id", sa.Uuid(), nullable=True),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.ForeignKeyConstraint(
            ["operator_id"],
            ["organizations.id"],
            name=op.f("fk_security_incidents_operator_id_organizations"),
        ),
        sa.ForeignKeyConstraint(
            ["rectification_id"],
            ["rectification_orders.id"],
            name=op.f("fk_security_incidents_rectification_id_rectification_orders"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_security_incidents")),
        sa.UniqueConstraint("number", name=op.f("uq_security_incidents_number")),
    )
    with op.batch_alter_table("security_incidents", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_security_incidents_operator_id"), ["operator_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_security_incidents_status"), ["status"], unique=False)
        batch_op.create_index(
            "ix_security_incidents_status_reported", ["status", "reported_at"], unique=False
        )

    op.create_table(
        "incident_steps",
        sa.Column("incident_id", sa.Uuid(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=30), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("detail", sa.JSON(), nullable=False),
        sa.Column("actor", sa.String(length=150), nullable=False),
        sa.Column("actor_name", sa.String(length=200), nullable=False),
        sa.Column("actor_organization", sa.String(length=200), nullable=True),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.ForeignKeyConstraint(
            ["incident_id"],
            ["security_incidents.id"],
            name=op.f("fk_incident_steps_incident_id_security_incidents"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_incident_steps")),
        sa.UniqueConstraint("incident_id", "position", name=op.f("uq_incident_steps_incident_id")),
    )

    op.create_table(
        "incident_alerts",
        sa.Column("incident_id", sa.Uuid(), nullable=False),
        sa.Column("alert_id", sa.Uuid(), nullable=False),
        sa.ForeignKeyConstraint(
            ["alert_id"], ["alerts.id"], name=op.f("fk_incident_alerts_alert_id_alerts")
        ),
        sa.ForeignKeyConstraint(
            ["incident_id"],
            ["security_incidents.id"],
            name=op.f("fk_incident_alerts_incident_id_security_incidents"),
        ),
        sa.PrimaryKeyConstraint("incident_id", "alert_id", name=op.f("pk_incident_alerts")),
    )
    with op.batch_alter_table("incident_alerts", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_incident_alerts_alert_id"), ["alert_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("incident_alerts", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_incident_alerts_alert_id"))
    op.drop_table("incident_alerts")
    op.drop_table("incident_steps")
    with op.batch_alter_table("security_incidents", schema=None) as batch_op:
        batch_op.drop_index("ix_security_incidents_status_reported")
        batch_op.drop_index(batch_op.f("ix_security_incidents_status"))
        batch_op.drop_index(batch_op.f("ix_security_incidents_operator_id"))
    op.drop_table("security_incidents")
    with op.batch_alter_table("emergency_drills", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_emergency_drills_plan_id"))
        batch_op.drop_index(batch_op.f("ix_emergency_drills_owner_id"))
    op.drop_table("emergency_drills")
    with op.batch_alter_table("emergency_plans", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_emergency_plans_owner_id"))
    op.drop_table("emergency_plans")
