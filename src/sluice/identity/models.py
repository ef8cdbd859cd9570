from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import ForeignKey, LargeBinary, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from sluice.core.database import Base, UUIDPrimaryKey


class Organization(UUIDPrimaryKey, Base):
    __tablename__ = "organizations"

    code: Mapped[str] = mapped_column(String(40), unique=True)
    kind: Mapped[str] = mapped_column(String(20), index=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    name_en: Mapped[str | None] = mapped_column(String(200))
    credit_code: Mapped[str | None] = mapped_column(String(18), unique=True)
    #: A provider that is not a government department but an organization that laws and
    #: regulations authorize to manage public affairs (法律法规授权的具有管理公共事务职能的
    #: 组织, R4.1), e.g. a housing provident fund centre; ``legal_basis`` names the law.
    authorized_by_law: Mapped[bool] = mapped_column(default=False)
    legal_basis: Mapped[str | None] = mapped_column(Text)
    active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime]


class User(UUIDPrimaryKey, Base):
    __tablename__ = "users"

    username: Mapped[str] = mapped_column(String(150), unique=True)
    display_name: Mapped[str] = mapped_column(String(200))
    password_hash: Mapped[str] = mapped_column(String(200))
    organization_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("organizations.id"), index=True
    )
    active: Mapped[bool] = mapped_column(default=True)
    last_login_at: Mapped[datetime | None]
    created_at: Mapped[datetime]


class Membership(UUIDPrimaryKey, Base):
    """A role a user holds in their organization."""

    __tablename__ = "memberships"
    __table_args__ = (UniqueConstraint("user_id", "role", name="uq_memberships_user_role"),)

    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    organization_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("organizations.id"))
    role: Mapped[str] = mapped_column(String(20))
    created_at: Mapped[datetime]


class LoginThrottle(UUIDPrimaryKey, Base):
    """Failed logins counted from one client address: for one account, or over any accounts.

    ``scope`` is ``account`` (the username tried, known or not, so an unknown name costs the
    same writes as a real one) or ``address`` (``account`` is empty: the address's failures
    over every name, against password spraying). A row counts the failures of one window of
    ``lockout_minutes``; past the limit it holds ``locked_until``. Only that account from
    that address, or only that address, is locked: nobody can lock the bureau out from afar.
    """

    __tablename__ = "login_throttles"
    __table_args__ = (
        UniqueConstraint("scope", "account", "address", name="uq_login_throttles_key"),
    )

    scope: Mapped[str] = mapped_column(String(10))
    account: Mapped[str] = mapped_column(String(150))
    address: Mapped[str] = mapped_column(String(64))
    failures: Mapped[int] = mapped_column(default=0)
    window_started_at: Mapped[datetime]
    last_failed_at: Mapped[datetime] = mapped_column(index=True)
    locked_until: Mapped[datetime | None]


class ConsoleSession(UUIDPrimaryKey, Base):
    """A console login. The cookie holds a random token; only its SM3 digest is stored."""

    __tablename__ = "console_sessions"

    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    csrf_token: Mapped[str] = mapped_column(String(64))
    user_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), index=True
    )
    created_at: Mapped[datetime]
    expires_at: Mapped[datetime]
    ended_at: Mapped[datetime | None]


class AccessToken(UUIDPrimaryKey, Base):
    """A REST bearer token; opaque and stored hashed so it can be revoked."""

    __tablename__ = "access_tokens"

    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    user_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), index=True
    )
    created_at: Mapped[datetime]
    expires_at: Mapped[datetime]
    revoked_at: Mapped[datetime | None]


class ApiKey(UUIDPrimaryKey, Base):
    """A buyer organization's key for the gateway: shown once, stored hashed, revocable.

    The bureau may suspend a key with a reason (``suspended_at``, ``suspended_reason``) and
    resume it; a suspended key is refused with ``key_suspended`` until then. ``last_used_at``
    is written at most once a minute, so a busy key's row is not written on every call.
    """

    __tablename__ = "api_keys"

    organization_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("organizations.id"), index=True)
    name: Mapped[str] = mapped_column(String(100))
    prefix: Mapped[str] = mapped_column(String(16), unique=True)
    key_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_by: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime]
    revoked_at: Mapped[datetime | None]
    last_used_at: Mapped[datetime | None]
    suspended_at: Mapped[datetime | None]
    suspended_reason: Mapped[str | None] = mapped_column(Text)


class SigningKey(UUIDPrimaryKey, Base):
    """An organization's SM2 key pair for signing agreements and certificates.

    The private key is kept sealed (SM4-GCM) under the key store's ``signing-<org id>`` data
    key; the public key is public, so anyone holding a signed document can verify it.
    """

    __tablename__ = "signing_keys"

    organization_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("organizations.id"), index=True)
    public_key_hex: Mapped[str] = mapped_column(String(128), unique=True)
    sealed_private_key: Mapped[bytes] = mapped_column(LargeBinary)
    created_at: Mapped[datetime]
    retired_at: Mapped[datetime | None]


class ConsoleFlash(UUIDPrimaryKey, Base):
    """Something one console session must see once on the page it is sent to next: the new
    API key after "create" (post/redirect/get), a "saved" notice.

    ``sealed`` is SM4-GCM under a key derived from the session's cookie token, which the
    server never stores: a reader of the database cannot open it. Reading it deletes it, so
    a reload shows nothing again; an unread one expires after a few minutes.
    """

    __tablename__ = "console_flashes"

    console_session_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("console_sessions.id", ondelete="CASCADE"), index=True
    )
    kind: Mapped[str] = mapped_column(String(40))
    sealed: Mapped[bytes] = mapped_column(LargeBinary)
    created_at: Mapped[datetime]
    expires_at: Mapped[datetime] = mapped_column(index=True)
