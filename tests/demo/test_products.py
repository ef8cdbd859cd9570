"""The demo city's market (issue 12), as its users meet it after `sluice demo`: four listed
products with their prices marked, buyers whose keys and example calls work as the
credentials file gives them, subjects who see their consents and who used their data, a
few weeks of calls behind it all, and no plaintext ID number outside the credentials file."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from sluice.core.clock import SystemClock
from sluice.core.database import Database
from sluice.web.app import create_app
from tests.demo.plaintext import resident_ids_in
from tests.demo_city import DemoCity, copy_city

PRICES = {
    "sme-credit-score": "¥2.00 / 次",
    "employment-verification": "¥1.50 / 次",
    "population-by-district-age": "免费",
    "property-ownership-verification": "¥2.00 / 次",
}


@pytest.fixture
def client(demo: DemoCity) -> Iterator[TestClient]:
    database = Database(demo.url)
    with TestClient(create_app(demo.settings, database=database, clock=SystemClock())) as client:
        yield client
    database.dispose()


def _bearer(client: TestClient, username: str, password: str) -> dict[str, str]:
    token = client.post("/api/v1/auth/token", json={"username": username, "password": password})
    assert token.status_code == 200, token.text
    return {"Authorization": f"Bearer {token.json()['access_token']}"}


def _plain(value: str) -> str:
    return "".join(value.split())


def test_the_credentials_list_buyers_products_and_subjects_with_exactly_their_keys(
    demo: DemoCity,
) -> None:
    document = demo.credentials
    buyers, products, subjects = document["buyers"], document["products"], document["subjects"]
    assert [b["organization_code"] for b in buyers] == ["ykbank", "bayuquan-ins", "liaoxin"]
    for buyer in buyers:
        assert set(buyer) == {
            "organization",
            "organization_code",
            "username",
            "api_key",
            "products",
        }
        assert buyer["username"] in demo.passwords  # a login of the accounts list
    assert sorted(p["code"] for p in products) == sorted(PRICES)
    for product in products:
        keys = {"code", "type", "consent_required", "example_input", "example_purpose"}
        keys |= {"example_buyer"} | (
            {"example_consent_id"} if product["consent_required"] else set()
        )
        assert set(product) == keys, product["code"]
    assert {p["code"]: p["consent_required"] for p in products} == {
        "sme-credit-score": True,
        "employment-verification": True,
        "population-by-district-age": False,
        "property-ownership-verification": True,
    }
    assert [s["kind"] for s in subjects] == ["person", "person", "person", "enterprise"]
    names = {b["organization"] for b in buyers}
    for subject in subjects:
        identifier = "id_number" if subject["kind"] == "person" else "uscc"
        assert set(subject) == {"kind", identifier, "username", "password", "consents"}
        for consent in subject["consents"]:
            assert set(consent) == {"consent_id", "buyer", "product"}
            assert consent["buyer"] in names
    # Every example's consent is one its subject lists, granted to the example's buyer.
    granted = {(c["consent_id"], c["buyer"], c["product"]) for s in subjects for c in s["consents"]}
    for product in products:
        if product["consent_required"]:
            assert (
                product["example_consent_id"],
                product["example_buyer"],
                product["code"],
            ) in granted


def test_every_product_is_on_the_market_with_its_price_marked(
    demo: DemoCity, client: TestClient
) -> None:
    page = client.get("/market")
    assert page.status_code == 200
    rows = dict(re.findall(r'<tr data-code="([^"]+)">(.*?)</tr>', page.text, re.S))
    for product in demo.credentials["products"]:
        row = rows[product["code"]]
        price = re.search(r'data-testid="price"><strong>([^<]+)</strong>', row)
        assert price is not None and price.group(1) == PRICES[product["code"]]
    # The credit score went through registration: its page shows the code.
    registered = client.get("/market/sme-credit-score")
    assert re.search(r"YK-DP-\d{4}-\d{6}", registered.text), "no registration code"


def test_each_example_answers_through_the_gateway_as_given(
    demo_sqlite: DemoCity, tmp_path: Path
) -> None:
    """The credentials' examples, sent as they are with the listed buyer's key, consent and
    purpose (on a copy: calls change the city)."""
    city = copy_city(demo_sqlite, tmp_path / "city")
    keys = {b["organization"]: b["api_key"] for b in city.credentials["buyers"]}
    database = Database(city.url)
    answers: dict[str, Any] = {}
    with TestClient(create_app(city.settings, database=database, clock=SystemClock())) as client:
        for product in city.credentials["products"]:
            body = {"input": product["example_input"], "purpose": product["example_purpose"]}
            if product["consent_required"]:
                body["consent_id"] = product["example_consent_id"]
            response = client.post(
                f"/gateway/v1/products/{product['code']}/invoke",
                json=body,
                headers={"X-API-Key": keys[product["example_buyer"]]},
            )
            assert response.status_code == 200, response.text
            answers[product["code"]] = response.json()["result"]
    database.dispose()
    assert answers["employment-verification"] == {"result": "match"}
    assert answers["property-ownership-verification"] == {"result": "match"}
    score = answers["sme-credit-score"]
    assert isinstance(score["score"], int) and 0 <= score["score"] <= 100
    assert score["reasons"] and all(r["code"] and r["label"] for r in score["reasons"])
    statistics = answers["population-by-district-age"]
    assert [c["name"] for c in statistics["columns"]] == ["district", "age_band", "residents"]
    assert statistics["rows"] and all(row[2] >= 10 for row in statistics["rows"])


def test_a_subject_logs_in_and_sees_its_consents_and_who_used_its_data(
    demo: DemoCity, client: TestClient
) -> None:
    subjects = {s["username"]: s for s in demo.credentials["subjects"]}
    person = subjects["person1"]
    headers = _bearer(client, "person1", person["password"])
    mine = client.get("/api/v1/consents/mine", headers=headers).json()["items"]
    in_force = {c["id"] for c in mine if c["standing"] == "active"}
    assert in_force == {c["consent_id"] for c in person["consents"]}
    assert {c["buyer"] for c in mine} == {"营口银行股份有限公司", "营口鲅鱼圈保险代理有限公司"}
    assert all(c["subject"].count("*") >= 8 for c in mine)  # masked, never the number
    uses = client.get("/api/v1/consents/my-uses", headers=headers, params={"size": 200}).json()
    assert uses["total"] >= 5
    outcomes = {u["outcome"] for u in uses["items"]}
    assert "answered" in outcomes and "consent_required" in outcomes
    days = {u["used_at"][:10] for u in uses["items"]}
    assert len(days) >= 3  # weeks of history, not one moment

    # person3 revoked its consent to the bank, whose next calls were refused.
    revoked = subjects["person3"]
    headers = _bearer(client, "person3", revoked["password"])
    uses = client.get("/api/v1/consents/my-uses", headers=headers).json()["items"]
    assert [u["outcome"] for u in uses[:2]] == ["consent_revoked", "consent_revoked"]
    assert revoked["consents"] == []

    # The console shows the same to the enterprise.
    enterprise = subjects["enterprise1"]
    login = client.get("/login")
    csrf = login.text.split('name="csrf_token" value="')[1].split('"')[0]
    signed_in = client.post(
        "/login",
        data={"username": "enterprise1", "password": enterprise["password"], "csrf_token": csrf},
        follow_redirects=False,
    )
    assert signed_in.status_code == 303
    page = client.get("/console/consents/uses")
    assert page.status_code == 200
    assert "辽宁辽信企业征信服务有限公司" in page.text and "营口银行股份有限公司" in page.text


def test_the_market_has_weeks_of_calls_metered_and_logged(
    demo: DemoCity, client: TestClient
) -> None:
    bureau = _bearer(client, "bureau", demo.passwords["bureau"])
    calls = client.get("/api/v1/gateway/calls", headers=bureau, params={"size": 200}).json()
    assert 40 <= calls["total"] <= 200
    items = calls["items"]
    assert {c["product_code"] for c in items} == set(PRICES)
    assert {c["buyer"] for c in items} == {b["organization"] for b in demo.credentials["buyers"]}
    refused = {c["outcome"] for c in items} - {"answered"}
    assert refused == {
        "consent_required",
        "consent_mismatch",
        "consent_revoked",
        "input_invalid",
        "purpose_not_allowed",
    }
    moments = sorted(c["at"] for c in items)
    span = SystemClock().now() - _parse(moments[0])
    assert span > timedelta(days=14)
    bank = next(b for b in demo.credentials["buyers"] if b["organization_code"] == "ykbank")
    buyer = _bearer(client, bank["username"], demo.passwords[bank["username"]])
    metered = client.get(
        "/api/v1/gateway/metering",
        headers=buyer,
        params={"since": _parse(moments[0]).isoformat()},
    ).json()
    assert {m["buyer"] for m in metered} == {bank["organization"]}
    assert all(
        m["amount_fen"] == m["quantity"] * (150 if "就业" in m["product"] else 200) for m in metered
    )


def _parse(value: str) -> datetime:
    return datetime.fromisoformat(value.replace("Z", "+00:00"))


def test_no_plaintext_id_number_outside_the_credentials_file(demo_sqlite: DemoCity) -> None:
    """The subjects' ID numbers are in the credentials file only, grouped as printed (so the
    scans for stored ID numbers do not mistake the one file meant for them), and nowhere
    else: not in any other file of the home, not in the database."""
    credentials = demo_sqlite.settings.credentials_path
    numbers = [
        _plain(s["id_number"]) for s in demo_sqlite.credentials["subjects"] if "id_number" in s
    ]
    assert len(numbers) == 3
    assert resident_ids_in(credentials) == []  # grouped: 210802 19900101 123X
    text = credentials.read_text()
    assert all(n not in text for n in numbers)
    database = Path(demo_sqlite.url.removeprefix("sqlite:///"))
    files = [p for p in demo_sqlite.home.rglob("*") if p.is_file() and p != credentials]
    files += [p for p in database.parent.glob(database.name + "*") if p.is_file()]
    for path in files:
        content = path.read_bytes()
        for number in numbers:
            grouped = f"{number[:6]} {number[6:14]} {number[14:]}"
            assert number.encode() not in content and grouped.encode() not in content, path
        assert resident_ids_in(path) == [], path
