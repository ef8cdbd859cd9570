"""How every act on an application begins and ends.

It begins by reaching the application as the actor may: one they may see (``repository``
scopes it; any other is not found), a draft when the applicant changes it, a submitted one
when the reviewer acts on it. A refusal of the input names the form field it is about. It
ends with the application touched and the act in the audit log.
"""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy.orm import Session

from sluice.audit import service as audit
from sluice.core.clock import Clock
from sluice.core.errors import Conflict, InvalidInput, NotFound, PermissionDenied
from sluice.core.i18n import MessageRef, add_messages
from sluice.core.permissions import Permission
from sluice.core.principal import Principal
from sluice.operators import repository
from sluice.operators.models import OperatorApplication
from sluice.operators.states import APPLICATION, DRAFT, SUBMITTED

ENTITY = APPLICATION.entity


add_messages(
    {
        "operators.not_found": (
            "资格申请不存在，或您无权查看。",
            "There is no such application, or you may not see it.",
        ),
        "operators.not_editable": (
            "申请当前为“{state}”，只有“填写中”的申请可以修改。",
            "The application is '{state}'; only a draft can be changed.",
        ),
        "operators.not_under_review": (
            "申请当前为“{state}”，只有“待审核”的申请可以审核。",
            "The application is '{state}'; only a submitted application can be reviewed.",
        ),
    }
)


def invalid(message_key: str, on: str, /, **params: Any) -> InvalidInput:
    """A refusal of the input, naming the field it is about (forms show it there)."""
    kind = message_key.rsplit(".", 1)[-1]
    return InvalidInput(message_key, errors=[{"field": on, "type": kind}], **params)


def record(
    session: Session,
    *,
    actor: Principal,
    at: Any,
    action: str,
    target_id: uuid.UUID,
    detail: dict[str, Any] | None = None,
) -> None:
    audit.record(
        session,
        actor=actor,
        action=f"{ENTITY}.{action}",
        target_type=ENTITY,
        target_id=target_id,
        at=at,
        detail=detail,
    )


def _state(application: OperatorApplication) -> MessageRef:
    return MessageRef(f"state.{ENTITY}.{application.status}")


def require_any(actor: Principal, *permissions: Permission) -> None:
    if not any(actor.has(p) for p in permissions):
        raise PermissionDenied(permission=MessageRef(f"permission.{permissions[0]}"))


def visible(
    session: Session, actor: Principal, application_id: uuid.UUID, *, for_update: bool = False
) -> OperatorApplication:
    found = repository.visible_application(
        session, actor=actor, application_id=application_id, for_update=for_update
    )
    if found is None:
        raise NotFound("operators.not_found")
    return found


def draft(session: Session, actor: Principal, application_id: uuid.UUID) -> OperatorApplication:
    """The applicant's own application, which must be a draft to change."""
    actor.require(Permission.OPERATORS_APPLY)
    application = visible(session, actor, application_id, for_update=True)
    if application.status != DRAFT:
        raise Conflict("operators.not_editable", state=_state(application))
    return application


def under_review(
    session: Session, actor: Principal, application_id: uuid.UUID
) -> OperatorApplication:
    actor.require(Permission.OPERATORS_REVIEW)
    application = visible(session, actor, application_id, for_update=True)
    if application.status != SUBMITTED:
        raise Conflict("operators.not_under_review", state=_state(application))
    return application


def touch(application: OperatorApplication, clock: Clock) -> Any:
    now = clock.now()
    application.updated_at = now
    return now
