"""sandbox: workspaces, the queries run in them, saved queries (issue 11)

* ``sandbox_workspaces``: one per agreement's renewal chain (``owner_id``, the chain's
  first agreement, unique), its operator, scenario, status (open, closed) and when it
  opened and closed.
* ``sandbox_queries``: every query submitted in a workspace, run or refused: its SQL and
  SM3, the outcome (``ok`` or the refusal's code) and the part it named, the normalised SQL
  the policy let run, the dataset versions read, the output columns, row count, truncation
  and time. Never the result rows.
* ``sandbox_saved_queries``: queries kept by name in a workspace.

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-12
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0017"
down_revision: str | None = "0016"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "sandbox_workspaces",
        sa.Column("owner_id", sa.Uuid(), nullable=False),
        sa.Column("operator_id", sa.Uuid(), nullable=False),
        sa.Column("scenario", sa.String(length=200), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("opened_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("closed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.ForeignKeyConstraint(
            ["owner_id"],
            ["authorizations.id"],
            name=op.f("fk_sandbox_workspaces_owner_id_authorizations"),
        ),
        sa.ForeignKeyConstraint(
            ["operator_id"],
            ["organizations.id"],
            name=op.f("fk_sandbox_workspaces_operator_id_organizations"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sandbox_workspaces")),
        sa.UniqueConstraint("owner_id", name=op.f("uq_sandbox_workspaces_owner_id")),
    )
    with op.batch_alter_table("sandbox_workspaces", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_sandbox_workspaces_operator_id"), ["operator_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_sandbox_workspaces_status"), ["status"], unique=False)

    op.create_table(
        "sandbox_queries",
        sa.Column("workspace_id", sa.Uuid(), nullable=False),
        sa.Column("authorization_id", sa.Uuid(), nullable=False),
        sa.Column("submitted_by", sa.String(length=150), nullable=False),
        sa.Column("submitted_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("sql", sa.Text(), nullable=False),
        sa.Column("sql_sm3", sa.String(length=64), nullable=False),
        sa.Column("outcome", sa.String(length=40), nullable=False),
        sa.Column("part", sa.String(length=300), nullable=True),
        sa.Column("checked_sql", sa.Text(), nullable=True),
        sa.Column("row_level", sa.Boolean(), nullable=True),
        sa.Column("versions", sa.JSON(), nullable=False),
        sa.Column("columns", sa.JSON(), nullable=False),
        sa.Column("row_count", sa.Integer(), nullable=True),
        sa.Column("truncated", sa.Boolean(), nullable=True),
        sa.Column("elapsed_ms", sa.Integer(), nullable=True),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.ForeignKeyConstraint(
            ["workspace_id"],
            ["sandbox_workspaces.id"],
            name=op.f("fk_sandbox_queries_workspace_id_sandbox_workspaces"),
        ),
        sa.ForeignKeyConstraint(
            ["authorization_id"],
            ["authorizations.id"],
            name=op.f("fk_sandbox_queries_authorization_id_authorizations"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sandbox_queries")),
    )
    with op.batch_alter_table("sandbox_queries", schema=None) as batch_op:
        batch_op.create_index(
            "ix_sandbox_queries_workspace_submitted",
            ["workspace_id", "submitted_at"],
            unique=False,
        )
        batch_op.create_index(batch_op.f("ix_sandbox_queries_outcome"), ["outcome"], unique=False)

    op.create_table(
        "sandbox_saved_queries",
        sa.Column("workspace_id", sa.Uuid(), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("sql", sa.Text(), nullable=False),
        sa.Column("saved_by", sa.String(length=150), nullable=False),
        sa.Column("saved_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.ForeignKeyConstraint(
            ["workspace_id"],
            ["sandbox_workspaces.id"],
            name=op.f("fk_sandbox_saved_queries_workspace_id_sandbox_workspaces"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sandbox_saved_queries")),
        sa.UniqueConstraint("workspace_id", "name", name="uq_sandbox_saved_queries_name"),
    )
    with op.batch_alter_table("sandbox_saved_queries", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_sandbox_saved_queries_workspace_id"), ["workspace_id"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("sandbox_saved_queries", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_sandbox_saved_queries_workspace_id"))
    op.drop_table("sandbox_saved_queries")
    with op.batch_alter_table("sandbox_queries", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_sandbox_queries_outcome"))
        batch_op.drop_index("ix_sandbox_queries_workspace_submitted")
    op.drop_table("sandbox_queries")
    with op.batch_alter_table("sandbox_workspaces", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_sandbox_workspaces_status"))
        batch_op.drop_index(batch_op.f("ix_sandbox_workspaces_operator_id"))
    op.drop_table("sandbox_workspaces")
