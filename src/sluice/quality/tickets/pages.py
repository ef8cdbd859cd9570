"""Console pages of correction tickets: the list (overdue ones flagged), filing, the detail."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from sluice.core.database import undo_keeping_refusal
from sluice.core.errors import InvalidInput, SluiceError
from sluice.core.i18n import MessageRef, add_messages, translate
from sluice.core.permissions import Permission as P
from sluice.core.principal import Principal
from sluice.quality.tickets import service
from sluice.quality.tickets.schemas import TargetLevel, TicketCreate, TicketStatus
from sluice.quality.tickets.states import TICKET
from sluice.web.deps import AppClock, AppSettings, DbSession, Locale, Requires
from sluice.web.forms import parse_form
from sluice.web.params import PageNumber
from sluice.web.templating import NavItem, add_nav, render

router = APIRouter(tags=["console"])
TicketReader = Annotated[Principal, Depends(Requires(P.TICKETS_READ))]
TicketFiler = Annotated[Principal, Depends(Requires(P.TICKETS_FILE))]
TicketAnswerer = Annotated[Principal, Depends(Requires(P.TICKETS_ANSWER))]
TicketCloser = Annotated[Principal, Depends(Requires(P.TICKETS_CLOSE))]

PAGE_SIZE = 50

add_nav(NavItem("nav.tickets", "/console/tickets", P.TICKETS_READ, order=40))
add_messages(
    {
        "nav.tickets": ("纠错工单", "Correction tickets"),
        "tickets.title": ("纠错工单", "Correction tickets"),
        "tickets.lead": (
            "对数据集、字段或某一行数据提出纠错；数据提供部门须在 {days} 个工作日内答复"
            "（按国家法定节假日和调休安排计算，提交当日不计入）。",
            "Report an error in a dataset, a field or a row; the providing department must "
            "answer within {days} working days (counted on the statutory holiday calendar, "
            "adjusted workdays included, from the day after filing).",
        ),
        "tickets.new": ("提交纠错工单", "File a correction ticket"),
        "tickets.number": ("编号", "No."),
        "tickets.resource": ("数据资源", "Data resource"),
        "tickets.target": ("纠错对象", "Target"),
        "tickets.level": ("纠错范围", "Scope"),
        "tickets.level.dataset": ("整个数据集", "Whole dataset"),
        "tickets.level.field": ("字段", "Field"),
        "tickets.level.row": ("行（记录）", "Row (record)"),
        "tickets.field_name": ("字段名", "Field name"),
        "tickets.row_ref": (
            "行定位（记录主键、行号或筛选条件）",
            "Row reference (key, number, filter)",
        ),
        "tickets.description": ("问题描述", "What is wrong"),
        "tickets.provider": ("提供部门", "Provider"),
        "tickets.filer": ("提交单位", "Filed by"),
        "tickets.filed_at": ("提交时间", "Filed"),
        "tickets.due_date": ("答复期限", "Answer due"),
        "tickets.due_rule": (
            "{days} 个工作日，截至 {due} 当日",
            "{days} working days, to the end of {due}",
        ),
        "tickets.overdue": ("已逾期", "Overdue"),
        "tickets.overdue_days": ("已逾期 {days} 个工作日", "{days} working day(s) overdue"),
        "tickets.answered_late": ("逾期答复", "Answered late"),
        "tickets.answered_on_time": ("按期答复", "Answered on time"),
        "tickets.all_statuses": ("全部状态", "All statuses"),
        "tickets.only_overdue": ("仅看逾期", "Overdue only"),
        "tickets.filter": ("筛选", "Filter"),
        "tickets.none": ("没有符合条件的工单。", "No tickets match."),
        "tickets.resolution": ("答复意见", "Answer"),
        "tickets.resolution_fix": ("更正说明（改了什么）", "What was corrected"),
        "tickets.resolution_reject": ("不予更正的理由", "Why it will not be corrected"),
        "tickets.note": ("备注（可选）", "Note (optional)"),
        "tickets.actions": ("可执行的操作", "What you can do"),
        "tickets.no_actions": ("您当前无可执行的操作。", "Nothing for you to do now."),
        "tickets.history": ("处理记录", "History"),
        "tickets.lifecycle": ("工单流转规则", "How a ticket moves"),
        "tickets.from": ("从", "From"),
        "tickets.to": ("到", "To"),
        "tickets.by": ("所需权限", "Permission"),
        "tickets.filed": (
            "工单已提交，答复期限为 {due}。",
            "Ticket filed; the answer is due by {due}.",
        ),
        "tickets.done": ("已完成：{action}。", "Done: {action}."),
        "tickets.choose_resource": ("请选择数据资源", "Choose a data resource"),
        "tickets.outcome": ("处理结果", "Outcome"),
        "tickets.back": ("返回工单列表", "Back to the tickets"),
        "tickets.resolution_required": (
            "请填写答复意见：更正了什么，或不予更正的理由。",
            "Please write the answer: what was corrected, or why it will not be.",
        ),
    }
)


def _overdue_flag(value: str | None) -> bool | None:
    return {"1": True, "true": True, "0": False, "false": False}.get((value or "").lower())


@router.get("/console/tickets", response_class=HTMLResponse)
def tickets_page(
    request: Request,
    actor: TicketReader,
    session: DbSession,
    clock: AppClock,
    settings: AppSettings,
    status: str | None = None,
    overdue: str | None = None,
    page: PageNumber = 1,
) -> HTMLResponse:
    chosen = status if status in set(TicketStatus) else None
    only_overdue = _overdue_flag(overdue)
    total, views = service.list_tickets(
        session,
        actor=actor,
        clock=clock,
        status=chosen,
        overdue=only_overdue,
        limit=PAGE_SIZE,
        offset=(page - 1) * PAGE_SIZE,
    )
    today = service.today(clock)
    rows = [
        {
            "view": v,
            "overdue": service.is_overdue(v.ticket, today=today),
            "late_days": service.working_days_overdue(v.ticket, today=today),
        }
        for v in views
    ]
    return render(
        request,
        "quality/tickets.html",
        {
            "total": total,
            "rows": rows,
            "statuses": list(TicketStatus),
            "status": chosen or "",
            "only_overdue": only_overdue is True,
            "page": page,
            "pages": max(1, -(-total // PAGE_SIZE)),
            "days": settings.ticket_answer_working_days,
        },
    )


def _form_page(
    request: Request,
    actor: Principal,
    session: DbSession,
    settings: AppSettings,
    *,
    form: dict[str, str],
    errors: dict[str, str] | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    return render(
        request,
        "quality/tickets_new.html",
        {
            "resources": service.resource_choices(session, actor=actor),
            "levels": list(TargetLevel),
            "form": form,
            "errors": errors or {},
            "days": settings.ticket_answer_working_days,
        },
        status_code=status_code,
    )


@router.get("/console/tickets/new", response_class=HTMLResponse)
def new_ticket_page(
    request: Request,
    actor: TicketFiler,
    session: DbSession,
    settings: AppSettings,
    resource_id: str | None = None,
) -> HTMLResponse:
    form = {"resource_id": resource_id or "", "target_level": TargetLevel.DATASET.value}
    return _form_page(request, actor, session, settings, form=form)


def _field_errors(error: SluiceError, locale: str) -> dict[str, str]:
    fields = [e.get("field") for e in getattr(error, "errors", []) if e.get("field")]
    return {str(fields[0]) if fields else "__all__": error.detail(locale)}


@router.post("/console/tickets", response_class=HTMLResponse)
async def file_ticket(
    request: Request,
    actor: TicketFiler,
    session: DbSession,
    clock: AppClock,
    settings: AppSettings,
    locale: Locale,
) -> Response:
    submitted = await request.form()
    fields = ("resource_id", "target_level", "field_name", "row_ref", "description")
    raw = {k: str(submitted.get(k, "")).strip() for k in fields}
    data, errors = parse_form(TicketCreate, {k: v for k, v in raw.items() if v}, locale)
    if data is None:
        return _form_page(
            request, actor, session, settings, form=raw, errors=errors, status_code=422
        )
    try:
        ticket = service.file_ticket(
            session, actor=actor, clock=clock, settings=settings, data=data
        )
    except InvalidInput as error:
        undo_keeping_refusal(session, error)
        return _form_page(
            request,
            actor,
            session,
            settings,
            form=raw,
            errors=_field_errors(error, locale),
            status_code=error.status,
        )
    return RedirectResponse(f"/console/tickets/{ticket.id}?filed=1", status_code=303)


def _detail_page(
    request: Request,
    actor: Principal,
    session: DbSession,
    clock: AppClock,
    locale: str,
    ticket_id: uuid.UUID,
    *,
    filed: bool = False,
    done: str | None = None,
    error: str | None = None,
    form: dict[str, str] | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    view = service.get(session, actor=actor, ticket_id=ticket_id)
    today = service.today(clock)
    message = None
    if filed:
        message = translate("tickets.filed", locale, due=view.ticket.due_date.isoformat())
    elif done in {t.name for t in TICKET.transitions}:
        action = MessageRef(f"transition.{TICKET.entity}.{done}")
        message = translate("tickets.done", locale, action=action)
    return render(
        request,
        "quality/tickets_detail.html",
        {
            "view": view,
            "t": view.ticket,
            "overdue": service.is_overdue(view.ticket, today=today),
            "late_days": service.working_days_overdue(view.ticket, today=today),
            "actions": service.allowed_actions(actor, view.ticket),
            "history": service.history(session, actor=actor, ticket_id=ticket_id),
            "lifecycle": TICKET.table(locale),
            "message": message,
            "error": error,
            "form": form or {},
        },
        status_code=status_code,
    )


@router.get("/console/tickets/{ticket_id}", response_class=HTMLResponse)
def ticket_page(
    request: Request,
    ticket_id: uuid.UUID,
    actor: TicketReader,
    session: DbSession,
    clock: AppClock,
    locale: Locale,
    filed: str | None = None,
    done: str | None = None,
) -> HTMLResponse:
    return _detail_page(
        request, actor, session, clock, locale, ticket_id, filed=bool(filed), done=done
    )


def _fire(
    session: DbSession,
    actor: Principal,
    clock: AppClock,
    ticket_id: uuid.UUID,
    name: str,
    text: str,
) -> None:
    if name in ("fix", "reject") and len(text) < 2:
        raise InvalidInput("tickets.resolution_required")
    if name == "acknowledge":
        service.acknowledge(
            session, actor=actor, clock=clock, ticket_id=ticket_id, note=text or None
        )
    elif name == "fix":
        service.fix(session, actor=actor, clock=clock, ticket_id=ticket_id, resolution=text)
    elif name == "reject":
        service.reject(session, actor=actor, clock=clock, ticket_id=ticket_id, resolution=text)
    else:
        service.close(session, actor=actor, clock=clock, ticket_id=ticket_id, note=text or None)


async def _act(
    request: Request,
    actor: Principal,
    session: DbSession,
    clock: AppClock,
    locale: str,
    ticket_id: uuid.UUID,
    name: str,
) -> Response:
    text = str((await request.form()).get("text", "")).strip()
    try:
        _fire(session, actor, clock, ticket_id, name, text)
    except SluiceError as error:
        if error.status == 404:
            raise
        undo_keeping_refusal(session, error)
        return _detail_page(
            request,
            actor,
            session,
            clock,
            locale,
            ticket_id,
            error=error.detail(locale),
            form={"action": name, "text": text},
            status_code=error.status,
        )
    return RedirectResponse(f"/console/tickets/{ticket_id}?done={name}", status_code=303)


@router.post("/console/tickets/{ticket_id}/acknowledge", response_class=HTMLResponse)
async def acknowledge_ticket(
    request: Request,
    ticket_id: uuid.UUID,
    actor: TicketAnswerer,
    session: DbSession,
    clock: AppClock,
    locale: Locale,
) -> Response:
    return await _act(request, actor, session, clock, locale, ticket_id, "acknowledge")


@router.post("/console/tickets/{ticket_id}/fix", response_class=HTMLResponse)
async def fix_ticket(
    request: Request,
    ticket_id: uuid.UUID,
    actor: TicketAnswerer,
    session: DbSession,
    clock: AppClock,
    locale: Locale,
) -> Response:
    return await _act(request, actor, session, clock, locale, ticket_id, "fix")


@router.post("/console/tickets/{ticket_id}/reject", response_class=HTMLResponse)
async def reject_ticket(
    request: Request,
    ticket_id: uuid.UUID,
    actor: TicketAnswerer,
    session: DbSession,
    clock: AppClock,
    locale: Locale,
) -> Response:
    return await _act(request, actor, session, clock, locale, ticket_id, "reject")


@router.post("/console/tickets/{ticket_id}/close", response_class=HTMLResponse)
async def close_ticket(
    request: Request,
    ticket_id: uuid.UUID,
    actor: TicketCloser,
    session: DbSession,
    clock: AppClock,
    locale: Locale,
) -> Response:
    return await _act(request, actor, session, clock, locale, ticket_id, "close")
