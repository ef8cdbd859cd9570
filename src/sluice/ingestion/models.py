"""Control-plane records of the data plane: every ingestion run and the versions it wrote."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from sluice.core.database import Base, UUIDPrimaryKey


class IngestionRun(UUIDPrimaryKey, Base):
    """One attempt to bring a source into a resource, with its quality report."""

    __tablename__ = "ingestion_runs"

    resource_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("catalog_resources.id"), index=True)
    provider_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("organizations.id"), index=True)
    #: See ``states.RUN``: "ingested" (a version), "duplicate" (the current version's own
    #: content again: nothing written), "held" (waiting for its provider's decision),
    #: "discarded" or "superseded" (a hold that never became a version).
    status: Mapped[str] = mapped_column(String(20), index=True)
    source_kind: Mapped[str] = mapped_column(String(20))  # csv, excel, parquet, database
    source_name: Mapped[str] = mapped_column(String(300))
    content_hash: Mapped[str] = mapped_column(String(64), index=True)
    rows_total: Mapped[int] = mapped_column(default=0)
    rows_accepted: Mapped[int] = mapped_column(default=0)
    rows_rejected: Mapped[int] = mapped_column(default=0)
    version: Mapped[int | None]
    #: The quality report (scores, per-rule failures, sample row numbers).
    report: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    quarantine_path: Mapped[str | None] = mapped_column(String(500))
    #: The directory of the Parquet output this run wrote (a held run's waits here).
    output_path: Mapped[str | None] = mapped_column(String(500))
    #: Why a run was held ("no_rows", "shrinks"), and the current version it was compared
    #: with then (its number and rows).
    hold_reason: Mapped[str | None] = mapped_column(String(20))
    compared_version: Mapped[int | None]
    compared_rows: Mapped[int | None]
    #: The older version whose content this run brought back, if it did.
    restores_version: Mapped[int | None]
    #: Who confirmed or discarded a held run, and when.
    decided_by: Mapped[str | None] = mapped_column(String(150))
    decided_at: Mapped[datetime | None]
    error: Mapped[str | None] = mapped_column(Text)
    actor: Mapped[str] = mapped_column(String(150))
    started_at: Mapped[datetime]
    finished_at: Mapped[datetime | None]


class DatasetVersion(UUIDPrimaryKey, Base):
    """An immutable Parquet version of a resource in the queryable zone."""

    __tablename__ = "dataset_versions"
    __table_args__ = (UniqueConstraint("resource_id", "version", name="uq_dataset_versions"),)

    resource_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("catalog_resources.id"), index=True)
    version: Mapped[int]
    run_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("ingestion_runs.id"))
    path: Mapped[str] = mapped_column(String(500))
    rows: Mapped[int]
    content_hash: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime]
