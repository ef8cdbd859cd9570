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
from sluice.authorizations import service as authorizations
from sluice.authorizations.models import Authorization
from sluice.catalog import reads as catalog_reads
from sluice.catalog import repository as catalog
from sluice.catalog.schemas import ResourceRead
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
        kept = authorizations.seen(session, actor, authorization_id)
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
    authorization = authorizations.seen(session, actor, authorization_id)
    if authorization.operator_id != actor.organization_id:
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
    if not authorizations.in_force_on(authorization, today):
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
    if resource_id is not None and not authorizations.in_scope(session, authorization, resource_id):
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


def authorized_scope(
    session: Session, *, actor: Principal, authorization_id: uuid.UUID, at: datetime
) -> tuple[Authorization, list[dict[str, object]]]:
    """The resources an agreement in force covers, as its current version lists them: a use
    the guard decides (``list_resources``) like any other."""
    found = authorize_use(
        session, actor=actor, authorization_id=authorization_id, at=at, action="list_resources"
    )
    return found, authorizations.current_version(session, found).content["scope"]


def authorized_resource(
    session: Session,
    *,
    actor: Principal,
    authorization_id: uuid.UUID,
    resource_id: uuid.UUID,
    at: datetime,
) -> ResourceRead:
    """One resource in the agreement's scope, with its fields and their classes: a use the
    guard decides (``read_resource``) like any other."""
    authorize_use(
        session,
        actor=actor,
        authorization_id=authorization_id,
        at=at,
        action="read_resource",
        resource_id=resource_id,
    )
    resource = catalog.resource(session, resource_id)
    if resource is None:  # pragma: no cover - scope rows reference existing resources
        raise NotFound("authz.not_found")
    return catalog_reads.resource_read(session, resource)
