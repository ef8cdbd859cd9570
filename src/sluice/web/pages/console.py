"""The console home: the workbench of what needs this person now, in the reader's language.

The panels come from the modules (``<module>/workbench.py``, registered with
``sluice.web.workbench.add_panel``); this page asks those the principal may see, shows their
key figures in one strip and each panel's to-dos, picture or one-line note below.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse

from sluice.core.i18n import add_messages
from sluice.core.permissions import Permission
from sluice.core.principal import Principal
from sluice.web import workbench
from sluice.web.deps import AppClock, DbSession, Locale, Requires
from sluice.web.templating import NavItem, add_nav, render

router = APIRouter(tags=["console"])
Member = Annotated[Principal, Depends(Requires(Permission.CONSOLE_VIEW))]

add_nav(NavItem("nav.console", "/console", Permission.CONSOLE_VIEW, order=0))
add_messages(
    {
        "console.welcome": ("您好，{name}", "Hello, {name}"),
        "console.roles": ("您的角色", "Your roles"),
        "console.more": ("查看全部", "See all"),
        "console.due": ("期限 {due}", "Due {due}"),
        "console.late": ("已逾期", "Overdue"),
        "console.figures": ("关键指标", "Key figures"),
        "console.role_help.bureau": (
            "管理机构与用户，遴选和授权运营机构，发布目录，审核产品与导出，监督与考核。",
            "Manage organizations and users, select and authorize operators, publish the "
            "catalog, review products and exports, supervise and evaluate.",
        ),
        "console.role_help.registry": (
            "登记数据资源和数据产品，颁发登记证书。",
            "Register data resources and products and issue certificates.",
        ),
        "console.role_help.finance": (
            "指导资产清查，接收并报告数据收益。",
            "Guide the asset inventory; receive and report data revenue.",
        ),
        "console.role_help.provider": (
            "发布本部门数据，负责数据质量，答复纠错工单，查看数据被如何使用。",
            "Publish your department's data, own its quality, answer correction tickets, see "
            "how it is used.",
        ),
        "console.role_help.operator": (
            "在授权范围内于平台沙箱中开发数据产品、上架销售并报告。",
            "Build data products in the platform sandbox within your authorization, sell and "
            "report them.",
        ),
        "console.role_help.buyer": (
            "订阅数据产品，管理 API 密钥，归档信息主体的授权同意。",
            "Subscribe to products, manage API keys, archive data subjects' consents.",
        ),
        "console.role_help.panel": (
            "参与运营机构遴选和年度考核评分。",
            "Score operators in selection rounds and annual evaluations.",
        ),
        "console.role_help.subject": (
            "查看谁使用了您的数据，授予或撤回同意。",
            "See who used your data; grant or withdraw consent.",
        ),
    }
)


@router.get("/console", response_class=HTMLResponse)
def console_home(
    request: Request, principal: Member, session: DbSession, clock: AppClock, locale: Locale
) -> HTMLResponse:
    loaded = workbench.load(workbench.Context(session, principal, clock, locale))
    return render(
        request,
        "console/home.html",
        {
            "roles": sorted(principal.roles),
            "panels": loaded,
            "figures": workbench.figures(loaded),
            "charts": any(item.content.chart for item in loaded),
        },
    )
