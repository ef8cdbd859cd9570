"""authorizations, agreements, exits, destruction certificates, signing keys

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-27
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "number_sequences",
        sa.Column("prefix", sa.String(length=60), nullable=False),
        sa.Column("last", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("prefix", name=op.f("pk_number_sequences")),
    )
    op.create_table(
        "collective_decisions",
        sa.Column("subject_type", sa.String(length=30), nullable=False),
        sa.Column("subject_id", sa.Uuid(), nullable=False),
        sa.Column("meeting", sa.String(length=200), nullable=False),
        sa.Column("held_on", sa.Date(), nullable=False),
        sa.Column("participants", sa.JSON(), nullable=False),
        sa.Column("outcome", sa.String(length=20), nullable=False),
        sa.Column("summary", sa.Text(), nullable=False),
        sa.Column("recorded_by", sa.String(length=150), nullable=False),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_collective_decisions")),
    )
    with op.batch_alter_table("collective_decisions", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_collective_decisions_subject_id"), ["subject_id"], unique=False
        )

    op.create_table(
        "implementation_plans",
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("sections", sa.JSON(), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("decision_id", sa.Uuid(), nullable=True),
        sa.Column("created_by", sa.String(length=150), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("approved_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.ForeignKeyConstraint(
            ["decision_id"],
            ["collective_decisions.id"],
            name=op.f("fk_implementation_plans_decision_id_collective_decisions"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_implementation_plans")),
    )
    with op.batch_alter_table("implementation_plans", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_implementation_plans_status"), ["status"], unique=False
        )

    op.create_table(
        "signing_keys",
        sa.Column("organization_id", sa.Uuid(), nullable=False),
        sa.Column("public_key_hex", sa.String(length=128), nullable=False),
        sa.Column("sealed_private_key", sa.LargeBinary(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("retired_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.ForeignKeyConstraint(
            ["organization_id"],
            ["organizations.id"],
            name=op.f("fk_signing_keys_organization_id_organizations"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_signing_keys")),
        sa.UniqueConstraint("public_key_hex", name=op.f("uq_signing_keys_public_key_hex")),
    )
    with op.batch_alter_table("signing_keys", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_signing_keys_organization_id"), ["organization_id"], unique=False
        )

    op.create_table(
        "authorizations",
        sa.Column("number", sa.String(length=60), nullable=False),
        sa.Column("operator_id", sa.Uuid(), nullable=False),
        sa.Column("plan_id", sa.Uuid(), nullable=False),
        sa.Column("selection_round_id", sa.Uuid(), nullable=True),
        sa.Column("mode", sa.String(length=20), nullable=False),
        sa.Column("domain", sa.String(length=60), nullable=True),
        sa.Column("scenario", sa.String(length=200), nullable=False),
        sa.Column("scenario_key", sa.String(length=200), nullable=False),
        sa.Column("purpose", sa.Text(), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("term_years", sa.Integer(), nullable=False),
        sa.Column("term_start", sa.Date(), nullable=True),
        sa.Column("term_end", sa.Date(), nullable=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("decision_id", sa.Uuid(), nullable=True),
        sa.Column("renewal_decision_id", sa.Uuid(), nullable=True),
        sa.Column("renewed_from_id", sa.Uuid(), nullable=True),
        sa.Column("created_by", sa.String(length=150), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("activated_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("ended_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("end_reason", sa.Text(), nullable=True),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.ForeignKeyConstraint(
            ["decision_id"],
            ["collective_decisions.id"],
            name=op.f("fk_authorizations_decision_id_collective_decisions"),
        ),
        sa.ForeignKeyConstraint(
            ["operator_id"],
            ["organizations.id"],
            name=op.f("fk_authorizations_operator_id_organizations"),
        ),
        sa.ForeignKeyConstraint(
            ["plan_id"],
            ["implementation_plans.id"],
            name=op.f("fk_authorizations_plan_id_implementation_plans"),
        ),
        sa.ForeignKeyConstraint(
            ["renewal_decision_id"],
            ["collective_decisions.id"],
            name=op.f("fk_authorizations_renewal_decision_id_collective_decisions"),
        ),
        sa.ForeignKeyConstraint(
            ["renewed_from_id"],
            ["authorizations.id"],
            name=op.f("fk_authorizations_renewed_from_id_authorizations"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_authorizations")),
        sa.UniqueConstraint("number", name=op.f("uq_authorizations_number")),
    )
    with op.batch_alter_table("authorizations", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_authorizations_operator_id"), ["operator_id"], unique=False
        )
        batch_op.create_index("ix_authorizations_scenario_key", ["scenario_key"], unique=False)
        batch_op.create_index(batch_op.f("ix_authorizations_status"), ["status"], unique=False)
        batch_op.create_index(
            "ix_authorizations_status_term_end", ["status", "term_end"], unique=False
        )

    op.create_table(
        "agreement_signatures",
        sa.Column("authorization_id", sa.Uuid(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("party", sa.String(length=20), nullable=False),
        sa.Column("organization_id", sa.Uuid(), nullable=False),
        sa.Column("signer", sa.String(length=150), nullable=False),
        sa.Column("signed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("digest", sa.String(length=64), nullable=False),
        sa.Column("public_key_hex", sa.String(length=128), nullable=False),
        sa.Column("signature_hex", sa.String(length=128), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.ForeignKeyConstraint(
            ["authorization_id"],
            ["authorizations.id"],
            name=op.f("fk_agreement_signatures_authorization_id_authorizations"),
        ),
        sa.ForeignKeyConstraint(
            ["organization_id"],
            ["organizations.id"],
            name=op.f("fk_agreement_signatures_organization_id_organizations"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_agreement_signatures")),
        sa.UniqueConstraint(
            "authorization_id", "version", "party", name="uq_agreement_signatures_party"
        ),
    )
    with op.batch_alter_table("agreement_signatures", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_agreement_signatures_authorization_id"),
            ["authorization_id"],
            unique=False,
        )

    op.create_table(
        "authorization_reminders",
        sa.Column("authorization_id", sa.Uuid(), nullable=False),
        sa.Column("term_end", sa.Date(), nullable=False),
        sa.Column("days_before", sa.Integer(), nullable=False),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.ForeignKeyConstraint(
            ["authorization_id"],
            ["authorizations.id"],
            name=op.f("fk_authorization_reminders_authorization_id_authorizations"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_authorization_reminders")),
        sa.UniqueConstraint(
            "authorization_id", "term_end", "days_before", name="uq_authorization_reminders_day"
        ),
    )
    with op.batch_alter_table("authorization_reminders", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_authorization_reminders_authorization_id"),
            ["authorization_id"],
            unique=False,
        )

    op.create_table(
        "authorization_scope",
        sa.Column("authorization_id", sa.Uuid(), nullable=False),
        sa.Column("resource_id", sa.Uuid(), nullable=False),
        sa.Column("entry_id", sa.Uuid(), nullable=False),
        sa.Column("added_in_version", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["authorization_id"],
            ["authorizations.id"],
            name=op.f("fk_authorization_scope_authorization_id_authorizations"),
        ),
        sa.ForeignKeyConstraint(
            ["entry_id"],
            ["catalog_entries.id"],
            name=op.f("fk_authorization_scope_entry_id_catalog_entries"),
        ),
        sa.ForeignKeyConstraint(
            ["resource_id"],
            ["catalog_resources.id"],
            name=op.f("fk_authorization_scope_resource_id_catalog_resources"),
        ),
        sa.PrimaryKeyConstraint(
            "authorization_id", "resource_id", name=op.f("pk_authorization_scope")
        ),
    )
    with op.batch_alter_table("authorization_scope", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_authorization_scope_resource_id"), ["resource_id"], unique=False
        )

    op.create_table(
        "authorization_versions",
        sa.Column("authorization_id", sa.Uuid(), nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("content", sa.JSON(), nullable=False),
        sa.Column("digest", sa.String(length=64), nullable=False),
        sa.Column("changes", sa.JSON(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("created_by", sa.String(length=150), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.ForeignKeyConstraint(
            ["authorization_id"],
            ["authorizations.id"],
            name=op.f("fk_authorization_versions_authorization_id_authorizations"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_authorization_versions")),
        sa.UniqueConstraint("authorization_id", "number", name="uq_authorization_versions_number"),
    )
    with op.batch_alter_table("authorization_versions", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_authorization_versions_authorization_id"),
            ["authorization_id"],
            unique=False,
        )

    op.create_table(
        "destruction_certificates",
        sa.Column("authorization_id", sa.Uuid(), nullable=False),
        sa.Column("number", sa.String(length=60), nullable=False),
        sa.Column("issued_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("content", sa.JSON(), nullable=False),
        sa.Column("digest", sa.String(length=64), nullable=False),
        sa.Column("signer_organization_id", sa.Uuid(), nullable=False),
        sa.Column("public_key_hex", sa.String(length=128), nullable=False),
        sa.Column("signature_hex", sa.String(length=128), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.ForeignKeyConstraint(
            ["authorization_id"],
            ["authorizations.id"],
            name=op.f("fk_destruction_certificates_authorization_id_authorizations"),
        ),
        sa.ForeignKeyConstraint(
            ["signer_organization_id"],
            ["organizations.id"],
            name=op.f("fk_destruction_certificates_signer_organization_id_organizations"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_destruction_certificates")),
        sa.UniqueConstraint(
            "authorization_id", name=op.f("uq_destruction_certificates_authorization_id")
        ),
        sa.UniqueConstraint("number", name=op.f("uq_destruction_certificates_number")),
    )
    op.create_table(
        "rectification_orders",
        sa.Column("authorization_id", sa.Uuid(), nullable=False),
        sa.Column("grounds", sa.String(length=20), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("deadline", sa.Date(), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("issued_by", sa.String(length=150), nullable=False),
        sa.Column("issued_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("report", sa.Text(), nullable=True),
        sa.Column("reported_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("check_note", sa.Text(), nullable=True),
        sa.Column("checked_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.ForeignKeyConstraint(
            ["authorization_id"],
            ["authorizations.id"],
            name=op.f("fk_rectification_orders_authorization_id_authorizations"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_rectification_orders")),
    )
    with op.batch_alter_table("rectification_orders", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_rectification_orders_authorization_id"),
            ["authorization_id"],
            unique=False,
        )
        batch_op.create_index(
            batch_op.f("ix_rectification_orders_status"), ["status"], unique=False
        )

    op.create_table(
        "authorization_exits",
        sa.Column("authorization_id", sa.Uuid(), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("letter", sa.Text(), nullable=False),
        sa.Column("exit_date", sa.Date(), nullable=False),
        sa.Column("requested_by", sa.String(length=150), nullable=False),
        sa.Column("requested_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("rectification_id", sa.Uuid(), nullable=True),
        sa.Column("decision_reason", sa.Text(), nullable=True),
        sa.Column("decided_by", sa.String(length=150), nullable=True),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("completed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.ForeignKeyConstraint(
            ["authorization_id"],
            ["authorizations.id"],
            name=op.f("fk_authorization_exits_authorization_id_authorizations"),
        ),
        sa.ForeignKeyConstraint(
            ["rectification_id"],
            ["rectification_orders.id"],
            name=op.f("fk_authorization_exits_rectification_id_rectification_orders"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_authorization_exits")),
    )
    with op.batch_alter_table("authorization_exits", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_authorization_exits_authorization_id"),
            ["authorization_id"],
            unique=False,
        )
        batch_op.create_index(batch_op.f("ix_authorization_exits_status"), ["status"], unique=False)

    op.create_table(
        "exit_asset_disposals",
        sa.Column("exit_id", sa.Uuid(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("kind", sa.String(length=30), nullable=False),
        sa.Column("goes_to", sa.String(length=20), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("recorded_by", sa.String(length=150), nullable=False),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.ForeignKeyConstraint(
            ["exit_id"],
            ["authorization_exits.id"],
            name=op.f("fk_exit_asset_disposals_exit_id_authorization_exits"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_exit_asset_disposals")),
    )
    with op.batch_alter_table("exit_asset_disposals", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_exit_asset_disposals_exit_id"), ["exit_id"], unique=False
        )

    op.create_table(
        "exit_handover_items",
        sa.Column("exit_id", sa.Uuid(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("done_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("done_by", sa.String(length=150), nullable=True),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.ForeignKeyConstraint(
            ["exit_id"],
            ["authorization_exits.id"],
            name=op.f("fk_exit_handover_items_exit_id_authorization_exits"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_exit_handover_items")),
    )
    with op.batch_alter_table("exit_handover_items", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_exit_handover_items_exit_id"), ["exit_id"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("exit_handover_items", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_exit_handover_items_exit_id"))

    op.drop_table("exit_handover_items")
    with op.batch_alter_table("exit_asset_disposals", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_exit_asset_disposals_exit_id"))

    op.drop_table("exit_asset_disposals")
    with op.batch_alter_table("authorization_exits", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_authorization_exits_status"))
        batch_op.drop_index(batch_op.f("ix_authorization_exits_authorization_id"))

    op.drop_table("authorization_exits")
    with op.batch_alter_table("rectification_orders", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_rectification_orders_status"))
        batch_op.drop_index(batch_op.f("ix_rectification_orders_authorization_id"))

    op.drop_table("rectification_orders")
    op.drop_table("destruction_certificates")
    with op.batch_alter_table("authorization_versions", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_authorization_versions_authorization_id"))

    op.drop_table("authorization_versions")
    with op.batch_alter_table("authorization_scope", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_authorization_scope_resource_id"))

    op.drop_table("authorization_scope")
    with op.batch_alter_table("authorization_reminders", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_authorization_reminders_authorization_id"))

    op.drop_table("authorization_reminders")
    with op.batch_alter_table("agreement_signatures", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_agreement_signatures_authorization_id"))

    op.drop_table("agreement_signatures")
    with op.batch_alter_table("authorizations", schema=None) as batch_op:
        batch_op.drop_index("ix_authorizations_status_term_end")
        batch_op.drop_index(batch_op.f("ix_authorizations_status"))
        batch_op.drop_index("ix_authorizations_scenario_key")
        batch_op.drop_index(batch_op.f("ix_authorizations_operator_id"))

    op.drop_table("authorizations")
    with op.batch_alter_table("signing_keys", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_signing_keys_organization_id"))

    op.drop_table("signing_keys")
    with op.batch_alter_table("implementation_plans", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_implementation_plans_status"))

    op.drop_table("implementation_plans")
    with op.batch_alter_table("collective_decisions", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_collective_decisions_subject_id"))

    op.drop_table("collective_decisions")
    op.drop_table("number_sequences")
