"""Console pages of identity: login, organizations, users, API keys."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from sluice.core.database import undo_keeping_refusal
from sluice.core.errors import InvalidInput, SluiceError
from sluice.core.i18n import add_messages, translate
from sluice.core.permissions import OrgKind, Role
from sluice.core.permissions import Permission as P
from sluice.core.principal import Principal
from sluice.identity import repository, service
from sluice.identity.schemas import PASSWORD_MAX, OrganizationCreate, PasswordChange, UserCreate
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
from sluice.web.forms import parse_form
from sluice.web.templating import NavItem, add_nav, render

router = APIRouter(tags=["console"])
Anyone = Depends(Public())
IdentityReader = Annotated[Principal, Depends(Requires(P.IDENTITY_READ))]
IdentityManager = Annotated[Principal, Depends(Requires(P.IDENTITY_MANAGE))]
KeyManager = Annotated[Principal, Depends(Requires(P.API_KEYS_MANAGE))]
AccountOwner = Annotated[Principal, Depends(Requires(P.OWN_ACCOUNT))]

add_nav(
    NavItem(
        "nav.organizations", "/console/organizations", P.IDENTITY_READ, "nav.section.admin", 10
    ),
    NavItem("nav.users", "/console/users", P.IDENTITY_READ, "nav.section.admin", 20),
    NavItem("nav.api_keys", "/console/api-keys", P.API_KEYS_MANAGE),
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
        "orgs.created": ("已创建机构“{name}”。", "Organization '{name}' created."),
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
            "请立即复制并妥善保存此密钥，离开本页后将无法再次查看：",
            "Copy and store this key now; it cannot be shown again once you leave this page:",
        ),
        "keys.last_used": ("最近使用", "Last used"),
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


def _account_page(
    request: Request,
    actor: Principal,
    session: DbSession,
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


@router.get("/console/account", response_class=HTMLResponse)
def account_page(
    request: Request, actor: AccountOwner, session: DbSession, settings: AppSettings
) -> HTMLResponse:
    return _account_page(request, actor, session, settings)


@router.post("/console/account/password", response_class=HTMLResponse)
async def change_password(
    request: Request,
    actor: AccountOwner,
    session: DbSession,
    clock: AppClock,
    settings: AppSettings,
    locale: Locale,
    address: ClientAddress,
) -> HTMLResponse:
    form = await request.form()
    values = {
        "current_password": str(form.get("current_password", "")),
        "new_password": str(form.get("new_password", "")),
    }
    data, errors = parse_form(PasswordChange, values, locale)
    if data is not None and values["new_password"] != str(form.get("new_password_again", "")):
        errors = {"new_password_again": translate("account.password_mismatch", locale)}
    if data is None or errors:
        return _account_page(request, actor, session, settings, errors=errors, status_code=422)
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
        return _account_page(
            request,
            actor,
            session,
            settings,
            errors=_field_errors(error, locale),
            status_code=error.status,
        )
    return _account_page(
        request, actor, session, settings, message=translate("account.password_changed", locale)
    )


def _field_errors(error: SluiceError, locale: str) -> dict[str, str]:
    """A service refusal shown next to the field it names, or above the form."""
    fields = [e.get("field") for e in error.errors] if isinstance(error, InvalidInput) else []
    name = next((f for f in fields if isinstance(f, str) and f), "__all__")
    return {name: error.detail(locale)}


def _organizations_page(
    request: Request,
    session: DbSession,
    *,
    form: dict[str, str] | None = None,
    errors: dict[str, str] | None = None,
    message: str | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    total, rows = repository.organizations(session, limit=500)
    return render(
        request,
        "identity/organizations.html",
        {
            "total": total,
            "organizations": rows,
            "kinds": list(OrgKind),
            "form": form or {},
            "errors": errors or {},
            "message": message,
        },
        status_code=status_code,
    )


@router.get("/console/organizations", response_class=HTMLResponse)
def organizations_page(request: Request, _: IdentityReader, session: DbSession) -> HTMLResponse:
    return _organizations_page(request, session)


@router.post("/console/organizations", response_class=HTMLResponse)
async def create_organization(
    request: Request, actor: IdentityManager, session: DbSession, clock: AppClock, locale: Locale
) -> HTMLResponse:
    form = await request.form()
    raw = {k: str(form.get(k, "")).strip() for k in OrganizationCreate.model_fields}
    values = {k: v for k, v in raw.items() if v != ""}
    data, errors = parse_form(OrganizationCreate, values, locale)
    if data is None:
        return _organizations_page(request, session, form=raw, errors=errors, status_code=422)
    try:
        organization = service.create_organization(session, actor=actor, clock=clock, data=data)
    except SluiceError as error:
        undo_keeping_refusal(session, error)
        return _organizations_page(
            request,
            session,
            form=raw,
            errors={"__all__": error.detail(locale)},
            status_code=error.status,
        )
    return _organizations_page(
        request, session, message=translate("orgs.created", locale, name=organization.name)
    )


def _users_page(
    request: Request,
    session: DbSession,
    clock: AppClock,
    settings: AppSettings,
    *,
    form: dict[str, object] | None = None,
    errors: dict[str, str] | None = None,
    message: str | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    total, users = repository.users(session, limit=500)
    _, organizations = repository.organizations(session, limit=500)
    names = {o.id: o.name for o in organizations}
    roles = repository.roles_of(session, [u.id for u in users])
    locked = repository.locked_accounts(
        session, accounts=[u.username for u in users], now=clock.now()
    )
    return render(
        request,
        "identity/users.html",
        {
            "total": total,
            "users": users,
            "roles": roles,
            "org_names": names,
            "organizations": organizations,
            "all_roles": list(Role),
            "locked": locked,
            "min_length": settings.password_min_length,
            "form": form or {},
            "errors": errors or {},
            "message": message,
        },
        status_code=status_code,
    )


@router.get("/console/users", response_class=HTMLResponse)
def users_page(
    request: Request, _: IdentityReader, session: DbSession, clock: AppClock, settings: AppSettings
) -> HTMLResponse:
    return _users_page(request, session, clock, settings)


@router.post("/console/users", response_class=HTMLResponse)
async def create_user(
    request: Request,
    actor: IdentityManager,
    session: DbSession,
    clock: AppClock,
    settings: AppSettings,
    locale: Locale,
) -> HTMLResponse:
    form = await request.form()
    raw: dict[str, object] = {
        "username": str(form.get("username", "")).strip(),
        "display_name": str(form.get("display_name", "")).strip(),
        "password": str(form.get("password", "")),
        "organization_id": str(form.get("organization_id", "")) or None,
        "roles": [str(r) for r in form.getlist("roles")],
    }
    data, errors = parse_form(UserCreate, raw, locale)
    if len(str(raw["password"])) <= PASSWORD_MAX:
        # The password rules (the configured length among them), shown with the form's
        # other mistakes rather than after them.
        try:
            service.check_new_password(
                str(raw["password"]),
                username=str(raw["username"]),
                display_name=str(raw["display_name"]),
                settings=settings,
            )
        except SluiceError as error:
            errors = {**errors, "password": error.detail(locale)}
    kept = {**raw, "password": ""}  # never echo a password back into the page
    if data is None or errors:
        return _users_page(
            request, session, clock, settings, form=kept, errors=errors, status_code=422
        )
    try:
        user = service.create_user(session, actor=actor, clock=clock, data=data, settings=settings)
    except SluiceError as error:
        undo_keeping_refusal(session, error)
        return _users_page(
            request,
            session,
            clock,
            settings,
            form=kept,
            errors=_field_errors(error, locale),
            status_code=error.status,
        )
    return _users_page(
        request,
        session,
        clock,
        settings,
        message=translate("users.created", locale, username=user.username),
    )


@router.post("/console/users/{user_id}/deactivate", response_class=HTMLResponse)
def deactivate_user(
    request: Request,
    user_id: uuid.UUID,
    actor: IdentityManager,
    session: DbSession,
    clock: AppClock,
    settings: AppSettings,
    locale: Locale,
) -> HTMLResponse:
    try:
        user = service.deactivate_user(session, actor=actor, clock=clock, user_id=user_id)
    except SluiceError as error:
        undo_keeping_refusal(session, error)
        return _users_page(
            request,
            session,
            clock,
            settings,
            errors={"__all__": error.detail(locale)},
            status_code=error.status,
        )
    message = translate("users.deactivated", locale, username=user.username)
    return _users_page(request, session, clock, settings, message=message)


@router.post("/console/users/{user_id}/reactivate", response_class=HTMLResponse)
def reactivate_user(
    request: Request,
    user_id: uuid.UUID,
    actor: IdentityManager,
    session: DbSession,
    clock: AppClock,
    settings: AppSettings,
    locale: Locale,
) -> HTMLResponse:
    try:
        user = service.reactivate_user(session, actor=actor, clock=clock, user_id=user_id)
    except SluiceError as error:
        undo_keeping_refusal(session, error)
        return _users_page(
            request,
            session,
            clock,
            settings,
            errors={"__all__": error.detail(locale)},
            status_code=error.status,
        )
    message = translate("users.reactivated", locale, username=user.username)
    return _users_page(request, session, clock, settings, message=message)


def _keys_page(
    request: Request,
    actor: Principal,
    session: DbSession,
    *,
    new_key: str | None = None,
    errors: dict[str, str] | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    assert actor.organization_id is not None
    keys = repository.api_keys_of(session, actor.organization_id)
    return render(
        request,
        "identity/api_keys.html",
        {"keys": keys, "new_key": new_key, "errors": errors or {}},
        status_code=status_code,
    )


@router.get("/console/api-keys", response_class=HTMLResponse)
def api_keys_page(request: Request, actor: KeyManager, session: DbSession) -> HTMLResponse:
    return _keys_page(request, actor, session)


@router.post("/console/api-keys", response_class=HTMLResponse)
async def create_api_key(
    request: Request, actor: KeyManager, session: DbSession, clock: AppClock, locale: Locale
) -> HTMLResponse:
    name = str((await request.form()).get("name", "")).strip()
    if not name:
        return _keys_page(
            request,
            actor,
            session,
            errors={"name": translate("form.required", locale)},
            status_code=422,
        )
    _, key = service.create_api_key(session, actor=actor, clock=clock, name=name)
    return _keys_page(request, actor, session, new_key=key)


@router.post("/console/api-keys/{key_id}/revoke", response_class=HTMLResponse)
def revoke_api_key(
    request: Request, key_id: uuid.UUID, actor: KeyManager, session: DbSession, clock: AppClock
) -> HTMLResponse:
    service.revoke_api_key(session, actor=actor, clock=clock, key_id=key_id)
    return _keys_page(request, actor, session)
