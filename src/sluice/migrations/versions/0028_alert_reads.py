"""what the alert rules read, joined exactly and indexed (issue 13)

* ``consent_uses`` gains ``call_id``: the gateway call a use record belongs to (the call's
  request id, its row in ``gateway_calls``), so the enumeration rule joins a key's calls to
  the subjects they named by id instead of by buyer, product, kind and instant (two calls
  of one buyer and product at one instant could be crossed). Existing records are matched
  once here the old way. Indexed, with ``used_at`` (the rule reads a window of uses).
* ``gateway_calls`` gains an index on ``(at, api_key_id, outcome)``: the rate-spike and
  refusal-ratio rules count a window's calls per key (6.6 s over a million calls without
  it, 1.2 s with it).

Revision ID: 0028
Revises: 0027
Create Date: 2026-12-04
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0028"
down_revision: str | None = "0027"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("consent_uses", schema=None) as batch_op:
        batch_op.add_column(sa.Column("call_id", sa.Uuid(), nullable=True))
    op.execute(
        "UPDATE consent_uses SET call_id = (SELECT c.id FROM gateway_calls c "
        "WHERE c.buyer_id = consent_uses.buyer_id AND c.product_id = consent_uses.product_id "
        "AND c.kind = consent_uses.kind AND c.at = consent_uses.used_at "
        "ORDER BY c.id LIMIT 1)"
    )
    with op.batch_alter_table("consent_uses", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_consent_uses_call_id"), ["call_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_consent_uses_used_at"), ["used_at"], unique=False)
    with op.batch_alter_table("gateway_calls", schema=None) as batch_op:
        batch_op.create_index(
            "ix_gateway_calls_at_key_outcome", ["at", "api_key_id", "outcome"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("gateway_calls", schema=None) as batch_op:
        batch_op.drop_index("ix_gateway_calls_at_key_outcome")
    with op.batch_alter_table("consent_uses", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_consent_uses_used_at"))
        batch_op.drop_index(batch_op.f("ix_consent_uses_call_id"))
        batch_op.drop_column("call_id")
