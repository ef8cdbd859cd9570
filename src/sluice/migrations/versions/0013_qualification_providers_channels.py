"""qualification standing, providers authorized by law, operation channels

* ``operator_applications.business_status``: the company's registration status (登记状态)
  as the enterprise credit publicity system shows it; the automated checks refuse a revoked,
  deregistered or suspended company (R2.1). Empty on applications made before.
* ``operator_checklist_items.accepts_platform_reliance`` and
  ``operator_checklist_answers.relies_on_platform``: processing capacity may be met by
  relying on the bureau's platform (R2.6); set on the ``data_processing`` item.
* The R2.1 checklist items (civil liability, fair competition, business standing) are
  added to a checklist that already exists; an empty one gets them with the defaults when
  it is first read.
* ``organizations.authorized_by_law`` and ``legal_basis``: a provider that is an
  organization authorized by law to manage public affairs, on what law (R4.1).
* ``operation_channels``: the bureau's register of existing public-data operation channels
  of departments, counties and parks and their move onto the platform (R3.7).

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-10
"""

import uuid
from collections.abc import Sequence
from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op

revision: str = "0013"
down_revision: str | None = "0012"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

#: The R2.1 items as ``operators.checklist.DEFAULT_ITEMS`` had them at this revision.
R2_1_ITEMS = (
    (
        "civil_liability",
        "独立承担民事责任的能力",
        "Able to bear civil liability on its own",
        "营业执照、公司章程，以及以自有财产独立承担民事责任的说明（注册资本实缴情况、"
        "最近一期资产负债表）。平台自动核验统一社会信用代码和登记状态。",
        "Business licence, articles of association and a statement that the company answers "
        "for its obligations with its own assets (paid-in capital, latest balance sheet). The "
        "platform checks the credit code and the registration status itself.",
    ),
    (
        "fair_competition",
        "遵守公平竞争规则",
        "Follows fair-competition rules",
        "遵守公平竞争规则的承诺书（盖章），以及近三年无垄断、不正当竞争行政处罚或司法判决的说明。",
        "A sealed commitment to fair competition and a statement that no monopoly or "
        "unfair-competition penalty or judgment was made against the company in the last "
        "three years.",
    ),
    (
        "business_reputation",
        "良好的商业信誉",
        "Sound business standing and reputation",
        "企业信用报告（国家企业信用信息公示系统、信用中国）及主要合作方的履约评价。"
        "平台自动核验登记状态和信用记录。",
        "Credit reports (national enterprise credit information publicity system, Credit "
        "China) and main partners' references on performance. The platform checks the "
        "registration status and the credit records itself.",
    ),
)


def upgrade() -> None:
    op.add_column("operator_applications", sa.Column("business_status", sa.String(20)))
    op.add_column(
        "operator_checklist_items",
        sa.Column(
            "accepts_platform_reliance", sa.Boolean(), server_default=sa.false(), nullable=False
        ),
    )
    op.add_column(
        "operator_checklist_answers",
        sa.Column("relies_on_platform", sa.Boolean(), server_default=sa.false(), nullable=False),
    )
    op.add_column(
        "organizations",
        sa.Column("authorized_by_law", sa.Boolean(), server_default=sa.false(), nullable=False),
    )
    op.add_column("organizations", sa.Column("legal_basis", sa.Text()))
    _add_r2_1_items()
    op.create_table(
        "operation_channels",
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("owner_kind", sa.String(length=20), nullable=False),
        sa.Column("owner_name", sa.String(length=200), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("plan", sa.Text(), nullable=False),
        sa.Column("move_by", sa.Date(), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("moved_on", sa.Date(), nullable=True),
        sa.Column("created_by", sa.String(length=150), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_operation_channels")),
        sa.UniqueConstraint("name", name=op.f("uq_operation_channels_name")),
    )
    with op.batch_alter_table("operation_channels", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_operation_channels_owner_kind"), ["owner_kind"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_operation_channels_status"), ["status"], unique=False)


def _add_r2_1_items() -> None:
    """A checklist in use gets the R2.1 items first in order, and processing capacity
    accepts the platform path. An empty one is seeded whole from the defaults later."""
    items = sa.table(
        "operator_checklist_items",
        sa.column("id", sa.Uuid()),
        sa.column("key", sa.String()),
        sa.column("requirement", sa.String()),
        sa.column("title_zh", sa.String()),
        sa.column("title_en", sa.String()),
        sa.column("description_zh", sa.Text()),
        sa.column("description_en", sa.Text()),
        sa.column("evidence_required", sa.Boolean()),
        sa.column("accepts_platform_reliance", sa.Boolean()),
        sa.column("active", sa.Boolean()),
        sa.column("position", sa.Integer()),
        sa.column("created_at", sa.DateTime(timezone=True)),
        sa.column("updated_at", sa.DateTime(timezone=True)),
    )
    connection = op.get_bind()
    keys = set(connection.scalars(sa.select(items.c.key)))
    if not keys:
        return
    connection.execute(
        items.update()
        .where(items.c.key == "data_processing")
        .values(accepts_platform_reliance=True)
    )
    now = datetime.now(UTC)
    rows = [
        {
            "id": uuid.uuid4(),
            "key": key,
            "requirement": "R2.1",
            "title_zh": title_zh,
            "title_en": title_en,
            "description_zh": description_zh,
            "description_en": description_en,
            "evidence_required": True,
            "accepts_platform_reliance": False,
            "active": True,
            "position": position,
            "created_at": now,
            "updated_at": now,
        }
        for position, (key, title_zh, title_en, description_zh, description_en) in enumerate(
            R2_1_ITEMS, start=1
        )
        if key not in keys
    ]
    if rows:
        op.bulk_insert(items, rows)


def downgrade() -> None:
    with op.batch_alter_table("operation_channels", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_operation_channels_status"))
        batch_op.drop_index(batch_op.f("ix_operation_channels_owner_kind"))
    op.drop_table("operation_channels")
    with op.batch_alter_table("organizations", schema=None) as batch_op:
        batch_op.drop_column("legal_basis")
        batch_op.drop_column("authorized_by_law")
    with op.batch_alter_table("operator_checklist_answers", schema=None) as batch_op:
        batch_op.drop_column("relies_on_platform")
    with op.batch_alter_table("operator_checklist_items", schema=None) as batch_op:
        batch_op.drop_column("accepts_platform_reliance")
    with op.batch_alter_table("operator_applications", schema=None) as batch_op:
        batch_op.drop_column("business_status")
