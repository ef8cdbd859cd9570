"""The console pages of emergency plans, drills and incidents, as the bureau and the
operators see them: forms that explain their refusals, the operator's own only (404 for
another's), the timeline and the report as PDF."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from sluice.web.app import create_app
from tests.identity.factories import console_login
from tests.incidents import world
from tests.incidents.world import People

PDF = (
    b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n"
    b"2 0 obj<</Type/Pages/Kids[]/Count 0>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n"
)


@pytest.fixture(scope="module", params=["sqlite"])
def pages_world(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory, sqlite_template: Path
) -> Iterator[People]:
    yield from world.build_people(request, tmp_path_factory, sqlite_template)


@pytest.fixture(scope="module")
def client(pages_world: People) -> Iterator[TestClient]:
    app = create_app(pages_world.settings, database=pages_world.database, clock=pages_world.clock())
    with TestClient(app, base_url="http://127.0.0.1") as test_client:
        yield test_client


def _text(html: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


def test_an_operator_files_and_drills_its_own_plan_and_others_do_not_see_it(
    pages_world: People, client: TestClient
) -> None:
    today = pages_world.clock().now().date().isoformat()
    client.cookies.clear()
    csrf = console_login(client, pages_world.operator)
    assert "本单位尚未编制应急预案。" in _text(client.get("/console/emergency-plans").text)
    assert "待编制：本单位应急预案" in _text(client.get("/console").text)
    refused = client.post(
        "/console/emergency-plans",
        data={
            "csrf_token": csrf,
            "title": "数据安全专项应急预案",
            "approved_by": "张伟（总经理）",
            "approved_on": "2026-02-30",
            "body": "",
        },
    )
    assert refused.status_code == 422
    assert "2026-02-30 不是有效的日期" in _text(refused.text)
    filed = client.post(
        "/console/emergency-plans",
        data={
            "csrf_token": csrf,
            "title": "数据安全专项应急预案",
            "approved_by": "张伟（总经理）",
            "approved_on": today,
            "body": "一、隔离涉事数据；二、暂停相关操作；三、向数据局报告。",
        },
        files={"file": ("专项应急预案.pdf", PDF, "application/pdf")},
        follow_redirects=False,
    )
    assert filed.status_code == 303
    plan_path = filed.headers["location"].split("?")[0]
    drilled = client.post(
        f"{plan_path}/drills",
        data={
            "csrf_token": csrf,
            "held_on": today,
            "scenario": "导出结果疑似外泄",
            "participants": "安全部、运维部",
            "findings": "隔离用时 12 分钟",
            "follow_up": "补充联系人",
        },
    )
    shown = _text(drilled.text)
    assert "演练已记录。" in shown and "隔离用时 12 分钟" in shown
    home = _text(client.get("/console").text)
    assert "待编制：本单位应急预案" not in home and "待演练" not in home
    assert "张伟（总经理） · " + today in shown
    assert client.get(f"{plan_path}/document.pdf").content == PDF

    client.cookies.clear()
    console_login(client, pages_world.other_operator)
    assert client.get(plan_path).status_code == 404
    assert client.get(f"{plan_path}/document.pdf").status_code == 404
    assert "数据安全专项应急预案" not in client.get("/console/emergency-plans").text

    client.cookies.clear()
    console_login(client, pages_world.bureau)
    listed = _text(client.get("/console/emergency-plans").text)
    assert "数据安全专项应急预案" in listed
    plan = _text(client.get(plan_path).text)
    # The bureau reads it and its drills, but records drills under its own plan only.
    assert "导出结果疑似外泄" in plan and "记录演练" not in plan


def test_an_operator_reports_and_contains_its_own_incident_and_the_bureau_takes_it_on(
    pages_world: People, client: TestClient
) -> None:
    client.cookies.clear()
    csrf = console_login(client, pages_world.operator)
    refused = client.post(
        "/console/incidents",
        data={"csrf_token": csrf, "title": "截", "description": "", "severity": "general"},
    )
    assert refused.status_code == 422
    assert "事件标题须为 2 至 200 个字符。" in _text(refused.text)
    reported = client.post(
        "/console/incidents",
        data={
            "csrf_token": csrf,
            "title": "员工截图外发查询结果",
            "description": "一名员工将沙箱查询结果截图发到了工作群。",
            "severity": "general",
        },
        follow_redirects=False,
    )
    assert reported.status_code == 303
    path = reported.headers["location"].split("?")[0]
    no_measure = client.post(
        f"{path}/steps", data={"csrf_token": csrf, "transition": "contain", "note": "已处理"}
    )
    assert no_measure.status_code == 422
    assert "请至少勾选一项已采取的处置措施。" in _text(no_measure.text)
    contained = client.post(
        f"{path}/steps",
        data={
            "csrf_token": csrf,
            "transition": "contain",
            "note": "已撤回截图。",
            "measures": ["data_isolated", "operations_suspended"],
        },
    )
    shown = _text(contained.text)
    assert "已记录处置措施。" in shown
    assert "处置措施： 已隔离涉事数据、已暂停相关操作" in shown
    # Investigating is the bureau's: no form for the operator, a 403 if posted anyway.
    assert 'data-action="step-investigate"' not in contained.text
    forbidden = client.post(
        f"{path}/steps", data={"csrf_token": csrf, "transition": "investigate", "note": "自查"}
    )
    assert forbidden.status_code == 403

    client.cookies.clear()
    console_login(client, pages_world.other_operator)
    assert client.get(path).status_code == 404
    assert client.get(f"{path}/report.pdf").status_code == 404
    assert "员工截图外发查询结果" not in client.get("/console/incidents").text

    client.cookies.clear()
    console_login(client, pages_world.bureau)
    assert re.search(r"处置中：\d+ 起安全事件", _text(client.get("/console").text))
    page = client.get(path)
    assert 'data-testid="incident-status">已控制<' in page.text
    assert 'data-action="step-investigate"' in page.text
    report = client.get(f"{path}/report.pdf")
    assert report.headers["content-type"] == "application/pdf"
    assert report.content.startswith(b"%PDF-")


def test_a_major_incident_without_an_agreement_in_force_says_so_and_orders_nothing(
    pages_world: People, client: TestClient
) -> None:
    client.cookies.clear()
    csrf = console_login(client, pages_world.bureau)
    form = _text(client.get("/console/incidents/new").text)
    assert "涉及运营机构" in form and "不涉及运营机构" in form
    reported = client.post(
        "/console/incidents",
        data={
            "csrf_token": csrf,
            "title": "接口返回未脱敏身份证号",
            "description": "数据产品接口返回了未经脱敏的身份证号。",
            "severity": "major",
            "operator_id": str(pages_world.operator.organization_id),
        },
        follow_redirects=False,
    )
    path = reported.headers["location"].split("?")[0]
    page = client.get(path)
    assert 'data-testid="incident-severity">重大<' in page.text
    assert "该运营机构没有生效中的授权运营协议，无法下达整改通知。" in _text(page.text)
    refused = client.post(
        f"{path}/rectification",
        data={
            "csrf_token": csrf,
            "authorization_id": "",
            "deadline": "2027-01-15",
            "description": "整改",
        },
    )
    assert refused.status_code == 422
    assert "请选择该运营机构生效中的授权运营协议。" in _text(refused.text)
