"""REST routes of implementation plans, authorizations, exits and rectifications. Thin.

Using the data an agreement covers is the guard's (``sluice.guard.api``)."""

from __future__ import annotations

import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query
from fastapi.responses import HTMLResponse, Response
from pydantic import BaseModel, Field
from sqlalchemy.orm import Session

from sluice.approvals import states as approval_states
from sluice.approvals.models import ApprovalRequest
from sluice.approvals.schemas import ApprovalRead, approval_read
from sluice.authorizations import (
    destruction,
    document_service,
    endings,
    exits,
    parties,
    repository,
    service,
)
from sluice.authorizations.models import Authorization
from sluice.authorizations.schemas import (
    AuthorizationCreate,
    AuthorizationRead,
    DecisionIn,
    ExitIn,
    MatterDecisionIn,
    PlanIn,
    ReasonIn,
    RectificationIn,
    ScopeChange,
    TerminateIn,
)
from sluice.core.permissions import Permission as P
from sluice.core.principal import Principal
from sluice.web.deps import AppClock, AppSettings, DbSession, Locale, Requires
from sluice.web.params import VersionNumber

router = APIRouter(prefix="/api/v1", tags=["authorizations"])

Reader = Annotated[Principal, Depends(Requires(P.AUTHORIZATIONS_READ))]
Manager = Annotated[Principal, Depends(Requires(P.AUTHORIZATIONS_MANAGE))]
Signer = Annotated[Principal, Depends(Requires(P.AUTHORIZATIONS_SIGN))]
Planner = Annotated[Principal, Depends(Requires(P.PLANS_MANAGE))]
ExitRequester = Annotated[Principal, Depends(Requires(P.EXITS_REQUEST))]
ExitDecider = Annotated[Principal, Depends(Requires(P.EXITS_DECIDE))]
RectIssuer = Annotated[Principal, Depends(Requires(P.RECTIFICATIONS_ISSUE))]
RectResponder = Annotated[Principal, Depends(Requires(P.RECTIFICATIONS_RESPOND))]


def read_of(session: Session, authorization: Authorization) -> AuthorizationRead:
    operator = parties.organization(session, authorization.operator_id)
    return AuthorizationRead(
        id=authorization.id,
        number=authorization.number,
        status=authorization.status,
        operator=operator.name if operator else "",
        operator_id=authorization.operator_id,
        scenario=authorization.scenario,
        mode=authorization.mode,
        term_start=authorization.term_start,
        term_end=authorization.term_end,
        version=authorization.version,
    )


def detail_of(session: Session, authorization: Authorization) -> dict[str, Any]:
    versions = repository.versions(session, authorization.id)
    signatures = repository.signatures(session, authorization.id)
    certificate = repository.certificate(session, authorization.id)
    return {
        **read_of(session, authorization).model_dump(mode="json"),
        "purpose": authorization.purpose,
        "domain": authorization.domain,
        "term_years": authorization.term_years,
        "renewed_from_id": str(authorization.renewed_from_id)
        if authorization.renewed_from_id
        else None,
        "scope": versions[-1].content["scope"] if versions else [],
        "versions": [
            {
                "number": v.number,
                "digest": v.digest,
                "changes": v.changes,
                "reason": v.reason,
                "created_at": v.created_at.isoformat(),
            }
            for v in versions
        ],
        "signatures": [
            {
                "version": s.version,
                "party": s.party,
                "signer": s.signer,
                "signed_at": s.signed_at.isoformat(),
                "digest": s.digest,
                "public_key_hex": s.public_key_hex,
                "signature_hex": s.signature_hex,
                "valid": service.verify_signature(session, s),
            }
            for s in signatures
        ],
        "destruction_certificate": certificate.number if certificate else None,
    }


# -- plans ------------------------------------------------------------------------------------


@router.get("/plans")
def list_plans(session: DbSession, actor: Planner) -> list[dict[str, Any]]:
    return [
        {"id": str(p.id), "title": p.title, "status": p.status, "sections": p.sections}
        for p in service.plans(session, actor)
    ]


@router.post("/plans", status_code=201)
def create_plan(
    data: PlanIn, session: DbSession, actor: Planner, clock: AppClock
) -> dict[str, Any]:
    plan = service.create_plan(session, actor=actor, at=clock.now(), data=data)
    return {"id": str(plan.id), "title": plan.title, "status": plan.status}


@router.post("/plans/{plan_id}/decision")
def decide_plan(
    plan_id: uuid.UUID, data: DecisionIn, session: DbSession, actor: Planner, clock: AppClock
) -> dict[str, Any]:
    plan = service.decide_plan(session, actor=actor, at=clock.now(), plan_id=plan_id, data=data)
    return {"id": str(plan.id), "title": plan.title, "status": plan.status}


# -- authorizations -----------------------------------------------------------------------------


@router.get("/authorizations")
def list_authorizations(
    session: DbSession,
    actor: Reader,
    status: Annotated[str | None, Query(max_length=20)] = None,
) -> list[AuthorizationRead]:
    return [read_of(session, a) for a in service.authorizations(session, actor, status=status)]


@router.post("/authorizations", status_code=201)
def create_authorization(
    data: AuthorizationCreate,
    session: DbSession,
    actor: Manager,
    clock: AppClock,
    settings: AppSettings,
) -> dict[str, Any]:
    created = service.create_authorization(
        session, actor=actor, settings=settings, at=clock.now(), data=data
    )
    return detail_of(session, created)


@router.get("/authorizations/{authorization_id}")
def read_authorization(
    authorization_id: uuid.UUID, session: DbSession, actor: Reader
) -> dict[str, Any]:
    return detail_of(session, service.visible(session, actor, authorization_id))


@router.post("/authorizations/{authorization_id}/scope")
def change_scope(
    authorization_id: uuid.UUID,
    change: ScopeChange,
    session: DbSession,
    actor: Manager,
    clock: AppClock,
    settings: AppSettings,
) -> dict[str, Any]:
    version = service.change_scope(
        session,
        actor=actor,
        settings=settings,
        at=clock.now(),
        authorization_id=authorization_id,
        change=change,
    )
    return {"version": version.number, "digest": version.digest, "changes": version.changes}


@router.post("/authorizations/{authorization_id}/submit")
def submit(
    authorization_id: uuid.UUID, session: DbSession, actor: Manager, clock: AppClock
) -> AuthorizationRead:
    found = service.submit(session, actor=actor, at=clock.now(), authorization_id=authorization_id)
    return read_of(session, found)


@router.post("/authorizations/{authorization_id}/decision")
def decide(
    authorization_id: uuid.UUID,
    data: DecisionIn,
    session: DbSession,
    actor: Manager,
    clock: AppClock,
) -> AuthorizationRead:
    found = service.decide(
        session, actor=actor, at=clock.now(), authorization_id=authorization_id, data=data
    )
    return read_of(session, found)


@router.post("/authorizations/{authorization_id}/sign")
def sign(
    authorization_id: uuid.UUID,
    session: DbSession,
    actor: Signer,
    clock: AppClock,
    settings: AppSettings,
) -> dict[str, Any]:
    signature = service.sign(
        session, actor=actor, settings=settings, at=clock.now(), authorization_id=authorization_id
    )
    found = service.visible(session, actor, authorization_id)
    return {
        "party": signature.party,
        "version": signature.version,
        "digest": signature.digest,
        "public_key_hex": signature.public_key_hex,
        "signature_hex": signature.signature_hex,
        "status": found.status,
        "term_start": found.term_start.isoformat() if found.term_start else None,
        "term_end": found.term_end.isoformat() if found.term_end else None,
    }


@router.post("/authorizations/{authorization_id}/suspend")
def suspend(
    authorization_id: uuid.UUID, data: ReasonIn, session: DbSession, actor: Manager, clock: AppClock
) -> AuthorizationRead:
    found = service.suspend(
        session, actor=actor, at=clock.now(), authorization_id=authorization_id, reason=data.reason
    )
    return read_of(session, found)


@router.post("/authorizations/{authorization_id}/resume")
def resume(
    authorization_id: uuid.UUID, data: ReasonIn, session: DbSession, actor: Manager, clock: AppClock
) -> AuthorizationRead:
    found = service.resume(
        session, actor=actor, at=clock.now(), authorization_id=authorization_id, reason=data.reason
    )
    return read_of(session, found)


def _accepted(response: Response, request: ApprovalRequest) -> None:
    """202 while a request waits for its second person; 200 once it was carried out."""
    response.status_code = 200 if request.status == approval_states.APPROVED else 202


@router.post("/authorizations/{authorization_id}/terminate", status_code=202)
def terminate(
    authorization_id: uuid.UUID,
    data: TerminateIn,
    response: Response,
    session: DbSession,
    actor: Manager,
    clock: AppClock,
    settings: AppSettings,
    locale: Locale,
) -> ApprovalRead:
    """Ask to terminate, rescind or revoke (``how``; irreversible): the agreement ends when
    another bureau user approves the request (``POST /api/v1/approvals/{id}/approve``), or
    at once if ``decision_id`` cites an approved collective decision on this very act
    recorded by someone else."""
    request = service.terminate(
        session,
        actor=actor,
        settings=settings,
        at=clock.now(),
        authorization_id=authorization_id,
        reason=data.reason,
        decision_id=data.decision_id,
        how=data.how,
    )
    _accepted(response, request)
    return approval_read(request, locale)


@router.post("/decisions", status_code=201)
def record_matter_decision(
    data: MatterDecisionIn,
    session: DbSession,
    actor: Planner,
    clock: AppClock,
    settings: AppSettings,
    locale: Locale,
) -> dict[str, Any]:
    """Record a collective decision (三重一大) on one irreversible act on one object. A
    request waiting there follows it, unless its own requester recorded the decision."""
    decision, request = service.record_matter_decision(
        session, actor=actor, settings=settings, at=clock.now(), data=data
    )
    return {
        "decision_id": str(decision.id),
        "approval": approval_read(request, locale).model_dump(mode="json") if request else None,
    }


@router.post("/authorizations/{authorization_id}/renew", status_code=201)
def renew(
    authorization_id: uuid.UUID,
    data: DecisionIn,
    session: DbSession,
    actor: Manager,
    clock: AppClock,
    settings: AppSettings,
) -> AuthorizationRead:
    successor = service.renew(
        session,
        actor=actor,
        settings=settings,
        at=clock.now(),
        authorization_id=authorization_id,
        data=data,
    )
    return read_of(session, successor)


@router.get("/authorizations/{authorization_id}/document.html", response_class=HTMLResponse)
def document_html(
    authorization_id: uuid.UUID,
    session: DbSession,
    actor: Reader,
    locale: Locale,
    version: VersionNumber = None,
) -> HTMLResponse:
    found = service.visible(session, actor, authorization_id)
    html = document_service.html(session, actor, found, version=version, locale=locale)
    return HTMLResponse(html)


@router.get("/authorizations/{authorization_id}/document.pdf")
def document_pdf(
    authorization_id: uuid.UUID,
    session: DbSession,
    actor: Reader,
    locale: Locale,
    version: VersionNumber = None,
) -> Response:
    found = service.visible(session, actor, authorization_id)
    pdf = document_service.pdf(session, actor, found, version=version, locale=locale)
    filename = f"authorization-{found.id}-v{version or found.version}.pdf"
    return Response(
        pdf,
        media_type="application/pdf",
        headers={"Content-Disposition": f'inline; filename="{filename}"'},
    )


@router.get("/authorizations/{authorization_id}/destruction-certificate")
def destruction_certificate(
    authorization_id: uuid.UUID, session: DbSession, actor: Reader
) -> dict[str, Any]:
    certificate = destruction.certificate(session, actor, authorization_id)
    return {
        "number": certificate.number,
        "issued_at": certificate.issued_at.isoformat(),
        "content": certificate.content,
        "digest": certificate.digest,
        "algorithm": "SM2-with-SM3",
        "public_key_hex": certificate.public_key_hex,
        "signature_hex": certificate.signature_hex,
        "valid": destruction.verify_issued(session, certificate),
    }


# -- exits and rectifications -------------------------------------------------------------------


class ExitDecisionIn(BaseModel):
    approve: bool
    reason: str = Field(min_length=2, max_length=2000)


class AssetIn(BaseModel):
    name: str = Field(min_length=1, max_length=200)
    kind: str = Field(max_length=30)
    description: str = Field(default="", max_length=2000)


class CheckIn(BaseModel):
    passed: bool
    note: str = Field(min_length=2, max_length=2000)
    #: For a failed check: the collective decision it rests on, if any.
    decision_id: uuid.UUID | None = None


class ReportIn(BaseModel):
    report: str = Field(min_length=2, max_length=8000)


def exit_of(session: Session, actor: Principal, request_id: uuid.UUID) -> dict[str, Any]:
    request = exits.seen_exit(session, actor, request_id)
    return {
        "id": str(request.id),
        "authorization_id": str(request.authorization_id),
        "kind": request.kind,
        "status": request.status,
        "exit_date": request.exit_date.isoformat(),
        "decision_reason": request.decision_reason,
        "handover": [
            {"id": str(i.id), "title": i.title, "done": i.done_at is not None}
            for i in exits.handover_items(session, request.id)
        ],
        "assets": [
            {"name": a.name, "kind": a.kind, "goes_to": a.goes_to}
            for a in exits.disposals(session, request.id)
        ],
    }


@router.post("/authorizations/{authorization_id}/exits", status_code=201)
def request_exit(
    authorization_id: uuid.UUID,
    data: ExitIn,
    session: DbSession,
    actor: ExitRequester,
    clock: AppClock,
    settings: AppSettings,
) -> dict[str, Any]:
    request = exits.request_exit(
        session,
        actor=actor,
        settings=settings,
        at=clock.now(),
        authorization_id=authorization_id,
        data=data,
    )
    return exit_of(session, actor, request.id)


@router.post("/exits/{exit_id}/decision")
def decide_exit(
    exit_id: uuid.UUID,
    data: ExitDecisionIn,
    session: DbSession,
    actor: ExitDecider,
    clock: AppClock,
) -> dict[str, Any]:
    exits.decide_exit(
        session,
        actor=actor,
        at=clock.now(),
        exit_id=exit_id,
        approve=data.approve,
        reason=data.reason,
    )
    return exit_of(session, actor, exit_id)


@router.post("/exits/{exit_id}/execute")
def execute_exit(
    exit_id: uuid.UUID,
    session: DbSession,
    actor: ExitDecider,
    clock: AppClock,
    settings: AppSettings,
) -> dict[str, Any]:
    endings.execute_exit(session, actor=actor, settings=settings, at=clock.now(), exit_id=exit_id)
    return exit_of(session, actor, exit_id)


@router.post("/exits/{exit_id}/assets", status_code=201)
def record_asset(
    exit_id: uuid.UUID, data: AssetIn, session: DbSession, actor: ExitDecider, clock: AppClock
) -> dict[str, Any]:
    exits.record_asset(
        session,
        actor=actor,
        at=clock.now(),
        exit_id=exit_id,
        name=data.name,
        kind=data.kind,
        description=data.description,
    )
    return exit_of(session, actor, exit_id)


@router.post("/exit-items/{item_id}/done")
def handover_done(
    item_id: uuid.UUID, session: DbSession, actor: ExitDecider, clock: AppClock
) -> dict[str, Any]:
    item = exits.mark_handover_done(session, actor=actor, at=clock.now(), item_id=item_id)
    return exit_of(session, actor, item.exit_id)


@router.post("/exits/{exit_id}/complete")
def complete_exit(
    exit_id: uuid.UUID, session: DbSession, actor: ExitDecider, clock: AppClock
) -> dict[str, Any]:
    exits.complete_exit(session, actor=actor, at=clock.now(), exit_id=exit_id)
    return exit_of(session, actor, exit_id)


@router.post("/authorizations/{authorization_id}/rectifications", status_code=201)
def issue_rectification(
    authorization_id: uuid.UUID,
    data: RectificationIn,
    session: DbSession,
    actor: RectIssuer,
    clock: AppClock,
    settings: AppSettings,
) -> dict[str, Any]:
    order = exits.issue_rectification(
        session,
        actor=actor,
        at=clock.now(),
        settings=settings,
        authorization_id=authorization_id,
        data=data,
    )
    return {"id": str(order.id), "status": order.status, "deadline": order.deadline.isoformat()}


@router.post("/rectifications/{order_id}/report")
def report_rectification(
    order_id: uuid.UUID, data: ReportIn, session: DbSession, actor: RectResponder, clock: AppClock
) -> dict[str, Any]:
    order = exits.report_rectification(
        session, actor=actor, at=clock.now(), order_id=order_id, report=data.report
    )
    return {"id": str(order.id), "status": order.status}


@router.post("/rectifications/{order_id}/check")
def check_rectification(
    order_id: uuid.UUID,
    data: CheckIn,
    response: Response,
    session: DbSession,
    actor: RectIssuer,
    clock: AppClock,
    settings: AppSettings,
    locale: Locale,
) -> dict[str, Any]:
    """A pass is recorded at once. A fail forces the exit, so it is a request (202) carried
    out when another bureau user approves it."""
    order, request = exits.check_rectification(
        session,
        actor=actor,
        settings=settings,
        at=clock.now(),
        order_id=order_id,
        passed=data.passed,
        note=data.note,
        decision_id=data.decision_id,
    )
    if request is not None:
        _accepted(response, request)
    return {
        "id": str(order.id),
        "status": order.status,
        "approval": approval_read(request, locale).model_dump(mode="json") if request else None,
    }
