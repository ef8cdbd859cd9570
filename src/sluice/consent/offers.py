"""What a subject may consent to: the listed products that need consent, as the products
module declares them (``products.service``), read nowhere else in this package.

An ``Offer`` is a listed product about a subject (a person or an enterprise) whose calls need
the subject's consent, with the purposes a buyer may call it for; a consent names one of them.
"""

from __future__ import annotations

import importlib
import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from types import ModuleType
from typing import Any

from sqlalchemy.orm import Session


@dataclass(frozen=True)
class Offer:
    id: uuid.UUID
    code: str
    title: str
    #: ``person`` or ``enterprise``: whose consent its calls need (None: either).
    subject_kind: str | None
    purposes: tuple[str, ...]


def _products() -> ModuleType | None:
    # The products module is being built beside this one (issue 12); until it is in the
    # tree no product can be offered, and titles fall back to the product's id.
    try:
        return importlib.import_module("sluice.products.service")
    except ModuleNotFoundError:
        return None


def offers(session: Session, *, at: datetime) -> list[Offer]:
    """Every listed product a consent can be granted for, by title."""
    products = _products()
    if products is None:
        return []
    found = []
    for product in products.listed_products(session):
        try:
            callable_: Any = products.callable_product(session, code=product.code, at=at)
        except Exception as error:
            if getattr(error, "status", None) == 404:
                continue
            raise
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
    """Each product's title as its module shows it (its id while products are not built)."""
    products = _products()
    return {
        product_id: str(products.product_title(session, product_id))
        if products
        else str(product_id)
        for product_id in set(product_ids)
    }


def search(session: Session, text: str) -> list[uuid.UUID]:
    """Listed products whose title or code contains the text (for searching lists)."""
    products = _products()
    if products is None or not text:
        return []
    wanted = text.casefold()
    return [
        p.id
        for p in products.listed_products(session)
        if wanted in str(p.code).casefold() or wanted in titles(session, [p.id])[p.id].casefold()
    ]
