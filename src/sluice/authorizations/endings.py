"""Every way an agreement ends, through one door: ``end`` (DESIGN §1, Endings).

An agreement ends by

* expiry: the daily sweep finds its term over, or a renewal that never took effect
  (``expire``);
* termination, rescission (解除) or revocation (撤销), each an end of its own (R5.6): a
  second bureau user approved the request ``service.terminate`` filed, or it cited a
  collective decision someone else recorded (the acts of ``service.ENDING_ACTS``, below);
* voluntary exit: its approved exit is carried out on the exit date (``execute_exit``);
* forced exit (R5.5): a rectification failed (the act ``exits.FORCE``, below), its deadline
  passed (``mark_overdue``) or the operator refused it (``refuse_rectification``), and the
  exit is carried out at once (``force_exit``); or the bureau forced it directly for a
  major breach or violation, on a second approval (the act ``exits.FORCE_DIRECT``);
* with its predecessor: a renewal waiting to start ends when the agreement it renews does.

``end`` does the same for each, in this order, inside the caller's transaction:

1. the status changes (``expired``, ``terminated``, ``rescinded`` or ``revoked``), so the
   guard refuses every use at once, and the change is audited with its reason; how it
   ended is kept on the agreement (``end_kind``);
2. open rectification orders are withdrawn and exits still pending are closed as
   superseded (the exit being carried out, if any, stays for its handover);
3. the hooks other modules registered run, in ``HOOK_ORDER``;
4. renewals waiting to start end with it (each through ``end``, hooks and all);
5. once nothing in its renewal chain is left, its destruction is certified
   (``destruction.destroy``); the derived files and the data key are destroyed only after
   the transaction commits, and never if it rolls back;
6. then, for a chain that ever came into force, its assets are disposed of by R5.7
   (``assets.dispose_at_ending``: at expiry and termination as on exit) and the operator
   owes its signed attestation that its copies outside the platform are deleted
   (``attestations.open_for``, R5.6);
7. after a forced exit, a new selection opens for the scenario: a draft consultation round
   linked to the ended agreement (R5.5).

Hooks are how a module that holds something under an agreement (workspaces, exports,
products, subscriptions) closes it with the agreement, without this module importing it.
A hook changes rows in the same transaction, so the ending and everything that closed with
it commit together or not at all; it never commits and never deletes files itself (files
kept under the agreement are its derived data, destroyed after the commit in step 5).

This module depends only downward: on ``service``, ``exits`` and ``destruction``, none of
which imports it.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import datetime
from enum import StrEnum
from typing import Any, Final

from sqlalchemy.orm import Session

from sluice.approvals import registry as approvals_registry
from sluice.approvals.registry import Act, Carry, Subject
from sluice.audit import service as audit
from sluice.authorizations import assets, attestations, destruction, exits, repository, service
from sluice.authorizations import states as st
from sluice.authorizations.models import Authorization, ExitRequest, RectificationOrder
from sluice.core.clock import local
from sluice.core.errors import Conflict, NotFound
from sluice.core.i18n import MessageRef, add_messages, translate
from sluice.core.permissions import Permission
from sluice.core.principal import Principal
from sluice.core.settings import Settings
from sluice.operators.selection import service as selection

add_messages(
    {
        "authz.successor_ended": (
            "前序协议已终止，续期协议随之终止。",
            "The agreement it renews has ended, so the renewal ends too.",
        ),
    }
)


class Kind(StrEnum):
    """How an agreement ended."""

    EXPIRY = "expiry"
    TERMINATION = "termination"
    RESCISSION = "rescission"
    REVOCATION = "revocation"
    EXIT = "exit"
    FORCED_EXIT = "forced_exit"
    #: A renewal waiting to start, ended with the agreement it renews.
    SUCCESSOR = "successor"


#: The lifecycle transition each kind of ending fires (the others terminate).
_TRANSITIONS: Final = {Kind.EXPIRY: "expire", Kind.RESCISSION: "rescind", Kind.REVOCATION: "revoke"}
#: Each act by which the bureau ends an agreement, and the kind of ending it is.
_ACT_KINDS: Final = {
    service.TERMINATE: Kind.TERMINATION,
    service.RESCIND: Kind.RESCISSION,
    service.REVOKE: Kind.REVOCATION,
}

add_messages(
    {
        f"end_kind.{kind.value}": label
        for kind, label in {
            Kind.EXPIRY: ("期限届满", "Term ended"),
            Kind.TERMINATION: ("终止", "Terminated"),
            Kind.RESCISSION: ("解除", "Rescinded"),
            Kind.REVOCATION: ("撤销", "Revoked"),
            Kind.EXIT: ("自愿退出", "Voluntary exit"),
            Kind.FORCED_EXIT: ("强制退出", "Forced exit"),
            Kind.SUCCESSOR: ("随前序协议终止", "Ended with the agreement it renews"),
        }.items()
    }
)


@dataclass(frozen=True)
class Ending:
    """One agreement ending, as ``end`` carries it out and the hooks read it."""

    authorization: Authorization
    kind: Kind
    #: Kept on the agreement and in the audit log as people read it.
    reason: str
    actor: Principal
    settings: Settings
    at: datetime
    #: The exit this ending carries out (voluntary or forced): it stays open for its handover.
    exit: ExitRequest | None = None
    #: The two people behind a termination, for the audit log.
    approval: dict[str, Any] | None = None

    @property
    def transition(self) -> str:
        return _TRANSITIONS.get(self.kind, "terminate")


#: What a module runs when an agreement ends: inside the ending's transaction, no commit.
EndingHook = Callable[[Session, Ending], None]

#: The places other modules take in an ending, in the order their hooks run: from the
#: outside in. Buyers' subscriptions close first, then the products that served them, then
#: exports still under review, last the sandbox workspaces everything was made in.
HOOK_ORDER: Final = ("subscriptions", "products", "exports", "workspaces")

_hooks: dict[str, EndingHook] = {}


def register_ending_hook(name: str, hook: EndingHook) -> Callable[[], None]:
    """Run ``hook`` whenever an agreement ends, at place ``name`` of ``HOOK_ORDER``.

    A module registers once, at import. Returns what undoes the registration."""
    if name not in HOOK_ORDER:
        raise ValueError(f"{name!r} has no place in HOOK_ORDER {HOOK_ORDER}")
    if name in _hooks:
        raise ValueError(f"an ending hook is already registered at {name!r}")
    _hooks[name] = hook

    def unregister() -> None:
        if _hooks.get(name) is hook:
            del _hooks[name]

    return unregister


def ending_hooks() -> tuple[str, ...]:
    """The places with a hook, in the order they run."""
    return tuple(name for name in HOOK_ORDER if name in _hooks)


def end(session: Session, ending: Ending) -> Authorization:
    """End the agreement: the one door every ending goes through (see the module docstring
    for what happens, in order). Nobody calls it directly; each kind of ending has its own
    function below that knows its checks and its reason."""
    authorization = ending.authorization
    detail: dict[str, Any] = {"reason": ending.reason}
    if ending.approval:
        detail["approval"] = ending.approval
    st.AUTHORIZATION.fire(
        authorization,
        ending.transition,
        session=session,
        actor=ending.actor,
        at=ending.at,
        detail=detail,
    )
    authorization.ended_at = ending.at
    authorization.end_reason = ending.reason
    authorization.end_kind = ending.kind.value
    _close_open_matters(session, ending)
    for name in ending_hooks():
        _hooks[name](session, ending)
    for successor in repository.successors(session, authorization.id):
        if successor.status in st.TERMINABLE:
            end(
                session,
                replace(
                    ending,
                    authorization=successor,
                    kind=Kind.SUCCESSOR,
                    reason=translate("authz.successor_ended", "zh-CN"),
                    exit=None,
                    approval=None,
                ),
            )
    certificate = destruction.destroy(
        session, authorization=authorization, settings=ending.settings, at=ending.at
    )
    if certificate is not None and ending.kind is not Kind.SUCCESSOR:
        _settle(session, ending)
    if ending.kind is Kind.FORCED_EXIT:
        _select_again(session, ending)
    return authorization


def _settle(session: Session, ending: Ending) -> None:
    """What follows the destruction of a chain that ever came into force: its assets go
    where R5.7 and the agreement say, and the operator owes its deletion attestation."""
    authorization = ending.authorization
    if all(m.activated_at is None for m in destruction.chain(session, authorization)):
        return  # never in force: the operator never held anything under it
    assets.dispose_at_ending(
        session,
        authorization=authorization,
        exit_id=ending.exit.id if ending.exit else None,
        actor=ending.actor,
        at=ending.at,
    )
    attestations.open_for(session, authorization=authorization, actor=ending.actor, at=ending.at)


def _select_again(session: Session, ending: Ending) -> None:
    """After a forced exit the bureau selects a new operator for the scenario (R5.5)."""
    authorization = ending.authorization
    grounds = ending.exit.grounds if ending.exit else None
    selection.open_after_forced_exit(
        session,
        actor=ending.actor,
        at=ending.at,
        authorization_id=authorization.id,
        agreement_number=authorization.number,
        scenario=authorization.scenario,
        grounds=translate(f"grounds.{grounds}", "zh-CN") if grounds else "违规",
        criteria_from=authorization.selection_round_id,
    )


def _close_open_matters(session: Session, ending: Ending) -> None:
    """Withdraw the agreement's open orders and close exits that no longer apply."""
    authorization, actor, at = ending.authorization, ending.actor, ending.at
    for order in repository.rectifications(session, authorization.id):
        if order.status in st.RECT_OPEN_STATES:
            st.RECTIFICATION.fire(order, "withdraw", session=session, actor=actor, at=at)
    carried_out = ending.exit.id if ending.exit is not None else None
    for request in repository.exits(session, authorization.id):
        if request.id != carried_out and request.status in (st.EXIT_REQUESTED, st.EXIT_APPROVED):
            st.EXIT.fire(request, "supersede", session=session, actor=actor, at=at)
            request.decision_reason = translate(f"state.exit.{st.EXIT_SUPERSEDED}", "zh-CN")


def _agreement(
    session: Session, authorization_id: uuid.UUID, *, for_update: bool = False
) -> Authorization:
    found = repository.authorization(session, authorization_id, for_update=for_update)
    if found is None:
        raise NotFound("authz.not_found")
    return found


# -- expiry -----------------------------------------------------------------------------------


def expire(
    session: Session,
    *,
    actor: Principal,
    settings: Settings,
    at: datetime,
    authorization: Authorization,
    reason: str,
) -> Authorization:
    """The term is over (the sweep decides when): the agreement expires."""
    return end(
        session,
        Ending(authorization, Kind.EXPIRY, reason, actor=actor, settings=settings, at=at),
    )


# -- termination, rescission and revocation on an approved request ---------------------------


def _termination_subject(session: Session, authorization_id: uuid.UUID) -> Subject:
    found = _agreement(session, authorization_id)
    return Subject(f"{found.number} {found.scenario}", f"/console/authorizations/{found.id}")


def _termination_check(session: Session, authorization_id: uuid.UUID) -> None:
    st.AUTHORIZATION.require(_agreement(session, authorization_id), "terminate")


def _carry_out_termination(carry: Carry) -> None:
    found = _agreement(carry.session, carry.request.target_id, for_update=True)
    end(
        carry.session,
        Ending(
            found,
            _ACT_KINDS[carry.request.act],
            carry.request.grounds,
            actor=carry.actor,
            settings=carry.settings,
            at=carry.at,
            approval=carry.audit_detail(),
        ),
    )


def _rescission_check(session: Session, authorization_id: uuid.UUID) -> None:
    st.AUTHORIZATION.require(_agreement(session, authorization_id), "rescind")


def _revocation_check(session: Session, authorization_id: uuid.UUID) -> None:
    st.AUTHORIZATION.require(_agreement(session, authorization_id), "revoke")


for _name, _zh, _en, _check in (
    (service.TERMINATE, "终止授权运营协议", "Terminate an authorization", _termination_check),
    (service.RESCIND, "解除授权运营协议", "Rescind an authorization", _rescission_check),
    (service.REVOKE, "撤销授权", "Revoke an authorization", _revocation_check),
):
    approvals_registry.register(
        Act(
            name=_name,
            label_zh=_zh,
            label_en=_en,
            target_type="authorization",
            permission=Permission.AUTHORIZATIONS_MANAGE,
            subject=_termination_subject,
            check=_check,
            carry_out=_carry_out_termination,
        )
    )


# -- exits, voluntary and forced --------------------------------------------------------------


def execute_exit(
    session: Session,
    *,
    actor: Principal,
    settings: Settings,
    at: datetime,
    exit_id: uuid.UUID,
) -> ExitRequest:
    """End the authorization of an approved exit whose date has come, and open the handover."""
    actor.require(Permission.EXITS_DECIDE)
    request = exits.seen_exit(session, actor, exit_id)
    st.EXIT.require(request, "execute")
    if request.kind == "voluntary" and request.exit_date > local(at).date():
        raise Conflict("exit.not_due", date=request.exit_date.isoformat())
    authorization = service.seen(session, actor, request.authorization_id)
    if authorization.status not in st.TERMINABLE and authorization.status not in st.ENDED:
        raise Conflict(
            "exit.not_in_force", status=MessageRef(f"state.authorization.{authorization.status}")
        )
    if authorization.status in st.TERMINABLE:
        # Kept as people read it: auditors see the kind of exit and the request's words.
        kind = translate(f"exit_kind.{request.kind}", "zh-CN")
        end(
            session,
            Ending(
                authorization,
                Kind.EXIT if request.kind == "voluntary" else Kind.FORCED_EXIT,
                f"{kind}：{request.letter[:200]}",
                actor=actor,
                settings=settings,
                at=at,
                exit=request,
            ),
        )
    st.EXIT.fire(request, "execute", session=session, actor=actor, at=at)
    exits.open_handover(session, request, authorization, actor=actor, at=at)
    return request


def force_exit(
    session: Session,
    *,
    actor: Principal,
    settings: Settings,
    at: datetime,
    order: RectificationOrder,
    liability: str,
    requested_by: str | None = None,
    approval: dict[str, Any] | None = None,
) -> ExitRequest:
    """A missed (the sweep), refused (the operator) or failed (an approved request)
    rectification ends the agreement at once, and liability is pursued (R5.5): ``liability``
    says why ("overdue", "refused", "failed"). Only those three call this."""
    authorization = _agreement(session, order.authorization_id)
    return _force(
        session,
        actor=actor,
        settings=settings,
        at=at,
        authorization=authorization,
        grounds=order.grounds,
        description=order.description,
        reason=order.check_note or translate(f"state.rectification.{order.status}", "zh-CN"),
        rectification_id=order.id,
        liability=liability,
        requested_by=requested_by,
        detail={"rectification": str(order.id), "status": order.status},
        approval=approval,
    )


def _force(
    session: Session,
    *,
    actor: Principal,
    settings: Settings,
    at: datetime,
    authorization: Authorization,
    grounds: str,
    description: str,
    reason: str,
    rectification_id: uuid.UUID | None,
    liability: str | None,
    requested_by: str | None,
    detail: dict[str, Any],
    approval: dict[str, Any] | None,
) -> ExitRequest:
    """Record the forced exit as approved today and carry it out at once."""
    request = ExitRequest(
        authorization_id=authorization.id,
        kind="forced",
        status=st.EXIT_APPROVED,
        letter=f"{translate(f'grounds.{grounds}', 'zh-CN')}：{description}",
        exit_date=local(at).date(),
        requested_by=requested_by or actor.username,
        requested_at=at,
        rectification_id=rectification_id,
        grounds=grounds,
        decision_reason=reason,
        decided_by=actor.username,
        decided_at=at,
    )
    session.add(request)
    session.flush()
    if approval:
        detail = {**detail, "approval": approval}
    audit.record(
        session,
        actor=actor,
        action=exits.FORCED_EXIT,
        target_type="authorization",
        target_id=authorization.id,
        at=at,
        detail={**detail, "grounds": grounds},
    )
    if liability is not None:
        exits.pursue_liability(session, request, why=liability, actor=actor, at=at)
    return execute_exit(session, actor=actor, settings=settings, at=at, exit_id=request.id)


def mark_overdue(
    session: Session,
    *,
    actor: Principal,
    settings: Settings,
    at: datetime,
    order: RectificationOrder,
) -> None:
    """The rectification deadline passed with nothing reported: the exit is forced."""
    st.RECTIFICATION.fire(
        order,
        "overdue",
        session=session,
        actor=actor,
        at=at,
        detail={"deadline": order.deadline.isoformat()},
    )
    force_exit(session, actor=actor, settings=settings, at=at, order=order, liability="overdue")


#: Who carries out the ending that an operator's refusal to rectify brings about: the
#: platform, on the operator's own word (the operator may not end agreements itself).
ON_REFUSAL = Principal.system("rectification-refused")


def refuse_rectification(
    session: Session,
    *,
    actor: Principal,
    settings: Settings,
    at: datetime,
    order_id: uuid.UUID,
    reason: str,
) -> RectificationOrder:
    """The operator refuses to rectify (拒不整改): the order is refused, the agreement ends
    at once by forced exit, and liability is pursued (R5.5)."""
    actor.require(Permission.RECTIFICATIONS_RESPOND)
    order = exits.seen_order(session, actor, order_id)
    authorization = service.seen(session, actor, order.authorization_id)
    if authorization.operator_id != actor.organization_id:
        raise NotFound("rect.not_found")
    st.RECTIFICATION.fire(
        order, "refuse", session=session, actor=actor, at=at, detail={"reason": reason}
    )
    order.report = reason
    order.reported_at = at
    force_exit(
        session,
        actor=ON_REFUSAL,
        settings=settings,
        at=at,
        order=order,
        liability="refused",
        requested_by=actor.username,
    )
    return order


def _order(session: Session, order_id: uuid.UUID) -> RectificationOrder:
    found = repository.rectification(session, order_id)
    if found is None:
        raise NotFound("rect.not_found")
    return found


def _force_subject(session: Session, order_id: uuid.UUID) -> Subject:
    order = _order(session, order_id)
    authorization = _agreement(session, order.authorization_id)
    return Subject(
        f"{authorization.number} {order.description[:100]}",
        f"/console/authorizations/{authorization.id}",
    )


def _force_check(session: Session, order_id: uuid.UUID) -> None:
    order = _order(session, order_id)
    st.RECTIFICATION.require(order, "fail")
    authorization = _agreement(session, order.authorization_id)
    if authorization.status not in st.TERMINABLE:
        raise Conflict(
            "exit.not_in_force", status=MessageRef(f"state.authorization.{authorization.status}")
        )


def _carry_out_forced_exit(carry: Carry) -> None:
    session, actor, at = carry.session, carry.actor, carry.at
    order = _order(session, carry.request.target_id)
    note = str(carry.params.get("note") or carry.request.grounds)
    st.RECTIFICATION.fire(
        order,
        "fail",
        session=session,
        actor=actor,
        at=at,
        detail={"note": note, "approval": carry.audit_detail()},
    )
    order.check_note = note
    order.checked_at = at
    force_exit(
        session,
        actor=actor,
        settings=carry.settings,
        at=at,
        order=order,
        liability="failed",
        requested_by=carry.request.requested_by,
        approval=carry.audit_detail(),
    )


approvals_registry.register(
    Act(
        name=exits.FORCE,
        label_zh="认定整改不合格并强制退出",
        label_en="Fail a rectification and force the exit",
        target_type="rectification",
        permission=Permission.RECTIFICATIONS_ISSUE,
        subject=_force_subject,
        check=_force_check,
        carry_out=_carry_out_forced_exit,
    )
)


# -- a forced exit without rectification, for a major breach or violation --------------------


def _direct_subject(session: Session, authorization_id: uuid.UUID) -> Subject:
    return _termination_subject(session, authorization_id)


def _direct_check(session: Session, authorization_id: uuid.UUID) -> None:
    authorization = _agreement(session, authorization_id)
    if authorization.status not in (st.ACTIVE, st.SUSPENDED, st.EXPIRING, st.RENEWED):
        raise Conflict(
            "exit.not_in_force", status=MessageRef(f"state.authorization.{authorization.status}")
        )


def _carry_out_direct_exit(carry: Carry) -> None:
    authorization = _agreement(carry.session, carry.request.target_id, for_update=True)
    grounds = str(carry.params.get("grounds") or "violation")
    _force(
        carry.session,
        actor=carry.actor,
        settings=carry.settings,
        at=carry.at,
        authorization=authorization,
        grounds=grounds,
        description=carry.request.grounds,
        reason=carry.request.grounds,
        rectification_id=None,
        liability=None,
        requested_by=carry.request.requested_by,
        detail={"direct": True},
        approval=carry.audit_detail(),
    )


approvals_registry.register(
    Act(
        name=exits.FORCE_DIRECT,
        label_zh="因重大违约或违法违规直接强制退出",
        label_en="Force the exit directly for a major breach or violation",
        target_type="authorization",
        permission=Permission.EXITS_DECIDE,
        subject=_direct_subject,
        check=_direct_check,
        carry_out=_carry_out_direct_exit,
    )
)
