"""The access decision for data used under an authorization, recorded either way.

Every path that touches authorized data (the sandbox, product builds, exports, the
gateway) asks ``authorize_use`` first. It allows only when the caller may use authorized
data at all, the authorization is the caller's own, it is in force today (status and
term: terminated, expired, suspended or not yet started agreements are refused at once,
R5.6), and the resource, when named, is in its current scope (R3.5). Allowed and refused
decisions both land in the audit log; a refusal keeps its audit row even though the
request fails (``keeps_changes``).
"""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy.orm import Session

from sluice.audit import service as audit
from sluice.authorizations import repository as authorizations
from sluice.authorizations.models import Authorization
from sluice.authorizations.service import in_force_on
from sluice.catalog import repository as catalog
from sluice.core.clock import local
from sluice.core.errors import NotFound, SluiceError
from sluice.core.i18n import MessageRef, add_messages
from sluice.core.permissions import Permission
from sluice.core.principal import Principal

DECISION = "guard.decision"

audit.declare_actions({DECISION: ("数据访问判定", "Data access decision")})
add_messages(
    {
        "problem.authorization_inactive": ("授权未生效", "Authorization not in force"),
        "problem.out_of_scope": ("超出授权范围", "Out of scope"),
        "guard.inactive": (
            "授权 {number} 当前为“{status}”，不能使用其数据。",
            "Authorization {number} is {status}; its data cannot be used.",
        ),
        "guard.outside_term": (
            "授权 {number} 的期限为 {start} 至 {end}，今天不在期限内。",
            "Authorization {number} runs from {start} to {end}; today is outside its term.",
        ),
        "guard.no_longer_authorizable": (
            "该数据资源已撤出目录、不予开放或缺少共享同意，授权 {number} 不能再使用。",
            "This data resource was withdrawn from the catalog, closed, or lacks sharing "
            "consent; authorization {number} can no longer use it.",
        ),
        "guard.out_of_scope": (
            "该数据资源不在授权 {number} 的范围内。",
            "This data resource is not in the scope of authorization {number}.",
        ),
    }
)


class AuthorizationInactive(SluiceError):
    status = 403
    code = "authorization_inactive"


class OutOfScope(SluiceError):
    status = 403
    code = "out_of_scope"


def _record(
    session: Session,
    *,
    actor: Principal,
    authorization: Authorization,
    at: datetime,
    allowed: bool,
    action: str,
    resource_id: uuid.UUID | None,
    reason: str | None = None,
) -> None:
    audit.record(
        session,
        actor=actor,
        action=DECISION,
        target_type="authorization",
        target_id=authorization.id,
        at=at,
        outcome="ok" if allowed else "refused",
        detail={
            "decision": "allowed" if allowed else "refused",
            "use": action,
            "resource": str(resource_id) if resource_id else None,
            "status": authorization.status,
            **({"reason": reason} if reason else {}),
        },
    )


def _refused(
    error: SluiceError,
    *,
    actor: Principal,
    authorization: Authorization,
    at: datetime,
    action: str,
    resource_id: uuid.UUID | None,
    reason: str,
) -> SluiceError:
    """The refusal, carrying its audit row: kept even though the request rolls back."""
    authorization_id = authorization.id

    def write(session: Session) -> None:
        kept = authorizations.authorization(session, authorization_id)
        assert kept is not None
        _record(
            session,
            actor=actor,
            authorization=kept,
            at=at,
            allowed=False,
            action=action,
            resource_id=resource_id,
            reason=reason,
        )

    return error.keep(write)


def _still_authorizable(session: Session, resource_id: uuid.UUID) -> bool:
    resource = catalog.resource(session, resource_id)
    entry = catalog.entry_for_resource(session, resource_id)
    return (
        resource is not None
        and entry is not None
        and entry.status == "published"
        and resource.open_level != "closed"
        and (resource.origin != "shared" or resource.sharing_consent_at is not None)
    )


def authorize_use(
    session: Session,
    *,
    actor: Principal,
    authorization_id: uuid.UUID,
    at: datetime,
    action: str,
    resource_id: uuid.UUID | None = None,
) -> Authorization:
    """Allow or refuse one use of data under an authorization (see the module docstring)."""
    actor.require(Permission.AUTHORIZED_DATA_USE)
    authorization = authorizations.authorization(session, authorization_id)
    if authorization is None or authorization.operator_id != actor.organization_id:
        raise NotFound("authz.not_found")

    def refuse(error: SluiceError, reason: str) -> SluiceError:
        return _refused(
            error,
            actor=actor,
            authorization=authorization,
            at=at,
            action=action,
            resource_id=resource_id,
            reason=reason,
        )

    today = local(at).date()
    if not in_force_on(authorization, today):
        if authorization.status in ("active", "expiring", "renewed"):
            inactive = AuthorizationInactive(
                "guard.outside_term",
                number=authorization.number,
                start=str(authorization.term_start or "—"),
                end=str(authorization.term_end or "—"),
            )
        else:
            inactive = AuthorizationInactive(
                "guard.inactive",
                number=authorization.number,
                status=MessageRef(f"state.authorization.{authorization.status}"),
            )
        raise refuse(inactive, "not_in_force")
    if resource_id is not None and not authorizations.in_scope(
        session, authorization.id, resource_id
    ):
        raise refuse(OutOfScope("guard.out_of_scope", number=authorization.number), "out_of_scope")
    if resource_id is not None and not _still_authorizable(session, resource_id):
        # The catalog changed after the agreement: withdrawn, closed, or consent missing (N3).
        raise refuse(
            OutOfScope("guard.no_longer_authorizable", number=authorization.number),
            "no_longer_authorizable",
        )
    _record(
        session,
        actor=actor,
        authorization=authorization,
        at=at,
        allowed=True,
        action=action,
        resource_id=resource_id,
    )
    return authorization
