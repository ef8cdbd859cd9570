"""Workspaces, the queries run in them and the queries kept by name.

A ``Workspace`` belongs to an agreement's renewal chain, keyed by the chain's first
agreement (``authorizations.destruction.data_owner``), so a renewal keeps it. Every query
submitted, run or refused, is a ``WorkspaceQuery`` row: its SQL, the SQL the policy
normalised (what a later step such as the export gate re-runs), the dataset versions it
read and what came of it. Results themselves are never stored.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from sluice.core.database import Base, UUIDPrimaryKey


class Workspace(UUIDPrimaryKey, Base):
    __tablename__ = "sandbox_workspaces"

    #: The chain's first agreement: where its derived data lives, and what keeps a renewal's
    #: workspace the same one.
    owner_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("authorizations.id"), unique=True)
    operator_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("organizations.id"), index=True)
    scenario: Mapped[str] = mapped_column(String(200))
    #: ``open`` while the chain lasts, ``closed`` once it ended (``states.WORKSPACE``).
    status: Mapped[str] = mapped_column(String(20), index=True)
    #: When the chain first took effect (not when the row was first written).
    opened_at: Mapped[datetime]
    closed_at: Mapped[datetime | None]
    #: Set while the platform's monitoring (a critical alert) holds the workspace: its
    #: queries and exports are refused with ``workspace_suspended`` until the bureau lifts it.
    suspended_at: Mapped[datetime | None]
    suspended_reason: Mapped[str | None] = mapped_column(Text)


class WorkspaceQuery(UUIDPrimaryKey, Base):
    """One query submitted in a workspace, as the guard decided it."""

    __tablename__ = "sandbox_queries"
    __table_args__ = (
        Index("ix_sandbox_queries_workspace_submitted", "workspace_id", "submitted_at"),
    )

    workspace_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("sandbox_workspaces.id"))
    #: The agreement of the chain the query ran (or was refused) under.
    authorization_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("authorizations.id"))
    submitted_by: Mapped[str] = mapped_column(String(150))
    submitted_at: Mapped[datetime]
    sql: Mapped[str] = mapped_column(Text)
    #: SM3 hex of ``sql``, as the audit row has it.
    sql_sm3: Mapped[str] = mapped_column(String(64))
    #: ``ok`` or the refusal's code (``column_not_allowed``, ``authorization_inactive`` …).
    outcome: Mapped[str] = mapped_column(String(40), index=True)
    #: What the refusal named (a column, a function, a relation), if it named one.
    part: Mapped[str | None] = mapped_column(String(300))
    #: The SQL as the policy let it run (normalised, row cap applied): re-run it over
    #: ``versions`` to get the same answer.
    checked_sql: Mapped[str | None] = mapped_column(Text)
    row_level: Mapped[bool | None]
    #: Each view read: {"view", "resource_id", "version", "dataset_version_id"}.
    versions: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    #: The output columns: [{"name", "type"}].
    columns: Mapped[list[dict[str, str]]] = mapped_column(JSON, default=list)
    row_count: Mapped[int | None]
    truncated: Mapped[bool | None]
    elapsed_ms: Mapped[int | None]


class SavedQuery(UUIDPrimaryKey, Base):
    """A query kept under a name in a workspace; saving the same name again replaces it."""

    __tablename__ = "sandbox_saved_queries"
    __table_args__ = (
        UniqueConstraint("workspace_id", "name", name="uq_sandbox_saved_queries_name"),
    )

    workspace_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("sandbox_workspaces.id"), index=True)
    name: Mapped[str] = mapped_column(String(100))
    sql: Mapped[str] = mapped_column(Text)
    saved_by: Mapped[str] = mapped_column(String(150))
    saved_at: Mapped[datetime]
