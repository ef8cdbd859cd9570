"""Lifecycles declared as data: states, transitions, who may fire each, all audited.

A module declares its machine once (``states.py``); pages and docs can draw
``machine.table()``, tests walk ``machine.transitions``, and ``fire`` is the only way a
status changes. It lives with the audit log, not in ``core``, because every transition it
fires is an audit event: core stays free of everything above it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol, Unpack

from sqlalchemy.orm import Session

from sluice.audit import service as audit
from sluice.core.errors import InvalidTransition
from sluice.core.i18n import MessageList, MessageRef, add_messages, translate
from sluice.core.permissions import Permission
from sluice.core.principal import Principal


class HasStatus(Protocol):
    id: Any
    status: str


@dataclass(frozen=True)
class Transition:
    name: str
    sources: tuple[str, ...]
    target: str
    permission: Permission
    label_zh: str
    label_en: str


#: Every machine declared so far, by entity: tests walk them all, docs can draw them.
MACHINES: dict[str, StateMachine] = {}


class StateMachine:
    def __init__(
        self,
        *,
        entity: str,
        entity_labels: tuple[str, str],
        states: Mapping[str, tuple[str, str]],
        initial: str,
        transitions: tuple[Transition, ...],
    ) -> None:
        self.entity = entity
        self.states = tuple(states)
        self.initial = initial
        self.transitions = transitions
        self._by_name = {t.name: t for t in transitions}
        if len(self._by_name) != len(transitions):
            raise ValueError(f"{entity}: transition names must be unique")
        if initial not in states:
            raise ValueError(f"{entity}: initial state {initial!r} is not declared")
        for t in transitions:
            unknown = {*t.sources, t.target} - set(states)
            if unknown:
                raise ValueError(f"{entity}.{t.name}: undeclared states {sorted(unknown)}")
        add_messages({f"entity.{entity}": entity_labels})
        add_messages({f"state.{entity}.{name}": labels for name, labels in states.items()})
        add_messages(
            {f"transition.{entity}.{t.name}": (t.label_zh, t.label_en) for t in transitions}
        )
        audit.declare_actions({f"{entity}.{t.name}": (t.label_zh, t.label_en) for t in transitions})
        MACHINES[entity] = self

    def available(self, state: str) -> tuple[Transition, ...]:
        return tuple(t for t in self.transitions if state in t.sources)

    def require(self, obj: HasStatus, name: str) -> Transition:
        """The transition ``name`` if it may fire from ``obj``'s state; otherwise the refusal
        ``fire`` would give, so a service can check before it changes anything."""
        transition = self._by_name.get(name)
        if transition is None or obj.status not in transition.sources:
            raise InvalidTransition(
                entity=MessageRef(f"entity.{self.entity}"),
                state=MessageRef(f"state.{self.entity}.{obj.status}"),
                transition=MessageRef(f"transition.{self.entity}.{name}"),
                allowed=MessageList(
                    [f"transition.{self.entity}.{t.name}" for t in self.available(obj.status)]
                ),
            )
        return transition

    def fire(
        self,
        obj: HasStatus,
        name: str,
        *,
        session: Session,
        actor: Principal,
        at: datetime,
        detail: Mapping[str, Any] | None = None,
        **fields: Unpack[audit.EntryFields],
    ) -> Transition:
        """Move ``obj`` along ``name`` and record it; ``fields`` are ``record``'s optional
        entry fields (reason code, agreement, purpose, consent, resources)."""
        transition = self.require(obj, name)
        actor.require(transition.permission)
        previous = obj.status
        obj.status = transition.target
        audit.record(
            session,
            actor=actor,
            action=f"{self.entity}.{name}",
            target_type=self.entity,
            target_id=str(obj.id),
            at=at,
            detail={"from": previous, "to": transition.target, **(detail or {})},
            **fields,
        )
        return transition

    def table(self, locale: str) -> list[dict[str, str]]:
        """The machine as rows a page or a document can show."""
        return [
            {
                "transition": translate(f"transition.{self.entity}.{t.name}", locale),
                "from": "、".join(translate(f"state.{self.entity}.{s}", locale) for s in t.sources),
                "to": translate(f"state.{self.entity}.{t.target}", locale),
                "permission": translate(f"permission.{t.permission.value}", locale),
            }
            for t in self.transitions
        ]
