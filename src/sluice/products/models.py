"""Data products and the bureau's price caps.

A ``Product`` is declared by an operator from the workspace of an agreement in force and
runs over that workspace's views; what it computes is its ``spec`` (one of the types of
``guard.product_specs``), kept as JSON and checked with those models. Beside the spec it
keeps what the guard derived from it (the resources it reads), what the market shows (the
output schema, inputs, purposes, price) and what N2 compares (``name_key`` and
``fingerprint``, the SM3 of its normalised content). ``revision`` grows with every change,
so a process may keep a parsed copy keyed by (id, revision).

A ``PriceCap`` is one version of the bureau's cap for one product class (type × domain,
N5), in fen per billing unit; the newest version that has taken effect is the one in
force, and a product keeps the one it was listed under.
"""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from sluice.core.database import Base, UUIDPrimaryKey


class PriceCap(UUIDPrimaryKey, Base):
    __tablename__ = "price_caps"
    __table_args__ = (
        UniqueConstraint("product_type", "domain", "version", name="uq_price_caps_version"),
    )

    #: The class: a product type (``score``) and an industry domain (``industry:finance``).
    product_type: Mapped[str] = mapped_column(String(20))
    domain: Mapped[str] = mapped_column(String(60))
    #: 1, 2, … per class; a new cap is a new version, the old ones stay readable.
    version: Mapped[int]
    #: The most a product of the class may charge per billing unit, in fen.
    cap_fen: Mapped[int] = mapped_column(BigInteger)
    effective_from: Mapped[datetime]
    reason: Mapped[str] = mapped_column(Text)
    set_by: Mapped[str] = mapped_column(String(150))
    set_at: Mapped[datetime]


class Product(UUIDPrimaryKey, Base):
    __tablename__ = "products"
    __table_args__ = (Index("ix_products_operator_status", "operator_id", "status"),)

    #: URL-safe and unique: ``/gateway/v1/products/{code}/invoke`` and ``/market/{code}``.
    code: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    #: The name folded for comparison (N2: no re-development under another spelling).
    name_key: Mapped[str] = mapped_column(String(200), index=True)
    description: Mapped[str] = mapped_column(Text)
    #: ``verification``, ``statistics``, ``score`` or ``dataset``.
    type: Mapped[str] = mapped_column(String(20))
    #: The spec as declared (``guard.product_specs``), with its ``kind``.
    spec: Mapped[dict[str, Any]] = mapped_column(JSON)
    #: SM3 of the normalised content: type, resources read, spec and output (N2).
    fingerprint: Mapped[str] = mapped_column(String(64), index=True)
    #: The resources the spec reads, as the guard found them (``validate_spec``).
    resource_ids: Mapped[list[str]] = mapped_column(JSON)
    #: What a buyer gets back (a JSON Schema), derived from the spec.
    output_schema: Mapped[dict[str, Any]] = mapped_column(JSON)
    consent_required: Mapped[bool]
    #: The input naming the data subject, and whether that is a person or an enterprise.
    subject_input: Mapped[str | None] = mapped_column(String(63))
    subject_kind: Mapped[str | None] = mapped_column(String(20))
    #: The purposes a buyer may call it for.
    purposes: Mapped[list[str]] = mapped_column(JSON)
    #: ``governance``, ``welfare`` or ``industry:<sector>`` (the catalog's DOMAINS).
    domain: Mapped[str] = mapped_column(String(60))
    #: ``call``, ``item``, ``period`` or ``volume``.
    billing_unit: Mapped[str] = mapped_column(String(20))
    price_fen: Mapped[int] = mapped_column(BigInteger)
    #: The cap the price was listed under (industry products), and the rule as metered
    #: events name it (``free:governance``, ``cap:score:industry:finance@v2``).
    price_cap_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("price_caps.id"))
    pricing_rule: Mapped[str | None] = mapped_column(String(120))
    operator_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("organizations.id"))
    workspace_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("sandbox_workspaces.id"))
    #: The renewal chain's first agreement (the workspace's owner): N2 ignores this chain.
    owner_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("authorizations.id"), index=True)
    #: The agreement of the chain it runs under now, and that agreement's last day: past it,
    #: the next call finds the chain's agreement in force again.
    authorization_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("authorizations.id"))
    runs_until: Mapped[date | None]
    #: ``states.PRODUCT``.
    status: Mapped[str] = mapped_column(String(20), index=True)
    revision: Mapped[int]
    created_by: Mapped[str] = mapped_column(String(150))
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]
    submitted_at: Mapped[datetime | None]
    #: The bureau's security and compliance review (R9.1): who, when, why.
    reviewed_by: Mapped[str | None] = mapped_column(String(150))
    reviewed_at: Mapped[datetime | None]
    review_reason: Mapped[str | None] = mapped_column(Text)
    #: Delivered (N2) from the first listing on.
    first_listed_at: Mapped[datetime | None]
    listed_at: Mapped[datetime | None]
    suspended_reason: Mapped[str | None] = mapped_column(Text)
    #: Delisted or unavailable: when and why.
    ended_at: Mapped[datetime | None]
    end_reason: Mapped[str | None] = mapped_column(Text)
