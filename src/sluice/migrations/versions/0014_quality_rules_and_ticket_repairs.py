"""quality rules and ticket repairs: the bureau's data-quality management rules as
versioned documents, and the version that repaired a correction ticket

* ``quality_rules_versions``: one row per published version of the rules (数据质量管理规则)
  — its number, title, text, the day it takes effect and who published it when. Versions
  never change; the one in force on a day is the newest whose effective day has come.
* ``correction_tickets.repair_version``: the dataset version (made after the ticket was
  filed) that a provider's "fixed" answer rests on; empty for tickets answered with a
  reason and for those answered before this revision.

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-10
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0014"
down_revision: str | None = "0013"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "quality_rules_versions",
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("effective_on", sa.Date(), nullable=False),
        sa.Column("published_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("published_by_user", sa.Uuid(), nullable=True),
        sa.Column("published_by_username", sa.String(length=150), nullable=False),
        sa.Column("published_by_name", sa.String(length=200), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.ForeignKeyConstraint(
            ["published_by_user"],
            ["users.id"],
            name=op.f("fk_quality_rules_versions_published_by_user_users"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_quality_rules_versions")),
        sa.UniqueConstraint("number", name=op.f("uq_quality_rules_versions_number")),
    )
    with op.batch_alter_table("correction_tickets", schema=None) as batch_op:
        batch_op.add_column(sa.Column("repair_version", sa.Integer(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("correction_tickets", schema=None) as batch_op:
        batch_op.drop_column("repair_version")
    op.drop_table("quality_rules_versions")
