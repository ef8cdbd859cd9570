"""audit entries gain reason, authorization, purpose, consent, resources, request id and
client address (issue 13)

* ``audit_events`` gains ``reason`` (a reason code; older entries keep theirs in
  ``detail``), ``authorization_id``, ``purpose``, ``consent_id``, ``request_id``,
  ``client_address`` and ``resources_digest`` (SM3 of the entry's resources, so a hash of the
  row covers them).
* ``audit_event_resources``: the data resources each entry used, indexed by resource (a
  provider reads the uses of its data by index). Append-only: triggers refuse UPDATE and
  DELETE on SQLite and PostgreSQL.

Revision ID: 0026
Revises: 0025
Create Date: 2026-12-04
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0026"
down_revision: str | None = "0025"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_COLUMNS = (
    ("reason", sa.String(length=64)),
    ("authorization_id", sa.Uuid()),
    ("purpose", sa.String(length=200)),
    ("consent_id", sa.Uuid()),
    ("request_id", sa.Uuid()),
    ("client_address", sa.String(length=64)),
    ("resources_digest", sa.String(length=64)),
)
_REFUSAL = "audit_event_resources is append-only"


def upgrade() -> None:
    # Plain ADD COLUMN (nullable, no default): no table rebuild on SQLite, so whatever
    # triggers an earlier revision put on audit_events stay as they are.
    for name, type_ in _COLUMNS:
        op.add_column("audit_events", sa.Column(name, type_, nullable=True))
    op.create_table(
        "audit_event_resources",
        sa.Column("event_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("resource_id", sa.Uuid(), nullable=False),
        sa.ForeignKeyConstraint(
            ["event_id"],
            ["audit_events.id"],
            name=op.f("fk_audit_event_resources_event_id_audit_events"),
        ),
        sa.PrimaryKeyConstraint("event_id", "resource_id", name=op.f("pk_audit_event_resources")),
    )
    op.create_index(
        "ix_audit_event_resources_resource",
        "audit_event_resources",
        ["resource_id", "event_id"],
        unique=False,
    )
    if op.get_bind().dialect.name == "postgresql":
        op.execute(
            "CREATE FUNCTION audit_event_resources_append_only() RETURNS trigger "
            "LANGUAGE plpgsql AS $$ BEGIN "
            f"RAISE EXCEPTION '{_REFUSAL}' USING ERRCODE = 'insufficient_privilege'; "
            "END $$"
        )
        op.execute(
            "CREATE TRIGGER audit_event_resources_append_only "
            "BEFORE UPDATE OR DELETE ON audit_event_resources "
            "FOR EACH ROW EXECUTE FUNCTION audit_event_resources_append_only()"
        )
    else:
        for verb in ("UPDATE", "DELETE"):
            op.execute(
                f"CREATE TRIGGER audit_event_resources_no_{verb.lower()} "
                f"BEFORE {verb} ON audit_event_resources "
                f"BEGIN SELECT RAISE(ABORT, '{_REFUSAL}'); END"
            )


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER audit_event_resources_append_only ON audit_event_resources")
        op.execute("DROP FUNCTION audit_event_resources_append_only()")
    else:
        for verb in ("update", "delete"):
            op.execute(f"DROP TRIGGER audit_event_resources_no_{verb}")
    op.drop_index("ix_audit_event_resources_resource", table_name="audit_event_resources")
    op.drop_table("audit_event_resources")
    for name, _ in reversed(_COLUMNS):
        op.drop_column("audit_events", name)
