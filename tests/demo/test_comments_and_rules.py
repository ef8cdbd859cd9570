"""What the demo city shows of R5.2: the 普惠金融 draft's round of comments, kept with the
version its collective decision approved, and 营口数据集团's filed rules with their status."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from sluice.core.clock import SystemClock
from sluice.core.database import Database
from sluice.core.permissions import Role
from sluice.web.app import create_app
from tests.demo_city import DemoCity
from tests.identity.factories import Account, console_login


@pytest.fixture
def client(demo_sqlite: DemoCity) -> Iterator[TestClient]:
    database = Database(demo_sqlite.url)
    app = create_app(demo_sqlite.settings, database=database, clock=SystemClock())
    with TestClient(app, base_url="http://127.0.0.1") as client:
        yield client
    database.dispose()


def _login(client: TestClient, city: DemoCity, username: str, role: Role) -> None:
    client.cookies.clear()
    console_login(client, Account(username, city.passwords[username], None, None, role))  # type: ignore[arg-type]


def _text(html: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


def test_the_consulted_agreement_shows_every_comment_with_its_handling(
    demo_sqlite: DemoCity, client: TestClient
) -> None:
    agreement = demo_sqlite.credentials["authorizations"]["普惠金融"]
    _login(client, demo_sqlite, "bureau", Role.BUREAU)
    page = _text(client.get(f"/console/authorizations/{agreement}").text)
    assert re.search(r"意见及处理情况随第 1 版提交 \d{4}年第\d+次局务会（[\d-]+）集体决策", page)
    assert "采纳 已在产品安全合规审查中明确" in page
    assert "部分采纳 产品仅输出综合评分" in page
    assert "不采纳 分成比例按实施方案确定为15%" in page

    # The finance bureau, asked for its comments, finds the round and its own comment.
    _login(client, demo_sqlite, "finance", Role.FINANCE)
    listed = client.get("/console/comment-rounds")
    (round_path,) = set(re.findall(r'href="(/console/comment-rounds/[0-9a-f-]{36})"', listed.text))
    own = _text(client.get(round_path).text)
    assert "请明确政府分成收入按季度缴入市级国库" in own
    assert "建议前两年政府分成比例降至10%" not in own  # the operator's comment is its own


def test_the_operator_filed_its_rules_and_the_bureau_has_one_to_acknowledge(
    demo_sqlite: DemoCity, client: TestClient
) -> None:
    _login(client, demo_sqlite, "operator", Role.OPERATOR)
    mine = client.get("/console/operator-rules").text
    status = dict(
        re.findall(r'<tr data-kind="(\w+)">.*?data-testid="kind-status">([^<]+)<', mine, re.S)
    )
    assert status == {
        "governance": "数据局已确认",
        "trading": "已报备待确认",
        "security": "数据局已确认",
    }
    _login(client, demo_sqlite, "bureau", Role.BUREAU)
    assert "待确认：1 份运营机构报备的管理制度" in _text(client.get("/console").text)
    waiting = client.get("/console/operator-rules?status=filed").text
    (rule_path,) = set(re.findall(r'href="(/console/operator-rules/[0-9a-f-]{36})"', waiting))
    document = client.get(f"{rule_path}/document.pdf")
    assert document.content.startswith(b"%PDF-1.4")
