"""``record``: the single entry point that writes to the audit log.

It adds the event to the caller's session, so the change and its trace commit together
or not at all. Actions are declared (with labels auditors can read) before they are used.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from datetime import datetime
from typing import Any, Literal

from sqlalchemy import String
from sqlalchemy.orm import Session

from sluice.audit import repository
from sluice.audit.models import AuditEvent
from sluice.core.i18n import add_messages
from sluice.core.ids import sm3_hex
from sluice.core.permissions import Permission
from sluice.core.principal import Principal

Outcome = Literal["ok", "refused", "failed"]

#: Characters of the SM3 digest that stand for the cut-off end of an over-long value.
_DIGEST_CHARS = 20

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
    """Append one event. Values too long for their column (a username someone typed at the
    login form, say) are kept whole in ``detail`` and shortened in the column; see ``_fit``."""
    if action not in _actions:
        raise ValueError(f"audit action {action!r} is not declared")
    details = dict(detail or {})
    target = _fit(str(target_id), "target_id", details)
    username = _fit(actor.username, "actor_username", details)
    event = AuditEvent(
        occurred_at=at,
        action=action,
        outcome=outcome,
        actor_username=username,
        actor_via=actor.via,
        actor_user_id=actor.user_id,
        actor_organization_id=actor.organization_id,
        actor_api_key_id=actor.api_key_id,
        target_type=target_type,
        target_id=target,
        detail=details,
    )
    session.add(event)
    return event


def _fit(value: str, column: str, details: dict[str, Any]) -> str:
    """``value`` if it fits its column; else its start, ``…`` and 20 hex of its SM3 digest.

    Ids (UUIDs, codes) always fit and are stored as they are. A longer value is stored whole
    in ``detail[column]``; the shortened form stays distinct for distinct values, so an
    auditor can still filter on it.
    """
    column_type = AuditEvent.__table__.c[column].type
    limit = column_type.length if isinstance(column_type, String) else None
    if limit is None or len(value) <= limit:
        return value
    details.setdefault(column, value)
    head = limit - 1 - _DIGEST_CHARS
    return f"{value[:head]}…{sm3_hex(value)[:_DIGEST_CHARS]}"


def events(
    session: Session,
    *,
    actor: Principal,
    action: str | None = None,
    limit: int = 100,
    offset: int = 0,
) -> tuple[int, list[AuditEvent]]:
    """The whole log, newest first, optionally of one action (whoever reads the audit log)."""
    actor.require(Permission.AUDIT_READ)
    return repository.list_events(session, action=action, limit=limit, offset=offset)
