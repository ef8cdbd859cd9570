"""sandbox exports: requests to export a query's result, and each workspace's ε budget (issue 11)

* ``sandbox_exports``: a query of a workspace's history asked to leave the platform, its
  purpose, status (pending, approved, rejected, lapsed), the SQL that ran and its SM3, the
  versions read, the checks passed, k, groups and suppressed groups, ε and the noise, the
  candidate file's name, SM3 and size (the file itself is a derived file, SM4 encrypted),
  the decision, and the bureau's signed manifest once approved.
* ``sandbox_privacy_budgets``: the ε a workspace's exports spent, in millionths.

Revision ID: 0018
Revises: 0017
Create Date: 2026-12-14
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0018"
down_revision: str | None = "0017"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "sandbox_exports",
        sa.Column("workspace_id", sa.Uuid(), nullable=False),
        sa.Column("query_id", sa.Uuid(), nullable=False),
        sa.Column("authorization_id", sa.Uuid(), nullable=False),
        sa.Column("purpose", sa.Text(), nullable=False),
        sa.Column("requested_by", sa.String(length=150), nullable=False),
        sa.Column("requested_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("sql", sa.Text(), nullable=False),
        sa.Column("sql_sm3", sa.String(length=64), nullable=False),
        sa.Column("versions", sa.JSON(), nullable=False),
        sa.Column("columns", sa.JSON(), nullable=False),
        sa.Column("checks", sa.JSON(), nullable=False),
        sa.Column("min_subjects", sa.Integer(), nullable=False),
        sa.Column("groups", sa.Integer(), nullable=False),
        sa.Column("suppressed_groups", sa.Integer(), nullable=False),
        sa.Column("epsilon_micro", sa.BigInteger(), nullable=True),
        sa.Column("noise", sa.JSON(), nullable=False),
        sa.Column("rows", sa.Integer(), nullable=False),
        sa.Column("owner_id", sa.Uuid(), nullable=False),
        sa.Column("file_name", sa.String(length=200), nullable=False),
        sa.Column("file_sm3", sa.String(length=64), nullable=False),
        sa.Column("file_bytes", sa.BigInteger(), nullable=False),
        sa.Column("decided_by", sa.String(length=150), nullable=True),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("decision_reason", sa.Text(), nullable=True),
        sa.Column("manifest", sa.JSON(), nullable=True),
        sa.Column("manifest_digest", sa.String(length=64), nullable=True),
        sa.Column("signer_organization_id", sa.Uuid(), nullable=True),
        sa.Column("public_key_hex", sa.String(length=200), nullable=True),
        sa.Column("signature_hex", sa.String(length=200), nullable=True),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.ForeignKeyConstraint(
            ["workspace_id"],
            ["sandbox_workspaces.id"],
            name=op.f("fk_sandbox_exports_workspace_id_sandbox_workspaces"),
        ),
        sa.ForeignKeyConstraint(
            ["query_id"],
            ["sandbox_queries.id"],
            name=op.f("fk_sandbox_exports_query_id_sandbox_queries"),
        ),
        sa.ForeignKeyConstraint(
            ["authorization_id"],
            ["authorizations.id"],
            name=op.f("fk_sandbox_exports_authorization_id_authorizations"),
        ),
        sa.ForeignKeyConstraint(
            ["owner_id"],
            ["authorizations.id"],
            name=op.f("fk_sandbox_exports_owner_id_authorizations"),
        ),
        sa.ForeignKeyConstraint(
            ["signer_organization_id"],
            ["organizations.id"],
            name=op.f("fk_sandbox_exports_signer_organization_id_organizations"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sandbox_exports")),
    )
    with op.batch_alter_table("sandbox_exports", schema=None) as batch_op:
        batch_op.create_index(
            "ix_sandbox_exports_workspace_requested",
            ["workspace_id", "requested_at"],
            unique=False,
        )
        batch_op.create_index(batch_op.f("ix_sandbox_exports_query_id"), ["query_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_sandbox_exports_status"), ["status"], unique=False)

    op.create_table(
        "sandbox_privacy_budgets",
        sa.Column("workspace_id", sa.Uuid(), nullable=False),
        sa.Column("spent_micro", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(
            ["workspace_id"],
            ["sandbox_workspaces.id"],
            name=op.f("fk_sandbox_privacy_budgets_workspace_id_sandbox_workspaces"),
        ),
        sa.PrimaryKeyConstraint("workspace_id", name=op.f("pk_sandbox_privacy_budgets")),
    )


def downgrade() -> None:
    op.drop_table("sandbox_privacy_budgets")
    with op.batch_alter_table("sandbox_exports", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_sandbox_exports_status"))
        batch_op.drop_index(batch_op.f("ix_sandbox_exports_query_id"))
        batch_op.drop_index("ix_sandbox_exports_workspace_requested")
    op.drop_table("sandbox_exports")
