"""products, their reviews, listings and price caps (issue 12)

* ``price_caps``: the bureau's cap per product class (type × industry domain, N5), in fen
  per billing unit, versioned: each new cap is a new version of its class.
* ``products``: a product declared from an agreement's workspace: code, name (and its
  folded form for N2), type and spec (JSON), the fingerprint of its normalised content,
  the resources it reads, its output schema, consent, subject, purposes, domain, billing
  unit, price and the pricing rule it was listed under, the agreement chain it belongs to,
  its status with the review, listing, suspension and ending recorded, and a revision.

Revision ID: 0019
Revises: 0018
Create Date: 2026-12-04
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0019"
down_revision: str | None = "0018"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "price_caps",
        sa.Column("product_type", sa.String(length=20), nullable=False),
        sa.Column("domain", sa.String(length=60), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("cap_fen", sa.BigInteger(), nullable=False),
        sa.Column("effective_from", sa.DateTime(timezone=True), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("set_by", sa.String(length=150), nullable=False),
        sa.Column("set_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_price_caps")),
        sa.UniqueConstraint("product_type", "domain", "version", name="uq_price_caps_version"),
    )

    op.create_table(
        "products",
        sa.Column("code", sa.String(length=64), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("name_key", sa.String(length=200), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("type", sa.String(length=20), nullable=False),
        sa.Column("spec", sa.JSON(), nullable=False),
        sa.Column("fingerprint", sa.String(length=64), nullable=False),
        sa.Column("resource_ids", sa.JSON(), nullable=False),
        sa.Column("output_schema", sa.JSON(), nullable=False),
        sa.Column("consent_required", sa.Boolean(), nullable=False),
        sa.Column("subject_input", sa.String(length=63), nullable=True),
        sa.Column("subject_kind", sa.String(length=20), nullable=True),
        sa.Column("purposes", sa.JSON(), nullable=False),
        sa.Column("domain", sa.String(length=60), nullable=False),
        sa.Column("billing_unit", sa.String(length=20), nullable=False),
        sa.Column("price_fen", sa.BigInteger(), nullable=False),
        sa.Column("price_cap_id", sa.Uuid(), nullable=True),
        sa.Column("pricing_rule", sa.String(length=120), nullable=True),
        sa.Column("operator_id", sa.Uuid(), nullable=False),
        sa.Column("workspace_id", sa.Uuid(), nullable=False),
        sa.Column("owner_id", sa.Uuid(), nullable=False),
        sa.Column("authorization_id", sa.Uuid(), nullable=False),
        sa.Column("runs_until", sa.Date(), nullable=True),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("revision", sa.Integer(), nullable=False),
        sa.Column("created_by", sa.String(length=150), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("submitted_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("reviewed_by", sa.String(length=150), nullable=True),
        sa.Column("reviewed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("review_reason", sa.Text(), nullable=True),
        sa.Column("first_listed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("listed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("suspended_reason", sa.Text(), nullable=True),
        sa.Column("ended_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("end_reason", sa.Text(), nullable=True),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.ForeignKeyConstraint(
            ["price_cap_id"],
            ["price_caps.id"],
            name=op.f("fk_products_price_cap_id_price_caps"),
        ),
        sa.ForeignKeyConstraint(
            ["operator_id"],
            ["organizations.id"],
            name=op.f("fk_products_operator_id_organizations"),
        ),
        sa.ForeignKeyConstraint(
            ["workspace_id"],
            ["sandbox_workspaces.id"],
            name=op.f("fk_products_workspace_id_sandbox_workspaces"),
        ),
        sa.ForeignKeyConstraint(
            ["owner_id"],
            ["authorizations.id"],
            name=op.f("fk_products_owner_id_authorizations"),
        ),
        sa.ForeignKeyConstraint(
            ["authorization_id"],
            ["authorizations.id"],
            name=op.f("fk_products_authorization_id_authorizations"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_products")),
        sa.UniqueConstraint("code", name=op.f("uq_products_code")),
    )
    with op.batch_alter_table("products", schema=None) as batch_op:
        batch_op.create_index(
            "ix_products_operator_status", ["operator_id", "status"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_products_name_key"), ["name_key"], unique=False)
        batch_op.create_index(batch_op.f("ix_products_fingerprint"), ["fingerprint"], unique=False)
        batch_op.create_index(batch_op.f("ix_products_owner_id"), ["owner_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_products_status"), ["status"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("products", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_products_status"))
        batch_op.drop_index(batch_op.f("ix_products_owner_id"))
        batch_op.drop_index(batch_op.f("ix_products_fingerprint"))
        batch_op.drop_index(batch_op.f("ix_products_name_key"))
        batch_op.drop_index("ix_products_operator_status")
    op.drop_table("products")
    op.drop_table("price_caps")
