"""Security incidents run by plan (R8.12, R8.13). Keyword-only, no HTTP, no commit.

* ``open_incident``: an incident is reported, by the bureau (often from the alerts behind
  it, which are escalated to it) or by an operator about itself (一旦发现数据安全事件……同步向
  实施机构报告). It is numbered 营数安〔year〕n号 and starts its timeline.
* ``advance``: each transition of ``states.INCIDENT`` is a step of the timeline with who,
  when and what: the measures that contained it (data isolated, operations suspended, the
  loss stopped), what the investigation found, to whom it was reported upward, and the
  review it was closed with (复盘). Each is audited by the machine.
* ``add_note``: a note on the timeline, or the operator's special report after the event
  (事后形成专项报告).
* ``order_rectification``: a major incident of an operator opens a rectification order
  through ``authorizations.exits.issue_rectification`` (grounds ``major_incident``), on one
  of the operator's agreements in force; the order is linked and on the timeline.
* The bureau sees every incident, an operator its own only (``repository``).
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Mapping, Sequence
from datetime import date, datetime
from typing import Any, Final

from pydantic import ValidationError
from sqlalchemy import select
from sqlalchemy.orm import Session

from sluice.alerts import service as alerts
from sluice.alerts.models import Alert
from sluice.audit import details as audit_details
from sluice.audit import service as audit
from sluice.authorizations import exits, numbering
from sluice.authorizations import states as agreement_states
from sluice.authorizations.models import Authorization, RectificationOrder
from sluice.authorizations.schemas import RectificationIn
from sluice.core import dates
from sluice.core.errors import Conflict, InvalidInput, NotFound
from sluice.core.i18n import add_messages, translate
from sluice.core.paging import ListQuery, Page
from sluice.core.permissions import OrgKind, Permission
from sluice.core.principal import Principal
from sluice.core.settings import Settings
from sluice.incidents import repository as repo
from sluice.incidents import states as st
from sluice.incidents.models import IncidentAlert, IncidentStep, SecurityIncident
from sluice.incidents.report_render import (
    IncidentReport,
    ReportAlert,
    ReportRectification,
    ReportStep,
)

#: The document number's prefix: 营数安〔2026〕1号.
NUMBER_KIND: Final = "营数安"
SEVERITIES: Final = ("general", "major")
#: The emergency measures a containment records (R8.12 数据止损, R8.13 隔离涉事数据、暂停相关操作).
MEASURES: Final = ("data_isolated", "operations_suspended", "loss_stopped")
#: Steps that are not transitions.
REPORTED_STEP: Final = "reported"
NOTE: Final = "note"
SPECIAL_REPORT: Final = "special_report"
RECTIFICATION: Final = "rectification"
ALERT_LINKED: Final = "alert_linked"
#: The agreement states in which a rectification may be ordered (``exits``).
IN_FORCE: Final = (
    agreement_states.ACTIVE,
    agreement_states.SUSPENDED,
    agreement_states.EXPIRING,
    agreement_states.RENEWED,
)
MAX_TEXT: Final = 8000
#: A review says what happened, what worked and what changes: more than a word or two.
MIN_REVIEW: Final = 10

REPORTED_ACTION: Final = "security_incident.reported"
NOTED_ACTION: Final = "security_incident.noted"
SPECIAL_ACTION: Final = "security_incident.special_report"
RECTIFICATION_ACTION: Final = "security_incident.rectification_ordered"
LINKED_ACTION: Final = "security_incident.alert_linked"

audit.declare_actions(
    {
        REPORTED_ACTION: ("报告安全事件", "Security incident reported"),
        NOTED_ACTION: ("记录事件处置情况", "Incident note added"),
        SPECIAL_ACTION: ("提交事件专项报告", "Special incident report filed"),
        RECTIFICATION_ACTION: ("因重大安全事件下达整改", "Rectification ordered for an incident"),
        LINKED_ACTION: ("告警关联到安全事件", "Alert linked to an incident"),
    }
)
audit.declare_target_types({"security_incident": ("安全事件", "Security incident")})
audit_details.declare_detail_labels(
    {
        "measures": ("处置措施", "Measures"),
        "recipient": ("上报对象", "Reported to"),
        "agreement": ("授权运营协议", "Agreement"),
        "alert": ("安全告警", "Alert"),
    }
)
audit_details.declare_detail_values("measures", "incident_measure.{value}")
audit_details.declare_detail_values("severity", "incident_severity.{value}")

add_messages(
    {
        "incident_severity.general": ("一般", "General"),
        "incident_severity.major": ("重大", "Major"),
        "incident_measure.data_isolated": ("已隔离涉事数据", "Data isolated"),
        "incident_measure.operations_suspended": ("已暂停相关操作", "Operations suspended"),
        "incident_measure.loss_stopped": ("已采取数据止损措施", "Loss stopped"),
        "incident_step.reported": ("报告事件", "Reported"),
        "incident_step.contain": ("采取处置措施", "Contained"),
        "incident_step.investigate": ("溯源排查", "Investigated"),
        "incident_step.report_upward": ("上报上级监管部门", "Reported upward"),
        "incident_step.close": ("复盘结案", "Closed with a review"),
        "incident_step.note": ("处置记录", "Note"),
        "incident_step.special_report": ("运营机构专项报告", "Operator's special report"),
        "incident_step.rectification": ("下达整改通知", "Rectification ordered"),
        "incident_step.alert_linked": ("关联告警", "Alert linked"),
        "incident.not_found": (
            "没有这个安全事件，或您无权查看。",
            "There is no such security incident, or you may not see it.",
        ),
        "incident.title_length": (
            "事件标题须为 2 至 200 个字符。",
            "The title is 2 to 200 characters long.",
        ),
        "incident.text_length": (
            "须为 {min} 至 {max} 个字符。",
            "{min} to {max} characters.",
        ),
        "incident.severity_unknown": (
            "请选择事件级别：一般或重大。",
            "Choose the severity: general or major.",
        ),
        "incident.operator_unknown": (
            "所选单位不是平台上的运营机构。",
            "The organization chosen is not an operator on the platform.",
        ),
        "incident.not_reporter": (
            "只有数据局和运营机构报告安全事件。",
            "Only the bureau and operators report security incidents.",
        ),
        "incident.alerts_bureau_only": (
            "只有数据局可以将安全告警转为事件。",
            "Only the bureau turns security alerts into incidents.",
        ),
        "incident.measures_required": (
            "请至少勾选一项已采取的处置措施。",
            "Tick at least one measure taken.",
        ),
        "incident.recipient_length": (
            "请写明上报的上级监管部门，2 至 200 个字符。",
            "Name the authority it was reported to, 2 to 200 characters.",
        ),
        "incident.closed": (
            "事件已结案，不能再补充记录。",
            "The incident is closed; nothing more can be added.",
        ),
        "incident.special_report_operator": (
            "专项报告由事件涉及的运营机构提交。",
            "The special report is filed by the operator the incident concerns.",
        ),
        "incident.not_major": (
            "只有重大安全事件据此下达整改通知。",
            "Only a major incident orders rectification on these grounds.",
        ),
        "incident.no_operator": (
            "事件未涉及运营机构，无从下达整改。",
            "The incident concerns no operator, so there is no one to order rectification of.",
        ),
        "incident.rectification_exists": (
            "该事件已下达整改通知。",
            "A rectification order was already issued for this incident.",
        ),
        "incident.agreement_not_operator": (
            "请选择该运营机构生效中的授权运营协议。",
            "Choose an agreement in force of the operator concerned.",
        ),
        "incident.rectification_text": (
            "整改要求须为 2 至 4000 个字符。",
            "The rectification's requirements are 2 to 4000 characters long.",
        ),
        "incident.deadline_range": (
            "整改期限须在 {earliest} 至 {latest} 之间。",
            "The deadline must lie between {earliest} and {latest}.",
        ),
        "incident.alert_linked": (
            "该告警已关联到这个事件。",
            "The alert is already linked to this incident.",
        ),
    }
)


def _invalid(key: str, field: str, **params: object) -> InvalidInput:
    return InvalidInput(key, errors=[{"field": field, "type": key.rsplit(".", 1)[-1]}], **params)


def _text(value: str, field: str, *, least: int = 2, most: int = MAX_TEXT) -> str:
    text = value.strip()
    if not least <= len(text) <= most:
        raise _invalid("incident.text_length", field, min=least, max=most)
    return text


def _step(
    session: Session,
    incident: SecurityIncident,
    *,
    actor: Principal,
    at: datetime,
    kind: str,
    note: str,
    detail: Mapping[str, Any] | None = None,
) -> IncidentStep:
    organization = (
        repo.organizations(session, [actor.organization_id]).get(actor.organization_id)
        if actor.organization_id
        else None
    )
    step = IncidentStep(
        incident_id=incident.id,
        position=repo.next_position(session, incident.id),
        kind=kind,
        status=incident.status,
        note=note,
        detail=dict(detail or {}),
        actor=actor.username,
        actor_name=actor.display_name or actor.username,
        actor_organization=organization.name if organization else None,
        at=at,
    )
    session.add(step)
    incident.updated_at = at
    session.flush()
    return step


def _operator_of(session: Session, operator_id: uuid.UUID) -> uuid.UUID:
    found = repo.organizations(session, [operator_id]).get(operator_id)
    if found is None or found.kind != OrgKind.OPERATOR:
        raise _invalid("incident.operator_unknown", "operator_id")
    return found.id


def open_incident(
    session: Session,
    *,
    actor: Principal,
    at: datetime,
    title: str,
    description: str,
    severity: str,
    operator_id: uuid.UUID | None = None,
    alert_ids: Sequence[uuid.UUID] = (),
) -> SecurityIncident:
    """Report an incident. An operator reports its own (whatever operator it names); the
    bureau names the operator concerned, if any, or it is taken from the alerts it opens
    the incident from (a workspace's operator). The alerts are escalated to it."""
    actor.require(Permission.INCIDENTS_RESPOND)
    if actor.organization_kind == OrgKind.OPERATOR and actor.organization_id is not None:
        operator_id = actor.organization_id
        if alert_ids:
            raise Conflict("incident.alerts_bureau_only")
    elif not repo.sees_all(actor):
        raise Conflict("incident.not_reporter")
    title = title.strip()
    if not 2 <= len(title) <= 200:
        raise _invalid("incident.title_length", "title")
    text = _text(description, "description")
    if severity not in SEVERITIES:
        raise _invalid("incident.severity_unknown", "severity")
    found: list[Alert] = []
    if alert_ids:
        actor.require(Permission.ALERTS_HANDLE)
        found = [
            alerts.get_alert(session, actor=actor, alert_id=a) for a in dict.fromkeys(alert_ids)
        ]
    if operator_id is None:
        behind = repo.organizations(
            session, [a.organization_id for a in found if a.organization_id]
        )
        operators = [o.id for o in behind.values() if o.kind == OrgKind.OPERATOR]
        operator_id = operators[0] if len(operators) == 1 else None
    elif repo.sees_all(actor):
        operator_id = _operator_of(session, operator_id)
    incident = SecurityIncident(
        number=numbering.next_number(session, NUMBER_KIND, at),
        title=title,
        severity=severity,
        operator_id=operator_id,
        description=text,
        status=st.INCIDENT.initial,
        reported_by=actor.username,
        reported_by_name=actor.display_name or actor.username,
        reported_at=at,
        updated_at=at,
    )
    session.add(incident)
    session.flush()
    audit.record(
        session,
        actor=actor,
        action=REPORTED_ACTION,
        target_type="security_incident",
        target_id=incident.id,
        at=at,
        detail={"number": incident.number, "severity": severity, "title": title},
    )
    _step(
        session,
        incident,
        actor=actor,
        at=at,
        kind=REPORTED_STEP,
        note=text,
        detail={"severity": severity, "alerts": [str(a.id) for a in found]},
    )
    for alert in found:
        _link(session, incident, alert, actor=actor, at=at)
    return incident


def _link(
    session: Session, incident: SecurityIncident, alert: Alert, *, actor: Principal, at: datetime
) -> None:
    session.add(IncidentAlert(incident_id=incident.id, alert_id=alert.id))
    alerts.mark_escalated(session, actor=actor, at=at, alert_id=alert.id, incident_id=incident.id)
    session.flush()


def link_alert(
    session: Session, *, actor: Principal, at: datetime, incident_id: uuid.UUID, alert_id: uuid.UUID
) -> SecurityIncident:
    """Link one more alert to an open incident (escalating it), as the bureau."""
    actor.require(Permission.INCIDENTS_HANDLE)
    actor.require(Permission.ALERTS_HANDLE)
    incident = _seen(session, actor, incident_id, for_update=True)
    if incident.status == st.CLOSED:
        raise Conflict("incident.closed")
    alert = alerts.get_alert(session, actor=actor, alert_id=alert_id)
    if incident.id in repo.incidents_of_alert(session, alert.id):
        raise Conflict("incident.alert_linked")
    _link(session, incident, alert, actor=actor, at=at)
    label = f"{alert.rule} · {alert.subject_label}"
    _step(
        session,
        incident,
        actor=actor,
        at=at,
        kind=ALERT_LINKED,
        note=label,
        detail={"alert": str(alert.id)},
    )
    audit.record(
        session,
        actor=actor,
        action=LINKED_ACTION,
        target_type="security_incident",
        target_id=incident.id,
        at=at,
        detail={"alert": str(alert.id)},
    )
    return incident


def _seen(
    session: Session, actor: Principal, incident_id: uuid.UUID, *, for_update: bool = False
) -> SecurityIncident:
    found = repo.incident_for(session, actor, incident_id, for_update=for_update)
    if found is None:
        raise NotFound("incident.not_found")
    return found


def advance(
    session: Session,
    *,
    actor: Principal,
    at: datetime,
    incident_id: uuid.UUID,
    transition: str,
    note: str,
    measures: Iterable[str] = (),
    recipient: str = "",
) -> SecurityIncident:
    """Fire one transition of the incident, as a step of its timeline.

    ``contain`` needs at least one of ``MEASURES`` and a note of what was done;
    ``investigate`` the findings (cause, what it reached); ``report_upward`` the
    ``recipient`` and what was reported; ``close`` the review (复盘)."""
    actor.require(Permission.INCIDENTS_READ)
    incident = _seen(session, actor, incident_id, for_update=True)
    st.INCIDENT.require(incident, transition)
    detail: dict[str, Any] = {}
    text = _text(note, "note", least=MIN_REVIEW if transition == "close" else 2)
    if transition == "contain":
        taken = [m for m in MEASURES if m in set(measures)]
        if not taken:
            raise _invalid("incident.measures_required", "measures")
        detail["measures"] = taken
    if transition == "report_upward":
        to = recipient.strip()
        if not 2 <= len(to) <= 200:
            raise _invalid("incident.recipient_length", "recipient")
        detail["recipient"] = to
    st.INCIDENT.fire(
        incident,
        transition,
        session=session,
        actor=actor,
        at=at,
        detail={"number": incident.number, **detail},
    )
    if transition == "close":
        incident.review = text
        incident.closed_at = at
    _step(session, incident, actor=actor, at=at, kind=transition, note=text, detail=detail)
    return incident


def add_note(
    session: Session,
    *,
    actor: Principal,
    at: datetime,
    incident_id: uuid.UUID,
    note: str,
    special: bool = False,
) -> SecurityIncident:
    """A note on the timeline of an open incident; or, with ``special``, the special
    report of the operator it concerns (also after it was closed)."""
    actor.require(Permission.INCIDENTS_RESPOND)
    incident = _seen(session, actor, incident_id, for_update=True)
    text = _text(note, "note")
    if special:
        if incident.operator_id is None or actor.organization_id != incident.operator_id:
            raise Conflict("incident.special_report_operator")
    elif incident.status == st.CLOSED:
        raise Conflict("incident.closed")
    kind = SPECIAL_REPORT if special else NOTE
    _step(session, incident, actor=actor, at=at, kind=kind, note=text)
    audit.record(
        session,
        actor=actor,
        action=SPECIAL_ACTION if special else NOTED_ACTION,
        target_type="security_incident",
        target_id=incident.id,
        at=at,
        detail={"number": incident.number},
    )
    return incident


def order_rectification(
    session: Session,
    *,
    actor: Principal,
    at: datetime,
    settings: Settings,
    incident_id: uuid.UUID,
    authorization_id: uuid.UUID,
    description: str,
    deadline: date,
) -> RectificationOrder:
    """A major incident orders the operator concerned to rectify, by ``deadline``, under
    one of its agreements in force (``exits.issue_rectification``, grounds
    ``major_incident``)."""
    actor.require(Permission.INCIDENTS_HANDLE)
    incident = _seen(session, actor, incident_id, for_update=True)
    if incident.severity != "major":
        raise Conflict("incident.not_major")
    if incident.operator_id is None:
        raise Conflict("incident.no_operator")
    if incident.rectification_id is not None:
        raise Conflict("incident.rectification_exists")
    agreement = session.get(Authorization, authorization_id)
    if agreement is None or agreement.operator_id != incident.operator_id:
        raise _invalid("incident.agreement_not_operator", "authorization_id")
    try:
        data = RectificationIn(
            grounds="major_incident", description=description.strip(), deadline=deadline
        )
    except ValidationError as error:
        fields = {str(e["loc"][0]) for e in error.errors() if e["loc"]}
        if "description" in fields:
            raise _invalid("incident.rectification_text", "description") from None
        raise _invalid(
            "incident.deadline_range",
            "deadline",
            earliest=dates.EARLIEST.isoformat(),
            latest=dates.LATEST.isoformat(),
        ) from None
    order = exits.issue_rectification(
        session,
        actor=actor,
        at=at,
        settings=settings,
        authorization_id=agreement.id,
        data=data,
    )
    incident.rectification_id = order.id
    _step(
        session,
        incident,
        actor=actor,
        at=at,
        kind=RECTIFICATION,
        note=data.description,
        detail={
            "order": str(order.id),
            "agreement": agreement.number,
            "deadline": deadline.isoformat(),
        },
    )
    audit.record(
        session,
        actor=actor,
        action=RECTIFICATION_ACTION,
        target_type="security_incident",
        target_id=incident.id,
        at=at,
        detail={"number": incident.number, "agreement": agreement.number},
    )
    return order


def incident(session: Session, actor: Principal, incident_id: uuid.UUID) -> SecurityIncident:
    actor.require(Permission.INCIDENTS_READ)
    return _seen(session, actor, incident_id)


def page(session: Session, actor: Principal, query: ListQuery) -> Page[repo.IncidentRow]:
    actor.require(Permission.INCIDENTS_READ)
    return repo.incident_page(session, actor, query)


def timeline(session: Session, actor: Principal, found: SecurityIncident) -> list[IncidentStep]:
    """The steps of an incident ``actor`` was shown, in order."""
    actor.require(Permission.INCIDENTS_READ)
    return repo.steps_of(session, found.id)


def alerts_behind(session: Session, actor: Principal, found: SecurityIncident) -> list[Alert]:
    """The alerts behind an incident, for those who may read alerts (the bureau)."""
    if not actor.has(Permission.ALERTS_READ):
        return []
    return repo.alerts_of(session, found.id)


def agreements_in_force(session: Session, operator_id: uuid.UUID) -> list[Authorization]:
    """The operator's agreements a rectification may be ordered under."""
    query = select(Authorization).where(
        Authorization.operator_id == operator_id, Authorization.status.in_(IN_FORCE)
    )
    return list(session.scalars(query.order_by(Authorization.number)))


def rectification(session: Session, found: SecurityIncident) -> RectificationOrder | None:
    if found.rectification_id is None:
        return None
    return session.get(RectificationOrder, found.rectification_id)


def rectification_agreement(session: Session, order: RectificationOrder) -> str:
    """The number of the agreement a rectification was ordered under."""
    agreement = session.get(Authorization, order.authorization_id)
    return agreement.number if agreement else ""


def operator_name(session: Session, found: SecurityIncident) -> str | None:
    if found.operator_id is None:
        return None
    org = repo.organizations(session, [found.operator_id]).get(found.operator_id)
    return org.name if org else None


def _facts(step: IncidentStep, locale: str) -> list[tuple[str, str]]:
    detail = step.detail or {}
    facts: list[tuple[str, str]] = []
    if measures := detail.get("measures"):
        facts.append(
            (
                translate("incident_page.measures", locale),
                "、".join(translate(f"incident_measure.{m}", locale) for m in measures),
            )
        )
    if recipient := detail.get("recipient"):
        facts.append((translate("incident_page.recipient", locale), str(recipient)))
    if agreement := detail.get("agreement"):
        facts.append((translate("incident_page.agreement", locale), str(agreement)))
    if deadline := detail.get("deadline"):
        facts.append((translate("incident_page.deadline", locale), str(deadline)))
    if severity := detail.get("severity"):
        facts.append(
            (
                translate("incident_page.severity", locale),
                translate(f"incident_severity.{severity}", locale),
            )
        )
    return facts


def step_facts(step: IncidentStep, locale: str) -> list[tuple[str, str]]:
    """What a step says beyond its note, as (label, value) lines in ``locale``."""
    return _facts(step, locale)


def report(
    session: Session, *, actor: Principal, at: datetime, incident_id: uuid.UUID, locale: str
) -> IncidentReport:
    """The incident report of an incident ``actor`` sees, as of ``at``."""
    found = incident(session, actor, incident_id)
    order = rectification(session, found)
    agreement = session.get(Authorization, order.authorization_id) if order else None
    behind = repo.alerts_of(session, found.id)
    return IncidentReport(
        number=found.number,
        title=found.title,
        severity=found.severity,
        status=found.status,
        operator=operator_name(session, found),
        reported_by=found.reported_by_name,
        reported_at=found.reported_at,
        description=found.description,
        steps=[
            ReportStep(
                at=s.at,
                kind=s.kind,
                actor=s.actor_name,
                organization=s.actor_organization,
                note=s.note,
                facts=_facts(s, locale),
            )
            for s in repo.steps_of(session, found.id)
        ],
        alerts=[
            ReportAlert(
                rule=translate(f"alerts.rule.{a.rule}", locale),
                severity=translate(f"alerts.severity.{a.severity}", locale),
                subject=a.subject_label,
                window_start=a.window_start,
                window_end=a.window_end,
                observed=a.observed,
                threshold=a.threshold,
                status=translate(f"state.alert.{a.status}", locale),
            )
            for a in behind
        ],
        rectification=ReportRectification(
            agreement=agreement.number if agreement else "",
            deadline=order.deadline,
            status=translate(f"state.rectification.{order.status}", locale),
            description=order.description,
        )
        if order
        else None,
        review=found.review,
        closed_at=found.closed_at,
        issuer=repo.bureau_name(session),
        generated_at=at,
        locale=locale,
    )
