"""change stamps taken at commit on PostgreSQL (issue 12, review)

Migration 0027's triggers replaced a table's stamp at once, in the statement that wrote the
table, and so locked that table's ``change_stamps`` row until the transaction ended: every
writer of a watched table waited for the one before to commit, and two transactions writing
two watched tables in opposite orders deadlocked (one of them failed).

On PostgreSQL a write now only notes its table in the transaction (``sluice.touched``, a
transaction-local setting: no lock). At commit a deferred constraint trigger replaces the
stamps of every table the transaction noted, in one sorted order, in one statement: the
rows are locked for the moment of the commit, and always in the same order. A transaction
that wrote a watched table and reads the stamps before it commits is told to keep nothing
(``core.change_stamps.read``): its own writes are not yet under a stamp of their own.
TRUNCATE (which no row trigger sees) still stamps at once. SQLite has one writer at a time
and keeps 0027's triggers. (The platform never runs ``SET CONSTRAINTS ALL IMMEDIATE``: after
it, a later write's row trigger would fire before its statement trigger notes the table,
and that write would commit under the stamp set mid-transaction.)

Revision ID: 0029
Revises: 0028
Create Date: 2026-12-05
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0029"
down_revision: str | None = "0028"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_NOTE = """
CREATE FUNCTION change_stamp_note() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    touched text := coalesce(current_setting('sluice.touched', true), '');
BEGIN
    IF position(',' || TG_TABLE_NAME || ',' IN touched) = 0 THEN
        IF touched = '' THEN
            touched := ',';
        END IF;
        PERFORM set_config('sluice.touched', touched || TG_TABLE_NAME || ',', true);
    END IF;
    RETURN NULL;
END $$
"""

_AT_COMMIT = """
CREATE FUNCTION change_stamp_at_commit() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    touched text := coalesce(current_setting('sluice.touched', true), '');
BEGIN
    -- The first of the transaction's deferred row events stamps every noted table; the
    -- others find the note empty.
    IF touched = '' THEN
        RETURN NULL;
    END IF;
    PERFORM set_config('sluice.touched', '', true);
    INSERT INTO change_stamps (name, stamp)
    SELECT noted, floor(random() * 9.2e18)::bigint
    FROM unnest(string_to_array(trim(BOTH ',' FROM touched), ',')) AS noted
    ORDER BY noted
    ON CONFLICT (name) DO UPDATE SET stamp = excluded.stamp;
    RETURN NULL;
END $$
"""


def _watched() -> list[str]:
    """The tables 0027 stamps: each has its row in ``change_stamps`` (the list is not
    written here again)."""
    rows = op.get_bind().execute(sa.text("SELECT name FROM change_stamps ORDER BY name"))
    return [str(name) for (name,) in rows]


def upgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        return
    op.execute(_NOTE)
    op.execute(_AT_COMMIT)
    for table in _watched():
        op.execute(f"DROP TRIGGER {table}_stamp ON {table}")
        op.execute(
            f"CREATE TRIGGER {table}_stamp_note AFTER INSERT OR UPDATE OR DELETE ON {table} "
            "FOR EACH STATEMENT EXECUTE FUNCTION change_stamp_note()"
        )
        op.execute(
            f"CREATE CONSTRAINT TRIGGER {table}_stamp AFTER INSERT OR UPDATE OR DELETE "
            f"ON {table} DEFERRABLE INITIALLY DEFERRED FOR EACH ROW "
            "EXECUTE FUNCTION change_stamp_at_commit()"
        )
        op.execute(
            f"CREATE TRIGGER {table}_stamp_truncate AFTER TRUNCATE ON {table} "
            "FOR EACH STATEMENT EXECUTE FUNCTION change_stamp()"
        )


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        return
    for table in _watched():
        for trigger in ("stamp_note", "stamp", "stamp_truncate"):
            op.execute(f"DROP TRIGGER IF EXISTS {table}_{trigger} ON {table}")
        op.execute(
            f"CREATE TRIGGER {table}_stamp AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE "
            f"ON {table} FOR EACH STATEMENT EXECUTE FUNCTION change_stamp()"
        )
    op.execute("DROP FUNCTION IF EXISTS change_stamp_at_commit()")
    op.execute("DROP FUNCTION IF EXISTS change_stamp_note()")
