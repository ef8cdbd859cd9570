"""The public portal, health check, language switch and problem-type pages."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse

from sluice.core.errors import NotFound
from sluice.core.i18n import LOCALE_COOKIE, add_messages, has_message, normalize_locale
from sluice.web.deps import AppSettings, MaybePrincipal, Public
from sluice.web.templating import render

router = APIRouter(tags=["portal"])
Anyone = Depends(Public())

add_messages(
    {
        "portal.title": ("营口市公共数据授权运营平台", "Yingkou public data authorized operation"),
        "portal.lead": (
            "市数据局在本平台上把政府部门的公共数据安全地开放给市场：经遴选的运营机构按场景获得授权，"
            "在平台内开发数据产品；需求方调用产品。原始数据不出域，个人信息经脱敏或仅以核验结果、统计结果提供，"
            "每一次使用都有合法依据并留下不可篡改的记录。",
            "The city data bureau opens public data held by government departments to the market "
            "through this platform, safely: qualified operators are authorized one scenario at a "
            "time to build data products inside it, and buyers call those products. Raw data "
            "never leaves; personal data is masked or reduced to verification answers and "
            "statistics; every use has a legal basis and leaves a tamper-evident trace.",
        ),
        "portal.catalog": ("公共数据资源目录", "Public data catalog"),
        "portal.catalog_lead": (
            "数据局会同各部门编制、分批发布的可授权公共数据资源目录，可按部门、领域、开放属性检索。",
            "The authorizable catalog the bureau compiles with the departments and publishes "
            "in batches, searchable by provider, domain and open level.",
        ),
        "portal.disclosures": ("信息公开", "Disclosures"),
        "portal.disclosures_soon": (
            "授权运营情况、价格上限和年度报告依规在此公开。",
            "Authorizations, price caps and annual reports are disclosed here as required.",
        ),
        "portal.console": ("进入工作台", "Open the console"),
        "portal.how": ("平台如何运作", "How the platform works"),
        "portal.step.publish": ("部门发布数据", "Departments publish data"),
        "portal.step.authorize": ("数据局按场景授权", "The bureau authorizes per scenario"),
        "portal.step.build": ("运营机构在平台内开发产品", "Operators build products inside"),
        "portal.step.use": ("需求方依法调用", "Buyers call them lawfully"),
        "portal.api": ("开放接口说明（OpenAPI）", "API description (OpenAPI)"),
    }
)


@router.get("/healthz", dependencies=[Anyone])
def healthz() -> dict[str, str]:
    return {"status": "ok"}


@router.get("/", response_class=HTMLResponse)
def home(request: Request, principal: MaybePrincipal) -> HTMLResponse:
    return render(request, "portal/home.html")


@router.get("/problems/{code}", response_class=HTMLResponse)
def problem_type(request: Request, code: str, principal: MaybePrincipal) -> HTMLResponse:
    """Documents each problem ``type`` the API returns."""
    if not has_message(f"problem.{code}"):
        raise NotFound()
    return render(request, "portal/problem.html", {"code": code})


@router.post("/locale", dependencies=[Anyone])
def switch_locale(
    settings: AppSettings,
    locale: Annotated[str, Form()],
    next: Annotated[str, Form()] = "/",
) -> RedirectResponse:
    chosen = normalize_locale(locale) or settings.default_locale
    target = next if next.startswith("/") and not next.startswith("//") else "/"
    response = RedirectResponse(target, status_code=303)
    response.set_cookie(
        LOCALE_COOKIE, chosen, max_age=365 * 24 * 3600, samesite="lax", httponly=True
    )
    return response
