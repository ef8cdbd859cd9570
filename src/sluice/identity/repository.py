"""Every query of the identity module."""

from __future__ import annotations

import uuid
from collections import defaultdict
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from sluice.identity.models import (
    AccessToken,
    ApiKey,
    ConsoleSession,
    Membership,
    Organization,
    User,
)


def organization(session: Session, organization_id: uuid.UUID) -> Organization | None:
    return session.get(Organization, organization_id)


def organization_by_code(session: Session, code: str) -> Organization | None:
    return session.scalar(select(Organization).where(Organization.code == code))


def organization_clash(session: Session, *, code: str, name: str) -> bool:
    query = select(func.count()).where((Organization.code == code) | (Organization.name == name))
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
