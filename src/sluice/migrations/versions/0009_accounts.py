"""login throttling per client address, password changes, token revocation

Failed logins are counted per (account, client address) and per client address in
``login_throttles``; the account-wide counter and lock on ``users`` go, so a stranger can no
longer lock an account for everyone.

On SQLite the two columns are dropped with SQLite's own ``ALTER TABLE ... DROP COLUMN``
(3.35+), not by copying the table: ``users`` is referenced by cascading foreign keys, and
dropping the old copy with foreign keys on would empty memberships and sessions.

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-04
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "login_throttles",
        sa.Column("scope", sa.String(length=10), nullable=False),
        sa.Column("account", sa.String(length=150), nullable=False),
        sa.Column("address", sa.String(length=64), nullable=False),
        sa.Column("failures", sa.Integer(), nullable=False),
        sa.Column("window_started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_failed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("locked_until", sa.DateTime(timezone=True), nullable=True),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_login_throttles")),
        sa.UniqueConstraint("scope", "account", "address", name="uq_login_throttles_key"),
    )
    op.create_index(
        op.f("ix_login_throttles_last_failed_at"),
        "login_throttles",
        ["last_failed_at"],
        unique=False,
    )
    # Plain ALTER TABLE on both backends (see the module docstring for SQLite).
    op.execute("ALTER TABLE users DROP COLUMN failed_logins")
    op.execute("ALTER TABLE users DROP COLUMN locked_until")


def downgrade() -> None:
    op.add_column(
        "users",
        sa.Column("failed_logins", sa.Integer(), server_default="0", nullable=False),
    )
    op.add_column("users", sa.Column("locked_until", sa.DateTime(timezone=True), nullable=True))
    op.drop_index(op.f("ix_login_throttles_last_failed_at"), table_name="login_throttles")
    op.drop_table("login_throttles")
