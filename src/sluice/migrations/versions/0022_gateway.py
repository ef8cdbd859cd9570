"""subscriptions, quotas, request signing, calls, downloads and metered events (issue 12)

* ``api_keys`` gains ``suspended_at`` and ``suspended_reason``: the bureau suspends a key
  with a reason and resumes it.
* ``gateway_subscriptions``: a buyer's subscription to a product, its quota per day or
  month and its rate per second or minute; at most one active per buyer and product.
* ``gateway_signing_secrets``: an API key's HMAC-SM3 secret, sealed under the key store.
* ``gateway_nonces``: nonces of signed requests per key, until they expire (replays).
* ``gateway_counters``: the current window of each quota and rate, counted by one
  conditional upsert.
* ``gateway_calls``: every call with its outcome and latency.
* ``metered_events``: every billable call or download, in fen, with the pricing rule.
* ``gateway_downloads``: fingerprinted downloads with their seed and SM3.

Revision ID: 0022
Revises: 0021
Create Date: 2026-12-04
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0022"
down_revision: str | None = "0021"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("api_keys", schema=None) as batch_op:
        batch_op.add_column(sa.Column("suspended_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("suspended_reason", sa.Text(), nullable=True))

    op.create_table(
        "gateway_subscriptions",
        sa.Column("buyer_id", sa.Uuid(), nullable=False),
        sa.Column("product_id", sa.Uuid(), nullable=False),
        sa.Column("product_code", sa.String(length=64), nullable=False),
        sa.Column("owner_id", sa.Uuid(), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("quota_limit", sa.Integer(), nullable=False),
        sa.Column("quota_period", sa.String(length=10), nullable=False),
        sa.Column("rate_limit", sa.Integer(), nullable=False),
        sa.Column("rate_period", sa.String(length=10), nullable=False),
        sa.Column("subscribed_by", sa.String(length=150), nullable=False),
        sa.Column("subscribed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("ended_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("end_reason", sa.Text(), nullable=True),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.ForeignKeyConstraint(
            ["buyer_id"],
            ["organizations.id"],
            name=op.f("fk_gateway_subscriptions_buyer_id_organizations"),
        ),
        sa.ForeignKeyConstraint(
            ["product_id"],
            ["products.id"],
            name=op.f("fk_gateway_subscriptions_product_id_products"),
        ),
        sa.ForeignKeyConstraint(
            ["owner_id"],
            ["authorizations.id"],
            name=op.f("fk_gateway_subscriptions_owner_id_authorizations"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_gateway_subscriptions")),
    )
    with op.batch_alter_table("gateway_subscriptions", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_gateway_subscriptions_buyer_id"), ["buyer_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_gateway_subscriptions_owner_id"), ["owner_id"], unique=False
        )
        batch_op.create_index(
            "ix_gateway_subscriptions_product_status", ["product_id", "status"], unique=False
        )
        batch_op.create_index(
            "uq_gateway_subscriptions_active_buyer_product",
            ["buyer_id", "product_id"],
            unique=True,
            sqlite_where=sa.text("status = 'active'"),
            postgresql_where=sa.text("status = 'active'"),
        )

    op.create_table(
        "gateway_signing_secrets",
        sa.Column("api_key_id", sa.Uuid(), nullable=False),
        sa.Column("sealed", sa.LargeBinary(), nullable=False),
        sa.Column("created_by", sa.String(length=150), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["api_key_id"],
            ["api_keys.id"],
            name=op.f("fk_gateway_signing_secrets_api_key_id_api_keys"),
        ),
        sa.PrimaryKeyConstraint("api_key_id", name=op.f("pk_gateway_signing_secrets")),
    )

    op.create_table(
        "gateway_nonces",
        sa.Column("api_key_id", sa.Uuid(), nullable=False),
        sa.Column("nonce", sa.String(length=64), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["api_key_id"], ["api_keys.id"], name=op.f("fk_gateway_nonces_api_key_id_api_keys")
        ),
        sa.PrimaryKeyConstraint("api_key_id", "nonce", name=op.f("pk_gateway_nonces")),
    )
    with op.batch_alter_table("gateway_nonces", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_gateway_nonces_expires_at"), ["expires_at"], unique=False
        )

    op.create_table(
        "gateway_counters",
        sa.Column("scope", sa.String(length=100), nullable=False),
        sa.Column("window_start", sa.DateTime(timezone=True), nullable=False),
        sa.Column("used", sa.Integer(), nullable=False),
        sa.Column("limit_value", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("scope", name=op.f("pk_gateway_counters")),
    )

    op.create_table(
        "gateway_calls",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("buyer_id", sa.Uuid(), nullable=False),
        sa.Column("api_key_id", sa.Uuid(), nullable=False),
        sa.Column("product_id", sa.Uuid(), nullable=True),
        sa.Column("product_code", sa.String(length=64), nullable=False),
        sa.Column("kind", sa.String(length=10), nullable=False),
        sa.Column("purpose", sa.String(length=200), nullable=True),
        sa.Column("consent_id", sa.Uuid(), nullable=True),
        sa.Column("outcome", sa.String(length=40), nullable=False),
        sa.Column("status", sa.Integer(), nullable=False),
        sa.Column("latency_ms", sa.Integer(), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["buyer_id"], ["organizations.id"], name=op.f("fk_gateway_calls_buyer_id_organizations")
        ),
        sa.ForeignKeyConstraint(
            ["api_key_id"], ["api_keys.id"], name=op.f("fk_gateway_calls_api_key_id_api_keys")
        ),
        sa.ForeignKeyConstraint(
            ["product_id"], ["products.id"], name=op.f("fk_gateway_calls_product_id_products")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_gateway_calls")),
    )
    with op.batch_alter_table("gateway_calls", schema=None) as batch_op:
        batch_op.create_index("ix_gateway_calls_buyer_at", ["buyer_id", "at"], unique=False)
        batch_op.create_index("ix_gateway_calls_product_at", ["product_id", "at"], unique=False)
        batch_op.create_index(batch_op.f("ix_gateway_calls_at"), ["at"], unique=False)

    op.create_table(
        "metered_events",
        sa.Column("call_id", sa.Uuid(), nullable=False),
        sa.Column("buyer_id", sa.Uuid(), nullable=False),
        sa.Column("api_key_id", sa.Uuid(), nullable=False),
        sa.Column("product_id", sa.Uuid(), nullable=False),
        sa.Column("subscription_id", sa.Uuid(), nullable=False),
        sa.Column("unit", sa.String(length=10), nullable=False),
        sa.Column("quantity", sa.Integer(), nullable=False),
        sa.Column("unit_price_fen", sa.BigInteger(), nullable=False),
        sa.Column("amount_fen", sa.BigInteger(), nullable=False),
        sa.Column("pricing_rule", sa.String(length=200), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.ForeignKeyConstraint(
            ["call_id"], ["gateway_calls.id"], name=op.f("fk_metered_events_call_id_gateway_calls")
        ),
        sa.ForeignKeyConstraint(
            ["buyer_id"],
            ["organizations.id"],
            name=op.f("fk_metered_events_buyer_id_organizations"),
        ),
        sa.ForeignKeyConstraint(
            ["api_key_id"], ["api_keys.id"], name=op.f("fk_metered_events_api_key_id_api_keys")
        ),
        sa.ForeignKeyConstraint(
            ["product_id"], ["products.id"], name=op.f("fk_metered_events_product_id_products")
        ),
        sa.ForeignKeyConstraint(
            ["subscription_id"],
            ["gateway_subscriptions.id"],
            name=op.f("fk_metered_events_subscription_id_gateway_subscriptions"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_metered_events")),
        sa.UniqueConstraint("call_id", name=op.f("uq_metered_events_call_id")),
    )
    with op.batch_alter_table("metered_events", schema=None) as batch_op:
        batch_op.create_index("ix_metered_events_product_at", ["product_id", "at"], unique=False)
        batch_op.create_index("ix_metered_events_buyer_at", ["buyer_id", "at"], unique=False)

    op.create_table(
        "gateway_downloads",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("call_id", sa.Uuid(), nullable=False),
        sa.Column("buyer_id", sa.Uuid(), nullable=False),
        sa.Column("api_key_id", sa.Uuid(), nullable=False),
        sa.Column("product_id", sa.Uuid(), nullable=False),
        sa.Column("file_name", sa.String(length=200), nullable=False),
        sa.Column("rows", sa.Integer(), nullable=False),
        sa.Column("seed_hex", sa.String(length=128), nullable=False),
        sa.Column("sm3", sa.String(length=64), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["call_id"],
            ["gateway_calls.id"],
            name=op.f("fk_gateway_downloads_call_id_gateway_calls"),
        ),
        sa.ForeignKeyConstraint(
            ["buyer_id"],
            ["organizations.id"],
            name=op.f("fk_gateway_downloads_buyer_id_organizations"),
        ),
        sa.ForeignKeyConstraint(
            ["api_key_id"], ["api_keys.id"], name=op.f("fk_gateway_downloads_api_key_id_api_keys")
        ),
        sa.ForeignKeyConstraint(
            ["product_id"],
            ["products.id"],
            name=op.f("fk_gateway_downloads_product_id_products"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_gateway_downloads")),
        sa.UniqueConstraint("call_id", name=op.f("uq_gateway_downloads_call_id")),
    )
    with op.batch_alter_table("gateway_downloads", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_gateway_downloads_buyer_id"), ["buyer_id"], unique=False
        )
        batch_op.create_index("ix_gateway_downloads_product_at", ["product_id", "at"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("gateway_downloads", schema=None) as batch_op:
        batch_op.drop_index("ix_gateway_downloads_product_at")
        batch_op.drop_index(batch_op.f("ix_gateway_downloads_buyer_id"))
    op.drop_table("gateway_downloads")
    with op.batch_alter_table("metered_events", schema=None) as batch_op:
        batch_op.drop_index("ix_metered_events_buyer_at")
        batch_op.drop_index("ix_metered_events_product_at")
    op.drop_table("metered_events")
    with op.batch_alter_table("gateway_calls", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_gateway_calls_at"))
        batch_op.drop_index("ix_gateway_calls_product_at")
        batch_op.drop_index("ix_gateway_calls_buyer_at")
    op.drop_table("gateway_calls")
    op.drop_table("gateway_counters")
    with op.batch_alter_table("gateway_nonces", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_gateway_nonces_expires_at"))
    op.drop_table("gateway_nonces")
    op.drop_table("gateway_signing_secrets")
    with op.batch_alter_table("gateway_subscriptions", schema=None) as batch_op:
        batch_op.drop_index("uq_gateway_subscriptions_active_buyer_product")
        batch_op.drop_index("ix_gateway_subscriptions_product_status")
        batch_op.drop_index(batch_op.f("ix_gateway_subscriptions_owner_id"))
        batch_op.drop_index(batch_op.f("ix_gateway_subscriptions_buyer_id"))
    op.drop_table("gateway_subscriptions")
    with op.batch_alter_table("api_keys", schema=None) as batch_op:
        batch_op.drop_column("suspended_reason")
        batch_op.drop_column("suspended_at")
