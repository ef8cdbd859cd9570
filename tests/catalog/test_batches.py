"""The bureau's batch forms explain bad input instead of failing (R8.1), bulk withdrawal waits
for a second person on the console too (N1, R8.3), and the public version history names
organizations, never staff."""

from __future__ import annotations

import re
import uuid

import pytest
from fastapi.testclient import TestClient

from sluice.catalog import repository
from sluice.core.clock import FixedClock
from sluice.core.database import Database
from sluice.core.permissions import Role
from tests.approvals.factories import colleague
from tests.catalog.factories import BUREAU, provider_principal, publish, resource_data
from tests.identity.factories import Account, bearer, console_login, make_account


@pytest.fixture
def bureau(database: Database, clock: FixedClock) -> Account:
    return make_account(database, clock, Role.BUREAU)


@pytest.fixture
def provider(database: Database, clock: FixedClock) -> Account:
    return make_account(database, clock, Role.PROVIDER)


def _csrf(html: str) -> str:
    return html.split('name="csrf_token" value="')[1].split('"')[0]


def _new_batch(client: TestClient, csrf: str) -> str:
    made = client.post(
        "/console/catalog/batches", data={"csrf_token": csrf, "title": ""}, follow_redirects=False
    )
    assert made.status_code == 303, made.text
    return str(made.headers["location"])


def test_a_batch_title_over_200_characters_shows_the_form_again(
    client: TestClient, database: Database, bureau: Account
) -> None:
    csrf = console_login(client, bureau)
    long_title = "可授权公共数据资源目录" * 20  # 220 characters
    page = client.post("/console/catalog/batches", data={"csrf_token": csrf, "title": long_title})
    assert page.status_code == 422
    assert "最多 200 个字符。" in page.text
    assert long_title in page.text  # kept
    with database.unit_of_work() as session:
        assert repository.batches(session) == []


@pytest.mark.parametrize(
    ("ticked", "message"),
    [
        ([], "请至少勾选一项数据资源。"),
        ([""], "请至少勾选一项数据资源。"),
        (["not-a-uuid"], "提交的资源选择无效，请刷新页面后重新勾选。"),
        (["12345678-1234-1234-1234-1234567890zz"], "提交的资源选择无效，请刷新页面后重新勾选。"),
    ],
)
def test_empty_or_malformed_resource_choices_show_the_batch_again(
    client: TestClient, bureau: Account, ticked: list[str], message: str
) -> None:
    csrf = console_login(client, bureau)
    url = _new_batch(client, csrf)
    page = client.post(f"{url}/entries", data={"csrf_token": csrf, "resource_ids": ticked})
    assert page.status_code == 422
    assert message in page.text
    unknown = client.post(
        f"{url}/entries", data={"csrf_token": csrf, "resource_ids": [str(uuid.uuid4())]}
    )
    assert unknown.status_code == 422
    assert "数据资源不存在。" in unknown.text


def test_withdrawing_a_batch_on_the_console_waits_for_a_second_person(
    client: TestClient, database: Database, clock: FixedClock, bureau: Account, provider: Account
) -> None:
    assert provider.organization_id is not None
    publish(database, clock, provider.organization_id, [resource_data("qydj", "企业登记信息")])
    with database.unit_of_work() as session:
        [(batch, _)] = repository.batches(session)
    url = f"/console/catalog/batches/{batch.id}"
    csrf = console_login(client, bureau)
    blank = client.post(f"{url}/withdraw", data={"csrf_token": csrf})
    assert blank.status_code == 422 and "撤回理由" in blank.text
    asked = client.post(
        f"{url}/withdraw", data={"csrf_token": csrf, "reason": "目录调整"}, follow_redirects=False
    )
    assert asked.status_code == 303
    page = client.get(asked.headers["location"]).text
    assert "撤回申请已提交" in page and 'data-testid="withdraw-pending"' in page
    assert client.get("/api/v1/catalog").json()["total"] == 1  # still published

    client.cookies.clear()
    csrf = console_login(client, colleague(database, clock, bureau))
    listed = client.get("/console/approvals").text
    found = re.search(r'data-approval="([0-9a-f-]{36})" data-act="catalog_batch.withdraw"', listed)
    assert found is not None
    approved = client.post(
        f"/console/approvals/{found.group(1)}/approve",
        data={"csrf_token": csrf},
        follow_redirects=False,
    )
    assert approved.status_code == 303
    assert client.get("/api/v1/catalog").json()["total"] == 0


def test_the_public_version_history_names_organizations_not_staff(
    client: TestClient, database: Database, clock: FixedClock, provider: Account
) -> None:
    assert provider.organization_id is not None
    [entry_id] = publish(
        database, clock, provider.organization_id, [resource_data("qydj", "企业登记信息")]
    )
    owner = bearer(client, provider)
    with database.unit_of_work() as session:
        resource_id = repository.entry(session, entry_id).resource_id  # type: ignore[union-attr]
    changed = client.patch(
        f"/api/v1/resources/{resource_id}", json={"name": "企业登记信息（2026版）"}, headers=owner
    )
    assert changed.status_code == 200, changed.text
    # The bureau named in the public history: make one (the factories compile as a system
    # principal, as the demo does).
    bureau = make_account(database, clock, Role.BUREAU)
    response = client.get(f"/api/v1/catalog/entries/{entry_id}/versions")
    assert response.status_code == 200
    versions = response.json()
    assert [(v["version"], v["change"]) for v in versions] == [(2, "updated"), (1, "published")]
    provider_name = client.get(f"/api/v1/resources/{resource_id}", headers=owner).json()[
        "provider"
    ]["name"]
    assert versions[0]["organization"] == provider_name
    assert versions[1]["organization"].startswith("测试bureau")
    for staff in (BUREAU.username, provider_principal(provider.organization_id).username):
        assert staff not in response.text
    assert provider.username not in response.text and bureau.username not in response.text
    assert all("actor" not in v for v in versions)
