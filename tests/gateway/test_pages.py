"""The gateway's console pages as their readers meet them: a buyer's subscriptions (with the
market to subscribe from), call settings (a signing secret shown once), call log and
metering; the bureau's call log over every buyer, its keys page (suspend with a reason, seen
by the buyer) and the leaked-file trace. The services behind them are proven on both
databases in ``test_calls``; here the subject is the page (SQLite only)."""

from __future__ import annotations

import re

import pytest
from fastapi.testclient import TestClient

from sluice.identity.models import Organization
from tests.gateway.world import PLANNING, GatewayWorld
from tests.identity.factories import console_login

pytestmark = pytest.mark.rendering


def _call(client: TestClient, key: str, code: str) -> None:
    answered = client.post(
        f"/gateway/v1/products/{code}/invoke",
        json={"input": {}, "purpose": PLANNING},
        headers={"X-API-Key": key},
    )
    assert answered.status_code == 200, answered.text


def test_a_buyer_subscribes_from_its_console_and_reads_its_calls_and_metering(
    world: GatewayWorld, client: TestClient
) -> None:
    buyer = world.buyer()
    client.cookies.clear()
    csrf = console_login(client, buyer.account)
    page = client.get("/console/subscriptions")
    assert page.status_code == 200
    assert 'data-testid="list-empty"' in page.text  # no subscription yet
    assert f'data-market="{world.stats.code}"' in page.text
    assert "免费（公共治理、公益）" in page.text and "12.00 元 / 次" in page.text  # marked prices
    assert "/console/consents/granted" in page.text  # consents granted to it: the ledger's page

    too_much = client.post(
        "/console/subscriptions",
        data={"csrf_token": csrf, "product_code": world.stats.code, "quota_limit": "100001"},
    )
    assert too_much.status_code == 422
    assert "调用配额 最多为每天 100000 次。" in too_much.text
    made = client.post(
        "/console/subscriptions",
        data={"csrf_token": csrf, "product_code": world.stats.code, "quota_limit": "5"},
        follow_redirects=False,
    )
    assert (made.status_code, made.headers["location"]) == (
        303,
        "/console/subscriptions?done=subscribed",
    )
    _call(client, buyer.key, world.stats.code)
    page = client.get("/console/subscriptions?done=subscribed")
    assert "已订阅。" in page.text
    row = re.search(
        rf'<tr data-product="{world.stats.code}" data-status="active">.*?</tr>', page.text, re.S
    )
    assert row is not None
    assert "每天 5 次：已用 1，剩余 4" in row.group(0)
    assert f'data-market="{world.stats.code}"' not in page.text  # subscribed: no longer offered

    calls = client.get("/console/gateway/calls")
    assert calls.status_code == 200
    assert f"<code>{world.stats.code}</code>" in calls.text and "已应答" in calls.text
    assert "¥0.00" in calls.text and PLANNING in calls.text
    assert "需求方" not in calls.text.split("<table", 1)[1].split("</thead>")[0]  # its own only
    metering = client.get("/console/gateway/metering")
    assert "区县企业统计" in metering.text and 'data-testid="total">0 分' in metering.text

    subscription = re.search(r"/console/subscriptions/([0-9a-f-]{36})/cancel", page.text)
    assert subscription is not None
    cancelled = client.post(
        f"/console/subscriptions/{subscription.group(1)}/cancel",
        data={"csrf_token": csrf},
        follow_redirects=False,
    )
    assert cancelled.headers["location"] == "/console/subscriptions?done=cancelled"
    page = client.get("/console/subscriptions?done=cancelled")
    assert 'data-status="cancelled"' in page.text and "已退订" in page.text
    home = client.get("/console")
    assert "数据产品调用" in home.text and "今日调用" in home.text


def test_a_signing_secret_is_shown_once_and_a_suspension_tells_the_buyer_why(
    world: GatewayWorld, client: TestClient
) -> None:
    buyer = world.buyer(world.stats.code)
    client.cookies.clear()
    csrf = console_login(client, buyer.account)
    keys = client.get("/console/gateway/keys")
    assert 'data-testid="signing">未启用' in keys.text
    made = client.post(
        f"/console/gateway/keys/{buyer.key_id}/signing-secret",
        data={"csrf_token": csrf},
        follow_redirects=False,
    )
    assert made.headers["location"] == "/console/gateway/keys"
    shown = client.get("/console/gateway/keys")
    secret = re.search(r"<code>(sls_[A-Za-z0-9_-]+)</code>", shown.text)
    assert secret is not None and shown.headers["cache-control"] == "no-store"
    assert "已启用" in shown.text
    again = client.get("/console/gateway/keys")
    assert secret.group(1) not in again.text and 'data-testid="new-secret"' not in again.text

    bureau = world.city.world.bureau
    client.cookies.clear()
    bureau_csrf = console_login(client, bureau)
    # ``slk_<8-character prefix>_<secret>``: the prefix may itself hold "_" or "-".
    prefix = buyer.key.removeprefix("slk_")[:8]
    listed = client.get("/console/keys", params={"q": prefix})
    assert f'data-prefix="{prefix}"' in listed.text
    suspended = client.post(
        f"/console/keys/{buyer.key_id}/suspend",
        data={"csrf_token": bureau_csrf, "reason": "调用异常，疑似泄露"},
        follow_redirects=False,
    )
    assert suspended.status_code == 303
    assert "已暂停密钥" in client.get("/console/keys").text
    client.cookies.clear()
    console_login(client, buyer.account)
    for path in ("/console/api-keys", "/console/gateway/keys"):
        seen = client.get(path).text
        assert 'data-testid="suspended"' in seen and "调用异常，疑似泄露" in seen


def test_the_bureau_reads_every_call_and_traces_a_leaked_file(
    world: GatewayWorld, client: TestClient
) -> None:
    buyer = world.buyer(world.stats.code, world.dataset.code)
    _call(client, buyer.key, world.stats.code)
    downloaded = client.get(
        f"/gateway/v1/products/{world.dataset.code}/download",
        params={"purpose": "市场分析"},
        headers={"X-API-Key": buyer.key},
    )
    assert downloaded.status_code == 200
    client.cookies.clear()
    csrf = console_login(client, world.city.world.bureau)
    calls = client.get("/console/gateway/calls", params={"kind": "download"})
    assert "需求方" in calls.text and world.dataset.code in calls.text
    metering = client.get("/console/gateway/metering")
    assert "企业名录" in metering.text
    page = client.get("/console/gateway/trace")
    assert page.status_code == 200 and 'enctype="multipart/form-data"' in page.text
    traced = client.post(
        "/console/gateway/trace",
        data={"csrf_token": csrf, "product": world.dataset.code},
        files={"file": ("leak.csv", downloaded.content, "text/csv")},
    )
    assert traced.status_code == 200, traced.text
    found = re.search(r'data-testid="trace-buyer">([^<]+)<', traced.text)
    with world.database.unit_of_work() as session:
        organization = session.get(Organization, buyer.organization_id)
        assert organization is not None
        assert found is not None and found.group(1) == organization.name
    nothing = client.post(
        "/console/gateway/trace",
        data={"csrf_token": csrf},
        files={"file": ("other.csv", b"name,founded\nx,2010\n", "text/csv")},
    )
    assert 'data-testid="trace-none"' in nothing.text
