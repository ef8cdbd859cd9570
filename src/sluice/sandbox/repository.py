"""Every query of the sandbox's tables, scoped to the acting principal in one place.

Who sees a workspace (``_visible``): its operator, the bureau's side (read only: the
permission table keeps queries to operators) and the platform itself. Nobody else: a
workspace one may not see does not exist (404). A workspace's queries and saved queries are
read only through a workspace the caller already sees.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any, Final, cast

from sqlalchemy import ColumnElement, Select, false, func, select, true
from sqlalchemy.orm import Session

from sluice.core.paging import ListQuery, Page, contains, paginate
from sluice.core.permissions import Role
from sluice.core.principal import Principal
from sluice.identity.models import Organization
from sluice.sandbox.models import SavedQuery, Workspace, WorkspaceQuery

WORKSPACE_SORTS: Final = ("opened", "scenario", "status")
HISTORY_SORTS: Final = ("submitted", "outcome")


def _visible(actor: Principal) -> ColumnElement[bool]:
    if actor.is_system or Role.BUREAU in actor.roles:
        return true()
    if Role.OPERATOR in actor.roles and actor.organization_id is not None:
        return Workspace.operator_id == actor.organization_id
    return false()


def workspace(session: Session, actor: Principal, workspace_id: uuid.UUID) -> Workspace | None:
    return session.scalar(select(Workspace).where(Workspace.id == workspace_id, _visible(actor)))


def by_owner(session: Session, owner_id: uuid.UUID) -> Workspace | None:
    """The workspace of a renewal chain (whoever asks: for opening and closing it)."""
    return session.scalar(select(Workspace).where(Workspace.owner_id == owner_id))


def by_owners(session: Session, owner_ids: Iterable[uuid.UUID]) -> dict[uuid.UUID, Workspace]:
    ids = list(owner_ids)
    if not ids:
        return {}
    found = session.scalars(select(Workspace).where(Workspace.owner_id.in_(ids)))
    return {w.owner_id: w for w in found}


@dataclass(frozen=True)
class WorkspaceRow:
    workspace: Workspace
    operator: str


def workspaces(session: Session, actor: Principal) -> list[WorkspaceRow]:
    """Every workspace the actor sees, open ones first, newest first."""
    rows = session.execute(
        select(Workspace, Organization.name)
        .join(Organization, Organization.id == Workspace.operator_id)
        .where(_visible(actor))
        .order_by(Workspace.status.desc(), Workspace.opened_at.desc(), Workspace.id)
    )
    return [WorkspaceRow(w, name) for w, name in rows]


def workspace_page(session: Session, actor: Principal, query: ListQuery) -> Page[WorkspaceRow]:
    statement = (
        select(Workspace, Organization.name)
        .join(Organization, Organization.id == Workspace.operator_id)
        .where(_visible(actor))
    )
    if status := query.filter("status"):
        statement = statement.where(Workspace.status == status)
    if query.q:
        statement = statement.where(contains(query.q, Workspace.scenario, Organization.name))
    page = paginate(
        session,
        cast("Select[Any]", statement),  # rows of (workspace, operator name)
        query,
        sorts={
            "opened": Workspace.opened_at,
            "scenario": Workspace.scenario,
            "status": Workspace.status,
        },
        default="-opened",
        tiebreak=Workspace.id,
        scalars=False,
    )
    return Page([WorkspaceRow(w, name) for w, name in page.items], page.total, page.query)


def query_counts(session: Session, workspace_ids: Iterable[uuid.UUID]) -> dict[uuid.UUID, int]:
    ids = list(workspace_ids)
    if not ids:
        return {}
    rows = session.execute(
        select(WorkspaceQuery.workspace_id, func.count())
        .where(WorkspaceQuery.workspace_id.in_(ids))
        .group_by(WorkspaceQuery.workspace_id)
    )
    return {workspace_id: int(count) for workspace_id, count in rows}


# -- queries ------------------------------------------------------------------------------


def history_page(
    session: Session, workspace_id: uuid.UUID, query: ListQuery
) -> Page[WorkspaceQuery]:
    """A workspace's queries, newest first; filter ``outcome`` (``ok``, ``refused``),
    search in the SQL."""
    statement = select(WorkspaceQuery).where(WorkspaceQuery.workspace_id == workspace_id)
    outcome = query.filter("outcome")
    if outcome == "ok":
        statement = statement.where(WorkspaceQuery.outcome == "ok")
    elif outcome == "refused":
        statement = statement.where(WorkspaceQuery.outcome != "ok")
    if query.q:
        statement = statement.where(contains(query.q, WorkspaceQuery.sql))
    return paginate(
        session,
        statement,
        query,
        sorts={"submitted": WorkspaceQuery.submitted_at, "outcome": WorkspaceQuery.outcome},
        default="-submitted",
        tiebreak=WorkspaceQuery.id,
    )


def query(session: Session, workspace_id: uuid.UUID, query_id: uuid.UUID) -> WorkspaceQuery | None:
    return session.scalar(
        select(WorkspaceQuery).where(
            WorkspaceQuery.id == query_id, WorkspaceQuery.workspace_id == workspace_id
        )
    )


# -- saved queries ------------------------------------------------------------------------


def saved_queries(session: Session, workspace_id: uuid.UUID) -> list[SavedQuery]:
    return list(
        session.scalars(
            select(SavedQuery)
            .where(SavedQuery.workspace_id == workspace_id)
            .order_by(SavedQuery.name, SavedQuery.id)
        )
    )


def saved_query(
    session: Session, workspace_id: uuid.UUID, saved_id: uuid.UUID
) -> SavedQuery | None:
    return session.scalar(
        select(SavedQuery).where(SavedQuery.id == saved_id, SavedQuery.workspace_id == workspace_id)
    )


def saved_by_name(session: Session, workspace_id: uuid.UUID, name: str) -> SavedQuery | None:
    return session.scalar(
        select(SavedQuery).where(SavedQuery.workspace_id == workspace_id, SavedQuery.name == name)
    )
