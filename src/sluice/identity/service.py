"""The rules of identity and access. Keyword-only, no HTTP, no commit."""

from __future__ import annotations

import json
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from dataclasses import field as dc_field
from datetime import datetime, timedelta
from typing import Any, Final

from sqlalchemy.orm import Session

from sluice.audit import service as audit
from sluice.core import crypto
from sluice.core.checksums import valid_uscc
from sluice.core.clock import Clock, local
from sluice.core.errors import (
    Conflict,
    InvalidCredentials,
    InvalidInput,
    NotAuthenticated,
    NotFound,
    SluiceError,
)
from sluice.core.i18n import MessageRef, add_messages, translate
from sluice.core.ids import new_secret, sm3_hex
from sluice.core.paging import ListQuery, Page
from sluice.core.permissions import ROLE_ORG_KIND, OrgKind, Permission, Role
from sluice.core.principal import Principal, Via
from sluice.core.settings import Settings
from sluice.identity import repository
from sluice.identity.models import (
    AccessToken,
    ApiKey,
    ConsoleFlash,
    ConsoleSession,
    LoginThrottle,
    Membership,
    Organization,
    User,
)
from sluice.identity.password_policy import WeakPassword, require_strong, weakness
from sluice.identity.passwords import hash_password, needs_rehash, verify_password
from sluice.identity.schemas import PASSWORD_MAX, OrganizationCreate, UserCreate

API_KEY_PREFIX = "slk_"
#: Longer than any key this service makes; a longer header is not even hashed.
_API_KEY_MAX: Final = 128
#: A key's ``last_used_at`` is written at most this often (the row is not a hot spot).
LAST_USED_EVERY: Final = timedelta(minutes=1)
#: Fewest and most characters of the reason the bureau gives for suspending or resuming a key.
KEY_REASON_MIN: Final = 2
KEY_REASON_MAX: Final = 500
#: Longest username that can exist (the column); a longer one is counted under its digest.
_USERNAME_MAX: Final = 150
#: Longest client address kept (an IPv6 address with its zone fits).
_ADDRESS_MAX: Final = 64
#: What is kept of an over-long username typed at the login form, for the audit log.
_TYPED_USERNAME_MAX: Final = 300
_DEFAULT_MIN_LENGTH: Final[int] = Settings.model_fields["password_min_length"].default
#: How long a one-time notice waits for the page it was left for.
FLASH_MINUTES: Final = 10


class LoginThrottled(SluiceError):
    """Too many failed logins from one client address, over any accounts (spraying).

    Says nothing about any account, so it may differ from a wrong password's answer.
    """

    status = 429
    code = "login_throttled"


class InvalidKey(SluiceError):
    """An ``X-API-Key`` that names no live key (unknown, malformed or revoked)."""

    status = 401
    code = "invalid_key"


class KeySuspended(SluiceError):
    """A key the bureau suspended; the reason is given so the buyer knows whom to ask. The
    key and its buyer are known, so the gateway can log the refused call (R8.8)."""

    status = 403
    code = "key_suspended"

    def __init__(
        self,
        message_key: str | None = None,
        /,
        *,
        organization_id: uuid.UUID | None = None,
        api_key_id: uuid.UUID | None = None,
        **params: Any,
    ) -> None:
        super().__init__(message_key, **params)
        self.organization_id = organization_id
        self.api_key_id = api_key_id


class CurrentPasswordWrong(InvalidInput):
    """A password change whose current password is wrong (or may not be tried now)."""

    code = "current_password_wrong"


audit.declare_actions(
    {
        "identity.organization.created": ("创建机构", "Organization created"),
        "identity.user.created": ("创建用户", "User created"),
        "identity.login.succeeded": ("登录成功", "Login succeeded"),
        "identity.login.failed": ("登录失败", "Login failed"),
        "identity.login.locked": ("账户在该地址被锁定", "Account locked for one address"),
        "identity.login.address_locked": ("地址登录受限", "Address barred from logging in"),
        "identity.logout": ("退出登录", "Logged out"),
        "identity.password.changed": ("修改密码", "Password changed"),
        "identity.password.change_refused": ("修改密码被拒绝", "Password change refused"),
        "identity.user.deactivated": ("停用用户", "User deactivated"),
        "identity.user.reactivated": ("重新启用用户", "User reactivated"),
        "identity.token.issued": ("签发访问令牌", "Access token issued"),
        "identity.api_key.created": ("创建 API 密钥", "API key created"),
        "identity.api_key.revoked": ("吊销 API 密钥", "API key revoked"),
        "identity.api_key.suspended": ("暂停 API 密钥", "API key suspended"),
        "identity.api_key.resumed": ("恢复 API 密钥", "API key resumed"),
    }
)
audit.declare_detail_labels({"legal_basis": ("授权依据", "Legal basis")})
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
        "identity.credit_code_taken": (
            "统一社会信用代码“{value}”已登记在另一家机构名下。",
            "The unified social credit code '{value}' is already registered to another "
            "organization.",
        ),
        "identity.organization_code_taken": (
            "机构代码“{code}”已被另一家机构使用。",
            "The code '{code}' is already used by another organization.",
        ),
        "identity.organization_name_taken": (
            "已有名为“{name}”的机构。",
            "An organization named '{name}' already exists.",
        ),
        "identity.organization_unknown": ("所选机构不存在。", "The organization does not exist."),
        "identity.authorized_by_law_not_provider": (
            "只有数据提供单位可以标记为法律法规授权的具有管理公共事务职能的组织。",
            "Only a data provider can be marked as an organization authorized by law to "
            "manage public affairs.",
        ),
        "identity.legal_basis_required": (
            "请填写授权依据：授权该组织管理公共事务的法律法规名称和条款。",
            "Give the legal basis: the law or regulation, and its article, that authorizes "
            "the organization to manage public affairs.",
        ),
        "identity.legal_basis_unmarked": (
            "只有法律法规授权的组织需要填写授权依据；请勾选该标记，或清空授权依据。",
            "Only an organization authorized by law has a legal basis; tick the mark or "
            "clear the legal basis.",
        ),
        "identity.role_needs_org": (
            "角色“{role}”须属于{kind}类机构。",
            "The role '{role}' must belong to an organization of kind '{kind}'.",
        ),
        "identity.subject_no_org": (
            "信息主体以个人身份登录，不属于任何机构。",
            "A data subject acts as a person and belongs to no organization.",
        ),
        "identity.api_key_unknown": ("API 密钥不存在。", "The API key does not exist."),
        "problem.invalid_key": ("API 密钥无效", "Invalid API key"),
        "error.invalid_key": (
            "X-API-Key 中的 API 密钥不存在、格式不对或已吊销。",
            "The API key in X-API-Key does not exist, is malformed or was revoked.",
        ),
        "problem.key_suspended": ("API 密钥已暂停", "API key suspended"),
        "error.key_suspended": (
            "此 API 密钥已被数据局暂停使用，理由：{reason}。如有疑问请联系市数据局。",
            "The data bureau suspended this API key: {reason}. Ask the bureau if in doubt.",
        ),
        "identity.api_key_revoked": (
            "API 密钥已吊销，不能再暂停或恢复。",
            "The API key is revoked; it can no longer be suspended or resumed.",
        ),
        "identity.key_reason_required": (
            "请写明理由（2 至 500 个字）。",
            "Give the reason (2 to 500 characters).",
        ),
        "identity.user_unknown": ("用户不存在。", "The user does not exist."),
        "identity.cannot_deactivate_self": (
            "不能停用自己的账户，请由另一位管理员操作。",
            "You cannot deactivate your own account; ask another administrator.",
        ),
        "problem.login_throttled": ("登录尝试过多", "Too many login attempts"),
        "error.login_throttled": (
            "此网络地址登录失败次数过多，请于 {until} 后再试。",
            "Too many failed logins from this network address; try again after {until}.",
        ),
        "problem.current_password_wrong": ("当前密码不正确", "Current password not correct"),
        "identity.current_password_wrong": (
            "当前密码不正确，密码未修改。",
            "The current password is not correct; the password was not changed.",
        ),
    }
)


@dataclass(frozen=True)
class Problem:
    """What is wrong with one field of a new organization or user, for its reader to fix.

    ``conflict``: it clashes with data that exists (a taken username or code), which the API
    answers with 409; anything else is 422.
    """

    field: str
    key: str
    params: Mapping[str, Any] = dc_field(default_factory=dict)
    conflict: bool = False

    @property
    def type(self) -> str:
        return self.key.rsplit(".", 1)[-1]


def _first_per_field(problems: list[Problem]) -> list[Problem]:
    seen: set[str] = set()
    kept = []
    for problem in problems:
        if problem.field not in seen:
            seen.add(problem.field)
            kept.append(problem)
    return kept


def _listed(problems: list[Problem], locale: str) -> list[dict[str, Any]]:
    return [
        {"field": p.field, "type": p.type, "message": translate(p.key, locale, **p.params)}
        for p in problems
    ]


class FieldsClash(Conflict):
    """A new user or organization clashing with one that exists (409); ``errors`` also
    names every other problem of the same submission, so none arrives in a second round."""

    def __init__(self, problems: list[Problem]) -> None:
        super().__init__(problems[0].key, **problems[0].params)
        self.problems = problems

    def problem(self, locale: str, instance: str | None = None) -> dict[str, Any]:
        return {**super().problem(locale, instance), "errors": _listed(self.problems, locale)}


class FieldsInvalid(InvalidInput):
    """A new user or organization breaking rules beyond its schema (422), every one named
    in ``errors`` with its message; a weak password alone keeps its own code."""

    def __init__(self, problems: list[Problem]) -> None:
        only_password = all(p.field == "password" for p in problems)
        super().__init__(
            problems[0].key,
            errors=[{"field": p.field, "type": p.type} for p in problems],
            problem_code=WeakPassword.code if only_password else None,
            **problems[0].params,
        )
        self.problems = problems

    def problem(self, locale: str, instance: str | None = None) -> dict[str, Any]:
        return {**super().problem(locale, instance), "errors": _listed(self.problems, locale)}


def _refused(problems: list[Problem]) -> SluiceError:
    """The API's answer to a submission with problems: the first says what is wrong (as
    before), and ``errors`` lists them all, in the reader's language."""
    if any(p.conflict for p in problems):
        clashes = [p for p in problems if p.conflict]
        return FieldsClash(clashes + [p for p in problems if not p.conflict])
    return FieldsInvalid(problems)


def _credit_code(value: str | None) -> str | None:
    return value.strip().upper() if value and value.strip() else None


def organization_problems(
    session: Session,
    *,
    code: str,
    name: str,
    credit_code: str | None,
    kind: str | None = None,
    authorized_by_law: bool = False,
    legal_basis: str | None = None,
) -> list[Problem]:
    """Every rule a new organization breaks beyond its schema: a credit code failing its
    check digit or already registered, a code or a name (as stored, trimmed) already used;
    the mark of an organization authorized by law on anything but a provider, or without
    (or, unmarked, with) its legal basis.

    Takes the values as typed, so a form whose other fields do not parse still learns of
    these in the same round.
    """
    problems = _mandate_problems(kind, authorized_by_law, legal_basis)
    credit = _credit_code(credit_code)
    if credit and len(credit) == 18 and not valid_uscc([credit], check_org_code=True)[0]:
        problems.append(Problem("credit_code", "identity.credit_code_invalid", {"value": credit}))
    elif credit and repository.credit_code_taken(session, credit):
        problems.append(
            Problem("credit_code", "identity.credit_code_taken", {"value": credit}, True)
        )
    if code and repository.organization_code_taken(session, code):
        problems.append(Problem("code", "identity.organization_code_taken", {"code": code}, True))
    name = name.strip()
    if name and repository.organization_name_taken(session, name):
        problems.append(Problem("name", "identity.organization_name_taken", {"name": name}, True))
    return problems


def _mandate_problems(
    kind: str | None, authorized_by_law: bool, legal_basis: str | None
) -> list[Problem]:
    """R4.1: besides government departments, organizations authorized by law to manage
    public affairs provide public data; the mark says which a provider is, on its basis."""
    basis = (legal_basis or "").strip()
    if not authorized_by_law:
        return [Problem("legal_basis", "identity.legal_basis_unmarked")] if basis else []
    problems = []
    if kind is not None and kind != OrgKind.PROVIDER.value:
        problems.append(Problem("authorized_by_law", "identity.authorized_by_law_not_provider"))
    if not basis:
        problems.append(Problem("legal_basis", "identity.legal_basis_required"))
    return problems


def create_organization(
    session: Session, *, actor: Principal, clock: Clock, data: OrganizationCreate
) -> Organization:
    actor.require(Permission.IDENTITY_MANAGE)
    # Checked on the values as stored: a name differing only by spaces, or a credit code
    # already held, is refused here rather than by a unique constraint at commit.
    problems = organization_problems(
        session,
        code=data.code,
        name=data.name,
        credit_code=data.credit_code,
        kind=data.kind.value,
        authorized_by_law=data.authorized_by_law,
        legal_basis=data.legal_basis,
    )
    if problems:
        raise _refused(problems)
    credit_code = _credit_code(data.credit_code)
    name = data.name.strip()
    now = clock.now()
    organization = Organization(
        code=data.code,
        kind=data.kind.value,
        name=name,
        name_en=data.name_en,
        credit_code=credit_code,
        authorized_by_law=data.authorized_by_law,
        legal_basis=data.legal_basis if data.authorized_by_law else None,
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
        detail={
            "code": organization.code,
            "kind": organization.kind,
            "name": organization.name,
            **({"legal_basis": organization.legal_basis} if organization.authorized_by_law else {}),
        },
    )
    return organization


def check_new_password(
    password: str,
    *,
    username: str,
    display_name: str = "",
    settings: Settings | None = None,
    field_name: str = "password",
) -> None:
    """Refuse (``WeakPassword``) a password the policy does not allow for this user."""
    require_strong(
        password,
        username=username,
        min_length=settings.password_min_length if settings else _DEFAULT_MIN_LENGTH,
        field_name=field_name,
        other_inputs=(display_name,),
    )


def user_problems(
    session: Session,
    *,
    username: str,
    display_name: str = "",
    password: str,
    organization_id: uuid.UUID | None,
    roles: list[Role],
    settings: Settings | None = None,
) -> list[Problem]:
    """Every rule a new user breaks beyond its schema, at most one per field: a username
    already taken, an organization that does not exist or does not fit the roles, a password
    the policy refuses (``settings.password_min_length`` or its declared default).

    Takes the values as typed (a role or organization that did not parse is left out), so
    a form learns of all of these with its schema errors, in one round.
    """
    problems = []
    if username and repository.username_taken(session, username):
        problems.append(
            Problem("username", "identity.username_taken", {"username": username}, True)
        )
    organization = None
    if organization_id is not None:
        organization = repository.organization(session, organization_id)
        if organization is None:
            problems.append(Problem("organization_id", "identity.organization_unknown"))
    if organization is not None or organization_id is None:
        problems.extend(_role_problems(organization, roles))
    if password and len(password) <= PASSWORD_MAX:
        found = weakness(
            password,
            username=username,
            min_length=settings.password_min_length if settings else _DEFAULT_MIN_LENGTH,
            other_inputs=(display_name,),
        )
        if found is not None:
            problems.append(Problem("password", found.key, found.params))
    return _first_per_field(problems)


def _role_problems(organization: Organization | None, roles: list[Role]) -> list[Problem]:
    for role in sorted(set(roles)):
        kind = ROLE_ORG_KIND[role]
        if kind is None and organization is not None:
            return [Problem("roles", "identity.subject_no_org")]
        if kind is not None and (organization is None or organization.kind != kind.value):
            params = {
                "role": MessageRef(f"role.{role.value}"),
                "kind": MessageRef(f"org_kind.{kind.value}"),
            }
            return [Problem("roles", "identity.role_needs_org", params)]
    return []


def create_user(
    session: Session,
    *,
    actor: Principal,
    clock: Clock,
    data: UserCreate,
    settings: Settings | None = None,
) -> User:
    """A new user; the password must pass the policy (``settings.password_min_length``, or
    its declared default when no settings are given)."""
    actor.require(Permission.IDENTITY_MANAGE)
    problems = user_problems(
        session,
        username=data.username,
        display_name=data.display_name,
        password=data.password,
        organization_id=data.organization_id,
        roles=list(data.roles),
        settings=settings,
    )
    if problems:
        raise _refused(problems)
    organization = (
        repository.organization(session, data.organization_id) if data.organization_id else None
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


# --- logging in ----------------------------------------------------------------------------


def _address_key(address: str | None) -> str:
    return (address or "unknown")[:_ADDRESS_MAX]


def _account_key(username: str) -> str:
    """What failures are counted under: the username as typed (known or not), or, for one
    longer than any username can be, its digest."""
    return username if len(username) <= _USERNAME_MAX else f"sm3:{sm3_hex(username)}"


def _typed(username: str) -> str:
    if len(username) <= _TYPED_USERNAME_MAX:
        return username
    return username[:_TYPED_USERNAME_MAX] + "…"


def _locked(row: LoginThrottle | None, now: datetime) -> datetime | None:
    """When the row's lock ends, if it is in force now."""
    if row is None or row.locked_until is None or row.locked_until <= now:
        return None
    return row.locked_until


def _shown(moment: datetime) -> str:
    return local(moment).strftime("%Y-%m-%d %H:%M")


def _count(row: LoginThrottle, *, now: datetime, window: timedelta) -> None:
    """Count one failure on a counter row the caller holds locked."""
    if _locked(row, now) is not None:
        return  # locked meanwhile by a concurrent attempt: nothing more to count
    if row.locked_until is not None or row.window_started_at <= now - window:
        row.failures = 0  # the lock or the window is over: counting starts again
        row.locked_until = None
        row.window_started_at = now
    row.failures += 1
    row.last_failed_at = now


@dataclass(frozen=True)
class _Attempt:
    """One password check from one address, and what the counters said before it."""

    username: str
    address: str
    user: User | None
    address_locked_until: datetime | None
    account_locked: bool
    matched: bool

    @property
    def actor(self) -> Principal:
        return Principal(
            username=_typed(self.username),
            via="session",
            user_id=self.user.id if self.user else None,
        )

    @property
    def target(self) -> str | uuid.UUID:
        return self.user.id if self.user else _typed(self.username)


def _attempt(
    session: Session,
    *,
    now: datetime,
    user: User | None,
    username: str,
    address: str,
    password: str,
) -> _Attempt:
    """Read the counters and verify the password: one argon2 run on every path, with the
    dummy hash when there is no account, so no path is faster than another."""
    address_row = repository.throttle(session, scope="address", account="", address=address)
    account_row = repository.throttle(
        session, scope="account", account=_account_key(username), address=address
    )
    matched = verify_password(user.password_hash if user else None, password)
    return _Attempt(
        username=username,
        address=address,
        user=user,
        address_locked_until=_locked(address_row, now),
        account_locked=_locked(account_row, now) is not None,
        matched=matched,
    )


def _refusal(attempt: _Attempt) -> str | None:
    """The true reason a login is refused (for the audit log only), or None to let it in."""
    if attempt.user is None:
        return "unknown_user"
    if attempt.account_locked:
        return "locked"
    if not attempt.user.active:
        return "inactive"
    if not attempt.matched:
        return "bad_password"
    return None


def _count_failure(
    session: Session,
    *,
    settings: Settings,
    now: datetime,
    attempt: _Attempt,
    action: str,
    reason: str,
) -> None:
    """Count a failed attempt for (account, address) and for the address, audit it with its
    true reason, and lock whichever counter reached its limit."""
    window = timedelta(minutes=settings.lockout_minutes)
    detail: dict[str, object] = {"reason": reason, "address": attempt.address}
    account_row = None
    if not attempt.account_locked:
        # The account's row first, then the address's: the same order in every attempt.
        account_row = repository.throttle_for_update(
            session,
            scope="account",
            account=_account_key(attempt.username),
            address=attempt.address,
            now=now,
        )
        _count(account_row, now=now, window=window)
        detail["account_failures"] = account_row.failures
    address_row = repository.throttle_for_update(
        session, scope="address", account="", address=attempt.address, now=now
    )
    _count(address_row, now=now, window=window)
    detail["address_failures"] = address_row.failures
    audit.record(
        session,
        actor=attempt.actor,
        action=action,
        target_type="user",
        target_id=attempt.target,
        at=now,
        outcome="refused",
        detail=detail,
    )
    if (
        account_row is not None
        and account_row.locked_until is None
        and account_row.failures >= settings.lockout_attempts
    ):
        account_row.locked_until = now + window
        audit.record(
            session,
            actor=attempt.actor,
            action="identity.login.locked",
            target_type="user",
            target_id=attempt.target,
            at=now,
            detail={"address": attempt.address, "until": account_row.locked_until.isoformat()},
        )
    if address_row.locked_until is None and (
        address_row.failures >= settings.address_lockout_attempts
    ):
        address_row.locked_until = now + window
        audit.record(
            session,
            actor=attempt.actor,
            action="identity.login.address_locked",
            target_type="address",
            target_id=attempt.address,
            at=now,
            detail={
                "failures": address_row.failures,
                "until": address_row.locked_until.isoformat(),
            },
        )
    repository.purge_stale_throttles(session, before=now - window)


def authenticate(
    session: Session,
    *,
    clock: Clock,
    settings: Settings,
    username: str,
    password: str,
    address: str | None,
) -> User:
    """Check a password sent from the client ``address``. Failures are counted and audited,
    and survive the refusal.

    Every refusal for an account is the same ``InvalidCredentials``, whether the account is
    unknown, disabled or locked from this address, or the password is wrong, and each runs
    the same single argon2 verification: neither the answer nor its timing tells whether an
    account exists. The audit log keeps the true reason. Failures are counted per (account,
    address): ``lockout_attempts`` of them lock that account *from that address* for
    ``lockout_minutes``, and its owner still logs in from elsewhere. An address failing
    ``address_lockout_attempts`` times over any accounts is refused outright
    (``LoginThrottled``), which says nothing about any account.
    """
    now = clock.now()
    user = repository.user_by_username(session, username)
    attempt = _attempt(
        session,
        now=now,
        user=user,
        username=username,
        address=_address_key(address),
        password=password,
    )
    if attempt.address_locked_until is not None:
        raise LoginThrottled(until=_shown(attempt.address_locked_until)).keep(
            lambda kept: audit.record(
                kept,
                actor=attempt.actor,
                action="identity.login.failed",
                target_type="user",
                target_id=attempt.target,
                at=now,
                outcome="refused",
                detail={"reason": "address_locked", "address": attempt.address},
            )
        )
    refusal = _refusal(attempt)
    if refusal is not None or user is None:
        reason = refusal or "unknown_user"
        # The same words whatever the true reason; the count and the audit row are kept.
        raise InvalidCredentials().keep(
            lambda kept: _count_failure(
                kept,
                settings=settings,
                now=now,
                attempt=attempt,
                action="identity.login.failed",
                reason=reason,
            )
        )
    repository.forget_account_failures(
        session, account=_account_key(username), address=attempt.address
    )
    user.last_login_at = now
    if needs_rehash(user.password_hash):
        user.password_hash = hash_password(password)
    return user


def principal_for(
    session: Session, user: User, *, via: Via, credential_id: uuid.UUID | None = None
) -> Principal:
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
        credential_id=credential_id,
    )


@dataclass(frozen=True)
class Started:
    token: str
    csrf_token: str
    expires_at: datetime


def start_console_session(
    session: Session, *, clock: Clock, settings: Settings, user: User, address: str | None = None
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
    detail: dict[str, object] = {"channel": "console"}
    if address is not None:
        detail["address"] = _address_key(address)
    audit.record(
        session,
        actor=principal_for(session, user, via="session", credential_id=console_session.id),
        action="identity.login.succeeded",
        target_type="user",
        target_id=user.id,
        at=now,
        detail=detail,
    )
    return Started(token, console_session.csrf_token, console_session.expires_at)


def issue_access_token(
    session: Session,
    *,
    clock: Clock,
    settings: Settings,
    user: User,
    address: str | None = None,
) -> tuple[str, int]:
    now = clock.now()
    token = new_secret()
    lifetime = timedelta(minutes=settings.token_minutes)
    access_token = AccessToken(
        token_hash=sm3_hex(token), user_id=user.id, created_at=now, expires_at=now + lifetime
    )
    session.add(access_token)
    session.flush()
    detail: dict[str, object] = {"expires_in": int(lifetime.total_seconds())}
    if address is not None:
        detail["address"] = _address_key(address)
    audit.record(
        session,
        actor=principal_for(session, user, via="token", credential_id=access_token.id),
        action="identity.token.issued",
        target_type="user",
        target_id=user.id,
        at=now,
        detail=detail,
    )
    return token, int(lifetime.total_seconds())


# --- logging out, password changes, deactivation ----------------------------------------


def _own_user(session: Session, actor: Principal) -> User:
    """The logged-in user behind ``actor``; API keys and the system have none."""
    user = repository.user(session, actor.user_id) if actor.user_id else None
    if user is None or not user.active or actor.credential_id is None:
        raise NotAuthenticated()
    return user


def _end_everything(
    session: Session, *, user_id: uuid.UUID, now: datetime, keep: Principal | None = None
) -> dict[str, int]:
    """End the user's console sessions and revoke their access tokens, except the one
    ``keep`` came in through; returns the counts for the audit log."""
    keep_session = keep.credential_id if keep is not None and keep.via == "session" else None
    keep_token = keep.credential_id if keep is not None and keep.via == "token" else None
    return {
        "sessions_ended": repository.end_console_sessions(
            session, user_id=user_id, now=now, keep=keep_session
        ),
        "tokens_revoked": repository.revoke_access_tokens(
            session, user_id=user_id, now=now, keep=keep_token
        ),
    }


def log_out(session: Session, *, actor: Principal, clock: Clock, everywhere: bool = False) -> None:
    """End the console session or revoke the access token ``actor`` came in through; with
    ``everywhere``, every other session and token of the same user as well."""
    actor.require(Permission.OWN_ACCOUNT)
    user = _own_user(session, actor)
    now = clock.now()
    if everywhere:
        counts = _end_everything(session, user_id=user.id, now=now)
    else:
        ended = _end_credential(session, actor=actor, now=now)
        counts = {
            "sessions_ended": int(ended and actor.via == "session"),
            "tokens_revoked": int(ended and actor.via == "token"),
        }
    audit.record(
        session,
        actor=actor,
        action="identity.logout",
        target_type="user",
        target_id=user.id,
        at=now,
        detail={"channel": actor.via, "everywhere": everywhere, **counts},
    )


def _end_credential(session: Session, *, actor: Principal, now: datetime) -> bool:
    if actor.via == "session":
        console_session = repository.console_session(session, actor.credential_id)
        if console_session is not None and console_session.ended_at is None:
            console_session.ended_at = now
            return True
    elif actor.via == "token":
        access_token = repository.access_token(session, actor.credential_id)
        if access_token is not None and access_token.revoked_at is None:
            access_token.revoked_at = now
            return True
    return False


def change_password(
    session: Session,
    *,
    actor: Principal,
    clock: Clock,
    settings: Settings,
    current_password: str,
    new_password: str,
    address: str | None,
) -> None:
    """Change the actor's own password. The current password is checked like a login (one
    argon2 run, counted per account and address, so a stolen session cannot be used to guess
    it); the new one must pass the policy. Every other session and token of the user ends;
    the one in use stays."""
    actor.require(Permission.OWN_ACCOUNT)
    user = _own_user(session, actor)
    now = clock.now()
    attempt = _attempt(
        session,
        now=now,
        user=user,
        username=user.username,
        address=_address_key(address),
        password=current_password,
    )
    if attempt.address_locked_until is not None:
        user_id = user.id
        raise LoginThrottled(until=_shown(attempt.address_locked_until)).keep(
            lambda kept: audit.record(
                kept,
                actor=actor,
                action="identity.password.change_refused",
                target_type="user",
                target_id=user_id,
                at=now,
                outcome="refused",
                detail={"reason": "address_locked", "address": attempt.address},
            )
        )
    if attempt.account_locked or not attempt.matched:
        reason = "locked" if attempt.account_locked else "bad_password"
        raise CurrentPasswordWrong(
            "identity.current_password_wrong",
            errors=[{"field": "current_password", "type": "current_password_wrong"}],
        ).keep(
            lambda kept: _count_failure(
                kept,
                settings=settings,
                now=now,
                attempt=attempt,
                action="identity.password.change_refused",
                reason=reason,
            )
        )
    check_new_password(
        new_password,
        username=user.username,
        display_name=user.display_name,
        settings=settings,
        field_name="new_password",
    )
    if new_password == current_password:
        raise WeakPassword(
            "identity.password_unchanged",
            errors=[{"field": "new_password", "type": "password_unchanged"}],
        )
    user.password_hash = hash_password(new_password)
    repository.forget_account_failures(
        session, account=_account_key(user.username), address=attempt.address
    )
    counts = _end_everything(session, user_id=user.id, now=now, keep=actor)
    audit.record(
        session,
        actor=actor,
        action="identity.password.changed",
        target_type="user",
        target_id=user.id,
        at=now,
        detail={"address": attempt.address, **counts},
    )


def deactivate_user(
    session: Session, *, actor: Principal, clock: Clock, user_id: uuid.UUID
) -> User:
    """The bureau disables an account: it cannot log in, and its console sessions and access
    tokens end at once (reactivating it later does not bring them back)."""
    actor.require(Permission.IDENTITY_MANAGE)
    user = repository.user(session, user_id)
    if user is None:
        raise NotFound("identity.user_unknown")
    if user.id == actor.user_id:
        raise Conflict("identity.cannot_deactivate_self")
    now = clock.now()
    was_active = user.active
    user.active = False
    counts = _end_everything(session, user_id=user.id, now=now)
    if was_active or any(counts.values()):
        audit.record(
            session,
            actor=actor,
            action="identity.user.deactivated",
            target_type="user",
            target_id=user.id,
            at=now,
            detail={"username": user.username, **counts},
        )
    return user


def reactivate_user(
    session: Session, *, actor: Principal, clock: Clock, user_id: uuid.UUID
) -> User:
    actor.require(Permission.IDENTITY_MANAGE)
    user = repository.user(session, user_id)
    if user is None:
        raise NotFound("identity.user_unknown")
    if not user.active:
        now = clock.now()
        user.active = True
        audit.record(
            session,
            actor=actor,
            action="identity.user.reactivated",
            target_type="user",
            target_id=user.id,
            at=now,
            detail={"username": user.username},
        )
    return user


def resolve_console_session(
    session: Session, *, clock: Clock, token: str
) -> tuple[Principal, ConsoleSession] | None:
    found = repository.live_console_session(session, token_hash=sm3_hex(token), now=clock.now())
    if found is None:
        return None
    user = repository.user(session, found.user_id)
    if user is None or not user.active:
        return None
    return principal_for(session, user, via="session", credential_id=found.id), found


def resolve_access_token(session: Session, *, clock: Clock, token: str) -> Principal | None:
    found = repository.live_access_token(session, token_hash=sm3_hex(token), now=clock.now())
    if found is None:
        return None
    user = repository.user(session, found.user_id)
    if user is None or not user.active:
        return None
    return principal_for(session, user, via="token", credential_id=found.id)


def resolve_api_key(session: Session, *, clock: Clock, key: str) -> Principal | None:
    """The buyer a live key stands for; None for an unknown, malformed or revoked key (or an
    inactive organization's). A suspended key is refused (``KeySuspended``).

    ``last_used_at`` is written at most once a minute per key, compared in SQL
    (``repository.touch_api_key``): a busy key's row is not rewritten, and locked, by every
    call."""
    if not key.startswith(API_KEY_PREFIX) or len(key) > _API_KEY_MAX:
        return None
    found_pair = repository.live_api_key_with_organization(session, key_hash=sm3_hex(key))
    if found_pair is None:
        return None
    found, organization = found_pair
    if not organization.active:
        return None
    if found.suspended_at is not None:
        raise KeySuspended(
            reason=found.suspended_reason or "—",
            organization_id=organization.id,
            api_key_id=found.id,
        )
    now = clock.now()
    if found.last_used_at is None or found.last_used_at < now - LAST_USED_EVERY:
        repository.touch_api_key(session, key_id=found.id, now=now, since=now - LAST_USED_EVERY)
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


def own_api_keys(session: Session, *, actor: Principal) -> list[ApiKey]:
    """The actor's organization's keys, newest first (revoked ones too)."""
    actor.require(Permission.API_KEYS_MANAGE)
    assert actor.organization_id is not None
    return repository.api_keys_of(session, actor.organization_id)


def own_api_key(session: Session, *, actor: Principal, key_id: uuid.UUID) -> ApiKey:
    """One of the actor's organization's live keys; another's, or a revoked one, is not
    found."""
    actor.require(Permission.API_KEYS_MANAGE)
    assert actor.organization_id is not None
    api_key = repository.api_key(session, key_id=key_id, organization_id=actor.organization_id)
    if api_key is None or api_key.revoked_at is not None:
        raise NotFound("identity.api_key_unknown")
    return api_key


def _key_reason(reason: str) -> str:
    text = " ".join(reason.split())
    if not KEY_REASON_MIN <= len(text) <= KEY_REASON_MAX:
        raise InvalidInput("identity.key_reason_required")
    return text


def _bureau_key(session: Session, key_id: uuid.UUID) -> ApiKey:
    api_key = repository.any_api_key(session, key_id)
    if api_key is None:
        raise NotFound("identity.api_key_unknown")
    if api_key.revoked_at is not None:
        raise Conflict("identity.api_key_revoked")
    return api_key


def suspend_api_key(
    session: Session, *, actor: Principal, key_id: uuid.UUID, reason: str, at: datetime
) -> ApiKey:
    """The bureau (or the platform's monitoring, acting as the system) suspends a buyer's
    key: every gateway call with it is refused with ``key_suspended`` and the reason until
    it is resumed. Suspending a suspended key changes nothing (its first reason stays)."""
    actor.require(Permission.KEYS_SUSPEND)
    text = _key_reason(reason)
    api_key = _bureau_key(session, key_id)
    if api_key.suspended_at is not None:
        return api_key
    api_key.suspended_at = at
    api_key.suspended_reason = text
    audit.record(
        session,
        actor=actor,
        action="identity.api_key.suspended",
        target_type="api_key",
        target_id=api_key.id,
        at=at,
        detail={"prefix": api_key.prefix, "reason": text},
    )
    return api_key


def resume_api_key(
    session: Session, *, actor: Principal, key_id: uuid.UUID, reason: str, at: datetime
) -> ApiKey:
    """The bureau lifts a suspension, saying why; resuming a key not suspended changes
    nothing."""
    actor.require(Permission.KEYS_SUSPEND)
    text = _key_reason(reason)
    api_key = _bureau_key(session, key_id)
    if api_key.suspended_at is None:
        return api_key
    audit.record(
        session,
        actor=actor,
        action="identity.api_key.resumed",
        target_type="api_key",
        target_id=api_key.id,
        at=at,
        detail={
            "prefix": api_key.prefix,
            "reason": text,
            "suspended_reason": api_key.suspended_reason,
        },
    )
    api_key.suspended_at = None
    api_key.suspended_reason = None
    return api_key


def api_key_page(
    session: Session, *, actor: Principal, query: ListQuery
) -> Page[tuple[ApiKey, Organization]]:
    """Every buyer's keys with their organization, for the bureau."""
    actor.require(Permission.KEYS_SUSPEND)
    return repository.api_key_page(session, query)


# --- the console's lists and pickers -------------------------------------------------------


@dataclass(frozen=True)
class UserRow:
    """One line of the users list: the account, its organization, roles and lock."""

    user: User
    organization: Organization | None
    roles: list[str]
    locked: bool


def organization_page(
    session: Session, *, actor: Principal, query: ListQuery
) -> Page[tuple[Organization, int]]:
    """One page of organizations, each with its number of users, for the bureau."""
    actor.require(Permission.IDENTITY_READ)
    page = repository.organization_page(session, query)
    counts = repository.users_per_organization(session, [o.id for o in page.items])
    return Page([(o, counts.get(o.id, 0)) for o in page.items], page.total, page.query)


def user_page(
    session: Session, *, actor: Principal, query: ListQuery, now: datetime
) -> Page[UserRow]:
    """One page of users, each with its organization, roles and whether it is locked now."""
    actor.require(Permission.IDENTITY_READ)
    page = repository.user_page(session, query)
    roles = repository.roles_of(session, [user.id for user in page.items])
    locked = repository.locked_accounts(
        session, accounts=[user.username for user in page.items], now=now
    )
    organizations = repository.organizations_by_id(
        session, [u.organization_id for u in page.items if u.organization_id]
    )
    rows = [
        UserRow(
            user,
            organizations.get(user.organization_id) if user.organization_id else None,
            roles.get(user.id, []),
            user.username in locked,
        )
        for user in page.items
    ]
    return Page(rows, page.total, page.query)


def pick_organizations(
    session: Session, *, actor: Principal, q: str, limit: int
) -> tuple[int, list[Organization]]:
    actor.require(Permission.IDENTITY_READ)
    return repository.pick_organizations(session, q=q, limit=limit)


def pick_users(
    session: Session, *, actor: Principal, q: str, limit: int
) -> tuple[int, list[tuple[User, Organization | None]]]:
    actor.require(Permission.IDENTITY_READ)
    return repository.pick_users(session, q=q, limit=limit)


def get_organization(
    session: Session, *, actor: Principal, organization_id: uuid.UUID
) -> Organization | None:
    actor.require(Permission.IDENTITY_READ)
    return repository.organization(session, organization_id)


# --- one-time notices (post/redirect/get) --------------------------------------------------


def _flash_key(token: str) -> bytes:
    """The notice key: derived from the session's cookie token, which only the browser
    holds (the server keeps its digest), so a notice opens only in that session."""
    return bytes.fromhex(sm3_hex(f"sluice-console-flash:{token}"))[: crypto.KEY_BYTES]


def leave_flash(
    session: Session,
    *,
    actor: Principal,
    clock: Clock,
    token: str,
    kind: str,
    payload: Mapping[str, Any],
) -> bool:
    """Leave ``payload`` for the next page of this console session to show once (the new
    API key after the redirect that follows "create"). False when ``actor`` came in
    without a console session (nothing to leave it in)."""
    if actor.via != "session" or actor.credential_id is None or not token:
        return False
    now = clock.now()
    repository.purge_flashes(session, before=now)
    aad = f"{actor.credential_id}:{kind}".encode()
    sealed = crypto.seal(_flash_key(token), json.dumps(dict(payload)).encode(), aad)
    repository.add_flash(
        session,
        ConsoleFlash(
            console_session_id=actor.credential_id,
            kind=kind,
            sealed=sealed,
            created_at=now,
            expires_at=now + timedelta(minutes=FLASH_MINUTES),
        ),
    )
    return True


def take_flash(
    session: Session, *, actor: Principal, clock: Clock, token: str, kind: str
) -> dict[str, Any] | None:
    """The notice left for this session, once: reading it deletes it."""
    if actor.via != "session" or actor.credential_id is None or not token:
        return None
    found = repository.take_flash(
        session, console_session_id=actor.credential_id, kind=kind, now=clock.now()
    )
    if found is None:
        return None
    aad = f"{actor.credential_id}:{kind}".encode()
    try:
        payload = json.loads(crypto.unseal(_flash_key(token), found.sealed, aad))
    except (crypto.DecryptionError, ValueError):
        return None
    return payload if isinstance(payload, dict) else None
