"""The bureau approves and signs an authorization in a browser; the operator countersigns."""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from sluice.authorizations import agreement_pages as pages
from sluice.authorizations import service
from sluice.authorizations.schemas import AuthorizationCreate
from sluice.core.clock import FixedClock, local
from sluice.core.database import Database
from sluice.core.permissions import OrgKind, Role
from sluice.core.settings import Settings
from sluice.web import app as web_app
from tests.authorizations.test_pages import (
    BUREAU,
    PARTICIPANTS,
    approved_plan,
    clauses,
    qualified_operator,
)
from tests.catalog.factories import publish, resource_data
from tests.identity.factories import Account, make_account, make_org

pytestmark = pytest.mark.browser

SHOTS = Path("/tmp/shots")  # noqa: S108 - where the lead looks at screenshots
#: Arms a flag that htmx raises once the chosen list has been swapped in again.
_AWAIT_SWAP = """() => {
  window.swapped = false;
  const listen = (event) => {
    if (event.detail.target.id === "chosen-entry_ids") {
      window.swapped = true;
      document.body.removeEventListener("htmx:afterSettle", listen);
    }
  };
  document.body.addEventListener("htmx:afterSettle", listen);
}"""


@pytest.fixture(autouse=True)
def serve_pages(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Serve the authorization pages (until the lead registers them in web/app.py); autouse,
    so it runs before the live server builds its app."""
    if pages.router not in web_app.PAGE_ROUTERS:
        monkeypatch.setattr(web_app, "PAGE_ROUTERS", (*web_app.PAGE_ROUTERS, pages.router))
    yield


def _log_in(page: Any, base: str, account: Account, target: str) -> None:
    page.context.clear_cookies()
    page.goto(f"{base}/login?next={target}")
    page.fill("input[name=username]", account.username)
    page.fill("input[name=password]", account.password)
    page.click("button[type=submit]:has-text('登录')")
    page.wait_for_url(f"{base}{target}")


def test_the_bureau_approves_and_signs_an_authorization(
    page: Any,
    live_server: str,
    live_database: Database,
    live_clock: FixedClock,
    tmp_path: Path,
) -> None:
    settings = Settings(home=tmp_path / "var", database_url=live_database.url)
    bureau = make_account(live_database, live_clock, Role.BUREAU, username="bureau_authz")
    operator = qualified_operator(live_database, live_clock, settings, "营口城市数据运营有限公司")
    assert operator.organization_id is not None
    with live_database.unit_of_work() as session:
        provider = make_org(session, live_clock, OrgKind.PROVIDER)
        plan_id = approved_plan(session, live_clock)
    entries = publish(
        live_database,
        live_clock,
        provider,
        [resource_data("qydj", "企业登记信息"), resource_data("sbcb", "社会保险参保信息")],
    )
    with live_database.unit_of_work() as session:
        drafted = service.create_authorization(
            session,
            actor=BUREAU,
            settings=settings,
            at=live_clock.now(),
            data=AuthorizationCreate(
                operator_id=operator.organization_id,
                plan_id=plan_id,
                scenario="企业融资信用评估",
                purpose="为金融机构提供企业信用评估服务",
                entry_ids=entries,
                clauses=clauses(),
            ),
        )
        service.submit(session, actor=BUREAU, at=live_clock.now(), authorization_id=drafted.id)
        authorization_id: uuid.UUID = drafted.id
    detail = f"/console/authorizations/{authorization_id}"

    _log_in(page, live_server, bureau, detail)
    assert page.inner_text("[data-testid=authorization-status]") == "审核中"
    form = page.locator("[data-testid=decision-form]")
    form.locator("input[name=meeting]").fill("2026年第12次局务会")
    form.locator("textarea[name=participants]").fill(PARTICIPANTS)
    form.locator("select[name=outcome]").select_option("approved")
    form.locator("textarea[name=summary]").fill("同意签署授权运营协议")
    form.locator("button[data-action=decision]").click()
    page.wait_for_selector("[data-testid=notice]")
    assert page.inner_text("[data-testid=notice]") == "已记录集体决策。"
    assert page.inner_text("[data-testid=authorization-status]") == "已批准待签署"

    page.click("[data-testid=sign-form] button[data-action=sign]")
    page.wait_for_selector("[data-testid=signature-valid]")
    assert page.inner_text("[data-testid=notice]") == "已签署。"
    row = page.locator("[data-testid=signatures] tr[data-party=bureau]")
    assert "数据局" in row.inner_text()
    assert row.locator("[data-testid=signature-valid]").inner_text() == "✓ 有效"
    assert re.fullmatch(r"[0-9a-f]{128}", row.locator("[data-testid=public-key]").inner_text())
    assert re.fullmatch(r"[0-9a-f]{128}", row.locator("[data-testid=signature-hex]").inner_text())
    assert page.locator("[data-testid=sign-form]").count() == 0  # the bureau's side is done
    assert page.inner_text("[data-testid=authorization-status]") == "已批准待签署"
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / "authorization-detail.png"), full_page=True)

    _log_in(page, live_server, operator, detail)
    assert page.locator("[data-testid=decision-form]").count() == 0
    page.click("[data-testid=sign-form] button[data-action=sign]")
    page.wait_for_selector("[data-testid=notice]")
    assert page.inner_text("[data-testid=authorization-status]") == "生效中"
    start = local(live_clock.now()).date()
    end = service.term_end_for(start, 3)
    assert page.inner_text("[data-testid=term]") == f"{start.isoformat()} 至 {end.isoformat()}"
    assert page.locator("[data-testid=signature-valid]").count() == 2
    operator_row = page.locator("[data-testid=signatures] tr[data-party=operator]")
    assert "营口城市数据运营有限公司签署人" in operator_row.inner_text()


def test_the_bureau_drafts_with_the_catalog_search(
    page: Any,
    live_server: str,
    live_database: Database,
    live_clock: FixedClock,
    tmp_path: Path,
) -> None:
    settings = Settings(home=tmp_path / "var", database_url=live_database.url)
    bureau = make_account(live_database, live_clock, Role.BUREAU, username="bureau_draft")
    operator = qualified_operator(live_database, live_clock, settings, "营口城市数据运营有限公司")
    with live_database.unit_of_work() as session:
        provider = make_org(session, live_clock, OrgKind.PROVIDER)
        approved_plan(session, live_clock)
    insurance, enterprises, _ = publish(
        live_database,
        live_clock,
        provider,
        [
            resource_data("sbcb", "社会保险参保信息"),
            resource_data("qydj", "企业登记信息"),
            resource_data("bdcdj", "不动产登记信息"),
        ],
    )
    _log_in(page, live_server, bureau, "/console/authorizations/new")
    page.fill("[data-testid=pick-search-operator_id]", "城市数据")
    page.click(f"[data-pick='{operator.organization_id}']")
    assert "营口城市数据运营有限公司" in page.inner_text("[data-testid=pick-chosen-operator_id]")
    page.select_option("select[name=plan_id]", label="营口市公共数据授权运营实施方案")
    page.fill("input[name=scenario]", "企业融资信用评估")
    page.fill("textarea[name=purpose]", "为金融机构提供企业信用评估服务")
    search = page.locator("[data-testid=entry-search-entry_ids]")
    chosen = page.locator("[data-testid=chosen-entry_ids] input[name=entry_ids]")
    for query, entry in (("社保", insurance), ("企业", enterprises), ("社保", insurance)):
        search.fill(query)
        button = page.locator(f"[data-testid=entry-results-entry_ids] button[data-entry='{entry}']")
        button.wait_for()
        page.evaluate(_AWAIT_SWAP)
        button.click()
        page.wait_for_function("() => window.swapped === true")
    assert [chosen.nth(i).get_attribute("value") for i in range(chosen.count())] == [
        str(insurance),
        str(enterprises),
    ]
    page.locator("input[name=product_name]").first.fill("企业信用核验接口")
    page.locator("input[name=product_description]").first.fill("返回核验结果，不返回原始数据")
    page.locator("input[name=product_review]").first.fill("上线前经数据局安全合规审查")
    page.fill("input[name=government_share]", "12.5")
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / "authorization-new.png"), full_page=True)
    page.click("[data-testid=create-authorization]")
    page.wait_for_selector("[data-testid=notice]")
    assert page.inner_text("[data-testid=notice]") == "授权协议草稿已保存。"
    assert page.inner_text("[data-testid=authorization-status]") == "草稿"
    scope = page.inner_text("[data-testid=scope]")
    assert "社会保险参保信息" in scope and "企业登记信息" in scope
    assert "不动产登记信息" not in scope
