"""competitive consultation: rounds, criteria, candidates, panel members, scores

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-27
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "selection_rounds",
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("scenario", sa.String(length=100), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("announced_on", sa.Date(), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("opened_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("scoring_started_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("scoring_closed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("published_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("cancelled_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("cancel_reason", sa.Text(), nullable=True),
        sa.Column("selected_organization_id", sa.Uuid(), nullable=True),
        sa.Column("selection_reason", sa.Text(), nullable=True),
        sa.Column("selected_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("selected_by_username", sa.String(length=150), nullable=True),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.ForeignKeyConstraint(
            ["selected_organization_id"],
            ["organizations.id"],
            name=op.f("fk_selection_rounds_selected_organization_id_organizations"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_selection_rounds")),
    )
    with op.batch_alter_table("selection_rounds", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_selection_rounds_scenario"), ["scenario"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_selection_rounds_selected_organization_id"),
            ["selected_organization_id"],
            unique=False,
        )
        batch_op.create_index(batch_op.f("ix_selection_rounds_status"), ["status"], unique=False)

    op.create_table(
        "selection_criteria",
        sa.Column("round_id", sa.Uuid(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("weight", sa.Integer(), nullable=False),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.CheckConstraint(
            "weight >= 1 AND weight <= 100", name=op.f("ck_selection_criteria_weight_percent")
        ),
        sa.ForeignKeyConstraint(
            ["round_id"],
            ["selection_rounds.id"],
            name=op.f("fk_selection_criteria_round_id_selection_rounds"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_selection_criteria")),
        sa.UniqueConstraint("round_id", "name", name="uq_selection_criteria_round_id_name"),
    )
    with op.batch_alter_table("selection_criteria", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_selection_criteria_round_id"), ["round_id"], unique=False
        )

    op.create_table(
        "selection_candidates",
        sa.Column("round_id", sa.Uuid(), nullable=False),
        sa.Column("organization_id", sa.Uuid(), nullable=False),
        sa.Column("application_id", sa.Uuid(), nullable=False),
        sa.Column("registered_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.ForeignKeyConstraint(
            ["application_id"],
            ["operator_applications.id"],
            name=op.f("fk_selection_candidates_application_id_operator_applications"),
        ),
        sa.ForeignKeyConstraint(
            ["organization_id"],
            ["organizations.id"],
            name=op.f("fk_selection_candidates_organization_id_organizations"),
        ),
        sa.ForeignKeyConstraint(
            ["round_id"],
            ["selection_rounds.id"],
            name=op.f("fk_selection_candidates_round_id_selection_rounds"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_selection_candidates")),
        sa.UniqueConstraint(
            "round_id",
            "organization_id",
            name="uq_selection_candidates_round_id_organization_id",
        ),
    )
    with op.batch_alter_table("selection_candidates", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_selection_candidates_organization_id"),
            ["organization_id"],
            unique=False,
        )
        batch_op.create_index(
            batch_op.f("ix_selection_candidates_round_id"), ["round_id"], unique=False
        )

    op.create_table(
        "selection_panel_members",
        sa.Column("round_id", sa.Uuid(), nullable=False),
        sa.Column("user_id", sa.Uuid(), nullable=False),
        sa.Column("display_name", sa.String(length=200), nullable=False),
        sa.Column("named_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.ForeignKeyConstraint(
            ["round_id"],
            ["selection_rounds.id"],
            name=op.f("fk_selection_panel_members_round_id_selection_rounds"),
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_selection_panel_members_user_id_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_selection_panel_members")),
        sa.UniqueConstraint(
            "round_id", "user_id", name="uq_selection_panel_members_round_id_user_id"
        ),
    )
    with op.batch_alter_table("selection_panel_members", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_selection_panel_members_round_id"), ["round_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_selection_panel_members_user_id"), ["user_id"], unique=False
        )

    op.create_table(
        "selection_scores",
        sa.Column("round_id", sa.Uuid(), nullable=False),
        sa.Column("member_id", sa.Uuid(), nullable=False),
        sa.Column("candidate_id", sa.Uuid(), nullable=False),
        sa.Column("criterion_id", sa.Uuid(), nullable=False),
        sa.Column("score", sa.Integer(), nullable=False),
        sa.Column("scored_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.CheckConstraint(
            "score >= 0 AND score <= 100", name=op.f("ck_selection_scores_score_range")
        ),
        sa.ForeignKeyConstraint(
            ["candidate_id"],
            ["selection_candidates.id"],
            name=op.f("fk_selection_scores_candidate_id_selection_candidates"),
        ),
        sa.ForeignKeyConstraint(
            ["criterion_id"],
            ["selection_criteria.id"],
            name=op.f("fk_selection_scores_criterion_id_selection_criteria"),
        ),
        sa.ForeignKeyConstraint(
            ["member_id"],
            ["selection_panel_members.id"],
            name=op.f("fk_selection_scores_member_id_selection_panel_members"),
        ),
        sa.ForeignKeyConstraint(
            ["round_id"],
            ["selection_rounds.id"],
            name=op.f("fk_selection_scores_round_id_selection_rounds"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_selection_scores")),
        sa.UniqueConstraint(
            "member_id",
            "candidate_id",
            "criterion_id",
            name="uq_selection_scores_member_id_candidate_id_criterion_id",
        ),
    )
    with op.batch_alter_table("selection_scores", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_selection_scores_round_id"), ["round_id"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("selection_scores", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_selection_scores_round_id"))
    op.drop_table("selection_scores")
    with op.batch_alter_table("selection_panel_members", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_selection_panel_members_user_id"))
        batch_op.drop_index(batch_op.f("ix_selection_panel_members_round_id"))
    op.drop_table("selection_panel_members")
    with op.batch_alter_table("selection_candidates", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_selection_candidates_round_id"))
        batch_op.drop_index(batch_op.f("ix_selection_candidates_organization_id"))
    op.drop_table("selection_candidates")
    with op.batch_alter_table("selection_criteria", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_selection_criteria_round_id"))
    op.drop_table("selection_criteria")
    with op.batch_alter_table("selection_rounds", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_selection_rounds_status"))
        batch_op.drop_index(batch_op.f("ix_selection_rounds_selected_organization_id"))
        batch_op.drop_index(batch_op.f("ix_selection_rounds_scenario"))
    op.drop_table("selection_rounds")
