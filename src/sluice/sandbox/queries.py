"""Queries in a workspace: run through the guard, kept in its history, saved by name.

``run`` finds the workspace as the caller may see it (another operator's is 404), then hands
the SQL to the guard (``guard.workspace_queries.run``: agreement in force and purpose, query
policy, resources, engine, one audit row). Every query submitted becomes a history row,
run or refused: a refusal's row is carried by the refusal itself, so it survives the
rollback like the audit row. The row keeps the SQL the policy let run and the dataset
versions it read, never the result: ``rerun`` submits a query again (a new history row)
and says whether it read the same versions, which is how a later step (the export gate)
gets the same answer back.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Final

from sqlalchemy.orm import Session

from sluice.audit import service as audit
from sluice.core.errors import InvalidInput, KeptWrite, NotFound
from sluice.core.i18n import add_messages
from sluice.core.ids import sm3_hex
from sluice.core.paging import ListQuery, Page
from sluice.core.permissions import Permission
from sluice.core.principal import Principal
from sluice.core.settings import Settings
from sluice.guard import workspace_queries
from sluice.guard.workspace_queries import QueryRefusal, QueryResult, Submitted, versions_of
from sluice.sandbox import repository, workspaces
from sluice.sandbox.models import SavedQuery, Workspace, WorkspaceQuery

#: The longest SQL a query or a saved query may be, in characters.
MAX_SQL: Final = 20_000
MAX_NAME: Final = 100

SAVED: Final = "workspace.query_saved"
DELETED: Final = "workspace.query_deleted"
audit.declare_actions(
    {
        SAVED: ("保存沙箱查询", "Sandbox query saved"),
        DELETED: ("删除保存的沙箱查询", "Saved sandbox query deleted"),
    }
)
add_messages(
    {
        "sandbox.query.not_found": ("查询记录不存在。", "There is no such query."),
        "sandbox.saved.not_found": ("保存的查询不存在。", "There is no such saved query."),
        "sandbox.sql.required": ("请输入 SQL 查询。", "Enter an SQL query."),
        "sandbox.sql.too_long": (
            "SQL 不能超过 {limit} 个字符。",
            "The SQL may be at most {limit} characters long.",
        ),
        "sandbox.name.required": ("请为查询命名。", "Give the query a name."),
        "sandbox.name.too_long": (
            "名称不能超过 {limit} 个字符。",
            "The name may be at most {limit} characters long.",
        ),
    }
)


@dataclass(frozen=True)
class QueryOutcome:
    query: WorkspaceQuery
    result: QueryResult


def _checked_sql(sql: str) -> str:
    if not sql.strip():
        raise InvalidInput("sandbox.sql.required")
    if len(sql) > MAX_SQL:
        raise InvalidInput("sandbox.sql.too_long", limit=f"{MAX_SQL:,}")
    return sql


def _querying(
    session: Session, actor: Principal, at: datetime, workspace_id: uuid.UUID
) -> Workspace:
    actor.require(Permission.SANDBOX_QUERY)
    return workspaces.visible(session, actor=actor, at=at, workspace_id=workspace_id)


def run(
    session: Session,
    *,
    actor: Principal,
    settings: Settings,
    at: datetime,
    workspace_id: uuid.UUID,
    sql: str,
) -> QueryOutcome:
    """Run one query in the workspace, or refuse it with its code; either way it is in the
    history and the audit log."""
    sql = _checked_sql(sql)
    workspace = _querying(session, actor, at, workspace_id)
    workspaces.require_active(workspace)
    agreement = workspaces.agreement(session, workspace, at=at)
    query_id = uuid.uuid4()

    def history_row(**fields: object) -> WorkspaceQuery:
        return WorkspaceQuery(
            id=query_id,
            workspace_id=workspace.id,
            authorization_id=agreement.id,
            submitted_by=actor.username,
            submitted_at=at,
            sql=sql,
            sql_sm3=sm3_hex(sql),
            **fields,
        )

    def record_refusal(refusal: QueryRefusal) -> KeptWrite:
        def write(session: Session) -> None:
            session.add(
                history_row(
                    outcome=refusal.code,
                    part=(refusal.part or "")[:300] or None,
                    versions=versions_of(refusal.read),
                    columns=[],
                )
            )

        return write

    ran = workspace_queries.run(
        session,
        actor=actor,
        settings=settings,
        at=at,
        submitted=Submitted(query_id, str(workspace.id), agreement.id, sql),
        record_refusal=record_refusal,
    )
    row = history_row(
        outcome="ok",
        checked_sql=ran.checked.sql,
        row_level=ran.checked.row_level,
        versions=versions_of(ran.read),
        columns=[{"name": n, "type": t} for n, t in ran.result.columns],
        row_count=len(ran.result.rows),
        truncated=ran.result.truncated,
        elapsed_ms=ran.result.elapsed_ms,
    )
    session.add(row)
    session.flush()
    return QueryOutcome(row, ran.result)


def query(
    session: Session,
    *,
    actor: Principal,
    at: datetime,
    workspace_id: uuid.UUID,
    query_id: uuid.UUID,
) -> WorkspaceQuery:
    """One query of the workspace's history (its operator's alone)."""
    workspace = _querying(session, actor, at, workspace_id)
    found = repository.query(session, workspace.id, query_id)
    if found is None:
        raise NotFound("sandbox.query.not_found")
    return found


def rerun(
    session: Session,
    *,
    actor: Principal,
    settings: Settings,
    at: datetime,
    workspace_id: uuid.UUID,
    query_id: uuid.UUID,
) -> tuple[QueryOutcome, bool]:
    """Submit a query of the history again, through the guard like any other; and whether it
    read exactly the dataset versions the first run read (same versions, same answer)."""
    earlier = query(session, actor=actor, at=at, workspace_id=workspace_id, query_id=query_id)
    outcome = run(
        session, actor=actor, settings=settings, at=at, workspace_id=workspace_id, sql=earlier.sql
    )
    return outcome, outcome.query.versions == earlier.versions


def history(
    session: Session, *, actor: Principal, at: datetime, workspace_id: uuid.UUID, listing: ListQuery
) -> Page[WorkspaceQuery]:
    workspace = _querying(session, actor, at, workspace_id)
    return repository.history_page(session, workspace.id, listing)


# -- saved queries ------------------------------------------------------------------------


def saved(
    session: Session, *, actor: Principal, at: datetime, workspace_id: uuid.UUID
) -> list[SavedQuery]:
    workspace = _querying(session, actor, at, workspace_id)
    return repository.saved_queries(session, workspace.id)


def saved_query(
    session: Session,
    *,
    actor: Principal,
    at: datetime,
    workspace_id: uuid.UUID,
    saved_id: uuid.UUID,
) -> SavedQuery:
    workspace = _querying(session, actor, at, workspace_id)
    found = repository.saved_query(session, workspace.id, saved_id)
    if found is None:
        raise NotFound("sandbox.saved.not_found")
    return found


def save(
    session: Session,
    *,
    actor: Principal,
    at: datetime,
    workspace_id: uuid.UUID,
    name: str,
    sql: str,
) -> SavedQuery:
    """Keep the SQL under the name; the same name again replaces what it held."""
    name = " ".join(name.split())
    if not name:
        raise InvalidInput("sandbox.name.required")
    if len(name) > MAX_NAME:
        raise InvalidInput("sandbox.name.too_long", limit=MAX_NAME)
    sql = _checked_sql(sql)
    workspace = _querying(session, actor, at, workspace_id)
    found = repository.saved_by_name(session, workspace.id, name)
    if found is None:
        found = SavedQuery(workspace_id=workspace.id, name=name, sql=sql)
        session.add(found)
    found.sql, found.saved_by, found.saved_at = sql, actor.username, at
    session.flush()
    audit.record(
        session,
        actor=actor,
        action=SAVED,
        target_type="workspace",
        target_id=workspace.id,
        at=at,
        detail={"name": name, "sql_sm3": sm3_hex(sql)},
    )
    return found


def delete_saved(
    session: Session,
    *,
    actor: Principal,
    at: datetime,
    workspace_id: uuid.UUID,
    saved_id: uuid.UUID,
) -> None:
    found = saved_query(session, actor=actor, at=at, workspace_id=workspace_id, saved_id=saved_id)
    audit.record(
        session,
        actor=actor,
        action=DELETED,
        target_type="workspace",
        target_id=workspace_id,
        at=at,
        detail={"name": found.name, "sql_sm3": sm3_hex(found.sql)},
    )
    session.delete(found)
    session.flush()
