"""The public market of data products (明码标价): every listed product with its type,
operator, domain, billing unit and price marked plainly, and each product's page with its
inputs, output schema, whether calls need the subject's consent, the purposes it may be
called for, its operator and its registration code. No login."""

from __future__ import annotations

import json
from typing import Final

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from sluice.core.i18n import add_messages
from sluice.products import pricing, service, specs
from sluice.web.deps import AppClock, DbSession, Locale, MaybePrincipal
from sluice.web.templating import render

router = APIRouter(tags=["portal"])

MARKET: Final = "/market"

add_messages(
    {
        "nav.market": ("数据产品市场", "Data product market"),
        "market.title": ("数据产品市场", "Data product market"),
        "market.lead": (
            "经数据局安全与合规审查上架的数据产品，明码标价：公共治理和公益事业产品免费，"
            "行业产品按次、按条、按期或按量计费，价格不高于数据局规定的分类上限。"
            "需求方订阅后以 API 密钥调用；核验和评分只返回结果，原始数据不出平台。",
            "Data products listed after the bureau's security and compliance review, with "
            "prices marked plainly: governance and welfare products are free; industry "
            "products are billed per call, item, period or volume, at or under the bureau's "
            "cap for their class. Buyers subscribe and call them with an API key; "
            "verifications and scores return results only, and raw data never leaves.",
        ),
        "market.empty": ("目前没有上架的数据产品。", "No data product is listed yet."),
        "market.name": ("产品", "Product"),
        "market.type": ("类型", "Type"),
        "market.operator": ("运营机构", "Operator"),
        "market.domain": ("领域", "Domain"),
        "market.unit": ("计费单位", "Billing unit"),
        "market.price": ("价格", "Price"),
        "market.consent": ("主体同意", "Consent"),
        "market.consent_yes": ("需要信息主体同意", "Needs the subject's consent"),
        "market.consent_no": ("不需要", "Not needed"),
        "market.inputs": ("调用输入", "Inputs"),
        "market.input_name": ("参数", "Name"),
        "market.input_type": ("类型", "Type"),
        "market.input_title": ("说明", "Meaning"),
        "market.input_required": ("必填", "Required"),
        "market.no_inputs": ("无需输入。", "No input."),
        "market.output": ("返回结构", "What it returns"),
        "market.purposes": ("允许的用途", "Purposes allowed"),
        "market.subject": ("涉及的信息主体", "Whose data"),
        "market.registration": ("登记编号", "Registration code"),
        "market.registration_none": ("未登记", "Not registered"),
        "market.invoke": ("调用地址", "Endpoint"),
        "market.listed_at": ("上架时间", "Listed"),
        "market.caps": ("价格上限（行业产品）", "Price caps (industry products)"),
        "market.cap_line": (
            "{type} × {domain}：¥{cap} / 计费单位（第 {version} 版）",
            "{type} × {domain}: ¥{cap} per unit (version {version})",
        ),
        "market.back": ("返回数据产品市场", "Back to the market"),
    }
)


@router.get(MARKET, response_class=HTMLResponse)
def market(
    request: Request, principal: MaybePrincipal, session: DbSession, clock: AppClock, locale: Locale
) -> HTMLResponse:
    """Every listed product, its price marked (明码标价)."""
    rows = service.market(session)
    prices = {
        r.product.id: pricing.price_text(r.product.price_fen, r.product.billing_unit, locale)
        for r in rows
    }
    return render(
        request,
        "market/market.html",
        {
            "rows": rows,
            "prices": prices,
            "caps": pricing.in_force(session, at=clock.now()),
            "amount": pricing.amount,
        },
    )


@router.get(MARKET + "/{code}", response_class=HTMLResponse)
def market_product(
    request: Request,
    code: str,
    principal: MaybePrincipal,
    session: DbSession,
    clock: AppClock,
    locale: Locale,
) -> HTMLResponse:
    """One listed product; any other code is 404."""
    row = service.market_product(session, code=code)
    product = row.product
    spec = specs.parse(product.type, product.spec)
    return render(
        request,
        "market/product.html",
        {
            "row": row,
            "p": product,
            "price": pricing.price_text(product.price_fen, product.billing_unit, locale),
            "inputs": specs.inputs(spec),
            "output_json": json.dumps(product.output_schema, ensure_ascii=False, indent=2),
            "registration": service.registration_of(session, product, clock.now()),
        },
    )
