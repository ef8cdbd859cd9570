"""R4.1: besides government departments, organizations that laws and regulations authorize
to manage public affairs provide public data. The bureau registers one as a provider marked
as such, with the law that authorizes it, and the mark shows wherever providers are shown."""

from __future__ import annotations

from fastapi.testclient import TestClient

from sluice.core.clock import FixedClock
from sluice.core.database import Database
from sluice.core.permissions import Role
from tests.identity.factories import bearer, console_login, make_account

BASIS = "《住房公积金管理条例》第十条：设区的市设立住房公积金管理中心，负责住房公积金的管理运作。"


def test_the_api_registers_a_provider_authorized_by_law_with_its_basis(
    client: TestClient, database: Database, clock: FixedClock
) -> None:
    headers = bearer(client, make_account(database, clock, Role.BUREAU))
    created = client.post(
        "/api/v1/organizations",
        json={
            "code": "gjj",
            "kind": "provider",
            "name": "营口市住房公积金管理中心",
            "authorized_by_law": True,
            "legal_basis": BASIS,
        },
        headers=headers,
    )
    assert created.status_code == 201, created.text
    assert created.json()["authorized_by_law"] is True
    assert created.json()["legal_basis"] == BASIS
    listed = client.get("/api/v1/organizations", params={"kind": "provider"}, headers=headers)
    [found] = [o for o in listed.json()["items"] if o["code"] == "gjj"]
    assert (found["authorized_by_law"], found["legal_basis"]) == (True, BASIS)

    no_basis = {"code": "x1", "kind": "provider", "name": "某授权组织", "authorized_by_law": True}
    refused = client.post("/api/v1/organizations", json=no_basis, headers=headers)
    assert refused.status_code == 422
    assert refused.json()["detail"] == (
        "请填写授权依据：授权该组织管理公共事务的法律法规名称和条款。"
    )
    not_provider = {**no_basis, "kind": "buyer", "legal_basis": BASIS}
    refused = client.post(
        "/api/v1/organizations",
        json=not_provider,
        headers={**headers, "Accept-Language": "en"},
    )
    assert refused.status_code == 422
    assert refused.json()["detail"] == (
        "Only a data provider can be marked as an organization authorized by law to manage "
        "public affairs."
    )
    unmarked = {"code": "x2", "kind": "provider", "name": "某部门", "legal_basis": BASIS}
    refused = client.post("/api/v1/organizations", json=unmarked, headers=headers)
    assert refused.status_code == 422
    assert refused.json()["errors"][0]["field"] == "legal_basis"
    codes = {
        o["code"] for o in client.get("/api/v1/organizations", headers=headers).json()["items"]
    }
    assert not codes & {"x1", "x2"}


def test_the_mark_shows_on_the_console_list_and_the_public_publisher_page(
    client: TestClient, database: Database, clock: FixedClock
) -> None:
    csrf = console_login(client, make_account(database, clock, Role.BUREAU))
    missing = client.post(
        "/console/organizations",
        data={
            "code": "gjj",
            "kind": "provider",
            "name": "营口市住房公积金管理中心",
            "authorized_by_law": "on",
            "csrf_token": csrf,
        },
        headers={"Accept-Language": "en"},
    )
    assert missing.status_code == 422
    assert (
        "Give the legal basis: the law or regulation, and its article, that authorizes the "
        "organization to manage public affairs."
    ) in missing.text
    created = client.post(
        "/console/organizations",
        data={
            "code": "gjj",
            "kind": "provider",
            "name": "营口市住房公积金管理中心",
            "authorized_by_law": "on",
            "legal_basis": BASIS,
            "csrf_token": csrf,
        },
        follow_redirects=False,
    )
    assert created.status_code == 303
    listed = client.get(created.headers["location"]).text
    row = listed.split('data-code="gjj"')[1].split("</tr>")[0]
    assert '<span class="tag" title="' + BASIS + '" data-testid="authorized-by-law">' in row
    assert ">法律法规授权组织</span>" in row
    department = client.post(
        "/console/organizations",
        data={"code": "gaj", "kind": "provider", "name": "营口市公安局", "csrf_token": csrf},
        follow_redirects=False,
    )
    assert department.status_code == 303
    assert "authorized-by-law" not in client.get("/console/organizations?q=gaj").text

    client.cookies.clear()
    public = client.get("/organizations/gjj").text
    assert "法律法规授权的具有管理公共事务职能的组织" in public
    assert f"授权依据：{BASIS}" in public
    english = client.get("/organizations/gjj", headers={"Accept-Language": "en"}).text
    assert "An organization authorized by law to manage public affairs" in english
    assert 'data-testid="authorized-by-law"' not in client.get("/organizations/gaj").text
