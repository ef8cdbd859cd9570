"""The bureau reads the audit log in a browser at 1366×900: long details wrap inside the
table, 成功 stays on one line, and typing a search or picking an actor narrows the list
without reloading the page. Saves the screenshot docs/guide.md shows."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any, Final

import pytest

from sluice.core.clock import FixedClock
from sluice.core.database import Database
from sluice.core.permissions import OrgKind, Role
from sluice.core.principal import Principal
from tests.audit.factories import make_person, record
from tests.e2e.conftest import screenshots

pytestmark = pytest.mark.browser

DIGEST: Final = "6137d85020cd4b8905c7722b8abfcaaacf814a43a512c9702e481af335e4698f"
REASON: Final = (
    "经审核，申请单位股权及关联方穿透均为境内资本，实际控制人为省国资委；财务和安全条件符合要求，"
    "港航数据处理经验与能力材料充分，认定具备运营机构资格。同时提醒申请单位在协议期内按季度报送"
    "数据安全自查报告，并接受数据主管部门的监督检查。"
)


def _world(database: Database, clock: FixedClock) -> None:
    """Sixty events with the longest details the platform records, two named people."""
    provider = make_person(
        database,
        clock,
        username="liuxy",
        display_name="刘晓燕",
        role=Role.PROVIDER,
        kind=OrgKind.PROVIDER,
        code="gaj-e2e",
        organization="营口市公安局（测试）",
    )
    operator = make_person(
        database,
        clock,
        username="chenzy",
        display_name="陈志远",
        role=Role.OPERATOR,
        kind=OrgKind.OPERATOR,
        code="ops-e2e",
        organization="营口港城数据科技运营有限公司",
    )
    now = clock.now()
    with database.unit_of_work() as session:
        for _ in range(20):
            record(
                session,
                operator.principal,
                "operator_application.qualify",
                at=now,
                target_type="operator_application",
                detail={
                    "from": "submitted",
                    "to": "qualified",
                    "reason": REASON,
                    "results": {"credit_code": "pass", "principals": "pass"},
                    "content_hash": DIGEST,
                    "filename": "ykdata-data_management_rules-" + "x" * 60 + ".txt",
                },
            )
            record(
                session,
                provider.principal,
                "exit.asset_disposed",
                at=now,
                target_type="exit",
                detail={
                    "name": "智慧停车场景形成的公共数据资产" * 3,
                    "kind": "public_data_asset",
                    "goes_to": "government",
                },
            )
            record(
                session,
                Principal.system("sweep"),
                "guard.decision",
                at=now,
                outcome="refused",
                detail={"reason": "out_of_scope", "late": False},
            )


def _login(page: Any, base: str, username: str, password: str) -> None:
    page.goto(f"{base}/login")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", password)
    page.click("button[type=submit]:has-text('登录')")
    page.wait_for_url(f"{base}/console")


def _rows(page: Any) -> int:
    return int(page.locator("[data-testid=audit-row]").count())


def test_the_audit_log_fits_1366_and_filters_as_one_types(
    page: Any, live_server: str, live_database: Database, live_clock: FixedClock
) -> None:
    # One fixed moment, so the screenshot only changes when the page does.
    live_clock.advance(datetime(2026, 11, 26, 2, 0, tzinfo=UTC) - live_clock.now())
    _world(live_database, live_clock)
    bureau = make_person(
        live_database,
        live_clock,
        username="auditor_e2e",
        display_name="王建国",
        role=Role.BUREAU,
        kind=OrgKind.BUREAU,
        code="sjj-e2e",
        organization="营口市数据局",
    ).account
    page.set_viewport_size({"width": 1366, "height": 900})
    errors: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    _login(page, live_server, bureau.username, bureau.password)
    page.goto(f"{live_server}/console/audit")

    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    table = page.locator("[data-testid=audit-events]").bounding_box()
    assert table["x"] + table["width"] <= 1366
    assert _rows(page) == 50
    # Every outcome tag is one line: 成功 is never broken into 成/功.
    heights = page.eval_on_selector_all(
        "[data-testid=audit-outcome]",
        "tags => tags.map(t => [t.getClientRects().length, t.getBoundingClientRect().height])",
    )
    assert heights and all(lines == 1 and height < 30 for lines, height in heights), heights
    detail = page.inner_text(f"[data-testid=audit-row]:has-text('{REASON[:10]}')")
    assert "原因" in detail and "检查结果" in detail and "统一社会信用代码：通过" in detail
    assert "reason:" not in detail and "content_hash" not in detail
    page.screenshot(path=str(screenshots() / "audit-log.png"))

    # Typing narrows the list in place (htmx), and the address follows.
    page.fill("[data-testid=list-search]", "资产处置")
    page.wait_for_selector("[data-testid=list-range]:has-text('共 20 条')")
    assert "q=" in page.url
    assert set(page.locator("[data-testid=audit-row] td:nth-child(3)").all_inner_texts()) == {
        "登记资产处置"
    }

    # Picking an actor: type part of a name, choose the match, the list follows.
    page.fill("[data-testid=list-search]", "")
    page.wait_for_selector("[data-testid=list-range]:not(:has-text('共 20 条'))")
    page.fill("[data-testid=pick-search-actor]", "志远")
    page.click("[data-pick=chenzy]")
    page.wait_for_selector("[data-testid=list-range]:has-text('共 20 条')")
    assert "actor=chenzy" in page.url
    assert set(page.locator("[data-testid=audit-actor]").all_inner_texts()) == {"陈志远"}
    assert "陈志远 · chenzy" in page.inner_text("[data-testid=audit-chips]")
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")

    # Outcome and dates narrow it too; nothing matches 拒绝 for this actor.
    page.select_option("[data-testid=filter-outcome]", "refused")
    page.wait_for_selector("[data-testid=list-empty]")
    assert errors == []
