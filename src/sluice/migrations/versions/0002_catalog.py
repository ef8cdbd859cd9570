"""catalog

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-26
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:

    op.create_table(
        "catalog_batches",
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("published_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("withdrawn_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_catalog_batches")),
        sa.UniqueConstraint("number", name=op.f("uq_catalog_batches_number")),
    )
    with op.batch_alter_table("catalog_batches", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_catalog_batches_status"), ["status"], unique=False)

    op.create_table(
        "catalog_resources",
        sa.Column("provider_id", sa.Uuid(), nullable=False),
        sa.Column("code", sa.String(length=80), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("domain", sa.String(length=60), nullable=False),
        sa.Column("update_frequency", sa.String(length=20), nullable=False),
        sa.Column("open_level", sa.String(length=20), nullable=False),
        sa.Column("classification", sa.String(length=60), nullable=False),
        sa.Column("grade", sa.String(length=20), nullable=False),
        sa.Column("origin", sa.String(length=20), nullable=False),
        sa.Column("shared_from", sa.String(length=200), nullable=True),
        sa.Column("sharing_consent_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("sharing_consent_evidence", sa.Text(), nullable=True),
        sa.Column("has_data", sa.Boolean(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.ForeignKeyConstraint(
            ["provider_id"],
            ["organizations.id"],
            name=op.f("fk_catalog_resources_provider_id_organizations"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_catalog_resources")),
        sa.UniqueConstraint("provider_id", "code", name="uq_catalog_resources_code"),
    )
    with op.batch_alter_table("catalog_resources", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_catalog_resources_domain"), ["domain"], unique=False)
        batch_op.create_index(batch_op.f("ix_catalog_resources_name"), ["name"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_catalog_resources_open_level"), ["open_level"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_catalog_resources_provider_id"), ["provider_id"], unique=False
        )

    op.create_table(
        "catalog_entries",
        sa.Column("resource_id", sa.Uuid(), nullable=False),
        sa.Column("batch_id", sa.Uuid(), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("published_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("provider_id", sa.Uuid(), nullable=False),
        sa.Column("domain", sa.String(length=60), nullable=False),
        sa.Column("open_level", sa.String(length=20), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.ForeignKeyConstraint(
            ["batch_id"],
            ["catalog_batches.id"],
            name=op.f("fk_catalog_entries_batch_id_catalog_batches"),
        ),
        sa.ForeignKeyConstraint(
            ["provider_id"],
            ["organizations.id"],
            name=op.f("fk_catalog_entries_provider_id_organizations"),
        ),
        sa.ForeignKeyConstraint(
            ["resource_id"],
            ["catalog_resources.id"],
            name=op.f("fk_catalog_entries_resource_id_catalog_resources"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_catalog_entries")),
        sa.UniqueConstraint("resource_id", name=op.f("uq_catalog_entries_resource_id")),
    )
    with op.batch_alter_table("catalog_entries", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_catalog_entries_batch_id"), ["batch_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_catalog_entries_domain"), ["domain"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_catalog_entries_open_level"), ["open_level"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_catalog_entries_provider_id"), ["provider_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_catalog_entries_status"), ["status"], unique=False)

    op.create_table(
        "catalog_fields",
        sa.Column("resource_id", sa.Uuid(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=80), nullable=False),
        sa.Column("title", sa.String(length=120), nullable=False),
        sa.Column("type", sa.String(length=20), nullable=False),
        sa.Column("field_class", sa.String(length=20), nullable=False),
        sa.Column("rules", sa.JSON(), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.ForeignKeyConstraint(
            ["resource_id"],
            ["catalog_resources.id"],
            name=op.f("fk_catalog_fields_resource_id_catalog_resources"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_catalog_fields")),
        sa.UniqueConstraint("resource_id", "name", name="uq_catalog_fields_name"),
    )
    with op.batch_alter_table("catalog_fields", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_catalog_fields_resource_id"), ["resource_id"], unique=False
        )

    op.create_table(
        "catalog_entry_versions",
        sa.Column("entry_id", sa.Uuid(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("change", sa.String(length=20), nullable=False),
        sa.Column("snapshot", sa.JSON(), nullable=False),
        sa.Column("actor", sa.String(length=150), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.ForeignKeyConstraint(
            ["entry_id"],
            ["catalog_entries.id"],
            name=op.f("fk_catalog_entry_versions_entry_id_catalog_entries"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_catalog_entry_versions")),
        sa.UniqueConstraint("entry_id", "version", name="uq_catalog_entry_versions"),
    )
    with op.batch_alter_table("catalog_entry_versions", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_catalog_entry_versions_entry_id"), ["entry_id"], unique=False
        )

    op.create_table(
        "catalog_terms",
        sa.Column("entry_id", sa.Uuid(), nullable=False),
        sa.Column("term", sa.String(length=40), nullable=False),
        sa.ForeignKeyConstraint(
            ["entry_id"],
            ["catalog_entries.id"],
            name=op.f("fk_catalog_terms_entry_id_catalog_entries"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("entry_id", "term", name=op.f("pk_catalog_terms")),
    )
    with op.batch_alter_table("catalog_terms", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_catalog_terms_term"), ["term"], unique=False)


def downgrade() -> None:

    with op.batch_alter_table("catalog_terms", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_catalog_terms_term"))

    op.drop_table("catalog_terms")
    with op.batch_alter_table("catalog_entry_versions", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_catalog_entry_versions_entry_id"))

    op.drop_table("catalog_entry_versions")
    with op.batch_alter_table("catalog_fields", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_catalog_fields_resource_id"))

    op.drop_table("catalog_fields")
    with op.batch_alter_table("catalog_entries", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_catalog_entries_status"))
        batch_op.drop_index(batch_op.f("ix_catalog_entries_provider_id"))
        batch_op.drop_index(batch_op.f("ix_catalog_entries_open_level"))
        batch_op.drop_index(batch_op.f("ix_catalog_entries_domain"))
        batch_op.drop_index(batch_op.f("ix_catalog_entries_batch_id"))

    op.drop_table("catalog_entries")
    with op.batch_alter_table("catalog_resources", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_catalog_resources_provider_id"))
        batch_op.drop_index(batch_op.f("ix_catalog_resources_open_level"))
        batch_op.drop_index(batch_op.f("ix_catalog_resources_name"))
        batch_op.drop_index(batch_op.f("ix_catalog_resources_domain"))

    op.drop_table("catalog_resources")
    with op.batch_alter_table("catalog_batches", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_catalog_batches_status"))

    op.drop_table("catalog_batches")
