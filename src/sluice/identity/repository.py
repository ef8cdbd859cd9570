"""Every query of the identity module."""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Iterable
from datetime import datetime
from typing import Any, Final, Literal, cast

from sqlalchemy import CursorResult, delete, func, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from sluice.identity.models import (
    AccessToken,
    ApiKey,
    ConsoleSession,
    LoginThrottle,
    Membership,
    Organization,
    SigningKey,
    User,
)

ThrottleScope = Literal["account", "address"]
#: Stale throttle rows removed per failed login, at most (see ``purge_stale_throttles``).
_PURGE_BATCH: Final = 100


def organization(session: Session, organization_id: uuid.UUID) -> Organization | None:
    return session.get(Organization, organization_id)


def organization_by_code(session: Session, code: str) -> Organization | None:
    return session.scalar(select(Organization).where(Organization.code == code))


def organization_clash(session: Session, *, code: str, name: str) -> bool:
    query = select(func.count()).where((Organization.code == code) | (Organization.name == name))
    return (session.scalar(query) or 0) > 0


def credit_code_taken(session: Session, credit_code: str) -> bool:
    query = select(func.count()).where(Organization.credit_code == credit_code)
    return (session.scalar(query) or 0) > 0


def organizations(
    session: Session, *, kind: str | None = None, limit: int = 100, offset: int = 0
) -> tuple[int, list[Organization]]:
    query = select(Organization)
    count = select(func.count()).select_from(Organization)
    if kind:
        query = query.where(Organization.kind == kind)
        count = count.where(Organization.kind == kind)
    rows = session.scalars(
        query.order_by(Organization.kind, Organization.code).limit(limit).offset(offset)
    )
    return session.scalar(count) or 0, list(rows)


def user_by_username(session: Session, username: str) -> User | None:
    return session.scalar(select(User).where(User.username == username))


def user(session: Session, user_id: uuid.UUID) -> User | None:
    return session.get(User, user_id)


def console_session(session: Session, session_id: uuid.UUID | None) -> ConsoleSession | None:
    return session.get(ConsoleSession, session_id) if session_id else None


def access_token(session: Session, token_id: uuid.UUID | None) -> AccessToken | None:
    return session.get(AccessToken, token_id) if token_id else None


def users(session: Session, *, limit: int = 100, offset: int = 0) -> tuple[int, list[User]]:
    total = session.scalar(select(func.count()).select_from(User)) or 0
    rows = session.scalars(select(User).order_by(User.username).limit(limit).offset(offset))
    return total, list(rows)


def roles_of(session: Session, user_ids: list[uuid.UUID]) -> dict[uuid.UUID, list[str]]:
    found: dict[uuid.UUID, list[str]] = defaultdict(list)
    if not user_ids:
        return found
    rows = session.execute(
        select(Membership.user_id, Membership.role)
        .where(Membership.user_id.in_(user_ids))
        .order_by(Membership.role)
    )
    for user_id, role in rows:
        found[user_id].append(role)
    return found


def live_console_session(
    session: Session, *, token_hash: str, now: datetime
) -> ConsoleSession | None:
    return session.scalar(
        select(ConsoleSession).where(
            ConsoleSession.token_hash == token_hash,
            ConsoleSession.ended_at.is_(None),
            ConsoleSession.expires_at > now,
        )
    )


def live_access_token(session: Session, *, token_hash: str, now: datetime) -> AccessToken | None:
    return session.scalar(
        select(AccessToken).where(
            AccessToken.token_hash == token_hash,
            AccessToken.revoked_at.is_(None),
            AccessToken.expires_at > now,
        )
    )


def live_api_key(session: Session, *, key_hash: str) -> ApiKey | None:
    return session.scalar(
        select(ApiKey).where(ApiKey.key_hash == key_hash, ApiKey.revoked_at.is_(None))
    )


def api_keys_of(session: Session, organization_id: uuid.UUID) -> list[ApiKey]:
    query = (
        select(ApiKey)
        .where(ApiKey.organization_id == organization_id)
        .order_by(ApiKey.created_at.desc())
    )
    return list(session.scalars(query))


def api_key(session: Session, *, key_id: uuid.UUID, organization_id: uuid.UUID) -> ApiKey | None:
    """Scoped to the caller's organization: another buyer's key is simply not found."""
    return session.scalar(
        select(ApiKey).where(ApiKey.id == key_id, ApiKey.organization_id == organization_id)
    )


def end_console_sessions(
    session: Session, *, user_id: uuid.UUID, now: datetime, keep: uuid.UUID | None = None
) -> int:
    """End the user's live console sessions (all but ``keep``); returns how many."""
    statement = update(ConsoleSession).where(
        ConsoleSession.user_id == user_id,
        ConsoleSession.ended_at.is_(None),
        ConsoleSession.expires_at > now,
    )
    if keep is not None:
        statement = statement.where(ConsoleSession.id != keep)
    result = session.execute(statement.values(ended_at=now))
    return cast(CursorResult[Any], result).rowcount


def revoke_access_tokens(
    session: Session, *, user_id: uuid.UUID, now: datetime, keep: uuid.UUID | None = None
) -> int:
    """Revoke the user's live access tokens (all but ``keep``); returns how many."""
    statement = update(AccessToken).where(
        AccessToken.user_id == user_id,
        AccessToken.revoked_at.is_(None),
        AccessToken.expires_at > now,
    )
    if keep is not None:
        statement = statement.where(AccessToken.id != keep)
    result = session.execute(statement.values(revoked_at=now))
    return cast(CursorResult[Any], result).rowcount


def throttle(
    session: Session, *, scope: ThrottleScope, account: str, address: str
) -> LoginThrottle | None:
    """A failure counter as it stands (no lock: for the check before a login attempt)."""
    return session.scalar(
        select(LoginThrottle).where(
            LoginThrottle.scope == scope,
            LoginThrottle.account == account,
            LoginThrottle.address == address,
        )
    )


def throttle_for_update(
    session: Session, *, scope: ThrottleScope, account: str, address: str, now: datetime
) -> LoginThrottle:
    """The failure counter, created if missing, locked until the transaction ends.

    One upsert creates the row or touches it; on PostgreSQL that takes the row lock, so two
    workers counting failures for the same key never lose one. Callers lock the account's
    row before the address's, always, so two logins cannot wait on each other.
    """
    dialect = postgresql if session.get_bind().dialect.name == "postgresql" else sqlite
    statement = (
        dialect.insert(LoginThrottle)
        .values(
            id=uuid.uuid4(),
            scope=scope,
            account=account,
            address=address,
            failures=0,
            window_started_at=now,
            last_failed_at=now,
        )
        .on_conflict_do_update(
            index_elements=[LoginThrottle.scope, LoginThrottle.account, LoginThrottle.address],
            set_={"last_failed_at": now},
        )
        .returning(LoginThrottle.id)
    )
    row_id = session.execute(statement).scalar_one()
    found = session.scalar(
        select(LoginThrottle)
        .where(LoginThrottle.id == row_id)
        .execution_options(populate_existing=True)
    )
    assert found is not None  # created or locked by the statement above
    return found


def forget_account_failures(session: Session, *, account: str, address: str) -> None:
    """A login succeeded: that account's failures from that address start over."""
    session.execute(
        delete(LoginThrottle).where(
            LoginThrottle.scope == "account",
            LoginThrottle.account == account,
            LoginThrottle.address == address,
        )
    )


def purge_stale_throttles(session: Session, *, before: datetime) -> None:
    """Remove counters whose last failure is older than ``before`` (their window and any
    lock have ended). Rows another login holds are skipped, never waited for."""
    stale = (
        select(LoginThrottle.id)
        .where(LoginThrottle.last_failed_at < before)
        .limit(_PURGE_BATCH)
        .with_for_update(skip_locked=True)
    )
    session.execute(
        delete(LoginThrottle)
        .where(LoginThrottle.id.in_(stale))
        .execution_options(synchronize_session=False)
    )


def locked_accounts(session: Session, *, accounts: Iterable[str], now: datetime) -> set[str]:
    """Which of these usernames are locked from at least one client address now."""
    names = list(accounts)
    if not names:
        return set()
    rows = session.scalars(
        select(LoginThrottle.account)
        .where(
            LoginThrottle.scope == "account",
            LoginThrottle.account.in_(names),
            LoginThrottle.locked_until > now,
        )
        .distinct()
    )
    return set(rows)


def current_signing_key(session: Session, organization_id: uuid.UUID) -> SigningKey | None:
    return session.scalars(
        select(SigningKey)
        .where(SigningKey.organization_id == organization_id, SigningKey.retired_at.is_(None))
        .order_by(SigningKey.created_at.desc())
        .limit(1)
    ).first()


def signing_keys_with_organizations(session: Session) -> list[tuple[SigningKey, Organization]]:
    query = (
        select(SigningKey, Organization)
        .join(Organization, Organization.id == SigningKey.organization_id)
        .order_by(Organization.kind, Organization.code, SigningKey.created_at)
    )
    return [(key, org) for key, org in session.execute(query)]


def signing_key_exists(session: Session, organization_id: uuid.UUID, public_key_hex: str) -> bool:
    query = select(SigningKey.id).where(
        SigningKey.organization_id == organization_id,
        SigningKey.public_key_hex == public_key_hex,
    )
    return session.scalar(query) is not None
