from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse

from sluice.audit import service
from sluice.core.i18n import add_messages
from sluice.core.permissions import Permission
from sluice.core.principal import Principal
from sluice.web.deps import DbSession, Requires
from sluice.web.params import PageNumber
from sluice.web.templating import NavItem, add_nav, render

router = APIRouter(tags=["console"])
AuditReader = Annotated[Principal, Depends(Requires(Permission.AUDIT_READ))]

add_nav(NavItem("nav.audit", "/console/audit", Permission.AUDIT_READ, "nav.section.admin", 90))
add_messages(
    {
        "audit.title": ("审计日志", "Audit log"),
        "audit.lead": (
            "平台上每一次状态变更和数据访问都在同一事务中记入本日志，只追加、不修改。",
            "Every state change and data access is written here in the same transaction; the "
            "log is append-only.",
        ),
        "audit.time": ("时间", "Time"),
        "audit.action": ("事件", "Event"),
        "audit.actor": ("操作者", "Actor"),
        "audit.target": ("对象", "Target"),
        "audit.outcome": ("结果", "Outcome"),
        "audit.detail": ("详情", "Details"),
        "audit.outcome.ok": ("成功", "Done"),
        "audit.outcome.refused": ("拒绝", "Refused"),
        "audit.outcome.failed": ("失败", "Failed"),
    }
)


@router.get("/console/audit", response_class=HTMLResponse)
def audit_page(
    request: Request,
    actor: AuditReader,
    session: DbSession,
    page: PageNumber = 1,
) -> HTMLResponse:
    size = 50
    total, events = service.events(session, actor=actor, limit=size, offset=(page - 1) * size)
    return render(
        request,
        "audit/events.html",
        {"total": total, "events": events, "page": page, "pages": max(1, -(-total // size))},
    )
