"""A provider uploads a file in the browser and reads its quality report."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from sluice.catalog import service as catalog
from sluice.catalog.schemas import ResourceCreate
from sluice.core.clock import FixedClock
from sluice.core.database import Database
from sluice.core.permissions import Role
from tests.catalog.factories import provider_principal
from tests.identity.factories import Account, make_account
from tests.ingestion.test_service import CSV, FIELDS, HEADER, residents

pytestmark = pytest.mark.browser


def _resource_with_data(live_database: Database, live_clock: FixedClock) -> tuple[Account, Any]:
    account = make_account(live_database, live_clock, Role.PROVIDER)
    assert account.organization_id is not None
    with live_database.unit_of_work() as session:
        resource = catalog.register_resource(
            session,
            actor=provider_principal(account.organization_id),
            clock=live_clock,
            data=ResourceCreate.model_validate(
                {
                    "code": "residents",
                    "name": "户籍人口基本信息",
                    "domain": "governance",
                    "update_frequency": "daily",
                    "open_level": "conditional",
                    "classification": "population",
                    "grade": "3",
                    "fields": FIELDS,
                }
            ),
        )
        return account, resource.id


def _login(page: Any, live_server: str, account: Account) -> None:
    page.goto(f"{live_server}/login")
    page.fill("input[name=username]", account.username)
    page.fill("input[name=password]", account.password)
    page.click("button[type=submit]:has-text('登录')")
    page.wait_for_url(f"{live_server}/console")


def _upload(page: Any, live_server: str, resource_id: Any, path: Path) -> None:
    page.goto(f"{live_server}/console/resources/{resource_id}")
    page.set_input_files("[data-testid=upload-form] input[type=file]", str(path))
    page.click("[data-testid=upload-form] button[type=submit]")
    page.wait_for_url("**/console/ingestions/*")


def test_an_empty_upload_waits_for_the_provider_who_sees_what_it_would_change(
    page: Any, live_server: str, live_database: Database, live_clock: FixedClock, tmp_path: Path
) -> None:
    """R4.3, R9.3: a header-only file does not replace the data; the provider sees the
    hold, the numbers it would change, decides, and the decision shows."""
    account, resource_id = _resource_with_data(live_database, live_clock)
    good, empty = tmp_path / "户籍人口.csv", tmp_path / "只有表头.csv"
    good.write_bytes(residents(10))
    empty.write_bytes(HEADER.encode())
    _login(page, live_server, account)
    _upload(page, live_server, resource_id, good)
    _upload(page, live_server, resource_id, empty)

    assert page.inner_text("[data-testid=run-status]") == "待确认：当前版本未被替换"
    hold = page.inner_text("[data-testid=hold]")
    assert "此次上传等待您确认" in hold and "数据集将变为空" in hold
    assert page.inner_text("[data-testid=hold-rows-change]") == "-10"
    page.goto(f"{live_server}/console/resources/{resource_id}")
    assert "只有表头.csv" in page.inner_text("[data-testid=pending-hold]")
    page.click("[data-testid=pending-hold] a")
    page.click("[data-testid=hold-discard] button")
    page.wait_for_url("**/console/ingestions/*")
    assert page.inner_text("[data-testid=run-status]") == "已放弃，未入库"
    assert account.username in page.inner_text("[data-testid=hold-decided]")
    page.goto(f"{live_server}/console/resources/{resource_id}")
    assert page.locator("[data-testid=pending-hold]").count() == 0


def test_provider_uploads_and_reads_the_quality_report(
    page: Any, live_server: str, live_database: Database, live_clock: FixedClock, tmp_path: Path
) -> None:
    account = make_account(live_database, live_clock, Role.PROVIDER)
    assert account.organization_id is not None
    with live_database.unit_of_work() as session:
        resource = catalog.register_resource(
            session,
            actor=provider_principal(account.organization_id),
            clock=live_clock,
            data=ResourceCreate.model_validate(
                {
                    "code": "residents",
                    "name": "户籍人口基本信息",
                    "domain": "governance",
                    "update_frequency": "daily",
                    "open_level": "conditional",
                    "classification": "population",
                    "grade": "3",
                    "fields": FIELDS,
                }
            ),
        )
        resource_id = resource.id
    upload = tmp_path / "户籍人口.csv"
    upload.write_bytes(CSV.encode("gb18030"))
    page.goto(f"{live_server}/login")
    page.fill("input[name=username]", account.username)
    page.fill("input[name=password]", account.password)
    page.click("button[type=submit]:has-text('登录')")
    page.wait_for_url(f"{live_server}/console")
    page.click("text=数据资源")
    page.click("text=户籍人口基本信息")
    page.set_input_files("[data-testid=upload-form] input[type=file]", str(upload))
    page.click("[data-testid=upload-form] button[type=submit]")
    page.wait_for_url("**/console/ingestions/*")
    assert page.inner_text("[data-testid=run-status]") == "已入库"
    counts = page.inner_text("[data-testid=report-counts]")
    assert "6" in counts and "4" in counts
    failures = page.inner_text("[data-testid=report-failures]")
    assert "公民身份号码" in failures and "不是有效的手机号码" in failures
    # Reasons read as words: the field's title and what was wrong, not field:rule codes.
    quarantine = page.inner_text("[data-testid=quarantine]")
    assert "公民身份号码：值重复" in quarantine and "手机号码：不是有效的手机号码" in quarantine
    assert "id_number:unique" not in quarantine
    page.goto(f"{live_server}/console/resources/{resource_id}")
    assert "户籍人口.csv" in page.inner_text("[data-testid=runs]", timeout=5000)
