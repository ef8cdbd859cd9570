"""ticket urgings (督办): the bureau chasing a provider on an overdue correction ticket

* ``ticket_urgings``: one row per urging of a ticket — when, by whom (user, organization,
  name as shown then), how many working days past its due date the ticket was that day,
  and the bureau's note. The ticket itself does not change state; its page and the list
  show the urgings, and each is in the audit log (``correction_ticket.urged``).

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-05
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0012"
down_revision: str | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "ticket_urgings",
        sa.Column("ticket_id", sa.Uuid(), nullable=False),
        sa.Column("urged_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("urged_by_user", sa.Uuid(), nullable=True),
        sa.Column("urged_by_org", sa.Uuid(), nullable=True),
        sa.Column("urged_by_username", sa.String(length=150), nullable=False),
        sa.Column("urged_by_name", sa.String(length=200), nullable=False),
        sa.Column("working_days_overdue", sa.Integer(), nullable=False),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.ForeignKeyConstraint(
            ["ticket_id"],
            ["correction_tickets.id"],
            name=op.f("fk_ticket_urgings_ticket_id_correction_tickets"),
        ),
        sa.ForeignKeyConstraint(
            ["urged_by_user"], ["users.id"], name=op.f("fk_ticket_urgings_urged_by_user_users")
        ),
        sa.ForeignKeyConstraint(
            ["urged_by_org"],
            ["organizations.id"],
            name=op.f("fk_ticket_urgings_urged_by_org_organizations"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ticket_urgings")),
    )
    with op.batch_alter_table("ticket_urgings", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_ticket_urgings_ticket_id"), ["ticket_id"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("ticket_urgings", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_ticket_urgings_ticket_id"))
    op.drop_table("ticket_urgings")
