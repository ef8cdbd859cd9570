"""The data-quality management rules (数据质量管理规则, R4.3, R9.1): the bureau publishes
versions, earlier ones stay readable, and the scoreboard cites the version in force."""

from __future__ import annotations

import re
from datetime import date, datetime
from typing import Any

from fastapi.testclient import TestClient

from sluice.core.clock import SHANGHAI, FixedClock
from sluice.core.database import Database
from sluice.core.permissions import Role
from sluice.core.principal import Principal
from sluice.demo import quality_rules
from sluice.quality import rules
from tests.identity.factories import Account, bearer, console_login, make_account

TITLE = "营口市公共数据质量管理规则（试行）"
BODY_1 = "第一条 数据提供部门对所提供数据的准确性、完整性、及时性、一致性负责。"
BODY_2 = "第一条 数据提供部门是数据质量的责任主体。\n第二条 纠错工单应在 5 个工作日内答复并修复。"


def _login(client: TestClient, account: Account) -> str:
    client.cookies.clear()
    return console_login(client, account)


def _cited(client: TestClient, **headers: str) -> str:
    page = client.get("/console/quality", headers=headers).text
    found = re.search(r'<p class="card" data-testid="rules-cited">(.*?)</p>', page, re.S)
    assert found, page
    return found.group(1)


def _publish(client: TestClient, csrf: str, **form: str) -> Any:
    return client.post(
        "/console/quality/rules", data={"csrf_token": csrf, **form}, follow_redirects=False
    )


def test_the_scoreboard_cites_the_version_in_force_and_earlier_ones_stay_readable(
    client: TestClient, database: Database, clock: FixedClock
) -> None:
    bureau = make_account(database, clock, Role.BUREAU)
    provider = make_account(database, clock, Role.PROVIDER)

    _login(client, provider)
    assert _cited(client) == "数据局尚未发布数据质量管理规则。"

    csrf = _login(client, bureau)
    published = _publish(client, csrf, title=TITLE, body=BODY_1, effective_on="2026-11-26")
    assert published.status_code == 303
    assert published.headers["location"] == "/console/quality/rules/1?published=1"
    assert "已发布第 1 版，2026-11-26 起施行。" in client.get(published.headers["location"]).text
    # The next version, published through the API, takes effect on 1 December.
    response = client.post(
        "/api/v1/quality/rules",
        json={"title": TITLE, "body": BODY_2, "effective_on": "2026-12-01"},
        headers=bearer(client, bureau),
    )
    assert response.status_code == 201, response.text
    assert (response.json()["number"], response.json()["in_force"]) == (2, False)

    _login(client, provider)
    assert _cited(client) == (
        f"评分依据：《{TITLE}》第 1 版（2026-11-26 起施行）。 "
        '<a href="/console/quality/rules/1">查看规则全文 ›</a>'
    )
    assert _cited(client, **{"Accept-Language": "en"}).startswith(
        f"Scored under: {TITLE}, version 1 (in force from 2026-11-26)."
    )
    pending = client.get("/console/quality/rules/2").text
    assert 'data-testid="rules-state">待施行' in pending
    assert "此版本将于 2026-12-01 起施行" in pending

    clock.advance(datetime(2026, 12, 1, 8, 0, tzinfo=SHANGHAI) - clock.now())
    _login(client, provider)
    assert f"《{TITLE}》第 2 版（2026-12-01 起施行）" in _cited(client)
    assert 'href="/console/quality/rules/2"' in _cited(client)
    earlier = client.get("/console/quality/rules/1").text
    assert 'data-testid="rules-state">已被新版本取代' in earlier
    assert "此版本已不再施行，现行版本为第 2 版。" in earlier
    assert BODY_1 in earlier
    listing = client.get("/console/quality/rules").text
    assert re.findall(r'<tr data-version="(\d+)">', listing) == ["2", "1"]
    assert 'data-testid="rules-form"' not in listing  # a provider reads, the bureau publishes
    listed = client.get("/api/v1/quality/rules", headers=bearer(client, provider)).json()
    assert listed["in_force"] == 2
    assert [(v["number"], v["in_force"]) for v in listed["versions"]] == [(2, True), (1, False)]


def test_an_effective_date_in_the_past_or_before_the_last_version_is_refused(
    client: TestClient, database: Database, clock: FixedClock
) -> None:
    bureau = make_account(database, clock, Role.BUREAU)
    csrf = _login(client, bureau)
    refused = _publish(client, csrf, title=TITLE, body=BODY_1, effective_on="2026-11-25")
    assert refused.status_code == 422
    assert (
        "施行日期不能早于今天（2026-11-26）：已经过去的日子适用的是当时施行的版本。" in refused.text
    )
    assert f'value="{TITLE}"' in refused.text  # what was typed is kept
    assert (
        _publish(client, csrf, title=TITLE, body=BODY_1, effective_on="2026-12-10").status_code
        == 303
    )
    api = client.post(
        "/api/v1/quality/rules",
        json={"title": TITLE, "body": BODY_2, "effective_on": "2026-12-01"},
        headers={**bearer(client, bureau), "Accept-Language": "en"},
    )
    assert api.status_code == 422
    assert api.json()["code"] == "invalid_input"
    assert api.json()["detail"] == (
        "The effective date cannot be before that of the previous version (version 1), 2026-12-10."
    )
    versions = client.get("/api/v1/quality/rules", headers=bearer(client, bureau)).json()
    assert [v["number"] for v in versions["versions"]] == [1]
    assert versions["in_force"] is None


def test_the_demo_city_publishes_its_rules_once(database: Database, clock: FixedClock) -> None:
    for _ in range(2):  # the demo may run again on the same city
        with database.unit_of_work() as session:
            quality_rules.seed_rules(session, clock=clock)
    with database.unit_of_work() as session:
        reader = Principal.system("test")
        [version] = rules.versions(session, actor=reader)
        in_force = rules.in_force(session, actor=reader, today=date(2026, 11, 26))
        assert in_force is not None and in_force.number == version.number == 1
        assert version.title == "营口市公共数据质量管理规则（试行）"
        assert version.body.startswith("第一条 ")
