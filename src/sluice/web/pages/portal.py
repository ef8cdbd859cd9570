"""The public portal, health check, language switch and problem-type pages."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import (
    FileResponse,
    HTMLResponse,
    JSONResponse,
    RedirectResponse,
    Response,
)

from sluice.authorizations.disclosures import disclosed_agreements
from sluice.catalog.publishers import publisher
from sluice.channels.service import public_register
from sluice.core.errors import NotFound
from sluice.core.i18n import LOCALE_COOKIE, add_messages, has_message, normalize_locale
from sluice.web.deps import AppSettings, DbSession, MaybePrincipal, Public
from sluice.web.templating import render

router = APIRouter(tags=["portal"])
FAVICON = Path(__file__).parent.parent / "static" / "favicon.svg"
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
            "授权运营情况、运营机构遴选结果依规在此公开；价格上限和年度报告随相应功能上线后公开。",
            "Authorizations and operator selection results are disclosed here as required; "
            "price caps and annual reports follow when those parts of the platform land.",
        ),
        "portal.disclosures_open": ("查看公开信息", "See the disclosures"),
        "disclosure.title": ("信息公开", "Disclosures"),
        "disclosure.lead": (
            "依照授权运营实施方案，公开每项授权的运营机构、授权内容、授权范围、期限和状态，接受社会监督。"
            "协议条款、产品审查材料和签名仅在平台内供当事方查阅。",
            "Under the implementation plan, the operator, content, scope, term and status of "
            "each authorization are public for social supervision. Clauses, product review "
            "material and signatures stay inside the platform for the parties.",
        ),
        "disclosure.agreements": ("授权运营情况", "Authorized operation"),
        "disclosure.number": ("协议编号", "Agreement"),
        "disclosure.operator": ("运营机构", "Operator"),
        "disclosure.scenario": ("应用场景", "Scenario"),
        "disclosure.term": ("授权期限", "Term"),
        "disclosure.scope": ("授权范围", "Scope"),
        "disclosure.scope_count": ("{count} 项目录条目", "{count} catalog entries"),
        "disclosure.status": ("状态", "Status"),
        "disclosure.none": ("目前没有已生效的授权。", "No authorization is in force yet."),
        "disclosure.selections": ("运营机构遴选结果", "Operator selection results"),
        "disclosure.selections_lead": (
            "竞争性磋商的评审结果与选定理由。",
            "Results of competitive consultations and the reasons for each choice.",
        ),
        "disclosure.pending": ("价格上限与年度报告", "Price caps and annual reports"),
        "disclosure.pending_lead": (
            "数据产品价格上限和授权运营年度报告将在产品与收益管理功能上线后在此公开。",
            "Price caps of data products and annual operation reports will be disclosed here "
            "once product and revenue management land.",
        ),
        "portal.single_channel": (
            "本平台是本市公共数据授权运营的统一渠道：各部门、县（市、区）和园区不得新建公共数据运营渠道，"
            "已建或在建的渠道纳入本平台统一对外服务。",
            "This platform is the city's single channel for the authorized operation of public "
            "data: departments, counties and parks may not build new operation channels, and "
            "those already built or being built are brought onto the platform.",
        ),
        "portal.channels_open": ("查看已有渠道的整合计划", "See the plan for existing channels"),
        "disclosure.channels": ("已有公共数据运营渠道整合情况", "Existing operation channels"),
        "disclosure.channel": ("渠道名称", "Channel"),
        "disclosure.channel_owner": ("所属单位", "Owner"),
        "disclosure.channel_plan": ("整合计划", "Plan"),
        "disclosure.channel_move_by": ("计划纳入平台日期", "To be moved by"),
        "disclosure.channel_status": ("进度", "Progress"),
        "disclosure.channels_none": (
            "目前没有登记在册的已有运营渠道。",
            "No existing operation channel is registered.",
        ),
        "publisher.title": ("数据提供单位", "Data publisher"),
        "publisher.entries": ("公开目录条目", "Published catalog entries"),
        "publisher.domains": ("按领域", "By domain"),
        "publisher.browse": ("在目录中查看全部 {count} 条", "Browse all {count} in the catalog"),
        "publisher.code": ("机构代码", "Code"),
        "publisher.standing": ("单位性质", "Standing"),
        "publisher.authorized_by_law": (
            "法律法规授权的具有管理公共事务职能的组织",
            "An organization authorized by law to manage public affairs",
        ),
        "publisher.legal_basis": ("授权依据", "Legal basis"),
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


@router.get("/favicon.ico", dependencies=[Anyone], include_in_schema=False)
def favicon() -> FileResponse:
    """Browsers ask for this address when a page (a PDF, a JSON document) names no icon."""
    return FileResponse(FAVICON, media_type="image/svg+xml")


@router.get("/portal/disclosures", response_class=HTMLResponse)
def disclosures(request: Request, principal: MaybePrincipal, session: DbSession) -> HTMLResponse:
    return render(
        request,
        "portal/disclosures.html",
        {"agreements": disclosed_agreements(session), "channels": public_register(session)},
    )


@router.get("/organizations/{code}", response_class=HTMLResponse)
def organization_page(
    request: Request,
    code: str,
    principal: MaybePrincipal,
    session: DbSession,
    settings: AppSettings,
) -> Response:
    """The IRI the DCAT catalog gives each publisher: a page for people, JSON-LD for machines."""
    found = publisher(session, code)
    if found is None:
        raise NotFound()
    if "application/ld+json" in request.headers.get("accept", ""):
        base = settings.base_url.rstrip("/")
        names = [{"@value": found.name, "@language": "zh-CN"}]
        if found.name_en:
            names.append({"@value": found.name_en, "@language": "en"})
        return JSONResponse(
            {
                "@context": {"foaf": "http://xmlns.com/foaf/0.1/"},
                "@id": f"{base}/organizations/{found.code}",
                "@type": "foaf:Organization",
                "foaf:name": names,
            },
            media_type="application/ld+json",
        )
    return render(request, "portal/organization.html", {"org": found})


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
