"""The channel register as people see it (R3.7): the bureau registers a channel and records
its move in the console; the portal says no new channel may be built and shows the register."""

from __future__ import annotations

from fastapi.testclient import TestClient
from markupsafe import escape

from sluice.core.clock import FixedClock
from sluice.core.database import Database
from sluice.core.permissions import Role
from tests.identity.factories import console_login, make_account

SINGLE_CHANNEL_ZH = (
    "本平台是本市公共数据授权运营的统一渠道：各部门、县（市、区）和园区不得新建公共数据运营渠道，"
    "已建或在建的渠道纳入本平台统一对外服务。"
)
SINGLE_CHANNEL_EN = (
    "This platform is the city's single channel for the authorized operation of public data: "
    "departments, counties and parks may not build new operation channels, and those already "
    "built or being built are brought onto the platform."
)


def test_the_bureau_keeps_the_register_and_the_portal_shows_it(
    client: TestClient, database: Database, clock: FixedClock
) -> None:
    for path in ("/", "/portal/disclosures"):
        assert SINGLE_CHANNEL_ZH in client.get(path).text
        english = client.get(path, headers={"Accept-Language": "en"}).text
        assert str(escape(SINGLE_CHANNEL_EN)) in english
    assert "目前没有登记在册的已有运营渠道。" in client.get("/portal/disclosures").text

    csrf = console_login(client, make_account(database, clock, Role.BUREAU))
    form = {
        "csrf_token": csrf,
        "name": "高新区企业服务数据平台",
        "owner_kind": "park",
        "owner_name": "营口高新技术产业开发区",
        "description": "为园区企业提供数据查询和融资对接。",
        "plan": "数据按目录汇聚至平台，融资对接场景经授权后在平台内开展。",
        "move_by": "2026-11-25",
    }
    refused = client.post("/console/channels", data=form, headers={"Accept-Language": "en"})
    assert refused.status_code == 422
    assert "The day to move it by cannot be before today (2026-11-26)." in refused.text
    assert 'value="高新区企业服务数据平台"' in refused.text  # nothing typed is lost
    created = client.post(
        "/console/channels", data={**form, "move_by": "2027-03-31"}, follow_redirects=False
    )
    assert created.status_code == 303
    page = client.get(created.headers["location"]).text
    assert "已登记运营渠道“高新区企业服务数据平台”。" in page
    assert 'data-testid="status">待迁移</span>' in page
    base = created.headers["location"].split("?")[0]
    for transition in ("start", "complete"):
        moved = client.post(
            f"{base}/status",
            data={"csrf_token": csrf, "transition": transition},
            follow_redirects=False,
        )
        assert moved.status_code == 303
    page = client.get(moved.headers["location"]).text
    assert "已记录：已纳入平台。" in page
    listed = client.get("/console/channels", params={"owner_kind": "park"}).text
    row = listed.split('data-channel="高新区企业服务数据平台"')[1].split("</tr>")[0]
    assert "营口高新技术产业开发区" in row and "2027-03-31" in row and "已纳入平台" in row

    client.cookies.clear()
    disclosed = client.get("/portal/disclosures", headers={"Accept-Language": "en"}).text
    row = disclosed.split('data-channel="高新区企业服务数据平台"')[1].split("</tr>")[0]
    assert "营口高新技术产业开发区" in row
    assert "Moved onto the platform" in row and "2026-11-26" in row
