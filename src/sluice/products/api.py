"""The products' REST routes: declare, change a draft, submit, amend the agreement, review,
list, suspend, resume, delist, and the bureau's price caps. Thin: the service decides."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Depends
from sqlalchemy.orm import Session

from sluice.core.permissions import Permission as P
from sluice.core.principal import Principal
from sluice.products import pricing, service
from sluice.products.models import PriceCap
from sluice.products.repository import ProductRow
from sluice.products.schemas import (
    AmendmentIn,
    AmendmentRead,
    DelistIn,
    DelistRead,
    PriceCapIn,
    PriceCapRead,
    ProductIn,
    ProductRead,
    ProductUpdate,
    ReasonIn,
    ReviewIn,
)
from sluice.web.deps import AppClock, AppSettings, DbSession, Requires

router = APIRouter(prefix="/api/v1", tags=["products"])

Reader = Annotated[Principal, Depends(Requires(P.PRODUCTS_READ))]
Declarer = Annotated[Principal, Depends(Requires(P.PRODUCTS_DECLARE))]
Reviewer = Annotated[Principal, Depends(Requires(P.PRODUCTS_REVIEW))]
CapSetter = Annotated[Principal, Depends(Requires(P.PRICE_CAPS_MANAGE))]


def product_read(session: Session, row: ProductRow) -> ProductRead:
    p = row.product
    return ProductRead(
        id=p.id,
        code=p.code,
        name=p.name,
        description=p.description,
        type=p.type,
        spec=p.spec,
        resource_ids=[uuid.UUID(r) for r in p.resource_ids],
        output_schema=p.output_schema,
        consent_required=p.consent_required,
        subject_input=p.subject_input,
        subject_kind=p.subject_kind,
        purposes=p.purposes,
        domain=p.domain,
        billing_unit=p.billing_unit,
        price_fen=p.price_fen,
        pricing_rule=p.pricing_rule,
        operator_id=p.operator_id,
        operator=row.operator,
        workspace_id=p.workspace_id,
        authorization_id=p.authorization_id,
        named_in_agreement=service.named_in_agreement(session, p),
        status=p.status,
        created_at=p.created_at,
        updated_at=p.updated_at,
        submitted_at=p.submitted_at,
        reviewed_by=p.reviewed_by,
        reviewed_at=p.reviewed_at,
        review_reason=p.review_reason,
        first_listed_at=p.first_listed_at,
        listed_at=p.listed_at,
        suspended_reason=p.suspended_reason,
        ended_at=p.ended_at,
        end_reason=p.end_reason,
    )


def _read(session: Session, actor: Principal, product_id: uuid.UUID) -> ProductRead:
    return product_read(session, service.visible(session, actor=actor, product_id=product_id))


def cap_read(cap: PriceCap) -> PriceCapRead:
    return PriceCapRead(
        id=cap.id,
        product_type=cap.product_type,
        domain=cap.domain,
        version=cap.version,
        cap_fen=cap.cap_fen,
        effective_from=cap.effective_from,
        reason=cap.reason,
        set_by=cap.set_by,
    )


# -- price caps (before /products/{product_id}, which would take "price-caps" for an id) ------


@router.get("/products/price-caps")
def list_caps(session: DbSession, actor: Reader) -> list[PriceCapRead]:
    """Every version of every class's cap, newest version first within a class."""
    return [cap_read(c) for c in pricing.caps(session, actor=actor)]


@router.post("/products/price-caps", status_code=201)
def set_cap(
    data: PriceCapIn, session: DbSession, actor: CapSetter, clock: AppClock
) -> PriceCapRead:
    """A new version of a product class's cap (type × industry domain), in force at once."""
    cap = pricing.set_cap(
        session,
        actor=actor,
        at=clock.now(),
        product_type=data.product_type,
        domain=data.domain,
        cap_fen=data.cap_fen,
        reason=data.reason,
    )
    return cap_read(cap)


# -- products ------------------------------------------------------------------------------


@router.get("/products")
def list_products(session: DbSession, actor: Reader) -> list[ProductRead]:
    """The products the caller sees: an operator its own, the bureau's side those submitted."""
    return [product_read(session, row) for row in service.rows(session, actor=actor)]


@router.post("/products", status_code=201)
def declare(
    data: ProductIn,
    session: DbSession,
    actor: Declarer,
    clock: AppClock,
    settings: AppSettings,
) -> ProductRead:
    """Declare a product (a draft) in one of the operator's workspaces; a refusal is
    problem+json with its ``code`` (``spec_invalid``, ``price_not_allowed``,
    ``price_over_cap``, ``product_already_delivered``, …)."""
    product = service.declare(session, actor=actor, settings=settings, at=clock.now(), data=data)
    return _read(session, actor, product.id)


@router.get("/products/{product_id}")
def read_product(product_id: uuid.UUID, session: DbSession, actor: Reader) -> ProductRead:
    return _read(session, actor, product_id)


@router.put("/products/{product_id}")
def update(
    product_id: uuid.UUID,
    data: ProductUpdate,
    session: DbSession,
    actor: Declarer,
    clock: AppClock,
    settings: AppSettings,
) -> ProductRead:
    """Change a draft (declared, or returned by the review)."""
    service.update(
        session, actor=actor, settings=settings, at=clock.now(), product_id=product_id, data=data
    )
    return _read(session, actor, product_id)


@router.post("/products/{product_id}/submit")
def submit(
    product_id: uuid.UUID, session: DbSession, actor: Declarer, clock: AppClock
) -> ProductRead:
    service.submit(session, actor=actor, at=clock.now(), product_id=product_id)
    return _read(session, actor, product_id)


@router.post("/products/{product_id}/amendment", status_code=201)
def amend(
    product_id: uuid.UUID,
    data: AmendmentIn,
    session: DbSession,
    actor: Declarer,
    clock: AppClock,
    settings: AppSettings,
) -> AmendmentRead:
    """File the amendment adding the product to its agreement, signed for the operator; the
    bureau countersigns it on the agreement (``POST /api/v1/authorizations/{id}/sign``)."""
    version = service.amend(
        session,
        actor=actor,
        settings=settings,
        at=clock.now(),
        product_id=product_id,
        review=data.review,
    )
    return AmendmentRead(
        authorization_id=version.authorization_id, version=version.number, digest=version.digest
    )


@router.post("/products/{product_id}/review")
def review(
    product_id: uuid.UUID, data: ReviewIn, session: DbSession, actor: Reviewer, clock: AppClock
) -> ProductRead:
    """The bureau's security and compliance review (R9.1): approve or reject, with a reason."""
    service.review(
        session,
        actor=actor,
        at=clock.now(),
        product_id=product_id,
        decision=data.decision,
        reason=data.reason,
    )
    return _read(session, actor, product_id)


@router.post("/products/{product_id}/list")
def list_product(
    product_id: uuid.UUID,
    session: DbSession,
    actor: Declarer,
    clock: AppClock,
    settings: AppSettings,
) -> ProductRead:
    """Put an approved product on the market (refused ``price_over_cap`` over its cap)."""
    service.list_product(
        session, actor=actor, settings=settings, at=clock.now(), product_id=product_id
    )
    return _read(session, actor, product_id)


@router.post("/products/{product_id}/suspend")
def suspend(
    product_id: uuid.UUID, data: ReasonIn, session: DbSession, actor: Reviewer, clock: AppClock
) -> ProductRead:
    service.suspend(session, actor=actor, at=clock.now(), product_id=product_id, reason=data.reason)
    return _read(session, actor, product_id)


@router.post("/products/{product_id}/resume")
def resume(
    product_id: uuid.UUID, data: ReasonIn, session: DbSession, actor: Reviewer, clock: AppClock
) -> ProductRead:
    service.resume(session, actor=actor, at=clock.now(), product_id=product_id, reason=data.reason)
    return _read(session, actor, product_id)


@router.post("/products/{product_id}/delist", status_code=202)
def delist(
    product_id: uuid.UUID,
    data: DelistIn,
    session: DbSession,
    actor: Reviewer,
    clock: AppClock,
    settings: AppSettings,
) -> DelistRead:
    """Ask to delist (irreversible): carried out when a second bureau user approves the
    request (``/api/v1/approvals``), or at once on a collective decision someone else
    recorded."""
    request = service.request_delisting(
        session,
        actor=actor,
        settings=settings,
        at=clock.now(),
        product_id=product_id,
        reason=data.reason,
        decision_id=data.decision_id,
    )
    return DelistRead(
        approval_id=request.id, status=request.status, product=_read(session, actor, product_id)
    )
