"""Console pages of data products: the list (the bureau's review queue first), a product's
page with what its reader may do there (the operator: change the draft, file the
amendment, submit, list; the bureau: approve or reject with a reason, suspend, resume, ask
to delist), the declaration form, and the bureau's price caps. Thin: the service decides
and refuses; a refusal is shown on the same page in the reader's language."""

from __future__ import annotations

import functools
import json
import re
import uuid
from collections.abc import Callable, Mapping
from typing import Annotated, Any, Final

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import HTMLResponse, Response
from sqlalchemy.orm import Session

from sluice.catalog.vocabulary import DOMAINS
from sluice.core.database import undo_keeping_refusal
from sluice.core.errors import SluiceError
from sluice.core.i18n import add_messages, translate
from sluice.core.paging import ListQuery
from sluice.core.permissions import Permission as P
from sluice.core.principal import Principal
from sluice.guard.product_specs import BILLING_UNITS, PRODUCT_TYPES
from sluice.products import pricing, service, specs
from sluice.products.models import Product
from sluice.products.repository import PRODUCT_SORTS
from sluice.products.schemas import ProductIn, ProductUpdate
from sluice.products.states import (
    APPROVED,
    DELISTABLE,
    DELISTED,
    DRAFT,
    LISTED,
    PRODUCT,
    SUBMITTED,
    SUSPENDED,
    UNAVAILABLE,
)
from sluice.web.deps import AppClock, AppSettings, DbSession, Locale, Requires
from sluice.web.forms import FORM, FormErrors, form_text, see_other
from sluice.web.listing import ListSpec, render_list
from sluice.web.templating import NavItem, add_nav, render

router = APIRouter(tags=["console"])
Reader = Annotated[Principal, Depends(Requires(P.PRODUCTS_READ))]
Declarer = Annotated[Principal, Depends(Requires(P.PRODUCTS_DECLARE))]
Reviewer = Annotated[Principal, Depends(Requires(P.PRODUCTS_REVIEW))]
CapSetter = Annotated[Principal, Depends(Requires(P.PRICE_CAPS_MANAGE))]

PRODUCTS_PAGE: Final = "/console/products"
CAPS_PAGE: Final = "/console/price-caps"
PRODUCTS: Final = ListSpec(sorts=PRODUCT_SORTS, filters=("status", "type"), default_sort="-updated")
#: Products of the review queue shown above the list.
QUEUE: Final = 10
_DONE: Final = (
    "declared",
    "saved",
    "submitted",
    "amended",
    "approved",
    "rejected",
    "listed",
    "suspended",
    "resumed",
    "delist_requested",
)
_YUAN: Final = re.compile(r"^\d{1,9}(?:\.\d{1,2})?$")

add_nav(
    NavItem("nav.products", PRODUCTS_PAGE, P.PRODUCTS_READ, order=72),
    NavItem("nav.price_caps", CAPS_PAGE, P.PRICE_CAPS_MANAGE, order=73),
)
add_messages(
    {
        "nav.products": ("数据产品", "Data products"),
        "nav.price_caps": ("产品价格上限", "Product price caps"),
        "products.title": ("数据产品", "Data products"),
        "products.lead": (
            "运营机构在授权协议的沙箱工作区内开发数据产品（核验、统计、评分、数据集），经数据局安全与合规"
            "审查后上架；公共治理和公益事业产品免费，行业产品价格不得高于数据局规定的分类上限。",
            "Operators build data products (verification, statistics, score, dataset) in the "
            "sandbox workspace of their agreement; the bureau reviews each for security and "
            "compliance before it is listed. Governance and welfare products are free; an "
            "industry product's price is at or under the bureau's cap for its class.",
        ),
        "products.search": ("搜索产品名称、编码或运营机构", "Search names, codes or operators"),
        "products.empty": (
            "还没有数据产品。运营机构可在授权协议生效后申报。",
            "No data product yet. An operator declares one once its agreement is in force.",
        ),
        "products.queue": ("待审查", "Awaiting review"),
        "products.queue_empty": ("没有待审查的产品。", "Nothing awaits review."),
        "products.new": ("申报数据产品", "Declare a data product"),
        "products.edit": ("修改草稿", "Change the draft"),
        "products.name": ("产品名称", "Name"),
        "products.code": ("产品编码", "Code"),
        "products.code_hint": (
            "小写字母、数字和连字符，3–64 位，用于调用地址 /gateway/v1/products/{code}/invoke",
            "Lower-case letters, digits and hyphens, 3–64, used in /gateway/v1/products/{code}"
            "/invoke",
        ),
        "products.description": ("产品说明", "Description"),
        "products.type": ("产品类型", "Type"),
        "products.spec": ("产品规格（JSON）", "Spec (JSON)"),
        "products.spec_hint": (
            "按产品类型填写：核验（view、inputs、subject、match）、统计（sql、parameters、"
            "dimensions）、评分（subject、sql、reasons）、数据集（export_id）。",
            "By type: verification (view, inputs, subject, match), statistics (sql, "
            "parameters, dimensions), score (subject, sql, reasons), dataset (export_id).",
        ),
        "products.consent_required": ("调用须经信息主体同意", "Calls need the subject's consent"),
        "products.purposes": ("允许的用途（每行一项）", "Purposes allowed (one a line)"),
        "products.domain": ("领域", "Domain"),
        "products.billing_unit": ("计费单位", "Billing unit"),
        "products.price": ("价格（元 / 计费单位）", "Price (yuan per unit)"),
        "products.price_hint": (
            "公共治理、公益事业产品填 0（免费）。行业产品不得高于分类上限。",
            "0 (free) for governance and welfare products. Industry products stay at or under "
            "their class's cap.",
        ),
        "products.workspace": ("沙箱工作区（授权协议）", "Workspace (agreement)"),
        "products.workspace_option": ("{scenario}（{number}）", "{scenario} ({number})"),
        "products.no_workspace": (
            "没有可申报产品的工作区：须有生效中且授予数据产品经营权的授权协议。",
            "No workspace to declare a product in: it takes an agreement in force that grants "
            "the right to operate products.",
        ),
        "products.agreement_names": (
            "协议已列明的产品：{names}。名称不在其中的产品需先提出协议补充。",
            "Products the agreement names: {names}. Any other needs an amendment first.",
        ),
        "products.save": ("保存草稿", "Save the draft"),
        "products.declare": ("申报", "Declare"),
        "products.operator": ("运营机构", "Operator"),
        "products.status": ("状态", "Status"),
        "products.updated": ("更新时间", "Updated"),
        "products.agreement": ("授权协议", "Agreement"),
        "products.named": ("协议已列明本产品", "Named in the agreement"),
        "products.not_named": (
            "协议（双方签署的版本）尚未列明本产品：提交前请提出协议补充，并待数据局会签。",
            "The agreement as both parties signed it does not name this product: file an "
            "amendment and wait for the bureau's countersignature before submitting.",
        ),
        "products.amend": ("提出协议补充", "File the amendment"),
        "products.amend_review": ("安全合规审查方式", "How it is reviewed"),
        "products.inputs": ("输入", "Inputs"),
        "products.output": ("输出结构", "Output schema"),
        "products.resources": ("读取的数据资源", "Resources read"),
        "products.subject": ("信息主体", "Data subject"),
        "products.subject_none": ("不针对单个主体", "About no single subject"),
        "products.subject_kind.person": ("个人（身份证号）", "A person (ID number)"),
        "products.subject_kind.enterprise": ("企业（统一社会信用代码）", "An enterprise (USCC)"),
        "products.consent": ("主体同意", "Consent"),
        "products.consent_yes": ("需要", "Required"),
        "products.consent_no": ("不需要", "Not required"),
        "products.pricing_rule": ("定价规则", "Pricing rule"),
        "products.review": ("安全合规审查", "Security and compliance review"),
        "products.reviewed": ("{who} 于 {when}：{reason}", "{who} at {when}: {reason}"),
        "products.reason": ("理由", "Reason"),
        "products.approve": ("审查通过", "Approve"),
        "products.reject": ("退回", "Reject"),
        "products.submit": ("提交审查", "Submit for review"),
        "products.list": ("上架", "List on the market"),
        "products.suspend": ("暂停", "Suspend"),
        "products.resume": ("恢复上架", "Resume"),
        "products.delist": ("申请下架", "Ask to delist"),
        "products.delist_hint": (
            "下架不可撤销，须另一名数据局人员在“审批”中批准后执行。",
            "Delisting cannot be undone; it is carried out once another bureau user approves "
            "it under Approvals.",
        ),
        "products.suspended_because": ("暂停原因：{reason}", "Suspended: {reason}"),
        "products.ended_because": ("{when}：{reason}", "{when}: {reason}"),
        "products.history": ("记录", "History"),
        "products.market_link": ("在数据产品市场查看", "See it on the market"),
        "products.refused": ("未能完成", "Not done"),
        "products.form.spec_json": (
            "不是有效的 JSON：{problem}",
            "Not valid JSON: {problem}",
        ),
        "products.form.spec_object": ("规格应为 JSON 对象。", "The spec must be a JSON object."),
        "products.form.price": (
            "请按元填写，最多两位小数，如 12 或 12.50。",
            "Give yuan with at most two decimals, e.g. 12 or 12.50.",
        ),
        "products.done.declared": ("已申报，草稿已保存。", "Declared; the draft is saved."),
        "products.done.saved": ("草稿已保存。", "The draft is saved."),
        "products.done.submitted": ("已提交数据局审查。", "Submitted for the bureau's review."),
        "products.done.amended": (
            "协议补充已提出并由本单位签署，待数据局会签。",
            "The amendment is filed and signed for your side; the bureau countersigns it next.",
        ),
        "products.done.approved": ("审查通过。", "Approved."),
        "products.done.rejected": ("已退回运营机构修改。", "Returned to the operator."),
        "products.done.listed": ("已上架。", "Listed."),
        "products.done.suspended": ("已暂停。", "Suspended."),
        "products.done.resumed": ("已恢复上架。", "Resumed."),
        "products.done.delist_requested": (
            "下架申请已提交，待另一名数据局人员批准。",
            "The delisting is requested; another bureau user approves it next.",
        ),
        "caps.title": ("数据产品价格上限", "Price caps of data products"),
        "caps.lead": (
            "行业领域数据产品实行政府指导价：数据局按产品类型和领域规定价格上限，运营机构定价不得高于"
            "上限；每次调整形成新版本，已上架产品保留其上架时依据的版本。公共治理和公益事业产品免费。",
            "Industry products are priced under government guidance: the bureau caps each "
            "class (product type × domain) and operators price at or under the cap. Each "
            "change is a new version; a listed product keeps the version it was listed under. "
            "Governance and welfare products are free.",
        ),
        "caps.type": ("产品类型", "Type"),
        "caps.domain": ("领域", "Domain"),
        "caps.cap": ("上限（元 / 计费单位）", "Cap (yuan per unit)"),
        "caps.version": ("版本", "Version"),
        "caps.effective": ("生效时间", "In force from"),
        "caps.reason": ("依据", "Grounds"),
        "caps.set_by": ("制定人", "Set by"),
        "caps.set": ("制定新上限", "Set a new cap"),
        "caps.empty": ("尚未制定价格上限。", "No price cap yet."),
        "caps.done": ("已制定新版本上限。", "The new cap is in force."),
    }
)


def _price(locale: str) -> Callable[[Product], str]:
    def shown(product: Product) -> str:
        return pricing.price_text(product.price_fen, product.billing_unit, locale)

    return shown


def _options(locale: str) -> dict[str, list[tuple[str, str]]]:
    return {
        "type": [(t, translate(f"vocab.product_type.{t}", locale)) for t in PRODUCT_TYPES],
        "domain": [(d, translate(f"vocab.domain.{d}", locale)) for d in DOMAINS],
        "billing_unit": [(u, translate(f"vocab.billing_unit.{u}", locale)) for u in BILLING_UNITS],
    }


def _filters(locale: str) -> list[tuple[str, str, list[tuple[str, str]]]]:
    statuses = [(s, translate(f"state.product.{s}", locale)) for s in PRODUCT.states]
    return [
        ("status", translate("products.status", locale), statuses),
        ("type", translate("products.type", locale), _options(locale)["type"]),
    ]


@router.get(PRODUCTS_PAGE, response_class=HTMLResponse)
def products_page(
    request: Request,
    actor: Reader,
    session: DbSession,
    locale: Locale,
    listing: Annotated[ListQuery, Depends(PRODUCTS)],
) -> HTMLResponse:
    found = service.page(session, actor=actor, query=listing)
    queue: list[Any] = []
    if actor.has(P.PRODUCTS_REVIEW):
        queue = service.waiting(session, actor=actor, limit=QUEUE)[1]
    return render_list(
        request,
        "products/products.html",
        {
            "rows": found.items,
            "queue": queue,
            "filters": _filters(locale),
            "may_declare": actor.has(P.PRODUCTS_DECLARE),
            "may_review": actor.has(P.PRODUCTS_REVIEW),
            "price": _price(locale),
        },
        page=found,
        rows_template="products/_product_rows.html",
    )


# -- one product ------------------------------------------------------------------------------


def _product_page(
    request: Request,
    session: Session,
    actor: Principal,
    locale: str,
    product_id: uuid.UUID,
    *,
    done: str | None = None,
    refusal: SluiceError | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    row = service.visible(session, actor=actor, product_id=product_id)
    product = row.product
    own = actor.has(P.PRODUCTS_DECLARE) and product.operator_id == actor.organization_id
    reviewer = actor.has(P.PRODUCTS_REVIEW)
    spec = specs.parse(product.type, product.spec)
    context = {
        "row": row,
        "p": product,
        "price": _price(locale),
        "inputs": specs.inputs(spec),
        "spec_json": json.dumps(product.spec, ensure_ascii=False, indent=2),
        "output_json": json.dumps(product.output_schema, ensure_ascii=False, indent=2),
        "named": service.named_in_agreement(session, product),
        "agreement_number": service.agreement_number(session, product),
        "history": service.history(session, actor=actor, product_id=product.id),
        "may": {
            "edit": own and product.status == DRAFT,
            "submit": own and product.status == DRAFT,
            "amend": own and product.status in (DRAFT, SUBMITTED, APPROVED),
            "list": own and product.status == APPROVED,
            "review": reviewer and product.status == SUBMITTED,
            "suspend": reviewer and product.status == LISTED,
            "resume": reviewer and product.status == SUSPENDED,
            "delist": reviewer and product.status in DELISTABLE,
        },
        "ended": product.status in (DELISTED, UNAVAILABLE),
        "notice": translate(f"products.done.{done}", locale) if done in _DONE else None,
        "refusal": refusal,
    }
    return render(request, "products/product.html", context, status_code=status_code)


@router.get(PRODUCTS_PAGE + "/new", response_class=HTMLResponse)
def new_product(
    request: Request,
    actor: Declarer,
    session: DbSession,
    clock: AppClock,
    locale: Locale,
    workspace: Annotated[str | None, Query(max_length=40)] = None,
) -> HTMLResponse:
    return _form_page(
        request, session, actor, clock, locale, form={"workspace_id": workspace or ""}
    )


@router.get(PRODUCTS_PAGE + "/{product_id}", response_class=HTMLResponse)
def product_page(
    request: Request,
    product_id: uuid.UUID,
    actor: Reader,
    session: DbSession,
    locale: Locale,
    done: Annotated[str | None, Query(max_length=30)] = None,
) -> HTMLResponse:
    return _product_page(request, session, actor, locale, product_id, done=done)


def _act(
    request: Request,
    session: Session,
    actor: Principal,
    locale: str,
    product_id: uuid.UUID,
    done: str,
    act: Callable[[], object],
) -> Response:
    """Carry out the act, or show the product again with the refusal (its kept writes
    kept); a product the actor may not see stays a 404."""
    try:
        act()
    except SluiceError as refused:
        if refused.status == 404:
            raise
        undo_keeping_refusal(session, refused)
        return _product_page(
            request,
            session,
            actor,
            locale,
            product_id,
            refusal=refused,
            status_code=refused.status,
        )
    return see_other(f"{PRODUCTS_PAGE}/{product_id}?done={done}")


@router.post(PRODUCTS_PAGE + "/{product_id}/submit", response_class=HTMLResponse)
def submit(
    request: Request,
    product_id: uuid.UUID,
    actor: Declarer,
    session: DbSession,
    clock: AppClock,
    locale: Locale,
) -> Response:
    return _act(
        request,
        session,
        actor,
        locale,
        product_id,
        "submitted",
        lambda: service.submit(session, actor=actor, at=clock.now(), product_id=product_id),
    )


@router.post(PRODUCTS_PAGE + "/{product_id}/amend", response_class=HTMLResponse)
async def amend(
    request: Request,
    product_id: uuid.UUID,
    actor: Declarer,
    session: DbSession,
    clock: AppClock,
    settings: AppSettings,
    locale: Locale,
) -> Response:
    review = await form_text(request, "review")
    return _act(
        request,
        session,
        actor,
        locale,
        product_id,
        "amended",
        lambda: service.amend(
            session,
            actor=actor,
            settings=settings,
            at=clock.now(),
            product_id=product_id,
            review=" ".join(review.split()) or "上线前经数据局安全与合规审查通过后方可提供。",
        ),
    )


@router.post(PRODUCTS_PAGE + "/{product_id}/list", response_class=HTMLResponse)
def list_product(
    request: Request,
    product_id: uuid.UUID,
    actor: Declarer,
    session: DbSession,
    clock: AppClock,
    settings: AppSettings,
    locale: Locale,
) -> Response:
    return _act(
        request,
        session,
        actor,
        locale,
        product_id,
        "listed",
        lambda: service.list_product(
            session, actor=actor, settings=settings, at=clock.now(), product_id=product_id
        ),
    )


def _reasoned_route(act: Callable[..., object], done: str) -> Any:
    """A bureau act on a product that takes only a reason (review, suspend, resume)."""

    async def route(
        request: Request,
        product_id: uuid.UUID,
        actor: Reviewer,
        session: DbSession,
        clock: AppClock,
        locale: Locale,
    ) -> Response:
        reason = await form_text(request, "reason")
        return _act(
            request,
            session,
            actor,
            locale,
            product_id,
            done,
            lambda: act(session, actor=actor, at=clock.now(), product_id=product_id, reason=reason),
        )

    return route


router.post(PRODUCTS_PAGE + "/{product_id}/approve", response_class=HTMLResponse)(
    _reasoned_route(functools.partial(service.review, decision="approve"), "approved")
)
router.post(PRODUCTS_PAGE + "/{product_id}/reject", response_class=HTMLResponse)(
    _reasoned_route(functools.partial(service.review, decision="reject"), "rejected")
)
router.post(PRODUCTS_PAGE + "/{product_id}/suspend", response_class=HTMLResponse)(
    _reasoned_route(service.suspend, "suspended")
)
router.post(PRODUCTS_PAGE + "/{product_id}/resume", response_class=HTMLResponse)(
    _reasoned_route(service.resume, "resumed")
)


@router.post(PRODUCTS_PAGE + "/{product_id}/delist", response_class=HTMLResponse)
async def delist(
    request: Request,
    product_id: uuid.UUID,
    actor: Reviewer,
    session: DbSession,
    clock: AppClock,
    settings: AppSettings,
    locale: Locale,
) -> Response:
    reason = await form_text(request, "reason")
    return _act(
        request,
        session,
        actor,
        locale,
        product_id,
        "delist_requested",
        lambda: service.request_delisting(
            session,
            actor=actor,
            settings=settings,
            at=clock.now(),
            product_id=product_id,
            reason=reason,
        ),
    )


# -- the declaration form ---------------------------------------------------------------------

_FIELDS: Final = (
    "workspace_id",
    "code",
    "name",
    "description",
    "type",
    "spec",
    "purposes",
    "domain",
    "billing_unit",
    "price",
)


def _form_page(
    request: Request,
    session: Session,
    actor: Principal,
    clock: AppClock,
    locale: str,
    *,
    form: Mapping[str, str],
    errors: Mapping[str, str] | None = None,
    product: Product | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    context = {
        "form": form,
        "errors": errors or {},
        "product": product,
        "workspaces": service.declarable(session, actor=actor, at=clock.now())
        if product is None
        else [],
        "options": _options(locale),
    }
    return render(request, "products/product_form.html", context, status_code=status_code)


def _values(raw: Mapping[str, Any]) -> dict[str, str]:
    values = {name: str(raw.get(name, "")) for name in _FIELDS}
    values["consent_required"] = "on" if raw.get("consent_required") else ""
    return values


def _parse(
    values: Mapping[str, str], errors: FormErrors, model: type[ProductUpdate]
) -> ProductUpdate | None:
    """The typed form as the API's schema, every problem recorded in ``errors``."""
    data: dict[str, Any] = {
        name: values[name]
        for name in ("code", "name", "description", "type", "domain", "billing_unit")
    }
    if model is ProductIn:
        data["workspace_id"] = values["workspace_id"]
    data["consent_required"] = values["consent_required"] == "on"
    data["purposes"] = [line for line in values["purposes"].splitlines() if line.strip()]
    try:
        spec = json.loads(values["spec"] or "{}")
    except json.JSONDecodeError as problem:
        errors.add("spec", "products.form.spec_json", problem=str(problem))
        spec = {}
    if not isinstance(spec, dict):
        errors.add("spec", "products.form.spec_object")
        spec = {}
    data["spec"] = spec
    price = values["price"].strip() or "0"
    if _YUAN.fullmatch(price):
        yuan, _, cents = price.partition(".")
        data["price_fen"] = int(yuan) * 100 + int((cents + "00")[:2])
    else:
        errors.add("price", "products.form.price")
        data["price_fen"] = 0
    parsed = errors.parse(model, data)
    if "price_fen" in errors:
        errors.put("price", errors.get("price_fen") or "", replace=False)
    return parsed


def _refused_on(errors: FormErrors, refused: SluiceError) -> None:
    """A service's refusal next to its field (``price_fen`` is typed as ``price``)."""
    errors.refusal(refused)
    if "price_fen" in errors:
        errors.put("price", errors.get("price_fen") or "", replace=True)
    if refused.code.startswith("price_"):
        errors.put("price", refused.detail(errors.locale), replace=True)


@router.post(PRODUCTS_PAGE, response_class=HTMLResponse)
async def declare(
    request: Request,
    actor: Declarer,
    session: DbSession,
    clock: AppClock,
    settings: AppSettings,
    locale: Locale,
) -> Response:
    values = _values(await request.form())
    errors = FormErrors(locale)
    data = _parse(values, errors, ProductIn)
    if data is not None and not errors:
        assert isinstance(data, ProductIn)
        try:
            product = service.declare(
                session, actor=actor, settings=settings, at=clock.now(), data=data
            )
        except SluiceError as refused:
            if refused.status in (403, 404):
                raise
            undo_keeping_refusal(session, refused)
            _refused_on(errors, refused)
        else:
            return see_other(f"{PRODUCTS_PAGE}/{product.id}?done=declared")
    return _form_page(
        request,
        session,
        actor,
        clock,
        locale,
        form=values,
        errors=errors.as_dict(),
        status_code=422,
    )


def _form_of(product: Product) -> dict[str, str]:
    return {
        "workspace_id": str(product.workspace_id),
        "code": product.code,
        "name": product.name,
        "description": product.description,
        "type": product.type,
        "spec": json.dumps(product.spec, ensure_ascii=False, indent=2),
        "purposes": "\n".join(product.purposes),
        "domain": product.domain,
        "billing_unit": product.billing_unit,
        "price": pricing.amount(product.price_fen).replace(",", ""),
        "consent_required": "on" if product.consent_required else "",
    }


@router.get(PRODUCTS_PAGE + "/{product_id}/edit", response_class=HTMLResponse)
def edit_product(
    request: Request,
    product_id: uuid.UUID,
    actor: Declarer,
    session: DbSession,
    clock: AppClock,
    locale: Locale,
) -> HTMLResponse:
    product = service.own(session, actor=actor, product_id=product_id)
    return _form_page(
        request, session, actor, clock, locale, form=_form_of(product), product=product
    )


@router.post(PRODUCTS_PAGE + "/{product_id}/edit", response_class=HTMLResponse)
async def save_product(
    request: Request,
    product_id: uuid.UUID,
    actor: Declarer,
    session: DbSession,
    clock: AppClock,
    settings: AppSettings,
    locale: Locale,
) -> Response:
    product = service.own(session, actor=actor, product_id=product_id)
    values = _values(await request.form())
    errors = FormErrors(locale)
    data = _parse(values, errors, ProductUpdate)
    if data is not None and not errors:
        try:
            service.update(
                session,
                actor=actor,
                settings=settings,
                at=clock.now(),
                product_id=product_id,
                data=data,
            )
        except SluiceError as refused:
            if refused.status == 404:
                raise
            undo_keeping_refusal(session, refused)
            _refused_on(errors, refused)
            product = service.own(session, actor=actor, product_id=product_id)
        else:
            return see_other(f"{PRODUCTS_PAGE}/{product_id}?done=saved")
    return _form_page(
        request,
        session,
        actor,
        clock,
        locale,
        form=values,
        errors=errors.as_dict(),
        product=product,
        status_code=422,
    )


# -- price caps -------------------------------------------------------------------------------


def _caps_page(
    request: Request,
    session: Session,
    actor: Principal,
    clock: AppClock,
    locale: str,
    *,
    form: Mapping[str, str] | None = None,
    errors: Mapping[str, str] | None = None,
    notice: str | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    caps = pricing.caps(session, actor=actor)
    in_force = {c.id for c in pricing.in_force(session, at=clock.now())}
    context = {
        "caps": caps,
        "in_force": in_force,
        "amount": pricing.amount,
        "types": _options(locale)["type"],
        "domains": [
            (d, translate(f"vocab.domain.{d}", locale)) for d in pricing.industry_domains()
        ],
        "form": form or {},
        "errors": errors or {},
        "notice": notice,
    }
    return render(request, "products/price_caps.html", context, status_code=status_code)


@router.get(CAPS_PAGE, response_class=HTMLResponse)
def caps_page(
    request: Request,
    actor: CapSetter,
    session: DbSession,
    clock: AppClock,
    locale: Locale,
    done: Annotated[str | None, Query(max_length=30)] = None,
) -> HTMLResponse:
    notice = translate("caps.done", locale) if done == "set" else None
    return _caps_page(request, session, actor, clock, locale, notice=notice)


@router.post(CAPS_PAGE, response_class=HTMLResponse)
async def set_cap(
    request: Request,
    actor: CapSetter,
    session: DbSession,
    clock: AppClock,
    locale: Locale,
) -> Response:
    raw = await request.form()
    form = {k: str(raw.get(k, "")) for k in ("product_type", "domain", "cap", "reason")}
    errors = FormErrors(locale)
    cap = form["cap"].strip()
    if not _YUAN.fullmatch(cap):
        errors.add("cap", "products.form.price")
    else:
        yuan, _, cents = cap.partition(".")
        try:
            pricing.set_cap(
                session,
                actor=actor,
                at=clock.now(),
                product_type=form["product_type"],
                domain=form["domain"],
                cap_fen=int(yuan) * 100 + int((cents + "00")[:2]),
                reason=form["reason"],
            )
        except SluiceError as refused:
            if refused.status in (403, 404):
                raise
            undo_keeping_refusal(session, refused)
            errors.refusal(refused)
            if "cap_fen" in errors:
                errors.put("cap", errors.get("cap_fen") or "")
        else:
            return see_other(f"{CAPS_PAGE}?done=set")
    if FORM not in errors and not any(k in errors for k in form):
        errors.put(FORM, translate("form.problems", locale))
    return _caps_page(
        request,
        session,
        actor,
        clock,
        locale,
        form=form,
        errors=errors.as_dict(),
        status_code=422,
    )


__all__ = ["CAPS_PAGE", "PRODUCTS_PAGE", "router"]
