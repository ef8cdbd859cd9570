"""``record``: the single entry point that writes to the audit log.

It adds the event to the caller's session, so the change and its trace commit together
or not at all. Actions are declared (with labels auditors can read) before they are used.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from datetime import datetime
from typing import Any, Literal

from sqlalchemy.orm import Session

from sluice.audit.models import AuditEvent
from sluice.core.i18n import add_messages
from sluice.identity.principal import Principal

Outcome = Literal["ok", "refused", "failed"]

_actions: set[str] = set()


def declare_actions(actions: Mapping[str, tuple[str, str]]) -> None:
    """Declare audit actions with their zh-CN and English labels."""
    add_messages({f"audit.action.{name}": labels for name, labels in actions.items()})
    _actions.update(actions)


def declared_actions() -> frozenset[str]:
    return frozenset(_actions)


def record(
    session: Session,
    *,
    actor: Principal,
    action: str,
    target_type: str,
    target_id: str | uuid.UUID,
    at: datetime,
    outcome: Outcome = "ok",
    detail: Mapping[str, Any] | None = None,
) -> AuditEvent:
    if action not in _actions:
        raise ValueError(f"audit action {action!r} is not declared")
    event = AuditEvent(
        occurred_at=at,
        action=action,
        outcome=outcome,
        actor_username=actor.username,
        actor_via=actor.via,
        actor_user_id=actor.user_id,
        actor_organization_id=actor.organization_id,
        actor_api_key_id=actor.api_key_id,
        target_type=target_type,
        target_id=str(target_id),
        detail=dict(detail or {}),
    )
    session.add(event)
    return event
