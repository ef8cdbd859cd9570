"""What a subject may consent to: the listed products that need consent, as the products
module declares them (``products.service``), read nowhere else in this package.

An ``Offer`` is a listed product about a subject (a person or an enterprise) whose calls need
the subject's consent, with the purposes a buyer may call it for; a consent names one of them.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.orm import Session

from sluice.products import service as products_service


@dataclass(frozen=True)
class Offer:
    id: uuid.UUID
    code: str
    title: str
    #: ``person`` or ``enterprise``: whose consent its calls need (None: either).
    subject_kind: str | None
    purposes: tuple[str, ...]


def offers(session: Session, *, at: datetime) -> list[Offer]:
    """Every listed product a consent can be granted for, by title: those callable now
    (``callable_product``: listed, and registered where registration is required) whose
    calls need consent."""
    found = []
    for product in products_service.listed_products(session):
        try:
            callable_ = products_service.callable_product(session, code=product.code, at=at)
        except products_service.ProductUnavailable:
            continue
        if not callable_.consent_required:
            continue
        found.append(
            Offer(
                callable_.id,
                callable_.code,
                callable_.name,
                callable_.subject_kind,
                tuple(callable_.purposes),
            )
        )
    return sorted(found, key=lambda o: (o.title, o.code))


def offer(session: Session, product_id: uuid.UUID, *, at: datetime) -> Offer | None:
    return next((o for o in offers(session, at=at) if o.id == product_id), None)


def titles(session: Session, product_ids: Iterable[uuid.UUID]) -> dict[uuid.UUID, str]:
    """Each product's title as its module shows it ("—" for one it does not know)."""
    return {i: products_service.product_title(session, i) for i in set(product_ids)}


def search(session: Session, text: str) -> list[uuid.UUID]:
    """Listed products whose name or code contains the text (for searching lists)."""
    wanted = text.casefold()
    if not wanted:
        return []
    return [
        p.id
        for p in products_service.listed_products(session)
        if wanted in p.code.casefold() or wanted in p.name.casefold()
    ]
