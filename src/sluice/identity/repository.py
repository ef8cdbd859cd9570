"""Every query of the identity module."""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Iterable
from datetime import datetime
from typing import Any, Final, Literal, cast

from sqlalchemy import (
    ColumnElement,
    CursorResult,
    Engine,
    Select,
    delete,
    func,
    select,
    update,
)
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from sluice.core.paging import ListQuery, Page, contains, paginate
from sluice.identity.models import (
    AccessToken,
    ApiKey,
    ConsoleFlash,
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


def organization_code_taken(session: Session, code: str) -> bool:
    return _exists(session, select(Organization.id).where(Organization.code == code))


def organization_name_taken(session: Session, name: str) -> bool:
    return _exists(session, select(Organization.id).where(Organization.name == name))


def username_taken(session: Session, username: str) -> bool:
    return _exists(session, select(User.id).where(User.username == username))


def _exists(session: Session, query: Select[Any]) -> bool:
    return session.scalar(query.limit(1)) is not None


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


# --- the console's lists and pickers ---------------------------------------------------------


def _c(column: Any) -> ColumnElement[Any]:
    """A mapped attribute as the column the shared paging helpers take."""
    return cast(ColumnElement[Any], column)


#: What the organizations list may be sorted by.
ORGANIZATION_SORTS: Final[dict[str, ColumnElement[Any]]] = {
    "name": _c(Organization.name),
    "code": _c(Organization.code),
    "kind": _c(Organization.kind),
    "created": _c(Organization.created_at),
    "status": _c(Organization.active),
}
#: What the users list may be sorted by.
USER_SORTS: Final[dict[str, ColumnElement[Any]]] = {
    "username": _c(User.username),
    "name": _c(User.display_name),
    "organization": _c(Organization.name),
    "created": _c(User.created_at),
    "status": _c(User.active),
}
#: ``status`` filter values: an account (or organization) active or deactivated.
STATUSES: Final = {"active": True, "inactive": False}


def _page(
    session: Session,
    statement: Any,
    query: ListQuery,
    *,
    sorts: dict[str, ColumnElement[Any]],
    default: str,
    tiebreak: Any,
) -> Page[Any]:
    return paginate(session, statement, query, sorts=sorts, default=default, tiebreak=_c(tiebreak))


def _users_in(organization_id: Any) -> ColumnElement[Any]:
    return (
        select(func.count(User.id)).where(User.organization_id == organization_id).scalar_subquery()
    )


def organization_page(session: Session, query: ListQuery) -> Page[Organization]:
    """One page of organizations (sortable by their numbers of users, too).

    Search: name (Chinese or English), code or credit code. Filters: ``kind``, ``status``.
    """
    statement = select(Organization)
    if query.q:
        statement = statement.where(
            contains(
                query.q,
                _c(Organization.name),
                _c(Organization.name_en),
                _c(Organization.code),
                _c(Organization.credit_code),
            )
        )
    if kind := query.filter("kind"):
        statement = statement.where(Organization.kind == kind)
    if (status := query.filter("status")) is not None:
        statement = statement.where(Organization.active.is_(STATUSES.get(status, None)))
    sorts = {**ORGANIZATION_SORTS, "users": _users_in(Organization.id)}
    return _page(session, statement, query, sorts=sorts, default="kind", tiebreak=Organization.code)


def user_page(session: Session, query: ListQuery) -> Page[User]:
    """One page of users (their organizations joined to search, filter and sort by).

    Search: username, name or organization name. Filters: ``role``, ``kind`` (of the
    organization), ``organization`` (its code), ``status``.
    """
    statement = select(User).outerjoin(Organization, Organization.id == User.organization_id)
    if query.q:
        statement = statement.where(
            contains(query.q, _c(User.username), _c(User.display_name), _c(Organization.name))
        )
    if role := query.filter("role"):
        holders = select(Membership.user_id).where(Membership.role == role)
        statement = statement.where(User.id.in_(holders))
    if kind := query.filter("kind"):
        statement = statement.where(Organization.kind == kind)
    if code := query.filter("organization"):
        statement = statement.where(Organization.code == code)
    if (status := query.filter("status")) is not None:
        statement = statement.where(User.active.is_(STATUSES.get(status, None)))
    return _page(
        session, statement, query, sorts=USER_SORTS, default="username", tiebreak=User.username
    )


def pick_organizations(session: Session, *, q: str, limit: int) -> tuple[int, list[Organization]]:
    """Organizations whose name or code holds ``q``, or whose credit code it is; the one whose
    code it is exactly first, then by name."""
    statement = select(Organization)
    if q:
        statement = statement.where(
            contains(q, _c(Organization.name), _c(Organization.name_en), _c(Organization.code))
            | (Organization.credit_code == q.upper())
        )
    total = session.scalar(select(func.count()).select_from(statement.subquery())) or 0
    exact = Organization.code == q.lower()
    rows = session.scalars(
        statement.order_by(exact.desc(), Organization.name, Organization.code).limit(limit)
    )
    return total, list(rows)


def pick_users(
    session: Session, *, q: str, limit: int
) -> tuple[int, list[tuple[User, Organization | None]]]:
    """Users whose username, name or organization's name holds ``q``."""
    statement = select(User, Organization).outerjoin(
        Organization, Organization.id == User.organization_id
    )
    if q:
        statement = statement.where(
            contains(q, _c(User.username), _c(User.display_name), _c(Organization.name))
        )
    total = session.scalar(select(func.count()).select_from(statement.subquery())) or 0
    exact = User.username == q
    rows = session.execute(statement.order_by(exact.desc(), User.username).limit(limit))
    return total, [(row[0], row[1]) for row in rows]


def users_per_organization(
    session: Session, organization_ids: list[uuid.UUID]
) -> dict[uuid.UUID, int]:
    if not organization_ids:
        return {}
    rows = session.execute(
        select(User.organization_id, func.count(User.id))
        .where(User.organization_id.in_(organization_ids))
        .group_by(User.organization_id)
    )
    return {row[0]: row[1] for row in rows if row[0] is not None}


def organizations_by_id(
    session: Session, ids: Iterable[uuid.UUID]
) -> dict[uuid.UUID, Organization]:
    wanted = set(ids)
    if not wanted:
        return {}
    rows = session.scalars(select(Organization).where(Organization.id.in_(wanted)))
    return {organization.id: organization for organization in rows}


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


def live_api_key_with_organization(
    session: Session, *, key_hash: str
) -> tuple[ApiKey, Organization] | None:
    """The unrevoked key with this digest and its organization, in one read (every gateway
    call starts here)."""
    found = session.execute(
        select(ApiKey, Organization)
        .join(Organization, Organization.id == ApiKey.organization_id)
        .where(ApiKey.key_hash == key_hash, ApiKey.revoked_at.is_(None))
    ).first()
    return (found[0], found[1]) if found is not None else None


def touch_api_key(session: Session, *, key_id: uuid.UUID, now: datetime, since: datetime) -> None:
    """Set the key's ``last_used_at`` to ``now`` unless it was set after ``since``.

    Compared in SQL, so of many concurrent calls in a minute only the first writes the row;
    and written in a transaction of its own, committed at once, so the row is locked for
    that one statement and never for the rest of a call (a call's own transaction can run
    a product for milliseconds; every other call with the key would queue behind it)."""
    statement = (
        update(ApiKey)
        .where(
            ApiKey.id == key_id,
            (ApiKey.last_used_at.is_(None)) | (ApiKey.last_used_at < since),
        )
        .values(last_used_at=now)
        .execution_options(synchronize_session=False)
    )
    bind = session.get_bind()
    if not isinstance(bind, Engine):  # a session bound to one connection: stay in it
        session.execute(statement)
        return
    with bind.begin() as connection:
        connection.execute(statement)


def any_api_key(session: Session, key_id: uuid.UUID) -> ApiKey | None:
    """Any organization's key, for the bureau (which suspends and resumes them)."""
    return session.get(ApiKey, key_id)


#: What the bureau's list of keys may be sorted by.
API_KEY_SORTS: Final[dict[str, ColumnElement[Any]]] = {
    "organization": _c(Organization.name),
    "name": _c(ApiKey.name),
    "created": _c(ApiKey.created_at),
    "used": _c(ApiKey.last_used_at),
}


def api_key_page(session: Session, query: ListQuery) -> Page[tuple[ApiKey, Organization]]:
    """Every organization's keys, for the bureau. Search: key name, prefix, organization.
    Filter ``status``: ``active``, ``suspended`` or ``revoked``."""
    statement = cast(
        "Select[Any]",
        select(ApiKey, Organization).join(Organization, Organization.id == ApiKey.organization_id),
    )
    if query.q:
        statement = statement.where(
            contains(query.q, _c(ApiKey.name), _c(ApiKey.prefix), _c(Organization.name))
        )
    status = query.filter("status")
    if status == "revoked":
        statement = statement.where(ApiKey.revoked_at.is_not(None))
    elif status == "suspended":
        statement = statement.where(ApiKey.revoked_at.is_(None), ApiKey.suspended_at.is_not(None))
    elif status == "active":
        statement = statement.where(ApiKey.revoked_at.is_(None), ApiKey.suspended_at.is_(None))
    page = paginate(
        session,
        statement,
        query,
        sorts=API_KEY_SORTS,
        default="-created",
        tiebreak=_c(ApiKey.id),
        scalars=False,
    )
    return Page([(row[0], row[1]) for row in page.items], page.total, page.query)


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


# --- one-time notices for a console session ------------------------------------------------


def add_flash(session: Session, flash: ConsoleFlash) -> None:
    """Leave a notice; one of the same kind left before (and not read) is replaced."""
    session.execute(
        delete(ConsoleFlash).where(
            ConsoleFlash.console_session_id == flash.console_session_id,
            ConsoleFlash.kind == flash.kind,
        )
    )
    session.add(flash)


def take_flash(
    session: Session, *, console_session_id: uuid.UUID, kind: str, now: datetime
) -> ConsoleFlash | None:
    """The session's unexpired notice of this kind, deleted as it is read (once only)."""
    found = session.scalar(
        select(ConsoleFlash)
        .where(
            ConsoleFlash.console_session_id == console_session_id,
            ConsoleFlash.kind == kind,
            ConsoleFlash.expires_at > now,
        )
        .order_by(ConsoleFlash.created_at.desc())
        .limit(1)
    )
    if found is None:
        return None
    # Deleted by id with the count checked: of two requests reading it at once, one shows it.
    result = session.execute(
        delete(ConsoleFlash)
        .where(ConsoleFlash.id == found.id)
        .execution_options(synchronize_session=False)
    )
    session.expunge(found)
    return found if cast(CursorResult[Any], result).rowcount == 1 else None


def purge_flashes(session: Session, *, before: datetime) -> None:
    """Remove notices nobody read in time (a few per call, never waiting on a lock)."""
    stale = (
        select(ConsoleFlash.id)
        .where(ConsoleFlash.expires_at <= before)
        .limit(_PURGE_BATCH)
        .with_for_update(skip_locked=True)
    )
    session.execute(
        delete(ConsoleFlash)
        .where(ConsoleFlash.id.in_(stale))
        .execution_options(synchronize_session=False)
    )
