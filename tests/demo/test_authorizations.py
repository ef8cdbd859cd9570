"""The demo city's agreements, as its users meet them after `sluice demo`."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from sluice.core.clock import SystemClock
from sluice.core.database import Database
from sluice.identity.signing import verify
from sluice.web.app import create_app
from tests.demo_city import DemoCity


@pytest.fixture
def client(demo: DemoCity) -> Iterator[TestClient]:
    database = Database(demo.url)
    with TestClient(create_app(demo.settings, database=database, clock=SystemClock())) as client:
        yield client
    database.dispose()


def _login(client: TestClient, document: dict[str, object], username: str) -> dict[str, str]:
    accounts = {a["username"]: a for a in document["accounts"]}  # type: ignore[attr-defined]
    token = client.post(
        "/api/v1/auth/token",
        json={"username": username, "password": accounts[username]["password"]},
    )
    assert token.status_code == 200, token.text
    return {"Authorization": f"Bearer {token.json()['access_token']}"}


def test_three_agreements_in_force_and_one_ended_with_its_certificate(
    demo: DemoCity, client: TestClient
) -> None:
    credentials = demo.credentials
    ids = credentials["authorizations"]
    assert isinstance(ids, dict) and set(ids) == {
        "普惠金融",
        "就业服务",
        "人口发展监测",
        "智慧停车",
    }
    bureau = _login(client, credentials, "bureau")
    rows = {r["scenario"]: r for r in client.get("/api/v1/authorizations", headers=bureau).json()}
    assert {s: r["status"] for s, r in rows.items()} == {
        "普惠金融": "active",
        "就业服务": "active",
        "人口发展监测": "active",
        "智慧停车": "terminated",
    }
    assert rows["普惠金融"]["operator"] == "营口数据集团有限公司"
    assert rows["就业服务"]["operator"] == "辽宁海港数智科技有限公司"
    assert rows["人口发展监测"]["operator"] == "营口数据集团有限公司"

    finance = client.get(
        f"/api/v1/authorized-data/{ids['普惠金融']}/resources",
        headers=_login(client, credentials, "operator"),
    )
    assert finance.status_code == 200, finance.text
    assert len(finance.json()["resources"]) == 6

    haigang = _login(client, credentials, "operator2")
    ended = client.get(f"/api/v1/authorized-data/{ids['智慧停车']}/resources", headers=haigang)
    assert ended.status_code == 403
    assert ended.json()["code"] == "authorization_inactive"
    certificate = client.get(
        f"/api/v1/authorizations/{ids['智慧停车']}/destruction-certificate", headers=haigang
    ).json()
    assert sorted(i["name"] for i in certificate["content"]["items"]) == [
        "model-features.parquet.sm4",
        "parking-demand-by-district.parquet.sm4",
    ]
    keys = client.get("/api/v1/public-keys").json()
    [bureau_key] = [k["public_key_hex"] for k in keys if k["organization_code"] == "sjj"]
    assert verify(bureau_key, bytes.fromhex(certificate["digest"]), certificate["signature_hex"])


def test_the_ended_agreement_shows_its_asset_disposal_and_the_operators_attestation(
    demo: DemoCity, client: TestClient
) -> None:
    login = client.get("/login")
    csrf = login.text.split('name="csrf_token" value="')[1].split('"')[0]
    signed_in = client.post(
        "/login",
        data={"username": "bureau", "password": demo.passwords["bureau"], "csrf_token": csrf},
        follow_redirects=False,
    )
    assert signed_in.status_code == 303
    page = client.get(f"/console/authorizations/{demo.credentials['authorizations']['智慧停车']}")
    # Software and hardware went as the agreement set them, the products to the government.
    assert "泊位需求预测模型及源代码" in page.text
    assert "停车场边缘计算网关 6 台" in page.text
    assert 'data-testid="attestation-status">已核验，删除销毁完成<' in page.text
    assert 'data-testid="attestation-valid"' in page.text
    assert "智慧停车数据删除销毁承诺书.txt" in page.text
