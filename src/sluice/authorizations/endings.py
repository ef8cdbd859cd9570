"""Every way an agreement ends, through one door: ``end`` (DESIGN §1, Endings).

An agreement ends by

* expiry: the daily sweep finds its term over, or a renewal that never took effect
  (``expire``);
* termination: a second bureau user approved the request ``service.terminate`` filed, or
  it cited a collective decision someone else recorded (the act ``TERMINATE``, below);
* voluntary exit: its approved exit is carried out on the exit date (``execute_exit``);
* forced exit: a rectification failed (the act ``exits.FORCE``, below) or its deadline
  passed (``mark_overdue``), and the exit is carried out at once (``force_exit``);
* with its predecessor: a renewal waiting to start ends when the agreement it renews does.

``end`` does the same for each, in this order, inside the caller's transaction:

1. the status changes (``expired`` or ``terminated``), so the guard refuses every use at
   once, and the change is audited with its reason;
2. open rectification orders are withdrawn and exits still pending are closed as
   superseded (the exit being carried out, if any, stays for its handover);
3. the hooks other modules registered run, in ``HOOK_ORDER``;
4. renewals waiting to start end with it (each through ``end``, hooks and all);
5. once nothing in its renewal chain is left, its destruction is certified
   (``destruction.destroy``); the derived files and the data key are destroyed only after
   the transaction commits, and never if it rolls back.

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
from sluice.authorizations import destruction, exits, repository, service
from sluice.authorizations import states as st
from sluice.authorizations.models import Authorization, ExitRequest, RectificationOrder
from sluice.core.clock import local
from sluice.core.errors import Conflict, NotFound
from sluice.core.i18n import MessageRef, add_messages, translate
from sluice.core.permissions import Permission
from sluice.core.principal import Principal
from sluice.core.settings import Settings

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
    EXIT = "exit"
    FORCED_EXIT = "forced_exit"
    #: A renewal waiting to start, ended with the agreement it renews.
    SUCCESSOR = "successor"


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
        return "expire" if self.kind is Kind.EXPIRY else "terminate"


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
    destruction.destroy(
        session, authorization=authorization, settings=ending.settings, at=ending.at
    )
    return authorization


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


# -- termination on an approved request -------------------------------------------------------


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
            Kind.TERMINATION,
            carry.request.grounds,
            actor=carry.actor,
            settings=carry.settings,
            at=carry.at,
            approval=carry.audit_detail(),
        ),
    )


approvals_registry.register(
    Act(
        name=service.TERMINATE,
        label_zh="终止授权运营协议",
        label_en="Terminate an authorization",
        target_type="authorization",
        permission=Permission.AUTHORIZATIONS_MANAGE,
        subject=_termination_subject,
        check=_termination_check,
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
    requested_by: str | None = None,
    approval: dict[str, Any] | None = None,
) -> ExitRequest:
    """A missed (the sweep) or failed (an approved request) rectification ends the
    agreement at once (R5.5). Only those two call this."""
    authorization = _agreement(session, order.authorization_id)
    request = ExitRequest(
        authorization_id=authorization.id,
        kind="forced",
        status=st.EXIT_APPROVED,
        letter=f"{translate(f'grounds.{order.grounds}', 'zh-CN')}：{order.description}",
        exit_date=local(at).date(),
        requested_by=requested_by or actor.username,
        requested_at=at,
        rectification_id=order.id,
        decision_reason=order.check_note or "逾期未整改",
        decided_by=actor.username,
        decided_at=at,
    )
    session.add(request)
    session.flush()
    detail: dict[str, Any] = {"rectification": str(order.id), "status": order.status}
    if approval:
        detail["approval"] = approval
    audit.record(
        session,
        actor=actor,
        action=exits.FORCED_EXIT,
        target_type="authorization",
        target_id=authorization.id,
        at=at,
        detail=detail,
    )
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
    force_exit(session, actor=actor, settings=settings, at=at, order=order)


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
