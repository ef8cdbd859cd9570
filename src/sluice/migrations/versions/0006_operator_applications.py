"""operator applications, ownership graphs, records, evidence, checklist, check results

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-27
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "operator_checklist_items",
        sa.Column("key", sa.String(length=60), nullable=False),
        sa.Column("requirement", sa.String(length=10), nullable=False),
        sa.Column("title_zh", sa.String(length=200), nullable=False),
        sa.Column("title_en", sa.String(length=200), nullable=False),
        sa.Column("description_zh", sa.Text(), nullable=False),
        sa.Column("description_en", sa.Text(), nullable=False),
        sa.Column("evidence_required", sa.Boolean(), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_operator_checklist_items")),
        sa.UniqueConstraint("key", name=op.f("uq_operator_checklist_items_key")),
    )
    op.create_table(
        "operator_applications",
        sa.Column("organization_id", sa.Uuid(), nullable=False),
        sa.Column("company_name", sa.String(length=200), nullable=False),
        sa.Column("company_name_en", sa.String(length=200), nullable=True),
        sa.Column("credit_code", sa.String(length=18), nullable=False),
        sa.Column("legal_representative", sa.String(length=100), nullable=True),
        sa.Column("registered_address", sa.String(length=300), nullable=True),
        sa.Column("established_on", sa.Date(), nullable=True),
        sa.Column("registered_capital_fen", sa.BigInteger(), nullable=True),
        sa.Column("business_scope", sa.Text(), nullable=True),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("created_by", sa.String(length=150), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("submitted_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("decided_by", sa.String(length=150), nullable=True),
        sa.Column("decision_reason", sa.Text(), nullable=True),
        sa.Column("checks_run", sa.Integer(), nullable=False),
        sa.Column("checked_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("verdict", sa.String(length=30), nullable=True),
        sa.Column("qualifying_entity_id", sa.Uuid(), nullable=True),
        sa.Column("qualifying_path", sa.JSON(), nullable=True),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.ForeignKeyConstraint(
            ["organization_id"],
            ["organizations.id"],
            name=op.f("fk_operator_applications_organization_id_organizations"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_operator_applications")),
    )
    with op.batch_alter_table("operator_applications", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_operator_applications_organization_id"),
            ["organization_id"],
            unique=False,
        )
        batch_op.create_index(
            batch_op.f("ix_operator_applications_status"), ["status"], unique=False
        )

    op.create_table(
        "operator_check_results",
        sa.Column("application_id", sa.Uuid(), nullable=False),
        sa.Column("run", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("entity_id", sa.Uuid(), nullable=True),
        sa.Column("entity_name", sa.String(length=200), nullable=False),
        sa.Column("for_applicant", sa.Boolean(), nullable=False),
        sa.Column("check", sa.String(length=30), nullable=False),
        sa.Column("requirement", sa.String(length=10), nullable=False),
        sa.Column("result", sa.String(length=20), nullable=False),
        sa.Column("explanation", sa.JSON(), nullable=False),
        sa.Column("paths", sa.JSON(), nullable=False),
        sa.Column("ran_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.ForeignKeyConstraint(
            ["application_id"],
            ["operator_applications.id"],
            name=op.f("fk_operator_check_results_application_id_operator_applications"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_operator_check_results")),
    )
    with op.batch_alter_table("operator_check_results", schema=None) as batch_op:
        batch_op.create_index(
            "ix_operator_check_results_application_run", ["application_id", "run"], unique=False
        )

    op.create_table(
        "operator_checklist_answers",
        sa.Column("application_id", sa.Uuid(), nullable=False),
        sa.Column("item_id", sa.Uuid(), nullable=False),
        sa.Column("statement", sa.Text(), nullable=True),
        sa.Column("judgment", sa.String(length=10), nullable=True),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("judged_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("judged_by", sa.String(length=150), nullable=True),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.ForeignKeyConstraint(
            ["application_id"],
            ["operator_applications.id"],
            name=op.f("fk_operator_checklist_answers_application_id_operator_applications"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["item_id"],
            ["operator_checklist_items.id"],
            name=op.f("fk_operator_checklist_answers_item_id_operator_checklist_items"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_operator_checklist_answers")),
        sa.UniqueConstraint(
            "application_id", "item_id", name="uq_operator_checklist_answers_application_item"
        ),
    )
    with op.batch_alter_table("operator_checklist_answers", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_operator_checklist_answers_application_id"),
            ["application_id"],
            unique=False,
        )

    op.create_table(
        "operator_entities",
        sa.Column("application_id", sa.Uuid(), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("jurisdiction", sa.String(length=2), nullable=False),
        sa.Column("credit_code", sa.String(length=18), nullable=True),
        sa.Column("is_applicant", sa.Boolean(), nullable=False),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.ForeignKeyConstraint(
            ["application_id"],
            ["operator_applications.id"],
            name=op.f("fk_operator_entities_application_id_operator_applications"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_operator_entities")),
        sa.UniqueConstraint("application_id", "name", name="uq_operator_entities_application_name"),
    )
    with op.batch_alter_table("operator_entities", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_operator_entities_application_id"), ["application_id"], unique=False
        )

    op.create_table(
        "operator_evidence",
        sa.Column("application_id", sa.Uuid(), nullable=False),
        sa.Column("item_id", sa.Uuid(), nullable=True),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("filename", sa.String(length=255), nullable=False),
        sa.Column("content_type", sa.String(length=100), nullable=False),
        sa.Column("size_bytes", sa.BigInteger(), nullable=False),
        sa.Column("sm3", sa.String(length=64), nullable=False),
        sa.Column("uploaded_by", sa.String(length=150), nullable=False),
        sa.Column("uploaded_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.ForeignKeyConstraint(
            ["application_id"],
            ["operator_applications.id"],
            name=op.f("fk_operator_evidence_application_id_operator_applications"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["item_id"],
            ["operator_checklist_items.id"],
            name=op.f("fk_operator_evidence_item_id_operator_checklist_items"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_operator_evidence")),
    )
    with op.batch_alter_table("operator_evidence", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_operator_evidence_application_id"), ["application_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_operator_evidence_sm3"), ["sm3"], unique=False)

    op.create_table(
        "operator_principals",
        sa.Column("application_id", sa.Uuid(), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("position", sa.String(length=100), nullable=False),
        sa.Column("nationality", sa.String(length=2), nullable=False),
        sa.Column("id_number_masked", sa.String(length=40), nullable=True),
        sa.Column("major_penalty", sa.Boolean(), nullable=False),
        sa.Column("serious_dishonesty", sa.Boolean(), nullable=False),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.ForeignKeyConstraint(
            ["application_id"],
            ["operator_applications.id"],
            name=op.f("fk_operator_principals_application_id_operator_applications"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_operator_principals")),
    )
    with op.batch_alter_table("operator_principals", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_operator_principals_application_id"), ["application_id"], unique=False
        )

    op.create_table(
        "operator_credit_records",
        sa.Column("application_id", sa.Uuid(), nullable=False),
        sa.Column("entity_id", sa.Uuid(), nullable=False),
        sa.Column("category", sa.String(length=40), nullable=False),
        sa.Column("source", sa.String(length=100), nullable=False),
        sa.Column("listed_on", sa.Date(), nullable=False),
        sa.Column("removed_on", sa.Date(), nullable=True),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.ForeignKeyConstraint(
            ["application_id"],
            ["operator_applications.id"],
            name=op.f("fk_operator_credit_records_application_id_operator_applications"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["entity_id"],
            ["operator_entities.id"],
            name=op.f("fk_operator_credit_records_entity_id_operator_entities"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_operator_credit_records")),
    )
    with op.batch_alter_table("operator_credit_records", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_operator_credit_records_application_id"),
            ["application_id"],
            unique=False,
        )
        batch_op.create_index(
            batch_op.f("ix_operator_credit_records_entity_id"), ["entity_id"], unique=False
        )

    op.create_table(
        "operator_financial_statements",
        sa.Column("application_id", sa.Uuid(), nullable=False),
        sa.Column("entity_id", sa.Uuid(), nullable=False),
        sa.Column("fiscal_year", sa.Integer(), nullable=False),
        sa.Column("total_assets_fen", sa.BigInteger(), nullable=False),
        sa.Column("total_liabilities_fen", sa.BigInteger(), nullable=False),
        sa.Column("net_assets_fen", sa.BigInteger(), nullable=False),
        sa.Column("revenue_fen", sa.BigInteger(), nullable=False),
        sa.Column("net_profit_fen", sa.BigInteger(), nullable=False),
        sa.Column("committed_funds_fen", sa.BigInteger(), nullable=False),
        sa.Column("audit_opinion", sa.String(length=20), nullable=False),
        sa.Column("auditor", sa.String(length=200), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.ForeignKeyConstraint(
            ["application_id"],
            ["operator_applications.id"],
            name=op.f("fk_operator_financial_statements_application_id_operator_applications"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["entity_id"],
            ["operator_entities.id"],
            name=op.f("fk_operator_financial_statements_entity_id_operator_entities"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_operator_financial_statements")),
        sa.UniqueConstraint(
            "entity_id", "fiscal_year", name="uq_operator_financial_statements_entity_year"
        ),
    )
    with op.batch_alter_table("operator_financial_statements", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_operator_financial_statements_application_id"),
            ["application_id"],
            unique=False,
        )
        batch_op.create_index(
            batch_op.f("ix_operator_financial_statements_entity_id"), ["entity_id"], unique=False
        )

    op.create_table(
        "operator_incidents",
        sa.Column("application_id", sa.Uuid(), nullable=False),
        sa.Column("entity_id", sa.Uuid(), nullable=False),
        sa.Column("occurred_on", sa.Date(), nullable=False),
        sa.Column("kind", sa.String(length=10), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.ForeignKeyConstraint(
            ["application_id"],
            ["operator_applications.id"],
            name=op.f("fk_operator_incidents_application_id_operator_applications"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["entity_id"],
            ["operator_entities.id"],
            name=op.f("fk_operator_incidents_entity_id_operator_entities"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_operator_incidents")),
    )
    with op.batch_alter_table("operator_incidents", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_operator_incidents_application_id"), ["application_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_operator_incidents_entity_id"), ["entity_id"], unique=False
        )

    op.create_table(
        "operator_links",
        sa.Column("application_id", sa.Uuid(), nullable=False),
        sa.Column("holder_id", sa.Uuid(), nullable=False),
        sa.Column("held_id", sa.Uuid(), nullable=False),
        sa.Column("relation", sa.String(length=20), nullable=False),
        sa.Column("share_bp", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.ForeignKeyConstraint(
            ["application_id"],
            ["operator_applications.id"],
            name=op.f("fk_operator_links_application_id_operator_applications"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["held_id"],
            ["operator_entities.id"],
            name=op.f("fk_operator_links_held_id_operator_entities"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["holder_id"],
            ["operator_entities.id"],
            name=op.f("fk_operator_links_holder_id_operator_entities"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_operator_links")),
        sa.UniqueConstraint(
            "holder_id", "held_id", "relation", name="uq_operator_links_holder_held_relation"
        ),
    )
    with op.batch_alter_table("operator_links", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_operator_links_application_id"), ["application_id"], unique=False
        )

    op.create_table(
        "operator_penalties",
        sa.Column("application_id", sa.Uuid(), nullable=False),
        sa.Column("entity_id", sa.Uuid(), nullable=False),
        sa.Column("decided_on", sa.Date(), nullable=False),
        sa.Column("authority", sa.String(length=200), nullable=False),
        sa.Column("document_no", sa.String(length=100), nullable=True),
        sa.Column("major", sa.Boolean(), nullable=False),
        sa.Column("amount_fen", sa.BigInteger(), nullable=True),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.ForeignKeyConstraint(
            ["application_id"],
            ["operator_applications.id"],
            name=op.f("fk_operator_penalties_application_id_operator_applications"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["entity_id"],
            ["operator_entities.id"],
            name=op.f("fk_operator_penalties_entity_id_operator_entities"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_operator_penalties")),
    )
    with op.batch_alter_table("operator_penalties", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_operator_penalties_application_id"), ["application_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_operator_penalties_entity_id"), ["entity_id"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("operator_penalties", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_operator_penalties_entity_id"))
        batch_op.drop_index(batch_op.f("ix_operator_penalties_application_id"))

    op.drop_table("operator_penalties")
    with op.batch_alter_table("operator_links", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_operator_links_application_id"))

    op.drop_table("operator_links")
    with op.batch_alter_table("operator_incidents", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_operator_incidents_entity_id"))
        batch_op.drop_index(batch_op.f("ix_operator_incidents_application_id"))

    op.drop_table("operator_incidents")
    with op.batch_alter_table("operator_financial_statements", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_operator_financial_statements_entity_id"))
        batch_op.drop_index(batch_op.f("ix_operator_financial_statements_application_id"))

    op.drop_table("operator_financial_statements")
    with op.batch_alter_table("operator_credit_records", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_operator_credit_records_entity_id"))
        batch_op.drop_index(batch_op.f("ix_operator_credit_records_application_id"))

    op.drop_table("operator_credit_records")
    with op.batch_alter_table("operator_principals", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_operator_principals_application_id"))

    op.drop_table("operator_principals")
    with op.batch_alter_table("operator_evidence", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_operator_evidence_sm3"))
        batch_op.drop_index(batch_op.f("ix_operator_evidence_application_id"))

    op.drop_table("operator_evidence")
    with op.batch_alter_table("operator_entities", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_operator_entities_application_id"))

    op.drop_table("operator_entities")
    with op.batch_alter_table("operator_checklist_answers", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_operator_checklist_answers_application_id"))

    op.drop_table("operator_checklist_answers")
    with op.batch_alter_table("operator_check_results", schema=None) as batch_op:
        batch_op.drop_index("ix_operator_check_results_application_run")

    op.drop_table("operator_check_results")
    with op.batch_alter_table("operator_applications", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_operator_applications_status"))
        batch_op.drop_index(batch_op.f("ix_operator_applications_organization_id"))

    op.drop_table("operator_applications")
    op.drop_table("operator_checklist_items")
