"""The console as a browser sees it: login, CSRF, role-aware navigation, forms that keep input."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from sluice.core.clock import FixedClock
from sluice.core.database import Database
from sluice.core.permissions import Role
from tests.identity.factories import PASSWORD, bearer, console_login, make_account

# What a page shows: SQLite only; its queries are the services' and repositories',
# proven on both databases by this module's neighbours (see tests/conftest.py).
pytestmark = pytest.mark.rendering

NEW_PASSWORD = "Bohai-ferry-at-dusk-2026"


@pytest.fixture
def browser(app: FastAPI) -> Iterator[TestClient]:
    """A second device: its own cookies, the same server."""
    with TestClient(app, base_url="http://127.0.0.1") as other:
        yield other


def _alive(client: TestClient) -> bool:
    return client.get("/console", follow_redirects=False).status_code == 200


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
        follow_redirects=False,
    )
    assert good.status_code == 303  # post/redirect/get: a reload does not post again
    shown = client.get(good.headers["location"])
    assert "已创建机构“营口某科技有限公司”。" in shown.text
    assert 'data-code="op1"' in shown.text


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
    # The configured minimum (SLUICE_PASSWORD_MIN_LENGTH), not the schema's floor.
    assert "A password needs at least 10 characters." in response.text
    assert "short" not in response.text.split("<main>")[1]  # passwords are never echoed


def test_buyer_creates_a_key_sees_it_once_and_revokes_it(
    client: TestClient, database: Database, clock: FixedClock
) -> None:
    csrf = console_login(client, make_account(database, clock, Role.BUYER))
    created = client.post(
        "/console/api-keys", data={"name": "征信核验", "csrf_token": csrf}, follow_redirects=False
    )
    assert created.status_code == 303
    shown = client.get(created.headers["location"])
    key = shown.text.split("<pre><code>")[1].split("</code>")[0]
    assert key.startswith("slk_")
    again = client.get("/console/api-keys")
    assert key not in again.text and "征信核验" in again.text
    key_id = again.text.split('action="/console/api-keys/')[1].split("/revoke")[0]
    revoked = client.post(
        f"/console/api-keys/{key_id}/revoke", data={"csrf_token": csrf}, follow_redirects=False
    )
    assert revoked.status_code == 303
    after = client.get(revoked.headers["location"]).text
    assert "已吊销密钥“征信核验”" in after and "已吊销" in after
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


@pytest.mark.parametrize("role", list(Role))
def test_every_role_changes_its_password_from_the_top_bar(
    client: TestClient, browser: TestClient, database: Database, clock: FixedClock, role: Role
) -> None:
    account = make_account(database, clock, role)
    csrf = console_login(client, account)
    console_login(browser, account)
    token = bearer(client, account)
    top_bar = client.get("/console").text.split("</header>")[0]
    assert 'href="/console/account"' in top_bar
    page = client.get("/console/account")
    assert page.status_code == 200 and "修改密码" in page.text
    mismatch = client.post(
        "/console/account/password",
        data={
            "current_password": PASSWORD,
            "new_password": NEW_PASSWORD,
            "new_password_again": NEW_PASSWORD + "x",
            "csrf_token": csrf,
        },
    )
    assert mismatch.status_code == 422 and "两次输入的新密码不一致。" in mismatch.text
    changed = client.post(
        "/console/account/password",
        data={
            "current_password": PASSWORD,
            "new_password": NEW_PASSWORD,
            "new_password_again": NEW_PASSWORD,
            "csrf_token": csrf,
        },
        follow_redirects=False,
    )
    assert changed.status_code == 303
    assert changed.headers["location"] == "/console/account"
    shown = client.get(changed.headers["location"])
    assert "密码已修改。" in shown.text
    assert NEW_PASSWORD not in shown.text and PASSWORD not in shown.text
    assert "密码已修改。" not in client.get("/console/account").text  # said once
    assert _alive(client)  # this session stays
    assert not _alive(browser)  # the other device is logged out
    assert client.get("/api/v1/me", headers=token).status_code == 401


def test_the_password_page_explains_a_refusal_next_to_the_field(
    client: TestClient, database: Database, clock: FixedClock
) -> None:
    csrf = console_login(client, make_account(database, clock, Role.BUYER))
    wrong = client.post(
        "/console/account/password",
        data={
            "current_password": "not-my-password",
            "new_password": NEW_PASSWORD,
            "new_password_again": NEW_PASSWORD,
            "csrf_token": csrf,
        },
        headers={"Accept-Language": "en"},
    )
    assert wrong.status_code == 422
    assert "The current password is not correct; the password was not changed." in wrong.text
    common = client.post(
        "/console/account/password",
        data={
            "current_password": PASSWORD,
            "new_password": "iloveyou12345",
            "new_password_again": "iloveyou12345",
            "csrf_token": csrf,
        },
    )
    assert common.status_code == 422
    assert "这是常见密码，很容易被猜中，请换一个。" in common.text
    assert "iloveyou12345" not in common.text


def test_console_logout_everywhere_also_revokes_access_tokens(
    client: TestClient, browser: TestClient, database: Database, clock: FixedClock
) -> None:
    account = make_account(database, clock, Role.OPERATOR)
    csrf = console_login(client, account)
    other_csrf = console_login(browser, account)
    token = bearer(client, account)
    # Logging out here ends this session only.
    browser.post("/logout", data={"csrf_token": other_csrf})
    assert not _alive(browser) and _alive(client)
    assert client.get("/api/v1/me", headers=token).status_code == 200
    console_login(browser, account)
    page = client.get("/console/account").text
    assert 'name="everywhere" value="1"' in page
    response = client.post(
        "/logout", data={"csrf_token": csrf, "everywhere": "1"}, follow_redirects=False
    )
    assert response.status_code == 303
    assert not _alive(browser)
    assert client.get("/api/v1/me", headers=token).status_code == 401


def test_bureau_deactivates_and_reactivates_users_from_the_users_page(
    client: TestClient, browser: TestClient, database: Database, clock: FixedClock
) -> None:
    bureau = make_account(database, clock, Role.BUREAU)
    csrf = console_login(client, bureau)
    account = make_account(database, clock, Role.PROVIDER)
    console_login(browser, account)
    page = client.get("/console/users").text
    assert f'action="/console/users/{account.user_id}/deactivate"' in page
    assert f'action="/console/users/{bureau.user_id}/deactivate"' not in page  # not oneself
    done = client.post(
        f"/console/users/{account.user_id}/deactivate",
        data={"csrf_token": csrf, "back": "/console/users?status=active"},
        follow_redirects=False,
    )
    assert done.status_code == 303
    assert done.headers["location"] == "/console/users?status=active"  # back to the same list
    done = client.get("/console/users")
    assert f"已停用用户“{account.username}”" in done.text
    row = done.text.split(f'data-username="{account.username}"')[1].split("</tr>")[0]
    assert "已停用" in row and f"/console/users/{account.user_id}/reactivate" in row
    assert not _alive(browser)
    refused = browser.get("/login")
    browser_csrf = refused.text.split('name="csrf_token" value="')[1].split('"')[0]
    login = browser.post(
        "/login",
        data={"username": account.username, "password": PASSWORD, "csrf_token": browser_csrf},
    )
    assert login.status_code == 401 and "用户名或密码错误。" in login.text
    again = client.post(f"/console/users/{account.user_id}/reactivate", data={"csrf_token": csrf})
    assert f"已重新启用用户“{account.username}”" in again.text
    console_login(browser, account)
    assert _alive(browser)


def test_user_form_refuses_a_weak_password_with_the_reason(
    client: TestClient, database: Database, clock: FixedClock
) -> None:
    csrf = console_login(client, make_account(database, clock, Role.BUREAU))
    response = client.post(
        "/console/users",
        data={
            "username": "zhaoli",
            "display_name": "赵丽",
            "password": "zhaoli123456",
            "roles": "subject",
            "csrf_token": csrf,
        },
    )
    assert response.status_code == 422
    assert "密码不能包含用户名。" in response.text
    assert "zhaoli123456" not in response.text


def test_the_organization_form_ignores_fields_it_does_not_have(
    client: TestClient, database: Database, clock: FixedClock
) -> None:
    csrf = console_login(client, make_account(database, clock, Role.BUREAU))
    response = client.post(
        "/console/organizations",
        data={
            "code": "extra-form",
            "kind": "buyer",
            "name": "表单机构",
            "submit": "保存",
            "csrf_token": csrf,
        },
        follow_redirects=False,
    )
    assert response.status_code == 303
    assert "已创建机构“表单机构”。" in client.get(response.headers["location"]).text
