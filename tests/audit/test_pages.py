"""The audit log page as the bureau reads it: filters, paging, words, the export.

The small log these tests read is ``world`` in conftest.py.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterator
from datetime import timedelta
from zoneinfo import ZoneInfo

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from sluice.audit import pages
from sluice.audit.models import AuditEvent
from sluice.audit.repository import ORGANIZATIONS, USERS
from sluice.core.clock import FixedClock
from sluice.core.database import Database
from sluice.core.permissions import Role
from sluice.identity.models import Organization, User
from tests.audit.conftest import World
from tests.audit.factories import record, utc
from tests.identity.factories import console_login, make_account

BEIJING = ZoneInfo("Asia/Shanghai")


@pytest.fixture
def bureau(client: TestClient, database: Database, clock: FixedClock) -> Iterator[TestClient]:
    console_login(client, make_account(database, clock, Role.BUREAU, username="auditor"))
    yield client


def _ids(html: str) -> list[int]:
    return [int(i) for i in re.findall(r'data-testid="audit-row" data-id="(\d+)"', html)]


def _range(html: str) -> str:
    found = re.search(r'data-testid="list-range">([^<]*)<', html)
    assert found, "the page shows no count"
    return found.group(1)


def _csv(text: str) -> list[list[str]]:
    return list(csv.reader(io.StringIO(text.removeprefix("\ufeff"))))


# -- Filters -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("action=guard.decision", ["provider_refused", "refused"]),
        ("actor=liuxy", ["provider_refused", "disposed"]),
        ("actor=sweep", ["failed"]),
        ("organization=ops-test", ["refused"]),
        ("organization=gaj-test", ["provider_refused", "disposed"]),
        ("outcome=refused", ["provider_refused", "refused"]),
        ("outcome=failed", ["failed"]),
        ("target_type=exit", ["disposed"]),
        ("target_id=7d1f0c2a", ["provider_refused"]),
        ("action=guard.decision&actor=chenzy", ["refused"]),
        # Days are Beijing days: 16:30 UTC on the 25th is half past midnight on the 26th.
        ("from=2026-10-26&to=2026-10-26", ["provider_refused", "refused"]),
        ("from=2026-10-21&to=2026-10-25", ["failed"]),
        ("from=2026-10-01&to=2026-10-25", ["failed", "disposed"]),
        ("q=资产处置", ["disposed"]),
        ("q=陈志远", ["refused"]),
        ("q=测试公安", ["provider_refused", "disposed"]),
    ],
)
def test_each_filter_shows_exactly_the_matching_rows_and_their_count(
    bureau: TestClient, world: World, query: str, expected: list[str]
) -> None:
    # The date filters alone would also match the events the fixtures wrote today (November),
    # so every date case stays in October.
    page = bureau.get(f"/console/audit?{query}")
    assert page.status_code == 200
    assert _ids(page.text) == [getattr(world, name) for name in expected]
    assert _range(page.text) == f"第 1–{len(expected)} 条，共 {len(expected)} 条"


def test_an_unknown_organization_or_actor_matches_nothing_and_says_so(
    bureau: TestClient, world: World
) -> None:
    page = bureau.get("/console/audit?organization=nobody")
    assert _ids(page.text) == []
    assert "没有符合条件的记录" in page.text


def test_the_newest_come_first_and_the_id_order_can_be_asked_for(
    bureau: TestClient, world: World
) -> None:
    in_october = "from=2026-10-01&to=2026-10-31"
    newest = [world.provider_refused, world.refused, world.failed, world.disposed]
    assert _ids(bureau.get(f"/console/audit?{in_october}").text) == newest
    by_id = sorted(newest)
    assert _ids(bureau.get(f"/console/audit?{in_october}&sort=id").text) == by_id
    assert _ids(bureau.get(f"/console/audit?{in_october}&sort=-id").text) == by_id[::-1]
    oldest = [world.disposed, world.failed, world.refused, world.provider_refused]
    assert _ids(bureau.get(f"/console/audit?{in_october}&sort=time").text) == oldest


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("from=2026-02-30", "“2026-02-30”不是有效的日期：请按 年-月-日 填写（如 2026-02-28）"),
        ("to=2026-13-01", "“2026-13-01”不是有效的日期"),
        ("from=20261026", "“20261026”不是有效的日期"),
        ("from=1800-01-01", "日期须在 1900-01-01 至 2099-12-31 之间。"),
        ("from=2026-10-27&to=2026-10-26", "开始日期晚于结束日期，请调换或更正。"),
    ],
)
def test_a_date_that_does_not_exist_is_explained_and_lists_nothing(
    bureau: TestClient, world: World, query: str, message: str
) -> None:
    page = bureau.get(f"/console/audit?{query}")
    assert page.status_code == 200
    assert message in page.text
    assert "请更正日期后再查询。" in page.text
    assert _ids(page.text) == []
    export = bureau.get(f"/console/audit.csv?{query}")
    assert export.status_code == 422
    assert message in export.text


@pytest.mark.rendering
def test_a_bad_date_is_explained_in_english_too(bureau: TestClient, world: World) -> None:
    page = bureau.get("/console/audit?from=2026-02-30", headers={"Accept-Language": "en"})
    assert "“2026-02-30” is not a valid date: use year-month-day (e.g. 2026-02-28)" in page.text
    assert "Correct the dates to see the events." in page.text


# -- Paging ------------------------------------------------------------------------------------


def test_page_two_shows_rows_51_to_100_and_pages_past_the_end_do_not_exist(
    bureau: TestClient, database: Database, world: World
) -> None:
    at = utc(2026, 9, 1, 4, 0)  # all at one moment: the id keeps the order stable
    with database.unit_of_work() as session:
        ids = [
            record(session, world.operator.principal, "catalog.resource.registered", at=at)
            for _ in range(120)
        ]
    newest_first = sorted(ids, reverse=True)
    second = bureau.get("/console/audit?action=catalog.resource.registered&page=2")
    assert second.status_code == 200
    assert _ids(second.text) == newest_first[50:100]
    assert _range(second.text) == "第 51–100 条，共 120 条"
    assert "第 2 / 3 页" in second.text
    for page in ("0", "4", "9999", "x"):
        response = bureau.get(f"/console/audit?action=catalog.resource.registered&page={page}")
        assert response.status_code == 404, page


def test_htmx_asks_for_the_list_alone(bureau: TestClient, world: World) -> None:
    fragment = bureau.get(
        "/console/audit?actor=chenzy", headers={"HX-Request": "true", "HX-Target": "list"}
    )
    assert fragment.text.lstrip().startswith('<div id="list"')
    assert "<html" not in fragment.text
    assert _ids(fragment.text) == [world.refused]


# -- Words -------------------------------------------------------------------------------------


def _row(html: str, event_id: int) -> str:
    start = html.index(f'data-id="{event_id}"')
    return html[start : html.index("</tr>", start)]


def test_details_actors_and_targets_read_as_words(bureau: TestClient, world: World) -> None:
    page = bureau.get("/console/audit?from=2026-10-01&to=2026-10-31").text
    disposed = _row(page, world.disposed)
    assert "<b>类型</b>：公共数据资产" in disposed
    assert "<b>归属</b>：归政府" in disposed
    assert "<b>名称</b>：智慧停车场景形成的公共数据资产" in disposed
    assert "kind" not in disposed.replace('data-key="kind"', "")
    assert "public_data_asset" not in disposed
    assert "登记资产处置" in disposed
    assert ">刘晓燕</a>" in disposed
    assert "营口市测试公安局" in disposed
    assert "退出" in disposed  # the target type by its label
    refused = _row(page, world.refused)
    assert ">陈志远</a>" in refused and "营口测试数据运营公司" in refused
    assert "<b>逾期</b>：否" in refused
    assert ">拒绝</span>" in refused
    failed = _row(page, world.failed)
    assert "系统（sweep）" in failed
    assert "质量评估" in failed and ">失败</span>" in failed


@pytest.mark.rendering
def test_the_page_reads_in_english(bureau: TestClient, world: World) -> None:
    page = bureau.get("/console/audit?actor=liuxy", headers={"Accept-Language": "en"}).text
    disposed = _row(page, world.disposed)
    assert "<b>Kind</b>: Public data asset" in disposed
    assert "<b>Goes to</b>: Goes to the government" in disposed
    assert "Asset disposal recorded" in disposed
    assert "Filtered by: " in page and "刘晓燕 · liuxy" in page


def test_every_time_on_the_page_is_beijing_time(bureau: TestClient, world: World) -> None:
    page = bureau.get("/console/audit?actor=chenzy").text
    assert "<td>2026-10-26 00:30</td>" in _row(page, world.refused)


def test_active_filters_are_named_and_each_can_be_dropped(bureau: TestClient, world: World) -> None:
    page = bureau.get("/console/audit?actor=liuxy&outcome=refused").text
    chips = page[page.index('data-testid="audit-chips"') :]
    chips = chips[: chips.index("</p>")]
    assert "操作者：刘晓燕 · liuxy" in chips
    assert "结果：拒绝" in chips
    assert 'href="?outcome=refused&amp;sort=-time"' in chips  # dropping one keeps the other
    assert 'href="?actor=liuxy&amp;sort=-time"' in chips
    assert _ids(page) == [world.provider_refused]


# -- Export ------------------------------------------------------------------------------------


def test_the_export_holds_exactly_the_filtered_rows_in_words_and_beijing_time(
    bureau: TestClient, world: World
) -> None:
    response = bureau.get("/console/audit.csv?actor=liuxy")
    assert response.status_code == 200
    assert response.headers["content-type"] == "text/csv; charset=utf-8"
    assert response.headers["content-disposition"].startswith('attachment; filename="audit-log-')
    assert response.content.startswith(b"\xef\xbb\xbf")  # the BOM Excel needs for Chinese
    rows = _csv(response.content.decode("utf-8"))
    assert rows[0] == [
        "编号",
        "时间（北京时间）",
        "事件代码",
        "事件",
        "操作者",
        "用户名",
        "机构",
        "对象类型",
        "对象编号",
        "结果",
        "详情",
        "原因代码",
        "用途",
        "授权",
        "知情同意",
        "数据资源",
        "客户端地址",
        "请求编号",
    ]
    assert [int(r[0]) for r in rows[1:]] == [world.provider_refused, world.disposed]
    disposed = rows[2]
    moment = utc(2026, 10, 20, 2, 5, 7).astimezone(BEIJING)
    assert disposed[1] == moment.strftime("%Y-%m-%d %H:%M:%S+08:00")
    assert disposed[1] == "2026-10-20 10:05:07+08:00"
    assert disposed[2:10] == [
        "exit.asset_disposed",
        "登记资产处置",
        "刘晓燕",
        "liuxy",
        "营口市测试公安局",
        "退出",
        disposed[8],
        "成功",
    ]
    assert disposed[10] == "名称：智慧停车场景形成的公共数据资产；类型：公共数据资产；归属：归政府"


@pytest.mark.rendering
def test_the_export_in_english(bureau: TestClient, world: World) -> None:
    response = bureau.get("/console/audit.csv?actor=sweep", headers={"Accept-Language": "en"})
    rows = _csv(response.text)
    assert rows[0][:4] == ["No.", "Time (Beijing, UTC+8)", "Event code", "Event"]
    assert rows[1][3:5] == ["Quality assessed", "System (sweep)"]
    assert rows[1][9] == "Failed"


def test_the_export_is_itself_on_the_log(
    bureau: TestClient, database: Database, world: World
) -> None:
    bureau.get("/console/audit.csv?outcome=refused&from=2026-10-26&to=2026-10-26")
    with database.unit_of_work() as session:
        event = session.scalars(
            select(AuditEvent).where(AuditEvent.action == "audit.exported")
        ).one()
        assert event.actor_username == "auditor"
        assert event.detail["filters"] == {
            "outcome": "refused",
            "date_from": "2026-10-26",
            "date_to": "2026-10-26",
        }
        assert event.detail["rows_exported"] == 2
    page = bureau.get("/console/audit?action=audit.exported").text
    row = _row(page, event.id)
    assert "导出审计日志" in row
    assert "<b>导出行数</b>：2" in row
    assert "<b>筛选条件</b>：结果：拒绝，开始日期：2026-10-26，结束日期：2026-10-26" in row


def test_an_export_reads_in_batches_and_stops_at_its_limit(
    bureau: TestClient, database: Database, world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    at = utc(2026, 9, 1, 4, 0)
    with database.unit_of_work() as session:
        ids = [
            record(
                session,
                world.operator.principal,
                "catalog.resource.registered",
                at=at + timedelta(seconds=i // 10),  # runs of ten share a moment
            )
            for i in range(120)
        ]
    monkeypatch.setattr(pages, "EXPORT_BATCH", 7)
    monkeypatch.setattr(pages, "EXPORT_LIMIT", 50)
    query = "action=catalog.resource.registered"
    page = bureau.get(f"/console/audit?{query}").text
    assert "符合条件的记录共 120 条，一次最多导出 50 条" in page
    assert "导出 CSV（50 条）" in page
    newest_first = sorted(ids, reverse=True)
    rows = _csv(bureau.get(f"/console/audit.csv?{query}").text)
    assert [int(r[0]) for r in rows[1:]] == newest_first[:50]
    oldest_first = _csv(bureau.get(f"/console/audit.csv?{query}&sort=time").text)
    assert [int(r[0]) for r in oldest_first[1:]] == sorted(ids)[:50]


def test_a_cell_a_spreadsheet_would_run_is_kept_as_text(
    bureau: TestClient, database: Database, world: World
) -> None:
    with database.unit_of_work() as session:
        record(
            session,
            world.operator.principal,
            "guard.decision",
            at=utc(2026, 9, 2, 1, 0),
            target_id='=HYPERLINK("http://x")',
        )
    rows = _csv(bureau.get("/console/audit.csv?target_id=%3DHYPER").text)
    assert rows[1][8] == '\'=HYPERLINK("http://x")'


# -- Who may read it ---------------------------------------------------------------------------


@pytest.mark.parametrize("path", ["/console/audit", "/console/audit.csv"])
def test_no_one_but_the_bureau_reads_or_exports_the_log(
    client: TestClient, database: Database, clock: FixedClock, world: World, path: str
) -> None:
    console_login(client, world.provider.account)
    response = client.get(path)
    assert response.status_code == 403
    assert "您的角色不能“查阅审计日志”" in response.text
    with database.unit_of_work() as session:
        assert (
            session.scalars(select(AuditEvent).where(AuditEvent.action == "audit.exported")).all()
            == []
        )


def test_the_pickers_find_people_and_organizations_for_the_bureau_only(
    client: TestClient, database: Database, clock: FixedClock, world: World
) -> None:
    console_login(client, make_account(database, clock, Role.BUREAU))
    people = client.get("/console/pick/audit_actors", params={"q": "志远"}).text
    assert 'data-pick="chenzy"' in people and "营口测试数据运营公司" in people
    assert 'data-pick="liuxy"' not in people
    systems = client.get("/console/pick/audit_actors", params={"q": "swe"}).text
    assert 'data-pick="sweep"' in systems
    organizations = client.get("/console/pick/audit_organizations", params={"q": "公安"}).text
    assert 'data-pick="gaj-test"' in organizations
    client.cookies.clear()
    console_login(client, world.provider.account)
    assert client.get("/console/pick/audit_actors", params={"q": "志远"}).status_code == 404


def test_the_names_the_log_reads_are_identitys_columns() -> None:
    """The log reads users and organizations by table name (it sits below identity); a
    renamed column in identity must fail here, not on the page."""
    for mine, theirs in ((USERS, User.__table__), (ORGANIZATIONS, Organization.__table__)):
        assert mine.name == theirs.name
        for column in mine.c:
            assert column.name in theirs.c, f"{theirs.name}.{column.name}"
