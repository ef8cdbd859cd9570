"""the audit log becomes append-only and a Merkle log (issue 13)

* ``audit_events`` is append-only: triggers refuse UPDATE and DELETE (SQLite and
  PostgreSQL; TRUNCATE, which only an administrator's hand runs, fires no row trigger). On
  SQLite its ids become ``AUTOINCREMENT`` (the table is rebuilt), so an id is never reused
  after the last rows are gone.
* ``audit_leaves`` (entry → leaf index, gap-free), ``audit_tree_nodes`` (stored subtree
  hashes) and ``audit_tree_heads`` (signed tree heads): the Merkle tree over the log, all
  append-only as well.

Revision ID: 0023
Revises: 0022
Create Date: 2026-12-04
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0023"
down_revision: str | None = "0022"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_BIG = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
APPEND_ONLY = ("audit_events", "audit_leaves", "audit_tree_nodes", "audit_tree_heads")


def upgrade() -> None:
    sqlite = op.get_bind().dialect.name == "sqlite"
    if sqlite:
        with op.batch_alter_table(
            "audit_events", recreate="always", table_kwargs={"sqlite_autoincrement": True}
        ):
            pass
    op.create_table(
        "audit_leaves",
        sa.Column("leaf_index", _BIG, autoincrement=False, nullable=False),
        sa.Column("event_id", _BIG, nullable=False),
        sa.Column("leaf_hash", sa.String(length=64), nullable=False),
        sa.PrimaryKeyConstraint("leaf_index", name=op.f("pk_audit_leaves")),
        sa.UniqueConstraint("event_id", name=op.f("uq_audit_leaves_event_id")),
    )
    op.create_table(
        "audit_tree_nodes",
        sa.Column("level", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("index", _BIG, autoincrement=False, nullable=False),
        sa.Column("hash", sa.String(length=64), nullable=False),
        sa.PrimaryKeyConstraint("level", "index", name=op.f("pk_audit_tree_nodes")),
    )
    op.create_table(
        "audit_tree_heads",
        sa.Column("id", _BIG, autoincrement=True, nullable=False),
        sa.Column("tree_size", _BIG, nullable=False),
        sa.Column("root_hash", sa.String(length=64), nullable=False),
        sa.Column("timestamp", sa.String(length=32), nullable=False),
        sa.Column("algorithm", sa.String(length=60), nullable=False),
        sa.Column("signature_hex", sa.String(length=128), nullable=False),
        sa.Column("public_key_hex", sa.String(length=130), nullable=False),
        sa.Column("organization_id", sa.Uuid(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_audit_tree_heads")),
        sa.UniqueConstraint("tree_size", name=op.f("uq_audit_tree_heads_tree_size")),
        sqlite_autoincrement=True,
    )
    for table in APPEND_ONLY:
        _refuse_changes(table, sqlite=sqlite)


def _refuse_changes(table: str, *, sqlite: bool) -> None:
    message = f"{table} is append-only"
    if sqlite:
        for verb in ("UPDATE", "DELETE"):
            op.execute(
                f"CREATE TRIGGER {table}_no_{verb.lower()} BEFORE {verb} ON {table} "
                f"BEGIN SELECT RAISE(ABORT, '{message}'); END"
            )
        return
    op.execute(
        f"CREATE FUNCTION {table}_append_only() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
        f"RAISE EXCEPTION '{message}' USING ERRCODE = 'insufficient_privilege'; END $$"
    )
    op.execute(
        f"CREATE TRIGGER {table}_append_only BEFORE UPDATE OR DELETE ON {table} "
        f"FOR EACH ROW EXECUTE FUNCTION {table}_append_only()"
    )


def downgrade() -> None:
    sqlite = op.get_bind().dialect.name == "sqlite"
    for table in reversed(APPEND_ONLY):
        if sqlite:
            op.execute(f"DROP TRIGGER {table}_no_update")
            op.execute(f"DROP TRIGGER {table}_no_delete")
        else:
            op.execute(f"DROP TRIGGER {table}_append_only ON {table}")
            op.execute(f"DROP FUNCTION {table}_append_only()")
    op.drop_table("audit_tree_heads")
    op.drop_table("audit_tree_nodes")
    op.drop_table("audit_leaves")
    if sqlite:
        with op.batch_alter_table(
            "audit_events", recreate="always", table_kwargs={"sqlite_autoincrement": False}
        ):
            pass
