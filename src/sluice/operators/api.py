"""REST routes of operator qualification. Thin: each calls a service module and returns a
schema.

``/api/v1/operators/applications``: the applicant's own application (``operators.apply``).
``/api/v1/operators/review/applications``: the bureau's review (``operators.read`` to read,
``operators.review`` to act). ``/api/v1/operators/checklist-items``: the bureau's checklist.
"""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Depends, Form, UploadFile
from fastapi.responses import Response
from sqlalchemy.orm import Session

from sluice.core.permissions import Permission as P
from sluice.core.principal import Principal
from sluice.identity.schemas import Page
from sluice.operators import applications, checklist, dossier, render, review
from sluice.operators.models import (
    OperatorApplication,
    OperatorChecklistItem,
    OperatorEvidence,
)
from sluice.operators.schemas import (
    ApplicationCreate,
    ApplicationDetail,
    ApplicationRead,
    ApplicationStatus,
    ApplicationUpdate,
    ChecklistAnswerRead,
    ChecklistItemCreate,
    ChecklistItemRead,
    ChecklistItemUpdate,
    ChecklistStatement,
    CreditRecordCreate,
    CreditRecordRead,
    DecisionIn,
    EntityCreate,
    EntityRead,
    EntityUpdate,
    EvidenceRead,
    FinancialsIn,
    FinancialsRead,
    IncidentCreate,
    IncidentRead,
    ItemJudgment,
    LinkCreate,
    LinkRead,
    PenaltyCreate,
    PenaltyRead,
    PrincipalCreate,
    PrincipalRead,
)
from sluice.web.deps import AppClock, AppSettings, DbSession, Locale, Requires
from sluice.web.params import Limit, Offset

router = APIRouter(prefix="/api/v1/operators", tags=["operators"])

Applicant = Annotated[Principal, Depends(Requires(P.OPERATORS_APPLY))]
Reader = Annotated[Principal, Depends(Requires(P.OPERATORS_READ))]
Reviewer = Annotated[Principal, Depends(Requires(P.OPERATORS_REVIEW))]

MINE = "/applications"
REVIEW = "/review/applications"


# --- rendering ------------------------------------------------------------------------------


def application_read(application: OperatorApplication) -> ApplicationRead:
    return ApplicationRead(
        id=application.id,
        organization_id=application.organization_id,
        company_name=application.company_name,
        company_name_en=application.company_name_en,
        credit_code=application.credit_code,
        legal_representative=application.legal_representative,
        registered_address=application.registered_address,
        established_on=application.established_on,
        registered_capital_fen=application.registered_capital_fen,
        business_scope=application.business_scope,
        business_status=application.business_status,
        status=ApplicationStatus(application.status),
        created_at=application.created_at,
        updated_at=application.updated_at,
        submitted_at=application.submitted_at,
        decided_at=application.decided_at,
        decided_by=application.decided_by,
        decision_reason=application.decision_reason,
        checks_run=application.checks_run,
        checked_at=application.checked_at,
        verdict=application.verdict,
    )


def _evidence_read(document: OperatorEvidence, item_key: str | None) -> EvidenceRead:
    return EvidenceRead(
        id=document.id,
        item_key=item_key,
        title=document.title,
        filename=document.filename,
        content_type=document.content_type,
        size_bytes=document.size_bytes,
        sm3=document.sm3,
        uploaded_by=document.uploaded_by,
        uploaded_at=document.uploaded_at,
    )


def detail(
    view: applications.ApplicationView, *, actor: Principal, locale: str
) -> ApplicationDetail:
    a = view.application
    keys = {v.item.id: v.item.key for v in view.items}
    return ApplicationDetail(
        **application_read(a).model_dump(),
        verdict_message=applications.verdict_message(a, locale),
        qualifying_path=render.path_steps(a.qualifying_path, locale) if a.qualifying_path else None,
        principals=[
            PrincipalRead(
                id=p.id,
                name=p.name,
                position=p.position,
                nationality=p.nationality,
                id_number_masked=p.id_number_masked,
                major_penalty=p.major_penalty,
                serious_dishonesty=p.serious_dishonesty,
                note=p.note,
            )
            for p in view.principals
        ],
        entities=[
            EntityRead(
                id=e.id,
                kind=e.kind,
                name=e.name,
                jurisdiction=e.jurisdiction,
                credit_code=e.credit_code,
                is_applicant=e.is_applicant,
                note=e.note,
            )
            for e in view.entities
        ],
        links=[
            LinkRead(
                id=link.id,
                holder_id=link.holder_id,
                held_id=link.held_id,
                relation=link.relation,
                share_bp=link.share_bp,
            )
            for link in view.links
        ],
        credit_records=[
            CreditRecordRead(
                id=c.id,
                entity_id=c.entity_id,
                category=c.category,
                source=c.source,
                listed_on=c.listed_on,
                removed_on=c.removed_on,
                description=c.description,
            )
            for c in view.credit_records
        ],
        penalties=[
            PenaltyRead(
                id=p.id,
                entity_id=p.entity_id,
                decided_on=p.decided_on,
                authority=p.authority,
                document_no=p.document_no,
                major=p.major,
                amount_fen=p.amount_fen,
                description=p.description,
            )
            for p in view.penalties
        ],
        incidents=[
            IncidentRead(
                id=i.id,
                entity_id=i.entity_id,
                occurred_on=i.occurred_on,
                kind=i.kind,
                description=i.description,
            )
            for i in view.incidents
        ],
        financials=[
            FinancialsRead(
                id=f.id,
                entity_id=f.entity_id,
                fiscal_year=f.fiscal_year,
                total_assets_fen=f.total_assets_fen,
                total_liabilities_fen=f.total_liabilities_fen,
                net_assets_fen=f.net_assets_fen,
                revenue_fen=f.revenue_fen,
                net_profit_fen=f.net_profit_fen,
                committed_funds_fen=f.committed_funds_fen,
                audit_opinion=f.audit_opinion,
                auditor=f.auditor,
            )
            for f in view.financials
        ],
        evidence=[
            _evidence_read(d, keys.get(d.item_id) if d.item_id else None) for d in view.all_evidence
        ],
        checklist=[
            ChecklistAnswerRead(
                item_key=v.item.key,
                requirement=v.item.requirement,
                title=v.title(locale),
                evidence_required=v.item.evidence_required,
                accepts_platform_reliance=v.item.accepts_platform_reliance,
                relies_on_platform=v.relies_on_platform,
                statement=v.answer.statement if v.answer else None,
                evidence=[d.id for d in v.evidence],
                judgment=v.answer.judgment if v.answer else None,
                note=v.answer.note if v.answer else None,
                judged_by=v.answer.judged_by if v.answer else None,
                judged_at=v.answer.judged_at if v.answer else None,
            )
            for v in view.items
        ],
        checks=[render.check_read(r, locale) for r in view.results],
        actions=applications.allowed_actions(actor, a),
    )


def _detail(
    session: Session, *, actor: Principal, clock: AppClock, locale: str, application_id: uuid.UUID
) -> ApplicationDetail:
    view = applications.get(session, actor=actor, clock=clock, application_id=application_id)
    return detail(view, actor=actor, locale=locale)


# --- the applicant --------------------------------------------------------------------------


@router.get(MINE)
def my_applications(actor: Applicant, session: DbSession) -> Page[ApplicationRead]:
    found = applications.own_applications(session, actor=actor)
    return Page(total=len(found), items=[application_read(a) for a in found])


@router.post(MINE, status_code=201)
def create_application(
    body: ApplicationCreate, actor: Applicant, session: DbSession, clock: AppClock, locale: Locale
) -> ApplicationDetail:
    application = applications.create_application(session, actor=actor, clock=clock, data=body)
    return _detail(session, actor=actor, clock=clock, locale=locale, application_id=application.id)


@router.get(MINE + "/{application_id}")
def my_application(
    application_id: uuid.UUID, actor: Applicant, session: DbSession, clock: AppClock, locale: Locale
) -> ApplicationDetail:
    return _detail(session, actor=actor, clock=clock, locale=locale, application_id=application_id)


@router.patch(MINE + "/{application_id}")
def update_application(
    application_id: uuid.UUID,
    body: ApplicationUpdate,
    actor: Applicant,
    session: DbSession,
    clock: AppClock,
    locale: Locale,
) -> ApplicationDetail:
    applications.update_application(
        session, actor=actor, clock=clock, application_id=application_id, data=body
    )
    return _detail(session, actor=actor, clock=clock, locale=locale, application_id=application_id)


@router.post(MINE + "/{application_id}/principals", status_code=201)
def add_principal(
    application_id: uuid.UUID,
    body: PrincipalCreate,
    actor: Applicant,
    session: DbSession,
    clock: AppClock,
    locale: Locale,
) -> ApplicationDetail:
    dossier.add_principal(
        session, actor=actor, clock=clock, application_id=application_id, data=body
    )
    return _detail(session, actor=actor, clock=clock, locale=locale, application_id=application_id)


@router.delete(MINE + "/{application_id}/principals/{principal_id}")
def remove_principal(
    application_id: uuid.UUID,
    principal_id: uuid.UUID,
    actor: Applicant,
    session: DbSession,
    clock: AppClock,
    locale: Locale,
) -> ApplicationDetail:
    dossier.remove_principal(
        session, actor=actor, clock=clock, application_id=application_id, principal_id=principal_id
    )
    return _detail(session, actor=actor, clock=clock, locale=locale, application_id=application_id)


@router.post(MINE + "/{application_id}/entities", status_code=201)
def add_entity(
    application_id: uuid.UUID,
    body: EntityCreate,
    actor: Applicant,
    session: DbSession,
    clock: AppClock,
    locale: Locale,
) -> ApplicationDetail:
    dossier.add_entity(session, actor=actor, clock=clock, application_id=application_id, data=body)
    return _detail(session, actor=actor, clock=clock, locale=locale, application_id=application_id)


@router.patch(MINE + "/{application_id}/entities/{entity_id}")
def update_entity(
    application_id: uuid.UUID,
    entity_id: uuid.UUID,
    body: EntityUpdate,
    actor: Applicant,
    session: DbSession,
    clock: AppClock,
    locale: Locale,
) -> ApplicationDetail:
    dossier.update_entity(
        session,
        actor=actor,
        clock=clock,
        application_id=application_id,
        entity_id=entity_id,
        data=body,
    )
    return _detail(session, actor=actor, clock=clock, locale=locale, application_id=application_id)


@router.delete(MINE + "/{application_id}/entities/{entity_id}")
def remove_entity(
    application_id: uuid.UUID,
    entity_id: uuid.UUID,
    actor: Applicant,
    session: DbSession,
    clock: AppClock,
    locale: Locale,
) -> ApplicationDetail:
    dossier.remove_entity(
        session, actor=actor, clock=clock, application_id=application_id, entity_id=entity_id
    )
    return _detail(session, actor=actor, clock=clock, locale=locale, application_id=application_id)


@router.post(MINE + "/{application_id}/links", status_code=201)
def add_link(
    application_id: uuid.UUID,
    body: LinkCreate,
    actor: Applicant,
    session: DbSession,
    clock: AppClock,
    locale: Locale,
) -> ApplicationDetail:
    dossier.add_link(session, actor=actor, clock=clock, application_id=application_id, data=body)
    return _detail(session, actor=actor, clock=clock, locale=locale, application_id=application_id)


@router.delete(MINE + "/{application_id}/links/{link_id}")
def remove_link(
    application_id: uuid.UUID,
    link_id: uuid.UUID,
    actor: Applicant,
    session: DbSession,
    clock: AppClock,
    locale: Locale,
) -> ApplicationDetail:
    dossier.remove_link(
        session, actor=actor, clock=clock, application_id=application_id, link_id=link_id
    )
    return _detail(session, actor=actor, clock=clock, locale=locale, application_id=application_id)


@router.post(MINE + "/{application_id}/credit-records", status_code=201)
def add_credit_record(
    application_id: uuid.UUID,
    body: CreditRecordCreate,
    actor: Applicant,
    session: DbSession,
    clock: AppClock,
    locale: Locale,
) -> ApplicationDetail:
    dossier.add_credit_record(
        session, actor=actor, clock=clock, application_id=application_id, data=body
    )
    return _detail(session, actor=actor, clock=clock, locale=locale, application_id=application_id)


@router.post(MINE + "/{application_id}/penalties", status_code=201)
def add_penalty(
    application_id: uuid.UUID,
    body: PenaltyCreate,
    actor: Applicant,
    session: DbSession,
    clock: AppClock,
    locale: Locale,
) -> ApplicationDetail:
    dossier.add_penalty(session, actor=actor, clock=clock, application_id=application_id, data=body)
    return _detail(session, actor=actor, clock=clock, locale=locale, application_id=application_id)


@router.post(MINE + "/{application_id}/incidents", status_code=201)
def add_incident(
    application_id: uuid.UUID,
    body: IncidentCreate,
    actor: Applicant,
    session: DbSession,
    clock: AppClock,
    locale: Locale,
) -> ApplicationDetail:
    dossier.add_incident(
        session, actor=actor, clock=clock, application_id=application_id, data=body
    )
    return _detail(session, actor=actor, clock=clock, locale=locale, application_id=application_id)


@router.put(MINE + "/{application_id}/financials")
def save_financials(
    application_id: uuid.UUID,
    body: FinancialsIn,
    actor: Applicant,
    session: DbSession,
    clock: AppClock,
    locale: Locale,
) -> ApplicationDetail:
    dossier.save_financials(
        session, actor=actor, clock=clock, application_id=application_id, data=body
    )
    return _detail(session, actor=actor, clock=clock, locale=locale, application_id=application_id)


@router.delete(MINE + "/{application_id}/records/{kind}/{record_id}")
def remove_record(
    application_id: uuid.UUID,
    kind: str,
    record_id: uuid.UUID,
    actor: Applicant,
    session: DbSession,
    clock: AppClock,
    locale: Locale,
) -> ApplicationDetail:
    """``kind``: credit-records, penalties, incidents or financials."""
    dossier.remove_record(
        session,
        actor=actor,
        clock=clock,
        application_id=application_id,
        kind=kind,
        record_id=record_id,
    )
    return _detail(session, actor=actor, clock=clock, locale=locale, application_id=application_id)


@router.post(MINE + "/{application_id}/evidence", status_code=201)
def upload_evidence(
    application_id: uuid.UUID,
    file: UploadFile,
    actor: Applicant,
    session: DbSession,
    clock: AppClock,
    settings: AppSettings,
    title: Annotated[str | None, Form(max_length=200)] = None,
    item_key: Annotated[str | None, Form(max_length=60)] = None,
) -> EvidenceRead:
    """Multipart upload; stored under its SM3 digest. ``item_key``: the checklist item it
    supports, if any."""
    document = dossier.upload_evidence(
        session,
        actor=actor,
        clock=clock,
        settings=settings,
        application_id=application_id,
        stream=file.file,
        filename=file.filename or "evidence",
        content_type=file.content_type,
        title=title,
        item_key=item_key or None,
    )
    return _evidence_read(document, item_key or None)


@router.get(MINE + "/{application_id}/evidence/{evidence_id}")
def my_evidence(
    application_id: uuid.UUID,
    evidence_id: uuid.UUID,
    actor: Applicant,
    session: DbSession,
    settings: AppSettings,
) -> Response:
    document, content = dossier.evidence_file(
        session,
        actor=actor,
        settings=settings,
        application_id=application_id,
        evidence_id=evidence_id,
    )
    return render.download(document, content)


@router.put(MINE + "/{application_id}/checklist/{item_key}")
def save_statement(
    application_id: uuid.UUID,
    item_key: str,
    body: ChecklistStatement,
    actor: Applicant,
    session: DbSession,
    clock: AppClock,
    locale: Locale,
) -> ApplicationDetail:
    dossier.save_statement(
        session,
        actor=actor,
        clock=clock,
        application_id=application_id,
        item_key=item_key,
        statement=body.statement,
        relies_on_platform=body.relies_on_platform,
    )
    return _detail(session, actor=actor, clock=clock, locale=locale, application_id=application_id)


@router.post(MINE + "/{application_id}/submit")
def submit(
    application_id: uuid.UUID,
    actor: Applicant,
    session: DbSession,
    clock: AppClock,
    settings: AppSettings,
    locale: Locale,
) -> ApplicationDetail:
    """Submits for review and runs the automated checks."""
    review.submit(
        session, actor=actor, clock=clock, settings=settings, application_id=application_id
    )
    return _detail(session, actor=actor, clock=clock, locale=locale, application_id=application_id)


@router.post(MINE + "/{application_id}/revise")
def revise(
    application_id: uuid.UUID, actor: Applicant, session: DbSession, clock: AppClock, locale: Locale
) -> ApplicationDetail:
    """Turns a returned application back into a draft."""
    applications.revise(session, actor=actor, clock=clock, application_id=application_id)
    return _detail(session, actor=actor, clock=clock, locale=locale, application_id=application_id)


# --- the bureau -----------------------------------------------------------------------------


@router.get(REVIEW)
def list_applications(
    actor: Reader,
    session: DbSession,
    status: ApplicationStatus | None = None,
    limit: Limit = 100,
    offset: Offset = 0,
) -> Page[ApplicationRead]:
    total, found = applications.list_applications(
        session,
        actor=actor,
        status=status.value if status else None,
        limit=limit,
        offset=offset,
    )
    return Page(total=total, items=[application_read(a) for a in found])


@router.get(REVIEW + "/{application_id}")
def review_application(
    application_id: uuid.UUID, actor: Reader, session: DbSession, clock: AppClock, locale: Locale
) -> ApplicationDetail:
    return _detail(session, actor=actor, clock=clock, locale=locale, application_id=application_id)


@router.get(REVIEW + "/{application_id}/evidence/{evidence_id}")
def review_evidence(
    application_id: uuid.UUID,
    evidence_id: uuid.UUID,
    actor: Reader,
    session: DbSession,
    settings: AppSettings,
) -> Response:
    document, content = dossier.evidence_file(
        session,
        actor=actor,
        settings=settings,
        application_id=application_id,
        evidence_id=evidence_id,
    )
    return render.download(document, content)


@router.post(REVIEW + "/{application_id}/checks")
def rerun_checks(
    application_id: uuid.UUID,
    actor: Reviewer,
    session: DbSession,
    clock: AppClock,
    settings: AppSettings,
    locale: Locale,
) -> ApplicationDetail:
    """Runs the automated checks again, with today's date and settings."""
    review.recheck(
        session, actor=actor, clock=clock, settings=settings, application_id=application_id
    )
    return _detail(session, actor=actor, clock=clock, locale=locale, application_id=application_id)


@router.put(REVIEW + "/{application_id}/checklist/{item_key}")
def judge_item(
    application_id: uuid.UUID,
    item_key: str,
    body: ItemJudgment,
    actor: Reviewer,
    session: DbSession,
    clock: AppClock,
    locale: Locale,
) -> ApplicationDetail:
    review.judge_item(
        session,
        actor=actor,
        clock=clock,
        application_id=application_id,
        item_key=item_key,
        judgment=body.judgment,
        note=body.note,
    )
    return _detail(session, actor=actor, clock=clock, locale=locale, application_id=application_id)


@router.post(REVIEW + "/{application_id}/decision")
def decide(
    application_id: uuid.UUID,
    body: DecisionIn,
    actor: Reviewer,
    session: DbSession,
    clock: AppClock,
    settings: AppSettings,
    locale: Locale,
) -> ApplicationDetail:
    """Qualify, reject or return, with a reason. Qualifying runs the checks once more and is
    refused (``qualification_blocked``) while a check fails or a checklist item is not met."""
    review.decide(
        session,
        actor=actor,
        clock=clock,
        settings=settings,
        application_id=application_id,
        decision=body.decision,
        reason=body.reason,
    )
    return _detail(session, actor=actor, clock=clock, locale=locale, application_id=application_id)


# --- the checklist --------------------------------------------------------------------------


def _item_read(item: OperatorChecklistItem) -> ChecklistItemRead:
    return ChecklistItemRead(
        id=item.id,
        key=item.key,
        requirement=item.requirement,
        title_zh=item.title_zh,
        title_en=item.title_en,
        description_zh=item.description_zh,
        description_en=item.description_en,
        evidence_required=item.evidence_required,
        accepts_platform_reliance=item.accepts_platform_reliance,
        active=item.active,
        position=item.position,
    )


@router.get("/checklist-items")
def checklist_items(actor: Reader, session: DbSession, clock: AppClock) -> list[ChecklistItemRead]:
    return [_item_read(i) for i in checklist.checklist_items(session, actor=actor, clock=clock)]


@router.post("/checklist-items", status_code=201)
def create_item(
    body: ChecklistItemCreate, actor: Reviewer, session: DbSession, clock: AppClock
) -> ChecklistItemRead:
    return _item_read(checklist.create_item(session, actor=actor, clock=clock, data=body))


@router.patch("/checklist-items/{key}")
def update_item(
    key: str, body: ChecklistItemUpdate, actor: Reviewer, session: DbSession, clock: AppClock
) -> ChecklistItemRead:
    return _item_read(checklist.update_item(session, actor=actor, clock=clock, key=key, data=body))
