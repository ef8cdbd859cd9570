"""Console pages of identity: login, organizations, users, API keys."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from sluice.core.errors import SluiceError
from sluice.core.i18n import add_messages, translate
from sluice.identity import repository, service
from sluice.identity.permissions import OrgKind, Role
from sluice.identity.permissions import Permission as P
from sluice.identity.principal import Principal
from sluice.identity.schemas import OrganizationCreate, UserCreate
from sluice.web.deps import (
    SESSION_COOKIE,
    AppClock,
    AppSettings,
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
Member = Annotated[Principal, Depends(Requires(P.CONSOLE_VIEW))]

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
        "users.password": ("初始密码（至少 10 位）", "Initial password (10+ characters)"),
        "users.organization": ("所属机构", "Organization"),
        "users.roles": ("角色", "Roles"),
        "users.none": ("（个人，无机构）", "(a person, no organization)"),
        "users.locked": ("已锁定", "Locked"),
        "users.created": ("已创建用户“{username}”。", "User '{username}' created."),
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
def login_page(request: Request, principal: MaybePrincipal, next: str = "/console") -> Response:
    if principal is not None:
        return RedirectResponse(_safe_next(next), status_code=303)
    return render(request, "identity/login.html", {"next": _safe_next(next), "username": ""})


@router.post("/login", response_class=HTMLResponse)
async def login(
    request: Request,
    _: MaybePrincipal,
    session: DbSession,
    clock: AppClock,
    settings: AppSettings,
    locale: Locale,
) -> Response:
    form = await request.form()
    username = str(form.get("username", "")).strip()
    password = str(form.get("password", ""))
    target = _safe_next(str(form.get("next", "")))
    try:
        user = service.authenticate(
            session, clock=clock, settings=settings, username=username, password=password
        )
    except SluiceError as error:
        # Rendered, not raised: the unit of work still commits the counted failure.
        return render(
            request,
            "identity/login.html",
            {"next": target, "username": username, "error": error.detail(locale)},
            status_code=error.status,
        )
    started = service.start_console_session(session, clock=clock, settings=settings, user=user)
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
def logout(request: Request, _: Member, session: DbSession, clock: AppClock) -> Response:
    token = request.cookies.get(SESSION_COOKIE)
    if token:
        service.end_console_session(session, clock=clock, token=token)
    response = RedirectResponse("/", status_code=303)
    response.delete_cookie(SESSION_COOKIE)
    return response


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
    raw = {k: str(v).strip() for k, v in (await request.form()).items() if k != "csrf_token"}
    values = {k: v for k, v in raw.items() if v != ""}
    data, errors = parse_form(OrganizationCreate, values, locale)
    if data is None:
        return _organizations_page(request, session, form=raw, errors=errors, status_code=422)
    try:
        organization = service.create_organization(session, actor=actor, clock=clock, data=data)
    except SluiceError as error:
        session.rollback()
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
    now = clock.now()
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
            "now": now,
            "form": form or {},
            "errors": errors or {},
            "message": message,
        },
        status_code=status_code,
    )


@router.get("/console/users", response_class=HTMLResponse)
def users_page(
    request: Request, _: IdentityReader, session: DbSession, clock: AppClock
) -> HTMLResponse:
    return _users_page(request, session, clock)


@router.post("/console/users", response_class=HTMLResponse)
async def create_user(
    request: Request, actor: IdentityManager, session: DbSession, clock: AppClock, locale: Locale
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
    kept = {**raw, "password": ""}  # never echo a password back into the page
    if data is None:
        return _users_page(request, session, clock, form=kept, errors=errors, status_code=422)
    try:
        user = service.create_user(session, actor=actor, clock=clock, data=data)
    except SluiceError as error:
        session.rollback()
        return _users_page(
            request,
            session,
            clock,
            form=kept,
            errors={"__all__": error.detail(locale)},
            status_code=error.status,
        )
    return _users_page(
        request, session, clock, message=translate("users.created", locale, username=user.username)
    )


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
