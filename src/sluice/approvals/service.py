"""The rules of four eyes. No HTTP, no commit.

* Only a person of the bureau requests an irreversible act, and only with the act's own
  permission; the object must exist and the act must be possible on it now.
* One request at a time waits on the same act on the same object.
* The act is carried out when a *different* bureau user approves (same person: refused,
  whether by the same login, token or session), holding ``approvals.decide`` and the act's
  permission; or at once when the request cites an approved collective decision on that
  very act and object that somebody else recorded. A decision the requester recorded
  themselves is kept as the grounds but is not a second person.
* Rejected or lapsed (``approval_hours`` after the request) requests change nothing.
* Every step is audited; the act's own audit event names both people.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from sluice.approvals import registry, repository
from sluice.approvals import states as st
from sluice.approvals.models import ApprovalRequest
from sluice.approvals.registry import Carry, DecisionRef
from sluice.audit import service as audit
from sluice.core.errors import Conflict, InvalidInput, NotFound, PermissionDenied
from sluice.core.i18n import MessageRef, add_messages
from sluice.core.paging import ListQuery, Page
from sluice.core.permissions import OrgKind, Permission
from sluice.core.principal import Principal
from sluice.core.settings import Settings

REQUESTED = "approval.requested"
LAPSER = Principal.system("approvals")

audit.declare_actions(
    {REQUESTED: ("申请执行不可逆操作（待第二人审批）", "Irreversible act requested")}
)


class ApprovalLapsed(Conflict):
    """Too late: the request lapses now, and that much is kept."""

    code = "approval_lapsed"


add_messages(
    {
        "approvals.not_found": (
            "审批申请不存在。",
            "There is no such request.",
        ),
        "approvals.bureau_only": (
            "不可逆操作只能由数据局工作人员本人申请和审批。",
            "Irreversible acts are requested and approved by bureau staff in person only.",
        ),
        "approvals.same_person": (
            "申请人不能审批自己的申请：须由另一名数据局工作人员审批。",
            "You cannot approve your own request: another member of the bureau must.",
        ),
        "problem.second_approver_required": ("须由第二人审批", "A second approver is required"),
        "approvals.already_pending": (
            "“{target}”已有一项“{act}”申请在等待审批（{who} 于 {at} 提出）。",
            "“{target}” already has a request to {act} awaiting approval (made by {who} at {at}).",
        ),
        "problem.approval_pending": ("已有待审批的申请", "A request is already pending"),
        "approvals.pending_blocks": (
            "“{target}”有一项“{act}”申请在等待审批，请先批准或驳回该申请。",
            "“{target}” has a request to {act} awaiting approval; approve or reject it first.",
        ),
        "approvals.lapsed": (
            "该申请已于 {at} 超时失效，未执行任何操作；如仍需执行，请重新申请。",
            "The request lapsed at {at} and nothing was done; file a new request if still needed.",
        ),
        "problem.approval_lapsed": ("申请已超时失效", "Request lapsed"),
        "approvals.decision_unknown": (
            "所引用的集体决策不存在。",
            "The collective decision cited does not exist.",
        ),
        "approvals.decision_not_approved": (
            "所引用的集体决策（{meeting}）结果为“{outcome}”，不能作为执行依据。",
            "The collective decision cited ({meeting}) has the outcome “{outcome}”; nothing "
            "can be carried out on it.",
        ),
        "approvals.decision_other_matter": (
            "所引用的集体决策（{meeting}）不是针对“{target}”的“{act}”作出的。",
            "The collective decision cited ({meeting}) was not about {act} on “{target}”.",
        ),
        "approvals.via.approver": ("第二人审批", "second approver"),
        "approvals.via.collective_decision": ("集体决策", "collective decision"),
    }
)


def _person_of_bureau(actor: Principal) -> None:
    if actor.is_system or actor.organization_kind is not OrgKind.BUREAU:
        raise PermissionDenied("approvals.bureau_only")


def _same_person(actor: Principal, request: ApprovalRequest) -> bool:
    if actor.user_id is not None and request.requested_by_user_id is not None:
        return actor.user_id == request.requested_by_user_id
    return actor.username == request.requested_by


def _who(actor: Principal) -> str:
    return (actor.display_name or actor.username)[:200]


def _cited(
    session: Session,
    act: registry.Act,
    target_id: uuid.UUID,
    label: str,
    decision_id: uuid.UUID,
) -> DecisionRef:
    decision = registry.find_decision(session, decision_id)
    if decision is None:
        raise InvalidInput("approvals.decision_unknown")
    if decision.outcome != "approved":
        raise InvalidInput(
            "approvals.decision_not_approved",
            meeting=decision.meeting,
            outcome=MessageRef(f"decision.outcome.{decision.outcome}"),
        )
    if decision.subject_type != act.name or decision.subject_id != target_id:
        raise InvalidInput(
            "approvals.decision_other_matter",
            meeting=decision.meeting,
            act=MessageRef(f"approval_act.{act.name}"),
            target=label,
        )
    return decision


def request(
    session: Session,
    *,
    actor: Principal,
    settings: Settings,
    at: datetime,
    act: str,
    target_id: uuid.UUID,
    grounds: str,
    params: Mapping[str, Any] | None = None,
    decision_id: uuid.UUID | None = None,
) -> ApprovalRequest:
    """File a request for ``act`` on ``target_id``; carried out at once only if it cites an
    approved collective decision on this act and object recorded by someone else."""
    spec = registry.act(act)
    actor.require(spec.permission)
    _person_of_bureau(actor)
    subject = spec.subject(session, target_id)
    spec.check(session, target_id)
    waiting = repository.pending_act(session, act, target_id)
    if waiting is not None:
        raise Conflict(
            "approvals.already_pending",
            problem_code="approval_pending",
            target=subject.label,
            act=MessageRef(f"approval_act.{act}"),
            who=waiting.requested_by_name,
            at=waiting.requested_at.isoformat(timespec="minutes"),
        )
    decision = _cited(session, spec, target_id, subject.label, decision_id) if decision_id else None
    row = ApprovalRequest(
        act=act,
        target_type=spec.target_type,
        target_id=target_id,
        target_label=subject.label[:300],
        target_link=subject.link[:300],
        grounds=grounds,
        params=dict(params or {}),
        decision_id=decision.id if decision else None,
        status=st.APPROVAL.initial,
        requested_by=actor.username,
        requested_by_user_id=actor.user_id,
        requested_by_name=_who(actor),
        requested_at=at,
        expires_at=at + timedelta(hours=settings.approval_hours),
    )
    session.add(row)
    try:
        # Two people asking at the same moment: the partial unique index lets one through.
        # (No savepoint: on SQLite it would commit on its own; the whole request fails.)
        session.flush()
    except IntegrityError:
        raise Conflict(
            "approvals.already_pending",
            problem_code="approval_pending",
            target=subject.label,
            act=MessageRef(f"approval_act.{act}"),
            who="—",
            at=at.isoformat(timespec="minutes"),
        ) from None
    audit.record(
        session,
        actor=actor,
        action=REQUESTED,
        target_type=st.APPROVAL.entity,
        target_id=row.id,
        at=at,
        detail={
            "act": act,
            "target_type": spec.target_type,
            "target_id": str(target_id),
            "target": row.target_label,
            "grounds": grounds,
            "decision": str(decision.id) if decision else None,
            "expires_at": row.expires_at.isoformat(),
        },
    )
    if decision is not None and decision.recorded_by != actor.username:
        _carry_out(
            session,
            row,
            spec,
            actor=actor,
            settings=settings,
            at=at,
            second=(decision.recorded_by, None, decision.recorded_by),
            via="collective_decision",
            note=f"{decision.meeting}（{decision.held_on.isoformat()}）",
        )
    return row


def _carry_out(
    session: Session,
    row: ApprovalRequest,
    spec: registry.Act,
    *,
    actor: Principal,
    settings: Settings,
    at: datetime,
    second: tuple[str, uuid.UUID | None, str],
    via: str,
    note: str | None,
) -> None:
    spec.check(session, row.target_id)
    row.decided_by, row.decided_by_user_id, row.decided_by_name = second
    row.decided_via = via
    row.decided_at = at
    row.decision_note = note
    st.APPROVAL.fire(
        row,
        "approve",
        session=session,
        actor=actor,
        at=at,
        detail={
            "act": row.act,
            "target_id": str(row.target_id),
            "requested_by": row.requested_by,
            "second": second[0],
            "via": via,
            "note": note,
        },
    )
    spec.carry_out(Carry(session=session, actor=actor, settings=settings, at=at, request=row))
    row.carried_out_at = at


def _pending(
    session: Session, actor: Principal, approval_id: uuid.UUID, at: datetime
) -> tuple[ApprovalRequest, registry.Act]:
    actor.require(Permission.APPROVALS_DECIDE)
    row = repository.request(session, approval_id, for_update=True)
    if row is None:
        raise NotFound("approvals.not_found")
    spec = registry.act(row.act)
    actor.require(spec.permission)
    _person_of_bureau(actor)
    st.APPROVAL.require(row, "approve")
    if row.expires_at <= at:
        approval_id = row.id
        raise ApprovalLapsed(
            "approvals.lapsed", at=row.expires_at.isoformat(timespec="minutes")
        ).keep(lambda kept: _lapse_by_id(kept, approval_id, at))
    return row, spec


def approve(
    session: Session,
    *,
    actor: Principal,
    settings: Settings,
    at: datetime,
    approval_id: uuid.UUID,
    note: str = "",
) -> ApprovalRequest:
    """The second person approves: the act is carried out now, in this transaction."""
    row, spec = _pending(session, actor, approval_id, at)
    if _same_person(actor, row):
        raise PermissionDenied("approvals.same_person", problem_code="second_approver_required")
    _carry_out(
        session,
        row,
        spec,
        actor=actor,
        settings=settings,
        at=at,
        second=(actor.username, actor.user_id, _who(actor)),
        via="approver",
        note=note.strip() or None,
    )
    return row


def reject(
    session: Session,
    *,
    actor: Principal,
    at: datetime,
    approval_id: uuid.UUID,
    note: str,
) -> ApprovalRequest:
    """Another bureau user says no; nothing of the act happens."""
    row, _ = _pending(session, actor, approval_id, at)
    if _same_person(actor, row):
        raise PermissionDenied("approvals.same_person", problem_code="second_approver_required")
    row.decided_by, row.decided_by_user_id = actor.username, actor.user_id
    row.decided_by_name = _who(actor)
    row.decided_via = "approver"
    row.decided_at = at
    row.decision_note = note
    st.APPROVAL.fire(
        row,
        "reject",
        session=session,
        actor=actor,
        at=at,
        detail={"act": row.act, "target_id": str(row.target_id), "note": note},
    )
    return row


def on_decision(
    session: Session,
    *,
    actor: Principal,
    settings: Settings,
    at: datetime,
    decision: DecisionRef,
) -> ApprovalRequest | None:
    """A collective decision was just recorded on an act and an object (``subject_type`` is
    the act's name): the request waiting there, if any, follows it. An approval carries the
    act out, by the person who recorded the decision, unless that person made the request
    (then it is kept as the request's grounds and the request waits for a second person);
    a rejection rejects it; a deferral leaves it waiting."""
    waiting = repository.pending_act(session, decision.subject_type, decision.subject_id)
    if waiting is None:
        return None
    row, spec = _pending(session, actor, waiting.id, at)
    if row.decision_id is None:
        row.decision_id = decision.id
    meeting = f"{decision.meeting}（{decision.held_on.isoformat()}）"
    if decision.outcome == "deferred" or (
        decision.outcome == "approved" and _same_person(actor, row)
    ):
        return row
    if decision.outcome == "approved":
        _carry_out(
            session,
            row,
            spec,
            actor=actor,
            settings=settings,
            at=at,
            second=(actor.username, actor.user_id, _who(actor)),
            via="collective_decision",
            note=meeting,
        )
        return row
    row.decided_by, row.decided_by_user_id = actor.username, actor.user_id
    row.decided_by_name = _who(actor)
    row.decided_via = "collective_decision"
    row.decided_at = at
    row.decision_note = meeting
    st.APPROVAL.fire(
        row,
        "reject",
        session=session,
        actor=actor,
        at=at,
        detail={"act": row.act, "target_id": str(row.target_id), "decision": str(decision.id)},
    )
    return row


def _lapse(session: Session, row: ApprovalRequest, at: datetime) -> None:
    st.APPROVAL.fire(
        row,
        "lapse",
        session=session,
        actor=LAPSER,
        at=at,
        detail={
            "act": row.act,
            "target_id": str(row.target_id),
            "expired_at": row.expires_at.isoformat(),
        },
    )
    row.decided_at = at


def _lapse_by_id(session: Session, approval_id: uuid.UUID, at: datetime) -> None:
    """The lapse kept when a late approval is refused: re-read, since the refusal rolled
    the request's changes back; another request may have lapsed it meanwhile."""
    row = repository.request(session, approval_id, for_update=True)
    if row is not None and row.status == st.APPROVAL.initial:
        _lapse(session, row, at)


def lapse_due(session: Session, *, at: datetime) -> list[ApprovalRequest]:
    """Requests whose time ran out become ``lapsed`` (the daily sweep and every list)."""
    due = repository.due_to_lapse(session, at)
    for row in due:
        _lapse(session, row, at)
    return due


def get(session: Session, *, actor: Principal, approval_id: uuid.UUID) -> ApprovalRequest:
    actor.require(Permission.APPROVALS_READ)
    row = repository.request(session, approval_id)
    if row is None:
        raise NotFound("approvals.not_found")
    return row


def list_requests(
    session: Session,
    *,
    actor: Principal,
    at: datetime,
    status: str | None = None,
    limit: int = 100,
    offset: int = 0,
) -> tuple[int, list[ApprovalRequest]]:
    actor.require(Permission.APPROVALS_READ)
    lapse_due(session, at=at)
    return repository.requests(session, status=status, limit=limit, offset=offset)


def request_page(
    session: Session, *, actor: Principal, at: datetime, query: ListQuery
) -> Page[ApprovalRequest]:
    """One page of the approvals list (requests past their time lapse first)."""
    actor.require(Permission.APPROVALS_READ)
    lapse_due(session, at=at)
    return repository.request_page(session, query)


def pending_for(session: Session, targets: list[uuid.UUID]) -> list[ApprovalRequest]:
    """Requests still waiting on any of these objects (for their pages)."""
    return repository.pending_for(session, targets)


def refuse_while_pending(session: Session, *, act: str, target_id: uuid.UUID) -> None:
    """For a module's other operations that must not race a pending irreversible act."""
    waiting = repository.pending_act(session, act, target_id)
    if waiting is not None:
        raise Conflict(
            "approvals.pending_blocks",
            problem_code="approval_pending",
            target=waiting.target_label,
            act=MessageRef(f"approval_act.{act}"),
        )


def is_own(actor: Principal, row: ApprovalRequest) -> bool:
    return _same_person(actor, row)
