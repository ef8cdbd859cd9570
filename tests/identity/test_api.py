from __future__ import annotations

from datetime import timedelta

from fastapi.testclient import TestClient

from sluice.core.clock import FixedClock
from sluice.core.database import Database
from sluice.core.permissions import Role
from tests.identity.factories import PASSWORD, bearer, make_account

PROBLEM = "application/problem+json"


def test_token_route_returns_a_bearer_token_that_opens_the_api(
    client: TestClient, database: Database, clock: FixedClock
) -> None:
    account = make_account(database, clock, Role.BUREAU)
    response = client.post(
        "/api/v1/auth/token", json={"username": account.username, "password": PASSWORD}
    )
    assert response.status_code == 200
    body = response.json()
    assert set(body) == {"access_token", "token_type", "expires_in"}
    assert body["token_type"] == "bearer"
    assert body["expires_in"] == 3600
    me = client.get("/api/v1/me", headers={"Authorization": f"Bearer {body['access_token']}"})
    assert me.status_code == 200
    assert me.json()["username"] == account.username
    assert me.json()["roles"] == ["bureau"]
    assert "identity.manage" in me.json()["permissions"]


def test_token_expires_with_the_clock(
    client: TestClient, database: Database, clock: FixedClock
) -> None:
    headers = bearer(client, make_account(database, clock, Role.BUYER))
    assert client.get("/api/v1/me", headers=headers).status_code == 200
    clock.advance(timedelta(minutes=61))
    response = client.get("/api/v1/me", headers=headers)
    assert response.status_code == 401
    assert response.json()["code"] == "not_authenticated"


def test_wrong_password_is_refused_in_the_callers_language(
    client: TestClient, database: Database, clock: FixedClock
) -> None:
    account = make_account(database, clock, Role.OPERATOR)
    zh = client.post("/api/v1/auth/token", json={"username": account.username, "password": "x"})
    assert zh.status_code == 401
    assert zh.headers["content-type"] == PROBLEM
    assert zh.json()["code"] == "invalid_credentials"
    assert zh.json()["detail"] == "用户名或密码错误。"
    en = client.post(
        "/api/v1/auth/token",
        json={"username": "nobody-at-all", "password": "x"},
        headers={"Accept-Language": "en-US,en;q=0.9"},
    )
    assert en.json()["detail"] == "The username or password is not correct."


def test_failed_logins_are_audited_even_though_the_request_is_refused(
    client: TestClient, database: Database, clock: FixedClock
) -> None:
    bureau = make_account(database, clock, Role.BUREAU)
    client.post("/api/v1/auth/token", json={"username": bureau.username, "password": "nope"})
    headers = bearer(client, bureau)
    events = client.get(
        "/api/v1/audit/events", params={"action": "identity.login.failed"}, headers=headers
    ).json()
    assert events["total"] == 1
    assert events["items"][0]["outcome"] == "refused"
    assert events["items"][0]["detail"] == {
        "reason": "bad_password",
        "address": "testclient",
        "account_failures": 1,
        "address_failures": 1,
    }


def test_bureau_creates_organizations_and_users(
    client: TestClient, database: Database, clock: FixedClock
) -> None:
    headers = bearer(client, make_account(database, clock, Role.BUREAU))
    created = client.post(
        "/api/v1/organizations",
        json={
            "code": "ykbank",
            "kind": "buyer",
            "name": "营口银行股份有限公司",
            "credit_code": "91210800118000030G",
        },
        headers=headers,
    )
    assert created.status_code == 201, created.text
    org_id = created.json()["id"]
    user = client.post(
        "/api/v1/users",
        json={
            "username": "teller",
            "display_name": "柜员",
            "password": "a-long-password",
            "organization_id": org_id,
            "roles": ["buyer"],
        },
        headers=headers,
    )
    assert user.status_code == 201, user.text
    assert user.json()["roles"] == ["buyer"]
    assert "password" not in user.text and "a-long-password" not in user.text
    listed = client.get("/api/v1/users", headers=headers).json()
    assert "teller" in [u["username"] for u in listed["items"]]
    orgs = client.get("/api/v1/organizations", params={"kind": "buyer"}, headers=headers).json()
    assert [o["code"] for o in orgs["items"]] == [
        o["code"] for o in orgs["items"] if o["kind"] == "buyer"
    ]
    assert "ykbank" in [o["code"] for o in orgs["items"]]


def test_bad_credit_code_and_role_mismatch_are_clear_refusals(
    client: TestClient, database: Database, clock: FixedClock
) -> None:
    headers = bearer(client, make_account(database, clock, Role.BUREAU))
    bad = client.post(
        "/api/v1/organizations",
        json={
            "code": "bad",
            "kind": "operator",
            "name": "某公司",
            "credit_code": "91210800118000030A",
        },
        headers=headers,
    )
    assert bad.status_code == 422
    assert bad.json()["code"] == "invalid_input"
    assert bad.json()["detail"] == "统一社会信用代码“91210800118000030A”校验不通过（GB 32100）。"
    provider = client.post(
        "/api/v1/organizations",
        json={"code": "gaj", "kind": "provider", "name": "营口市公安局"},
        headers=headers,
    ).json()
    mismatch = client.post(
        "/api/v1/users",
        json={
            "username": "wrongrole",
            "display_name": "x",
            "password": "a-long-password",
            "organization_id": provider["id"],
            "roles": ["operator"],
        },
        headers={**headers, "Accept-Language": "en"},
    )
    assert mismatch.status_code == 422
    assert mismatch.json()["detail"] == (
        "The role 'Operator' must belong to an organization of kind 'Operator'."
    )
    duplicate = client.post(
        "/api/v1/organizations",
        json={"code": "gaj", "kind": "provider", "name": "营口市公安局"},
        headers=headers,
    )
    assert duplicate.status_code == 409
    assert duplicate.json()["code"] == "conflict"


def test_schema_errors_name_the_field(
    client: TestClient, database: Database, clock: FixedClock
) -> None:
    headers = bearer(client, make_account(database, clock, Role.BUREAU))
    response = client.post("/api/v1/users", json={"username": "ab", "roles": []}, headers=headers)
    assert response.status_code == 422
    body = response.json()
    assert body["code"] == "invalid_input"
    fields = {e["field"] for e in body["errors"]}
    assert {"username", "display_name", "password", "roles"} <= fields


def test_api_keys_are_shown_once_stored_hashed_and_revocable(
    client: TestClient, database: Database, clock: FixedClock
) -> None:
    buyer = make_account(database, clock, Role.BUYER)
    headers = bearer(client, buyer)
    created = client.post("/api/v1/api-keys", json={"name": "核验接口"}, headers=headers)
    assert created.status_code == 201
    key = created.json()["key"]
    assert key.startswith("slk_")
    listed = client.get("/api/v1/api-keys", headers=headers)
    assert key not in listed.text
    assert listed.json()[0]["prefix"] == created.json()["prefix"]
    with database.engine.connect() as connection:
        from sqlalchemy import text

        stored = connection.execute(text("SELECT key_hash FROM api_keys")).scalar_one()
    assert key not in stored and len(stored) == 64
    whoami = client.get("/gateway/v1/whoami", headers={"X-API-Key": key})
    assert whoami.status_code == 200
    assert whoami.json()["organization_id"] == str(buyer.organization_id)
    revoked = client.delete(f"/api/v1/api-keys/{created.json()['id']}", headers=headers)
    assert revoked.status_code == 204
    after = client.get("/gateway/v1/whoami", headers={"X-API-Key": key})
    assert after.status_code == 401
    assert after.json()["code"] == "invalid_key"


def test_a_buyer_cannot_revoke_another_buyers_key(
    client: TestClient, database: Database, clock: FixedClock
) -> None:
    first = bearer(client, make_account(database, clock, Role.BUYER))
    second = bearer(client, make_account(database, clock, Role.BUYER))
    key_id = client.post("/api/v1/api-keys", json={"name": "k"}, headers=first).json()["id"]
    response = client.delete(f"/api/v1/api-keys/{key_id}", headers=second)
    assert response.status_code == 404
    assert client.get("/api/v1/api-keys", headers=first).json()[0]["revoked_at"] is None


def test_unknown_keys_in_a_new_organization_are_refused_by_name(
    client: TestClient, database: Database, clock: FixedClock
) -> None:
    headers = bearer(client, make_account(database, clock, Role.BUREAU))
    response = client.post(
        "/api/v1/organizations",
        json={"code": "extra", "kind": "buyer", "name": "某某公司", "active": False, "id": "x"},
        headers=headers,
    )
    assert response.status_code == 422
    assert response.json()["code"] == "invalid_input"
    assert {e["field"] for e in response.json()["errors"]} == {"active", "id"}
    listed = client.get("/api/v1/organizations", headers=headers).json()
    assert "extra" not in [o["code"] for o in listed["items"]]


def test_a_clash_on_a_stored_value_is_a_conflict_not_a_server_error(
    client: TestClient, database: Database, clock: FixedClock
) -> None:
    """The reviewer's 500s on POST /organizations came with unknown keys, but were caused by
    a credit code already held, or a name that clashed only once its spaces were trimmed:
    both reached the unique constraints at commit."""
    headers = bearer(client, make_account(database, clock, Role.BUREAU))
    first = {
        "code": "bank1",
        "kind": "buyer",
        "name": "营口银行",
        "credit_code": "91210800118000030G",
    }
    assert client.post("/api/v1/organizations", json=first, headers=headers).status_code == 201
    same_code = {**first, "code": "bank2", "name": "另一家银行"}
    spaced_name = {"code": "bank3", "kind": "buyer", "name": "  营口银行\t"}
    details = []
    for body in (same_code, spaced_name):
        response = client.post("/api/v1/organizations", json=body, headers=headers)
        assert response.status_code == 409, response.text
        assert response.json()["code"] == "conflict"
        details.append(response.json()["detail"])
    assert details == [
        "统一社会信用代码“91210800118000030G”已登记在另一家机构名下。",
        "已有名为“营口银行”的机构。",  # the name clashed (as trimmed), not the new code
    ]
    codes = [
        o["code"] for o in client.get("/api/v1/organizations", headers=headers).json()["items"]
    ]
    assert "bank2" not in codes and "bank3" not in codes


def test_a_taken_username_and_a_weak_password_are_refused_together(
    client: TestClient, database: Database, clock: FixedClock
) -> None:
    """The API checks a new user like the console form does: every problem in one answer."""
    headers = {
        **bearer(client, make_account(database, clock, Role.BUREAU)),
        "Accept-Language": "en",
    }
    taken = make_account(database, clock, Role.SUBJECT)
    response = client.post(
        "/api/v1/users",
        json={
            "username": taken.username,
            "display_name": "x",
            "password": "short-pw",
            "roles": ["subject"],
        },
        headers=headers,
    )
    assert response.status_code == 409
    body = response.json()
    assert body["code"] == "conflict"
    assert body["detail"] == f"The username '{taken.username}' is already taken."
    assert {e["field"]: e["message"] for e in body["errors"]} == {
        "username": f"The username '{taken.username}' is already taken.",
        "password": "A password needs at least 10 characters.",
    }
    weak = client.post(
        "/api/v1/users",
        json={
            "username": "fresh",
            "display_name": "x",
            "password": "short-pw",
            "roles": ["subject"],
        },
        headers=headers,
    )
    assert weak.status_code == 422 and weak.json()["code"] == "weak_password"
