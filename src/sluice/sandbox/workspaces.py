"""Workspaces: one per agreement's renewal chain, open while the chain lasts (R8.2).

A workspace belongs to the chain, not to one agreement: it is keyed by the chain's first
agreement (``destruction.data_owner``, where the chain's derived data lives too), so a
renewal keeps the workspace, its history and its saved queries. Its views follow the
chain's *current* agreement (the one in force today, else the last to take effect) and
its scope (``guard.workspace_views``).

**Opened lazily, on first read.** A workspace exists for every chain that ever took effect,
from the moment it did (``opened_at`` is the chain's first ``activated_at``); its row is
written the first time anyone with ``sandbox.read`` lists or opens workspaces. Opening it
eagerly would need a hook where agreements take effect (the second signature, or a
renewal's first day, reached by the daily sweep), and ``authorizations`` sits below the
sandbox and offers none: adding one would make every signature and every sweep know the
sandbox. Nothing is lost by waiting: until someone reads it, a workspace has no queries,
no saved queries and no engine; and whether a query may run is never read from the
workspace row but decided by the guard on the agreement itself, every time.

**Closed through the endings hook** (``"workspaces"``, last in ``HOOK_ORDER``: after the
subscriptions, products and exports made in it), in the ending's transaction, once no
agreement of the chain is left in force or waiting (a renewed agreement that expires hands
the workspace to its successor). Its engine is released after the commit. A chain that
ended before anyone opened its workspace, or in a process that had not loaded the sandbox
(the command-line sweep), gets its workspace closed on its next read, by the platform. A
closed workspace still shows its views and history to its operator; every query in it is
refused by the guard (``authorization_inactive``).

A workspace of one operator does not exist for anyone else (``repository._visible``); the
bureau reads every workspace's views but runs no query and sees no result.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Final

from sqlalchemy import event
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from sluice.audit import service as audit
from sluice.authorizations import destruction, endings
from sluice.authorizations import service as authorizations
from sluice.authorizations import states as authorization_states
from sluice.authorizations.models import Authorization
from sluice.core.clock import local
from sluice.core.errors import NotFound, SluiceError
from sluice.core.i18n import add_messages
from sluice.core.paging import ListQuery, Page
from sluice.core.permissions import Permission
from sluice.core.principal import Principal
from sluice.guard import workspace_queries
from sluice.guard.workspace_views import WorkspaceView, workspace_views
from sluice.sandbox import repository
from sluice.sandbox.models import Workspace
from sluice.sandbox.repository import WorkspaceRow
from sluice.sandbox.states import CLOSED, OPEN, WORKSPACE

OPENED: Final = "workspace.opened"
#: Who writes a workspace the chain's history calls for (opened, or closed after an ending
#: no hook saw): the platform, not the reader whose visit brought it about.
PLATFORM: Final = Principal.system("sandbox")

SUSPENDED: Final = "workspace.suspended"
RESUMED: Final = "workspace.resumed"

audit.declare_actions(
    {
        OPENED: ("开放沙箱工作区", "Sandbox workspace opened"),
        SUSPENDED: ("暂停沙箱工作区", "Sandbox workspace suspended"),
        RESUMED: ("恢复沙箱工作区", "Sandbox workspace resumed"),
    }
)
add_messages(
    {
        "problem.workspace_suspended": ("沙箱工作区已暂停", "Sandbox workspace suspended"),
        "error.workspace_suspended": (
            "数据局暂停了该沙箱工作区：{reason}。暂停期间不能查询或申请导出，如有疑问请联系数据局。",
            "The data bureau suspended this sandbox workspace: {reason}. No query or export "
            "can be made until it is lifted; ask the bureau if in doubt.",
        ),
        "sandbox.workspace.not_found": (
            "沙箱工作区不存在。",
            "There is no such sandbox workspace.",
        ),
    }
)


@dataclass(frozen=True)
class Chain:
    """An agreement's renewal chain as the sandbox reads it."""

    owner: Authorization
    members: tuple[Authorization, ...]

    def current(self, today: date) -> Authorization:
        """The agreement in force today, else the last to take effect, else the first."""
        in_force = [m for m in self.members if authorizations.in_force_on(m, today)]
        if in_force:
            return in_force[0]
        started = [m for m in self.members if m.activated_at is not None]
        if started:
            return max(started, key=lambda m: (m.activated_at, m.created_at))
        return self.owner

    @property
    def took_effect(self) -> datetime | None:
        started = [m.activated_at for m in self.members if m.activated_at is not None]
        return min(started) if started else None

    @property
    def ended(self) -> bool:
        return all(m.status in authorization_states.ENDED for m in self.members)

    @property
    def ended_at(self) -> datetime | None:
        ends = [m.ended_at for m in self.members if m.ended_at is not None]
        return max(ends) if ends else None


def _chains(agreements: Sequence[Authorization]) -> list[Chain]:
    """The chains among these agreements (each chain's members are all among them: an
    operator's renewals are its own)."""
    by_id = {a.id: a for a in agreements}
    members: dict[uuid.UUID, list[Authorization]] = {}
    for agreement in agreements:
        first = agreement
        while first.renewed_from_id is not None and first.renewed_from_id in by_id:
            first = by_id[first.renewed_from_id]
        members.setdefault(first.id, []).append(agreement)
    return [Chain(by_id[owner], tuple(found)) for owner, found in members.items()]


def _chain_of(session: Session, workspace: Workspace) -> Chain:
    owner = authorizations.seen(session, PLATFORM, workspace.owner_id)
    return Chain(owner, tuple(destruction.chain(session, owner)))


def _open(
    session: Session, chain: Chain, at: datetime, *, found: Workspace | None = None
) -> Workspace | None:
    """The chain's workspace, written now if the chain ever took effect and has none yet,
    and closed if the chain ended while no hook was there to close it (``found``: its row,
    when the caller already read it)."""
    workspace = found or repository.by_owner(session, chain.owner.id)
    if workspace is None:
        took_effect = chain.took_effect
        if took_effect is None:
            return None
        workspace = _write(session, chain, took_effect)
    if workspace.status == OPEN and chain.ended:
        _close(session, workspace, actor=PLATFORM, at=chain.ended_at or at)
    return workspace


def _write(session: Session, chain: Chain, took_effect: datetime) -> Workspace:
    workspace = Workspace(
        owner_id=chain.owner.id,
        operator_id=chain.owner.operator_id,
        scenario=chain.owner.scenario,
        status=OPEN,
        opened_at=took_effect,
    )
    try:
        with session.begin_nested():
            session.add(workspace)
    except IntegrityError:
        # Someone else's first read wrote it a moment ago (PostgreSQL, several workers).
        found = repository.by_owner(session, chain.owner.id)
        if found is None:  # pragma: no cover - the unique owner is the only constraint
            raise
        return found
    audit.record(
        session,
        actor=PLATFORM,
        action=OPENED,
        target_type="workspace",
        target_id=workspace.id,
        at=took_effect,
        detail={"authorization": chain.owner.number, "scenario": chain.owner.scenario},
    )
    return workspace


def _close(session: Session, workspace: Workspace, *, actor: Principal, at: datetime) -> None:
    WORKSPACE.fire(workspace, "close", session=session, actor=actor, at=at)
    workspace.closed_at = at
    key = str(workspace.id)

    def release(_: Session) -> None:
        workspace_queries.release(key)

    event.listen(session, "after_commit", release, once=True)


def _close_with(session: Session, ending: endings.Ending) -> None:
    """The endings hook: close the chain's workspace once nothing of the chain is left."""
    owner = destruction.chain(session, ending.authorization)[0]
    chain = Chain(owner, tuple(destruction.chain(session, owner)))
    if not chain.ended:
        return  # a renewal carries the workspace on
    workspace = repository.by_owner(session, owner.id)
    if workspace is not None and workspace.status == OPEN:
        _close(session, workspace, actor=ending.actor, at=ending.at)
    # A chain nobody opened a workspace for gets it, closed, on its first read.


endings.register_ending_hook("workspaces", _close_with)


# -- reads ------------------------------------------------------------------------------------


def _open_all(session: Session, actor: Principal, at: datetime) -> None:
    """Write the workspaces of every chain the actor sees that took effect, and close those
    whose chain ended unseen: one read of the rows, a write only where one is missing."""
    chains = [c for c in _chains(authorizations.authorizations(session, actor)) if c.took_effect]
    rows = repository.by_owners(session, [c.owner.id for c in chains])
    for chain in chains:
        row = rows.get(chain.owner.id)
        if row is None or (row.status == OPEN and chain.ended):
            _open(session, chain, at, found=row)


@dataclass(frozen=True)
class Summary:
    """A workspace at a glance, read without writing: ``id`` is None until someone first
    opens the workspaces (its row is written then)."""

    id: uuid.UUID | None
    scenario: str
    status: str
    opened_at: datetime


def summaries(session: Session, *, actor: Principal) -> list[Summary]:
    """Every workspace the actor sees, opened or due, open ones first, newest first (for the
    workbench: a glance that writes nothing)."""
    actor.require(Permission.SANDBOX_READ)
    chains = [c for c in _chains(authorizations.authorizations(session, actor)) if c.took_effect]
    rows = repository.by_owners(session, [c.owner.id for c in chains])
    found = []
    for chain in chains:
        row = rows.get(chain.owner.id)
        ended = chain.ended or (row is not None and row.status == CLOSED)
        took_effect = chain.took_effect
        assert took_effect is not None
        found.append(
            Summary(
                row.id if row else None,
                row.scenario if row else chain.owner.scenario,
                CLOSED if ended else OPEN,
                took_effect,
            )
        )
    return sorted(found, key=lambda s: (s.status != OPEN, -s.opened_at.timestamp()))


def workspace_rows(session: Session, *, actor: Principal, at: datetime) -> list[WorkspaceRow]:
    """Every workspace the actor sees (the operator's own; the bureau's side all)."""
    actor.require(Permission.SANDBOX_READ)
    _open_all(session, actor, at)
    return repository.workspaces(session, actor)


def workspace_page(
    session: Session, *, actor: Principal, at: datetime, query: ListQuery
) -> Page[WorkspaceRow]:
    actor.require(Permission.SANDBOX_READ)
    _open_all(session, actor, at)
    return repository.workspace_page(session, actor, query)


def visible(
    session: Session, *, actor: Principal, at: datetime, workspace_id: uuid.UUID
) -> Workspace:
    """The workspace if the actor may see it; otherwise ``not_found``."""
    actor.require(Permission.SANDBOX_READ)
    workspace = repository.workspace(session, actor, workspace_id)
    if workspace is None:
        raise NotFound("sandbox.workspace.not_found")
    if workspace.status == OPEN:
        _open(session, _chain_of(session, workspace), at)
    return workspace


class WorkspaceSuspended(SluiceError):
    """A query or export in a workspace the platform's monitoring suspended."""

    status = 403
    code = "workspace_suspended"


def require_active(workspace: Workspace) -> None:
    """Refuse work in a suspended workspace (``workspace_suspended``, with the reason)."""
    if workspace.suspended_at is not None:
        raise WorkspaceSuspended(reason=workspace.suspended_reason or "—")


def suspend(
    session: Session,
    *,
    actor: Principal,
    workspace_id: uuid.UUID,
    reason: str,
    at: datetime,
) -> Workspace | None:
    """Suspend a workspace (the monitoring, acting as the system, on a critical alert): its
    queries and export requests are refused with ``workspace_suspended`` until the bureau
    resumes it. None if there is no such workspace; suspending a suspended one changes
    nothing (its first reason stays)."""
    actor.require(Permission.KEYS_SUSPEND)
    workspace = session.get(Workspace, workspace_id)
    if workspace is None or workspace.suspended_at is not None:
        return workspace
    workspace.suspended_at = at
    workspace.suspended_reason = reason
    audit.record(
        session,
        actor=actor,
        action=SUSPENDED,
        target_type="workspace",
        target_id=workspace.id,
        at=at,
        detail={"reason": reason},
    )
    return workspace


def resume(
    session: Session,
    *,
    actor: Principal,
    workspace_id: uuid.UUID,
    reason: str,
    at: datetime,
) -> Workspace | None:
    """The bureau lifts a workspace's suspension, saying why."""
    actor.require(Permission.KEYS_SUSPEND)
    workspace = session.get(Workspace, workspace_id)
    if workspace is None or workspace.suspended_at is None:
        return workspace
    audit.record(
        session,
        actor=actor,
        action=RESUMED,
        target_type="workspace",
        target_id=workspace.id,
        at=at,
        detail={"reason": reason, "suspended_reason": workspace.suspended_reason},
    )
    workspace.suspended_at = None
    workspace.suspended_reason = None
    return workspace


def agreement(session: Session, workspace: Workspace, *, at: datetime) -> Authorization:
    """The chain's current agreement: the one queries run under."""
    return _chain_of(session, workspace).current(local(at).date())


def views(session: Session, workspace: Workspace, *, at: datetime) -> list[WorkspaceView]:
    """The workspace's views now: its current agreement's scope over the newest versions."""
    return workspace_views(session, agreement(session, workspace, at=at))


def query_counts(session: Session, workspaces: Sequence[Workspace]) -> dict[uuid.UUID, int]:
    return repository.query_counts(session, [w.id for w in workspaces])


__all__ = [
    "CLOSED",
    "OPEN",
    "Chain",
    "Summary",
    "WorkspaceRow",
    "WorkspaceSuspended",
    "agreement",
    "query_counts",
    "require_active",
    "resume",
    "summaries",
    "suspend",
    "views",
    "visible",
    "workspace_page",
    "workspace_rows",
]
