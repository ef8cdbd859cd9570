"""correction tickets

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-26
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "correction_tickets",
        sa.Column("resource_id", sa.Uuid(), nullable=False),
        sa.Column("provider_id", sa.Uuid(), nullable=False),
        sa.Column("filed_by_org", sa.Uuid(), nullable=True),
        sa.Column("filed_by_user", sa.Uuid(), nullable=True),
        sa.Column("filed_by_username", sa.String(length=150), nullable=False),
        sa.Column("target_level", sa.String(length=10), nullable=False),
        sa.Column("field_name", sa.String(length=80), nullable=True),
        sa.Column("row_ref", sa.Text(), nullable=True),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("filed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("working_days", sa.Integer(), nullable=False),
        sa.Column("due_date", sa.Date(), nullable=False),
        sa.Column("acknowledged_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("resolved_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("closed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("outcome", sa.String(length=20), nullable=True),
        sa.Column("resolution", sa.Text(), nullable=True),
        sa.Column("answered_late", sa.Boolean(), nullable=True),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.ForeignKeyConstraint(
            ["filed_by_org"],
            ["organizations.id"],
            name=op.f("fk_correction_tickets_filed_by_org_organizations"),
        ),
        sa.ForeignKeyConstraint(
            ["filed_by_user"], ["users.id"], name=op.f("fk_correction_tickets_filed_by_user_users")
        ),
        sa.ForeignKeyConstraint(
            ["provider_id"],
            ["organizations.id"],
            name=op.f("fk_correction_tickets_provider_id_organizations"),
        ),
        sa.ForeignKeyConstraint(
            ["resource_id"],
            ["catalog_resources.id"],
            name=op.f("fk_correction_tickets_resource_id_catalog_resources"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_correction_tickets")),
    )
    with op.batch_alter_table("correction_tickets", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_correction_tickets_filed_by_org"), ["filed_by_org"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_correction_tickets_provider_id"), ["provider_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_correction_tickets_resource_id"), ["resource_id"], unique=False
        )
        batch_op.create_index(
            "ix_correction_tickets_status_due_date", ["status", "due_date"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("correction_tickets", schema=None) as batch_op:
        batch_op.drop_index("ix_correction_tickets_status_due_date")
        batch_op.drop_index(batch_op.f("ix_correction_tickets_resource_id"))
        batch_op.drop_index(batch_op.f("ix_correction_tickets_provider_id"))
        batch_op.drop_index(batch_op.f("ix_correction_tickets_filed_by_org"))

    op.drop_table("correction_tickets")
