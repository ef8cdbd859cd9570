"""second approvals of irreversible acts; personal fields become identifiers

* ``approval_requests``: a request for an irreversible act (terminating an agreement,
  forcing an exit after a failed rectification, withdrawing a catalog batch), carried out
  only on a second bureau user's approval or on a collective decision someone else
  recorded; at most one pending request per act and object (a partial unique index).
* Data: catalog fields of a personal type (ID number, USCC, mobile, plate, address, person
  name) declared with a weaker class than ``identifier`` become ``identifier``, as the
  catalog now requires. Data already ingested under the weaker class is not rewritten: it
  stays as it was stored until the provider uploads that dataset again.

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-04
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

PERSONAL_TYPES = ("id_number", "uscc", "mobile", "plate", "address", "person_name")


def upgrade() -> None:
    op.create_table(
        "approval_requests",
        sa.Column("act", sa.String(length=40), nullable=False),
        sa.Column("target_type", sa.String(length=40), nullable=False),
        sa.Column("target_id", sa.Uuid(), nullable=False),
        sa.Column("target_label", sa.String(length=300), nullable=False),
        sa.Column("target_link", sa.String(length=300), nullable=False),
        sa.Column("grounds", sa.Text(), nullable=False),
        sa.Column("params", sa.JSON(), nullable=False),
        sa.Column("decision_id", sa.Uuid(), nullable=True),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("requested_by", sa.String(length=150), nullable=False),
        sa.Column("requested_by_user_id", sa.Uuid(), nullable=True),
        sa.Column("requested_by_name", sa.String(length=200), nullable=False),
        sa.Column("requested_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("decided_by", sa.String(length=150), nullable=True),
        sa.Column("decided_by_user_id", sa.Uuid(), nullable=True),
        sa.Column("decided_by_name", sa.String(length=200), nullable=True),
        sa.Column("decided_via", sa.String(length=30), nullable=True),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("decision_note", sa.Text(), nullable=True),
        sa.Column("carried_out_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.ForeignKeyConstraint(
            ["decision_id"],
            ["collective_decisions.id"],
            name=op.f("fk_approval_requests_decision_id_collective_decisions"),
        ),
        sa.ForeignKeyConstraint(
            ["requested_by_user_id"],
            ["users.id"],
            name=op.f("fk_approval_requests_requested_by_user_id_users"),
        ),
        sa.ForeignKeyConstraint(
            ["decided_by_user_id"],
            ["users.id"],
            name=op.f("fk_approval_requests_decided_by_user_id_users"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_approval_requests")),
    )
    with op.batch_alter_table("approval_requests", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_approval_requests_status"), ["status"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_approval_requests_target_id"), ["target_id"], unique=False
        )
        batch_op.create_index(
            "ix_approval_requests_status_expires_at", ["status", "expires_at"], unique=False
        )
        batch_op.create_index(
            "uq_approval_requests_pending_act_target",
            ["act", "target_id"],
            unique=True,
            sqlite_where=sa.text("status = 'pending'"),
            postgresql_where=sa.text("status = 'pending'"),
        )

    fields = sa.table(
        "catalog_fields",
        sa.column("type", sa.String()),
        sa.column("field_class", sa.String()),
    )
    op.execute(
        fields.update()
        .where(fields.c.type.in_(PERSONAL_TYPES), fields.c.field_class != "identifier")
        .values(field_class="identifier")
    )


def downgrade() -> None:
    # The field classes stay tightened: loosening them again would expose identifiers.
    with op.batch_alter_table("approval_requests", schema=None) as batch_op:
        batch_op.drop_index("uq_approval_requests_pending_act_target")
        batch_op.drop_index("ix_approval_requests_status_expires_at")
        batch_op.drop_index(batch_op.f("ix_approval_requests_target_id"))
        batch_op.drop_index(batch_op.f("ix_approval_requests_status"))
    op.drop_table("approval_requests")
