"""The bureau sees an alert in a browser, opens an incident from it and walks it to closure
with a review: contained (data isolated, operations suspended), investigated, reported
upward, closed; the timeline shows each step in order and the alert names its incident."""

from __future__ import annotations

import uuid
from datetime import timedelta
from typing import Any

import pytest

from sluice.alerts.models import Alert
from sluice.core.clock import FixedClock
from sluice.core.database import Database
from sluice.core.permissions import OrgKind, Role
from tests.audit.factories import make_person

pytestmark = pytest.mark.browser


def _alert(database: Database, clock: FixedClock, operator_id: uuid.UUID) -> uuid.UUID:
    """A critical enumeration alert on an operator's workspace, as the monitoring raises it."""
    now = clock.now()
    with database.unit_of_work() as session:
        alert = Alert(
            rule="enumeration",
            severity="critical",
            subject_type="workspace",
            subject_id=uuid.uuid4(),
            subject_label="普惠金融沙箱",
            organization_id=operator_id,
            window_start=now - timedelta(hours=1),
            window_end=now,
            observed=412.0,
            threshold=50.0,
            detail={"distinct_subjects": 412},
            status="open",
            raised_at=now,
            delivery=None,
            delivery_attempts=0,
        )
        session.add(alert)
        session.flush()
        return alert.id


def _step(page: Any, name: str, note: str) -> None:
    page.fill("[data-testid=incident-step-form] textarea[name=note]", note)
    page.click(f"[data-action=step-{name}]")
    page.wait_for_selector("[data-testid=notice]")


def test_the_bureau_opens_an_incident_from_an_alert_and_closes_it_with_a_review(
    page: Any, live_server: str, live_database: Database, live_clock: FixedClock
) -> None:
    operator = make_person(
        live_database,
        live_clock,
        username="ops_incident",
        display_name="陈志远",
        role=Role.OPERATOR,
        kind=OrgKind.OPERATOR,
        code="ops-incident",
        organization="营口港城数据科技运营有限公司",
    )
    bureau = make_person(
        live_database,
        live_clock,
        username="sjj_incident",
        display_name="王建国",
        role=Role.BUREAU,
        kind=OrgKind.BUREAU,
        code="sjj-incident",
        organization="营口市数据局",
    ).account
    assert operator.account.organization_id is not None
    alert_id = _alert(live_database, live_clock, operator.account.organization_id)

    page.goto(f"{live_server}/login")
    page.fill("input[name=username]", bureau.username)
    page.fill("input[name=password]", bureau.password)
    page.click("button[type=submit]:has-text('登录')")
    page.wait_for_url(f"{live_server}/console")

    # The alert, in the bureau's list and on its own page.
    page.goto(f"{live_server}/console/alerts")
    page.click(f"a[href='/console/alerts/{alert_id}']")
    page.wait_for_selector("[data-testid=alert-facts]")
    assert "普惠金融沙箱" in page.inner_text("[data-testid=alert-facts]")
    page.click("[data-action=open-incident]")

    # The form shows the alert and takes the operator from it.
    page.wait_for_selector("[data-testid=incident-alert]")
    assert "遍历查询多个主体" in page.inner_text("[data-testid=incident-alert]")
    assert page.input_value("select[name=operator_id]") == str(operator.account.organization_id)
    page.fill("input[name=title]", "普惠金融沙箱遍历查询")
    page.select_option("select[name=severity]", "general")
    page.fill("textarea[name=description]", "告警：一个工作区一小时内查询了 412 个不同主体。")
    page.click("[data-action=report-incident]")
    page.wait_for_selector("[data-testid=incident-timeline]")
    assert page.inner_text("[data-testid=incident-status]") == "已报告"
    assert "营口港城数据科技运营有限公司" in page.inner_text("[data-testid=incident-operator]")
    assert "普惠金融沙箱" in page.inner_text("[data-testid=incident-alerts]")

    page.check("input[name=measures][value=data_isolated]")
    page.check("input[name=measures][value=operations_suspended]")
    _step(page, "contain", "已暂停该工作区的查询和导出，涉事结果已隔离。")
    assert page.inner_text("[data-testid=incident-status]") == "已控制"
    _step(page, "investigate", "一名员工以测试为名批量查询，未导出数据。")
    page.fill("input[name=recipient]", "市委网信办")
    _step(page, "report_upward", "已书面报告事件经过和处置情况。")
    _step(page, "close", "复盘：遍历告警有效；运营机构已培训员工并修订预案。")

    assert page.inner_text("[data-testid=incident-status]") == "已结案"
    assert page.locator("[data-testid=incident-step-form]").count() == 0
    kinds = page.eval_on_selector_all(
        "[data-testid=incident-timeline] li", "items => items.map(i => i.dataset.step)"
    )
    assert kinds == ["reported", "contain", "investigate", "report_upward", "close"]
    timeline = page.inner_text("[data-testid=incident-timeline]")
    assert "处置措施：已隔离涉事数据、已暂停相关操作" in timeline
    assert "上报对象：市委网信办" in timeline
    assert "复盘：遍历告警有效" in timeline
    incident_url = page.url.split("?")[0]

    # The alert is escalated and leads to its incident.
    page.goto(f"{live_server}/console/alerts/{alert_id}")
    assert page.get_attribute("[data-testid=alert-status]", "data-status") == "escalated"
    assert page.locator("[data-action=open-incident]").count() == 0
    page.click("[data-testid=alert-incident]")
    page.wait_for_selector("[data-testid=incident-timeline]")
    assert page.url.split("?")[0] == incident_url
