"""change stamps: what the gateway's hot path may keep between calls (issue 12)

* ``change_stamps``: one row per table whose rows decide a gateway call (products,
  subscriptions, agreements and their scope, the catalog, data versions, consents, prices,
  registrations, signing secrets), holding a random number that a trigger replaces on every
  INSERT, UPDATE and DELETE of that table (and TRUNCATE on PostgreSQL). A process keeps what
  it derived from those tables for as long as the stamps it read are the ones in the
  database (``core.change_stamps``), so a call reads one small table instead of fifteen.
  Random, not counted: a database rebuilt or emptied never repeats the stamps of its past.

Revision ID: 0027
Revises: 0026
Create Date: 2026-12-04
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0027"
down_revision: str | None = "0026"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

#: Frozen with this revision; a later table joins through a migration of its own.
WATCHED = (
    "authorization_scope",
    "authorization_versions",
    "authorizations",
    "catalog_entries",
    "catalog_fields",
    "catalog_resources",
    "consents",
    "dataset_versions",
    "gateway_signing_secrets",
    "gateway_subscriptions",
    "price_caps",
    "products",
    "registrations",
    "sandbox_workspaces",
)

_PG_FUNCTION = """
CREATE FUNCTION change_stamp() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO change_stamps (name, stamp)
    VALUES (TG_TABLE_NAME, floor(random() * 9.2e18)::bigint)
    ON CONFLICT (name) DO UPDATE SET stamp = excluded.stamp;
    RETURN NULL;
END $$
"""


def upgrade() -> None:
    op.create_table(
        "change_stamps",
        sa.Column("name", sa.String(length=64), nullable=False),
        sa.Column("stamp", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_change_stamps")),
    )
    sqlite = op.get_bind().dialect.name == "sqlite"
    fresh = "random()" if sqlite else "floor(random() * 9.2e18)::bigint"
    for table in WATCHED:
        op.execute(f"INSERT INTO change_stamps (name, stamp) VALUES ('{table}', {fresh})")  # noqa: S608
    if not sqlite:
        op.execute(_PG_FUNCTION)
    for table in WATCHED:
        if sqlite:
            for verb in ("INSERT", "UPDATE", "DELETE"):
                stamp = (
                    f"INSERT INTO change_stamps (name, stamp) VALUES ('{table}', random()) "  # noqa: S608
                    "ON CONFLICT (name) DO UPDATE SET stamp = excluded.stamp"
                )
                op.execute(
                    f"CREATE TRIGGER {table}_stamp_{verb.lower()} AFTER {verb} ON {table} "
                    f"BEGIN {stamp}; END"
                )
        else:
            op.execute(
                f"CREATE TRIGGER {table}_stamp AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE "
                f"ON {table} FOR EACH STATEMENT EXECUTE FUNCTION change_stamp()"
            )


def downgrade() -> None:
    sqlite = op.get_bind().dialect.name == "sqlite"
    for table in WATCHED:
        if sqlite:
            for verb in ("insert", "update", "delete"):
                op.execute(f"DROP TRIGGER IF EXISTS {table}_stamp_{verb}")
        else:
            op.execute(f"DROP TRIGGER IF EXISTS {table}_stamp ON {table}")
    if not sqlite:
        op.execute("DROP FUNCTION IF EXISTS change_stamp()")
    op.drop_table("change_stamps")
