"""The bureau's console pages of the channel register: the list with the form to register a
channel, one channel with its plan (changed on the same page), the move recorded step by
step, and its history. The public face of the register is on the portal's disclosures."""

from __future__ import annotations

import uuid
from typing import Annotated, Any, Final

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, Response
from sqlalchemy.orm import Session

from sluice.audit import details
from sluice.channels import service
from sluice.channels.models import OperationChannel
from sluice.channels.schemas import ChannelIn, OwnerKind
from sluice.channels.states import CHANNEL
from sluice.core.clock import Clock, local
from sluice.core.database import undo_keeping_refusal
from sluice.core.errors import SluiceError
from sluice.core.i18n import add_messages, translate
from sluice.core.paging import ListQuery
from sluice.core.permissions import Permission as P
from sluice.core.principal import Principal
from sluice.web.deps import AppClock, DbSession, Locale, Requires
from sluice.web.forms import FORM, FormErrors, see_other
from sluice.web.listing import ListSpec, render_list
from sluice.web.templating import NavItem, add_nav, render

router = APIRouter(tags=["console"])
Manager = Annotated[Principal, Depends(Requires(P.CHANNELS_MANAGE))]

CHANNELS_PAGE: Final = "/console/channels"
CHANNELS = ListSpec(
    sorts=("name", "owner", "move_by", "status"),
    filters=("status", "owner_kind"),
    default_sort="status",
)
FIELDS: Final = ("name", "owner_kind", "owner_name", "description", "plan", "move_by")

add_nav(NavItem("nav.channels", CHANNELS_PAGE, P.CHANNELS_MANAGE, "nav.section.admin", 40))
add_messages(
    {
        "nav.channels": ("运营渠道整合", "Operation channels"),
        "channels.title": ("已有公共数据运营渠道登记", "Register of existing operation channels"),
        "channels.lead": (
            "本平台是公共数据授权运营的统一渠道。各部门、县（市、区）和园区不得新建公共数据运营渠道；"
            "已建或在建的渠道在此登记，按整合计划纳入本平台统一对外服务。登记内容在门户网站信息公开页公开。",
            "The platform is the single channel for authorized operation of public data. "
            "Departments, counties and parks may not build new operation channels; those "
            "already built or being built are registered here and brought onto the platform "
            "by their plan. The register is public on the portal's disclosures page.",
        ),
        "channels.new": ("登记渠道", "Register a channel"),
        "channels.name": ("渠道名称", "Channel"),
        "channels.owner_kind": ("所属类型", "Owner type"),
        "channels.owner_name": ("所属单位", "Owner"),
        "channels.description": ("现有服务内容", "What it offers today"),
        "channels.plan": ("整合计划", "Plan for moving it"),
        "channels.move_by": ("计划纳入平台日期", "To be moved by"),
        "channels.moved_on": ("纳入平台日期", "Moved on"),
        "channels.status": ("状态", "Status"),
        "channels.overdue": ("已逾期", "Overdue"),
        "channels.search": ("渠道名称或所属单位", "Channel or owner"),
        "channels.empty": (
            "还没有登记运营渠道。部门、县（市、区）或园区已建、在建的渠道请在下方登记。",
            "No channel registered yet. Register below each channel a department, county or "
            "park has built or is building.",
        ),
        "channels.registered": ("已登记运营渠道“{name}”。", "Channel '{name}' registered."),
        "channels.saved": ("已保存。", "Saved."),
        "channels.moved_notice": ("已记录：{state}。", "Recorded: {state}."),
        "channels.edit": ("修改登记内容", "Change what is registered"),
        "channels.move": ("记录整合进度", "Record the move"),
        "channels.history": ("办理记录", "History"),
        "channels.back": ("返回渠道登记", "Back to the register"),
        "channels.time": ("时间", "Time"),
        "channels.who": ("操作人", "By"),
        "channels.what": ("事项", "What"),
        "channels.detail": ("内容", "Details"),
    }
)


def _filters(locale: str) -> list[tuple[str, str, list[tuple[str, str]]]]:
    return [
        (
            "status",
            translate("channels.status", locale),
            [(s, translate(f"state.{CHANNEL.entity}.{s}", locale)) for s in CHANNEL.states],
        ),
        (
            "owner_kind",
            translate("channels.owner_kind", locale),
            [(k.value, translate(f"vocab.channel_owner.{k.value}", locale)) for k in OwnerKind],
        ),
    ]


def _today(clock: Clock) -> Any:
    return local(clock.now()).date()


def _list_page(
    request: Request,
    actor: Principal,
    session: Session,
    clock: Clock,
    locale: str,
    listing: ListQuery,
    *,
    form: dict[str, str] | None = None,
    errors: dict[str, str] | None = None,
    message: str | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    page = service.page(session, actor=actor, query=listing)
    context = {
        "filters": _filters(locale),
        "owner_kinds": list(OwnerKind),
        "today": _today(clock),
        "overdue": service.overdue,
        "form": form or {},
        "errors": errors or {},
        "message": message,
    }
    if status_code != 200:
        full = {"listing": page.query, "page_of_rows": page, "list_id": "list", **context}
        return render(request, "channels/list.html", full, status_code=status_code)
    return render_list(
        request, "channels/list.html", context, page=page, rows_template="channels/_rows.html"
    )


def _parsed(
    session: Session,
    clock: Clock,
    errors: FormErrors,
    raw: dict[str, str],
    channel: OperationChannel | None = None,
) -> ChannelIn | None:
    """The form as the schema takes it, with the service's rules in the same round."""
    move_by = errors.date(raw["move_by"], "move_by", required=True)
    values: dict[str, Any] = {k: v for k, v in raw.items() if k != "move_by" and v != ""}
    if move_by is not None:
        values["move_by"] = move_by
    data = errors.parse(ChannelIn, values)
    errors.problems(
        service.problems(session, clock=clock, name=raw["name"], move_by=move_by, channel=channel)
    )
    return None if errors else data


async def _raw(request: Request) -> dict[str, str]:
    submitted = await request.form()
    return {k: str(submitted.get(k, "")).strip() for k in FIELDS}


@router.get(CHANNELS_PAGE, response_class=HTMLResponse)
def channels_page(
    request: Request,
    actor: Manager,
    session: DbSession,
    clock: AppClock,
    locale: Locale,
    listing: Annotated[ListQuery, Depends(CHANNELS)],
    registered: str | None = None,
) -> HTMLResponse:
    message = translate("channels.registered", locale, name=registered) if registered else None
    return _list_page(request, actor, session, clock, locale, listing, message=message)


@router.post(CHANNELS_PAGE, response_class=HTMLResponse)
async def register_channel(
    request: Request, actor: Manager, session: DbSession, clock: AppClock, locale: Locale
) -> Response:
    raw = await _raw(request)
    errors = FormErrors(locale)
    data = _parsed(session, clock, errors, raw)
    if data is not None:
        try:
            channel = service.register(session, actor=actor, clock=clock, data=data)
        except SluiceError as error:
            if error.status in (403, 404):
                raise
            undo_keeping_refusal(session, error)
            errors.refusal(error)
        else:
            return see_other(f"{CHANNELS_PAGE}/{channel.id}?done=registered")
    if FORM not in errors:
        errors.add(FORM, "form.problems")
    return _list_page(
        request,
        actor,
        session,
        clock,
        locale,
        CHANNELS(request),
        form=raw,
        errors=errors.as_dict(),
        status_code=422,
    )


def _channel_page(
    request: Request,
    actor: Principal,
    session: Session,
    clock: Clock,
    locale: str,
    channel_id: uuid.UUID,
    *,
    message: str | None = None,
    form: dict[str, str] | None = None,
    errors: dict[str, str] | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    channel = service.get(session, actor=actor, channel_id=channel_id)
    history = service.history(session, actor=actor, channel_id=channel_id)
    return render(
        request,
        "channels/detail.html",
        {
            "c": channel,
            "owner_kinds": list(OwnerKind),
            "transitions": CHANNEL.available(channel.status),
            "today": _today(clock),
            "overdue": service.overdue(channel, _today(clock)),
            "history": [(e, details.describe(e, locale)) for e in history],
            "message": message,
            "form": form
            or {
                "name": channel.name,
                "owner_kind": channel.owner_kind,
                "owner_name": channel.owner_name,
                "description": channel.description,
                "plan": channel.plan,
                "move_by": channel.move_by.isoformat(),
            },
            "errors": errors or {},
        },
        status_code=status_code,
    )


_DONE: Final = {"registered", "saved", "moved"}


@router.get(CHANNELS_PAGE + "/{channel_id}", response_class=HTMLResponse)
def channel_page(
    request: Request,
    channel_id: uuid.UUID,
    actor: Manager,
    session: DbSession,
    clock: AppClock,
    locale: Locale,
    done: str | None = None,
) -> HTMLResponse:
    message = None
    if done in _DONE:
        channel = service.get(session, actor=actor, channel_id=channel_id)
        state = translate(f"state.{CHANNEL.entity}.{channel.status}", locale)
        message = {
            "registered": translate("channels.registered", locale, name=channel.name),
            "saved": translate("channels.saved", locale),
            "moved": translate("channels.moved_notice", locale, state=state),
        }[done]
    return _channel_page(request, actor, session, clock, locale, channel_id, message=message)


@router.post(CHANNELS_PAGE + "/{channel_id}", response_class=HTMLResponse)
async def change_channel(
    request: Request,
    channel_id: uuid.UUID,
    actor: Manager,
    session: DbSession,
    clock: AppClock,
    locale: Locale,
) -> Response:
    channel = service.get(session, actor=actor, channel_id=channel_id)
    raw = await _raw(request)
    errors = FormErrors(locale)
    data = _parsed(session, clock, errors, raw, channel)
    if data is not None:
        try:
            service.change(session, actor=actor, clock=clock, channel_id=channel_id, data=data)
        except SluiceError as error:
            if error.status in (403, 404):
                raise
            undo_keeping_refusal(session, error)
            errors.refusal(error)
        else:
            return see_other(f"{CHANNELS_PAGE}/{channel_id}?done=saved")
    if FORM not in errors:
        errors.add(FORM, "form.problems")
    return _channel_page(
        request,
        actor,
        session,
        clock,
        locale,
        channel_id,
        form=raw,
        errors=errors.as_dict(),
        status_code=422,
    )


@router.post(CHANNELS_PAGE + "/{channel_id}/status", response_class=HTMLResponse)
async def advance_channel(
    request: Request,
    channel_id: uuid.UUID,
    actor: Manager,
    session: DbSession,
    clock: AppClock,
    locale: Locale,
) -> Response:
    transition = str((await request.form()).get("transition", ""))
    try:
        service.advance(
            session, actor=actor, clock=clock, channel_id=channel_id, transition=transition
        )
    except SluiceError as error:
        if error.status in (403, 404):
            raise
        undo_keeping_refusal(session, error)
        return _channel_page(
            request,
            actor,
            session,
            clock,
            locale,
            channel_id,
            errors={FORM: error.detail(locale)},
            status_code=error.status,
        )
    return see_other(f"{CHANNELS_PAGE}/{channel_id}?done=moved")
