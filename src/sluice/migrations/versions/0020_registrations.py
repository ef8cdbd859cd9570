"""the registration workflow, its objections and certificates (issue 12)

* ``registrations``: the register: code, kind and subject, what the subject is called and
  its summary, the holder, status (registered, cancelled), the term, the certificate version.
* ``registration_applications``: first registrations, changes, corrections, renewals and
  cancellations: the subject as described when filed, the statement, the evidence digest,
  status, the deadlines (acceptance, review, notice) and what was decided.
* ``registration_materials``: the documents filed, sealed, with their SM3.
* ``registration_certificates``: every certificate issued, its content, SM3 digest and the
  registry's SM2 signature.
* ``registration_objections``: real-name objections during the public notice.
* ``registration_sequences``: the last number issued per kind and year.

Revision ID: 0020
Revises: 0019
Create Date: 2026-12-04
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0020"
down_revision: str | None = "0019"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

#: Applications still waiting for the registry: one at a time per subject.
OPEN = "status IN ('applied', 'accepted', 'in_notice')"


def upgrade() -> None:
    op.create_table(
        "registrations",
        sa.Column("code", sa.String(length=40), nullable=False),
        sa.Column("kind", sa.String(length=40), nullable=False),
        sa.Column("subject_id", sa.Uuid(), nullable=False),
        sa.Column("reference", sa.String(length=100), nullable=False),
        sa.Column("title", sa.String(length=300), nullable=False),
        sa.Column("summary", sa.Text(), nullable=False),
        sa.Column("holder_id", sa.Uuid(), nullable=False),
        sa.Column("holder_name", sa.String(length=200), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("registered_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("valid_from", sa.DateTime(timezone=True), nullable=False),
        sa.Column("valid_until", sa.DateTime(timezone=True), nullable=False),
        sa.Column("cancelled_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.ForeignKeyConstraint(
            ["holder_id"],
            ["organizations.id"],
            name=op.f("fk_registrations_holder_id_organizations"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_registrations")),
        sa.UniqueConstraint("code", name=op.f("uq_registrations_code")),
    )
    with op.batch_alter_table("registrations", schema=None) as batch_op:
        batch_op.create_index("ix_registrations_kind_subject", ["kind", "subject_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_registrations_holder_id"), ["holder_id"], unique=False)

    op.create_table(
        "registration_applications",
        sa.Column("kind", sa.String(length=40), nullable=False),
        sa.Column("subject_id", sa.Uuid(), nullable=False),
        sa.Column("type", sa.String(length=20), nullable=False),
        sa.Column("registration_id", sa.Uuid(), nullable=True),
        sa.Column("applicant_id", sa.Uuid(), nullable=False),
        sa.Column("applicant_name", sa.String(length=200), nullable=False),
        sa.Column("applied_by", sa.String(length=150), nullable=False),
        sa.Column("applied_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("reference", sa.String(length=100), nullable=False),
        sa.Column("title", sa.String(length=300), nullable=False),
        sa.Column("summary", sa.Text(), nullable=False),
        sa.Column("statement", sa.Text(), nullable=False),
        sa.Column("evidence_sm3", sa.String(length=64), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("accept_due", sa.Date(), nullable=False),
        sa.Column("accepted_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("accepted_by", sa.String(length=150), nullable=True),
        sa.Column("review_due", sa.Date(), nullable=True),
        sa.Column("notice_from", sa.Date(), nullable=True),
        sa.Column("notice_until", sa.Date(), nullable=True),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("decided_by", sa.String(length=150), nullable=True),
        sa.Column("decision_reason", sa.Text(), nullable=True),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.ForeignKeyConstraint(
            ["registration_id"],
            ["registrations.id"],
            name=op.f("fk_registration_applications_registration_id_registrations"),
        ),
        sa.ForeignKeyConstraint(
            ["applicant_id"],
            ["organizations.id"],
            name=op.f("fk_registration_applications_applicant_id_organizations"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_registration_applications")),
    )
    with op.batch_alter_table("registration_applications", schema=None) as batch_op:
        batch_op.create_index(
            "ix_registration_applications_kind_subject", ["kind", "subject_id"], unique=False
        )
        batch_op.create_index(
            "ix_registration_applications_status_applied", ["status", "applied_at"], unique=False
        )
        batch_op.create_index(
            "uq_registration_applications_open",
            ["kind", "subject_id"],
            unique=True,
            postgresql_where=sa.text(OPEN),
            sqlite_where=sa.text(OPEN),
        )
        batch_op.create_index(
            batch_op.f("ix_registration_applications_registration_id"),
            ["registration_id"],
            unique=False,
        )
        batch_op.create_index(
            batch_op.f("ix_registration_applications_applicant_id"),
            ["applicant_id"],
            unique=False,
        )

    op.create_table(
        "registration_materials",
        sa.Column("application_id", sa.Uuid(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("media_type", sa.String(length=100), nullable=False),
        sa.Column("size", sa.BigInteger(), nullable=False),
        sa.Column("sm3", sa.String(length=64), nullable=False),
        sa.Column("sealed", sa.LargeBinary(), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.ForeignKeyConstraint(
            ["application_id"],
            ["registration_applications.id"],
            name=op.f("fk_registration_materials_application_id_registration_applications"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_registration_materials")),
    )
    with op.batch_alter_table("registration_materials", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_registration_materials_application_id"),
            ["application_id"],
            unique=False,
        )

    op.create_table(
        "registration_certificates",
        sa.Column("registration_id", sa.Uuid(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("application_id", sa.Uuid(), nullable=False),
        sa.Column("issued_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("content", sa.JSON(), nullable=False),
        sa.Column("digest", sa.String(length=64), nullable=False),
        sa.Column("signer_organization_id", sa.Uuid(), nullable=False),
        sa.Column("public_key_hex", sa.String(length=200), nullable=False),
        sa.Column("signature_hex", sa.String(length=200), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.ForeignKeyConstraint(
            ["registration_id"],
            ["registrations.id"],
            name=op.f("fk_registration_certificates_registration_id_registrations"),
        ),
        sa.ForeignKeyConstraint(
            ["application_id"],
            ["registration_applications.id"],
            name=op.f("fk_registration_certificates_application_id_registration_applications"),
        ),
        sa.ForeignKeyConstraint(
            ["signer_organization_id"],
            ["organizations.id"],
            name=op.f("fk_registration_certificates_signer_organization_id_organizations"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_registration_certificates")),
        sa.UniqueConstraint(
            "registration_id",
            "version",
            name="uq_registration_certificates_registration_version",
        ),
    )

    op.create_table(
        "registration_objections",
        sa.Column("application_id", sa.Uuid(), nullable=False),
        sa.Column("filed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("objector_user_id", sa.Uuid(), nullable=True),
        sa.Column("objector_username", sa.String(length=150), nullable=False),
        sa.Column("objector_name", sa.String(length=200), nullable=False),
        sa.Column("objector_organization_id", sa.Uuid(), nullable=True),
        sa.Column("objector_organization", sa.String(length=200), nullable=True),
        sa.Column("grounds", sa.Text(), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("decided_by", sa.String(length=150), nullable=True),
        sa.Column("decision_reason", sa.Text(), nullable=True),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.ForeignKeyConstraint(
            ["application_id"],
            ["registration_applications.id"],
            name=op.f("fk_registration_objections_application_id_registration_applications"),
        ),
        sa.ForeignKeyConstraint(
            ["objector_user_id"],
            ["users.id"],
            name=op.f("fk_registration_objections_objector_user_id_users"),
        ),
        sa.ForeignKeyConstraint(
            ["objector_organization_id"],
            ["organizations.id"],
            name=op.f("fk_registration_objections_objector_organization_id_organizations"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_registration_objections")),
    )
    with op.batch_alter_table("registration_objections", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_registration_objections_application_id"),
            ["application_id"],
            unique=False,
        )

    op.create_table(
        "registration_sequences",
        sa.Column("prefix", sa.String(length=40), nullable=False),
        sa.Column("last", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("prefix", name=op.f("pk_registration_sequences")),
    )


def downgrade() -> None:
    op.drop_table("registration_sequences")
    with op.batch_alter_table("registration_objections", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_registration_objections_application_id"))
    op.drop_table("registration_objections")
    op.drop_table("registration_certificates")
    with op.batch_alter_table("registration_materials", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_registration_materials_application_id"))
    op.drop_table("registration_materials")
    with op.batch_alter_table("registration_applications", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_registration_applications_applicant_id"))
        batch_op.drop_index(batch_op.f("ix_registration_applications_registration_id"))
        batch_op.drop_index("uq_registration_applications_open")
        batch_op.drop_index("ix_registration_applications_status_applied")
        batch_op.drop_index("ix_registration_applications_kind_subject")
    op.drop_table("registration_applications")
    with op.batch_alter_table("registrations", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_registrations_holder_id"))
        batch_op.drop_index("ix_registrations_kind_subject")
    op.drop_table("registrations")
