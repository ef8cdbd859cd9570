"""A provider uploads a file in the browser and reads its quality report."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from sluice.catalog import service as catalog
from sluice.catalog.schemas import ResourceCreate
from sluice.core.clock import FixedClock
from sluice.core.database import Database
from sluice.identity.permissions import Role
from tests.catalog.factories import provider_principal
from tests.dataplane.test_service import CSV, FIELDS
from tests.identity.factories import make_account

pytestmark = pytest.mark.browser


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
    assert "id_number" in failures and "mobile" in failures
    quarantine = page.inner_text("[data-testid=quarantine]")
    assert "id_number:unique" in quarantine and "mobile:mobile" in quarantine
    page.goto(f"{live_server}/console/resources/{resource_id}")
    assert "户籍人口.csv" in page.inner_text("[data-testid=runs]", timeout=5000)
