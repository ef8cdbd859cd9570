"""The workbench: each person opens the console on what needs them now, and only that.

A small city is built through the real services (a few places write a row directly where
the data plane or an assessment would: a held upload and a quality score). Each role then
opens ``/console`` and the test reads the page as they would: per panel, its to-do lines
(with their links, due dates and the 督办 action), its note, its lead and the key figures.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import timedelta
from html.parser import HTMLParser

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from sluice.approvals.models import ApprovalRequest
from sluice.core.clock import FixedClock
from sluice.core.database import Database
from sluice.core.permissions import Role
from sluice.core.settings import Settings
from tests.identity.factories import Account, console_login, make_account
from tests.web.factories import City, build

# -- reading the page ------------------------------------------------------------------------


@dataclass
class Item:
    """One to-do line (``todo``) or one of the rows under it (``row``), as read."""

    kind: str
    text: str = ""
    links: list[tuple[str, str]] = field(default_factory=list)


@dataclass
class Seen:
    """What a panel shows."""

    items: list[Item] = field(default_factory=list)
    note: str = ""
    lead: str = ""
    chart: bool = False

    @property
    def todos(self) -> list[str]:
        return [i.text for i in self.items if i.kind == "todo"]

    @property
    def rows(self) -> list[str]:
        return [i.text for i in self.items if i.kind == "row"]

    def links(self) -> list[tuple[str, str]]:
        return [link for item in self.items for link in item.links]


@dataclass
class Page:
    panels: dict[str, Seen]
    figures: dict[str, str]
    text: str


class _Reader(HTMLParser):
    """Panels (``data-testid=panel-<key>``), their items, notes and leads, and the figures."""

    def __init__(self) -> None:
        super().__init__()
        self.panels: dict[str, Seen] = {}
        self.figures: dict[str, str] = {}
        self.panel: Seen | None = None
        self.open: list[tuple[str, Item | None]] = []  # li stack: the item each li feeds
        self.capture: str | None = None  # "note", "lead", "figure"
        self.buffer: list[str] = []
        self.link: tuple[str, list[str]] | None = None
        self.all: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        testid = a.get("data-testid", "")
        if tag == "section" and testid.startswith("panel-"):
            self.panel = self.panels.setdefault(testid.removeprefix("panel-"), Seen())
        elif tag == "li" and testid in ("todo", "todo-row") and self.panel is not None:
            item = Item("todo" if testid == "todo" else "row")
            self.panel.items.append(item)
            self.open.append((tag, item))
        elif tag == "li":
            self.open.append((tag, None))
        elif testid in ("panel-note", "panel-lead", "figure"):
            self.capture, self.buffer = testid.removeprefix("panel-"), []
            if testid == "panel-chart" and self.panel is not None:
                self.panel.chart = True
        elif testid == "panel-chart" and self.panel is not None:
            self.panel.chart = True
        if tag == "a":
            self.link = (a.get("href", ""), [])

    def handle_endtag(self, tag: str) -> None:
        if tag == "li" and self.open:
            self.open.pop()
        elif tag == "section" and self.panel is not None:
            self.panel = None
        elif tag == "a" and self.link is not None:
            href, words = self.link
            item = self._item()
            if item is not None:
                item.links.append((_squash("".join(words)), href))
            self.link = None
        if self.capture and tag in ("p", "a", "div"):
            text = _squash("".join(self.buffer))
            if self.capture == "figure":
                label, _, value = text.rpartition(" ")
                self.figures[label] = value
            elif self.panel is not None:
                setattr(self.panel, self.capture, text)
            self.capture = None

    def handle_data(self, data: str) -> None:
        self.all.append(data)
        item = self._item()
        if item is not None:
            item.text = _squash(item.text + " " + data)
        if self.link is not None:
            self.link[1].append(data)
        if self.capture:
            self.buffer.append(data + " ")

    def _item(self) -> Item | None:
        return self.open[-1][1] if self.open else None


def _squash(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip()


def read(html: str) -> Page:
    reader = _Reader()
    reader.feed(html)
    return Page(reader.panels, reader.figures, _squash(" ".join(reader.all)))


def console(client: TestClient, account: Account) -> Page:
    client.cookies.clear()
    console_login(client, account)
    response = client.get("/console")
    assert response.status_code == 200, response.text
    return read(response.text)


# -- the city --------------------------------------------------------------------------------


@pytest.fixture
def city(database: Database, clock: FixedClock, settings: Settings) -> City:
    return build(database, clock, settings)


# -- the bureau ------------------------------------------------------------------------------


def test_the_bureau_sees_reviews_overdue_tickets_with_chase_and_what_awaits_its_decision(
    client: TestClient, city: City
) -> None:
    page = console(client, city.bureau)

    reviews = page.panels["workbench.reviews"]
    assert reviews.todos == ["待审核：1 份运营机构申请"]
    assert ("待审核：1 份运营机构申请", f"/console/operators/{city.application_id}") in (
        reviews.links()
    )
    assert reviews.rows == ["辽河数据服务有限公司 提交于 2026-11-26 10:00"]

    tickets = page.panels["workbench.tickets"]
    assert tickets.todos[0] == "逾期未答复：1 件纠错工单"
    assert tickets.rows == [
        "企业登记信息（市场监管局）：企业地址与实际不符 期限 2026-11-17 · 已逾期 7 个工作日 督办"
    ]
    assert ("督办", f"/console/tickets/{city.overdue_ticket}") in tickets.links()
    assert tickets.chart  # overdue tickets per provider

    agreements_seen = page.panels["workbench.agreements"]
    assert agreements_seen.todos[0] == "待集体决策：1 份协议审核中"
    assert agreements_seen.todos[-1] == "90 天内到期：1 份协议"
    assert f"{city.agreement_number} · 营口数据集团 · 普惠金融 期限 2026-12-26" in (
        agreements_seen.rows
    )
    assert agreements_seen.chart  # agreements by state

    exits_seen = page.panels["workbench.exits"]
    assert exits_seen.todos == []
    assert exits_seen.note == "没有待决定的退出申请或待验收的整改。"

    # The termination is the bureau's own request: a colleague must approve it.
    approvals = page.panels["workbench.approvals"]
    assert approvals.todos == ["您提出的 1 项申请正等待另一名同事审批"]

    assert page.panels["workbench.catalog"].todos == ["待发布：1 个目录批次（草稿）"]
    rounds_seen = page.panels["workbench.rounds"]
    assert rounds_seen.todos == ["评分中：1 轮磋商，专家还有 2 项评分未提交"]

    assert page.figures == {
        "逾期工单": "1",
        "生效中协议": "1",
        "开放的工作区": "1",  # the agreement in force has its sandbox
        "已发布目录": "6",
        "数据源": "3",
        "部门平均质量分": "72.5",
        "已上架": "0",
        "已暂停": "0",
        "今日调用": "0",
        "今日被拒绝": "0",
        "待处理": "0",  # no alert raised in this world
        "其中严重": "0",
    }
    assert page.panels["workbench.quality"].note == (
        "最近一次评估：2026-11-25 10:00，1 个部门参评，均在 60 分以上。"
    )


def test_the_second_person_of_the_bureau_sees_the_request_to_approve(
    client: TestClient, city: City
) -> None:
    approvals = console(client, city.colleague).panels["workbench.approvals"]
    assert approvals.todos == ["待您审批：1 项不可逆操作"]
    assert approvals.rows == [
        f"终止授权运营协议 · {city.agreement_number} 普惠金融（王建国提出） 期限 2026-11-29 10:00"
    ]
    assert ("待您审批：1 项不可逆操作", "/console/approvals") in approvals.links()


def test_a_lapsed_request_no_longer_waits_for_anyone(
    client: TestClient, city: City, database: Database, clock: FixedClock
) -> None:
    with database.unit_of_work() as session:
        for request in session.scalars(select(ApprovalRequest)):
            request.expires_at = clock.now() - timedelta(minutes=1)
    approvals = console(client, city.colleague).panels["workbench.approvals"]
    assert approvals.todos == []
    assert approvals.note == "没有等待您审批的操作。"


# -- providers -------------------------------------------------------------------------------


def test_a_provider_sees_its_tickets_to_answer_its_held_upload_and_its_score(
    client: TestClient, city: City
) -> None:
    page = console(client, city.provider_a)
    tickets = page.panels["workbench.tickets.provider"]
    assert tickets.todos == ["待答复：1 件纠错工单（其中 1 件已逾期）"]
    assert tickets.rows == ["企业登记信息：企业地址与实际不符 期限 2026-11-17 · 已逾期"]
    assert (
        "企业登记信息：企业地址与实际不符",
        f"/console/tickets/{city.overdue_ticket}",
    ) in tickets.links()

    uploads = page.panels["workbench.uploads"]
    assert uploads.rows == [
        "企业登记信息 · 企业登记-11月.csv（12 行，当前版本 5000 行） 上传于 2026-11-26 10:00"
    ]
    assert uploads.links()[0][1] == f"/console/ingestions/{city.held_run}"

    resources = page.panels["workbench.resources"]
    assert resources.todos == ["待上传：1 项数据资源还没有数据"]
    assert resources.links()[-1][1] == f"/console/resources/{city.resource_a}"

    quality = page.panels["workbench.quality.provider"]
    assert quality.note.startswith("最近一次评估（2026-11-25 10:00）：综合 72.5 分")
    assert page.figures["质量评分"] == "72.5"


def test_a_provider_never_sees_another_providers_tickets(client: TestClient, city: City) -> None:
    page = console(client, city.provider_b)
    tickets = page.panels["workbench.tickets.provider"]
    assert tickets.todos == ["待答复：1 件纠错工单（其中 0 件已逾期）"]
    assert tickets.rows == ["社保缴费记录：缴费基数有误 期限 2026-12-03"]
    assert str(city.overdue_ticket) not in page.text
    assert "企业登记信息" not in page.text
    assert page.panels["workbench.uploads"].note.startswith("没有等待确认的上传")
    assert page.panels["workbench.quality.provider"].note.startswith("数据局尚未评估")


# -- operators -------------------------------------------------------------------------------


def test_the_operator_sees_its_rectification_deadline_and_agreement_ending(
    client: TestClient, city: City
) -> None:
    page = console(client, city.operator)
    mine = page.panels["workbench.operator"]
    assert mine.todos == [
        "90 天内到期：1 份协议",
        "待整改：1 份整改通知，请在期限内提交整改报告",
    ]
    assert mine.rows == [
        f"{city.agreement_number} · 普惠金融 期限 2026-12-26",
        f"{city.agreement_number} · 违反协议约定：未按约定报送季度运营报告 期限 {city.deadline}",
    ]
    assert all(href == f"/console/authorizations/{city.agreement_id}" for _, href in mine.links())
    assert page.figures["生效中协议"] == "1"
    filed = page.panels["workbench.tickets.operator"]
    assert filed.todos == ["您提交的 2 件纠错工单正等待数据部门答复"]
    assert (
        page.panels["workbench.application"].note == "贵单位已通过运营机构资格审核（2026-11-26）。"
    )


def test_another_operator_sees_none_of_that(client: TestClient, city: City) -> None:
    page = console(client, city.other_operator)
    assert page.panels["workbench.operator"].todos == []
    assert page.panels["workbench.operator"].note == "没有待签署、待整改或即将到期的授权。"
    assert city.agreement_number not in page.text
    assert page.figures["生效中协议"] == "0"
    assert page.panels["workbench.tickets.operator"].todos == []


def test_an_applicant_sees_where_its_application_stands(client: TestClient, city: City) -> None:
    page = console(client, city.applicant)
    assert page.panels["workbench.application"].note == (
        "您的资格申请正在审核中（提交于 2026-11-26），结果会显示在这里。"
    )
    assert page.panels["workbench.operator"].note.startswith("贵单位还没有授权运营协议")


# -- the others ------------------------------------------------------------------------------


def test_the_panel_member_sees_the_round_waiting_for_their_scores(
    client: TestClient, city: City
) -> None:
    scoring = console(client, city.panelist).panels["workbench.scoring"]
    assert scoring.todos == ["待评分：1 轮磋商等待您的评分"]
    assert scoring.rows == ["文旅场景运营机构竞争性磋商：还有 2 项未评分"]
    assert scoring.links()[0][1] == f"/console/scoring/{city.round_id}"


def test_the_buyer_sees_its_keys_and_what_the_gateway_will_let_it_do(
    client: TestClient, city: City
) -> None:
    page = console(client, city.buyer)
    keys = page.panels["workbench.keys"]
    assert keys.lead.startswith("用 API 密钥调用本单位订阅的数据产品")
    # The key made today is not nagged about; the one unused for 100 days is.
    assert keys.todos == ["待清理：1 个密钥已 90 天以上未使用，不需要的请撤销"]
    assert len(keys.rows) == 1
    assert keys.rows[0].startswith("旧对账系统 · ")
    assert keys.rows[0].endswith("从未使用")
    assert page.figures == {
        "有效 API 密钥": "2",
        "尚未使用的密钥": "2",
        "今日调用": "0",
        "今日被拒绝": "0",
        "订阅中的产品": "0",
    }


def test_finance_registry_and_subject_see_what_they_can_and_what_is_coming(
    client: TestClient, city: City
) -> None:
    finance = console(client, city.finance)
    revenue = finance.panels["workbench.finance"]
    assert revenue.lead.startswith("数据收益的核算、上缴和报告尚未上线。")
    assert revenue.note.startswith("目前生效中的授权运营协议 1 份，涉及 1 家运营机构；")
    assert finance.figures == {"生效中协议": "1", "获授权运营机构": "1"}

    registry = console(client, city.registry)
    assert registry.panels["workbench.registry"].lead.startswith("您可以查阅全部数据资源")
    assert registry.panels["workbench.agreements.registry"].chart
    assert registry.figures == {
        "已登记数据资源": "6",
        "已发布目录": "6",
        "生效中协议": "1",
        "协议总数": "2",
    }

    subject = console(client, city.subject)
    yours = subject.panels["workbench.subject"]
    assert yours.lead.startswith("在“我的同意”中授予或随时撤回")
    assert yours.note.startswith("现在您可以在公开目录中查看")
    assert subject.figures == {"已发布目录": "6", "数据源": "3"}


# -- no empty cards --------------------------------------------------------------------------


@pytest.mark.parametrize("role", list(Role))
def test_with_nothing_to_do_every_panel_says_so_in_a_line(
    client: TestClient, database: Database, clock: FixedClock, role: Role
) -> None:
    page = console(client, make_account(database, clock, role))
    assert page.panels, f"{role}: no panel at all"
    for key, seen in page.panels.items():
        assert seen.items or seen.note, f"{role}: the panel {key} is an empty card"
    assert "workbench." not in page.text  # every message found its words


@pytest.mark.rendering
def test_the_workbench_reads_in_english(client: TestClient, city: City) -> None:
    client.cookies.clear()
    console_login(client, city.bureau)
    english = read(client.get("/console", headers={"Accept-Language": "en"}).text)
    assert english.panels["workbench.reviews"].todos == ["To review: 1 operator applications"]
    assert (
        english.panels["workbench.tickets"]
        .rows[0]
        .endswith("Due 2026-11-17 · 7 working days overdue Chase")
    )
