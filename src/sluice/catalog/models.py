from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from sluice.core.database import Base, UUIDPrimaryKey


class DataResource(UUIDPrimaryKey, Base):
    """A data resource a provider department holds and registers (R4.1, N3)."""

    __tablename__ = "catalog_resources"
    __table_args__ = (UniqueConstraint("provider_id", "code", name="uq_catalog_resources_code"),)

    provider_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("organizations.id"), index=True)
    code: Mapped[str] = mapped_column(String(80))
    name: Mapped[str] = mapped_column(String(200), index=True)
    description: Mapped[str] = mapped_column(Text, default="")
    #: "governance", "welfare", or "industry:<sector>" (R6.1's two domains).
    domain: Mapped[str] = mapped_column(String(60), index=True)
    update_frequency: Mapped[str] = mapped_column(String(20))
    #: "open", "conditional" or "closed" (无条件开放 / 有条件开放 / 不予开放).
    open_level: Mapped[str] = mapped_column(String(20), index=True)
    classification: Mapped[str] = mapped_column(String(60))  # 分类
    grade: Mapped[str] = mapped_column(String(20))  # 分级
    #: "own" (collected in the provider's own duties) or "shared" (obtained through
    #: government data sharing: the providing unit must consent before authorization, N3).
    origin: Mapped[str] = mapped_column(String(20))
    shared_from: Mapped[str | None] = mapped_column(String(200))
    sharing_consent_at: Mapped[datetime | None]
    sharing_consent_evidence: Mapped[str | None] = mapped_column(Text)
    has_data: Mapped[bool] = mapped_column(default=False)
    version: Mapped[int] = mapped_column(Integer, default=1)
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]


class ResourceField(UUIDPrimaryKey, Base):
    __tablename__ = "catalog_fields"
    __table_args__ = (UniqueConstraint("resource_id", "name", name="uq_catalog_fields_name"),)

    resource_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("catalog_resources.id", ondelete="CASCADE"), index=True
    )
    position: Mapped[int]
    name: Mapped[str] = mapped_column(String(80))
    title: Mapped[str] = mapped_column(String(120), default="")
    type: Mapped[str] = mapped_column(String(20))
    field_class: Mapped[str] = mapped_column(String(20))
    #: Validation rules and options: required, unique, values, min, max, pattern, masking.
    rules: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)


class CatalogBatch(UUIDPrimaryKey, Base):
    """A numbered release of the authorizable catalog (第一批, 第二批 …)."""

    __tablename__ = "catalog_batches"

    number: Mapped[int] = mapped_column(unique=True)
    title: Mapped[str] = mapped_column(String(200))
    status: Mapped[str] = mapped_column(String(20), index=True)
    created_at: Mapped[datetime]
    published_at: Mapped[datetime | None]
    withdrawn_at: Mapped[datetime | None]


class CatalogEntry(UUIDPrimaryKey, Base):
    """A resource as listed in a batch; its metadata is snapshotted in every version."""

    __tablename__ = "catalog_entries"

    resource_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("catalog_resources.id"), unique=True)
    batch_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("catalog_batches.id"), index=True)
    status: Mapped[str] = mapped_column(String(20), index=True)
    version: Mapped[int] = mapped_column(Integer, default=1)
    published_at: Mapped[datetime | None]
    #: Denormalized for search and facets (the resource stays authoritative).
    provider_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("organizations.id"), index=True)
    domain: Mapped[str] = mapped_column(String(60), index=True)
    open_level: Mapped[str] = mapped_column(String(20), index=True)
    title: Mapped[str] = mapped_column(String(200))


class CatalogEntryVersion(UUIDPrimaryKey, Base):
    __tablename__ = "catalog_entry_versions"
    __table_args__ = (UniqueConstraint("entry_id", "version", name="uq_catalog_entry_versions"),)

    entry_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("catalog_entries.id", ondelete="CASCADE"), index=True
    )
    version: Mapped[int]
    change: Mapped[str] = mapped_column(String(20))
    snapshot: Mapped[dict[str, Any]] = mapped_column(JSON)
    actor: Mapped[str] = mapped_column(String(150))
    at: Mapped[datetime]


class CatalogTerm(Base):
    """Search terms of a published entry: character bigrams of its text, synonyms expanded."""

    __tablename__ = "catalog_terms"

    entry_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("catalog_entries.id", ondelete="CASCADE"), primary_key=True
    )
    term: Mapped[str] = mapped_column(String(40), primary_key=True, index=True)
