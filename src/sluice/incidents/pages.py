"""Console pages of the security incidents (R8.12, R8.13): the list (the bureau sees every
incident, an operator its own), the form to report one (the bureau's opened from an alert
with ``?alert=<id>``), one incident with its timeline and the forms of its next step, the
major incident's rectification order, and the incident report as PDF. Thin: each action
is one call of ``service``."""

from __future__ import annotations

import uuid
from typing import Annotated, Any, Final
from urllib.parse import quote

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import HTMLResponse, Response
from sqlalchemy.orm import Session

from sluice.alerts import service as alerts
from sluice.alerts.models import Alert
from sluice.core.database import undo_keeping_refusal
from sluice.core.errors import InvalidInput, SluiceError
from sluice.core.i18n import add_messages, translate
from sluice.core.paging import ListQuery
from sluice.core.permissions import Permission as P
from sluice.core.principal import Principal
from sluice.incidents import repository as repo
from sluice.incidents import service
from sluice.incidents import states as st
from sluice.incidents.report_render import render_pdf
from sluice.web.deps import AppClock, AppSettings, DbSession, Locale, Requires
from sluice.web.forms import FORM, FieldProblem, parse_date, see_other
from sluice.web.listing import ListSpec, render_list
from sluice.web.templating import NavItem, add_nav, render

router = APIRouter(tags=["console"])

Reader = Annotated[Principal, Depends(Requires(P.INCIDENTS_READ))]
Responder = Annotated[Principal, Depends(Requires(P.INCIDENTS_RESPOND))]
Handler = Annotated[Principal, Depends(Requires(P.INCIDENTS_HANDLE))]

LIST: Final = "/console/incidents"
INCIDENTS = ListSpec(
    sorts=("reported", "updated", "status", "severity"),
    filters=("status", "severity"),
    default_sort="-reported",
)
_DONE: Final = (
    "reported",
    "contain",
    "investigate",
    "report_upward",
    "close",
    "note",
    "special_report",
    "rectification",
)

add_nav(NavItem("nav.incidents", LIST, P.INCIDENTS_READ, order=73))
add_messages(
    {
        "nav.incidents": ("安全事件", "Security incidents"),
        "incident_page.title": ("安全事件", "Security incidents"),
        "incident_page.lead_bureau": (
            "平台发生安全事件或信息泄露时，立即启动应急预案：报告、隔离数据和暂停操作、溯源排查、"
            "上报上级监管部门，事后复盘结案。每一步记录处置人、时间和情况。",
            "When a security incident or a leak happens, the emergency plan starts: report it, "
            "isolate the data and suspend operations, trace it, report it to the supervising "
            "authorities, and close it with a review. Each step records who, when and what.",
        ),
        "incident_page.lead_operator": (
            "发现数据安全事件或信息泄露隐患时，第一时间隔离涉事数据、暂停相关操作，并在此向数据局报告；"
            "事后提交专项报告。这里只列出贵单位的事件。",
            "When you find a data-security incident or a risk of a leak, isolate the data and "
            "suspend the operations at once and report it to the bureau here; file a special "
            "report afterwards. Only your company's incidents are listed.",
        ),
        "incident_page.search": ("编号、标题或运营机构", "Number, title or operator"),
        "incident_page.empty": ("没有安全事件。", "No security incidents."),
        "incident_page.new": ("报告安全事件", "Report an incident"),
        "incident_page.open_from_alert": ("转为安全事件处置", "Open an incident from it"),
        "incident_page.number": ("编号", "No."),
        "incident_page.incident_title": ("标题", "Title"),
        "incident_page.severity": ("级别", "Severity"),
        "incident_page.operator": ("涉及运营机构", "Operator concerned"),
        "incident_page.operator_none": ("不涉及运营机构", "No operator"),
        "incident_page.status": ("状态", "Status"),
        "incident_page.status_open": ("处置中", "Being handled"),
        "incident_page.reported": ("报告时间", "Reported"),
        "incident_page.updated": ("最近处置", "Last step"),
        "incident_page.alerts": ("告警", "Alerts"),
        "incident_page.description": ("事件描述", "Description"),
        "incident_page.from_alert": ("由以下告警发起", "Opened from this alert"),
        "incident_page.alert_rule": ("规则", "Rule"),
        "incident_page.alert_subject": ("对象", "Subject"),
        "incident_page.alert_window": ("时间窗口", "Window"),
        "incident_page.alert_observed": ("观测值 / 阈值", "Observed / threshold"),
        "incident_page.alert_status": ("告警状态", "Alert status"),
        "incident_page.submit_report": ("报告事件", "Report the incident"),
        "incident_page.timeline": ("处置经过", "Timeline"),
        "incident_page.next_step": ("下一步", "Next step"),
        "incident_page.note": ("情况说明", "What was done"),
        "incident_page.note.contain": (
            "采取了哪些措施、涉及哪些数据和操作",
            "Which measures, on which data and operations",
        ),
        "incident_page.note.investigate": (
            "溯源排查结论：原因、影响范围、是否造成泄露",
            "What the investigation found: the cause, what it reached, whether data leaked",
        ),
        "incident_page.note.report_upward": ("上报的内容", "What was reported"),
        "incident_page.note.close": (
            "复盘：处置效果评估、经验教训和应急机制的改进",
            "Review: how the response went, the lessons and what changes in the plan",
        ),
        "incident_page.measures": ("处置措施", "Measures"),
        "incident_page.recipient": ("上报对象", "Reported to"),
        "incident_page.agreement": ("授权运营协议", "Agreement"),
        "incident_page.deadline": ("整改期限", "Deadline"),
        "incident_page.review": ("复盘", "Review"),
        "incident_page.add_note": ("补充处置记录", "Add a note"),
        "incident_page.special_report": ("提交专项报告", "File the special report"),
        "incident_page.special_help": (
            "事后形成专项报告：事件经过、原因、影响、处置和完善内部安全管控的措施。",
            "The special report afterwards: what happened, why, the impact, the response and "
            "how internal controls are improved.",
        ),
        "incident_page.rectification": ("下达整改通知", "Order rectification"),
        "incident_page.rectification_help": (
            "重大安全事件可依授权运营协议责令运营机构限期整改（整改理由：重大安全事件）。",
            "A major incident may order the operator to rectify by a deadline under its "
            "agreement (grounds: major security incident).",
        ),
        "incident_page.rectification_text": ("整改要求", "What must be rectified"),
        "incident_page.rectification_issued": (
            "已下达整改通知：协议 {agreement}，期限 {deadline}（{status}）",
            "Rectification ordered: agreement {agreement}, by {deadline} ({status})",
        ),
        "incident_page.no_agreement": (
            "该运营机构没有生效中的授权运营协议，无法下达整改通知。",
            "The operator holds no agreement in force, so no rectification can be ordered.",
        ),
        "incident_page.report_pdf": (
            "下载事件处置报告（PDF）",
            "Download the incident report (PDF)",
        ),
        "incident_page.back": ("返回安全事件", "Back to the incidents"),
        "incident_page.by": ("{name}（{organization}）", "{name} ({organization})"),
        "incident_page.done.reported": ("事件已报告。", "The incident is reported."),
        "incident_page.done.contain": ("已记录处置措施。", "The containment is recorded."),
        "incident_page.done.investigate": (
            "已记录溯源排查结论。",
            "The investigation is recorded.",
        ),
        "incident_page.done.report_upward": ("已记录上报情况。", "The report upward is recorded."),
        "incident_page.done.close": ("事件已复盘结案。", "The incident is closed with its review."),
        "incident_page.done.note": ("已补充处置记录。", "The note is added."),
        "incident_page.done.special_report": ("专项报告已提交。", "The special report is filed."),
        "incident_page.done.rectification": ("整改通知已下达。", "Rectification is ordered."),
    }
)


def _filters(locale: str) -> list[tuple[str, str, list[tuple[str, str]]]]:
    machine = st.INCIDENT
    return [
        (
            "status",
            translate("incident_page.status", locale),
            [("open", translate("incident_page.status_open", locale))]
            + [(s, translate(f"state.{machine.entity}.{s}", locale)) for s in machine.states],
        ),
        (
            "severity",
            translate("incident_page.severity", locale),
            [(s, translate(f"incident_severity.{s}", locale)) for s in service.SEVERITIES],
        ),
    ]


def _errors(error: SluiceError, locale: str) -> dict[str, str]:
    fields = [e.get("field") for e in error.errors] if isinstance(error, InvalidInput) else []
    name = next((f for f in fields if isinstance(f, str) and f), FORM)
    return {name: error.detail(locale)}


@router.get(LIST, response_class=HTMLResponse)
def incidents_page(
    request: Request,
    actor: Reader,
    session: DbSession,
    locale: Locale,
    listing: Annotated[ListQuery, Depends(INCIDENTS)],
) -> HTMLResponse:
    page = service.page(session, actor, listing)
    context: dict[str, Any] = {
        "filters": _filters(locale),
        "can_report": actor.has(P.INCIDENTS_RESPOND),
        "sees_all": repo.sees_all(actor),
    }
    return render_list(
        request,
        "incidents/list.html",
        context,
        page=page,
        rows_template="incidents/_rows.html",
    )


def _alert_of(session: Session, actor: Principal, alert_id: uuid.UUID | None) -> Alert | None:
    if alert_id is None:
        return None
    return alerts.get_alert(session, actor=actor, alert_id=alert_id)


def _new_page(
    request: Request,
    actor: Principal,
    session: Session,
    *,
    alert: Alert | None,
    form: dict[str, str] | None = None,
    errors: dict[str, str] | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    context: dict[str, Any] = {
        "alert": alert,
        "severities": service.SEVERITIES,
        "operators": repo.operators(session) if repo.sees_all(actor) else [],
        "sees_all": repo.sees_all(actor),
        "form": form or {},
        "errors": errors or {},
    }
    return render(request, "incidents/new.html", context, status_code=status_code)


@router.get(LIST + "/new", response_class=HTMLResponse)
def new_incident_page(
    request: Request,
    actor: Responder,
    session: DbSession,
    alert: Annotated[uuid.UUID | None, Query()] = None,
) -> HTMLResponse:
    found = _alert_of(session, actor, alert)
    form: dict[str, str] = {}
    if found is not None:
        form = {
            "severity": "major" if found.severity == "critical" else "general",
            "operator_id": str(found.organization_id or ""),
        }
    return _new_page(request, actor, session, alert=found, form=form)


def _uuid(value: str) -> uuid.UUID | None:
    try:
        return uuid.UUID(value) if value else None
    except ValueError:
        return None


@router.post(LIST, response_class=HTMLResponse)
async def report_incident(
    request: Request,
    actor: Responder,
    session: DbSession,
    clock: AppClock,
    locale: Locale,
) -> Response:
    submitted = await request.form()
    raw = {
        k: str(submitted.get(k) or "").strip()
        for k in ("title", "description", "severity", "operator_id", "alert_id")
    }
    alert_id = _uuid(raw["alert_id"])
    try:
        opened = service.open_incident(
            session,
            actor=actor,
            at=clock.now(),
            title=raw["title"],
            description=raw["description"],
            severity=raw["severity"],
            operator_id=_uuid(raw["operator_id"]),
            alert_ids=[alert_id] if alert_id else [],
        )
    except SluiceError as error:
        if error.status in (403, 404):
            raise
        undo_keeping_refusal(session, error)
        return _new_page(
            request,
            actor,
            session,
            alert=_alert_of(session, actor, alert_id),
            form=raw,
            errors=_errors(error, locale),
            status_code=error.status,
        )
    return see_other(f"{LIST}/{opened.id}?done=reported")


def _refused(
    request: Request,
    actor: Principal,
    session: Session,
    locale: str,
    incident_id: uuid.UUID,
    error: SluiceError,
    form: dict[str, str] | None = None,
) -> HTMLResponse:
    """A step refused: the incident's page again with the refusal on its form (what may
    not be seen or done stays a 404 or 403)."""
    if error.status in (403, 404):
        raise error
    undo_keeping_refusal(session, error)
    return _incident_page(
        request,
        actor,
        session,
        locale,
        incident_id,
        errors=_errors(error, locale),
        form=form,
        status_code=error.status,
    )


def _incident_page(
    request: Request,
    actor: Principal,
    session: Session,
    locale: str,
    incident_id: uuid.UUID,
    *,
    done: str | None = None,
    errors: dict[str, str] | None = None,
    form: dict[str, str] | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    found = service.incident(session, actor, incident_id)
    steps = service.timeline(session, actor, found)
    available = [t for t in st.INCIDENT.available(found.status) if actor.has(t.permission)]
    order = service.rectification(session, found)
    can_rectify = (
        actor.has(P.INCIDENTS_HANDLE)
        and found.severity == "major"
        and found.operator_id is not None
        and order is None
    )
    context: dict[str, Any] = {
        "incident": found,
        "operator": service.operator_name(session, found),
        "steps": [(s, service.step_facts(s, locale)) for s in steps],
        "alerts": service.alerts_behind(session, actor, found),
        "next": available[0] if available else None,
        "measures": service.MEASURES,
        "can_note": actor.has(P.INCIDENTS_RESPOND) and found.status != st.CLOSED,
        "can_special": found.operator_id is not None
        and actor.organization_id == found.operator_id
        and actor.has(P.INCIDENTS_RESPOND),
        "order": order,
        "order_agreement": service.rectification_agreement(session, order) if order else "",
        "can_rectify": can_rectify,
        "agreements": service.agreements_in_force(session, found.operator_id)
        if can_rectify and found.operator_id
        else [],
        "notice": translate(f"incident_page.done.{done}", locale) if done in _DONE else None,
        "errors": errors or {},
        "form": form or {},
    }
    return render(request, "incidents/detail.html", context, status_code=status_code)


@router.get(LIST + "/{incident_id}", response_class=HTMLResponse)
def incident_page(
    request: Request,
    incident_id: uuid.UUID,
    actor: Reader,
    session: DbSession,
    locale: Locale,
    done: Annotated[str | None, Query(max_length=20)] = None,
) -> HTMLResponse:
    return _incident_page(request, actor, session, locale, incident_id, done=done)


@router.post(LIST + "/{incident_id}/steps", response_class=HTMLResponse)
async def advance_incident(
    request: Request,
    incident_id: uuid.UUID,
    actor: Responder,
    session: DbSession,
    clock: AppClock,
    locale: Locale,
) -> Response:
    """The next step: the transition's own permission is checked by the machine (the
    operator contains its own incident; the rest is the bureau's)."""
    submitted = await request.form()
    transition = str(submitted.get("transition") or "")
    note = str(submitted.get("note") or "")
    recipient = str(submitted.get("recipient") or "")
    measures = [m for m in submitted.getlist("measures") if isinstance(m, str)]
    try:
        service.advance(
            session,
            actor=actor,
            at=clock.now(),
            incident_id=incident_id,
            transition=transition,
            note=note,
            measures=measures,
            recipient=recipient,
        )
    except SluiceError as error:
        return _refused(
            request,
            actor,
            session,
            locale,
            incident_id,
            error,
            form={"note": note, "recipient": recipient, "measures": ",".join(measures)},
        )
    return see_other(f"{LIST}/{incident_id}?done={transition}")


@router.post(LIST + "/{incident_id}/notes", response_class=HTMLResponse)
async def note_incident(
    request: Request,
    incident_id: uuid.UUID,
    actor: Responder,
    session: DbSession,
    clock: AppClock,
    locale: Locale,
) -> Response:
    submitted = await request.form()
    note = str(submitted.get("note") or "")
    special = submitted.get("special") == "1"
    try:
        service.add_note(
            session,
            actor=actor,
            at=clock.now(),
            incident_id=incident_id,
            note=note,
            special=special,
        )
    except SluiceError as error:
        return _refused(request, actor, session, locale, incident_id, error)
    return see_other(f"{LIST}/{incident_id}?done={'special_report' if special else 'note'}")


@router.post(LIST + "/{incident_id}/rectification", response_class=HTMLResponse)
async def rectify_incident(
    request: Request,
    incident_id: uuid.UUID,
    actor: Handler,
    session: DbSession,
    clock: AppClock,
    settings: AppSettings,
    locale: Locale,
) -> Response:
    submitted = await request.form()
    raw = {
        k: str(submitted.get(k) or "").strip()
        for k in ("authorization_id", "description", "deadline")
    }
    try:
        try:
            deadline = parse_date(raw["deadline"], "deadline")
        except FieldProblem as problem:
            raise InvalidInput(
                problem.key, errors=[{"field": "deadline", "type": "date"}], **problem.params
            ) from None
        agreement = _uuid(raw["authorization_id"])
        if agreement is None:
            raise InvalidInput(
                "incident.agreement_not_operator",
                errors=[{"field": "authorization_id", "type": "choice"}],
            )
        service.order_rectification(
            session,
            actor=actor,
            at=clock.now(),
            settings=settings,
            incident_id=incident_id,
            authorization_id=agreement,
            description=raw["description"],
            deadline=deadline,
        )
    except SluiceError as error:
        return _refused(request, actor, session, locale, incident_id, error, form=raw)
    return see_other(f"{LIST}/{incident_id}?done=rectification")


@router.get(LIST + "/{incident_id}/report.pdf")
def incident_report(
    incident_id: uuid.UUID,
    actor: Reader,
    session: DbSession,
    clock: AppClock,
    locale: Locale,
) -> Response:
    document = service.report(
        session, actor=actor, at=clock.now(), incident_id=incident_id, locale=locale
    )
    name = f"{translate('incident_report.title', locale)}-{document.number}.pdf"
    return Response(
        render_pdf(document),
        media_type="application/pdf",
        headers={
            "Content-Disposition": f"attachment; filename*=UTF-8''{quote(name)}",
            "X-Content-Type-Options": "nosniff",
        },
    )
