"""Every query of export requests and ε budgets, scoped to the acting principal in one place.

Who sees an export request (``_visible``): the operator of its workspace, the bureau's
side (which reviews them) and the platform itself; for anyone else it does not exist (404).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any, Final, cast

from sqlalchemy import ColumnElement, Select, false, func, select, true, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import CursorResult
from sqlalchemy.orm import Session

from sluice.core.paging import ListQuery, Page, contains, paginate
from sluice.core.permissions import Role
from sluice.core.principal import Principal
from sluice.identity.models import Organization
from sluice.sandbox.export_models import ExportRequest, PrivacyBudget
from sluice.sandbox.export_states import PENDING
from sluice.sandbox.models import Workspace, WorkspaceQuery

EXPORT_SORTS: Final = ("requested", "status", "scenario")


def _visible(actor: Principal) -> ColumnElement[bool]:
    if actor.is_system or Role.BUREAU in actor.roles:
        return true()
    if Role.OPERATOR in actor.roles and actor.organization_id is not None:
        return Workspace.operator_id == actor.organization_id
    return false()


@dataclass(frozen=True)
class ExportRow:
    export: ExportRequest
    scenario: str
    operator: str
    #: The query as its operator wrote it (the request keeps the SQL the policy normalised).
    submitted_sql: str


def _rows() -> Select[Any]:
    return cast(
        "Select[Any]",
        select(ExportRequest, Workspace.scenario, Organization.name, WorkspaceQuery.sql)
        .join(Workspace, Workspace.id == ExportRequest.workspace_id)
        .join(Organization, Organization.id == Workspace.operator_id)
        .join(WorkspaceQuery, WorkspaceQuery.id == ExportRequest.query_id),
    )


def export(session: Session, actor: Principal, export_id: uuid.UUID) -> ExportRow | None:
    found = session.execute(_rows().where(ExportRequest.id == export_id, _visible(actor))).first()
    return ExportRow(*found) if found is not None else None


def export_page(session: Session, actor: Principal, query: ListQuery) -> Page[ExportRow]:
    """Export requests the actor sees; filters ``status`` and ``workspace``, search in the
    scenario, the operator, the purpose and the SQL."""
    statement = _rows().where(_visible(actor))
    if status := query.filter("status"):
        statement = statement.where(ExportRequest.status == status)
    if (workspace := query.filter("workspace")) is not None:
        try:
            statement = statement.where(ExportRequest.workspace_id == uuid.UUID(workspace))
        except ValueError:
            statement = statement.where(false())
    if query.q:
        statement = statement.where(
            contains(
                query.q,
                Workspace.scenario,
                Organization.name,
                ExportRequest.purpose,
                ExportRequest.sql,
            )
        )
    page = paginate(
        session,
        statement,
        query,
        sorts={
            "requested": ExportRequest.requested_at,
            "status": ExportRequest.status,
            "scenario": Workspace.scenario,
        },
        default="-requested",
        tiebreak=ExportRequest.id,
        scalars=False,
    )
    return Page([ExportRow(*row) for row in page.items], page.total, page.query)


def of_workspace(session: Session, workspace_id: uuid.UUID) -> list[ExportRequest]:
    return list(
        session.scalars(
            select(ExportRequest)
            .where(ExportRequest.workspace_id == workspace_id)
            .order_by(ExportRequest.requested_at.desc(), ExportRequest.id)
        )
    )


def pending_of_workspace(session: Session, workspace_id: uuid.UUID) -> list[ExportRequest]:
    return list(
        session.scalars(
            select(ExportRequest)
            .where(ExportRequest.workspace_id == workspace_id, ExportRequest.status == PENDING)
            .order_by(ExportRequest.requested_at, ExportRequest.id)
        )
    )


def pending(session: Session, actor: Principal, *, limit: int) -> tuple[int, list[ExportRow]]:
    """How many requests await review, and the oldest few (for the workbench)."""
    waiting = [ExportRequest.status == PENDING, _visible(actor)]
    count = session.scalar(
        select(func.count(ExportRequest.id))
        .join(Workspace, Workspace.id == ExportRequest.workspace_id)
        .where(*waiting)
    )
    rows = session.execute(
        _rows().where(*waiting).order_by(ExportRequest.requested_at, ExportRequest.id).limit(limit)
    )
    return int(count or 0), [ExportRow(*row) for row in rows]


# -- the ε budget -------------------------------------------------------------------------


def spent(session: Session, workspace_id: uuid.UUID) -> int:
    found = session.scalar(
        select(PrivacyBudget.spent_micro).where(PrivacyBudget.workspace_id == workspace_id)
    )
    return int(found or 0)


def spend(session: Session, workspace_id: uuid.UUID, micro: int, budget_micro: int) -> bool:
    """Spend ``micro`` of the workspace's budget if it stays within ``budget_micro``, in one
    conditional UPDATE: on PostgreSQL a concurrent spender waits for the row and then sees
    what the first one spent, so two requests can never both take the last of it."""
    values = {"workspace_id": workspace_id, "spent_micro": 0}
    if session.get_bind().dialect.name == "postgresql":
        session.execute(postgresql.insert(PrivacyBudget).values(values).on_conflict_do_nothing())
    else:
        session.execute(sqlite.insert(PrivacyBudget).values(values).on_conflict_do_nothing())
    result = session.execute(
        update(PrivacyBudget)
        .where(
            PrivacyBudget.workspace_id == workspace_id,
            PrivacyBudget.spent_micro + micro <= budget_micro,
        )
        .values(spent_micro=PrivacyBudget.spent_micro + micro)
        .execution_options(synchronize_session=False)
    )
    return cast("CursorResult[Any]", result).rowcount == 1
