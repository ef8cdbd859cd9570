"""Console pages of correction tickets: the list (paged, sorted, filtered, searched; overdue
and chased ones flagged), filing (a search-as-you-type picker of the resources one may
name), the detail with its actions, and 督办 for the bureau."""

from __future__ import annotations

import uuid
from dataclasses import replace
from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy.orm import Session

from sluice.core.database import undo_keeping_refusal
from sluice.core.errors import InvalidInput, SluiceError
from sluice.core.i18n import MessageRef, add_messages, translate
from sluice.core.paging import ListQuery
from sluice.core.permissions import Permission as P
from sluice.core.permissions import Role
from sluice.core.principal import Principal
from sluice.quality.tickets import service
from sluice.quality.tickets.repository import TICKET_SORTS, YES_NO
from sluice.quality.tickets.schemas import TargetLevel, TicketCreate, TicketStatus
from sluice.quality.tickets.states import TICKET
from sluice.web.deps import AppClock, AppSettings, DbSession, Locale, Requires
from sluice.web.forms import parse_form
from sluice.web.listing import ListSpec, render_list
from sluice.web.picker import PickItem, PickResult, add_picker
from sluice.web.templating import NavItem, add_nav, render

router = APIRouter(tags=["console"])
TicketReader = Annotated[Principal, Depends(Requires(P.TICKETS_READ))]
TicketFiler = Annotated[Principal, Depends(Requires(P.TICKETS_FILE))]
TicketAnswerer = Annotated[Principal, Depends(Requires(P.TICKETS_ANSWER))]
TicketCloser = Annotated[Principal, Depends(Requires(P.TICKETS_CLOSE))]
Supervisor = Annotated[Principal, Depends(Requires(P.TICKETS_SUPERVISE))]

#: The tickets list: 50 a page, the most recently filed first.
TICKETS = ListSpec(
    sorts=TICKET_SORTS,
    filters=("status", "provider", "overdue", "urged"),
    default_sort="-filed",
)

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
        "tickets.filter.overdue": ("是否逾期", "Overdue"),
        "tickets.filter.urged": ("督办", "Chased"),
        "tickets.overdue_yes": ("已逾期", "Overdue"),
        "tickets.overdue_no": ("未逾期", "Not overdue"),
        "tickets.urged_yes": ("已督办", "Chased"),
        "tickets.urged_no": ("未督办", "Not chased"),
        "tickets.search": (
            "搜索数据资源、编号或问题描述",
            "Search resources, numbers or descriptions",
        ),
        "tickets.empty_filer": (
            "还没有纠错工单。发现数据有误时，点击“提交纠错工单”。",
            "No correction tickets yet. Found an error in the data? Click 'File a correction "
            "ticket'.",
        ),
        "tickets.empty_provider": (
            "还没有针对本部门数据的纠错工单。",
            "No correction ticket has been filed on your department's data.",
        ),
        "tickets.urged_tag": ("督办", "Chased"),
        "tickets.urged_times": ("督办 ×{n}", "Chased ×{n}"),
        "tickets.supervise": ("督办", "Chase"),
        "tickets.supervise_title": ("督办", "Chase the provider"),
        "tickets.supervise_lead": (
            "此工单已逾期 {days} 个工作日仍未答复。督办将记录在工单和审计日志中，"
            "提供部门在工单列表和本页可以看到。",
            "This ticket is {days} working day(s) overdue and still unanswered. Chasing is "
            "recorded on the ticket and in the audit log; the provider sees it in its list "
            "and on this page.",
        ),
        "tickets.supervise_note": ("督办意见（可选）", "Note to the provider (optional)"),
        "tickets.supervised": ("已督办。", "Chased."),
        "tickets.urgings": ("督办记录", "Chasing"),
        "tickets.urging_row": (
            "{at}　{by} 督办（当时已逾期 {days} 个工作日）",
            "{at}: chased by {by} ({days} working day(s) overdue then)",
        ),
        "tickets.urged_notice": (
            "数据局已督办此工单 {n} 次，最近一次：{at}（{by}）。请尽快答复。",
            "The bureau has chased this ticket {n} time(s), last on {at} ({by}). Please answer "
            "it soon.",
        ),
        "tickets.urged_notice_other": (
            "数据局已督办此工单 {n} 次，最近一次：{at}（{by}）。",
            "The bureau has chased this ticket {n} time(s), last on {at} ({by}).",
        ),
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
        "tickets.resource_hint": (
            "输入数据资源名称、编码或提供部门搜索，然后点击选择。",
            "Type a resource's name, code or provider, then click one to choose it.",
        ),
        "tickets.outcome": ("处理结果", "Outcome"),
        "tickets.back": ("返回工单列表", "Back to the tickets"),
        "tickets.repair_version": ("修复数据版本", "Repairing data version"),
        "tickets.repair_version_value": ("第 {n} 版", "Version {n}"),
        "tickets.repair_ready": (
            "自本工单提交以来，该数据资源已有新的数据版本：第 {n} 版（{at}）。确认已更正后，"
            "可标记“已更正”。",
            "The resource has a new data version since this ticket was filed: version {n} "
            "({at}). Once it holds the correction, mark the ticket fixed.",
        ),
        "tickets.repair_missing": (
            "自本工单提交以来，该数据资源还没有新的数据版本。请先在数据资源页上传更正后的数据，"
            "再标记“已更正”；如数据无需更正，请选择“不予更正”并写明理由。",
            "The resource has no new data version since this ticket was filed. Upload the "
            "corrected data on the resource's page first, then mark the ticket fixed; if "
            "nothing needs correcting, reject it and give the reason.",
        ),
        "tickets.repair_upload": ("前往数据资源页上传", "Upload on the resource's page"),
        "tickets.close_accepts_repair": (
            "关闭即表示认可提供部门的更正（第 {n} 版数据）。",
            "Closing accepts the provider's correction (data version {n}).",
        ),
        "tickets.close_accepts_reason": (
            "关闭即表示认可提供部门不予更正的理由。",
            "Closing accepts the provider's reason for not correcting the data.",
        ),
        "tickets.resolution_required": (
            "请填写答复意见：更正了什么，或不予更正的理由。",
            "Please write the answer: what was corrected, or why it will not be.",
        ),
    }
)


def _list_query(listing: ListQuery) -> ListQuery:
    """``overdue=1`` (the workbench's link) and ``overdue=yes`` are one filter: keep one
    spelling, so the filter shows as chosen either way."""
    filters = dict(listing.filters)
    for name in ("overdue", "urged"):
        value = YES_NO.get(filters.get(name, "").lower())
        if value is None:
            filters.pop(name, None)
        else:
            filters[name] = "yes" if value else "no"
    return replace(listing, filters=filters)


def _filters(
    session: Session, actor: Principal, locale: str
) -> list[tuple[str, str, list[tuple[str, str]]]]:
    def _(key: str) -> str:
        return translate(key, locale)

    filters = [
        (
            "status",
            _("common.status"),
            [(s.value, _(f"state.correction_ticket.{s.value}")) for s in TicketStatus],
        )
    ]
    # The bureau sees every provider's tickets; a provider or an operator sees few enough
    # (its own data, what it filed) that the other filters do.
    if Role.BUREAU in actor.roles:
        options = [
            (p.code, p.name.label(locale)) for p in service.ticket_providers(session, actor=actor)
        ]
        filters.append(("provider", _("tickets.provider"), options))
    filters.append(
        (
            "overdue",
            _("tickets.filter.overdue"),
            [("yes", _("tickets.overdue_yes")), ("no", _("tickets.overdue_no"))],
        )
    )
    filters.append(
        (
            "urged",
            _("tickets.filter.urged"),
            [("yes", _("tickets.urged_yes")), ("no", _("tickets.urged_no"))],
        )
    )
    return filters


@router.get("/console/tickets", response_class=HTMLResponse)
def tickets_page(
    request: Request,
    actor: TicketReader,
    session: DbSession,
    clock: AppClock,
    settings: AppSettings,
    locale: Locale,
    listing: Annotated[ListQuery, Depends(TICKETS)],
) -> HTMLResponse:
    page = service.ticket_page(session, actor=actor, clock=clock, query=_list_query(listing))
    today = service.today(clock)
    rows = [
        {
            "view": v,
            "overdue": service.is_overdue(v.ticket, today=today),
            "late_days": service.working_days_overdue(v.ticket, today=today),
        }
        for v in page.items
    ]
    return render_list(
        request,
        "quality/tickets.html",
        {
            "rows": rows,
            "filters": _filters(session, actor, locale),
            "days": settings.ticket_answer_working_days,
            "can_file": actor.has(P.TICKETS_FILE),
            "empty_hint": "tickets.empty_provider"
            if Role.PROVIDER in actor.roles
            else "tickets.empty_filer",
        },
        page=page,
        rows_template="quality/_ticket_rows.html",
    )


# --- filing -----------------------------------------------------------------------------------


def _pick_resources(
    session: Session, actor: Principal, q: str, limit: int, locale: str
) -> PickResult:
    """The resources a ticket may be filed on by this caller, as filing decides it."""
    total, found = service.pick_resources(session, actor=actor, q=q, limit=limit)
    return PickResult(
        total, [PickItem(str(r.id), f"{r.provider.name} · {r.code} · {r.name}") for r in found]
    )


add_picker("ticket_resources", P.TICKETS_FILE, _pick_resources)


def _chosen(session: Session, actor: Principal, raw: str) -> tuple[str, str] | None:
    """The picker's chosen value and its text, for a form shown again."""
    resource_id = _uuid_or_none(raw)
    found = (
        service.chosen_resource(session, actor=actor, resource_id=resource_id)
        if resource_id is not None
        else None
    )
    if found is None:
        return None
    return str(found.id), f"{found.provider.name} · {found.code} · {found.name}"


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
            "chosen": _chosen(session, actor, form.get("resource_id", "")),
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


def _uuid_or_none(raw: str) -> uuid.UUID | None:
    try:
        return uuid.UUID(raw)
    except ValueError:
        return None


def _level_or_none(raw: str) -> TargetLevel | None:
    try:
        return TargetLevel(raw)
    except ValueError:
        return None


def _form_errors(
    session: Session, actor: Principal, raw: dict[str, str], locale: str
) -> tuple[TicketCreate | None, dict[str, str]]:
    """Everything wrong with the form at once: what is missing or malformed (the schema),
    then the rules of filing on what could be read (``service.ticket_problems``)."""
    data, errors = parse_form(TicketCreate, {k: v for k, v in raw.items() if v}, locale)
    problems = service.ticket_problems(
        session,
        actor=actor,
        resource_id=_uuid_or_none(raw["resource_id"]),
        target_level=_level_or_none(raw["target_level"]),
        field_name=raw["field_name"] or None,
        row_ref=raw["row_ref"] or None,
    )
    for problem in problems:
        field = str(problem.errors[0]["field"]) if problem.errors else "__all__"
        errors.setdefault(field, problem.detail(locale))
    return (data if not errors else None), errors


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
    data, errors = _form_errors(session, actor, raw, locale)
    if data is None:
        return _form_page(
            request, actor, session, settings, form=raw, errors=errors, status_code=422
        )
    try:
        ticket = service.file_ticket(
            session, actor=actor, clock=clock, settings=settings, data=data
        )
    except SluiceError as error:
        if error.status in (403, 404):
            raise
        undo_keeping_refusal(session, error)
        return _form_page(
            request,
            actor,
            session,
            settings,
            form=raw,
            errors={"__all__": error.detail(locale)},
            status_code=error.status,
        )
    return RedirectResponse(f"/console/tickets/{ticket.id}?filed=1", status_code=303)


# --- one ticket -------------------------------------------------------------------------------


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
    urgings = service.urgings(session, actor=actor, ticket_id=ticket_id)
    today = service.today(clock)
    message = None
    if filed:
        message = translate("tickets.filed", locale, due=view.ticket.due_date.isoformat())
    elif done == "supervise":
        message = translate("tickets.supervised", locale)
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
            "can_supervise": service.can_supervise(
                actor, view.ticket, today=today, urgings=urgings
            ),
            "urgings": urgings,
            "repair": service.repair_of(session, ticket=view.ticket),
            "is_provider": actor.organization_id == view.ticket.provider_id,
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
    if name == "supervise":
        service.supervise(session, actor=actor, clock=clock, ticket_id=ticket_id, note=text or None)
    elif name == "acknowledge":
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


@router.post("/console/tickets/{ticket_id}/supervise", response_class=HTMLResponse)
async def supervise_ticket(
    request: Request,
    ticket_id: uuid.UUID,
    actor: Supervisor,
    session: DbSession,
    clock: AppClock,
    locale: Locale,
) -> Response:
    return await _act(request, actor, session, clock, locale, ticket_id, "supervise")
