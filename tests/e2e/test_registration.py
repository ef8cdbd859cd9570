"""The registry registers a data product in a browser (N4): the operator applies with a
material, the registry accepts it from its workbench, passes the review into public notice,
the notice elapses (the server's clock moves), the registry issues, and the certificate's
link opens the public verification page, where the signature checks out without logging
in. No console error, nothing wider than the screen."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
import uvicorn

from sluice.core.clock import FixedClock
from sluice.core.database import Database
from sluice.core.permissions import Role
from sluice.products.models import Product
from sluice.web.app import create_app
from tests.identity.factories import Account, make_account
from tests.products.world import ProductWorld
from tests.products.world import build as build_products
from tests.sandbox.world import START
from tests.sandbox.world import build as build_city

pytestmark = pytest.mark.browser

SHOTS = Path("/tmp/shots")  # noqa: S108 - where the lead looks at screenshots


@dataclass(frozen=True)
class City:
    products: ProductWorld
    product: Product
    #: A product still in draft: not yet registrable.
    draft: Product
    registry: Account
    clock: FixedClock


@pytest.fixture
def city(tmp_path: Path, live_database: Database) -> City:
    products = build_products(build_city(live_database, tmp_path / "var"))
    agreement, name = products.agreement("小微企业纳税信用评分")
    product = products.listed(agreement, name)
    agreement, name = products.agreement("企业用水信用核验")
    draft = products.declare(agreement, name)
    registry = make_account(live_database, products.clock(), Role.REGISTRY)
    return City(products, product, draft, registry, FixedClock(START))


@pytest.fixture
def server(city: City) -> Iterator[str]:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    base = f"http://127.0.0.1:{port}"
    # The certificate's QR code and link name this server, so following them lands here.
    settings = city.products.city.settings.model_copy(update={"base_url": base})
    app = create_app(settings, database=city.products.database, clock=city.clock)
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 15
    while not server.started:
        if time.monotonic() > deadline:
            raise RuntimeError("the test server did not start")
        time.sleep(0.05)
    yield base
    server.should_exit = True
    thread.join(timeout=10)


def _watch(page: Any) -> list[str]:
    errors: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: errors.append(str(e)))
    return errors


def _login(page: Any, server: str, account: Any, target: str) -> None:
    page.goto(f"{server}/login?next={target}")
    page.fill("input[name=username]", account.username)
    page.fill("input[name=password]", account.password)
    page.click("button[type=submit]:has-text('登录')")
    page.wait_for_url(f"**{target}")


def _fits(page: Any) -> None:
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= page.viewport_size["width"], width


def test_the_registry_registers_a_product_and_its_certificate_verifies_on_the_public_page(
    city: City, server: str, page: Any, browser: Any, tmp_path: Path
) -> None:
    SHOTS.mkdir(exist_ok=True)
    errors = _watch(page)
    operator = city.products.city.world.operator
    _login(page, server, operator, "/console/registrations/new")
    page.fill("[data-testid=apply-reference]", city.draft.code)
    page.click("[data-testid=apply-submit]")
    page.wait_for_selector("[data-testid=refusal][data-code=subject_not_eligible]")
    assert page.text_content("[data-testid=refusal-detail]") == (
        "数据产品“企业用水信用核验”未处于审查通过或已上架状态，通过安全合规审查后方可申请登记。"
    )
    errors.remove("Failed to load resource: the server responded with a status of 409 (Conflict)")
    page.fill("[data-testid=apply-reference]", city.product.code)
    page.select_option("[data-testid=apply-kind]", "product")
    sheet = tmp_path / "产品说明.txt"
    sheet.write_text("小微企业纳税信用评分：按统一社会信用代码返回评分与原因。", encoding="utf-8")
    page.set_input_files("[data-testid=apply-materials]", str(sheet))
    page.click("[data-testid=apply-submit]")
    page.wait_for_selector("[data-testid=application-status][data-status=applied]")
    assert page.text_content("[data-testid=notice]") == "申请已提交，等待登记机构受理。"
    assert page.is_visible("[data-testid=evidence-intact]")
    application_url = page.url.split("?")[0]
    _fits(page)

    registry = browser.new_context(locale="zh-CN").new_page()
    registry_errors = _watch(registry)
    _login(registry, server, city.registry, "/console")
    registry.click("a:has-text('待办理：1 项登记申请')")
    registry.wait_for_selector("table[data-testid=applications]")
    _fits(registry)
    registry.screenshot(path=str(SHOTS / "registration-queue.png"), full_page=True)
    registry.click("table[data-testid=applications] a:has-text('小微企业纳税信用评分')")
    registry.click("[data-action=accept]")
    registry.wait_for_selector("[data-testid=application-status][data-status=accepted]")
    registry.click("[data-action=pass]")
    registry.wait_for_selector("[data-testid=application-status][data-status=in_notice]")
    assert registry.text_content("[data-testid=notice-range]") == "2026-11-26 至 2026-12-10"
    registry.click("[data-action=issue]")  # too early: the notice is still running
    assert registry.text_content("[data-testid=page-error]") == (
        "公示期至 2026-12-10 止，期满后方可登记发证。"
    )
    registry_errors.remove(  # the refusal's own status, shown on the page as above
        "Failed to load resource: the server responded with a status of 409 (Conflict)"
    )

    # The notice elapses; sessions from three weeks ago have ended, so log in again.
    city.clock.advance(timedelta(days=21))
    _login(registry, server, city.registry, application_url.removeprefix(server))
    registry.click("[data-action=issue]")
    registry.wait_for_selector("[data-testid=application-status][data-status=registered]")
    registry.click("[data-testid=open-registration]")
    code = registry.text_content("[data-testid=registration-code]")
    assert code == "YK-DP-2026-000001"
    registry.screenshot(path=str(SHOTS / "registration.png"), full_page=True)

    _login(page, server, operator, registry.url.removeprefix(server))
    assert page.get_attribute("[data-testid=standing]", "data-standing") == "in_force"
    page.click("[data-testid=certificate-html]")
    page.wait_for_selector("[data-testid=certificate-code]")
    assert page.text_content("[data-testid=certificate-code]") == code
    page.screenshot(path=str(SHOTS / "registration-certificate.png"), full_page=True)
    verify_url = page.get_attribute("[data-testid=certificate-qr]", "href")
    assert verify_url == f"{server}/registry/verify/{code}"

    # Anyone holding the certificate follows its link, without logging in.
    visitor = browser.new_context(locale="zh-CN").new_page()
    visitor_errors = _watch(visitor)
    visitor.goto(verify_url)
    assert visitor.text_content("[data-testid=signature-valid]").strip() == "✓ 签名有效"
    assert visitor.get_attribute("[data-testid=standing]", "data-standing") == "in_force"
    assert visitor.text_content("[data-testid=title]") == "小微企业纳税信用评分"
    assert visitor.text_content("[data-testid=valid]") == "2026-12-17 至 2029-12-17"
    _fits(visitor)
    visitor.screenshot(path=str(SHOTS / "registration-verify.png"), full_page=True)
    assert errors == registry_errors == visitor_errors == []
