"""REST routes of identity. Thin: each calls one service and returns a schema."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Depends, Response

from sluice.core.permissions import PERMISSIONS, OrgKind, Role
from sluice.core.permissions import Permission as P
from sluice.core.principal import Principal
from sluice.identity import repository, service
from sluice.identity.models import User
from sluice.identity.schemas import (
    ApiKeyCreate,
    ApiKeyCreated,
    ApiKeyRead,
    ApiKeyReason,
    LogoutRequest,
    MeRead,
    OrganizationCreate,
    OrganizationRead,
    Page,
    PasswordChange,
    TokenRequest,
    TokenResponse,
    UserCreate,
    UserRead,
)
from sluice.web.deps import AppClock, AppSettings, ClientAddress, DbSession, Public, Requires
from sluice.web.params import Limit, Offset

router = APIRouter(prefix="/api/v1", tags=["identity"])

Anyone = Depends(Public())
ProfileReader = Annotated[Principal, Depends(Requires(P.PROFILE_READ))]
IdentityReader = Annotated[Principal, Depends(Requires(P.IDENTITY_READ))]
IdentityManager = Annotated[Principal, Depends(Requires(P.IDENTITY_MANAGE))]
KeyManager = Annotated[Principal, Depends(Requires(P.API_KEYS_MANAGE))]
KeySuspender = Annotated[Principal, Depends(Requires(P.KEYS_SUSPEND))]
AccountOwner = Annotated[Principal, Depends(Requires(P.OWN_ACCOUNT))]


@router.post("/auth/token", dependencies=[Anyone])
def issue_token(
    body: TokenRequest,
    session: DbSession,
    clock: AppClock,
    settings: AppSettings,
    address: ClientAddress,
) -> TokenResponse:
    user = service.authenticate(
        session,
        clock=clock,
        settings=settings,
        username=body.username,
        password=body.password,
        address=address,
    )
    token, expires_in = service.issue_access_token(
        session, clock=clock, settings=settings, user=user, address=address
    )
    return TokenResponse(access_token=token, expires_in=expires_in)


@router.post("/auth/logout", status_code=204)
def log_out(
    actor: AccountOwner, session: DbSession, clock: AppClock, body: LogoutRequest | None = None
) -> Response:
    """Revoke the token (or end the console session) this request came with; with
    ``{"everywhere": true}`` every other session and token of the same user too."""
    everywhere = body.everywhere if body is not None else False
    service.log_out(session, actor=actor, clock=clock, everywhere=everywhere)
    return Response(status_code=204)


@router.post("/me/password", status_code=204)
def change_password(
    body: PasswordChange,
    actor: AccountOwner,
    session: DbSession,
    clock: AppClock,
    settings: AppSettings,
    address: ClientAddress,
) -> Response:
    """Change one's own password. Every other session and token of the user ends."""
    service.change_password(
        session,
        actor=actor,
        clock=clock,
        settings=settings,
        current_password=body.current_password,
        new_password=body.new_password,
        address=address,
    )
    return Response(status_code=204)


@router.get("/me")
def me(principal: ProfileReader) -> MeRead:
    return MeRead(
        username=principal.username,
        via=principal.via,
        organization_id=principal.organization_id,
        organization_kind=principal.organization_kind,
        roles=sorted(principal.roles),
        permissions=sorted(p.value for p in PERMISSIONS if principal.has(p)),
    )


@router.get("/organizations")
def list_organizations(
    _: IdentityReader,
    session: DbSession,
    kind: OrgKind | None = None,
    limit: Limit = 100,
    offset: Offset = 0,
) -> Page[OrganizationRead]:
    total, rows = repository.organizations(
        session, kind=kind.value if kind else None, limit=limit, offset=offset
    )
    return Page(total=total, items=[OrganizationRead.model_validate(r) for r in rows])


@router.post("/organizations", status_code=201)
def create_organization(
    body: OrganizationCreate, actor: IdentityManager, session: DbSession, clock: AppClock
) -> OrganizationRead:
    organization = service.create_organization(session, actor=actor, clock=clock, data=body)
    return OrganizationRead.model_validate(organization)


def _user_reads(session: DbSession, users: list[User], clock: AppClock) -> list[UserRead]:
    roles = repository.roles_of(session, [u.id for u in users])
    now = clock.now()
    locked = repository.locked_accounts(session, accounts=[u.username for u in users], now=now)
    return [
        UserRead(
            id=u.id,
            username=u.username,
            display_name=u.display_name,
            organization_id=u.organization_id,
            roles=[Role(r) for r in roles.get(u.id, [])],
            active=u.active,
            locked=u.username in locked,
            created_at=u.created_at,
        )
        for u in users
    ]


@router.get("/users")
def list_users(
    _: IdentityReader,
    session: DbSession,
    clock: AppClock,
    limit: Limit = 100,
    offset: Offset = 0,
) -> Page[UserRead]:
    total, rows = repository.users(session, limit=limit, offset=offset)
    return Page(total=total, items=_user_reads(session, rows, clock))


@router.post("/users", status_code=201)
def create_user(
    body: UserCreate,
    actor: IdentityManager,
    session: DbSession,
    clock: AppClock,
    settings: AppSettings,
) -> UserRead:
    user = service.create_user(session, actor=actor, clock=clock, data=body, settings=settings)
    return _user_reads(session, [user], clock)[0]


@router.post("/users/{user_id}/deactivate")
def deactivate_user(
    user_id: uuid.UUID, actor: IdentityManager, session: DbSession, clock: AppClock
) -> UserRead:
    """Disable the account: it cannot log in, and its sessions and tokens end at once."""
    user = service.deactivate_user(session, actor=actor, clock=clock, user_id=user_id)
    return _user_reads(session, [user], clock)[0]


@router.post("/users/{user_id}/reactivate")
def reactivate_user(
    user_id: uuid.UUID, actor: IdentityManager, session: DbSession, clock: AppClock
) -> UserRead:
    """Enable the account again; sessions and tokens ended on deactivation stay ended."""
    user = service.reactivate_user(session, actor=actor, clock=clock, user_id=user_id)
    return _user_reads(session, [user], clock)[0]


@router.get("/api-keys")
def list_api_keys(actor: KeyManager, session: DbSession) -> list[ApiKeyRead]:
    assert actor.organization_id is not None
    return [
        ApiKeyRead.model_validate(k) for k in repository.api_keys_of(session, actor.organization_id)
    ]


@router.post("/api-keys", status_code=201)
def create_api_key(
    body: ApiKeyCreate, actor: KeyManager, session: DbSession, clock: AppClock
) -> ApiKeyCreated:
    api_key, key = service.create_api_key(session, actor=actor, clock=clock, name=body.name)
    return ApiKeyCreated(**ApiKeyRead.model_validate(api_key).model_dump(), key=key)


@router.delete("/api-keys/{key_id}", status_code=204)
def revoke_api_key(
    key_id: uuid.UUID, actor: KeyManager, session: DbSession, clock: AppClock
) -> Response:
    service.revoke_api_key(session, actor=actor, clock=clock, key_id=key_id)
    return Response(status_code=204)


@router.post("/api-keys/{key_id}/suspend")
def suspend_api_key(
    key_id: uuid.UUID, body: ApiKeyReason, actor: KeySuspender, session: DbSession, clock: AppClock
) -> ApiKeyRead:
    """The bureau suspends a buyer's key: gateway calls with it answer ``key_suspended``
    (403) with this reason until the key is resumed."""
    api_key = service.suspend_api_key(
        session, actor=actor, key_id=key_id, reason=body.reason, at=clock.now()
    )
    return ApiKeyRead.model_validate(api_key)


@router.post("/api-keys/{key_id}/resume")
def resume_api_key(
    key_id: uuid.UUID, body: ApiKeyReason, actor: KeySuspender, session: DbSession, clock: AppClock
) -> ApiKeyRead:
    """The bureau lifts a key's suspension, saying why."""
    api_key = service.resume_api_key(
        session, actor=actor, key_id=key_id, reason=body.reason, at=clock.now()
    )
    return ApiKeyRead.model_validate(api_key)


@router.get("/public-keys", dependencies=[Anyone])
def public_keys(session: DbSession) -> list[dict[str, str | None]]:
    """Organizations' SM2 public keys, for anyone checking a signed agreement or certificate."""
    from sluice.identity import signing

    return [
        {
            "organization": org.name,
            "organization_code": org.code,
            "organization_kind": org.kind,
            "algorithm": signing.ALGORITHM,
            "public_key_hex": key.public_key_hex,
            "created_at": key.created_at.isoformat(),
            "retired_at": key.retired_at.isoformat() if key.retired_at else None,
        }
        for key, org in signing.published_keys(session)
    ]
