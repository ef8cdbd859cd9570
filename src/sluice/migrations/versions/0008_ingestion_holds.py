"""held uploads and restored versions

An upload that would shrink a dataset sharply (or leave it empty) is held for its
provider's decision instead of becoming the current version; a file equal to an older
version restores it. ``ingestion_runs`` records why a run was held and against which
version, where its output waits, which version it restores, and who decided and when.
Existing runs keep their meaning: the new columns are empty for them.

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-04
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("ingestion_runs", schema=None) as batch_op:
        batch_op.add_column(sa.Column("hold_reason", sa.String(length=20), nullable=True))
        batch_op.add_column(sa.Column("compared_version", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("compared_rows", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("restores_version", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("output_path", sa.String(length=500), nullable=True))
        batch_op.add_column(sa.Column("decided_by", sa.String(length=150), nullable=True))
        batch_op.add_column(sa.Column("decided_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.create_index(batch_op.f("ix_ingestion_runs_status"), ["status"], unique=False)


def downgrade() -> None:
    # ALTER TABLE ... DROP COLUMN on both backends (SQLite 3.35+): a batch copy of the
    # table would drop the old one while dataset_versions still refers to it.
    op.drop_index(op.f("ix_ingestion_runs_status"), table_name="ingestion_runs")
    for column in (
        "decided_at",
        "decided_by",
        "output_path",
        "restores_version",
        "compared_rows",
        "compared_version",
        "hold_reason",
    ):
        op.execute(f"ALTER TABLE ingestion_runs DROP COLUMN {column}")
