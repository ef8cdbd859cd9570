"""comments on draft agreements and operators' filed rules (R5.2)

* ``agreement_comment_rounds``: one version of a draft agreement (its number and SM3 digest)
  sent out for comments with a last day in working days; closed by the bureau; once the
  agreement is approved, the collective decision it went to and the version decided.
* ``agreement_comment_parties``: the organizations asked in a round (the providers whose data
  is in scope, the operator, the finance bureau) and as what.
* ``agreement_comments``: each party's comments, one part of the agreement each, and how the
  bureau handled them (adopted, partly, not adopted with the reason).
* ``operator_rules``: the operator's data-governance, trading and security rules, numbered
  versions per kind, the text or an uploaded PDF (sealed in the evidence store under its
  SM3), the digest of what was filed, and the bureau's acknowledgement or return.

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-12
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0015"
down_revision: str | None = "0014"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "agreement_comment_rounds",
        sa.Column("authorization_id", sa.Uuid(), nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("digest", sa.String(length=64), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("working_days", sa.Integer(), nullable=False),
        sa.Column("due_on", sa.Date(), nullable=False),
        sa.Column("opened_by", sa.String(length=150), nullable=False),
        sa.Column("opened_by_name", sa.String(length=200), nullable=False),
        sa.Column("opened_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("closed_by", sa.String(length=150), nullable=True),
        sa.Column("closed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("decision_id", sa.Uuid(), nullable=True),
        sa.Column("decided_version", sa.Integer(), nullable=True),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.ForeignKeyConstraint(
            ["authorization_id"],
            ["authorizations.id"],
            name=op.f("fk_agreement_comment_rounds_authorization_id_authorizations"),
        ),
        sa.ForeignKeyConstraint(
            ["decision_id"],
            ["collective_decisions.id"],
            name=op.f("fk_agreement_comment_rounds_decision_id_collective_decisions"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_agreement_comment_rounds")),
        sa.UniqueConstraint(
            "authorization_id",
            "number",
            name=op.f("uq_agreement_comment_rounds_authorization_id"),
        ),
    )
    op.create_index(
        op.f("ix_agreement_comment_rounds_authorization_id"),
        "agreement_comment_rounds",
        ["authorization_id"],
        unique=False,
    )
    op.create_index(
        op.f("ix_agreement_comment_rounds_status"),
        "agreement_comment_rounds",
        ["status"],
        unique=False,
    )
    op.create_table(
        "agreement_comment_parties",
        sa.Column("round_id", sa.Uuid(), nullable=False),
        sa.Column("organization_id", sa.Uuid(), nullable=False),
        sa.Column("role", sa.String(length=20), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.ForeignKeyConstraint(
            ["organization_id"],
            ["organizations.id"],
            name=op.f("fk_agreement_comment_parties_organization_id_organizations"),
        ),
        sa.ForeignKeyConstraint(
            ["round_id"],
            ["agreement_comment_rounds.id"],
            name=op.f("fk_agreement_comment_parties_round_id_agreement_comment_rounds"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_agreement_comment_parties")),
        sa.UniqueConstraint(
            "round_id", "organization_id", name=op.f("uq_agreement_comment_parties_round_id")
        ),
    )
    op.create_index(
        op.f("ix_agreement_comment_parties_organization_id"),
        "agreement_comment_parties",
        ["organization_id"],
        unique=False,
    )
    op.create_index(
        op.f("ix_agreement_comment_parties_round_id"),
        "agreement_comment_parties",
        ["round_id"],
        unique=False,
    )
    op.create_table(
        "agreement_comments",
        sa.Column("round_id", sa.Uuid(), nullable=False),
        sa.Column("organization_id", sa.Uuid(), nullable=False),
        sa.Column("role", sa.String(length=20), nullable=False),
        sa.Column("part", sa.String(length=40), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("author", sa.String(length=150), nullable=False),
        sa.Column("author_name", sa.String(length=200), nullable=False),
        sa.Column("submitted_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("outcome", sa.String(length=20), nullable=True),
        sa.Column("response", sa.Text(), nullable=True),
        sa.Column("handled_by", sa.String(length=150), nullable=True),
        sa.Column("handled_by_name", sa.String(length=200), nullable=True),
        sa.Column("handled_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.ForeignKeyConstraint(
            ["organization_id"],
            ["organizations.id"],
            name=op.f("fk_agreement_comments_organization_id_organizations"),
        ),
        sa.ForeignKeyConstraint(
            ["round_id"],
            ["agreement_comment_rounds.id"],
            name=op.f("fk_agreement_comments_round_id_agreement_comment_rounds"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_agreement_comments")),
    )
    op.create_index(
        op.f("ix_agreement_comments_round_id"), "agreement_comments", ["round_id"], unique=False
    )
    op.create_table(
        "operator_rules",
        sa.Column("operator_id", sa.Uuid(), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("file_name", sa.String(length=200), nullable=True),
        sa.Column("file_sm3", sa.String(length=64), nullable=True),
        sa.Column("file_bytes", sa.Integer(), nullable=True),
        sa.Column("content", sa.JSON(), nullable=False),
        sa.Column("digest", sa.String(length=64), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("filed_by", sa.String(length=150), nullable=False),
        sa.Column("filed_by_name", sa.String(length=200), nullable=False),
        sa.Column("filed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("reviewed_by", sa.String(length=150), nullable=True),
        sa.Column("reviewed_by_name", sa.String(length=200), nullable=True),
        sa.Column("reviewed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("review_note", sa.Text(), nullable=True),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.ForeignKeyConstraint(
            ["operator_id"],
            ["organizations.id"],
            name=op.f("fk_operator_rules_operator_id_organizations"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_operator_rules")),
        sa.UniqueConstraint(
            "operator_id", "kind", "version", name=op.f("uq_operator_rules_operator_id")
        ),
    )
    op.create_index(
        op.f("ix_operator_rules_operator_id"), "operator_rules", ["operator_id"], unique=False
    )
    op.create_index(op.f("ix_operator_rules_status"), "operator_rules", ["status"], unique=False)


def downgrade() -> None:
    op.drop_index(op.f("ix_operator_rules_status"), table_name="operator_rules")
    op.drop_index(op.f("ix_operator_rules_operator_id"), table_name="operator_rules")
    op.drop_table("operator_rules")
    op.drop_index(op.f("ix_agreement_comments_round_id"), table_name="agreement_comments")
    op.drop_table("agreement_comments")
    op.drop_index(
        op.f("ix_agreement_comment_parties_round_id"), table_name="agreement_comment_parties"
    )
    op.drop_index(
        op.f("ix_agreement_comment_parties_organization_id"),
        table_name="agreement_comment_parties",
    )
    op.drop_table("agreement_comment_parties")
    op.drop_index(op.f("ix_agreement_comment_rounds_status"), table_name="agreement_comment_rounds")
    op.drop_index(
        op.f("ix_agreement_comment_rounds_authorization_id"),
        table_name="agreement_comment_rounds",
    )
    op.drop_table("agreement_comment_rounds")
