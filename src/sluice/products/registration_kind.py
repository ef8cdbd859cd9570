"""Data products as a registrable kind (N4): registration of products is encouraged, and the
``product_registration_required`` setting makes it mandatory before a product can be called
(``service.callable_product`` asks ``registration.service.current``).

Products register themselves here, from above: registration imports nothing of products.
A product is described by its code and name; its operator may apply and holds the
registration; it may be registered (or its registration changed, corrected or renewed) once
the bureau's security and compliance review approved it and while it is approved or listed.
Registration changes nothing in the product itself, so nothing happens on issue or
cancellation: the gateway reads the registration in force on every call.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Final

from sqlalchemy.orm import Session

from sluice.core.i18n import add_messages
from sluice.products import service as products
from sluice.products.models import Product
from sluice.products.states import APPROVED, LISTED
from sluice.registration import service as registration
from sluice.registration.kinds import RegistrableKind, Subject

KIND: Final = "product"
#: The states in which a product may be registered (and its registration changed or renewed).
REGISTRABLE: Final = (APPROVED, LISTED)

add_messages(
    {
        "product_registration.not_ready": (
            "数据产品“{title}”未处于审查通过或已上架状态，通过安全合规审查后方可申请登记。",
            "Data product '{title}' is neither approved nor listed; it can be registered once "
            "it has passed the security and compliance review.",
        ),
    }
)


def _describe(session: Session, product_id: uuid.UUID) -> Subject | None:
    product = session.get(Product, product_id)
    if product is None:
        return None
    return Subject(
        id=product.id,
        reference=product.code,
        title=products.product_title(session, product.id),
        owner_id=product.operator_id,
        summary=f"数据产品“{product.name}”（产品编码 {product.code}）",
    )


def _lookup(session: Session, reference: str) -> uuid.UUID | None:
    product = products.find_product(session, code=reference)
    return product.id if product is not None else None


def _may_register(session: Session, subject: Subject, at: datetime) -> str | None:
    product = session.get(Product, subject.id)
    if product is None or product.status not in REGISTRABLE:
        return "product_registration.not_ready"
    return None


SPEC: Final = RegistrableKind(
    code_prefix="DP",
    labels=("数据产品", "Data product"),
    describe=_describe,
    lookup=_lookup,
    may_register=_may_register,
    subject_href=lambda product_id: f"/console/products/{product_id}",
)

registration.register_kind(KIND, SPEC)
