"""A member of the public searches the catalog in a browser."""

from __future__ import annotations

from typing import Any

import pytest

from sluice.core.clock import FixedClock
from sluice.core.database import Database
from sluice.core.permissions import Role
from tests.catalog.factories import publish, resource_data
from tests.identity.factories import make_account

pytestmark = pytest.mark.browser


def test_the_public_searches_filters_and_opens_an_entry(
    page: Any, live_server: str, live_database: Database, live_clock: FixedClock
) -> None:
    provider = make_account(live_database, live_clock, Role.PROVIDER)
    assert provider.organization_id is not None
    publish(
        live_database,
        live_clock,
        provider.organization_id,
        [
            resource_data("insurance", "社会保险参保缴费信息", domain="welfare"),
            resource_data(
                "enterprises", "企业登记信息", open_level="open", classification="legal_entity"
            ),
            resource_data("fund", "住房公积金缴存信息", domain="welfare"),
        ],
    )
    page.goto(f"{live_server}/")
    page.fill("input[name=q]", "社保")
    page.press("input[name=q]", "Enter")
    page.wait_for_url("**/catalog?q=*")
    assert page.inner_text("[data-testid=catalog-total]") == "共 1 条目录"
    assert page.locator("[data-testid=catalog-entry] h2").all_inner_texts() == [
        "社会保险参保缴费信息"
    ]
    page.fill("[data-testid=catalog-q]", "")
    page.click("button:has-text('搜索')")
    assert page.inner_text("[data-testid=catalog-total]") == "共 3 条目录"
    page.click("[data-testid=facets] a:has-text('公益事业')")
    assert page.inner_text("[data-testid=catalog-total]") == "共 2 条目录"
    page.click("text=住房公积金缴存信息")
    assert page.inner_text("[data-testid=entry-title]") == "住房公积金缴存信息"
    fields = page.inner_text("[data-testid=entry-fields]")
    assert "公民身份号码" in fields and "标识符" in fields
