"""Requests to export a query's result (出域, R8.6), and each workspace's ε budget.

An ``ExportRequest`` names a query of a workspace's history, why it should leave, and
what the gate made of it: the SQL that ran and its SM3, the versions it read, the checks
passed, k and how many groups were suppressed, ε and the noise. The candidate result
itself is never in the database: it is a derived file of the workspace's owner agreement
(``dataplane.derived``, SM4 under the agreement's key), named by ``file_name`` and
described by its SM3 and size. Approval adds the bureau's SM2-signed manifest.

A ``PrivacyBudget`` row keeps how much ε a workspace's exports spent, in millionths so
that the conditional update that spends it compares integers.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from sluice.core.database import Base, UUIDPrimaryKey


class ExportRequest(UUIDPrimaryKey, Base):
    __tablename__ = "sandbox_exports"
    __table_args__ = (
        Index("ix_sandbox_exports_workspace_requested", "workspace_id", "requested_at"),
    )

    workspace_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("sandbox_workspaces.id"))
    query_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("sandbox_queries.id"), index=True)
    #: The agreement the checks ran under (the chain's current one then).
    authorization_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("authorizations.id"))
    purpose: Mapped[str] = mapped_column(Text)
    requested_by: Mapped[str] = mapped_column(String(150))
    requested_at: Mapped[datetime]
    #: ``pending``, ``approved``, ``rejected`` or ``lapsed`` (``export_states.EXPORT``).
    status: Mapped[str] = mapped_column(String(20), index=True)
    #: The SQL that ran (the query's checked SQL; sums clamped when noised) and its SM3.
    sql: Mapped[str] = mapped_column(Text)
    sql_sm3: Mapped[str] = mapped_column(String(64))
    #: Each view read: {"view", "resource_id", "version", "dataset_version_id"}.
    versions: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    #: The candidate's columns: [{"name", "type"}].
    columns: Mapped[list[dict[str, str]]] = mapped_column(JSON, default=list)
    #: The checks passed, as the manifest lists them.
    checks: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    min_subjects: Mapped[int]
    groups: Mapped[int]
    suppressed_groups: Mapped[int]
    #: ε asked for, in millionths (``None``: no noise), and the noised columns.
    epsilon_micro: Mapped[int | None] = mapped_column(BigInteger)
    noise: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    rows: Mapped[int]
    #: The derived file under the owner agreement, and its plaintext's SM3 and size.
    owner_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("authorizations.id"))
    file_name: Mapped[str] = mapped_column(String(200))
    file_sm3: Mapped[str] = mapped_column(String(64))
    file_bytes: Mapped[int] = mapped_column(BigInteger)
    decided_by: Mapped[str | None] = mapped_column(String(150))
    decided_at: Mapped[datetime | None]
    decision_reason: Mapped[str | None] = mapped_column(Text)
    #: The signed manifest (approved exports): its content, the SM3 of its canonical form,
    #: and the bureau's SM2 signature over that digest.
    manifest: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    manifest_digest: Mapped[str | None] = mapped_column(String(64))
    signer_organization_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("organizations.id"))
    public_key_hex: Mapped[str | None] = mapped_column(String(200))
    signature_hex: Mapped[str | None] = mapped_column(String(200))


class PrivacyBudget(Base):
    """The ε a workspace's exports spent, in millionths."""

    __tablename__ = "sandbox_privacy_budgets"

    workspace_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("sandbox_workspaces.id"), primary_key=True
    )
    spent_micro: Mapped[int] = mapped_column(BigInteger, default=0)
