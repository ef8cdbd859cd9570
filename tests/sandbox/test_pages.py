"""The workspace page as its readers meet it: the operator's editor, views, column rules,
results, refusals, saved queries and history; the bureau's read-only view; the workbench
panel. The queries behind them are proven on both databases in ``test_queries``; here the
subject is the page (SQLite only)."""

from __future__ import annotations

import re

import pytest
from fastapi.testclient import TestClient

from sluice.core.i18n import translate
from sluice.dataplane.column_rules import RULES_TABLE
from sluice.sandbox import repository
from tests.identity.factories import bearer, console_login
from tests.sandbox.world import SandboxWorld

pytestmark = pytest.mark.rendering

HTMX = {"HX-Request": "true"}


def _workspace(client: TestClient, city: SandboxWorld, scenario: str) -> str:
    listed = client.get("/api/v1/workspaces", headers=bearer(client, city.world.operator))
    return str(next(w["id"] for w in listed.json() if w["scenario"] == scenario))


def test_the_operator_queries_saves_and_finds_its_history_on_the_workspace_page(
    city: SandboxWorld, client: TestClient
) -> None:
    workspace = _workspace(client, city, "普惠金融")
    client.cookies.clear()
    csrf = console_login(client, city.world.operator)
    page = client.get(f"/console/workspaces/{workspace}")
    assert page.status_code == 200
    html = page.text
    assert 'data-testid="sql"' in html and "/static/vendor/codemirror-5.65.21.js" in html
    assert 'data-view="scjgj_enterprises"' in html and 'data-view="swj_tax_ratings"' in html
    assert "企业登记信息 · 第 1 版 · 12 行" in html
    # The column-rule table, in the guard's words.
    for row in RULES_TABLE:
        assert f'data-rule="{row.field_class}-{row.form}"' in html
    assert translate("guard.rule.in_aggregates.count_distinct", "zh-CN") in html
    assert "<script>" not in html  # no inline script

    url = f"/console/workspaces/{workspace}/queries"
    sql = "SELECT district, count(*) AS firms FROM scjgj_enterprises GROUP BY 1 ORDER BY 2 DESC"
    ran = client.post(url, data={"csrf_token": csrf, "sql": sql}, headers=HTMX)
    assert ran.status_code == 200
    cells = re.findall(r"<td>([^<]*)</td>", ran.text)
    assert cells == ["站前区", "5", "西市区", "4", "老边区", "3"]
    assert "scjgj_enterprises 第 1 版" in ran.text

    refused = client.post(
        url,
        data={"csrf_token": csrf, "sql": "SELECT uscc_token FROM scjgj_enterprises"},
        headers=HTMX,
    )
    assert refused.status_code == 200  # htmx shows the refusal rather than failing
    assert 'data-code="column_not_allowed"' in refused.text
    assert "列 scjgj_enterprises.uscc_token 不能出现在逐行结果中" in refused.text

    # Without script, the whole page comes back with the refusal and its status.
    plain = client.post(url, data={"csrf_token": csrf, "sql": "SELECT * FROM read_csv('x')"})
    assert plain.status_code in (403, 422)
    assert 'data-testid="refusal"' in plain.text and 'data-testid="sql"' in plain.text

    saved = client.post(
        f"/console/workspaces/{workspace}/saved",
        data={"csrf_token": csrf, "sql": sql, "name": "各区县企业数"},
        follow_redirects=True,
    )
    assert saved.status_code == 200
    assert "已保存“各区县企业数”。" in saved.text
    assert f">{sql}</textarea>" in saved.text  # loaded into the editor
    assert 'data-saved="各区县企业数"' in saved.text

    history = client.get(f"/console/workspaces/{workspace}", headers={"HX-Target": "history"})
    assert history.text.lstrip().startswith('<div id="history">')
    outcomes = re.findall(r'data-outcome="([a-z_]+)"', history.text)
    assert "ok" in outcomes and "column_not_allowed" in outcomes
    refusals = client.get(
        f"/console/workspaces/{workspace}?outcome=refused", headers={"HX-Target": "history"}
    )
    assert set(re.findall(r'data-outcome="([a-z_]+)"', refusals.text)) <= {
        "column_not_allowed",
        "relation_not_allowed",
        "function_not_allowed",
        "sql_invalid",
        "statement_not_allowed",
    }

    home = client.get("/console")
    assert f'href="/console/workspaces/{workspace}"' in home.text


def test_the_bureau_reads_a_workspaces_views_and_rules_but_no_editor_or_history(
    city: SandboxWorld, client: TestClient
) -> None:
    workspace = _workspace(client, city, "普惠金融")
    client.cookies.clear()
    console_login(client, city.world.bureau)
    page = client.get(f"/console/workspaces/{workspace}")
    assert page.status_code == 200
    assert 'data-view="scjgj_enterprises"' in page.text
    assert 'data-testid="column-rules"' in page.text
    assert 'data-testid="sql"' not in page.text and 'id="history"' not in page.text
    listed = client.get("/console/workspaces")
    assert "普惠金融" in listed.text and "就业服务" in listed.text


def test_the_workbench_shows_a_workspace_not_yet_opened_without_writing_it(
    city: SandboxWorld, client: TestClient
) -> None:
    agreement = city.agreement(scenario="沙箱工作台场景")
    client.cookies.clear()
    console_login(client, city.world.operator)
    home = client.get("/console")
    assert "沙箱工作台场景（0 次查询）" in home.text
    with city.database.unit_of_work() as session:
        assert repository.by_owner(session, agreement) is None  # the glance wrote nothing
    listed = client.get("/console/workspaces")
    assert "沙箱工作台场景" in listed.text
    with city.database.unit_of_work() as session:
        assert repository.by_owner(session, agreement) is not None  # the list opened it
