"""The irreversible acts other modules register, and where collective decisions are kept.

A module that owns an irreversible act declares it once, next to the function that does
it, with ``register(Act(...))``: what it is called, which permission it needs (to request
it and to approve it), how to name the object it acts on, what must hold before it can
happen, and how to carry it out. Collective decisions (三重一大) are kept by the
authorizations module; it registers a ``DecisionBook`` so a request can cite one.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, Protocol

from sqlalchemy.orm import Session

from sluice.approvals.models import ApprovalRequest
from sluice.core.i18n import add_messages
from sluice.core.permissions import Permission
from sluice.core.principal import Principal
from sluice.core.settings import Settings


@dataclass(frozen=True)
class Subject:
    """The object an act is about, as people read it, and its console page."""

    label: str
    link: str


@dataclass(frozen=True)
class Carry:
    """Everything an act needs when it is carried out after its second approval."""

    session: Session
    #: Who carries it out: the second approver, or the requester when a collective
    #: decision someone else recorded is the second person.
    actor: Principal
    settings: Settings
    at: datetime
    request: ApprovalRequest

    @property
    def params(self) -> Mapping[str, Any]:
        return self.request.params or {}

    def audit_detail(self) -> dict[str, Any]:
        """What the act's own audit event should say about its two people."""
        return {
            "approval": str(self.request.id),
            "requested_by": self.request.requested_by,
            "approved_by": self.request.decided_by,
            "approved_via": self.request.decided_via,
        }


@dataclass(frozen=True)
class Act:
    #: Stable name, also the audit target of requests, e.g. "authorization.terminate".
    name: str
    label_zh: str
    label_en: str
    #: What ``target_id`` names, e.g. "authorization".
    target_type: str
    #: Needed both to request the act and to approve it.
    permission: Permission
    #: The object as people read it; raises ``NotFound`` when there is none.
    subject: Callable[[Session, uuid.UUID], Subject]
    #: Raises a ``SluiceError`` when the act cannot happen to the object now; called when
    #: the request is made and again just before it is carried out.
    check: Callable[[Session, uuid.UUID], None]
    carry_out: Callable[[Carry], None]


@dataclass(frozen=True)
class DecisionRef:
    """A recorded collective decision, as far as an approval needs to know it."""

    id: uuid.UUID
    subject_type: str
    subject_id: uuid.UUID
    outcome: str
    meeting: str
    held_on: date
    recorded_by: str


class DecisionBook(Protocol):
    def find(self, session: Session, decision_id: uuid.UUID) -> DecisionRef | None: ...


_acts: dict[str, Act] = {}
_books: list[DecisionBook] = []


def register(act: Act) -> Act:
    if len(act.name) > 40:
        raise ValueError(f"act name {act.name!r} is longer than 40 characters")
    _acts[act.name] = act
    add_messages({f"approval_act.{act.name}": (act.label_zh, act.label_en)})
    return act


def act(name: str) -> Act:
    found = _acts.get(name)
    if found is None:
        raise LookupError(f"no irreversible act {name!r} is registered")
    return found


def registered() -> dict[str, Act]:
    return dict(_acts)


def register_decisions(book: DecisionBook) -> None:
    _books[:] = [book]


def find_decision(session: Session, decision_id: uuid.UUID) -> DecisionRef | None:
    return _books[0].find(session, decision_id) if _books else None
