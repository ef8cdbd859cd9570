"""The market and the console pages of products as their readers meet them: prices marked
exactly in both languages, a product's public page, the declaration form with its
refusals, the bureau's review on the product's page, the price caps and the workbench.
The rules behind them are proven on both databases in ``test_service`` and ``test_api``;
here the subject is the page (SQLite only)."""

from __future__ import annotations

import re

import pytest
from fastapi.testclient import TestClient

from sluice.products import pricing
from sluice.products import service as products
from tests.identity.factories import console_login
from tests.products.world import STATISTICS_SPEC, ProductWorld, score_spec

pytestmark = pytest.mark.rendering


def test_the_market_marks_every_price_and_shows_a_product_page(
    world: ProductWorld, client: TestClient
) -> None:
    agreement, name = world.agreement()
    priced = world.listed(agreement, name, spec=score_spec(1960), price_fen=1200)
    other, free_name = world.agreement()
    free = world.listed(
        other,
        free_name,
        type="statistics",
        spec=STATISTICS_SPEC,
        consent_required=False,
        domain="governance",
        price_fen=0,
        billing_unit="call",
        purposes=["人口与企业发展监测"],
    )
    draft = world.declare(*world.agreement())
    client.cookies.clear()
    market = client.get("/market")
    assert market.status_code == 200
    rows = dict(re.findall(r'<tr data-code="([^"]+)">(.*?)</tr>', market.text, re.S))
    assert "<strong>¥12.00 / 次</strong>" in rows[priced.code]
    assert "<strong>免费</strong>" in rows[free.code]
    assert "金融服务" in rows[priced.code] and "按次" in rows[priced.code]
    assert draft.code not in rows
    assert "评分 × 金融服务：¥15.00 / 计费单位（第 1 版）" in market.text
    assert 'href="/market" data-testid="market-link"' in market.text

    english = client.get("/market", headers={"Accept-Language": "en"})
    rows = dict(re.findall(r'<tr data-code="([^"]+)">(.*?)</tr>', english.text, re.S))
    assert "<strong>¥12.00 / call</strong>" in rows[priced.code]
    assert "<strong>Free</strong>" in rows[free.code]

    page = client.get(f"/market/{priced.code}")
    assert page.status_code == 200
    assert '<td data-testid="price"><strong>¥12.00 / 次</strong></td>' in page.text
    assert "需要信息主体同意" in page.text and "贷前审查；贷后管理" in page.text
    assert '<td data-testid="registration">未登记</td>' in page.text
    assert "<code>uscc</code>" in page.text and "unrated" in page.text
    assert f"POST /gateway/v1/products/{priced.code}/invoke" in page.text
    assert client.get(f"/market/{draft.code}").status_code == 404
    assert client.get("/market/no-such-product").status_code == 404


def test_an_operator_declares_on_the_form_and_sees_why_a_price_is_refused(
    world: ProductWorld, client: TestClient
) -> None:
    agreement, name = world.agreement()
    workspace = str(world.workspace(agreement))
    client.cookies.clear()
    csrf = console_login(client, world.city.world.operator)
    form = client.get(f"/console/products/new?workspace={workspace}")
    assert form.status_code == 200 and f'value="{workspace}" selected' in form.text
    assert name in form.text  # the products its agreement names
    values = {
        "csrf_token": csrf,
        "workspace_id": workspace,
        "code": "page-score",
        "name": name,
        "description": "企业纳税信用评分",
        "type": "statistics",
        "spec": '{"sql": "SELECT district, count(*) AS n FROM scjgj_enterprises GROUP BY 1"}',
        "purposes": "监测\n",
        "domain": "governance",
        "billing_unit": "call",
        "price": "12.00",
    }
    refused = client.post("/console/products", data=values)
    assert refused.status_code == 422
    assert 'data-testid="error-price"' in refused.text
    assert "公共治理类数据产品依规免费提供，不能定价（当前 ¥12.00）。" in refused.text
    assert 'value="page-score"' in refused.text  # what was typed is kept
    bad = client.post("/console/products", data={**values, "spec": "{", "price": "1.234"})
    assert 'data-testid="error-spec"' in bad.text and 'data-testid="error-price"' in bad.text
    made = client.post(
        "/console/products",
        data={**values, "price": "0", "purposes": "监测\n评估"},
        follow_redirects=False,
    )
    assert made.status_code == 303
    page = client.get(made.headers["location"])
    assert "已申报，草稿已保存。" in page.text and 'data-status="draft"' in page.text
    assert '<td data-testid="price">免费' in page.text and 'data-action="submit"' in page.text
    submitted = client.post(
        made.headers["location"].split("?")[0] + "/submit",
        data={"csrf_token": csrf},
        follow_redirects=True,
    )
    assert 'data-status="submitted"' in submitted.text


def test_the_bureau_reviews_on_the_product_page_and_sets_caps(
    world: ProductWorld, client: TestClient
) -> None:
    agreement, name = world.agreement()
    product = world.declare(agreement, name)
    with world.database.unit_of_work() as session:
        products.submit(
            session, actor=world.operator(), at=world.clock().now(), product_id=product.id
        )
    client.cookies.clear()
    csrf = console_login(client, world.city.world.bureau)
    listing = client.get("/console/products")
    assert 'data-testid="review-queue"' in listing.text and name in listing.text
    home = client.get("/console")
    assert "待审查：" in home.text
    page = client.get(f"/console/products/{product.id}")
    assert 'data-action="approve"' in page.text and 'data-action="reject"' in page.text
    short = client.post(
        f"/console/products/{product.id}/approve", data={"csrf_token": csrf, "reason": "好"}
    )
    assert short.status_code == 422 and "请写明理由" in short.text
    approved = client.post(
        f"/console/products/{product.id}/approve",
        data={"csrf_token": csrf, "reason": "安全合规审查通过"},
        follow_redirects=True,
    )
    assert 'data-status="approved"' in approved.text
    assert "安全合规审查通过" in approved.text and "审查通过。" in approved.text

    caps = client.get("/console/price-caps")
    assert caps.status_code == 200 and "¥15.00" in caps.text
    set_cap = client.post(
        "/console/price-caps",
        data={
            "csrf_token": csrf,
            "product_type": "dataset",
            "domain": "industry:health",
            "cap": "99.5",
            "reason": "成本调查",
        },
        follow_redirects=True,
    )
    assert "已制定新版本上限。" in set_cap.text and "¥99.50" in set_cap.text
    with world.database.unit_of_work() as session:
        assert [
            c.cap_fen
            for c in pricing.caps(session, actor=world.bureau())
            if c.product_type == "dataset"
        ] == [9950]

    # Another operator's product is not there for the other operator.
    client.cookies.clear()
    console_login(client, world.city.world.other_operator)
    assert client.get(f"/console/products/{product.id}").status_code == 404
