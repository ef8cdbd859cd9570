"""Every query of the products' tables, scoped to the acting principal in one place.

Who sees a product (``_visible``): its operator, every state; the bureau's side (bureau and
registry) every product its operator submitted at least once (a draft never submitted is
the operator's alone); the platform itself all. Nobody else: a product one may not see
does not exist (404). The market's reads (``by_code``, ``listed``) are public and take no
principal: they answer listed products only, or the one product the gateway names.
"""

from __future__ import annotations

import uuid
from collections.abc import Collection
from dataclasses import dataclass
from typing import Any, Final, cast

from sqlalchemy import ColumnElement, Select, false, func, or_, select, true
from sqlalchemy.orm import Session

from sluice.core.paging import ListQuery, Page, contains, paginate
from sluice.core.permissions import Role
from sluice.core.principal import Principal
from sluice.identity.models import Organization
from sluice.products.models import PriceCap, Product
from sluice.products.states import DRAFT, LISTED, SUBMITTED

PRODUCT_SORTS: Final = ("updated", "name", "status", "price")


def _visible(actor: Principal) -> ColumnElement[bool]:
    if actor.is_system:
        return true()
    if Role.OPERATOR in actor.roles and actor.organization_id is not None:
        return Product.operator_id == actor.organization_id
    if Role.BUREAU in actor.roles or Role.REGISTRY in actor.roles:
        return or_(Product.status != DRAFT, Product.submitted_at.is_not(None))
    return false()


@dataclass(frozen=True)
class ProductRow:
    product: Product
    operator: str


def product(session: Session, actor: Principal, product_id: uuid.UUID) -> Product | None:
    return session.scalar(select(Product).where(Product.id == product_id, _visible(actor)))


def get(session: Session, product_id: uuid.UUID) -> Product | None:
    """The product by id, whoever asks (for the approvals' act and the endings)."""
    return session.get(Product, product_id)


def product_for_update(session: Session, product_id: uuid.UUID) -> Product | None:
    """The row, locked on PostgreSQL (a review and an ending at the same moment)."""
    return session.get(Product, product_id, with_for_update=True)


def row(session: Session, actor: Principal, product_id: uuid.UUID) -> ProductRow | None:
    found = session.execute(
        select(Product, Organization.name)
        .join(Organization, Organization.id == Product.operator_id)
        .where(Product.id == product_id, _visible(actor))
    ).first()
    return ProductRow(found[0], found[1]) if found else None


def product_page(session: Session, actor: Principal, query: ListQuery) -> Page[ProductRow]:
    """The products the actor sees; filters ``status`` and ``type``, search in the code,
    name and operator."""
    statement = (
        select(Product, Organization.name)
        .join(Organization, Organization.id == Product.operator_id)
        .where(_visible(actor))
    )
    if status := query.filter("status"):
        statement = statement.where(Product.status == status)
    if kind := query.filter("type"):
        statement = statement.where(Product.type == kind)
    if query.q:
        statement = statement.where(
            contains(query.q, Product.code, Product.name, Organization.name)
        )
    page = paginate(
        session,
        cast("Select[Any]", statement),  # rows of (product, operator name)
        query,
        sorts={
            "updated": Product.updated_at,
            "name": Product.name,
            "status": Product.status,
            "price": Product.price_fen,
        },
        default="-updated",
        tiebreak=Product.id,
        scalars=False,
    )
    return Page([ProductRow(p, name) for p, name in page.items], page.total, page.query)


def products(session: Session, actor: Principal) -> list[ProductRow]:
    rows = session.execute(
        select(Product, Organization.name)
        .join(Organization, Organization.id == Product.operator_id)
        .where(_visible(actor))
        .order_by(Product.updated_at.desc(), Product.id)
    )
    return [ProductRow(p, name) for p, name in rows]


def waiting(session: Session, *, limit: int) -> tuple[int, list[ProductRow]]:
    """Products awaiting the bureau's review, oldest first, and how many there are."""
    count = session.scalar(select(func.count()).where(Product.status == SUBMITTED)) or 0
    rows = session.execute(
        select(Product, Organization.name)
        .join(Organization, Organization.id == Product.operator_id)
        .where(Product.status == SUBMITTED)
        .order_by(Product.submitted_at, Product.id)
        .limit(limit)
    )
    return int(count), [ProductRow(p, name) for p, name in rows]


def status_counts(session: Session, actor: Principal) -> dict[str, int]:
    rows = session.execute(
        select(Product.status, func.count()).where(_visible(actor)).group_by(Product.status)
    )
    return {status: int(count) for status, count in rows}


# -- public reads ---------------------------------------------------------------------------


def by_code(session: Session, code: str) -> Product | None:
    """The product with this code, any status (one read of the unique index)."""
    return session.scalar(select(Product).where(Product.code == code))


def code_taken(session: Session, code: str) -> bool:
    return session.scalar(select(Product.id).where(Product.code == code)) is not None


def listed(session: Session) -> list[ProductRow]:
    rows = session.execute(
        select(Product, Organization.name)
        .join(Organization, Organization.id == Product.operator_id)
        .where(Product.status == LISTED)
        .order_by(Product.listed_at.desc(), Product.id)
    )
    return [ProductRow(p, name) for p, name in rows]


def listed_products(session: Session) -> list[Product]:
    return list(
        session.scalars(
            select(Product)
            .where(Product.status == LISTED)
            .order_by(Product.listed_at.desc(), Product.id)
        )
    )


def listed_row(session: Session, code: str) -> ProductRow | None:
    found = session.execute(
        select(Product, Organization.name)
        .join(Organization, Organization.id == Product.operator_id)
        .where(Product.code == code, Product.status == LISTED)
    ).first()
    return ProductRow(found[0], found[1]) if found else None


def title(session: Session, product_id: uuid.UUID) -> str | None:
    return session.scalar(select(Product.name).where(Product.id == product_id))


# -- what other parts of the products module need -------------------------------------------


def live_of_chain(
    session: Session, owner_id: uuid.UUID, statuses: Collection[str]
) -> list[Product]:
    return list(
        session.scalars(
            select(Product)
            .where(Product.owner_id == owner_id, Product.status.in_(list(statuses)))
            .order_by(Product.created_at, Product.id)
        )
    )


def delivered_like(
    session: Session,
    *,
    operator_ids: Collection[uuid.UUID],
    name_key: str,
    fingerprint: str,
    excluding_owner: uuid.UUID | None,
) -> Product | None:
    """A product of these operators listed at least once (delivered, N2), outside the chain
    ``excluding_owner``, with the same folded name or the same content."""
    statement = select(Product).where(
        Product.operator_id.in_(list(operator_ids)),
        Product.first_listed_at.is_not(None),
        or_(Product.name_key == name_key, Product.fingerprint == fingerprint),
    )
    if excluding_owner is not None:
        statement = statement.where(Product.owner_id != excluding_owner)
    return session.scalars(statement.order_by(Product.first_listed_at, Product.id)).first()


# -- price caps -----------------------------------------------------------------------------


def caps_of(session: Session, product_type: str, domain: str) -> list[PriceCap]:
    """Every cap of the class, newest version first."""
    return list(
        session.scalars(
            select(PriceCap)
            .where(PriceCap.product_type == product_type, PriceCap.domain == domain)
            .order_by(PriceCap.version.desc())
        )
    )


def last_version(session: Session, product_type: str, domain: str) -> int:
    found = session.scalar(
        select(func.max(PriceCap.version)).where(
            PriceCap.product_type == product_type, PriceCap.domain == domain
        )
    )
    return int(found or 0)


def caps(session: Session) -> list[PriceCap]:
    """Every cap, by class, newest version first."""
    return list(
        session.scalars(
            select(PriceCap).order_by(
                PriceCap.domain, PriceCap.product_type, PriceCap.version.desc()
            )
        )
    )


def cap(session: Session, cap_id: uuid.UUID) -> PriceCap | None:
    return session.get(PriceCap, cap_id)


def caps_by_ids(session: Session, ids: Collection[uuid.UUID]) -> dict[uuid.UUID, PriceCap]:
    if not ids:
        return {}
    found = session.scalars(select(PriceCap).where(PriceCap.id.in_(list(ids))))
    return {c.id: c for c in found}
