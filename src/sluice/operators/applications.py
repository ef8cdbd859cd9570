"""An operator's qualification application itself: starting it, the company details, turning
a returned one back into a draft, and reading it.

* An operator company applies for itself (its organization is the applicant) with its own
  registered credit code. It has at most one open application (draft, submitted or
  returned) at a time, and edits only while the application is a draft.
* Everyone reads through ``repository.visible_application(s)``: an applicant its own
  organization's, the bureau submitted ones (a draft is the applicant's alone); any other is
  not found. Every change is audited.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from sqlalchemy.orm import Session

from sluice.audit import repository as audit_repository
from sluice.audit import service as audit
from sluice.audit.models import AuditEvent
from sluice.core.clock import Clock
from sluice.core.errors import Conflict, PermissionDenied
from sluice.core.i18n import add_messages, translate
from sluice.core.paging import ListQuery, Page
from sluice.core.permissions import Permission
from sluice.core.principal import Principal
from sluice.identity import repository as identity_repository
from sluice.identity.models import Organization
from sluice.operators import checklist, checks, dossier, guards, repository
from sluice.operators.guards import ENTITY, Problem
from sluice.operators.models import (
    OperatorApplication,
    OperatorChecklistAnswer,
    OperatorChecklistItem,
    OperatorCheckResult,
    OperatorCreditRecord,
    OperatorEntity,
    OperatorEvidence,
    OperatorFinancials,
    OperatorIncident,
    OperatorLink,
    OperatorPenalty,
    OperatorPrincipal,
)
from sluice.operators.ownership import NodeKind, Relation, upward_reach
from sluice.operators.schemas import ApplicationCreate, ApplicationUpdate
from sluice.operators.states import APPLICATION

audit.declare_actions(
    {
        f"{ENTITY}.created": ("创建资格申请", "Application created"),
        f"{ENTITY}.updated": ("修改企业信息", "Company details changed"),
    }
)


add_messages(
    {
        "operators.credit_code.required": (
            "请填写统一社会信用代码。",
            "Please enter the unified social credit code.",
        ),
        "operators.credit_code.not_own": (
            "申请单位须为本单位：平台登记的统一社会信用代码为 {registered}。",
            "The applicant must be your own organization, whose registered credit code is "
            "{registered}.",
        ),
        "operators.no_organization": (
            "您的账户不属于任何单位，不能提出申请。",
            "Your account belongs to no organization, so it cannot apply.",
        ),
        "operators.open_application_exists": (
            "本单位已有一份未办结的申请，请继续办理该申请。",
            "Your organization already has an application in progress; please continue it.",
        ),
    }
)


def create_application(
    session: Session, *, actor: Principal, clock: Clock, data: ApplicationCreate
) -> OperatorApplication:
    actor.require(Permission.OPERATORS_APPLY)
    if actor.organization_id is None:
        raise PermissionDenied("operators.no_organization")
    organization = identity_repository.organization(session, actor.organization_id)
    if organization is None:
        raise PermissionDenied("operators.no_organization")
    if repository.open_application(session, organization.id) is not None:
        raise Conflict("operators.open_application_exists")
    guards.refuse(
        dossier.company_problems(
            organization=organization, values=data.model_dump(), on=dossier.today(clock)
        )
    )
    code = checks.compact_credit_code(data.credit_code or organization.credit_code or "")
    checklist.ensure_default_items(session, clock=clock)
    now = clock.now()
    name = data.company_name or organization.name
    application = OperatorApplication(
        organization_id=organization.id,
        company_name=name,
        company_name_en=data.company_name_en or organization.name_en,
        credit_code=code,
        legal_representative=data.legal_representative,
        registered_address=data.registered_address,
        established_on=data.established_on,
        registered_capital_fen=data.registered_capital_fen,
        business_scope=data.business_scope,
        business_status=data.business_status,
        status=APPLICATION.initial,
        created_by=actor.username,
        created_at=now,
        updated_at=now,
        checks_run=0,
    )
    session.add(application)
    session.flush()
    session.add(
        OperatorEntity(
            application_id=application.id,
            kind=NodeKind.COMPANY.value,
            name=name,
            # A company with a unified social credit code is registered on the mainland.
            jurisdiction="CN",
            credit_code=code,
            is_applicant=True,
            created_at=now,
        )
    )
    session.flush()
    guards.record(
        session,
        actor=actor,
        at=now,
        action="created",
        target_id=application.id,
        detail={"organization_id": str(organization.id), "credit_code": code},
    )
    return application


def update_application(
    session: Session,
    *,
    actor: Principal,
    clock: Clock,
    application_id: uuid.UUID,
    data: ApplicationUpdate,
) -> OperatorApplication:
    application = guards.draft(session, actor, application_id)
    changes = data.model_dump(exclude_none=True)
    dossier.refuse_problems(session, application, clock, "company", changes)
    if "credit_code" in changes:
        changes["credit_code"] = checks.compact_credit_code(changes["credit_code"])
    applicant = repository.applicant_entity(session, application.id)
    if "company_name" in changes and changes["company_name"] != application.company_name:
        applicant.name = changes["company_name"]
    if "credit_code" in changes:
        applicant.credit_code = changes["credit_code"]
    for name, value in changes.items():
        setattr(application, name, value)
    now = guards.touch(application, clock)
    guards.record(
        session,
        actor=actor,
        at=now,
        action="updated",
        target_id=application.id,
        detail={"fields": sorted(changes)},
    )
    return application


def revise(
    session: Session, *, actor: Principal, clock: Clock, application_id: uuid.UUID
) -> OperatorApplication:
    actor.require(Permission.OPERATORS_APPLY)
    application = guards.visible(session, actor, application_id, for_update=True)
    now = guards.touch(application, clock)
    APPLICATION.fire(application, "revise", session=session, actor=actor, at=now)
    return application


def list_applications(
    session: Session,
    *,
    actor: Principal,
    status: str | None = None,
    limit: int = 100,
    offset: int = 0,
) -> tuple[int, list[OperatorApplication]]:
    guards.require_any(actor, Permission.OPERATORS_READ, Permission.OPERATORS_APPLY)
    return repository.visible_applications(
        session, actor=actor, status=status, limit=limit, offset=offset
    )


def review_page(
    session: Session, *, actor: Principal, query: ListQuery
) -> Page[OperatorApplication]:
    """One page of the applications the bureau reviews (never a draft: see ``repository``)."""
    actor.require(Permission.OPERATORS_READ)
    return repository.application_page(session, actor=actor, query=query)


@dataclass(frozen=True)
class ItemView:
    item: OperatorChecklistItem
    answer: OperatorChecklistAnswer | None
    evidence: list[OperatorEvidence]

    def title(self, locale: str) -> str:
        return self.item.title_en if locale == "en" else self.item.title_zh

    def description(self, locale: str) -> str:
        return self.item.description_en if locale == "en" else self.item.description_zh

    @property
    def relies_on_platform(self) -> bool:
        return checklist.relies_on_platform(self.item, self.answer)

    @property
    def needs_evidence(self) -> bool:
        return checklist.needs_evidence(self.item, self.answer, bool(self.evidence))


@dataclass(frozen=True)
class ApplicationView:
    application: OperatorApplication
    principals: list[OperatorPrincipal]
    entities: list[OperatorEntity]
    links: list[OperatorLink]
    credit_records: list[OperatorCreditRecord]
    penalties: list[OperatorPenalty]
    incidents: list[OperatorIncident]
    financials: list[OperatorFinancials]
    general_evidence: list[OperatorEvidence]
    items: list[ItemView]
    results: list[OperatorCheckResult]

    @property
    def all_evidence(self) -> list[OperatorEvidence]:
        return [*self.general_evidence, *(d for v in self.items for d in v.evidence)]

    def entity_name(self, entity_id: uuid.UUID) -> str:
        return next((e.name for e in self.entities if e.id == entity_id), "—")

    @property
    def own_results(self) -> list[OperatorCheckResult]:
        return [r for r in self.results if r.for_applicant]

    @property
    def tried_entities(self) -> list[tuple[str, list[OperatorCheckResult]]]:
        """Controlled entities tried under R2.9, each with its results, in order."""
        grouped: dict[str, list[OperatorCheckResult]] = {}
        for r in self.results:
            if not r.for_applicant:
                grouped.setdefault(r.entity_name, []).append(r)
        return list(grouped.items())


def get(
    session: Session, *, actor: Principal, clock: Clock, application_id: uuid.UUID
) -> ApplicationView:
    guards.require_any(actor, Permission.OPERATORS_READ, Permission.OPERATORS_APPLY)
    application = guards.visible(session, actor, application_id)
    checklist.ensure_default_items(session, clock=clock)
    documents = repository.evidence(session, application.id)
    answers = repository.answers(session, application.id)
    entities, links = _reading_order(
        repository.children(session, OperatorEntity, application.id),
        repository.children(session, OperatorLink, application.id),
    )
    items = [
        ItemView(item, answers.get(item.id), [d for d in documents if d.item_id == item.id])
        for item in repository.items(session, active_only=True)
    ]
    return ApplicationView(
        application=application,
        principals=repository.children(session, OperatorPrincipal, application.id),
        entities=entities,
        links=links,
        credit_records=repository.children(session, OperatorCreditRecord, application.id),
        penalties=repository.children(session, OperatorPenalty, application.id),
        incidents=repository.children(session, OperatorIncident, application.id),
        financials=repository.children(session, OperatorFinancials, application.id),
        general_evidence=[d for d in documents if d.item_id is None],
        items=items,
        results=repository.results(
            session, application_id=application.id, run=application.checks_run
        ),
    )


def history(session: Session, *, actor: Principal, application_id: uuid.UUID) -> list[AuditEvent]:
    guards.require_any(actor, Permission.OPERATORS_READ, Permission.OPERATORS_APPLY)
    application = guards.visible(session, actor, application_id)
    return audit_repository.events_of(session, target_type=ENTITY, target_id=str(application.id))


def allowed_actions(actor: Principal, application: OperatorApplication) -> list[str]:
    return [t.name for t in APPLICATION.available(application.status) if actor.has(t.permission)]


def own_organization(session: Session, *, actor: Principal) -> Organization | None:
    """The applicant's organization as registered on the platform (to prefill the form)."""
    actor.require(Permission.OPERATORS_APPLY)
    if actor.organization_id is None:
        return None
    return identity_repository.organization(session, actor.organization_id)


def start_problems(
    session: Session, *, actor: Principal, clock: Clock, values: dossier.Values
) -> list[Problem]:
    """Every rule the start form's company details break (credit code, establishment date),
    found with the form's other problems; ``create_application`` refuses the same ones."""
    return dossier.company_problems(
        organization=own_organization(session, actor=actor),
        values=values,
        on=dossier.today(clock),
    )


def own_applications(session: Session, *, actor: Principal) -> list[OperatorApplication]:
    actor.require(Permission.OPERATORS_APPLY)
    return repository.visible_applications(session, actor=actor, limit=50)[1]


def verdict_message(application: OperatorApplication, locale: str) -> str | None:
    if application.verdict is None:
        return None
    entity = ""
    if application.qualifying_path:
        entity = application.qualifying_path[-1]["name"]
    return translate(f"operators.verdict.{application.verdict}", locale, entity=entity)


_RELATION_ORDER = {r.value: n for n, r in enumerate(Relation)}


def _reading_order(
    entities: list[OperatorEntity], links: list[OperatorLink]
) -> tuple[list[OperatorEntity], list[OperatorLink]]:
    """The graph as one reads it: the applicant, then level after level upwards, then the
    rest (subsidiaries, managed entities); each entity's holders together, largest first."""
    applicant = next((e for e in entities if e.is_applicant), None)
    rank: dict[uuid.UUID, int] = {}
    if applicant is not None:
        reach = upward_reach(dossier.graph(entities, links), str(applicant.id))
        rank = {uuid.UUID(key): n for n, key in enumerate(reach.parents)}
    last = len(rank)
    ordered = sorted(entities, key=lambda e: (rank.get(e.id, last), e.name))
    position = {e.id: n for n, e in enumerate(ordered)}
    return ordered, sorted(
        links,
        key=lambda link: (
            position[link.held_id],
            _RELATION_ORDER[link.relation],
            -(link.share_bp or 0),
            position[link.holder_id],
        ),
    )
