"""The access decision for data used under an authorization, recorded either way.

Every path that touches authorized data (the sandbox, product builds, exports, the
gateway) asks ``authorize_use`` first. It allows only when the caller may use authorized
data at all, the authorization is the caller's own, it is in force today (status and
term: terminated, expired, suspended or not yet started agreements are refused at once,
R5.6), the purpose, when named, is a right the agreement grants (``processing`` for
analysis in the sandbox, ``product_operation`` for products: R3.4, R3.5), and every
resource named is in its current scope and still authorizable (R3.5, N3). Allowed and refused
decisions both land in the audit log; a refusal keeps its audit row even though the
request fails (``keeps_changes``).
"""

from __future__ import annotations

import uuid
from collections.abc import Collection, Sequence
from dataclasses import dataclass
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
        "guard.purpose_not_granted": (
            "授权 {number} 未授予“{purpose}”，不能为此使用其数据。",
            "Authorization {number} does not grant the {purpose}; its data cannot be used "
            "for this.",
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
    resources: Sequence[uuid.UUID],
    purpose: str | None,
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
            "resource": str(resources[0]) if len(resources) == 1 else None,
            **({"resources": [str(r) for r in resources]} if len(resources) > 1 else {}),
            **({"purpose": purpose} if purpose else {}),
            "status": authorization.status,
            **({"reason": reason} if reason else {}),
        },
        reason=reason,
        authorization_id=authorization.id,
        purpose=purpose,
        resources=resources,
    )


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


@dataclass(frozen=True)
class Refusal:
    """Why a use is refused: the error the caller sees and the reason the audit row keeps
    (``not_in_force``, ``purpose_not_granted``, ``out_of_scope``,
    ``no_longer_authorizable``)."""

    error: SluiceError
    reason: str


def own_authorization(
    session: Session, *, actor: Principal, authorization_id: uuid.UUID
) -> Authorization:
    """The caller's own agreement, if it may use authorized data at all; any other is
    ``not_found`` (whoever else may read it, it is not theirs to use)."""
    actor.require(Permission.AUTHORIZED_DATA_USE)
    authorization = authorizations.seen(session, actor, authorization_id)
    if authorization.operator_id != actor.organization_id:
        raise NotFound("authz.not_found")
    return authorization


def refusal(
    session: Session,
    authorization: Authorization,
    *,
    at: datetime,
    resources: Collection[uuid.UUID] = (),
    purpose: str | None = None,
) -> Refusal | None:
    """What refuses this use, or ``None``: the decision ``authorize_use`` records, for
    callers that record one row of their own for a larger act (a sandbox query)."""
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
        return Refusal(inactive, "not_in_force")
    if purpose is not None:
        granted = authorizations.current_version(session, authorization).content.get("rights", [])
        if purpose not in granted:
            return Refusal(
                OutOfScope(
                    "guard.purpose_not_granted",
                    number=authorization.number,
                    purpose=MessageRef(f"right.{purpose}"),
                ),
                "purpose_not_granted",
            )
    for resource_id in resources:
        if not authorizations.in_scope(session, authorization, resource_id):
            return Refusal(
                OutOfScope("guard.out_of_scope", number=authorization.number), "out_of_scope"
            )
        if not _still_authorizable(session, resource_id):
            # The catalog changed after the agreement: withdrawn, closed, or consent missing.
            return Refusal(
                OutOfScope("guard.no_longer_authorizable", number=authorization.number),
                "no_longer_authorizable",
            )
    return None


def authorize_use(
    session: Session,
    *,
    actor: Principal,
    authorization_id: uuid.UUID,
    at: datetime,
    action: str,
    resource_id: uuid.UUID | None = None,
    resources: Collection[uuid.UUID] = (),
    purpose: str | None = None,
) -> Authorization:
    """Allow or refuse one use of data under an authorization (see the module docstring):
    of ``resources`` (and ``resource_id``, the one-resource spelling), for ``purpose``."""
    authorization = own_authorization(session, actor=actor, authorization_id=authorization_id)
    used = sorted({*resources, *([resource_id] if resource_id is not None else [])}, key=str)
    refused = refusal(session, authorization, at=at, resources=used, purpose=purpose)
    if refused is not None:
        authorization_key = authorization.id

        def write(session: Session) -> None:
            # The refusal, carrying its audit row: kept though the request rolls back.
            kept = authorizations.seen(session, actor, authorization_key)
            _record(
                session,
                actor=actor,
                authorization=kept,
                at=at,
                allowed=False,
                action=action,
                resources=used,
                purpose=purpose,
                reason=refused.reason,
            )

        raise refused.error.keep(write)
    _record(
        session,
        actor=actor,
        authorization=authorization,
        at=at,
        allowed=True,
        action=action,
        resources=used,
        purpose=purpose,
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
