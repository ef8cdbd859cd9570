"""One sandbox query through the guard: decided, checked, run, and recorded once (R8.2, R3.5).

``run`` is the only way a workspace's SQL reaches an engine. In order:

1. the agreement is the caller's own and in force today, and it grants the purpose, the
   right to process the data (``processing``): a terminated, expired or suspended
   agreement's query is refused with ``authorization_inactive`` before its SQL is read;
2. the query policy (``query_policy.check_query``) on the workspace's views
   (``workspace_views``): ``sql_invalid``, ``statement_not_allowed``,
   ``relation_not_allowed``, ``function_not_allowed``, ``column_not_allowed``;
3. the resources behind the views it reads are still in scope and authorizable
   (``out_of_scope``);
4. the engine (``dataplane.sandbox_engine``), locked to the version directories, runs the
   SQL the policy normalised (row-level queries capped at ``sandbox_row_cap`` rows):
   ``query_timeout``, ``query_too_large``, ``query_failed``.

Every query leaves exactly one audit row (``guard.sandbox_query``), allowed or refused:
the code (``ok`` or the refusal's), the part a refusal named, the agreement, the resources
and dataset versions read, the SQL's SM3, the query's id and its workspace. A refusal's row
is written by the refusal itself (``SluiceError.keep``), so it survives the rollback.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Final

from sqlalchemy.orm import Session

from sluice.audit import details as audit_details
from sluice.audit import service as audit
from sluice.authorizations.models import Authorization
from sluice.core.errors import KeptWrite, SluiceError
from sluice.core.ids import sm3_hex
from sluice.core.principal import Principal
from sluice.core.settings import Settings
from sluice.dataplane.sandbox_engine import QueryResult as QueryResult  # the sandbox reads it
from sluice.dataplane.sandbox_engine import ViewSource, close_workspace, engine_for
from sluice.guard import service as guard
from sluice.guard.query_policy import CheckedQuery, QueryRefused, check_query
from sluice.guard.workspace_views import WorkspaceView, workspace_views

QUERY: Final = "guard.sandbox_query"
#: What a sandbox query does with the data: the right the agreement must grant.
PURPOSE: Final = "processing"
#: The audit row's ``use``, as ``authorize_use`` names the others.
USE: Final = "sandbox_query"

audit.declare_actions({QUERY: ("沙箱查询", "Sandbox query")})
audit_details.declare_detail_labels(
    {
        "part": ("涉及部分", "Part"),
        "workspace": ("工作区", "Workspace"),
        "query": ("查询", "Query"),
        "versions": ("数据版本", "Dataset versions"),
        "sql_sm3": ("SQL 的 SM3 摘要", "SM3 of the SQL"),
        "purpose": ("用途", "Purpose"),
        "truncated": ("结果已截断", "Truncated"),
        "elapsed_ms": ("耗时（毫秒）", "Time (ms)"),
    }
)
audit_details.declare_detail_values("purpose", "right.{value}")


@dataclass(frozen=True)
class Submitted:
    """A query as its workspace hands it to the guard."""

    query_id: uuid.UUID
    #: The workspace's key for its engine (its id): one engine per workspace, reused.
    workspace_key: str
    authorization_id: uuid.UUID
    sql: str


@dataclass(frozen=True)
class QueryRun:
    """A query the guard let run, and what it returned."""

    authorization: Authorization
    checked: CheckedQuery
    result: QueryResult
    #: The views the query read (their resources and versions).
    read: tuple[WorkspaceView, ...]


@dataclass(frozen=True)
class QueryRefusal:
    """What a refused query's records need: the code, what it named, and what it read."""

    code: str
    part: str | None
    read: tuple[WorkspaceView, ...]


def versions_of(read: Sequence[WorkspaceView]) -> list[dict[str, Any]]:
    """The dataset versions a query read, as its records keep them."""
    return [
        {
            "view": v.name,
            "resource_id": str(v.resource_id),
            "version": v.version,
            "dataset_version_id": str(v.dataset_version_id),
        }
        for v in read
    ]


def _detail(
    submitted: Submitted,
    authorization: Authorization,
    *,
    code: str,
    read: Sequence[WorkspaceView],
    part: str | None = None,
    result: QueryResult | None = None,
) -> dict[str, Any]:
    detail: dict[str, Any] = {
        "decision": "allowed" if code == "ok" else "refused",
        "use": USE,
        "purpose": PURPOSE,
        "code": code,
        "authorization": authorization.number,
        "status": authorization.status,
        "workspace": submitted.workspace_key,
        "query": str(submitted.query_id),
        "resources": [str(v.resource_id) for v in read],
        "versions": {v.name: v.version for v in read},
        "sql_sm3": sm3_hex(submitted.sql),
    }
    if part:
        detail["part"] = part[:200]
    if result is not None:
        detail.update(
            rows=len(result.rows), truncated=result.truncated, elapsed_ms=result.elapsed_ms
        )
    return detail


#: What the caller keeps of a refused query (its own record of it), given what the guard
#: knew: a write replayed after the rollback, like the audit row.
RecordRefusal = Callable[[QueryRefusal], KeptWrite]


def _refused(
    error: SluiceError,
    submitted: Submitted,
    authorization: Authorization,
    *,
    actor: Principal,
    at: datetime,
    read: Sequence[WorkspaceView],
    record_refusal: RecordRefusal | None,
) -> SluiceError:
    """The refusal with its one audit row attached (and the caller's record after it)."""
    part = getattr(error, "part", None) or None
    detail = _detail(submitted, authorization, code=error.code, read=read, part=part)

    def write(session: Session) -> None:
        audit.record(
            session,
            actor=actor,
            action=QUERY,
            target_type="authorization",
            target_id=authorization.id,
            at=at,
            outcome="refused",
            detail=detail,
            reason=error.code,
            authorization_id=authorization.id,
            purpose=PURPOSE,
            resources=[v.resource_id for v in read],
        )

    error.keep(write)
    if record_refusal is not None:
        error.keep(record_refusal(QueryRefusal(error.code, part, tuple(read))))
    return error


def run(
    session: Session,
    *,
    actor: Principal,
    settings: Settings,
    at: datetime,
    submitted: Submitted,
    record_refusal: RecordRefusal | None = None,
) -> QueryRun:
    """Decide, check, run and record one query (see the module docstring). A refusal
    carries its audit row, and ``record_refusal``'s write after it."""
    authorization = guard.own_authorization(
        session, actor=actor, authorization_id=submitted.authorization_id
    )

    def refuse(error: SluiceError, read: Sequence[WorkspaceView] = ()) -> SluiceError:
        return _refused(
            error,
            submitted,
            authorization,
            actor=actor,
            at=at,
            read=read,
            record_refusal=record_refusal,
        )

    refused = guard.refusal(session, authorization, at=at, purpose=PURPOSE)
    if refused is not None:
        raise refuse(refused.error)
    views = workspace_views(session, authorization)
    try:
        checked = check_query(
            submitted.sql, {v.name: v.spec() for v in views}, row_cap=settings.sandbox_row_cap
        )
    except QueryRefused as error:
        raise refuse(error) from None
    read = tuple(v for v in views if v.name in checked.views)
    refused = guard.refusal(session, authorization, at=at, resources=[v.resource_id for v in read])
    if refused is not None:
        raise refuse(refused.error, read)
    engine = engine_for(
        settings, submitted.workspace_key, [ViewSource(v.name, v.directory) for v in views]
    )
    cap = settings.sandbox_row_cap if checked.row_level else settings.sandbox_max_result_rows
    try:
        result = engine.run(checked.sql, max_rows=cap)
    except SluiceError as error:
        raise refuse(error, read) from None
    audit.record(
        session,
        actor=actor,
        action=QUERY,
        target_type="authorization",
        target_id=authorization.id,
        at=at,
        detail=_detail(submitted, authorization, code="ok", read=read, result=result),
        authorization_id=authorization.id,
        purpose=PURPOSE,
        resources=[v.resource_id for v in read],
    )
    return QueryRun(authorization, checked, result, read)


def release(workspace_key: str) -> None:
    """The workspace closed: its engine interrupts what runs and lets go of its views."""
    close_workspace(workspace_key)
