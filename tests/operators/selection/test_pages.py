"""The consultation pages as a browser sees them: the bureau's round, the panel's score
sheet, and the public result (visible without login, only once published)."""

from __future__ import annotations

import re
import uuid

import pytest
from fastapi.testclient import TestClient

from sluice.core.clock import FixedClock
from sluice.core.database import Database
from sluice.core.permissions import Role
from sluice.core.settings import Settings
from sluice.operators.selection import service
from tests.identity.factories import Account, console_login, make_account
from tests.operators.selection.factories import (
    World,
    bureau,
    make_world,
    new_round,
    prepare,
    scored_round,
)

# What a page shows: SQLite only; its queries are the services' and repositories',
# proven on both databases by this module's neighbours (see tests/conftest.py).
pytestmark = pytest.mark.rendering


@pytest.fixture
def world(database: Database, clock: FixedClock) -> World:
    return make_world(database, clock)


def _login(client: TestClient, account: Account) -> str:
    client.cookies.clear()
    return console_login(client, account)


def _ranked(database: Database, clock: FixedClock, settings: Settings, world: World) -> uuid.UUID:
    with database.unit_of_work() as session:
        round_id = scored_round(session, clock, settings, world)
        service.close_scoring(session, actor=bureau(), clock=clock, round_id=round_id)
        return round_id


def _row(page: str, marker: str) -> str:
    found = re.search(rf"<tr[^>]*{re.escape(marker)}.*?</tr>", page, re.S)
    assert found, page
    return found.group(0)


def test_the_navigation_shows_each_role_its_page(
    client: TestClient, database: Database, clock: FixedClock
) -> None:
    _login(client, make_account(database, clock, Role.BUREAU))
    console = client.get("/console").text
    assert 'href="/console/selections"' in console
    assert 'href="/console/scoring"' not in console
    _login(client, make_account(database, clock, Role.PANEL))
    console = client.get("/console").text
    assert 'href="/console/scoring"' in console
    assert 'href="/console/selections"' not in console
    refused = client.get("/console/selections")
    assert refused.status_code == 403


def test_the_bureau_creates_a_round_with_the_form_and_sees_refusals_explained(
    client: TestClient, database: Database, clock: FixedClock
) -> None:
    csrf = _login(client, make_account(database, clock, Role.BUREAU))
    form = client.get("/console/selections").text
    assert "技术方案,40" in form  # the usual weighting is offered
    fields = {
        "csrf_token": csrf,
        "title": "就业服务场景运营机构竞争性磋商",
        "scenario": "就业服务",
        "announced_on": "2026-11-20",
        "description": "遴选就业服务场景的运营机构。",
        "criteria": "技术方案,50\n运营方案，30",
    }
    refused = client.post("/console/selections", data=fields, follow_redirects=False)
    assert refused.status_code == 422
    assert "评分因素的权重合计须为 100%，当前合计 80%。" in refused.text
    assert "就业服务场景运营机构竞争性磋商" in refused.text  # what was typed is kept
    fields["criteria"] = "技术方案,50\n运营方案，30\n安全保障,20"
    created = client.post("/console/selections", data=fields, follow_redirects=False)
    assert created.status_code == 303
    location = created.headers["location"]
    assert re.fullmatch(r"/console/selections/[0-9a-f-]{36}", location)
    page = client.get(location).text
    assert "筹备中" in page
    assert "<td>运营方案</td><td>30%</td>" in page
    assert 'data-action="open"' in page


def test_the_ranking_page_shows_exact_scores_a_chart_and_keeps_the_reason(
    client: TestClient, database: Database, clock: FixedClock, settings: Settings, world: World
) -> None:
    round_id = _ranked(database, clock, settings, world)
    csrf = _login(client, make_account(database, clock, Role.BUREAU))
    page = client.get(f"/console/selections/{round_id}").text
    assert "/static/vendor/echarts-5.6.0.min.js" in page
    assert 'id="ranking-chart"' in page
    assert '"score": 83.9' in page
    beta_row = _row(page, f'data-ranked="{world.beta}"')
    assert "<strong>83.90</strong>" in beta_row
    alpha_row = _row(page, f'data-ranked="{world.alpha}"')
    assert "<strong>79.97</strong>" in alpha_row
    assert "<td>87.67</td>" in alpha_row
    assert "各评审专家评分表（仅数据局可见）" in page
    refused = client.post(
        f"/console/selections/{round_id}/select",
        data={"csrf_token": csrf, "organization_id": str(world.gamma), "reason": ""},
    )
    assert refused.status_code == 422
    assert "“丙信息技术有限公司”不是排名第一的候选机构" in refused.text
    reason = "丙公司承诺免费开放就业公共服务接口，经集体决策选定。"
    chosen = client.post(
        f"/console/selections/{round_id}/select",
        data={"csrf_token": csrf, "organization_id": str(world.gamma), "reason": reason},
        follow_redirects=False,
    )
    assert chosen.status_code == 303  # a reload does not post again
    assert chosen.headers["location"] == f"/console/selections/{round_id}?done=select"
    page = client.get(chosen.headers["location"]).text
    assert reason in page
    assert "非排名第一，已说明理由" in page
    published = client.post(
        f"/console/selections/{round_id}/publish",
        data={"csrf_token": csrf},
        follow_redirects=False,
    )
    assert published.status_code == 303
    page = client.get(published.headers["location"]).text
    assert "已完成：公布磋商结果。" in page
    assert f'href="/portal/selections/{round_id}"' in page
    client.cookies.clear()
    public = client.get(f"/portal/selections/{round_id}").text
    assert '<strong data-testid="selected-operator">丙信息技术有限公司</strong>' in public
    assert f'<td data-testid="selection-reason">{reason}</td>' in public


def test_the_published_result_is_public_and_shows_no_score_sheets(
    client: TestClient, database: Database, clock: FixedClock, settings: Settings, world: World
) -> None:
    round_id = _ranked(database, clock, settings, world)
    client.cookies.clear()
    hidden = client.get(f"/portal/selections/{round_id}")
    assert hidden.status_code == 404
    assert "未找到" in hidden.text
    with database.unit_of_work() as session:
        service.select_operator(
            session,
            actor=bureau(),
            clock=clock,
            round_id=round_id,
            organization_id=world.beta,
            reason=None,
        )
        service.publish(session, actor=bureau(), clock=clock, round_id=round_id)
    page = client.get(f"/portal/selections/{round_id}")  # no login
    assert page.status_code == 200
    assert '<strong data-testid="selected-operator">乙数字服务有限公司</strong>' in page.text
    assert "2026-11-26" in page.text
    ranking = re.search(r'data-testid="public-ranking">.*?</table>', page.text, re.S)
    assert ranking is not None
    assert re.findall(r"<td>(\d+\.\d\d)</td>", ranking.group(0)) == ["83.90", "79.97", "78.67"]
    panel = re.search(r'data-testid="panel-list">(.*?)</p>', page.text)
    assert panel is not None
    assert panel.group(1) == "孙工程师、赵教授、钱研究员"
    assert "评分表" not in page.text
    assert 'data-testid="selection-reason"' not in page.text  # the top-ranked needs none
    listing = client.get("/portal/selections", headers={"Accept-Language": "en"})
    assert listing.status_code == 200
    assert f'href="/portal/selections/{round_id}"' in listing.text
    assert "Operator selection results" in listing.text


def test_a_panel_member_scores_through_the_sheet(
    client: TestClient, database: Database, clock: FixedClock, settings: Settings, world: World
) -> None:
    with database.unit_of_work() as session:
        round_id = new_round(session, clock, criteria=[("技术方案", 60), ("安全保障", 40)])
        prepare(session, clock, world, round_id, candidates=[world.alpha, world.beta])
        service.start_scoring(
            session, actor=bureau(), clock=clock, settings=settings, round_id=round_id
        )
        criteria = service.criteria(session, round_id)
    csrf = _login(client, world.members[0].account)
    listed = client.get("/console/scoring").text
    assert f'href="/console/scoring/{round_id}"' in listed
    assert "尚有 4 项未评分。" in listed
    sheet = client.get(f"/console/scoring/{round_id}").text
    field = f"score:{world.alpha}:{criteria[0].id}"
    assert f'name="{field}"' in sheet
    bad = client.post(f"/console/scoring/{round_id}", data={"csrf_token": csrf, field: "101"})
    assert bad.status_code == 422
    assert "分数须为 0–100 的整数：101。" in bad.text
    saved = client.post(
        f"/console/scoring/{round_id}",
        data={"csrf_token": csrf, field: "88", f"score:{world.beta}:{criteria[1].id}": ""},
        follow_redirects=False,
    )
    assert saved.status_code == 303
    assert saved.headers["location"] == f"/console/scoring/{round_id}?saved=1"
    sheet = client.get(saved.headers["location"]).text
    assert "已保存。" in sheet
    assert f'name="{field}" value="88"' in sheet
    assert "尚有 3 项未评分。" in sheet


def test_a_panel_member_not_on_the_round_is_refused_its_sheet(
    client: TestClient, database: Database, clock: FixedClock, settings: Settings, world: World
) -> None:
    with database.unit_of_work() as session:
        round_id = new_round(session, clock)
        prepare(session, clock, world, round_id)
    csrf = _login(client, world.outsider.account)
    page = client.get(f"/console/scoring/{round_id}")
    assert page.status_code == 403
    assert "您不是本次竞争性磋商的评审专家" in page.text
    posted = client.post(f"/console/scoring/{round_id}", data={"csrf_token": csrf})
    assert posted.status_code == 403
