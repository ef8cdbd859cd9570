"""endings: how an agreement ended, forced exits and liability, software and hardware
ownership, disposal at every ending, the operator's deletion attestation, and the new
selection a forced exit opens (R5.5–R5.7)

* ``authorizations.end_kind``: how the agreement ended (expiry, termination, rescission,
  revocation, exit, forced exit, with its predecessor); empty for endings before this one.
  Two states join the lifecycle: ``rescinded`` (解除) and ``revoked`` (撤销).
* ``authorization_exits.grounds`` and ``.liability``: a forced exit's grounds as the bureau
  named them, and why liability is pursued (依法追究责任) after a refused, failed or missed
  rectification.
* ``authorization_assets``: the software and hardware used under an agreement and who owns
  each as the agreement sets (软硬件资产归属).
* ``exit_asset_disposals.authorization_id``: disposals belong to the agreement (filled from
  their exit for the rows already there); ``exit_id`` is empty when the agreement ended by
  expiry, termination, rescission or revocation.
* ``deletion_attestations``: one per ended agreement, the operator's signed attestation that
  its copies outside the platform are deleted, and the bureau's check of it.
* ``selection_rounds.follows_authorization_id`` / ``.follows_agreement``: the agreement whose
  forced exit opened the round (at most one round per agreement).

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-12
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0016"
down_revision: str | None = "0015"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("authorizations", schema=None) as batch_op:
        batch_op.add_column(sa.Column("end_kind", sa.String(length=20), nullable=True))
    with op.batch_alter_table("authorization_exits", schema=None) as batch_op:
        batch_op.add_column(sa.Column("grounds", sa.String(length=20), nullable=True))
        batch_op.add_column(sa.Column("liability", sa.Text(), nullable=True))

    op.create_table(
        "authorization_assets",
        sa.Column("authorization_id", sa.Uuid(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("owner", sa.String(length=20), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("recorded_by", sa.String(length=150), nullable=False),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.ForeignKeyConstraint(
            ["authorization_id"],
            ["authorizations.id"],
            name=op.f("fk_authorization_assets_authorization_id_authorizations"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_authorization_assets")),
    )
    with op.batch_alter_table("authorization_assets", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_authorization_assets_authorization_id"),
            ["authorization_id"],
            unique=False,
        )

    with op.batch_alter_table("exit_asset_disposals", schema=None) as batch_op:
        batch_op.add_column(sa.Column("authorization_id", sa.Uuid(), nullable=True))
    op.execute(
        "UPDATE exit_asset_disposals SET authorization_id = (SELECT e.authorization_id "
        "FROM authorization_exits e WHERE e.id = exit_asset_disposals.exit_id)"
    )
    with op.batch_alter_table("exit_asset_disposals", schema=None) as batch_op:
        batch_op.alter_column("authorization_id", existing_type=sa.Uuid(), nullable=False)
        batch_op.alter_column("exit_id", existing_type=sa.Uuid(), nullable=True)
        batch_op.create_foreign_key(
            batch_op.f("fk_exit_asset_disposals_authorization_id_authorizations"),
            "authorizations",
            ["authorization_id"],
            ["id"],
        )
        batch_op.create_index(
            batch_op.f("ix_exit_asset_disposals_authorization_id"),
            ["authorization_id"],
            unique=False,
        )

    op.create_table(
        "deletion_attestations",
        sa.Column("authorization_id", sa.Uuid(), nullable=False),
        sa.Column("operator_id", sa.Uuid(), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("due_on", sa.Date(), nullable=False),
        sa.Column("opened_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("statement", sa.Text(), nullable=True),
        sa.Column("file_name", sa.String(length=200), nullable=True),
        sa.Column("file_sm3", sa.String(length=64), nullable=True),
        sa.Column("file_bytes", sa.Integer(), nullable=True),
        sa.Column("content", sa.JSON(), nullable=True),
        sa.Column("digest", sa.String(length=64), nullable=True),
        sa.Column("public_key_hex", sa.String(length=128), nullable=True),
        sa.Column("signature_hex", sa.String(length=128), nullable=True),
        sa.Column("attested_by", sa.String(length=150), nullable=True),
        sa.Column("attested_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("checked_by", sa.String(length=150), nullable=True),
        sa.Column("checked_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("check_note", sa.Text(), nullable=True),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.ForeignKeyConstraint(
            ["authorization_id"],
            ["authorizations.id"],
            name=op.f("fk_deletion_attestations_authorization_id_authorizations"),
        ),
        sa.ForeignKeyConstraint(
            ["operator_id"],
            ["organizations.id"],
            name=op.f("fk_deletion_attestations_operator_id_organizations"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_deletion_attestations")),
        sa.UniqueConstraint(
            "authorization_id", name=op.f("uq_deletion_attestations_authorization_id")
        ),
    )
    with op.batch_alter_table("deletion_attestations", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_deletion_attestations_operator_id"), ["operator_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_deletion_attestations_status"), ["status"], unique=False
        )

    with op.batch_alter_table("selection_rounds", schema=None) as batch_op:
        batch_op.add_column(sa.Column("follows_authorization_id", sa.Uuid(), nullable=True))
        batch_op.add_column(sa.Column("follows_agreement", sa.String(length=60), nullable=True))
        batch_op.create_index(
            batch_op.f("ix_selection_rounds_follows_authorization_id"),
            ["follows_authorization_id"],
            unique=True,
        )


def downgrade() -> None:
    with op.batch_alter_table("selection_rounds", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_selection_rounds_follows_authorization_id"))
        batch_op.drop_column("follows_agreement")
        batch_op.drop_column("follows_authorization_id")
    with op.batch_alter_table("deletion_attestations", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_deletion_attestations_status"))
        batch_op.drop_index(batch_op.f("ix_deletion_attestations_operator_id"))
    op.drop_table("deletion_attestations")
    # Disposals made at endings without an exit have nowhere to go back to.
    op.execute("DELETE FROM exit_asset_disposals WHERE exit_id IS NULL")
    with op.batch_alter_table("exit_asset_disposals", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_exit_asset_disposals_authorization_id"))
        batch_op.drop_constraint(
            batch_op.f("fk_exit_asset_disposals_authorization_id_authorizations"),
            type_="foreignkey",
        )
        batch_op.alter_column("exit_id", existing_type=sa.Uuid(), nullable=False)
        batch_op.drop_column("authorization_id")
    with op.batch_alter_table("authorization_assets", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_authorization_assets_authorization_id"))
    op.drop_table("authorization_assets")
    with op.batch_alter_table("authorization_exits", schema=None) as batch_op:
        batch_op.drop_column("liability")
        batch_op.drop_column("grounds")
    with op.batch_alter_table("authorizations", schema=None) as batch_op:
        batch_op.drop_column("end_kind")
