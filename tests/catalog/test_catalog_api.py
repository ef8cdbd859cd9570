"""The catalog through the API: providers register, the bureau publishes, the public searches."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from sluice.core.clock import FixedClock
from sluice.core.database import Database
from sluice.core.permissions import Role
from tests.catalog.factories import publish, resource_data
from tests.identity.factories import bearer, make_account


@pytest.fixture
def published(database: Database, clock: FixedClock) -> dict[str, object]:
    provider = make_account(database, clock, Role.PROVIDER)
    assert provider.organization_id is not None
    entries = publish(
        database,
        clock,
        provider.organization_id,
        [
            resource_data(
                "enterprises",
                "企业登记信息",
                classification="legal_entity",
                domain="industry:finance",
                open_level="open",
            ),
            resource_data("insurance", "社会保险参保缴费信息"),
            resource_data("fund", "住房公积金缴存信息", domain="welfare"),
        ],
    )
    return {"provider": provider, "entries": entries}


def test_public_search_finds_by_word_and_by_synonym(
    client: TestClient, published: dict[str, object]
) -> None:
    company = client.get("/api/v1/catalog", params={"q": "企业"}).json()
    assert company["total"] == 1
    assert company["items"][0]["title"] == "企业登记信息"
    social = client.get("/api/v1/catalog", params={"q": "社保"}).json()
    assert [i["title"] for i in social["items"]] == ["社会保险参保缴费信息"]
    everything = client.get("/api/v1/catalog").json()
    assert everything["total"] == 3
    assert {f["value"]: f["count"] for f in everything["facets"]["domain"]} == {
        "governance": 1,
        "industry:finance": 1,
        "welfare": 1,
    }
    assert everything["facets"]["batch"] == [{"value": "1", "label": "第一批", "count": 3}]


def test_filters_by_provider_code_domain_and_batch(
    client: TestClient, published: dict[str, object], database: Database
) -> None:
    with database.unit_of_work() as session:
        from sluice.identity.models import Organization

        code = session.get(Organization, published["provider"].organization_id).code  # type: ignore[attr-defined]
    assert client.get("/api/v1/catalog", params={"provider": code}).json()["total"] == 3
    assert client.get("/api/v1/catalog", params={"provider": "nobody"}).json()["total"] == 0
    welfare = client.get("/api/v1/catalog", params={"domain": "welfare"}).json()
    assert [i["title"] for i in welfare["items"]] == ["住房公积金缴存信息"]
    # The domain facet ignores its own filter, so the other choices stay visible.
    assert len(welfare["facets"]["domain"]) == 3
    assert client.get("/api/v1/catalog", params={"batch": 1}).json()["total"] == 3
    assert client.get("/api/v1/catalog", params={"batch": 2}).json()["total"] == 0


def test_withdrawn_entries_leave_search_and_every_change_is_versioned(
    client: TestClient, database: Database, clock: FixedClock, published: dict[str, object]
) -> None:
    bureau = bearer(client, make_account(database, clock, Role.BUREAU))
    entry_id = client.get("/api/v1/catalog", params={"q": "企业"}).json()["items"][0]["id"]
    withdrawn = client.post(f"/api/v1/catalog/entries/{entry_id}/withdraw", headers=bureau)
    assert withdrawn.status_code == 200
    assert client.get("/api/v1/catalog", params={"q": "企业"}).json()["total"] == 0
    again = client.post(f"/api/v1/catalog/entries/{entry_id}/withdraw", headers=bureau)
    assert again.status_code == 409
    assert again.json()["code"] == "invalid_transition"
    client.post(f"/api/v1/catalog/entries/{entry_id}/republish", headers=bureau)
    versions = client.get(f"/api/v1/catalog/entries/{entry_id}/versions").json()
    assert [(v["version"], v["change"]) for v in versions] == [
        (3, "republish"),
        (2, "withdraw"),
        (1, "published"),
    ]
    assert versions[2]["snapshot"]["title"] == "企业登记信息"


def test_provider_changes_are_versioned_and_reindexed(
    client: TestClient, database: Database, clock: FixedClock, published: dict[str, object]
) -> None:
    provider = bearer(client, published["provider"])  # type: ignore[arg-type]
    resources = client.get("/api/v1/resources", headers=provider).json()["items"]
    fund = next(r for r in resources if r["code"] == "fund")
    changed = client.patch(
        f"/api/v1/resources/{fund['id']}",
        json={"name": "住房公积金缴存与提取信息"},
        headers=provider,
    )
    assert changed.status_code == 200 and changed.json()["version"] == 2
    found = client.get("/api/v1/catalog", params={"q": "提取"}).json()
    assert [i["title"] for i in found["items"]] == ["住房公积金缴存与提取信息"]
    assert found["items"][0]["version"] == 2
    closing = client.patch(
        f"/api/v1/resources/{fund['id']}", json={"open_level": "closed"}, headers=provider
    )
    assert closing.status_code == 409
    assert "撤回" in closing.json()["detail"]


def test_closed_resources_cannot_be_listed_and_shared_ones_record_consent(
    client: TestClient, database: Database, clock: FixedClock
) -> None:
    provider = bearer(client, make_account(database, clock, Role.PROVIDER))
    bureau = bearer(client, make_account(database, clock, Role.BUREAU))
    base = resource_data("base", "模板资源").model_dump(by_alias=True)
    closed = client.post(
        "/api/v1/resources",
        json={**base, "code": "secret", "name": "涉密数据", "open_level": "closed"},
        headers=provider,
    ).json()
    shared = client.post(
        "/api/v1/resources",
        json={
            **base,
            "code": "hukou",
            "name": "户籍迁移信息",
            "origin": "shared",
            "shared_from": "省公安厅",
        },
        headers=provider,
    ).json()
    assert shared["sharing_consent_at"] is None
    batch = client.post("/api/v1/catalog/batches", json={}, headers=bureau).json()
    assert batch["title"] == "第一批可授权公共数据资源目录"
    refused = client.post(
        f"/api/v1/catalog/batches/{batch['id']}/entries",
        json={"resource_ids": [closed["id"]]},
        headers=bureau,
    )
    assert refused.status_code == 422
    assert refused.json()["detail"] == "“涉密数据”为不予开放数据，不能编入可授权资源目录。"
    consent = client.post(
        f"/api/v1/resources/{shared['id']}/sharing-consent",
        json={"evidence": "省公安厅复函（辽公函〔2026〕12号）"},
        headers=provider,
    )
    assert consent.status_code == 200 and consent.json()["sharing_consent_at"] is not None
    own = client.post(
        f"/api/v1/resources/{closed['id']}/sharing-consent",
        json={"evidence": "不需要"},
        headers=provider,
    )
    assert own.status_code == 422


def test_a_provider_cannot_touch_another_providers_resource(
    client: TestClient, database: Database, clock: FixedClock, published: dict[str, object]
) -> None:
    other = bearer(client, make_account(database, clock, Role.PROVIDER))
    owner = bearer(client, published["provider"])  # type: ignore[arg-type]
    resource_id = client.get("/api/v1/resources", headers=owner).json()["items"][0]["id"]
    assert client.get("/api/v1/resources", headers=other).json()["total"] == 0
    assert client.get(f"/api/v1/resources/{resource_id}", headers=other).status_code == 404
    # Changing it is the same 404 as reading it: another provider's resource does not exist.
    patch = client.patch(f"/api/v1/resources/{resource_id}", json={"name": "篡改"}, headers=other)
    assert patch.status_code == 404
    assert patch.json()["code"] == "not_found"
    consent = client.post(
        f"/api/v1/resources/{resource_id}/sharing-consent",
        json={"evidence": "营政数函〔2026〕1号"},
        headers=other,
    )
    assert consent.status_code == 404
    assert client.get(f"/api/v1/resources/{resource_id}", headers=owner).json()["name"] != "篡改"


def test_bad_resource_input_is_explained(
    client: TestClient, database: Database, clock: FixedClock
) -> None:
    provider = bearer(client, make_account(database, clock, Role.PROVIDER))
    response = client.post(
        "/api/v1/resources",
        json={
            "code": "a",
            "name": "x",
            "domain": "space",
            "update_frequency": "hourly",
            "open_level": "open",
            "classification": "population",
            "grade": "9",
            "fields": [{"name": "x", "type": "blob"}],
        },
        headers=provider,
    )
    assert response.status_code == 422
    fields = {e["field"] for e in response.json()["errors"]}
    assert {"code", "name", "domain", "update_frequency", "grade", "fields.0.type"} <= fields


def test_fields_the_data_plane_could_not_check_are_refused_at_registration(
    client: TestClient, database: Database, clock: FixedClock
) -> None:
    provider = bearer(client, make_account(database, clock, Role.PROVIDER))
    base = resource_data("base", "模板资源").model_dump(by_alias=True)
    response = client.post(
        "/api/v1/resources",
        json={**base, "fields": [{"name": "age", "type": "int", "class": "public", "min": "old"}]},
        headers=provider,
    )
    assert response.status_code == 422
    assert response.json()["detail"].startswith("数据项定义有误：")
    assert "age" in response.json()["detail"]
