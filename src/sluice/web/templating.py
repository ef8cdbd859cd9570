"""Jinja2 environment: pages render in the reader's language with the console's navigation."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse
from fastapi.templating import Jinja2Templates

from sluice import __version__
from sluice.core.clock import display
from sluice.core.i18n import LOCALES, add_messages, has_message, translate
from sluice.core.ids import new_secret
from sluice.core.permissions import Permission
from sluice.core.principal import Principal

TEMPLATES = Jinja2Templates(directory=str(Path(__file__).parent / "templates"))
#: ``{{ value|when }}``: every timestamp on a page in the one display zone.
TEMPLATES.env.filters["when"] = display


@dataclass(frozen=True)
class NavItem:
    key: str
    href: str
    permission: Permission
    section: str = "nav.section.general"
    order: int = 50


#: Sections in the order the side navigation shows them.
SECTIONS = ("nav.section.general", "nav.section.admin")
_nav: list[NavItem] = []


def add_nav(*items: NavItem) -> None:
    """Modules add their console pages; each item shows only to roles that may open it."""
    _nav.extend(items)
    _nav.sort(key=lambda item: (SECTIONS.index(item.section), item.order))


def nav_for(principal: Principal | None) -> list[NavItem]:
    if principal is None:
        return []
    return [item for item in _nav if principal.has(item.permission)]


def _labeller(locale: str) -> Any:
    """Codes shown by their labels (``label("grade", 3)`` → 三级（敏感）) in the reader's language;
    an unknown code shows as itself rather than as a message key."""

    def _label(kind: str, code: object) -> str:
        if code is None or code == "":
            return "—"
        key = f"vocab.{kind}.{code}"
        return translate(key, locale) if has_message(key) else str(code)

    return _label


def render(
    request: Request,
    template: str,
    context: dict[str, Any] | None = None,
    *,
    status_code: int = 200,
) -> HTMLResponse:
    from sluice.web.deps import ANON_CSRF_COOKIE, locale_of  # deferred: deps imports services

    locale = locale_of(request)
    csrf_token: str | None = getattr(request.state, "csrf_token", None)
    new_anonymous_token = None
    if csrf_token is None:
        csrf_token = request.cookies.get(ANON_CSRF_COOKIE)
        if not csrf_token:
            csrf_token = new_anonymous_token = new_secret(24)
    principal: Principal | None = getattr(request.state, "principal", None)

    def _(key: str, **params: object) -> str:
        return translate(key, locale, **params)

    full = {
        "_": _,
        "locale": locale,
        "locales": LOCALES,
        "principal": principal,
        "nav": nav_for(principal),
        "csrf_token": csrf_token,
        "version": __version__,
        "fmt_time": display,
        "label": _labeller(locale),
        "path": request.url.path,
        **(context or {}),
    }
    response = TEMPLATES.TemplateResponse(request, template, full, status_code=status_code)
    if new_anonymous_token:
        response.set_cookie(ANON_CSRF_COOKIE, new_anonymous_token, httponly=True, samesite="lax")
    return response


add_messages(
    {
        "nav.section.general": ("常用", "General"),
        "nav.section.admin": ("平台管理", "Administration"),
        "nav.console": ("工作台", "Console"),
        "nav.organizations": ("机构管理", "Organizations"),
        "nav.users": ("用户管理", "Users"),
        "nav.api_keys": ("API 密钥", "API keys"),
        "nav.audit": ("审计日志", "Audit log"),
        "nav.portal": ("门户首页", "Portal"),
        "nav.login": ("登录", "Log in"),
        "nav.logout": ("退出", "Log out"),
        "nav.language": ("English", "中文"),
    }
)
