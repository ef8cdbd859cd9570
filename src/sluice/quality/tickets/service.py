"""The rules of correction tickets (纠错工单, R9.1, R9.3). Keyword-only, no HTTP, no commit.

* Operators, the bureau and departments file tickets on a dataset, one of its fields or one
  of its rows; a department does not file on its own data (it corrects it directly), and an
  operator files only on resources in the published catalog.
* The department providing the dataset must answer (fix or reject) within
  ``Settings.ticket_answer_working_days`` working days on the statutory calendar: the due
  date is that many working days after the filing day (Asia/Shanghai), the filing day not
  counted (``core.workdays``). The answer is on time if given on or before the due date.
* An open or acknowledged ticket is overdue from the day after its due date. Overdue
  tickets, and answers given late, count against the provider's score.
* Only the providing department acknowledges, fixes or rejects; only the filing
  organization or the bureau closes. Everyone else gets ``permission_denied``; a ticket
  the caller may not see is ``not_found``.
* Answering is repairing (R9.3): "fixed" needs a new dataset version of the resource made
  after the ticket was filed (its number is kept on the ticket); otherwise the provider
  rejects it with the reason no correction is needed. Closing a ticket is its filer's (or
  the bureau's) acceptance of either: of the repair, or of the recorded reason. A ticket
  not answered, or marked fixed with no new version, is refused with
  ``ticket_not_repaired``. Both answers are timed against ``due_date``.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import date
from typing import Any

from sqlalchemy.orm import Session

from sluice.audit import repository as audit_repository
from sluice.audit import service as audit
from sluice.audit.lifecycles import Transition
from sluice.audit.models import AuditEvent
from sluice.catalog import repository as catalog
from sluice.catalog.models import DataResource
from sluice.catalog.repository import ResourceName
from sluice.core.clock import Clock, display, local
from sluice.core.errors import Conflict, InvalidInput, NotFound, PermissionDenied
from sluice.core.i18n import MessageRef, add_messages
from sluice.core.paging import ListQuery, Page
from sluice.core.permissions import Permission, Role
from sluice.core.principal import Principal
from sluice.core.settings import Settings
from sluice.core.workdays import add_working_days, covered, working_days_between
from sluice.identity import repository as identity_repository
from sluice.ingestion import service as ingestion
from sluice.ingestion.models import DatasetVersion
from sluice.quality.tickets import repository
from sluice.quality.tickets.models import CorrectionTicket, TicketUrging
from sluice.quality.tickets.repository import (
    ProviderName,
    ProviderTicketCounts,
    TicketView,
)
from sluice.quality.tickets.schemas import TargetLevel, TicketCreate
from sluice.quality.tickets.states import (
    AWAITING_ANSWER,
    FIXED,
    PROVIDER_TRANSITIONS,
    REJECTED,
    TICKET,
)

FILED = "correction_ticket.filed"
URGED = "correction_ticket.urged"

#: Per-provider ticket numbers for the provider scores.
TicketStats = ProviderTicketCounts

audit.declare_actions(
    {
        FILED: ("提交纠错工单", "Correction ticket filed"),
        URGED: ("督办逾期纠错工单", "Overdue correction ticket chased"),
    }
)
audit.declare_detail_labels(
    {
        "repair_version": ("修复数据版本", "Repairing data version"),
        "closed_on": ("关闭依据", "Closed on"),
    }
)
audit.declare_detail_values(
    "closed_on",
    values={
        "repair": ("已修复（新数据版本）", "Repaired (a new data version)"),
        "reason": ("认可不予更正的理由", "The reason for no correction accepted"),
    },
)
add_messages(
    {
        "tickets.not_found": (
            "纠错工单不存在，或您无权查看。",
            "There is no such correction ticket, or you may not see it.",
        ),
        "tickets.not_provider": (
            "只有提供该数据的部门可以受理、更正或驳回此工单。",
            "Only the department that provides this data may acknowledge, fix or reject "
            "this ticket.",
        ),
        "tickets.not_filer": (
            "只有提交此工单的单位或数据局可以关闭此工单。",
            "Only the organization that filed this ticket, or the data bureau, may close it.",
        ),
        "tickets.resource_unknown": (
            "所选数据资源不存在。",
            "The chosen data resource does not exist.",
        ),
        "tickets.own_data": (
            "不能对本部门提供的数据提交纠错工单，请直接更正数据。",
            "You cannot file a ticket on data your own department provides; correct the data "
            "directly.",
        ),
        "tickets.field_required": (
            "字段级工单须填写字段名。",
            "A ticket on a field needs the field's name.",
        ),
        "tickets.row_required": (
            "行级工单须填写行定位（记录主键、行号或筛选条件）。",
            "A ticket on a row needs a row reference (record key, row number or filter).",
        ),
        "tickets.dataset_no_target": (
            "针对整个数据集的工单不填写字段名和行定位。",
            "A ticket on the whole dataset takes neither a field name nor a row reference.",
        ),
        "tickets.field_no_row": (
            "字段级工单不填写行定位；指向某一行的某个字段请选择“行”。",
            "A ticket on a field takes no row reference; for one field of one row choose 'row'.",
        ),
        "problem.ticket_not_overdue": ("工单未逾期", "Ticket not overdue"),
        "problem.ticket_not_repaired": ("工单尚未答复并修复", "Ticket not answered and repaired"),
        "tickets.fix_needs_version": (
            "自本工单提交（{filed}）以来，该数据资源还没有新的数据版本，不能标记为“已更正”。"
            "请先上传更正后的数据；如数据无需更正，请选择“不予更正”并写明理由。",
            "The resource has no new data version since this ticket was filed ({filed}), so "
            "it cannot be marked fixed. Upload the corrected data first; if nothing needs "
            "correcting, choose 'Reject' and give the reason.",
        ),
        "tickets.close_unanswered": (
            "此工单尚未答复（{status}），不能关闭：提供部门须上传更正后的数据（新版本）并标记"
            "“已更正”，或写明无需更正的理由。",
            "This ticket has not been answered yet ({status}) and cannot be closed: the "
            "provider must upload the corrected data (a new version) and mark it fixed, or "
            "record why no correction is needed.",
        ),
        "tickets.close_unrepaired": (
            "提供部门答复“已更正”，但自本工单提交（{filed}）以来该数据资源没有新的数据版本，"
            "不能关闭：须等提供部门上传更正后的数据。",
            "The provider answered 'fixed', but the resource has no new data version since "
            "this ticket was filed ({filed}); it cannot be closed until the corrected data "
            "is uploaded.",
        ),
        "problem.ticket_urged_today": ("今天已督办", "Already chased today"),
        "tickets.urge_not_overdue": (
            "此工单尚未逾期（答复期限为 {due} 当日），逾期后才能督办。",
            "This ticket is not overdue (the answer is due by the end of {due}); it can be "
            "chased once it is.",
        ),
        "tickets.urge_answered": (
            "此工单已答复（{status}），无需督办。",
            "This ticket has been answered ({status}); there is nothing to chase.",
        ),
        "tickets.urge_again_today": (
            "此工单今天已督办过（{at}，{by}），请勿重复督办。",
            "This ticket was already chased today ({at}, by {by}).",
        ),
        "tickets.field_unknown": (
            "数据资源“{resource}”没有字段“{field}”。",
            "The data resource '{resource}' has no field '{field}'.",
        ),
    }
)


def today(clock: Clock) -> date:
    """The calendar day in the city (Asia/Shanghai) by the injected clock."""
    return local(clock.now()).date()


def is_overdue(ticket: CorrectionTicket, *, today: date) -> bool:
    return ticket.status in AWAITING_ANSWER and ticket.due_date < today


def working_days_overdue(ticket: CorrectionTicket, *, today: date) -> int:
    if not is_overdue(ticket, today=today):
        return 0
    return working_days_between(ticket.due_date, today)


def _invalid(key: str, on: str, **params: Any) -> InvalidInput:
    """A refusal of the input, naming the field it is about (forms show it there)."""
    return InvalidInput(key, errors=[{"field": on, "type": key.rsplit(".", 1)[-1]}], **params)


def ticket_problems(
    session: Session,
    *,
    actor: Principal,
    resource_id: uuid.UUID | None,
    target_level: TargetLevel | None,
    field_name: str | None,
    row_ref: str | None,
) -> list[InvalidInput]:
    """Every reason the ticket may not be filed as asked, each naming its field, so a form
    shows them all at once. A part the filer left out or could not give (None) is not
    judged here: the form's own check says it is missing."""
    actor.require(Permission.TICKETS_FILE)
    return _check(session, actor, resource_id, target_level, field_name, row_ref)[1]


def _check(
    session: Session,
    actor: Principal,
    resource_id: uuid.UUID | None,
    target_level: TargetLevel | None,
    field_name: str | None,
    row_ref: str | None,
) -> tuple[DataResource | None, list[InvalidInput]]:
    problems = []
    resource = None
    if resource_id is not None:
        resource = catalog.nameable_resource(session, actor=actor, resource_id=resource_id)
        if resource is None:
            problems.append(_invalid("tickets.resource_unknown", "resource_id"))
        elif actor.organization_id is not None and actor.organization_id == resource.provider_id:
            problems.append(_invalid("tickets.own_data", "resource_id"))
            resource = None
    if target_level is TargetLevel.DATASET and (field_name or row_ref):
        problems.append(_invalid("tickets.dataset_no_target", "target_level"))
    if target_level is TargetLevel.FIELD:
        if not field_name:
            problems.append(_invalid("tickets.field_required", "field_name"))
        if row_ref:
            problems.append(_invalid("tickets.field_no_row", "row_ref"))
    if target_level is TargetLevel.ROW and not row_ref:
        problems.append(_invalid("tickets.row_required", "row_ref"))
    if field_name and resource is not None:
        known = [f.name for f in catalog.fields_of(session, [resource.id]).get(resource.id, [])]
        # A resource registered without its fields yet cannot be checked; accept the name.
        if known and field_name not in known:
            problems.append(
                _invalid(
                    "tickets.field_unknown", "field_name", resource=resource.name, field=field_name
                )
            )
    return resource, problems


def _all_of(problems: list[InvalidInput]) -> InvalidInput:
    """One refusal that says the first problem and lists every one (API ``errors``)."""
    first = problems[0]
    return InvalidInput(
        first.message_key, errors=[e for p in problems for e in p.errors], **first.params
    )


def file_ticket(
    session: Session, *, actor: Principal, clock: Clock, settings: Settings, data: TicketCreate
) -> CorrectionTicket:
    actor.require(Permission.TICKETS_FILE)
    resource, problems = _check(
        session, actor, data.resource_id, data.target_level, data.field_name, data.row_ref
    )
    if problems or resource is None:
        raise _all_of(problems)
    now = clock.now()
    filed_on = local(now).date()
    working_days = settings.ticket_answer_working_days
    due = add_working_days(filed_on, working_days)
    ticket = CorrectionTicket(
        resource_id=resource.id,
        provider_id=resource.provider_id,
        filed_by_org=actor.organization_id,
        filed_by_user=actor.user_id,
        filed_by_username=actor.username,
        target_level=data.target_level.value,
        field_name=data.field_name,
        row_ref=data.row_ref,
        description=data.description,
        status=TICKET.initial,
        filed_at=now,
        working_days=working_days,
        due_date=due,
    )
    session.add(ticket)
    session.flush()
    audit.record(
        session,
        actor=actor,
        action=FILED,
        target_type=TICKET.entity,
        target_id=ticket.id,
        at=now,
        detail={
            "resource_id": str(resource.id),
            "provider_id": str(resource.provider_id),
            "target_level": ticket.target_level,
            "field_name": ticket.field_name,
            "working_days": working_days,
            "due_date": due.isoformat(),
            # False: a year the statutory calendar does not cover; Monday to Friday counted.
            "statutory_calendar": covered(filed_on) and covered(due),
        },
    )
    return ticket


def _transition(name: str) -> Transition:
    return next(t for t in TICKET.transitions if t.name == name)


def _party_refusal(
    actor: Principal, ticket: CorrectionTicket, name: str
) -> PermissionDenied | None:
    """Beyond the role: is the actor the party this edge belongs to?"""
    if actor.is_system:
        return None
    if name in PROVIDER_TRANSITIONS:
        if actor.organization_id is None or actor.organization_id != ticket.provider_id:
            return PermissionDenied("tickets.not_provider")
        return None
    is_filer = actor.organization_id is not None and actor.organization_id == ticket.filed_by_org
    if not is_filer and Role.BUREAU not in actor.roles:
        return PermissionDenied("tickets.not_filer")
    return None


def allowed_actions(actor: Principal, ticket: CorrectionTicket) -> list[str]:
    """Transitions the actor may fire on the ticket now (for buttons and the API)."""
    return [
        t.name
        for t in TICKET.available(ticket.status)
        if actor.has(t.permission) and _party_refusal(actor, ticket, t.name) is None
    ]


def _load_for(
    session: Session, *, actor: Principal, ticket_id: uuid.UUID, name: str
) -> CorrectionTicket:
    actor.require(_transition(name).permission)
    ticket = repository.ticket(session, actor=actor, ticket_id=ticket_id, for_update=True)
    if ticket is None:
        raise NotFound("tickets.not_found")
    refusal = _party_refusal(actor, ticket, name)
    if refusal is not None:
        raise refusal
    return ticket


def acknowledge(
    session: Session,
    *,
    actor: Principal,
    clock: Clock,
    ticket_id: uuid.UUID,
    note: str | None = None,
) -> CorrectionTicket:
    ticket = _load_for(session, actor=actor, ticket_id=ticket_id, name="acknowledge")
    now = clock.now()
    TICKET.fire(
        ticket,
        "acknowledge",
        session=session,
        actor=actor,
        at=now,
        detail={"note": note} if note else None,
    )
    ticket.acknowledged_at = now
    return ticket


def _answer(
    session: Session,
    *,
    actor: Principal,
    clock: Clock,
    ticket_id: uuid.UUID,
    name: str,
    outcome: str,
    resolution: str,
) -> CorrectionTicket:
    ticket = _load_for(session, actor=actor, ticket_id=ticket_id, name=name)
    TICKET.require(ticket, name)
    repair = None
    if outcome == FIXED:
        found = repair_of(session, ticket=ticket)
        if found is None:
            raise Conflict(
                "tickets.fix_needs_version",
                problem_code="ticket_not_repaired",
                filed=display(ticket.filed_at),
            )
        repair = found.version
    now = clock.now()
    late = local(now).date() > ticket.due_date
    detail: dict[str, Any] = {"resolution": resolution, "late": late}
    if repair is not None:
        detail["repair_version"] = repair
    TICKET.fire(ticket, name, session=session, actor=actor, at=now, detail=detail)
    ticket.resolved_at = now
    ticket.outcome = outcome
    ticket.resolution = resolution
    ticket.answered_late = late
    ticket.repair_version = repair
    return ticket


def repair_of(session: Session, *, ticket: CorrectionTicket) -> DatasetVersion | None:
    """The resource's newest dataset version if it was made after the ticket was filed (the
    repair a "fixed" answer rests on), else None. For a ticket the caller may see."""
    current = ingestion.current_version(session, ticket.resource_id)
    if current is None or current.created_at <= ticket.filed_at:
        return None
    return current


def fix(
    session: Session, *, actor: Principal, clock: Clock, ticket_id: uuid.UUID, resolution: str
) -> CorrectionTicket:
    """The provider corrected the data: a version made after the ticket was filed must
    exist (refused with ``ticket_not_repaired`` otherwise); ``resolution`` says what was
    corrected."""
    return _answer(
        session,
        actor=actor,
        clock=clock,
        ticket_id=ticket_id,
        name="fix",
        outcome=FIXED,
        resolution=resolution,
    )


def reject(
    session: Session, *, actor: Principal, clock: Clock, ticket_id: uuid.UUID, resolution: str
) -> CorrectionTicket:
    """The provider will not correct the data; ``resolution`` records why no correction
    is needed (closing the ticket is the filer's or the bureau's acceptance of it)."""
    return _answer(
        session,
        actor=actor,
        clock=clock,
        ticket_id=ticket_id,
        name="reject",
        outcome=REJECTED,
        resolution=resolution,
    )


def close(
    session: Session,
    *,
    actor: Principal,
    clock: Clock,
    ticket_id: uuid.UUID,
    note: str | None = None,
) -> CorrectionTicket:
    """The filer or the bureau accepts the answer: the repair (a version made after filing)
    or the recorded reason no correction is needed. Anything else is refused with
    ``ticket_not_repaired``."""
    ticket = _load_for(session, actor=actor, ticket_id=ticket_id, name="close")
    detail: dict[str, Any] = {"note": note} if note else {}
    if ticket.status in AWAITING_ANSWER:
        raise Conflict(
            "tickets.close_unanswered",
            problem_code="ticket_not_repaired",
            status=MessageRef(f"state.{TICKET.entity}.{ticket.status}"),
        )
    if ticket.status == FIXED:
        # Answers given before repairs were recorded have no number: look for one now.
        repair = ticket.repair_version
        if repair is None and (found := repair_of(session, ticket=ticket)) is not None:
            repair = found.version
        if repair is None:
            raise Conflict(
                "tickets.close_unrepaired",
                problem_code="ticket_not_repaired",
                filed=display(ticket.filed_at),
            )
        detail |= {"closed_on": "repair", "repair_version": repair}
    elif ticket.status == REJECTED:
        detail["closed_on"] = "reason"
    now = clock.now()
    TICKET.fire(ticket, "close", session=session, actor=actor, at=now, detail=detail)
    ticket.closed_at = now
    return ticket


def get(session: Session, *, actor: Principal, ticket_id: uuid.UUID) -> TicketView:
    actor.require(Permission.TICKETS_READ)
    view = repository.ticket_view(session, actor=actor, ticket_id=ticket_id)
    if view is None:
        raise NotFound("tickets.not_found")
    return view


def history(session: Session, *, actor: Principal, ticket_id: uuid.UUID) -> list[AuditEvent]:
    """The ticket's audit events, oldest first (after the same visibility check as ``get``)."""
    get(session, actor=actor, ticket_id=ticket_id)
    return audit_repository.events_of(session, target_type=TICKET.entity, target_id=str(ticket_id))


def pick_resources(
    session: Session, *, actor: Principal, q: str, limit: int
) -> tuple[int, list[ResourceName]]:
    """The first resources the actor may file a ticket on whose title, code or provider
    holds ``q``, and how many there are: exactly those ``file_ticket`` accepts (what the
    catalog lets the actor name, less its own department's data)."""
    actor.require(Permission.TICKETS_FILE)
    return catalog.pick_resources(session, actor=actor, q=q, limit=limit, to_name=True)


def chosen_resource(
    session: Session, *, actor: Principal, resource_id: uuid.UUID
) -> ResourceName | None:
    """A resource the actor may name, as the picker shows it (a form filled in again)."""
    actor.require(Permission.TICKETS_FILE)
    resource = catalog.nameable_resource(session, actor=actor, resource_id=resource_id)
    if resource is None:
        return None
    provider = identity_repository.organization(session, resource.provider_id)
    if provider is None:
        return None
    return ResourceName(resource.id, resource.code, resource.name, provider)


def ticket_page(
    session: Session, *, actor: Principal, clock: Clock, query: ListQuery
) -> Page[TicketView]:
    """One page of the tickets the actor may see (``repository.ticket_page``)."""
    actor.require(Permission.TICKETS_READ)
    return repository.ticket_page(session, actor=actor, today=today(clock), query=query)


def ticket_providers(session: Session, *, actor: Principal) -> list[ProviderName]:
    """The providers of the tickets the actor may see (the list's filter)."""
    actor.require(Permission.TICKETS_READ)
    return repository.ticket_providers(session, actor=actor)


def list_tickets(
    session: Session,
    *,
    actor: Principal,
    clock: Clock,
    status: str | None = None,
    overdue: bool | None = None,
    limit: int = 100,
    offset: int = 0,
) -> tuple[int, list[TicketView]]:
    actor.require(Permission.TICKETS_READ)
    return repository.tickets(
        session,
        actor=actor,
        today=today(clock),
        status=status,
        overdue=overdue,
        limit=limit,
        offset=offset,
    )


def overdue(session: Session, *, actor: Principal, clock: Clock) -> list[CorrectionTicket]:
    """Open or acknowledged tickets the actor may see whose due date has passed."""
    actor.require(Permission.TICKETS_READ)
    return repository.overdue(session, actor=actor, today=today(clock))


def overdue_counts_by_provider(session: Session, *, today: date) -> dict[uuid.UUID, int]:
    """Overdue tickets per provider organization on ``today`` (providers with none absent).

    An aggregate for the provider scores: no ticket content leaves, so no principal.
    """
    return repository.overdue_counts_by_provider(session, today=today)


def ticket_stats_by_provider(session: Session, *, today: date) -> dict[uuid.UUID, TicketStats]:
    """Per provider: tickets filed, awaiting, overdue, answered, answered late, fixed, rejected."""
    return repository.counts_by_provider(session, today=today)


# --- 督办: the bureau chases a provider on an overdue ticket ---------------------------------


def can_supervise(
    actor: Principal,
    ticket: CorrectionTicket,
    *,
    today: date,
    urgings: Sequence[TicketUrging] = (),
) -> bool:
    """Whether 督办 is offered: the bureau, on a ticket overdue today and not yet chased
    today (``urgings``: the ticket's, as ``urgings`` gives them)."""
    return (
        actor.has(Permission.TICKETS_SUPERVISE)
        and is_overdue(ticket, today=today)
        and not _urged_on(urgings, today)
    )


def _urged_on(urgings: Sequence[TicketUrging], day: date) -> list[TicketUrging]:
    return [u for u in urgings if local(u.urged_at).date() == day]


def supervise(
    session: Session,
    *,
    actor: Principal,
    clock: Clock,
    ticket_id: uuid.UUID,
    note: str | None = None,
) -> TicketUrging:
    """督办: the bureau records that it chased the provider on a ticket past its due date
    and still unanswered. The ticket keeps its state; the urging is kept with the ticket
    (its page and the list show it to the provider) and in the audit log.

    Refused (409) on a ticket not yet overdue or already answered, and a second time on the
    same day (a reload or a double click must not chase twice).
    """
    actor.require(Permission.TICKETS_SUPERVISE)
    ticket = repository.ticket(session, actor=actor, ticket_id=ticket_id, for_update=True)
    if ticket is None:
        raise NotFound("tickets.not_found")
    now = clock.now()
    on = local(now).date()
    if ticket.status not in AWAITING_ANSWER:
        raise Conflict(
            "tickets.urge_answered",
            problem_code="ticket_not_overdue",
            status=MessageRef(f"state.{TICKET.entity}.{ticket.status}"),
        )
    if not is_overdue(ticket, today=on):
        raise Conflict(
            "tickets.urge_not_overdue",
            problem_code="ticket_not_overdue",
            due=ticket.due_date.isoformat(),
        )
    earlier = _urged_on(repository.urgings_of(session, ticket.id), on)
    if earlier:
        raise Conflict(
            "tickets.urge_again_today",
            problem_code="ticket_urged_today",
            at=display(earlier[-1].urged_at),
            by=earlier[-1].urged_by_name,
        )
    late = working_days_overdue(ticket, today=on)
    urging = TicketUrging(
        ticket_id=ticket.id,
        urged_at=now,
        urged_by_user=actor.user_id,
        urged_by_org=actor.organization_id,
        urged_by_username=actor.username,
        urged_by_name=actor.display_name or actor.username,
        working_days_overdue=late,
        note=note,
    )
    repository.add_urging(session, urging)
    audit.record(
        session,
        actor=actor,
        action=URGED,
        target_type=TICKET.entity,
        target_id=ticket.id,
        at=now,
        detail={
            "provider_id": str(ticket.provider_id),
            "due_date": ticket.due_date.isoformat(),
            "working_days_overdue": late,
            **({"note": note} if note else {}),
        },
    )
    return urging


def urgings(session: Session, *, actor: Principal, ticket_id: uuid.UUID) -> list[TicketUrging]:
    """The ticket's urgings, oldest first (after the same visibility check as ``get``)."""
    get(session, actor=actor, ticket_id=ticket_id)
    return repository.urgings_of(session, ticket_id)
