"""The provider quality scoreboard (R4.3): scores, their parts, overdue tickets, the trend."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from sluice.core.i18n import add_messages
from sluice.core.permissions import Permission as P
from sluice.core.principal import Principal
from sluice.quality import service
from sluice.web.deps import AppClock, DbSession, Requires
from sluice.web.templating import NavItem, add_nav, render

router = APIRouter(tags=["console"])
QualityReader = Annotated[Principal, Depends(Requires(P.QUALITY_READ))]
Assessor = Annotated[Principal, Depends(Requires(P.QUALITY_ASSESS))]

add_nav(NavItem("nav.quality", "/console/quality", P.QUALITY_READ, order=40))
add_messages(
    {
        "nav.quality": ("质量评分", "Quality scores"),
        "quality.title": ("数据提供部门质量评分", "Provider data quality scores"),
        "quality.lead": (
            "评分 = 各数据资源综合质量（完整性、准确性、一致性、及时性）的平均值，"
            "每有一张逾期未答复的纠错工单扣 5 分（最多扣 30 分）。",
            "Score = the mean overall quality of the provider's resources (completeness, "
            "accuracy, consistency, timeliness), less 5 points per correction ticket left "
            "past its deadline (at most 30).",
        ),
        "quality.assess": ("立即评估", "Assess now"),
        "quality.none": (
            "尚无评估结果。数据局可点击“立即评估”，或运行 sluice quality assess。",
            "No assessment yet. The bureau can click 'Assess now' or run sluice quality assess.",
        ),
        "quality.provider": ("提供部门", "Provider"),
        "quality.score": ("评分", "Score"),
        "quality.overdue": ("逾期工单", "Overdue tickets"),
        "quality.trend": ("评分趋势", "Score trend"),
        "quality.assessed_at": ("评估时间", "Assessed"),
    }
)


@router.get("/console/quality", response_class=HTMLResponse)
def scoreboard(request: Request, actor: QualityReader, session: DbSession) -> HTMLResponse:
    board = service.scoreboard(session, actor=actor)
    return render(request, "quality/scores.html", {"board": board})


@router.post("/console/quality/assess")
def assess(actor: Assessor, session: DbSession, clock: AppClock) -> Response:
    service.assess(session, actor=actor, clock=clock)
    return RedirectResponse("/console/quality", status_code=303)
