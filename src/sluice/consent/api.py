"""The consent ledger's REST routes. Thin.

* a data subject: grant (``POST /consents``), revoke, list its consents and the uses of its
  data;
* a buyer: the consents granted to it (the subject masked), to send ``consent_id`` with its
  calls;
* the bureau: the ledger with each consent's evidence SM3 and the evidence itself, and
  opening data subjects' accounts.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated
from urllib.parse import quote

from fastapi import APIRouter, Depends, Query, Response

from sluice.consent import service
from sluice.consent.schemas import (
    ConsentGrant,
    ConsentPage,
    ConsentRead,
    LedgerPage,
    LedgerRead,
    SubjectCreate,
    SubjectRead,
    UsePage,
    UseRead,
)
from sluice.consent.service import ConsentView
from sluice.consent.states import STANDINGS
from sluice.core.paging import ListQuery
from sluice.core.permissions import Permission as P
from sluice.core.principal import Principal
from sluice.web.deps import AppClock, AppSettings, DbSession, Requires
from sluice.web.params import PageNumber

router = APIRouter(prefix="/api/v1/consents", tags=["consents"])

Granter = Annotated[Principal, Depends(Requires(P.CONSENTS_GRANT))]
UseReader = Annotated[Principal, Depends(Requires(P.SUBJECT_USES_READ))]
Buyer = Annotated[Principal, Depends(Requires(P.CONSENTS_READ_GRANTED))]
Inspector = Annotated[Principal, Depends(Requires(P.CONSENTS_INSPECT))]
SubjectOpener = Annotated[Principal, Depends(Requires(P.IDENTITY_MANAGE))]
PageSize = Annotated[int, Query(ge=1, le=200, description="Items per page.")]
Standing = Annotated[str | None, Query(pattern="^(" + "|".join(STANDINGS) + ")$")]


def consent_read(view: ConsentView) -> ConsentRead:
    c = view.consent
    return ConsentRead(
        id=c.id,
        buyer_id=c.buyer_id,
        buyer=view.buyer,
        product_id=c.product_id,
        product=view.product,
        purpose=c.purpose,
        valid_from=c.valid_from,
        valid_until=c.valid_until,
        status=c.status,
        standing=view.standing,
        subject=view.subject_masked,
        subject_kind=view.subject_kind,
        granted_at=c.granted_at,
        revoked_at=c.revoked_at,
    )


def ledger_read(view: ConsentView) -> LedgerRead:
    c = view.consent
    return LedgerRead(
        **consent_read(view).model_dump(),
        evidence_kind=c.evidence_kind,
        evidence_name=c.evidence_name,
        evidence_sm3=c.evidence_sm3,
        evidence_bytes=c.evidence_bytes,
    )


def _query(page: int, size: int, **filters: str | None) -> ListQuery:
    return ListQuery(
        page=page,
        size=size,
        sort="granted",
        descending=True,
        filters={k: v for k, v in filters.items() if v},
    )


def _page(
    session: DbSession, actor: Principal, at: datetime, query: ListQuery
) -> tuple[int, int, list[ConsentView]]:
    found = service.consents(session, actor=actor, at=at, query=query)
    return found.total, found.query.page, list(found.items)


@router.post("", status_code=201)
def grant_consent(
    data: ConsentGrant,
    session: DbSession,
    actor: Granter,
    clock: AppClock,
    settings: AppSettings,
) -> ConsentRead:
    """Grant a buyer consent for a product and purpose; the platform writes the consent text
    the subject confirms and keeps it (SM4) as the evidence, with its SM3."""
    at = clock.now()
    made = service.grant(session, actor=actor, settings=settings, at=at, data=data)
    return consent_read(service.consent(session, actor=actor, at=at, consent_id=made.id))


@router.get("/mine")
def my_consents(
    session: DbSession,
    actor: Granter,
    clock: AppClock,
    page: PageNumber = 1,
    size: PageSize = 50,
    status: Standing = None,
) -> ConsentPage:
    """The consents the subject granted, newest first."""
    total, number, items = _page(session, actor, clock.now(), _query(page, size, status=status))
    return ConsentPage(total=total, page=number, items=[consent_read(v) for v in items])


@router.get("/mine/{consent_id}")
def my_consent(
    consent_id: uuid.UUID, session: DbSession, actor: Granter, clock: AppClock
) -> ConsentRead:
    """One of the subject's consents (another's does not exist: 404)."""
    return consent_read(
        service.consent(session, actor=actor, at=clock.now(), consent_id=consent_id)
    )


@router.post("/{consent_id}/revoke")
def revoke_consent(
    consent_id: uuid.UUID, session: DbSession, actor: Granter, clock: AppClock
) -> ConsentRead:
    """Withdraw a consent; the buyer's next call naming it is refused (``consent_revoked``)."""
    at = clock.now()
    service.revoke(session, actor=actor, at=at, consent_id=consent_id)
    return consent_read(service.consent(session, actor=actor, at=at, consent_id=consent_id))


@router.get("/my-uses")
def my_uses(
    session: DbSession,
    actor: UseReader,
    page: PageNumber = 1,
    size: PageSize = 50,
    outcome: Annotated[str | None, Query(pattern="^(answered|refused)$")] = None,
) -> UsePage:
    """Every call and download about the subject, by buyer, product, time, purpose and
    outcome, newest first."""
    query = ListQuery(
        page=page, size=size, sort="used", descending=True, filters={"outcome": outcome or ""}
    )
    found = service.uses(session, actor=actor, query=query)
    return UsePage(
        total=found.total,
        page=found.query.page,
        items=[
            UseRead(
                used_at=v.use.used_at,
                buyer_id=v.use.buyer_id,
                buyer=v.buyer,
                product_id=v.use.product_id,
                product=v.product,
                purpose=v.use.purpose,
                kind=v.use.kind,
                outcome=v.use.outcome,
                consent_id=v.use.consent_id,
            )
            for v in found.items
        ],
    )


@router.get("/granted")
def granted_to_me(
    session: DbSession,
    actor: Buyer,
    clock: AppClock,
    page: PageNumber = 1,
    size: PageSize = 50,
    product: uuid.UUID | None = None,
    status: Standing = None,
) -> ConsentPage:
    """The consents subjects granted the buyer's organization (the subject masked): the
    ``consent_id`` to send with a call."""
    query = _query(page, size, product=str(product) if product else None, status=status)
    total, number, items = _page(session, actor, clock.now(), query)
    return ConsentPage(total=total, page=number, items=[consent_read(v) for v in items])


@router.get("/ledger")
def ledger(
    session: DbSession,
    actor: Inspector,
    clock: AppClock,
    page: PageNumber = 1,
    size: PageSize = 50,
    buyer: uuid.UUID | None = None,
    product: uuid.UUID | None = None,
    status: Standing = None,
) -> LedgerPage:
    """The whole consent ledger, with each consent's evidence and its SM3."""
    query = _query(
        page,
        size,
        buyer=str(buyer) if buyer else None,
        product=str(product) if product else None,
        status=status,
    )
    total, number, items = _page(session, actor, clock.now(), query)
    return LedgerPage(total=total, page=number, items=[ledger_read(v) for v in items])


@router.get("/ledger/{consent_id}")
def ledger_entry(
    consent_id: uuid.UUID, session: DbSession, actor: Inspector, clock: AppClock
) -> LedgerRead:
    return ledger_read(service.consent(session, actor=actor, at=clock.now(), consent_id=consent_id))


@router.get("/ledger/{consent_id}/evidence")
def ledger_evidence(
    consent_id: uuid.UUID,
    session: DbSession,
    actor: Inspector,
    clock: AppClock,
    settings: AppSettings,
) -> Response:
    """The evidence document, checked against its SM3 (sent as ``X-Content-SM3``)."""
    found, content = service.evidence_of(
        session, actor=actor, settings=settings, at=clock.now(), consent_id=consent_id
    )
    return evidence_response(found.evidence_name, found.evidence_sm3, content)


def evidence_response(name: str, sm3: str, content: bytes) -> Response:
    text = name.endswith(".txt")
    return Response(
        content,
        media_type="text/plain; charset=utf-8" if text else "application/octet-stream",
        headers={
            "Content-Disposition": f"attachment; filename*=UTF-8''{quote(name)}",
            "X-Content-SM3": sm3,
            "X-Content-Type-Options": "nosniff",
        },
    )


@router.post("/subjects", status_code=201)
def open_subject(
    data: SubjectCreate,
    session: DbSession,
    actor: SubjectOpener,
    clock: AppClock,
    settings: AppSettings,
) -> SubjectRead:
    """Open a data subject's account, linked to a person (ID number) or an enterprise
    (credit code) by the identifier's token; the identifier is not kept. Real-name
    verification of the person asking for it is the bureau's, outside the platform."""
    subject, username = service.create_subject(
        session, actor=actor, clock=clock, settings=settings, data=data
    )
    return SubjectRead(
        id=subject.id,
        user_id=subject.user_id,
        username=username,
        kind=subject.kind,
        masked=subject.masked,
        created_at=subject.created_at,
    )
