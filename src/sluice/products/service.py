"""The rules of data products (R6.1, R6.2, R9.1, N2, N5). No HTTP, no commit.

* **Declared from a workspace.** An operator declares a product in the workspace of one of
  its agreements in force that grants the right to operate products; the product belongs
  to that agreement's renewal chain (``owner_id``, the workspace's owner) and runs under
  the chain's agreement in force. Its spec (``guard.product_specs``) is checked by the
  guard against the workspace's views (``guard.product_calls.validate_spec``), which names
  the resources it reads.
* **Named by the agreement.** A product is offered only under a product clause of its
  agreement as both parties signed it (``authorizations.amendments``); for one the
  agreement does not name, the operator files an amendment (``amend``), a new version the
  bureau countersigns. A draft may be declared before; it cannot be submitted.
* **N2** (``already_delivered``): no operator re-develops, itself or through an affiliate,
  a product already delivered, that is listed at least once or named in an agreement that
  took effect, by the same name or with the same content (type, resources read,
  normalised spec and output: ``specs.fingerprint``); the product's own renewal chain is
  not a re-development.
* **N5** (``pricing``): governance and welfare products are free; an industry product's
  price is at or under the cap of its class when it is declared, submitted and listed.
* **Review and listing** (``states.PRODUCT``): the bureau's security and compliance review
  with a reason (R9.1); the operator lists an approved product; the bureau suspends and
  resumes with a reason, and delists (irreversible) only with a second bureau user's
  approval (``approvals``).
* **Endings.** When the last agreement of its chain ends, every product of the chain
  becomes ``unavailable`` in the ending's transaction (the endings hook ``"products"``),
  so the next gateway call finds it unavailable.
* **What the gateway reads** (``callable_product``): one indexed read by code on every
  call; the parsed product is kept per process by (id, revision), never its status.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, Final, cast

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from sluice.approvals import registry as approvals_registry
from sluice.approvals import service as approvals
from sluice.approvals.models import ApprovalRequest
from sluice.approvals.registry import Act, Carry, Subject
from sluice.audit import service as audit
from sluice.audit.models import AuditEvent
from sluice.audit.repository import events_of
from sluice.authorizations import amendments, destruction, endings, parties
from sluice.authorizations import service as authorizations
from sluice.authorizations import states as authorization_states
from sluice.authorizations.clauses import ProductClause
from sluice.authorizations.models import Authorization, AuthorizationVersion
from sluice.catalog.vocabulary import DOMAINS
from sluice.core.change_stamps import Memo, Stamps
from sluice.core.clock import day_start, local
from sluice.core.errors import Conflict, InvalidInput, NotFound, SluiceError
from sluice.core.i18n import MessageRef, add_messages
from sluice.core.paging import ListQuery, Page
from sluice.core.permissions import Permission
from sluice.core.principal import Principal
from sluice.core.settings import Settings, get_settings
from sluice.guard import product_calls, product_exports
from sluice.guard.product_exports import ApprovedExport
from sluice.guard.product_specs import BillingUnit, CallableProduct, DatasetSpec, SubjectKind
from sluice.operators import qualified
from sluice.products import pricing, repository, specs
from sluice.products.models import Product
from sluice.products.repository import ProductRow
from sluice.products.schemas import ProductIn, ProductUpdate
from sluice.products.states import (
    APPROVED,
    DELISTABLE,
    LISTED,
    LIVE,
    PRODUCT,
    SUSPENDED,
)
from sluice.registration import service as registration
from sluice.registration.models import Registration
from sluice.sandbox import exports, workspaces
from sluice.sandbox.models import Workspace

DECLARED: Final = "product.declared"
UPDATED: Final = "product.updated"
#: The product runs under the renewal that took over from its agreement.
RENEWED: Final = "product.renewed"
#: The irreversible act of delisting, carried out on a second approval.
DELIST: Final = "product.delist"
#: Who lapses a product whose chain ended where no hook saw it, and reads for the gateway.
PLATFORM: Final = Principal.system("products")
MAX_REASON: Final = 2000

audit.declare_actions(
    {
        DECLARED: ("申报数据产品", "Data product declared"),
        UPDATED: ("修改数据产品草稿", "Data product draft changed"),
        RENEWED: ("数据产品随续期协议继续提供", "Data product carried on under the renewal"),
    }
)
add_messages(
    {
        "products.not_found": ("数据产品不存在。", "There is no such data product."),
        "products.unavailable": (
            "数据产品 {code} 不存在或当前不可调用（未上架、已暂停、已下架或其授权已终止）。",
            "The data product {code} does not exist or cannot be called now (not listed, "
            "suspended, delisted, or its agreement ended).",
        ),
        "products.code_taken": (
            "产品编码“{code}”已被使用，请换一个。",
            "The product code “{code}” is taken; choose another.",
        ),
        "products.domain_unknown": (
            "领域“{domain}”不存在：应为公共治理、公益事业或某一行业领域。",
            "There is no domain “{domain}”: use governance, welfare or an industry domain.",
        ),
        "products.workspace_closed": (
            "工作区“{scenario}”已随授权终止而关闭，不能在其中申报数据产品。",
            "The workspace “{scenario}” closed with its agreement; no product can be declared "
            "in it.",
        ),
        "products.authorization_inactive": (
            "授权 {number} 当前不在有效期内（{status}），不能申报、提交或上架其数据产品。",
            "Agreement {number} is not in force ({status}); its products cannot be declared, "
            "submitted or listed.",
        ),
        "products.no_product_right": (
            "授权 {number} 未授予数据产品经营权。",
            "Agreement {number} does not grant the right to operate data products.",
        ),
        "products.not_in_agreement": (
            "授权 {number} 经双方签署的版本未列明数据产品“{product}”：请先提出协议补充，"
            "经数据局会签后再提交。",
            "The signed agreement {number} does not name the product “{product}”: file an "
            "amendment and submit once the bureau has countersigned it.",
        ),
        "products.consent_needs_subject": (
            "只有针对个人或企业的产品（有主体输入）才需要主体同意；统计和数据集产品不涉及单个主体。",
            "Only a product about a person or an enterprise (with a subject input) can require "
            "the subject's consent; statistics and dataset products are about no single "
            "subject.",
        ),
        "products.consent_needed": (
            "该产品针对单个{kind}（有主体输入），依规（R8.7）买方查询个人或企业须取得该主体的"
            "明确同意：调用须经信息主体同意，不能取消。",
            "This product is about a single {kind} (it has a subject input): under R8.7 a "
            "buyer querying a person or an enterprise must hold that subject's explicit "
            "consent, so its calls need the subject's consent and that cannot be turned off.",
        ),
        "products.consent_needed.person": ("个人", "person"),
        "products.consent_needed.enterprise": ("企业", "enterprise"),
        "products.export_not_approved": (
            "数据集产品须基于本工作区已批准的出域结果；出域申请 {export} 的状态为“{status}”。",
            "A dataset product needs an approved export of this workspace; export {export} is "
            "{status}.",
        ),
        "products.delivered_name": (
            "数据产品“{product}”已由{operator}在授权 {number} 下交付，运营机构不得直接或通过"
            "关联方重复开发。",
            "The product “{product}” was already delivered by {operator} under agreement "
            "{number}; an operator may not develop it again, itself or through an affiliate.",
        ),
        "products.delivered_name_product": (
            "数据产品“{product}”已由{operator}作为产品 {code} 上架交付，运营机构不得直接或通过"
            "关联方重复开发。",
            "The product “{product}” was already delivered by {operator} as product {code}; "
            "an operator may not develop it again, itself or through an affiliate.",
        ),
        "products.delivered_content": (
            "该产品与{operator}已上架的数据产品“{earlier}”（{code}）内容相同（类型、所读数据、"
            "规格和输出一致），运营机构不得直接或通过关联方重复开发。",
            "This product does what {operator}'s listed product “{earlier}” ({code}) already "
            "does (same type, data read, spec and output); an operator may not develop it "
            "again, itself or through an affiliate.",
        ),
        "products.reason_required": (
            "请写明理由（至少 2 个字）。",
            "Give the reason (at least 2 characters).",
        ),
        "products.reason_too_long": (
            "理由不能超过 {limit} 个字符。",
            "The reason may be at most {limit} characters long.",
        ),
        "products.registration_required": (
            "本平台要求数据产品登记后方可上架：产品“{product}”尚无有效的登记。",
            "This platform requires products to be registered before they are listed: "
            "“{product}” holds no registration in force.",
        ),
        "problem.product_unavailable": ("数据产品不可用", "Product unavailable"),
        "problem.product_code_taken": ("产品编码已被使用", "Product code taken"),
        "problem.product_not_in_agreement": ("协议未列明该产品", "Product not in the agreement"),
        "problem.authorization_inactive": ("授权未生效", "Authorization not in force"),
        "problem.consent_needs_subject": ("无主体的产品不需同意", "No subject to consent"),
        "problem.consent_needed": ("针对个人或企业的产品须经主体同意", "Subject consent needed"),
        "problem.registration_required": ("产品尚未登记", "Product not registered"),
        "problem.workspace_closed": ("工作区已关闭", "Workspace closed"),
    }
)


class ProductUnavailable(SluiceError):
    status = 404
    code = "product_unavailable"


# -- the reads other modules make ------------------------------------------------------------


def find_product(session: Session, *, code: str) -> Product | None:
    """The product with this code, in any status (None if there is none)."""
    return repository.by_code(session, code)


def listed_products(session: Session) -> list[Product]:
    """The products on the market now, newest listing first."""
    return repository.listed_products(session)


def product_title(session: Session, product_id: uuid.UUID) -> str:
    """The product's name for other modules' pages ("—" for an unknown id)."""
    return repository.title(session, product_id) or "—"


_callable: dict[uuid.UUID, tuple[int, CallableProduct]] = {}


@dataclass(frozen=True)
class _Listed:
    """A callable product as kept between calls, and the moment from which the same rows
    may answer differently (its agreement's last day passes, its registration ends)."""

    product: CallableProduct
    until: datetime | None


#: Listed products by code and whether registration is required (``change_stamps``).
_listed: Memo[tuple[str, bool], _Listed] = Memo("products.listed")


def callable_product(
    session: Session,
    *,
    code: str,
    at: datetime,
    settings: Settings | None = None,
    stamps: Stamps | None = None,
) -> CallableProduct:
    """The listed product as the gateway calls it, or ``product_unavailable`` (404).

    One read of the unique index by code; the parsed product is kept per process by its id
    and revision, and the status is read every time, so a suspension, delisting or ending
    refuses the very next call. When the product's agreement has passed its last day, the
    chain's agreement in force is looked up (a renewal took over) and kept on the row. With
    ``product_registration_required`` (``settings``, else the process's settings) a
    product without a registration in force is unavailable too. With ``stamps``
    (``change_stamps.read``) a listed product is kept while nothing it was read from
    changed and its day or registration has not run out; an unavailable one is looked up
    afresh each time."""
    required = (settings or get_settings()).product_registration_required
    kept = _listed.get(stamps, (code, required), lambda: _listed_now(session, code, at, required))
    if kept.until is not None and at >= kept.until:
        # Its day or registration ran out since it was kept: the answer is read afresh.
        kept = _listed_now(session, code, at, required)
    return kept.product


def _listed_now(session: Session, code: str, at: datetime, required: bool) -> _Listed:
    product = repository.by_code(session, code)
    if product is None or product.status != LISTED:
        raise ProductUnavailable("products.unavailable", code=code)
    if product.runs_until is not None and local(at).date() > product.runs_until:
        _follow_chain(session, product, at)
        if product.status != LISTED:
            raise ProductUnavailable("products.unavailable", code=code)
    until = None
    if product.runs_until is not None:
        # Kept to the end of its agreement's last day or, between two terms (the renewal's
        # not yet in force), of today: a term may begin tomorrow with nothing written.
        until = day_start(max(product.runs_until, local(at).date()) + timedelta(days=1))
    if required:
        registered = registration_of(session, product, at)
        if registered is None:
            raise ProductUnavailable("products.unavailable", code=code)
        ends = local(registered.valid_until)
        until = ends if until is None else min(until, ends)
    kept = _callable.get(product.id)
    if kept is not None and kept[0] == product.revision:
        return _Listed(kept[1], until)
    made = _to_callable(product)
    _callable[product.id] = (product.revision, made)
    return _Listed(made, until)


def _to_callable(product: Product) -> CallableProduct:
    spec = specs.parse(product.type, product.spec)
    return CallableProduct(
        id=product.id,
        code=product.code,
        name=product.name,
        type=spec.kind,
        operator_id=product.operator_id,
        authorization_id=product.authorization_id,
        spec=spec,
        resource_ids=tuple(uuid.UUID(r) for r in product.resource_ids),
        domain=product.domain,
        consent_required=product.consent_required,
        subject_input=product.subject_input,
        subject_kind=cast("SubjectKind | None", product.subject_kind),
        billing_unit=cast("BillingUnit", product.billing_unit),
        price_fen=product.price_fen,
        pricing_rule=product.pricing_rule or f"free:{product.domain}",
        purposes=tuple(product.purposes),
    )


def charged_price(
    session: Session, *, product: CallableProduct, at: datetime, stamps: Stamps | None = None
) -> tuple[int, str]:
    """What one unit of the product is charged at ``at`` and the rule: its price, never above
    the cap of its class in force then (``pricing.charged``)."""
    return pricing.charged(
        session,
        product_type=product.type,
        domain=product.domain,
        price_fen=product.price_fen,
        rule=product.pricing_rule,
        at=at,
        stamps=stamps,
    )


def registration_of(session: Session, product: Product, at: datetime) -> Registration | None:
    """The product's registration in force (its code and validity), or None."""
    return registration.current(session, kind="product", subject_id=product.id, at=at)


# -- reads for the consoles ------------------------------------------------------------------


def visible(session: Session, *, actor: Principal, product_id: uuid.UUID) -> ProductRow:
    """The product if the actor may see it; otherwise ``not_found``."""
    actor.require(Permission.PRODUCTS_READ)
    found = repository.row(session, actor, product_id)
    if found is None:
        raise NotFound("products.not_found")
    return found


def page(session: Session, *, actor: Principal, query: ListQuery) -> Page[ProductRow]:
    actor.require(Permission.PRODUCTS_READ)
    return repository.product_page(session, actor, query)


def rows(session: Session, *, actor: Principal) -> list[ProductRow]:
    actor.require(Permission.PRODUCTS_READ)
    return repository.products(session, actor)


def waiting(session: Session, *, actor: Principal, limit: int) -> tuple[int, list[ProductRow]]:
    """Products awaiting the bureau's review (for its workbench)."""
    actor.require(Permission.PRODUCTS_REVIEW)
    return repository.waiting(session, limit=limit)


def status_counts(session: Session, *, actor: Principal) -> dict[str, int]:
    actor.require(Permission.PRODUCTS_READ)
    return repository.status_counts(session, actor)


def history(session: Session, *, actor: Principal, product_id: uuid.UUID) -> list[AuditEvent]:
    """The product's events, oldest first (its history is the audit log)."""
    row = visible(session, actor=actor, product_id=product_id)
    return events_of(session, target_type="product", target_id=str(row.product.id))


def market(session: Session) -> list[ProductRow]:
    """The listed products with their operators (public)."""
    return repository.listed(session)


def market_product(session: Session, *, code: str) -> ProductRow:
    """One listed product (public); anything else is ``not_found``."""
    found = repository.listed_row(session, code)
    if found is None:
        raise NotFound("products.not_found")
    return found


def named_in_agreement(session: Session, product: Product) -> bool:
    """The product's agreement, as both parties signed it, names it."""
    return amendments.names_product(session, _agreement_of(session, product), product.name)


def agreement_number(session: Session, product: Product) -> str:
    return _agreement_of(session, product).number


@dataclass(frozen=True)
class Declarable:
    """A workspace the operator may declare a product in, with its agreement in force."""

    workspace: Workspace
    agreement: Authorization
    products: tuple[str, ...]


def declarable(session: Session, *, actor: Principal, at: datetime) -> list[Declarable]:
    """The actor's open workspaces whose agreement is in force and grants product operation,
    each with the products its signed agreement names."""
    actor.require(Permission.PRODUCTS_DECLARE)
    found = []
    today = local(at).date()
    for row in workspaces.workspace_rows(session, actor=actor, at=at):
        workspace = row.workspace
        if workspace.status != workspaces.OPEN or workspace.operator_id != actor.organization_id:
            continue
        agreement = workspaces.agreement(session, workspace, at=at)
        if not authorizations.in_force_on(agreement, today) or not _grants_products(
            session, agreement
        ):
            continue
        names = tuple(p["name"] for p in amendments.signed_products(session, agreement))
        found.append(Declarable(workspace, agreement, names))
    return found


# -- N2 ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Delivered:
    """A product already delivered that a new one would develop again (N2)."""

    #: ``name``: the same name; ``content``: the same content under any name.
    how: str
    name: str
    operator: str
    #: The agreement that named it (by name), or the listed product (code).
    number: str | None = None
    code: str | None = None

    def error(self, product: str) -> Conflict:
        if self.how == "content":
            return Conflict(
                "products.delivered_content",
                problem_code="product_already_delivered",
                operator=self.operator,
                earlier=self.name,
                code=self.code or "—",
            )
        if self.code:
            return Conflict(
                "products.delivered_name_product",
                problem_code="product_already_delivered",
                product=product,
                operator=self.operator,
                code=self.code,
            )
        return Conflict(
            "products.delivered_name",
            problem_code="product_already_delivered",
            product=product,
            operator=self.operator,
            number=self.number or "—",
        )


def already_delivered(
    session: Session,
    *,
    operator_id: uuid.UUID,
    name: str,
    fingerprint: str | None = None,
    excluding_chain: uuid.UUID | None = None,
) -> Delivered | None:
    """N2: what this operator or an affiliate already delivered that a product named
    ``name`` doing ``fingerprint`` (``specs.fingerprint``) would develop again, if anything.

    Delivered means listed at least once (compared by folded name and by content), or named
    in an agreement that took effect (compared by name: an agreement's clause has no
    content; ``authorizations.service.delivered_product_name``). Products and agreements of
    the renewal chain ``excluding_chain`` (its first agreement's id: the product's own) are
    not re-development and are left out."""
    operators = {operator_id} | qualified.affiliated_organizations(session, operator_id)
    earlier = repository.delivered_like(
        session,
        operator_ids=operators,
        name_key=authorizations.product_key(name),
        fingerprint=fingerprint or "",
        excluding_owner=excluding_chain,
    )
    if earlier is not None:
        holder = parties.organization(session, earlier.operator_id)
        same_name = earlier.name_key == authorizations.product_key(name)
        return Delivered(
            "name" if same_name else "content",
            earlier.name,
            holder.name if holder else "—",
            code=earlier.code,
        )
    excluding: list[uuid.UUID] = []
    if excluding_chain is not None:
        owner = authorizations.seen(session, PLATFORM, excluding_chain)
        excluding = [m.id for m in destruction.chain(session, owner)]
    found = authorizations.delivered_product_name(
        session, operator_ids=operators, names=[name], excluding=excluding
    )
    if found is None:
        return None
    holder = parties.organization(session, found[1].operator_id)
    return Delivered("name", found[0], holder.name if holder else "—", number=found[1].number)


def _check_new(session: Session, product: Product) -> None:
    found = already_delivered(
        session,
        operator_id=product.operator_id,
        name=product.name,
        fingerprint=product.fingerprint,
        excluding_chain=product.owner_id,
    )
    if found is not None:
        raise found.error(product.name)


# -- declaring --------------------------------------------------------------------------------


def _grants_products(session: Session, agreement: Authorization) -> bool:
    rights = authorizations.current_version(session, agreement).content.get("rights", [])
    return "product_operation" in rights


def _agreement_of(session: Session, product: Product) -> Authorization:
    return authorizations.seen(session, PLATFORM, product.authorization_id)


def _require_in_force(session: Session, agreement: Authorization, at: datetime) -> None:
    if not authorizations.in_force_on(agreement, local(at).date()):
        raise Conflict(
            "products.authorization_inactive",
            problem_code="authorization_inactive",
            number=agreement.number,
            status=MessageRef(f"state.authorization.{agreement.status}"),
        )
    if not _grants_products(session, agreement):
        raise Conflict(
            "products.no_product_right", problem_code="right_not_granted", number=agreement.number
        )


def _check_domain(domain: str) -> None:
    if domain not in DOMAINS:
        raise InvalidInput(
            "products.domain_unknown",
            domain=domain,
            errors=[{"field": "domain", "msg": "unknown"}],
        )


def _workspace(
    session: Session, actor: Principal, at: datetime, workspace_id: uuid.UUID
) -> Workspace:
    """The actor's own open workspace (anyone else's does not exist)."""
    workspace = workspaces.visible(session, actor=actor, at=at, workspace_id=workspace_id)
    if workspace.operator_id != actor.organization_id:
        raise NotFound("sandbox.workspace.not_found")
    if workspace.status != workspaces.OPEN:
        raise Conflict(
            "products.workspace_closed",
            problem_code="workspace_closed",
            scenario=workspace.scenario,
        )
    return workspace


@dataclass(frozen=True)
class _Content:
    """What a declaration derives from its spec."""

    spec: specs.Spec
    resource_ids: list[uuid.UUID]
    output: dict[str, Any]
    subject: specs.Subject | None
    fingerprint: str


def _content(
    session: Session,
    *,
    actor: Principal,
    settings: Settings,
    at: datetime,
    workspace: Workspace,
    agreement: Authorization,
    data: ProductUpdate,
) -> _Content:
    spec = specs.parse(data.type, data.spec)
    subject = specs.subject(spec)
    if data.consent_required and subject is None:
        raise InvalidInput(
            "products.consent_needs_subject",
            problem_code="consent_needs_subject",
            errors=[{"field": "consent_required", "msg": "no subject"}],
        )
    # R8.7: a product about a person or an enterprise always needs that subject's consent:
    # left out, it is set (``_apply``); declared otherwise, it is refused.
    explicit = "consent_required" in data.model_fields_set
    if subject is not None and not data.consent_required and explicit:
        raise InvalidInput(
            "products.consent_needed",
            problem_code="consent_needed",
            kind=MessageRef(f"products.consent_needed.{subject.kind}"),
            errors=[{"field": "consent_required", "msg": "subject needs consent"}],
        )
    columns: Sequence[dict[str, str]] = ()
    dataset_query = None
    if isinstance(spec, DatasetSpec):
        export = exports.in_workspace(
            session, actor=actor, at=at, workspace_id=workspace.id, export_id=spec.export_id
        )
        if export.status != "approved":
            raise InvalidInput(
                "products.export_not_approved",
                problem_code="spec_invalid",
                export=str(export.id),
                status=MessageRef(f"state.sandbox_export.{export.status}"),
                errors=[{"field": "spec", "msg": "export not approved"}],
            )
        columns, dataset_query = export.columns, export.sql_sm3
    resource_ids = _resources_read(session, settings, spec, agreement, at)
    output = specs.output_schema(spec, columns=columns)
    return _Content(
        spec,
        resource_ids,
        output,
        subject,
        specs.fingerprint(
            spec, resource_ids=resource_ids, output=output, dataset_query=dataset_query
        ),
    )


def _resources_read(
    session: Session, settings: Settings, spec: specs.Spec, agreement: Authorization, at: datetime
) -> list[uuid.UUID]:
    """The guard's check of the spec against the agreement's workspace views, and the
    resources it reads (``spec_invalid`` naming what is wrong)."""
    found = product_calls.validate_spec(
        session, settings=settings, product_spec=spec, authorization_id=agreement.id, at=at
    )
    return sorted(set(found), key=str)


def _apply(product: Product, data: ProductUpdate, content: _Content) -> None:
    product.code = data.code
    product.name = " ".join(data.name.split())
    product.name_key = authorizations.product_key(data.name)
    product.description = data.description
    product.type = data.type
    product.spec = content.spec.model_dump(mode="json")
    product.fingerprint = content.fingerprint
    product.resource_ids = [str(r) for r in content.resource_ids]
    product.output_schema = content.output
    product.consent_required = data.consent_required or content.subject is not None
    product.subject_input = content.subject.input if content.subject else None
    product.subject_kind = content.subject.kind if content.subject else None
    product.purposes = list(data.purposes)
    product.domain = data.domain
    product.billing_unit = data.billing_unit
    product.price_fen = data.price_fen


def _check_code(session: Session, code: str, product: Product | None) -> None:
    if (product is None or product.code != code) and repository.code_taken(session, code):
        raise Conflict(
            "products.code_taken",
            problem_code="product_code_taken",
            code=code,
        )


def declare(
    session: Session, *, actor: Principal, settings: Settings, at: datetime, data: ProductIn
) -> Product:
    """Declare a product (a draft) in the operator's workspace; refused with the code of the
    first rule it breaks."""
    actor.require(Permission.PRODUCTS_DECLARE)
    _check_domain(data.domain)
    workspace = _workspace(session, actor, at, data.workspace_id)
    agreement = workspaces.agreement(session, workspace, at=at)
    _require_in_force(session, agreement, at)
    _check_code(session, data.code, None)
    pricing.check(
        session, product_type=data.type, domain=data.domain, price_fen=data.price_fen, at=at
    )
    content = _content(
        session,
        actor=actor,
        settings=settings,
        at=at,
        workspace=workspace,
        agreement=agreement,
        data=data,
    )
    product = Product(
        operator_id=workspace.operator_id,
        workspace_id=workspace.id,
        owner_id=workspace.owner_id,
        authorization_id=agreement.id,
        runs_until=agreement.term_end,
        status=PRODUCT.initial,
        revision=1,
        created_by=actor.username,
        created_at=at,
        updated_at=at,
    )
    _apply(product, data, content)
    _check_new(session, product)
    try:
        with session.begin_nested():
            session.add(product)
    except IntegrityError:
        # Someone took the code a moment ago (the unique index decides).
        raise Conflict(
            "products.code_taken", problem_code="product_code_taken", code=data.code
        ) from None
    audit.record(
        session,
        actor=actor,
        action=DECLARED,
        target_type="product",
        target_id=product.id,
        at=at,
        detail={
            "code": product.code,
            "name": product.name,
            "type": product.type,
            "authorization": agreement.number,
            "price_fen": product.price_fen,
            "fingerprint": product.fingerprint,
        },
    )
    return product


def _own(session: Session, actor: Principal, product_id: uuid.UUID) -> Product:
    """The operator's own product (anyone else's does not exist)."""
    actor.require(Permission.PRODUCTS_DECLARE)
    product = visible(session, actor=actor, product_id=product_id).product
    if product.operator_id != actor.organization_id:
        raise NotFound("products.not_found")
    return product


def own(session: Session, *, actor: Principal, product_id: uuid.UUID) -> Product:
    """The operator's own product, for its forms (anyone else's is ``not_found``)."""
    return _own(session, actor, product_id)


def _touch(product: Product, at: datetime) -> None:
    product.revision += 1
    product.updated_at = at


def update(
    session: Session,
    *,
    actor: Principal,
    settings: Settings,
    at: datetime,
    product_id: uuid.UUID,
    data: ProductUpdate,
) -> Product:
    """Change a draft (declared, or returned by the review)."""
    product = _own(session, actor, product_id)
    PRODUCT.require(product, "submit")  # only a draft can change
    _check_domain(data.domain)
    workspace = _workspace(session, actor, at, product.workspace_id)
    agreement = workspaces.agreement(session, workspace, at=at)
    _require_in_force(session, agreement, at)
    _check_code(session, data.code, product)
    pricing.check(
        session, product_type=data.type, domain=data.domain, price_fen=data.price_fen, at=at
    )
    content = _content(
        session,
        actor=actor,
        settings=settings,
        at=at,
        workspace=workspace,
        agreement=agreement,
        data=data,
    )
    _apply(product, data, content)
    product.authorization_id, product.runs_until = agreement.id, agreement.term_end
    _check_new(session, product)
    _touch(product, at)
    session.flush()
    audit.record(
        session,
        actor=actor,
        action=UPDATED,
        target_type="product",
        target_id=product.id,
        at=at,
        detail={"code": product.code, "name": product.name, "price_fen": product.price_fen},
    )
    return product


def submit(session: Session, *, actor: Principal, at: datetime, product_id: uuid.UUID) -> Product:
    """Submit a draft for the bureau's review: its agreement is in force and names it, its
    price is allowed, and it is not a re-development (N2)."""
    product = _own(session, actor, product_id)
    PRODUCT.require(product, "submit")
    agreement = _current_agreement(session, product, at)
    _require_in_force(session, agreement, at)
    _require_named(session, product, agreement)
    pricing.check(
        session,
        product_type=product.type,
        domain=product.domain,
        price_fen=product.price_fen,
        at=at,
    )
    _check_new(session, product)
    PRODUCT.fire(product, "submit", session=session, actor=actor, at=at)
    product.submitted_at = at
    _touch(product, at)
    return product


def _require_named(session: Session, product: Product, agreement: Authorization) -> None:
    if not amendments.names_product(session, agreement, product.name):
        raise Conflict(
            "products.not_in_agreement",
            problem_code="product_not_in_agreement",
            number=agreement.number,
            product=product.name,
        )


def amend(
    session: Session,
    *,
    actor: Principal,
    settings: Settings,
    at: datetime,
    product_id: uuid.UUID,
    review: str,
) -> AuthorizationVersion:
    """File the amendment that adds the product to its agreement (signed for the operator
    now; the bureau countersigns on the agreement's page)."""
    product = _own(session, actor, product_id)
    agreement = _current_agreement(session, product, at)
    return amendments.add_product(
        session,
        actor=actor,
        settings=settings,
        at=at,
        authorization_id=agreement.id,
        clause=ProductClause(name=product.name, description=product.description, review=review),
    )


def list_product(
    session: Session,
    *,
    actor: Principal,
    settings: Settings,
    at: datetime,
    product_id: uuid.UUID,
) -> Product:
    """Put an approved product on the market: its agreement is in force and names it, its
    price is at or under the cap in force (N5), and it is registered if the platform
    requires it. The pricing rule it is listed under is kept."""
    product = _own(session, actor, product_id)
    PRODUCT.require(product, "list")
    agreement = _current_agreement(session, product, at)
    _require_in_force(session, agreement, at)
    _require_named(session, product, agreement)
    priced = pricing.check(
        session,
        product_type=product.type,
        domain=product.domain,
        price_fen=product.price_fen,
        at=at,
    )
    if settings.product_registration_required and registration_of(session, product, at) is None:
        raise Conflict(
            "products.registration_required",
            problem_code="registration_required",
            product=product.name,
        )
    product.price_cap_id = priced.cap.id if priced.cap else None
    product.pricing_rule = priced.rule
    PRODUCT.fire(
        product,
        "list",
        session=session,
        actor=actor,
        at=at,
        detail={"pricing_rule": priced.rule, "price_fen": product.price_fen},
    )
    product.listed_at = at
    if product.first_listed_at is None:
        product.first_listed_at = at
    _touch(product, at)
    return product


# -- the bureau -------------------------------------------------------------------------------


def _reason(reason: str) -> str:
    reason = " ".join(reason.split())
    if len(reason) < 2:
        raise InvalidInput("products.reason_required", errors=[{"field": "reason", "msg": "short"}])
    if len(reason) > MAX_REASON:
        raise InvalidInput("products.reason_too_long", limit=MAX_REASON)
    return reason


def _reviewed(session: Session, actor: Principal, product_id: uuid.UUID) -> Product:
    actor.require(Permission.PRODUCTS_REVIEW)
    return visible(session, actor=actor, product_id=product_id).product


def review(
    session: Session,
    *,
    actor: Principal,
    at: datetime,
    product_id: uuid.UUID,
    decision: str,
    reason: str,
) -> Product:
    """The bureau's security and compliance review (R9.1): ``approve`` or ``reject`` (back
    to a draft), each with its reason, recorded on the product and in the audit log."""
    reason = _reason(reason)
    product = _reviewed(session, actor, product_id)
    transition = "approve" if decision == "approve" else "reject"
    PRODUCT.fire(
        product, transition, session=session, actor=actor, at=at, detail={"reason": reason}
    )
    product.reviewed_by, product.reviewed_at, product.review_reason = actor.username, at, reason
    _touch(product, at)
    return product


def suspend(
    session: Session, *, actor: Principal, at: datetime, product_id: uuid.UUID, reason: str
) -> Product:
    """Take a listed product off the market for now (calls are refused at once)."""
    reason = _reason(reason)
    product = _reviewed(session, actor, product_id)
    PRODUCT.fire(product, "suspend", session=session, actor=actor, at=at, detail={"reason": reason})
    product.suspended_reason = reason
    _touch(product, at)
    return product


def resume(
    session: Session, *, actor: Principal, at: datetime, product_id: uuid.UUID, reason: str
) -> Product:
    """Put a suspended product back on the market; its price must be at or under the cap
    in force (a product suspended for a lowered cap is re-priced first), whose rule it is
    listed under from now."""
    reason = _reason(reason)
    product = _reviewed(session, actor, product_id)
    PRODUCT.require(product, "resume")
    priced = pricing.check(
        session,
        product_type=product.type,
        domain=product.domain,
        price_fen=product.price_fen,
        at=at,
    )
    product.price_cap_id = priced.cap.id if priced.cap else None
    product.pricing_rule = priced.rule
    PRODUCT.fire(product, "resume", session=session, actor=actor, at=at, detail={"reason": reason})
    product.suspended_reason = None
    _touch(product, at)
    return product


def request_delisting(
    session: Session,
    *,
    actor: Principal,
    settings: Settings,
    at: datetime,
    product_id: uuid.UUID,
    reason: str,
    decision_id: uuid.UUID | None = None,
) -> ApprovalRequest:
    """Ask to delist (irreversible): carried out when a second bureau user approves, or at
    once on an approved collective decision on this delisting someone else recorded."""
    reason = _reason(reason)
    product = _reviewed(session, actor, product_id)
    PRODUCT.require(product, "delist")
    return approvals.request(
        session,
        actor=actor,
        settings=settings,
        at=at,
        act=DELIST,
        target_id=product.id,
        grounds=reason,
        decision_id=decision_id,
    )


def _delisting_subject(session: Session, product_id: uuid.UUID) -> Subject:
    product = repository.get(session, product_id)
    if product is None:
        raise NotFound("products.not_found")
    return Subject(f"{product.name}（{product.code}）", f"/console/products/{product.id}")


def _delisting_check(session: Session, product_id: uuid.UUID) -> None:
    product = repository.get(session, product_id)
    if product is None:
        raise NotFound("products.not_found")
    PRODUCT.require(product, "delist")


def _carry_out_delisting(carry: Carry) -> None:
    product = repository.product_for_update(carry.session, carry.request.target_id)
    if product is None:  # pragma: no cover - checked just before
        raise NotFound("products.not_found")
    PRODUCT.fire(
        product,
        "delist",
        session=carry.session,
        actor=carry.actor,
        at=carry.at,
        detail={"reason": carry.request.grounds, **carry.audit_detail()},
    )
    product.ended_at, product.end_reason = carry.at, carry.request.grounds
    _touch(product, carry.at)


approvals_registry.register(
    Act(
        name=DELIST,
        label_zh="下架数据产品",
        label_en="Delist a data product",
        target_type="product",
        permission=Permission.PRODUCTS_REVIEW,
        subject=_delisting_subject,
        check=_delisting_check,
        carry_out=_carry_out_delisting,
    )
)


# -- the agreement's chain --------------------------------------------------------------------


def _chain_of(session: Session, product: Product) -> list[Authorization]:
    owner = authorizations.seen(session, PLATFORM, product.owner_id)
    return destruction.chain(session, owner)


def _current_agreement(session: Session, product: Product, at: datetime) -> Authorization:
    """The chain's agreement in force today, else the one the product runs under."""
    today = local(at).date()
    for member in _chain_of(session, product):
        if authorizations.in_force_on(member, today):
            return member
    return _agreement_of(session, product)


def _follow_chain(session: Session, product: Product, at: datetime) -> None:
    """Past its agreement's last day, the product runs under the chain's agreement in force
    (a renewal took over); a chain that ended where no hook saw it makes it unavailable."""
    members = _chain_of(session, product)
    if all(m.status in authorization_states.ENDED for m in members):
        _lapse(session, product, actor=PLATFORM, at=at, reason="授权已终止")
        return
    today = local(at).date()
    current = next((m for m in members if authorizations.in_force_on(m, today)), None)
    if current is None:
        return  # between terms: the guard refuses the call (authorization_inactive)
    previous = product.authorization_id
    product.authorization_id, product.runs_until = current.id, current.term_end
    _touch(product, at)
    audit.record(
        session,
        actor=PLATFORM,
        action=RENEWED,
        target_type="product",
        target_id=product.id,
        at=at,
        detail={"from": str(previous), "authorization": current.number},
    )


def _lapse(
    session: Session, product: Product, *, actor: Principal, at: datetime, reason: str
) -> None:
    PRODUCT.fire(product, "lapse", session=session, actor=actor, at=at, detail={"reason": reason})
    product.ended_at, product.end_reason = at, reason
    _touch(product, at)


def _unavailable_with(session: Session, ending: endings.Ending) -> None:
    """The endings hook: once nothing of the chain is left, its products become
    unavailable, in the ending's transaction (a renewal carries them on)."""
    members = destruction.chain(session, ending.authorization)
    if any(m.status not in authorization_states.ENDED for m in members):
        return
    for product in repository.live_of_chain(session, members[0].id, LIVE):
        _lapse(session, product, actor=ending.actor, at=ending.at, reason=ending.reason)
    # This process lets go of the chain's engines at once (other workers' retire as the
    # least recently called: no call of an ended agreement reaches them again).
    for member in members:
        product_calls.release(member.id)


endings.register_ending_hook("products", _unavailable_with)


# -- what a dataset product serves ------------------------------------------------------------


def _sandbox_export(session: Session, export_id: uuid.UUID) -> ApprovedExport | None:
    """The sandbox's export request as a dataset product serves it (``guard.product_exports``:
    the guard sits below the sandbox and cannot ask it, so this module, above both, tells
    it). Read as the platform; the time is the present's, only to lapse a request whose
    agreement ended where no hook saw it."""
    try:
        found = exports.visible(session, actor=PLATFORM, at=datetime.now(UTC), export_id=export_id)
    except NotFound:
        return None
    export = found.export
    return ApprovedExport(
        id=export.id,
        status=export.status,
        owner_id=export.owner_id,
        file_name=export.file_name,
        file_sm3=export.file_sm3,
        rows=export.rows,
        # The SQL types say which columns hold numbers, so a text column of digits (a
        # district code) keeps its spelling when the download is fingerprinted.
        columns=tuple((str(c["name"]), str(c["type"])) for c in export.columns),
        resource_ids=tuple(
            dict.fromkeys(uuid.UUID(str(v["resource_id"])) for v in export.versions)
        ),
    )


product_exports.register_export_source(_sandbox_export)


__all__ = [
    "APPROVED",
    "DELISTABLE",
    "LISTED",
    "SUSPENDED",
    "Declarable",
    "Delivered",
    "ProductUnavailable",
    "already_delivered",
    "callable_product",
    "find_product",
    "listed_products",
    "product_title",
]
