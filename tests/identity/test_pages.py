"""The console as a browser sees it: login, CSRF, role-aware navigation, forms that keep input."""

from __future__ import annotations

from fastapi.testclient import TestClient

from sluice.core.clock import FixedClock
from sluice.core.database import Database
from sluice.identity.permissions import Role
from tests.identity.factories import console_login, make_account


def test_console_requires_login_and_redirects_back(client: TestClient) -> None:
    response = client.get("/console/users", follow_redirects=False)
    assert response.status_code == 303
    assert response.headers["location"] == "/login?next=/console/users"


def test_session_cookie_is_httponly_and_samesite(
    client: TestClient, database: Database, clock: FixedClock
) -> None:
    account = make_account(database, clock, Role.BUREAU)
    page = client.get("/login")
    csrf = page.text.split('name="csrf_token" value="')[1].split('"')[0]
    response = client.post(
        "/login",
        data={"username": account.username, "password": account.password, "csrf_token": csrf},
        follow_redirects=False,
    )
    cookie = response.headers["set-cookie"]
    assert cookie.startswith("sluice_session=")
    assert "HttpOnly" in cookie
    assert "SameSite=lax" in cookie


def test_login_without_the_form_token_is_refused(
    client: TestClient, database: Database, clock: FixedClock
) -> None:
    account = make_account(database, clock, Role.BUREAU)
    client.get("/login")
    response = client.post(
        "/login", data={"username": account.username, "password": account.password}
    )
    assert response.status_code == 403
    assert "表单校验失败" in response.text
    assert "sluice_session" not in client.cookies


def test_wrong_password_on_the_form_shows_the_reason_and_keeps_the_username(
    client: TestClient, database: Database, clock: FixedClock
) -> None:
    account = make_account(database, clock, Role.BUREAU)
    page = client.get("/login")
    csrf = page.text.split('name="csrf_token" value="')[1].split('"')[0]
    response = client.post(
        "/login", data={"username": account.username, "password": "bad", "csrf_token": csrf}
    )
    assert response.status_code == 401
    assert "用户名或密码错误。" in response.text
    assert f'value="{account.username}"' in response.text


def test_navigation_follows_the_role(
    client: TestClient, database: Database, clock: FixedClock
) -> None:
    console_login(client, make_account(database, clock, Role.BUREAU))
    bureau = client.get("/console").text
    assert "机构管理" in bureau and "审计日志" in bureau and "API 密钥" not in bureau
    client.cookies.clear()
    console_login(client, make_account(database, clock, Role.BUYER))
    buyer = client.get("/console").text
    assert "API 密钥" in buyer and "机构管理" not in buyer
    refused = client.get("/console/organizations")
    assert refused.status_code == 403
    assert "无权执行此操作" in refused.text


def test_post_without_csrf_token_changes_nothing(
    client: TestClient, database: Database, clock: FixedClock
) -> None:
    console_login(client, make_account(database, clock, Role.BUREAU))
    response = client.post(
        "/console/organizations", data={"code": "evil", "kind": "buyer", "name": "伪造机构"}
    )
    assert response.status_code == 403
    assert "伪造机构" not in client.get("/console/organizations").text


def test_bureau_creates_an_organization_and_bad_input_is_kept(
    client: TestClient, database: Database, clock: FixedClock
) -> None:
    csrf = console_login(client, make_account(database, clock, Role.BUREAU))
    bad = client.post(
        "/console/organizations",
        data={
            "code": "op1",
            "kind": "operator",
            "name": "营口某科技有限公司",
            "credit_code": "91210800118000030A",
            "csrf_token": csrf,
        },
    )
    assert bad.status_code == 422
    assert "校验不通过" in bad.text
    assert 'value="营口某科技有限公司"' in bad.text  # nothing typed is lost
    good = client.post(
        "/console/organizations",
        data={
            "code": "op1",
            "kind": "operator",
            "name": "营口某科技有限公司",
            "credit_code": "91210800118000030G",
            "csrf_token": csrf,
        },
    )
    assert good.status_code == 200
    assert "已创建机构“营口某科技有限公司”。" in good.text


def test_user_form_explains_each_field_in_english(
    client: TestClient, database: Database, clock: FixedClock
) -> None:
    csrf = console_login(client, make_account(database, clock, Role.BUREAU))
    response = client.post(
        "/console/users",
        data={"username": "x", "display_name": "", "password": "short", "csrf_token": csrf},
        headers={"Accept-Language": "en"},
    )
    assert response.status_code == 422
    assert "At least 3 characters." in response.text
    assert "At least 10 characters." in response.text
    assert "short" not in response.text.split("<main>")[1]  # passwords are never echoed


def test_buyer_creates_a_key_sees_it_once_and_revokes_it(
    client: TestClient, database: Database, clock: FixedClock
) -> None:
    csrf = console_login(client, make_account(database, clock, Role.BUYER))
    created = client.post("/console/api-keys", data={"name": "征信核验", "csrf_token": csrf})
    key = created.text.split("<pre><code>")[1].split("</code>")[0]
    assert key.startswith("slk_")
    again = client.get("/console/api-keys")
    assert key not in again.text and "征信核验" in again.text
    key_id = again.text.split('action="/console/api-keys/')[1].split("/revoke")[0]
    revoked = client.post(f"/console/api-keys/{key_id}/revoke", data={"csrf_token": csrf})
    assert "已吊销" in revoked.text
    assert client.get("/gateway/v1/whoami", headers={"X-API-Key": key}).status_code == 401


def test_language_switch_persists(
    client: TestClient, database: Database, clock: FixedClock
) -> None:
    page = client.get("/")
    assert "营口市公共数据授权运营平台" in page.text
    csrf = page.text.split('name="csrf_token" value="')[1].split('"')[0]
    client.post("/locale", data={"locale": "en", "next": "/", "csrf_token": csrf})
    english = client.get("/")
    assert "Yingkou public data authorized operation" in english.text
    assert '<html lang="en">' in english.text


def test_logout_ends_the_session(client: TestClient, database: Database, clock: FixedClock) -> None:
    csrf = console_login(client, make_account(database, clock, Role.PANEL))
    token = client.cookies["sluice_session"]
    client.post("/logout", data={"csrf_token": csrf})
    client.cookies.set("sluice_session", token)  # replaying the old cookie does not work
    assert client.get("/console", follow_redirects=False).status_code == 303
