"""What the buyer gateway keeps: subscriptions, signing secrets, nonces, counters, the call
log, metered events and fingerprinted downloads.

* ``Subscription``: a buyer organization's subscription to one product, with its quota per
  period (day or month) and its rate (per second or minute). At most one is active per
  buyer and product; cancelled and ended ones stay as history.
* ``SigningSecret``: an API key's optional HMAC-SM3 secret, sealed (SM4-GCM) under the key
  store's ``gateway-signing`` data key; shown to the buyer once, when it is made.
* ``Nonce``: a signed request's nonce, remembered per key until its timestamp can no longer
  be accepted; the unique key refuses a second use on every worker (``replay``).
* ``Counter``: one row per limited thing (a subscription's quota, its rate, a key's rate, a
  period's first billable call): the current window's start and what it used. It is only
  ever changed by one conditional upsert, so it never counts past its limit, whatever the
  number of workers.
* ``Call``: one row per gateway call, answered or refused after the key was known.
* ``MeteredEvent``: one per billable call or download, in integer fen, with the price and
  the pricing rule in force at that moment (the ledger will book them).
* ``Download``: a dataset download with its fingerprint seed and SM3, so a leaked copy can
  be traced to its buyer.
"""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import BigInteger, ForeignKey, Index, LargeBinary, String, Text, text
from sqlalchemy.orm import Mapped, mapped_column

from sluice.core.database import Base, UUIDPrimaryKey


class Subscription(UUIDPrimaryKey, Base):
    """``status`` only changes through ``states.SUBSCRIPTION.fire``."""

    __tablename__ = "gateway_subscriptions"
    __table_args__ = (
        Index(
            "uq_gateway_subscriptions_active_buyer_product",
            "buyer_id",
            "product_id",
            unique=True,
            sqlite_where=text("status = 'active'"),
            postgresql_where=text("status = 'active'"),
        ),
        Index("ix_gateway_subscriptions_product_status", "product_id", "status"),
    )

    buyer_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("organizations.id"), index=True)
    #: The product; its code as it was when subscribed, for lists.
    product_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("products.id"))
    product_code: Mapped[str] = mapped_column(String(64))
    #: The product's agreement chain (its first agreement): the subscription ends with it.
    owner_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("authorizations.id"), index=True)
    #: ``active``, ``cancelled`` or ``ended`` (``states.SUBSCRIPTION``).
    status: Mapped[str] = mapped_column(String(20))
    #: Calls allowed per ``quota_period`` (``day`` or ``month``, Beijing time).
    quota_limit: Mapped[int]
    quota_period: Mapped[str] = mapped_column(String(10))
    #: Calls allowed per ``rate_period`` (``second`` or ``minute``).
    rate_limit: Mapped[int]
    rate_period: Mapped[str] = mapped_column(String(10))
    subscribed_by: Mapped[str] = mapped_column(String(150))
    subscribed_at: Mapped[datetime]
    ended_at: Mapped[datetime | None]
    end_reason: Mapped[str | None] = mapped_column(Text)


class SigningSecret(Base):
    """An API key's request-signing secret, sealed; the plaintext was shown once."""

    __tablename__ = "gateway_signing_secrets"

    api_key_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("api_keys.id"), primary_key=True)
    sealed: Mapped[bytes] = mapped_column(LargeBinary)
    created_by: Mapped[str] = mapped_column(String(150))
    created_at: Mapped[datetime]


class Nonce(Base):
    """A nonce one key used; a second request with it is a replay until ``expires_at``."""

    __tablename__ = "gateway_nonces"

    api_key_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("api_keys.id"), primary_key=True)
    nonce: Mapped[str] = mapped_column(String(64), primary_key=True)
    expires_at: Mapped[datetime] = mapped_column(index=True)


class Counter(Base):
    """How much of a limit the current window used (see ``quotas``)."""

    __tablename__ = "gateway_counters"

    #: ``quota:<buyer>:<product>``, ``rate:<buyer>:<product>``, ``key:<api key>``,
    #: ``period:<buyer>:<product>``.
    scope: Mapped[str] = mapped_column(String(100), primary_key=True)
    window_start: Mapped[datetime]
    used: Mapped[int]
    #: The limit the last count was held to (the upsert compares with it).
    limit_value: Mapped[int]


class Call(Base):
    """One gateway call (or download) and how it ended: ``answered`` or a refusal code."""

    __tablename__ = "gateway_calls"
    __table_args__ = (
        Index("ix_gateway_calls_buyer_at", "buyer_id", "at"),
        Index("ix_gateway_calls_product_at", "product_id", "at"),
        # The alert rules count a window's calls per key and outcome.
        Index("ix_gateway_calls_at_key_outcome", "at", "api_key_id", "outcome"),
    )

    #: The request id the buyer is told (``request_id``).
    id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    buyer_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("organizations.id"))
    api_key_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("api_keys.id"))
    #: None when the code named no product.
    product_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("products.id"))
    product_code: Mapped[str] = mapped_column(String(64))
    #: ``call`` or ``download``.
    kind: Mapped[str] = mapped_column(String(10))
    purpose: Mapped[str | None] = mapped_column(String(200))
    consent_id: Mapped[uuid.UUID | None]
    outcome: Mapped[str] = mapped_column(String(40))
    status: Mapped[int]
    latency_ms: Mapped[int]
    at: Mapped[datetime] = mapped_column(index=True)


class MeteredEvent(UUIDPrimaryKey, Base):
    """A billable call or download, priced as it was at that moment."""

    __tablename__ = "metered_events"
    __table_args__ = (
        Index("ix_metered_events_product_at", "product_id", "at"),
        Index("ix_metered_events_buyer_at", "buyer_id", "at"),
    )

    call_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("gateway_calls.id"), unique=True)
    buyer_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("organizations.id"))
    api_key_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("api_keys.id"))
    product_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("products.id"))
    subscription_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("gateway_subscriptions.id"))
    #: The product's billing unit (``call``, ``item``, ``period``, ``volume``).
    unit: Mapped[str] = mapped_column(String(10))
    quantity: Mapped[int]
    unit_price_fen: Mapped[int] = mapped_column(BigInteger)
    amount_fen: Mapped[int] = mapped_column(BigInteger)
    #: The price rule in force (``CallableProduct.pricing_rule``).
    pricing_rule: Mapped[str] = mapped_column(String(200))
    at: Mapped[datetime]


class Download(Base):
    """A fingerprinted dataset download: whose it was, and the seed its fingerprint came from."""

    __tablename__ = "gateway_downloads"
    __table_args__ = (Index("ix_gateway_downloads_product_at", "product_id", "at"),)

    #: The download id the fingerprint was made for.
    id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    call_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("gateway_calls.id"), unique=True)
    buyer_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("organizations.id"), index=True)
    api_key_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("api_keys.id"))
    product_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("products.id"))
    file_name: Mapped[str] = mapped_column(String(200))
    rows: Mapped[int]
    seed_hex: Mapped[str] = mapped_column(String(128))
    sm3: Mapped[str] = mapped_column(String(64))
    at: Mapped[datetime]
