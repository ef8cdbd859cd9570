"""Amendments (协议补充) that add a product to an agreement in force.

A product can be offered only under a product clause of its agreement (N1: the products
and their review are part of the agreement). To offer a product the agreement did not name,
the operator files an amendment: the agreement's next version, the same content with one
more product clause, made with ``service.add_version`` and signed like every version, by
SM2 over the SM3 of its canonical form. The operator signs it as it files it; the bureau
countersigns it on the agreement's page (``service.sign``). Until both have signed, the
agreement names the product only in a version nobody agreed to yet: what counts is the
newest version *both* parties signed (``signed_products``).

N2 by name applies to the clause added (``service.delivered_product_name``, the agreement's
own renewal chain aside); the products module compares the product's content when it is
declared.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any, Final

from sqlalchemy.orm import Session

from sluice.audit import service as audit
from sluice.authorizations import destruction, parties, repository, service
from sluice.authorizations.clauses import AgreementClauses, ProductClause
from sluice.authorizations.models import Authorization, AuthorizationVersion
from sluice.core.clock import local
from sluice.core.errors import Conflict, NotFound, PermissionDenied
from sluice.core.i18n import MessageRef, add_messages
from sluice.core.permissions import Permission
from sluice.core.principal import Principal
from sluice.core.settings import Settings
from sluice.operators import qualified

AMENDED: Final = "authorization.amended"
#: The parties whose signatures make a version agreed.
PARTIES: Final = frozenset({"bureau", "operator"})

audit.declare_actions(
    {AMENDED: ("提出协议补充（新增数据产品）", "Amendment filed (product added)")}
)
add_messages(
    {
        "amendment.operator_only": (
            "协议补充由运营机构提出并先行签署，数据局在协议页面会签。",
            "An amendment is filed and first signed by the operator; the bureau countersigns "
            "it on the agreement's page.",
        ),
        "amendment.not_in_force": (
            "协议 {number} 当前处于“{status}”状态，不在有效期内，不能补充数据产品。",
            "Agreement {number} is {status} and not in force; no product can be added to it.",
        ),
        "amendment.pending": (
            "协议 {number} 的第 {version} 版尚未经双方签署，请待其签署后再提出新的补充。",
            "Version {version} of agreement {number} is not signed by both parties yet; file "
            "the next amendment once it is.",
        ),
        "amendment.already_named": (
            "协议 {number} 已列明数据产品“{product}”，无需补充。",
            "Agreement {number} already names the product “{product}”; no amendment is needed.",
        ),
        "amendment.no_product_right": (
            "协议 {number} 未授予数据产品经营权，不能补充数据产品。",
            "Agreement {number} does not grant the right to operate data products; no product "
            "can be added to it.",
        ),
        "problem.amendment_pending": ("协议补充待签署", "Amendment awaiting signatures"),
        "problem.not_in_force": ("协议不在有效期内", "Agreement not in force"),
        "problem.product_already_named": ("协议已列明该产品", "Product already named"),
        "problem.right_not_granted": ("未授予该权利", "Right not granted"),
    }
)


def signed_version(session: Session, authorization: Authorization) -> AuthorizationVersion | None:
    """The newest version of the agreement both parties signed (None before the first)."""
    by_version: dict[int, set[str]] = {}
    for signature in repository.signatures(session, authorization.id):
        by_version.setdefault(signature.version, set()).add(signature.party)
    agreed = [number for number, signed in by_version.items() if signed >= PARTIES]
    return repository.version(session, authorization.id, max(agreed)) if agreed else None


def signed_products(session: Session, authorization: Authorization) -> list[dict[str, Any]]:
    """The product clauses of the newest version both parties signed."""
    version = signed_version(session, authorization)
    return list(version.content["clauses"]["products"]) if version else []


def names_product(session: Session, authorization: Authorization, name: str) -> bool:
    """The agreement, as both parties signed it, names this product (names folded)."""
    key = service.product_key(name)
    return any(
        service.product_key(p["name"]) == key for p in signed_products(session, authorization)
    )


def add_product(
    session: Session,
    *,
    actor: Principal,
    settings: Settings,
    at: datetime,
    authorization_id: uuid.UUID,
    clause: ProductClause,
) -> AuthorizationVersion:
    """File an amendment adding ``clause`` to the operator's agreement in force, and sign it
    for the operator; the bureau's countersignature makes it agreed."""
    actor.require(Permission.AUTHORIZATIONS_SIGN)
    authorization = service.visible(session, actor, authorization_id)
    party = service.party_of(actor, authorization)
    if party is None:
        raise NotFound("authz.not_found")
    if party != "operator":
        raise PermissionDenied("amendment.operator_only")
    if not service.in_force_on(authorization, local(at).date()):
        raise Conflict(
            "amendment.not_in_force",
            problem_code="not_in_force",
            number=authorization.number,
            status=MessageRef(f"state.authorization.{authorization.status}"),
        )
    current = service.current_version(session, authorization)
    if "product_operation" not in current.content.get("rights", []):
        raise Conflict(
            "amendment.no_product_right",
            problem_code="right_not_granted",
            number=authorization.number,
        )
    signed = {s.party for s in repository.signatures(session, authorization.id, current.number)}
    if not signed >= PARTIES:
        raise Conflict(
            "amendment.pending",
            problem_code="amendment_pending",
            number=authorization.number,
            version=current.number,
        )
    products = list(current.content["clauses"]["products"])
    key = service.product_key(clause.name)
    if any(service.product_key(p["name"]) == key for p in products):
        raise Conflict(
            "amendment.already_named",
            problem_code="product_already_named",
            number=authorization.number,
            product=clause.name,
        )
    _check_delivered(session, authorization, clause.name)
    clauses = AgreementClauses.model_validate(
        {**current.content["clauses"], "products": [*products, clause.model_dump()]}
    ).model_dump()
    content = {**current.content, "clauses": clauses}
    content.pop("version", None)
    reason = f"协议补充：新增数据产品“{clause.name}”"
    version = service.add_version(
        session,
        authorization,
        content=content,
        changes=[
            {
                "kind": "changed",
                "field": "clauses.products",
                "before": "、".join(p["name"] for p in products),
                "after": "、".join(p["name"] for p in clauses["products"]),
            }
        ],
        reason=reason,
        actor=actor,
        at=at,
    )
    session.flush()
    audit.record(
        session,
        actor=actor,
        action=AMENDED,
        target_type="authorization",
        target_id=authorization.id,
        at=at,
        detail={"version": version.number, "product": clause.name, "digest": version.digest},
    )
    service.sign(session, actor=actor, settings=settings, at=at, authorization_id=authorization.id)
    return version


def _check_delivered(session: Session, authorization: Authorization, name: str) -> None:
    """N2 by name, the agreement's own renewal chain aside."""
    operators = {authorization.operator_id} | qualified.affiliated_organizations(
        session, authorization.operator_id
    )
    chain = [m.id for m in destruction.chain(session, authorization)]
    found = service.delivered_product_name(
        session, operator_ids=operators, names=[name], excluding=chain
    )
    if found is None:
        return
    _, earlier = found
    holder = parties.organization(session, earlier.operator_id)
    raise Conflict(
        "authz.product_delivered",
        problem_code="product_already_delivered",
        product=name,
        number=earlier.number,
        operator=holder.name if holder else "—",
    )


__all__ = ["AMENDED", "add_product", "names_product", "signed_products", "signed_version"]
