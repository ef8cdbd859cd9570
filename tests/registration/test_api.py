"""The registration REST API (/api/v1/registrations): an operator files with a material, the
registry decides, a buyer objects, the certificate verifies with the registry's published
public key alone, and what another operator or the public must not see stays unseen."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient

from sluice.core import sm2
from sluice.core.canonical import canonical_digest
from sluice.core.clock import FixedClock
from sluice.core.ids import sm3_hex
from sluice.web.app import create_app
from tests.identity.factories import bearer
from tests.registration import kind
from tests.registration.world import World, at

API = "/api/v1/registrations"


@pytest.fixture(scope="module")
def clock(world: World) -> FixedClock:
    return at("2026-11-02 10:00")


@pytest.fixture(scope="module")
def client(world: World, clock: FixedClock) -> Iterator[TestClient]:
    app = create_app(world.settings, database=world.database, clock=clock)
    with TestClient(app, base_url="http://127.0.0.1") as test_client:
        yield test_client


@pytest.fixture
def headers(world: World, client: TestClient) -> dict[str, dict[str, str]]:
    return _logins(world, client)


def _logins(world: World, client: TestClient) -> dict[str, dict[str, str]]:
    """Each account's bearer token (they last minutes: again after the clock moves)."""
    accounts = {
        "registry": world.registry,
        "operator": world.operator,
        "other": world.other,
        "buyer": world.buyer,
    }
    return {name: bearer(client, account) for name, account in accounts.items()}


def _decide(
    client: TestClient, headers: dict[str, str], application_id: str, action: str, reason: str = ""
) -> Any:
    return client.post(
        f"{API}/applications/{application_id}/decision",
        json={"action": action, "reason": reason},
        headers=headers,
    )


def test_a_product_is_registered_through_the_api_and_its_certificate_verifies_with_the_public_key(
    world: World, client: TestClient, headers: dict[str, dict[str, str]], clock: FixedClock
) -> None:
    subject = world.subject("企业用电量统计")
    sheet = "产品说明书：按月统计企业用电量。".encode()
    filed = client.post(
        f"{API}/applications",
        data={"kind": kind.KIND, "type": "first", "reference": subject.reference},
        files=[("materials", ("说明书.txt", sheet, "text/plain"))],
        headers=headers["operator"],
    )
    assert filed.status_code == 201, filed.text
    body = filed.json()
    application_id = body["id"]
    assert (body["status"], body["accept_due"], body["title"]) == (
        "applied",
        "2026-11-05",
        "企业用电量统计",
    )
    assert [(m["name"], m["size"], m["sm3"]) for m in body["materials"]] == [
        ("说明书.txt", len(sheet), sm3_hex(sheet))
    ]
    assert body["due"] == {"step": "accept", "day": "2026-11-05", "over": False, "late_by": 0}

    # Another operator: the application does not exist; nor does its list hold it.
    stranger = client.get(f"{API}/applications/{application_id}", headers=headers["other"])
    assert (stranger.status_code, stranger.json()["code"]) == (404, "not_found")
    listed = client.get(f"{API}/applications", headers=headers["other"])
    assert listed.status_code == 200 and listed.json() == []
    refused = _decide(client, headers["operator"], application_id, "accept")
    assert (refused.status_code, refused.json()["code"]) == (403, "permission_denied")
    wrong = _decide(client, headers["registry"], application_id, "approve")
    assert wrong.status_code == 422

    assert _decide(client, headers["registry"], application_id, "accept").json()["status"] == (
        "accepted"
    )
    noticed = _decide(client, headers["registry"], application_id, "pass").json()
    assert (noticed["status"], noticed["notice_until"]) == ("in_notice", "2026-11-16")
    objected = client.post(
        f"{API}/applications/{application_id}/objections",
        json={"grounds": "用电量口径有误。"},
        headers=headers["buyer"],
    )
    assert objected.status_code == 201
    seen = client.get(f"{API}/applications/{application_id}", headers=headers["operator"]).json()
    assert [(o["objector_name"], o["objector_organization"]) for o in seen["objections"]] == [
        (None, None)
    ]
    named = client.get(f"{API}/applications/{application_id}", headers=headers["registry"]).json()
    assert named["objections"][0]["objector_name"] == "测试buyer"
    early = _decide(client, headers["registry"], application_id, "issue")
    assert (early.status_code, early.json()["code"]) == (409, "notice_running")
    dismissed = client.post(
        f"{API}/objections/{objected.json()['id']}/decision",
        json={"decision": "dismiss", "reason": "口径与说明一致。"},
        headers=headers["registry"],
    )
    assert dismissed.json()["status"] == "dismissed"

    clock.advance(timedelta(days=15))
    headers = _logins(world, client)
    issued = _decide(client, headers["registry"], application_id, "issue").json()
    assert issued["status"] == "registered"
    registration = client.get(
        f"{API}/{issued['registration_id']}", headers=headers["operator"]
    ).json()
    assert registration["standing"] == "in_force"
    assert registration["verify_url"].endswith(f"/registry/verify/{registration['code']}")
    assert (
        client.get(f"{API}/{issued['registration_id']}", headers=headers["other"]).status_code
        == 404
    )

    # With the registry's public key as published, and nothing else of the platform.
    certificate = registration["certificate"]
    (key,) = [
        k["public_key_hex"]
        for k in client.get("/api/v1/public-keys").json()
        if k["organization_kind"] == "registry"
    ]
    assert canonical_digest(certificate["content"]) == certificate["digest"]
    assert sm2.verify(
        bytes.fromhex(key),
        bytes.fromhex(certificate["digest"]),
        bytes.fromhex(certificate["signature_hex"]),
    )
    assert certificate["content"]["holder"]["name"] == registration["holder_name"]

    renewal = client.post(
        f"{API}/applications",
        data={
            "kind": kind.KIND,
            "type": "renewal",
            "subject_id": str(subject.id),
            "statement": "续期",
        },
        headers=headers["operator"],
    )
    assert (renewal.status_code, renewal.json()["code"]) == (409, "renewal_window_closed")
