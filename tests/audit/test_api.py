"""The API's list of events takes the page's filters."""

from __future__ import annotations

from fastapi.testclient import TestClient

from sluice.core.clock import FixedClock
from sluice.core.database import Database
from sluice.core.permissions import Role
from tests.audit.conftest import World
from tests.identity.factories import bearer, make_account


def _ids(client: TestClient, headers: dict[str, str], **params: str) -> list[int]:
    response = client.get("/api/v1/audit/events", params=params, headers=headers)
    assert response.status_code == 200, response.text
    return [item["id"] for item in response.json()["items"]]


def test_the_api_filters_like_the_page(
    client: TestClient,
    database: Database,
    clock: FixedClock,
    world: World,
) -> None:
    headers = bearer(client, make_account(database, clock, Role.BUREAU))
    assert _ids(client, headers, actor="liuxy", outcome="refused") == [world.provider_refused]
    assert _ids(client, headers, organization="ops-test") == [world.refused]
    assert _ids(client, headers, target_type="exit") == [world.disposed]
    assert _ids(client, headers, target_id="7d1f0c2a") == [world.provider_refused]
    october_26 = _ids(client, headers, **{"from": "2026-10-26", "to": "2026-10-26"})
    assert october_26 == [world.provider_refused, world.refused]
    body = client.get("/api/v1/audit/events", params={"actor": "chenzy"}, headers=headers).json()
    assert body["total"] == 1
    assert body["items"][0]["actor_user_id"] == str(world.operator.account.user_id)
    assert body["items"][0]["actor_organization_id"] == str(world.operator.account.organization_id)


def test_impossible_or_reversed_dates_are_refused_in_words(
    client: TestClient,
    database: Database,
    clock: FixedClock,
    world: World,
) -> None:
    headers = bearer(client, make_account(database, clock, Role.BUREAU))
    impossible = client.get("/api/v1/audit/events", params={"from": "2026-02-30"}, headers=headers)
    assert impossible.status_code == 422
    assert "不是有效的日期" in impossible.text
    reversed_ = client.get(
        "/api/v1/audit/events", params={"from": "2026-10-27", "to": "2026-10-26"}, headers=headers
    )
    assert reversed_.status_code == 422
    assert reversed_.json()["detail"] == "开始日期晚于结束日期，请调换或更正。"
