"""one-time notices for a console session (post/redirect/get)

* ``console_flashes``: what a console session must see once on the next page after a form
  was accepted (the new API key, a "saved" notice), sealed under a key derived from the
  session's cookie token, deleted when read, expiring after a few minutes unread.

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-04
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0011"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "console_flashes",
        sa.Column("console_session_id", sa.Uuid(), nullable=False),
        sa.Column("kind", sa.String(length=40), nullable=False),
        sa.Column("sealed", sa.LargeBinary(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.ForeignKeyConstraint(
            ["console_session_id"],
            ["console_sessions.id"],
            name=op.f("fk_console_flashes_console_session_id_console_sessions"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_console_flashes")),
    )
    with op.batch_alter_table("console_flashes", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_console_flashes_console_session_id"),
            ["console_session_id"],
            unique=False,
        )
        batch_op.create_index(
            batch_op.f("ix_console_flashes_expires_at"), ["expires_at"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("console_flashes", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_console_flashes_expires_at"))
        batch_op.drop_index(batch_op.f("ix_console_flashes_console_session_id"))
    op.drop_table("console_flashes")
