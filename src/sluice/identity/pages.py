"""Console pages of identity: login, organizations, users, API keys."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Annotated, Any, Final
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy.orm import Session

from sluice.core.database import undo_keeping_refusal
from sluice.core.errors import SluiceError
from sluice.core.i18n import add_messages, translate
from sluice.core.paging import ListQuery
from sluice.core.permissions import OrgKind, Role
from sluice.core.permissions import Permission as P
from sluice.core.principal import Principal
from sluice.identity import repository, service
from sluice.identity.models import User
from sluice.identity.schemas import ApiKeyCreate, OrganizationCreate, PasswordChange, UserCreate
from sluice.web.deps import (
    SESSION_COOKIE,
    AppClock,
    AppSettings,
    ClientAddress,
    DbSession,
    Locale,
    MaybePrincipal,
    Public,
    Requires,
)
from sluice.web.forms import FORM, FormErrors, see_other
from sluice.web.listing import ListSpec, link, render_list
from sluice.web.picker import PickItem, PickResult, add_picker
from sluice.web.templating import NavItem, add_nav, render

router = APIRouter(tags=["console"])
Anyone = Depends(Public())
IdentityReader = Annotated[Principal, Depends(Requires(P.IDENTITY_READ))]
IdentityManager = Annotated[Principal, Depends(Requires(P.IDENTITY_MANAGE))]
KeyManager = Annotated[Principal, Depends(Requires(P.API_KEYS_MANAGE))]
KeySuspender = Annotated[Principal, Depends(Requires(P.KEYS_SUSPEND))]
AccountOwner = Annotated[Principal, Depends(Requires(P.OWN_ACCOUNT))]

add_nav(
    NavItem(
        "nav.organizations", "/console/organizations", P.IDENTITY_READ, "nav.section.admin", 10
    ),
    NavItem("nav.users", "/console/users", P.IDENTITY_READ, "nav.section.admin", 20),
    NavItem("nav.api_keys", "/console/api-keys", P.API_KEYS_MANAGE),
    NavItem("nav.all_keys", "/console/keys", P.KEYS_SUSPEND, "nav.section.admin", 25),
)
add_messages(
    {
        "login.title": ("登录工作台", "Log in to the console"),
        "login.username": ("用户名", "Username"),
        "login.password": ("密码", "Password"),
        "login.submit": ("登录", "Log in"),
        "login.lockout_hint": (
            "同一账户从同一网络地址连续登录失败 {attempts} 次后，"
            "将暂停从该地址登录 {minutes} 分钟。",
            "After {attempts} failed logins to one account from one network address, logins "
            "from that address pause for {minutes} minutes.",
        ),
        "login.demo_hint": (
            "演示账号见 var/demo-credentials.json（由 make demo 生成）。",
            "Demo logins are in var/demo-credentials.json (written by make demo).",
        ),
        "orgs.title": ("机构管理", "Organizations"),
        "orgs.new": ("新增机构", "New organization"),
        "orgs.code": ("机构代码", "Code"),
        "orgs.kind": ("机构类型", "Kind"),
        "orgs.name": ("机构名称", "Name"),
        "orgs.name_en": ("英文名称", "English name"),
        "orgs.credit_code": ("统一社会信用代码", "Unified social credit code"),
        "orgs.authorized_by_law": ("法律法规授权组织", "Authorized by law"),
        "orgs.authorized_by_law_long": (
            "法律法规授权的具有管理公共事务职能的组织（非政府部门的数据提供单位）",
            "Organization authorized by law to manage public affairs (a provider that is "
            "not a government department)",
        ),
        "orgs.legal_basis": ("授权依据（法律法规及条款）", "Legal basis (law and article)"),
        "orgs.created": ("已创建机构“{name}”。", "Organization '{name}' created."),
        "orgs.users": ("用户数", "Users"),
        "orgs.users_of": ("查看该机构的用户", "See this organization's users"),
        "orgs.search": (
            "机构名称、代码或统一社会信用代码",
            "Name, code or unified social credit code",
        ),
        "orgs.empty": (
            "还没有机构。点击“新增机构”登记第一家。",
            "No organizations yet. Use New organization to add the first.",
        ),
        "users.title": ("用户管理", "Users"),
        "users.new": ("新增用户", "New user"),
        "users.username": ("用户名", "Username"),
        "users.display_name": ("姓名", "Name"),
        "users.password": ("初始密码", "Initial password"),
        "users.password_hint": (
            "至少 {min_length} 位；不能是常见密码、连续或重复的字符，也不能包含用户名。",
            "At least {min_length} characters; not a common password, not a run or repetition "
            "of characters, and not containing the username.",
        ),
        "users.organization": ("所属机构", "Organization"),
        "users.roles": ("角色", "Roles"),
        "users.none": ("（个人，无机构）", "(a person, no organization)"),
        "users.organization_hint": (
            "输入机构名称或代码搜索并选择；信息主体以个人身份登录，不选机构。",
            "Type an organization's name or code and choose it; a data subject acts as a "
            "person and has none.",
        ),
        "users.search": ("用户名、姓名或机构名称", "Username, name or organization"),
        "users.of_organization": (
            "只显示机构代码为 {code} 的用户。",
            "Only the users of the organization with code {code}.",
        ),
        "users.all": ("显示全部用户", "Show all users"),
        "users.empty": (
            "还没有用户。点击“新增用户”创建账户。",
            "No users yet. Use New user to create an account.",
        ),
        "users.locked": ("已锁定", "Locked"),
        "users.locked_hint": (
            "多次登录失败，已暂停从失败的网络地址登录；从其他地址仍可登录。",
            "Failed logins paused logins from the failing network address; other addresses "
            "still work.",
        ),
        "users.inactive": ("已停用", "Deactivated"),
        "users.created": ("已创建用户“{username}”。", "User '{username}' created."),
        "users.deactivate": ("停用", "Deactivate"),
        "users.deactivate_confirm": (
            "停用后该用户将立即退出所有登录，访问令牌全部失效，且不能再登录。确定停用吗？",
            "The user will be logged out everywhere at once, every access token revoked, and "
            "no login allowed. Deactivate?",
        ),
        "users.reactivate": ("重新启用", "Reactivate"),
        "users.deactivated": (
            "已停用用户“{username}”，其登录和访问令牌已全部失效。",
            "User '{username}' deactivated; their sessions and access tokens have ended.",
        ),
        "users.reactivated": (
            "已重新启用用户“{username}”，需重新登录。",
            "User '{username}' reactivated; they must log in again.",
        ),
        "account.title": ("我的账户", "My account"),
        "account.roles": ("角色", "Roles"),
        "account.organization": ("所属机构", "Organization"),
        "account.change_password": ("修改密码", "Change password"),
        "account.current_password": ("当前密码", "Current password"),
        "account.new_password": ("新密码", "New password"),
        "account.new_password_again": ("再次输入新密码", "New password again"),
        "account.password_mismatch": (
            "两次输入的新密码不一致。",
            "The two new passwords are not the same.",
        ),
        "account.password_changed": (
            "密码已修改。您在其他设备上的登录和访问令牌已全部失效。",
            "Password changed. Your logins and access tokens elsewhere have ended.",
        ),
        "account.sessions": ("登录会话", "Sessions"),
        "account.sessions_lead": (
            "若怀疑账户被他人使用，可退出所有设备上的登录；脚本使用的访问令牌也会一并失效。",
            "If you think someone else is using your account, log out everywhere; access "
            "tokens used by scripts are revoked as well.",
        ),
        "account.logout_everywhere": ("退出所有设备", "Log out everywhere"),
        "keys.title": ("API 密钥", "API keys"),
        "keys.lead": (
            "调用数据产品接口时在请求头 X-API-Key 中携带密钥。"
            "密钥只在创建时显示一次，平台只保存其摘要。",
            "Send the key in the X-API-Key header when calling product APIs. It is shown only "
            "once, at creation; the platform keeps only its digest.",
        ),
        "keys.name": ("用途说明", "Purpose"),
        "keys.create": ("创建密钥", "Create key"),
        "keys.revoke": ("吊销", "Revoke"),
        "keys.revoke_confirm": (
            "吊销后使用此密钥的系统将立即无法调用，确定吊销吗？",
            "Systems using this key will be refused at once. Revoke it?",
        ),
        "keys.revoked": ("已吊销", "Revoked"),
        "keys.active": ("有效", "Active"),
        "keys.shown_once": (
            "请立即复制并妥善保存此密钥；离开或刷新本页后将无法再次查看：",
            "Copy and store this key now; once you leave or reload this page it cannot be "
            "shown again:",
        ),
        "keys.last_used": ("最近使用", "Last used"),
        "keys.created_for": ("新密钥“{name}”", "New key '{name}'"),
        "keys.revoked_notice": (
            "已吊销密钥“{name}”，使用它的请求将被拒绝。",
            "Key '{name}' revoked; requests using it are refused.",
        ),
        "keys.empty": (
            "还没有密钥。填写用途说明并点击“创建密钥”。",
            "No keys yet. Give a purpose and press Create key.",
        ),
        "keys.suspended": ("已暂停", "Suspended"),
        "keys.suspended_why": (
            "数据局于 {when} 暂停：{reason}",
            "Suspended by the data bureau at {when}: {reason}",
        ),
        "keys.signing_link": (
            "请求签名密钥（HMAC-SM3）在“调用设置”中管理。",
            "Request-signing secrets (HMAC-SM3) are managed under Call settings.",
        ),
        "nav.all_keys": ("密钥管理", "API keys of buyers"),
        "keys.all.title": ("数据需求方的 API 密钥", "Buyers' API keys"),
        "keys.all.lead": (
            "发现密钥被滥用或泄露时可暂停该密钥并写明理由：使用它的调用将被拒绝（key_suspended），"
            "数据需求方会看到理由；核实后可恢复。吊销只能由数据需求方自己操作。",
            "Suspend a key that is misused or leaked, giving the reason: calls with it are "
            "refused (key_suspended) and the buyer sees the reason; resume it once resolved. "
            "Only the buyer can revoke its keys.",
        ),
        "keys.all.search": (
            "搜索密钥名称、前缀或机构",
            "Search key names, prefixes or organizations",
        ),
        "keys.all.organization": ("机构", "Organization"),
        "keys.all.empty": ("还没有任何 API 密钥。", "No API keys yet."),
        "keys.suspend": ("暂停", "Suspend"),
        "keys.resume": ("恢复", "Resume"),
        "keys.reason": ("理由", "Reason"),
        "keys.suspended_notice": (
            "已暂停密钥“{name}”，使用它的调用将被拒绝。",
            "Key '{name}' suspended; calls with it are refused.",
        ),
        "keys.resumed_notice": (
            "已恢复密钥“{name}”。",
            "Key '{name}' resumed.",
        ),
        "common.created_at": ("创建时间", "Created"),
        "common.status": ("状态", "Status"),
        "common.actions": ("操作", "Actions"),
        "common.save": ("保存", "Save"),
        "common.total": ("共 {total} 条", "{total} in all"),
        "common.active": ("正常", "Active"),
    }
)


def _safe_next(value: str | None) -> str:
    if value and value.startswith("/") and not value.startswith("//"):
        return value
    return "/console"


@router.get("/login", response_class=HTMLResponse)
def login_page(
    request: Request, principal: MaybePrincipal, settings: AppSettings, next: str = "/console"
) -> Response:
    if principal is not None:
        return RedirectResponse(_safe_next(next), status_code=303)
    return _login_page(request, settings, target=_safe_next(next))


def _login_page(
    request: Request,
    settings: AppSettings,
    *,
    target: str,
    username: str = "",
    error: str | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    return render(
        request,
        "identity/login.html",
        {
            "next": target,
            "username": username,
            "error": error,
            "lockout_attempts": settings.lockout_attempts,
            "lockout_minutes": settings.lockout_minutes,
        },
        status_code=status_code,
    )


@router.post("/login", response_class=HTMLResponse)
async def login(
    request: Request,
    _: MaybePrincipal,
    session: DbSession,
    clock: AppClock,
    settings: AppSettings,
    locale: Locale,
    address: ClientAddress,
) -> Response:
    form = await request.form()
    username = str(form.get("username", "")).strip()
    password = str(form.get("password", ""))
    target = _safe_next(str(form.get("next", "")))
    try:
        user = service.authenticate(
            session,
            clock=clock,
            settings=settings,
            username=username,
            password=password,
            address=address,
        )
    except SluiceError as error:
        # Rendered, not raised: keep the counted failure and its audit row, and commit them
        # with the request.
        undo_keeping_refusal(session, error)
        return _login_page(
            request,
            settings,
            target=target,
            username=username[:150],
            error=error.detail(locale),
            status_code=error.status,
        )
    started = service.start_console_session(
        session, clock=clock, settings=settings, user=user, address=address
    )
    response = RedirectResponse(target, status_code=303)
    response.set_cookie(
        SESSION_COOKIE,
        started.token,
        max_age=settings.session_hours * 3600,
        httponly=True,
        samesite="lax",
        secure=settings.secure_cookies,
    )
    return response


@router.post("/logout")
async def logout(
    request: Request, actor: AccountOwner, session: DbSession, clock: AppClock
) -> Response:
    """End this console session; with ``everywhere`` set, every session and access token of
    the user as well."""
    everywhere = (await request.form()).get("everywhere") == "1"
    service.log_out(session, actor=actor, clock=clock, everywhere=everywhere)
    response = RedirectResponse("/", status_code=303)
    response.delete_cookie(SESSION_COOKIE)
    return response


# --- one-time notices after a redirect -----------------------------------------------------


def _token(request: Request) -> str:
    return request.cookies.get(SESSION_COOKIE, "")


def _notice(
    request: Request,
    actor: Principal,
    session: Session,
    clock: AppClock,
    page: str,
    key: str,
    **params: str,
) -> None:
    """Leave "done" for the page the redirect leads to; shown there once."""
    service.leave_flash(
        session,
        actor=actor,
        clock=clock,
        token=_token(request),
        kind=f"notice:{page}",
        payload={"key": key, "params": params},
    )


def _take_notice(
    request: Request, actor: Principal, session: Session, clock: AppClock, page: str, locale: str
) -> str | None:
    found = service.take_flash(
        session, actor=actor, clock=clock, token=_token(request), kind=f"notice:{page}"
    )
    if found is None or not isinstance(found.get("key"), str):
        return None
    params = found.get("params")
    return translate(found["key"], locale, **(params if isinstance(params, dict) else {}))


def _back(value: object, page: str) -> str:
    """Where to return after an action on a list row: the same list, page and filters."""
    if isinstance(value, str) and (value == page or value.startswith(page + "?")):
        return value
    return page


# --- my account ----------------------------------------------------------------------------

ACCOUNT: Final = "/console/account"


def _account_page(
    request: Request,
    actor: Principal,
    session: Session,
    settings: AppSettings,
    *,
    errors: dict[str, str] | None = None,
    message: str | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    organization = (
        repository.organization(session, actor.organization_id) if actor.organization_id else None
    )
    return render(
        request,
        "identity/account.html",
        {
            "organization": organization,
            "min_length": settings.password_min_length,
            "errors": errors or {},
            "message": message,
        },
        status_code=status_code,
    )


@router.get(ACCOUNT, response_class=HTMLResponse)
def account_page(
    request: Request,
    actor: AccountOwner,
    session: DbSession,
    clock: AppClock,
    settings: AppSettings,
    locale: Locale,
) -> HTMLResponse:
    message = _take_notice(request, actor, session, clock, ACCOUNT, locale)
    return _account_page(request, actor, session, settings, message=message)


@router.post("/console/account/password", response_class=HTMLResponse)
async def change_password(
    request: Request,
    actor: AccountOwner,
    session: DbSession,
    clock: AppClock,
    settings: AppSettings,
    locale: Locale,
    address: ClientAddress,
) -> Response:
    form = await request.form()
    values = {
        "current_password": str(form.get("current_password", "")),
        "new_password": str(form.get("new_password", "")),
    }
    errors = FormErrors(locale)
    data = errors.parse(PasswordChange, values)
    if values["new_password"] != str(form.get("new_password_again", "")):
        errors.add("new_password_again", "account.password_mismatch")
    if data is None or errors:
        return _account_page(
            request, actor, session, settings, errors=errors.as_dict(), status_code=422
        )
    try:
        service.change_password(
            session,
            actor=actor,
            clock=clock,
            settings=settings,
            current_password=data.current_password,
            new_password=data.new_password,
            address=address,
        )
    except SluiceError as error:
        # Rendered, not raised: a wrong current password is counted like a failed login,
        # and that count is kept and committed with the request.
        undo_keeping_refusal(session, error)
        errors.refusal(error)
        return _account_page(
            request, actor, session, settings, errors=errors.as_dict(), status_code=error.status
        )
    _notice(request, actor, session, clock, ACCOUNT, "account.password_changed")
    return see_other(ACCOUNT)


# --- organizations -------------------------------------------------------------------------

ORGANIZATIONS_PAGE: Final = "/console/organizations"
ORGANIZATIONS = ListSpec(
    sorts=("name", "code", "kind", "created", "status", "users"),
    filters=("kind", "status"),
    default_sort="kind",
)


def _kind_options(locale: str) -> list[tuple[str, str]]:
    return [(k.value, translate(f"org_kind.{k.value}", locale)) for k in OrgKind]


def _status_options(locale: str) -> list[tuple[str, str]]:
    return [
        ("active", translate("common.active", locale)),
        ("inactive", translate("users.inactive", locale)),
    ]


def _organizations_page(
    request: Request,
    actor: Principal,
    session: Session,
    locale: str,
    listing: ListQuery,
    *,
    form: dict[str, str] | None = None,
    errors: dict[str, str] | None = None,
    message: str | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    page = service.organization_page(session, actor=actor, query=listing)
    context = {
        "kinds": list(OrgKind),
        "filters": [
            ("kind", translate("orgs.kind", locale), _kind_options(locale)),
            ("status", translate("common.status", locale), _status_options(locale)),
        ],
        "form": form or {},
        "errors": errors or {},
        "message": message,
    }
    if status_code != 200:
        full = {"listing": page.query, "page_of_rows": page, "list_id": "list", **context}
        return render(request, "identity/organizations.html", full, status_code=status_code)
    return render_list(
        request,
        "identity/organizations.html",
        context,
        page=page,
        rows_template="identity/_organization_rows.html",
    )


@router.get(ORGANIZATIONS_PAGE, response_class=HTMLResponse)
def organizations_page(
    request: Request,
    actor: IdentityReader,
    session: DbSession,
    clock: AppClock,
    locale: Locale,
    listing: Annotated[ListQuery, Depends(ORGANIZATIONS)],
) -> HTMLResponse:
    message = _take_notice(request, actor, session, clock, ORGANIZATIONS_PAGE, locale)
    return _organizations_page(request, actor, session, locale, listing, message=message)


@router.post(ORGANIZATIONS_PAGE, response_class=HTMLResponse)
async def create_organization(
    request: Request, actor: IdentityManager, session: DbSession, clock: AppClock, locale: Locale
) -> Response:
    form = await request.form()
    raw = {k: str(form.get(k, "")).strip() for k in OrganizationCreate.model_fields}
    errors = FormErrors(locale)
    data = errors.parse(OrganizationCreate, {k: v for k, v in raw.items() if v != ""})
    # Uniqueness and the credit code's check digit in the same round as the fields.
    errors.problems(
        service.organization_problems(
            session,
            code=raw["code"],
            name=raw["name"],
            credit_code=raw["credit_code"],
            kind=raw["kind"] or None,
            authorized_by_law=raw["authorized_by_law"] in ("on", "true", "1"),
            legal_basis=raw["legal_basis"],
        )
    )
    listing = ORGANIZATIONS(request)
    if data is None or errors:
        return _organizations_page(
            request,
            actor,
            session,
            locale,
            listing,
            form=raw,
            errors=errors.as_dict(),
            status_code=422,
        )
    try:
        organization = service.create_organization(session, actor=actor, clock=clock, data=data)
    except SluiceError as error:
        undo_keeping_refusal(session, error)
        errors.refusal(error)
        return _organizations_page(
            request,
            actor,
            session,
            locale,
            listing,
            form=raw,
            errors=errors.as_dict(),
            status_code=error.status,
        )
    _notice(
        request, actor, session, clock, ORGANIZATIONS_PAGE, "orgs.created", name=organization.name
    )
    return see_other(f"{ORGANIZATIONS_PAGE}?{urlencode({'q': organization.code})}")


def _pick_organizations(
    session: Session, actor: Principal, q: str, limit: int, locale: str
) -> PickResult:
    """Organizations as the organizations list shows them (the bureau sees all):
    name · kind · code."""
    total, found = service.pick_organizations(session, actor=actor, q=q, limit=limit)
    return PickResult(
        total,
        [PickItem(str(o.id), o.name, f"{_kind_label(o.kind, locale)} · {o.code}") for o in found],
    )


def _kind_label(kind: str, locale: str) -> str:
    return translate(f"org_kind.{kind}", locale)


# --- users ---------------------------------------------------------------------------------

USERS_PAGE: Final = "/console/users"
USERS = ListSpec(
    sorts=("username", "name", "organization", "created", "status"),
    filters=("role", "kind", "organization", "status"),
    default_sort="username",
)


def _users_page(
    request: Request,
    actor: Principal,
    session: Session,
    clock: AppClock,
    settings: AppSettings,
    locale: str,
    listing: ListQuery,
    *,
    form: dict[str, object] | None = None,
    errors: dict[str, str] | None = None,
    message: str | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    page = service.user_page(session, actor=actor, query=listing, now=clock.now())
    form = form or {}
    chosen = None
    picked = form.get("organization_id")
    if isinstance(picked, uuid.UUID):
        organization = service.get_organization(session, actor=actor, organization_id=picked)
        if organization is not None:
            kind = _kind_label(organization.kind, locale)
            detail = f"{organization.name} · {kind} · {organization.code}"
            chosen = (str(organization.id), detail)
    context = {
        "filters": [
            (
                "role",
                translate("users.roles", locale),
                [(r.value, translate(f"role.{r.value}", locale)) for r in Role],
            ),
            ("kind", translate("orgs.kind", locale), _kind_options(locale)),
            ("status", translate("common.status", locale), _status_options(locale)),
        ],
        "all_roles": list(Role),
        "min_length": settings.password_min_length,
        "form": form,
        "chosen_organization": chosen,
        "errors": errors or {},
        "message": message,
        "back": f"{USERS_PAGE}{link(page.query)}".rstrip("?"),
    }
    if status_code != 200:
        full = {"listing": page.query, "page_of_rows": page, "list_id": "list", **context}
        return render(request, "identity/users.html", full, status_code=status_code)
    return render_list(
        request, "identity/users.html", context, page=page, rows_template="identity/_user_rows.html"
    )


@router.get(USERS_PAGE, response_class=HTMLResponse)
def users_page(
    request: Request,
    actor: IdentityReader,
    session: DbSession,
    clock: AppClock,
    settings: AppSettings,
    locale: Locale,
    listing: Annotated[ListQuery, Depends(USERS)],
) -> HTMLResponse:
    message = _take_notice(request, actor, session, clock, USERS_PAGE, locale)
    return _users_page(request, actor, session, clock, settings, locale, listing, message=message)


def _uuid_or_none(value: str) -> uuid.UUID | None:
    try:
        return uuid.UUID(value)
    except ValueError:
        return None


@router.post(USERS_PAGE, response_class=HTMLResponse)
async def create_user(
    request: Request,
    actor: IdentityManager,
    session: DbSession,
    clock: AppClock,
    settings: AppSettings,
    locale: Locale,
) -> Response:
    form = await request.form()
    raw: dict[str, object] = {
        "username": str(form.get("username", "")).strip(),
        "display_name": str(form.get("display_name", "")).strip(),
        "password": str(form.get("password", "")),
        "organization_id": str(form.get("organization_id", "")).strip() or None,
        "roles": [str(r) for r in form.getlist("roles")],
    }
    errors = FormErrors(locale)
    data = errors.parse(UserCreate, raw)
    # Every rule at once: a taken username, an organization that does not fit the roles and
    # a weak password are shown with the fields' own mistakes, not after them.
    organization_id = _uuid_or_none(str(raw["organization_id"] or ""))
    roles = [Role(r) for r in form.getlist("roles") if r in set(Role)]
    errors.problems(
        service.user_problems(
            session,
            username=str(raw["username"]),
            display_name=str(raw["display_name"]),
            password=str(raw["password"]),
            organization_id=organization_id,
            roles=roles,
            settings=settings,
        )
    )
    # Never echo a password back into the page; keep the chosen organization.
    kept = {**raw, "password": "", "organization_id": organization_id}
    listing = USERS(request)
    if data is None or errors:
        return _users_page(
            request,
            actor,
            session,
            clock,
            settings,
            locale,
            listing,
            form=kept,
            errors=errors.as_dict(),
            status_code=422,
        )
    try:
        user = service.create_user(session, actor=actor, clock=clock, data=data, settings=settings)
    except SluiceError as error:
        undo_keeping_refusal(session, error)
        errors.refusal(error)
        return _users_page(
            request,
            actor,
            session,
            clock,
            settings,
            locale,
            listing,
            form=kept,
            errors=errors.as_dict(),
            status_code=error.status,
        )
    _notice(request, actor, session, clock, USERS_PAGE, "users.created", username=user.username)
    return see_other(f"{USERS_PAGE}?{urlencode({'q': user.username})}")


async def _user_action(
    request: Request,
    actor: Principal,
    session: Session,
    clock: AppClock,
    settings: AppSettings,
    locale: str,
    *,
    act: Callable[[], User],
    done: str,
) -> Response:
    back = _back((await request.form()).get("back"), USERS_PAGE)
    try:
        user = act()
    except SluiceError as error:
        if error.status == 404:
            raise
        undo_keeping_refusal(session, error)
        return _users_page(
            request,
            actor,
            session,
            clock,
            settings,
            locale,
            USERS(request),
            errors={FORM: error.detail(locale)},
            status_code=error.status,
        )
    _notice(request, actor, session, clock, USERS_PAGE, done, username=user.username)
    return see_other(back)


@router.post("/console/users/{user_id}/deactivate", response_class=HTMLResponse)
async def deactivate_user(
    request: Request,
    user_id: uuid.UUID,
    actor: IdentityManager,
    session: DbSession,
    clock: AppClock,
    settings: AppSettings,
    locale: Locale,
) -> Response:
    return await _user_action(
        request,
        actor,
        session,
        clock,
        settings,
        locale,
        act=lambda: service.deactivate_user(session, actor=actor, clock=clock, user_id=user_id),
        done="users.deactivated",
    )


@router.post("/console/users/{user_id}/reactivate", response_class=HTMLResponse)
async def reactivate_user(
    request: Request,
    user_id: uuid.UUID,
    actor: IdentityManager,
    session: DbSession,
    clock: AppClock,
    settings: AppSettings,
    locale: Locale,
) -> Response:
    return await _user_action(
        request,
        actor,
        session,
        clock,
        settings,
        locale,
        act=lambda: service.reactivate_user(session, actor=actor, clock=clock, user_id=user_id),
        done="users.reactivated",
    )


def _pick_users(session: Session, actor: Principal, q: str, limit: int, locale: str) -> PickResult:
    """Users as the users list shows them (the bureau sees all):
    name · username · organization."""
    total, found = service.pick_users(session, actor=actor, q=q, limit=limit)
    return PickResult(
        total,
        [
            PickItem(
                str(user.id),
                user.display_name,
                f"{user.username} · {organization.name if organization else '—'}",
            )
            for user, organization in found
        ],
    )


add_picker("organizations", P.IDENTITY_READ, _pick_organizations)
add_picker("users", P.IDENTITY_READ, _pick_users)


# --- API keys ------------------------------------------------------------------------------

API_KEYS_PAGE: Final = "/console/api-keys"
#: The new key waits for the page after the redirect in the session, sealed; never in a URL.
_NEW_KEY: Final = "api_key.created"


def _keys_page(
    request: Request,
    actor: Principal,
    session: Session,
    *,
    new_key: dict[str, Any] | None = None,
    message: str | None = None,
    form: dict[str, str] | None = None,
    errors: dict[str, str] | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    assert actor.organization_id is not None
    keys = repository.api_keys_of(session, actor.organization_id)
    return render(
        request,
        "identity/api_keys.html",
        {
            "keys": keys,
            "new_key": new_key,
            "message": message,
            "form": form or {},
            "errors": errors or {},
        },
        status_code=status_code,
    )


@router.get(API_KEYS_PAGE, response_class=HTMLResponse)
def api_keys_page(
    request: Request, actor: KeyManager, session: DbSession, clock: AppClock, locale: Locale
) -> HTMLResponse:
    new_key = service.take_flash(
        session, actor=actor, clock=clock, token=_token(request), kind=_NEW_KEY
    )
    message = _take_notice(request, actor, session, clock, API_KEYS_PAGE, locale)
    response = _keys_page(request, actor, session, new_key=new_key, message=message)
    if new_key is not None:
        # The one page that shows the key: kept out of caches and the back/forward cache.
        response.headers["Cache-Control"] = "no-store"
    return response


@router.post(API_KEYS_PAGE, response_class=HTMLResponse)
async def create_api_key(
    request: Request, actor: KeyManager, session: DbSession, clock: AppClock, locale: Locale
) -> Response:
    typed = {"name": str((await request.form()).get("name", "")).strip()}
    errors = FormErrors(locale)
    data = errors.parse(ApiKeyCreate, typed)
    if data is None:
        return _keys_page(
            request, actor, session, form=typed, errors=errors.as_dict(), status_code=422
        )
    api_key, key = service.create_api_key(session, actor=actor, clock=clock, name=data.name)
    shown = {"key": key, "name": api_key.name}
    if not service.leave_flash(
        session, actor=actor, clock=clock, token=_token(request), kind=_NEW_KEY, payload=shown
    ):
        # No console session to keep it in (a script with a token): this answer is the once.
        return _keys_page(request, actor, session, new_key=shown)
    return see_other(API_KEYS_PAGE)


@router.post("/console/api-keys/{key_id}/revoke", response_class=HTMLResponse)
def revoke_api_key(
    request: Request, key_id: uuid.UUID, actor: KeyManager, session: DbSession, clock: AppClock
) -> Response:
    api_key = service.revoke_api_key(session, actor=actor, clock=clock, key_id=key_id)
    _notice(request, actor, session, clock, API_KEYS_PAGE, "keys.revoked_notice", name=api_key.name)
    return see_other(API_KEYS_PAGE)


# --- every buyer's keys (the bureau suspends and resumes them) -----------------------------

ALL_KEYS_PAGE: Final = "/console/keys"
ALL_KEYS = ListSpec(
    sorts=("organization", "name", "created", "used"), filters=("status",), default_sort="-created"
)
_KEY_STATUSES: Final = ("active", "suspended", "revoked")


def _all_keys_page(
    request: Request,
    actor: Principal,
    session: Session,
    locale: str,
    listing: ListQuery,
    *,
    message: str | None = None,
    errors: dict[str, str] | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    page = service.api_key_page(session, actor=actor, query=listing)
    context = {
        "filters": [
            (
                "status",
                translate("common.status", locale),
                [
                    (s, translate("keys.active" if s == "active" else f"keys.{s}", locale))
                    for s in _KEY_STATUSES
                ],
            )
        ],
        "message": message,
        "errors": errors or {},
        "back": f"{ALL_KEYS_PAGE}{link(page.query)}".rstrip("?"),
    }
    if status_code != 200:
        full = {"listing": page.query, "page_of_rows": page, "list_id": "list", **context}
        return render(request, "identity/all_keys.html", full, status_code=status_code)
    return render_list(
        request,
        "identity/all_keys.html",
        context,
        page=page,
        rows_template="identity/_all_key_rows.html",
    )


@router.get(ALL_KEYS_PAGE, response_class=HTMLResponse)
def all_keys_page(
    request: Request,
    actor: KeySuspender,
    session: DbSession,
    clock: AppClock,
    locale: Locale,
    listing: Annotated[ListQuery, Depends(ALL_KEYS)],
) -> HTMLResponse:
    message = _take_notice(request, actor, session, clock, ALL_KEYS_PAGE, locale)
    return _all_keys_page(request, actor, session, locale, listing, message=message)


async def _key_action(
    request: Request,
    actor: Principal,
    session: Session,
    clock: AppClock,
    locale: str,
    *,
    key_id: uuid.UUID,
    suspend: bool,
) -> Response:
    form = await request.form()
    back = _back(form.get("back"), ALL_KEYS_PAGE)
    reason = str(form.get("reason", ""))
    act = service.suspend_api_key if suspend else service.resume_api_key
    try:
        api_key = act(session, actor=actor, key_id=key_id, reason=reason, at=clock.now())
    except SluiceError as error:
        if error.status == 404:
            raise
        undo_keeping_refusal(session, error)
        return _all_keys_page(
            request,
            actor,
            session,
            locale,
            ALL_KEYS(request),
            errors={FORM: error.detail(locale)},
            status_code=error.status,
        )
    done = "keys.suspended_notice" if suspend else "keys.resumed_notice"
    _notice(request, actor, session, clock, ALL_KEYS_PAGE, done, name=api_key.name)
    return see_other(back)


@router.post("/console/keys/{key_id}/suspend", response_class=HTMLResponse)
async def suspend_api_key(
    request: Request,
    key_id: uuid.UUID,
    actor: KeySuspender,
    session: DbSession,
    clock: AppClock,
    locale: Locale,
) -> Response:
    return await _key_action(request, actor, session, clock, locale, key_id=key_id, suspend=True)


@router.post("/console/keys/{key_id}/resume", response_class=HTMLResponse)
async def resume_api_key(
    request: Request,
    key_id: uuid.UUID,
    actor: KeySuspender,
    session: DbSession,
    clock: AppClock,
    locale: Locale,
) -> Response:
    return await _key_action(request, actor, session, clock, locale, key_id=key_id, suspend=False)
