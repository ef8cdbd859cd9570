"""data subjects, consents and the uses of their data (issue 12)

* ``data_subjects``: a console user of role ``subject`` linked to a person or an enterprise
  by the identifier's token (unique) and its masked form; never the identifier.
* ``consents``: one subject's consent to one buyer for one product and purpose, its days of
  validity, status (granted, revoked), and its evidence (kind, name, SM3, size; the file is
  kept sealed under its SM3). The subject's token is copied onto it for the gateway's check.
* ``consent_uses``: every call or download about a subject, answered or refused, by buyer,
  product, consent named, purpose, kind, outcome and time.

Revision ID: 0021
Revises: 0020
Create Date: 2026-12-04
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0021"
down_revision: str | None = "0020"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "data_subjects",
        sa.Column("user_id", sa.Uuid(), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("token", sa.String(length=32), nullable=False),
        sa.Column("masked", sa.String(length=40), nullable=False),
        sa.Column("created_by", sa.String(length=150), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_data_subjects_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_data_subjects")),
        sa.UniqueConstraint("token", name=op.f("uq_data_subjects_token")),
        sa.UniqueConstraint("user_id", name=op.f("uq_data_subjects_user_id")),
    )

    op.create_table(
        "consents",
        sa.Column("subject_id", sa.Uuid(), nullable=False),
        sa.Column("subject_token", sa.String(length=32), nullable=False),
        sa.Column("buyer_id", sa.Uuid(), nullable=False),
        sa.Column("product_id", sa.Uuid(), nullable=False),
        sa.Column("purpose", sa.String(length=100), nullable=False),
        sa.Column("valid_from", sa.Date(), nullable=False),
        sa.Column("valid_until", sa.Date(), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("granted_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("evidence_kind", sa.String(length=20), nullable=False),
        sa.Column("evidence_name", sa.String(length=200), nullable=False),
        sa.Column("evidence_sm3", sa.String(length=64), nullable=False),
        sa.Column("evidence_bytes", sa.Integer(), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.ForeignKeyConstraint(
            ["subject_id"],
            ["data_subjects.id"],
            name=op.f("fk_consents_subject_id_data_subjects"),
        ),
        sa.ForeignKeyConstraint(
            ["buyer_id"],
            ["organizations.id"],
            name=op.f("fk_consents_buyer_id_organizations"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_consents")),
    )
    with op.batch_alter_table("consents", schema=None) as batch_op:
        batch_op.create_index(
            "ix_consents_subject_granted", ["subject_id", "granted_at"], unique=False
        )
        batch_op.create_index("ix_consents_buyer_granted", ["buyer_id", "granted_at"], unique=False)
        batch_op.create_index(batch_op.f("ix_consents_product_id"), ["product_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_consents_status"), ["status"], unique=False)

    op.create_table(
        "consent_uses",
        sa.Column("subject_token", sa.String(length=32), nullable=False),
        sa.Column("buyer_id", sa.Uuid(), nullable=False),
        sa.Column("product_id", sa.Uuid(), nullable=False),
        sa.Column("consent_id", sa.Uuid(), nullable=True),
        sa.Column("purpose", sa.String(length=200), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("outcome", sa.String(length=40), nullable=False),
        sa.Column("used_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.ForeignKeyConstraint(
            ["buyer_id"],
            ["organizations.id"],
            name=op.f("fk_consent_uses_buyer_id_organizations"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_consent_uses")),
    )
    with op.batch_alter_table("consent_uses", schema=None) as batch_op:
        batch_op.create_index(
            "ix_consent_uses_subject_used", ["subject_token", "used_at"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_consent_uses_buyer_id"), ["buyer_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("consent_uses", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_consent_uses_buyer_id"))
        batch_op.drop_index("ix_consent_uses_subject_used")
    op.drop_table("consent_uses")
    with op.batch_alter_table("consents", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_consents_status"))
        batch_op.drop_index(batch_op.f("ix_consents_product_id"))
        batch_op.drop_index("ix_consents_buyer_granted")
        batch_op.drop_index("ix_consents_subject_granted")
    op.drop_table("consents")
    op.drop_table("data_subjects")
