"""The quality scoreboard as people read it: one clock (Beijing time), rows that lead to a
provider's page, 立即评估 that says what it did, and a trend with every point."""

from __future__ import annotations

import html
import json
import re
import uuid
from datetime import UTC, datetime, timedelta

from fastapi.testclient import TestClient

from sluice.core.clock import FixedClock
from sluice.core.database import Database
from sluice.core.permissions import Role
from sluice.quality import repository, service
from sluice.quality.pages import trend_chart
from tests.identity.factories import Account, bearer, console_login, make_account
from tests.quality.tickets.factories import file_ticket, make_resource

SCORES = {"completeness": 90.0, "accuracy": 80.0, "consistency": 100.0, "timeliness": 100.0}


def _login(client: TestClient, account: Account) -> str:
    client.cookies.clear()
    return console_login(client, account)


def _assessed(
    database: Database, provider: Account, at: datetime, *, completeness: float = 90.0
) -> None:
    assert provider.organization_id is not None
    with database.unit_of_work() as session:
        repository.add(
            session,
            service.provider_assessment(
                provider_id=provider.organization_id,
                resources=[
                    {
                        "resource_id": str(uuid.uuid4()),
                        "resource": "water_bills",
                        "name": "用水缴费记录",
                        **SCORES,
                        "completeness": completeness,
                    }
                ],
                overdue_tickets=0,
                at=at,
            ),
        )


def _row(page: str, code: str) -> str:
    found = re.search(rf'<tr[^>]*data-provider="{code}".*?</tr>', page, re.S)
    assert found, page
    return found.group(0)


def _code(page: str) -> str:
    found = re.search(r'data-provider="([^"]+)"', page)
    assert found
    return found.group(1)


def test_the_assessment_time_reads_as_beijing_time(
    client: TestClient, database: Database, clock: FixedClock
) -> None:
    provider = make_account(database, clock, Role.PROVIDER)
    _assessed(database, provider, datetime(2026, 12, 4, 5, 5, tzinfo=UTC))
    _login(client, make_account(database, clock, Role.BUREAU))
    page = client.get("/console/quality").text
    row = _row(page, _code(page))
    assert 'data-testid="assessed-at">2026-12-04 13:05</td>' in row
    assert "05:05" not in row


def test_a_row_leads_to_the_providers_page(
    client: TestClient, database: Database, clock: FixedClock
) -> None:
    provider = make_account(database, clock, Role.PROVIDER)
    other = make_account(database, clock, Role.PROVIDER)
    _assessed(database, provider, datetime(2026, 10, 4, 5, 5, tzinfo=UTC), completeness=60.0)
    _assessed(database, provider, datetime(2026, 11, 4, 5, 5, tzinfo=UTC))
    _login(client, make_account(database, clock, Role.BUREAU))
    board = client.get("/console/quality").text
    code = _code(board)
    link = f'href="/console/quality/providers/{code}"'
    assert link in _row(board, code)
    page = client.get(f"/console/quality/providers/{code}").text
    assert "用水缴费记录" in page  # the bureau sees each resource's score
    assert f'href="/console/tickets?provider={code}"' in page
    history = re.search(r'data-testid="provider-history">.*?</table>', page, re.S)
    assert history
    assert re.findall(r"<td>(2026-\d\d-\d\d)</td><td>([\d.]+)</td>", history.group(0)) == [
        ("2026-11-04", "89.00"),
        ("2026-10-04", "80.00"),
    ]
    # Another department sees the scores, not the resources behind them.
    _login(client, other)
    seen = client.get(f"/console/quality/providers/{code}").text
    assert "用水缴费记录" not in seen
    assert "各数据资源的得分仅该部门和数据局可见。" in seen
    assert client.get("/console/quality/providers/no-such-provider").status_code == 404


FIELDS = [
    {"name": "account_no", "type": "text", "class": "public", "title": "户号", "required": True},
    {"name": "amount", "type": "decimal", "class": "public", "title": "金额"},
]


def _with_data(client: TestClient, database: Database, clock: FixedClock, code: str) -> None:
    """A provider with one dataset on the platform, uploaded as a department does."""
    headers = bearer(client, make_account(database, clock, Role.PROVIDER))
    created = client.post(
        "/api/v1/resources",
        json={
            "code": code,
            "name": f"{code} 缴费记录",
            "domain": "governance",
            "update_frequency": "monthly",
            "open_level": "conditional",
            "classification": "utilities",
            "grade": "2",
            "fields": FIELDS,
        },
        headers=headers,
    )
    assert created.status_code == 201, created.text
    uploaded = client.post(
        f"/api/v1/resources/{created.json()['id']}/ingestions",
        files={"file": ("bills.csv", b"account_no,amount\nW1,12.5\n,3\nW3,x\n", "text/csv")},
        headers=headers,
    )
    assert uploaded.status_code == 201, uploaded.text


def test_assess_now_redirects_and_says_what_it_scored(
    client: TestClient, database: Database, clock: FixedClock
) -> None:
    # A provider whose only mark is a ticket left unanswered, and two with data.
    late = make_account(database, clock, Role.PROVIDER)
    assert late.organization_id is not None
    resource = make_resource(database, clock, late.organization_id)
    file_ticket(database, clock, make_account(database, clock, Role.OPERATOR), resource)
    clock.advance(timedelta(days=14))
    _with_data(client, database, clock, "water_bills")
    _with_data(client, database, clock, "gas_bills")
    csrf = _login(client, make_account(database, clock, Role.BUREAU))
    before = client.get("/console/quality").text
    assert 'data-testid="assessed"' not in before
    response = client.post(
        "/console/quality/assess", data={"csrf_token": csrf}, follow_redirects=False
    )
    assert response.status_code == 303
    location = response.headers["location"]
    assert location.startswith("/console/quality?assessed=")
    page = client.get(location).text
    assert (
        '<p class="notice" role="status" data-testid="assessed">'
        "已完成评估（2026-12-10 10:00）：3 个部门，2 个数据集。</p>"
    ) in page
    # The numbers are the board's own.
    assert len(re.findall(r"data-provider=", page)) == 3
    # A reload shows the board again and assesses nothing more.
    assert client.get(location).text.count("已完成评估") == 1
    with database.unit_of_work() as session:
        assert len(repository.assessments(session)) == 3
    english = client.get(location, headers={"Accept-Language": "en"}).text
    assert "Assessment done (2026-12-10 10:00): 3 providers, 2 datasets." in english
    assert client.get("/console/quality?assessed=yesterday").status_code == 404


def test_the_trend_draws_every_point_of_every_provider(
    client: TestClient, database: Database, clock: FixedClock
) -> None:
    provider = make_account(database, clock, Role.PROVIDER)
    for month, completeness in ((8, 50.0), (9, 60.0), (10, 70.0), (11, 80.0)):
        _assessed(
            database,
            provider,
            datetime(2026, month, 4, 2, 0, tzinfo=UTC),
            completeness=completeness,
        )
    _login(client, make_account(database, clock, Role.BUREAU))
    page = client.get("/console/quality").text
    found = re.search(r'data-testid="trend-chart" data-chart=\'([^\']+)\'', page)
    assert found
    chart = json.loads(html.unescape(found.group(1)))
    assert chart["xAxis"]["data"] == ["2026-08-04", "2026-09-04", "2026-10-04", "2026-11-04"]
    [line] = chart["series"]
    assert line["data"] == [77.0, 80.0, 83.0, 86.0]


def test_the_trend_of_many_providers_opens_on_the_best_and_the_worst() -> None:
    board = [
        {
            "label": f"数据源{n:02d}",
            "score": 100.0 - n,
            "trend": [{"at": "2026-11-04", "score": 100.0 - n}],
        }
        for n in range(31)
    ]
    chart = trend_chart(board, title="评分趋势")
    selected = chart["legend"]["selected"]
    assert len(selected) == 31 and len(chart["series"]) == 31
    assert sorted(name for name, shown in selected.items() if shown) == [
        "数据源00",
        "数据源01",
        "数据源02",
        "数据源28",
        "数据源29",
        "数据源30",
    ]
    assert chart["legend"]["type"] == "scroll"
