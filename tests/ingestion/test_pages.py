"""Every ingested dataset and its quality report can be reached from the console: the
resources list filters to those with data, each resource's page links its uploads' reports
(the newest on the page, all of them a page at a time), and a report says its rules and
reasons in words."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from fastapi.testclient import TestClient

from sluice.core.clock import FixedClock
from sluice.core.database import Database
from sluice.core.permissions import Role
from tests.identity.factories import Account, bearer, make_account
from tests.ingestion.test_service import CSV, FIELDS, IDS, _upload

# What a page shows: SQLite only; its queries are the services' and repositories',
# proven on both databases by this module's neighbours (see tests/conftest.py).
pytestmark = pytest.mark.rendering


def _resource(client: TestClient, headers: dict[str, str], code: str, name: str) -> str:
    created = client.post(
        "/api/v1/resources",
        json={
            "code": code,
            "name": name,
            "domain": "governance",
            "update_frequency": "daily",
            "open_level": "conditional",
            "classification": "population",
            "grade": "3",
            "fields": FIELDS,
        },
        headers=headers,
    )
    assert created.status_code == 201, created.text
    return str(created.json()["id"])


def _report_links(html: str) -> list[str]:
    return re.findall(
        r'<a href="/console/ingestions/([0-9a-f-]{36})" data-testid="report-link"', html
    )


def test_each_ingested_dataset_links_its_quality_report(
    client: TestClient,
    database: Database,
    clock: FixedClock,
    provider: tuple[Account, dict[str, str], str],
) -> None:
    _, headers, residents = provider
    others = [_resource(client, headers, f"set{n}", f"数据集{n}") for n in range(3)]
    runs = {residents: _upload(client, headers, residents, CSV.encode())["id"]}
    for resource_id in others[:2]:
        runs[resource_id] = _upload(client, headers, resource_id, CSV.encode())["id"]
    bureau = bearer(client, make_account(database, clock, Role.BUREAU))
    # The list narrows to the resources with data …
    listed = client.get("/console/resources?data=yes&sort=code", headers=bureau).text
    assert re.findall(r'<tr data-code="([^"]+)">', listed) == ["residents", "set0", "set1"]
    # … and each one's page links its report, which opens.
    for resource_id, run_id in runs.items():
        page = client.get(f"/console/resources/{resource_id}", headers=bureau).text
        assert _report_links(page) == [run_id]
        assert client.get(f"/console/ingestions/{run_id}", headers=bureau).status_code == 200
    empty = client.get(f"/console/resources/{others[2]}", headers=headers).text
    assert "还没有上传过数据。请在上方选择文件上传。" in empty


def test_a_resources_uploads_are_paged(
    client: TestClient,
    database: Database,
    clock: FixedClock,
    provider: tuple[Account, dict[str, str], str],
) -> None:
    _, headers, resource_id = provider
    made = []
    for n in range(12):
        # Each upload a new version: the same row with another name.
        content = f"id_number,name,mobile,birth_date\n{IDS[0]},张{n},13800138000,1990-01-01\n"
        made.append(_upload(client, headers, resource_id, content.encode())["id"])
        clock.advance(timedelta(minutes=1))
    page = client.get(f"/console/resources/{resource_id}", headers=headers).text
    # The newest ten on the resource's page, and a link to all twelve.
    assert _report_links(page) == made[::-1][:10]
    assert "全部 12 次汇聚记录 ›" in page
    url = f"/console/resources/{resource_id}/ingestions"
    assert _report_links(client.get(url, headers=headers).text) == made[::-1]
    assert _report_links(client.get(f"{url}?size=5&page=3", headers=headers).text) == made[1::-1]
    oldest_first = client.get(f"{url}?sort=started&size=5", headers=headers).text
    assert _report_links(oldest_first) == made[:5]
    assert client.get(f"{url}?size=5&page=4", headers=headers).status_code == 404
    # Another department does not see them; the registry does not read quality at all.
    other = bearer(client, make_account(database, clock, Role.PROVIDER))
    assert client.get(url, headers=other).status_code == 404
    registry = bearer(client, make_account(database, clock, Role.REGISTRY))
    assert client.get(url, headers=registry).status_code == 403


def test_a_report_says_its_rules_and_reasons_in_words(
    client: TestClient, provider: tuple[Account, dict[str, str], str]
) -> None:
    _, headers, resource_id = provider
    run = _upload(client, headers, resource_id, CSV.encode())
    page = client.get(f"/console/ingestions/{run['id']}", headers=headers).text
    failures = page.split('data-testid="report-failures"')[1].split("</table>")[0]
    assert "公民身份号码" in failures and "值重复" in failures and "必填项为空" in failures
    assert "不是有效的手机号码" in failures
    assert "<code>unique</code>" not in failures and "<code>required</code>" not in failures
    quarantine = page.split('data-testid="quarantine"')[1].split("</table>")[0]
    assert "公民身份号码：值重复" in quarantine and "id_number:unique" not in quarantine.replace(
        'title="id_number:unique"', ""
    )
    # A heading that does not contradict what follows it.
    assert "规则校验未通过" not in page
    clean = f"id_number,name,mobile,birth_date\n{IDS[0]},张三,13800138000,1990-01-01\n"
    passed = _upload(client, headers, resource_id, clean.encode())
    assert (
        "全部规则校验通过。"
        in client.get(f"/console/ingestions/{passed['id']}", headers=headers).text
    )
