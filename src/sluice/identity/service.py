"""The rules of identity and access. Keyword-only, no HTTP, no commit."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy.orm import Session

from sluice.audit import service as audit
from sluice.core.clock import Clock, local
from sluice.core.errors import (
    AccountLocked,
    Conflict,
    InvalidCredentials,
    InvalidInput,
    NotFound,
)
from sluice.core.i18n import MessageRef, add_messages
from sluice.core.ids import new_secret, sm3_hex
from sluice.core.settings import Settings
from sluice.dataplane.checksums import valid_uscc
from sluice.identity import repository
from sluice.identity.models import (
    AccessToken,
    ApiKey,
    ConsoleSession,
    Membership,
    Organization,
    User,
)
from sluice.identity.passwords import hash_password, verify_password
from sluice.identity.permissions import ROLE_ORG_KIND, OrgKind, Permission, Role
from sluice.identity.principal import Principal, Via
from sluice.identity.schemas import OrganizationCreate, UserCreate

API_KEY_PREFIX = "slk_"

audit.declare_actions(
    {
        "identity.organization.created": ("创建机构", "Organization created"),
        "identity.user.created": ("创建用户", "User created"),
        "identity.login.succeeded": ("登录成功", "Login succeeded"),
        "identity.login.failed": ("登录失败", "Login failed"),
        "identity.login.locked": ("账户锁定", "Account locked"),
        "identity.logout": ("退出登录", "Logged out"),
        "identity.token.issued": ("签发访问令牌", "Access token issued"),
        "identity.api_key.created": ("创建 API 密钥", "API key created"),
        "identity.api_key.revoked": ("吊销 API 密钥", "API key revoked"),
    }
)
add_messages(
    {
        "identity.credit_code_invalid": (
            "统一社会信用代码“{value}”校验不通过（GB 32100）。",
            "The unified social credit code '{value}' fails its GB 32100 check.",
        ),
        "identity.organization_exists": (
            "已存在代码为“{code}”或名称为“{name}”的机构。",
            "An organization with code '{code}' or name '{name}' already exists.",
        ),
        "identity.username_taken": (
            "用户名“{username}”已被使用。",
            "The username '{username}' is already taken.",
        ),
        "identity.organization_unknown": ("所选机构不存在。", "The organization does not exist."),
        "identity.role_needs_org": (
            "角色“{role}”须属于{kind}类机构。",
            "The role '{role}' must belong to an organization of kind '{kind}'.",
        ),
        "identity.subject_no_org": (
            "信息主体以个人身份登录，不属于任何机构。",
            "A data subject acts as a person and belongs to no organization.",
        ),
        "identity.api_key_unknown": ("API 密钥不存在。", "The API key does not exist."),
    }
)


def create_organization(
    session: Session, *, actor: Principal, clock: Clock, data: OrganizationCreate
) -> Organization:
    actor.require(Permission.IDENTITY_MANAGE)
    credit_code = data.credit_code.strip().upper() if data.credit_code else None
    if credit_code and not valid_uscc([credit_code], check_org_code=True)[0]:
        raise InvalidInput("identity.credit_code_invalid", value=credit_code)
    if repository.organization_clash(session, code=data.code, name=data.name):
        raise Conflict("identity.organization_exists", code=data.code, name=data.name)
    now = clock.now()
    organization = Organization(
        code=data.code,
        kind=data.kind.value,
        name=data.name.strip(),
        name_en=data.name_en,
        credit_code=credit_code,
        created_at=now,
    )
    session.add(organization)
    session.flush()
    audit.record(
        session,
        actor=actor,
        action="identity.organization.created",
        target_type="organization",
        target_id=organization.id,
        at=now,
        detail={"code": organization.code, "kind": organization.kind, "name": organization.name},
    )
    return organization


def create_user(session: Session, *, actor: Principal, clock: Clock, data: UserCreate) -> User:
    actor.require(Permission.IDENTITY_MANAGE)
    if repository.user_by_username(session, data.username):
        raise Conflict("identity.username_taken", username=data.username)
    organization = None
    if data.organization_id is not None:
        organization = repository.organization(session, data.organization_id)
        if organization is None:
            raise InvalidInput("identity.organization_unknown")
    for role in set(data.roles):
        kind = ROLE_ORG_KIND[role]
        if kind is None and organization is not None:
            raise InvalidInput("identity.subject_no_org")
        if kind is not None and (organization is None or organization.kind != kind.value):
            raise InvalidInput(
                "identity.role_needs_org",
                role=MessageRef(f"role.{role.value}"),
                kind=MessageRef(f"org_kind.{kind.value}"),
            )
    now = clock.now()
    user = User(
        username=data.username,
        display_name=data.display_name,
        password_hash=hash_password(data.password),
        organization_id=organization.id if organization else None,
        created_at=now,
    )
    session.add(user)
    session.flush()
    for role in sorted(set(data.roles)):
        session.add(
            Membership(
                user_id=user.id,
                organization_id=user.organization_id,
                role=role.value,
                created_at=now,
            )
        )
    audit.record(
        session,
        actor=actor,
        action="identity.user.created",
        target_type="user",
        target_id=user.id,
        at=now,
        detail={"username": user.username, "roles": sorted(r.value for r in set(data.roles))},
    )
    return user


def authenticate(
    session: Session, *, clock: Clock, settings: Settings, username: str, password: str
) -> User:
    """Check a password. Failures are counted and audited, and survive the refusal."""
    now = clock.now()
    user = repository.user_by_username(session, username)
    actor = Principal(username=username, via="session", user_id=user.id if user else None)
    if user is not None and user.locked_until is not None and user.locked_until > now:
        audit.record(
            session,
            actor=actor,
            action="identity.login.failed",
            target_type="user",
            target_id=user.id,
            at=now,
            outcome="refused",
            detail={"reason": "locked"},
        )
        raise AccountLocked(until=local(user.locked_until).strftime("%Y-%m-%d %H:%M"))
    if user is None or not user.active or not verify_password(user.password_hash, password):
        if user is None:
            audit.record(
                session,
                actor=actor,
                action="identity.login.failed",
                target_type="user",
                target_id=username,
                at=now,
                outcome="refused",
                detail={"reason": "unknown_user"},
            )
            raise InvalidCredentials()
        user.failed_logins += 1
        audit.record(
            session,
            actor=actor,
            action="identity.login.failed",
            target_type="user",
            target_id=user.id,
            at=now,
            outcome="refused",
            detail={"reason": "bad_password", "failed_logins": user.failed_logins},
        )
        if user.failed_logins >= settings.lockout_attempts:
            user.locked_until = now + timedelta(minutes=settings.lockout_minutes)
            user.failed_logins = 0
            audit.record(
                session,
                actor=actor,
                action="identity.login.locked",
                target_type="user",
                target_id=user.id,
                at=now,
                detail={"until": user.locked_until.isoformat()},
            )
            raise AccountLocked(until=local(user.locked_until).strftime("%Y-%m-%d %H:%M"))
        raise InvalidCredentials()
    user.failed_logins = 0
    user.locked_until = None
    user.last_login_at = now
    return user


def principal_for(session: Session, user: User, *, via: Via) -> Principal:
    roles = repository.roles_of(session, [user.id]).get(user.id, [])
    organization = (
        repository.organization(session, user.organization_id) if user.organization_id else None
    )
    return Principal(
        username=user.username,
        via=via,
        user_id=user.id,
        organization_id=organization.id if organization else None,
        organization_kind=OrgKind(organization.kind) if organization else None,
        roles=frozenset(Role(r) for r in roles),
        display_name=user.display_name,
    )


@dataclass(frozen=True)
class Started:
    token: str
    csrf_token: str
    expires_at: datetime


def start_console_session(
    session: Session, *, clock: Clock, settings: Settings, user: User
) -> Started:
    now = clock.now()
    token = new_secret()
    console_session = ConsoleSession(
        token_hash=sm3_hex(token),
        csrf_token=new_secret(24),
        user_id=user.id,
        created_at=now,
        expires_at=now + timedelta(hours=settings.session_hours),
    )
    session.add(console_session)
    session.flush()
    audit.record(
        session,
        actor=principal_for(session, user, via="session"),
        action="identity.login.succeeded",
        target_type="user",
        target_id=user.id,
        at=now,
        detail={"channel": "console"},
    )
    return Started(token, console_session.csrf_token, console_session.expires_at)


def end_console_session(session: Session, *, clock: Clock, token: str) -> None:
    now = clock.now()
    found = repository.live_console_session(session, token_hash=sm3_hex(token), now=now)
    if found is None:
        return
    found.ended_at = now
    user = session.get(User, found.user_id)
    if user is not None:
        audit.record(
            session,
            actor=principal_for(session, user, via="session"),
            action="identity.logout",
            target_type="user",
            target_id=user.id,
            at=now,
        )


def issue_access_token(
    session: Session, *, clock: Clock, settings: Settings, user: User
) -> tuple[str, int]:
    now = clock.now()
    token = new_secret()
    lifetime = timedelta(minutes=settings.token_minutes)
    session.add(
        AccessToken(
            token_hash=sm3_hex(token), user_id=user.id, created_at=now, expires_at=now + lifetime
        )
    )
    audit.record(
        session,
        actor=principal_for(session, user, via="token"),
        action="identity.token.issued",
        target_type="user",
        target_id=user.id,
        at=now,
        detail={"expires_in": int(lifetime.total_seconds())},
    )
    return token, int(lifetime.total_seconds())


def resolve_console_session(
    session: Session, *, clock: Clock, token: str
) -> tuple[Principal, ConsoleSession] | None:
    found = repository.live_console_session(session, token_hash=sm3_hex(token), now=clock.now())
    if found is None:
        return None
    user = session.get(User, found.user_id)
    if user is None or not user.active:
        return None
    return principal_for(session, user, via="session"), found


def resolve_access_token(session: Session, *, clock: Clock, token: str) -> Principal | None:
    found = repository.live_access_token(session, token_hash=sm3_hex(token), now=clock.now())
    if found is None:
        return None
    user = session.get(User, found.user_id)
    if user is None or not user.active:
        return None
    return principal_for(session, user, via="token")


def resolve_api_key(session: Session, *, clock: Clock, key: str) -> Principal | None:
    if not key.startswith(API_KEY_PREFIX):
        return None
    found = repository.live_api_key(session, key_hash=sm3_hex(key))
    if found is None:
        return None
    organization = repository.organization(session, found.organization_id)
    if organization is None or not organization.active:
        return None
    found.last_used_at = clock.now()
    return Principal(
        username=f"apikey:{found.prefix}",
        via="api_key",
        organization_id=organization.id,
        organization_kind=OrgKind(organization.kind),
        roles=frozenset({Role.BUYER}),
        api_key_id=found.id,
    )


def create_api_key(
    session: Session, *, actor: Principal, clock: Clock, name: str
) -> tuple[ApiKey, str]:
    """A new key for the actor's own organization; the full key is returned only here."""
    actor.require(Permission.API_KEYS_MANAGE)
    assert actor.organization_id is not None  # buyers always belong to an organization
    now = clock.now()
    prefix = new_secret(6)[:8]
    key = f"{API_KEY_PREFIX}{prefix}_{new_secret(32)}"
    api_key = ApiKey(
        organization_id=actor.organization_id,
        name=name.strip(),
        prefix=prefix,
        key_hash=sm3_hex(key),
        created_by=actor.user_id,
        created_at=now,
    )
    session.add(api_key)
    session.flush()
    audit.record(
        session,
        actor=actor,
        action="identity.api_key.created",
        target_type="api_key",
        target_id=api_key.id,
        at=now,
        detail={"name": api_key.name, "prefix": prefix},
    )
    return api_key, key


def revoke_api_key(
    session: Session, *, actor: Principal, clock: Clock, key_id: uuid.UUID
) -> ApiKey:
    actor.require(Permission.API_KEYS_MANAGE)
    assert actor.organization_id is not None
    api_key = repository.api_key(session, key_id=key_id, organization_id=actor.organization_id)
    if api_key is None:
        raise NotFound("identity.api_key_unknown")
    if api_key.revoked_at is None:
        now = clock.now()
        api_key.revoked_at = now
        audit.record(
            session,
            actor=actor,
            action="identity.api_key.revoked",
            target_type="api_key",
            target_id=api_key.id,
            at=now,
            detail={"prefix": api_key.prefix},
        )
    return api_key
