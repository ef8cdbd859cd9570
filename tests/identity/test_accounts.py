"""One's own account through the API: password changes, logging out (here or everywhere),
and the bureau deactivating and reactivating users (issue #8, R8.3)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import select

from sluice.audit.models import AuditEvent
from sluice.core.clock import FixedClock
from sluice.core.database import Database
from sluice.core.permissions import Role
from sluice.demo.city import seed_identity
from tests.identity.factories import PASSWORD, Account, bearer, console_login, make_account

NEW_PASSWORD = "Bohai-ferry-at-dusk-2026"
PROBLEM = "application/problem+json"


@pytest.fixture
def browser(app: FastAPI) -> Iterator[TestClient]:
    """A second device: its own cookies, the same server."""
    with TestClient(app, base_url="http://127.0.0.1") as other:
        yield other


def _me(client: TestClient, headers: dict[str, str]) -> int:
    return client.get("/api/v1/me", headers=headers).status_code


def _console_alive(client: TestClient) -> bool:
    return client.get("/console", follow_redirects=False).status_code == 200


def _change(client: TestClient, headers: dict[str, str], current: str, new: str) -> Any:
    return client.post(
        "/api/v1/me/password",
        json={"current_password": current, "new_password": new},
        headers=headers,
    )


def _actions(database: Database, action: str) -> list[AuditEvent]:
    with database.unit_of_work() as session:
        query = select(AuditEvent).where(AuditEvent.action == action).order_by(AuditEvent.id)
        return list(session.scalars(query))


def _token_login(client: TestClient, account: Account, password: str) -> int:
    body = {"username": account.username, "password": password}
    return client.post("/api/v1/auth/token", json=body).status_code


def test_changing_the_password_ends_every_other_session_and_token(
    client: TestClient, browser: TestClient, database: Database, clock: FixedClock
) -> None:
    account = make_account(database, clock, Role.OPERATOR)
    using = bearer(client, account)
    script = bearer(client, account)
    console_login(browser, account)
    changed = _change(client, using, PASSWORD, NEW_PASSWORD)
    assert changed.status_code == 204, changed.text
    assert _me(client, using) == 200  # the token the change was made with stays
    assert _me(client, script) == 401  # every other one ends
    assert not _console_alive(browser)
    assert _token_login(client, account, PASSWORD) == 401
    assert _token_login(client, account, NEW_PASSWORD) == 200
    (event,) = _actions(database, "identity.password.changed")
    assert event.detail == {"address": "testclient", "sessions_ended": 1, "tokens_revoked": 1}
    assert PASSWORD not in str(event.detail) and NEW_PASSWORD not in str(event.detail)


def test_a_wrong_current_password_changes_nothing_and_is_counted(
    client: TestClient, database: Database, clock: FixedClock
) -> None:
    """A stolen token cannot be used to guess the password: failures lock like logins."""
    account = make_account(database, clock, Role.BUYER)
    headers = bearer(client, account)
    wrong = _change(client, headers, "not-my-password", NEW_PASSWORD)
    assert wrong.status_code == 422
    assert wrong.headers["content-type"] == PROBLEM
    assert wrong.json()["code"] == "current_password_wrong"
    assert wrong.json()["detail"] == "当前密码不正确，密码未修改。"
    assert wrong.json()["errors"] == [
        {"field": "current_password", "type": "current_password_wrong"}
    ]
    for _ in range(4):
        _change(client, headers, "not-my-password", NEW_PASSWORD)
    # Five failures lock the account from this address: even the right one is refused now,
    locked = _change(client, headers, PASSWORD, NEW_PASSWORD)
    assert locked.json()["code"] == "current_password_wrong"
    assert _token_login(client, account, PASSWORD) == 401  # and so is a login from here
    reasons = [e.detail["reason"] for e in _actions(database, "identity.password.change_refused")]
    assert reasons == ["bad_password"] * 5 + ["locked"]
    assert len(_actions(database, "identity.login.locked")) == 1


@pytest.mark.parametrize(
    ("new_password", "reason_en"),
    [
        ("shrt1", "At least 8 characters."),
        ("Short-1!", "A password needs at least 10 characters."),
        (
            "password1234",
            "This is a commonly used password and easy to guess; please choose another.",
        ),
        (
            "0987654321",
            "The password may not be a straight sequence (like 1234567890 or abcdefghij).",
        ),
        (PASSWORD, "The new password must differ from the current one."),
    ],
)
def test_a_weak_new_password_is_refused_with_the_reason(
    client: TestClient,
    database: Database,
    clock: FixedClock,
    new_password: str,
    reason_en: str,
) -> None:
    account = make_account(database, clock, Role.PANEL)
    headers = {**bearer(client, account), "Accept-Language": "en"}
    refused = _change(client, headers, PASSWORD, new_password)
    assert refused.status_code == 422
    body = refused.json()
    assert reason_en in body["detail"] or reason_en in str(body.get("errors"))
    assert new_password not in refused.text
    assert _token_login(client, account, PASSWORD) == 200  # unchanged


def test_a_password_containing_the_username_is_refused(
    client: TestClient, database: Database, clock: FixedClock
) -> None:
    account = make_account(database, clock, Role.REGISTRY)
    headers = bearer(client, account)
    refused = _change(client, headers, PASSWORD, f"My-{account.username.upper()}-pass!")
    assert refused.status_code == 422
    assert refused.json()["code"] == "weak_password"
    assert refused.json()["detail"] == "密码不能包含用户名。"
    assert refused.json()["errors"] == [
        {"field": "new_password", "type": "password_contains_username"}
    ]


def test_logout_revokes_the_token_it_was_sent_with_and_only_that_one(
    client: TestClient, database: Database, clock: FixedClock
) -> None:
    account = make_account(database, clock, Role.PROVIDER)
    first = bearer(client, account)
    second = bearer(client, account)
    response = client.post("/api/v1/auth/logout", headers=first)
    assert response.status_code == 204
    assert _me(client, first) == 401
    assert _me(client, second) == 200
    (event,) = _actions(database, "identity.logout")
    assert event.detail == {
        "channel": "token",
        "everywhere": False,
        "sessions_ended": 0,
        "tokens_revoked": 1,
    }


def test_logout_everywhere_ends_every_token_and_console_session(
    client: TestClient, browser: TestClient, database: Database, clock: FixedClock
) -> None:
    account = make_account(database, clock, Role.BUREAU)
    other = make_account(database, clock, Role.BUREAU)
    first = bearer(client, account)
    second = bearer(client, account)
    someone_else = bearer(client, other)
    console_login(browser, account)
    response = client.post("/api/v1/auth/logout", json={"everywhere": True}, headers=first)
    assert response.status_code == 204
    assert (_me(client, first), _me(client, second)) == (401, 401)
    assert not _console_alive(browser)
    assert _me(client, someone_else) == 200
    refused = client.post(
        "/api/v1/auth/logout", json={"everywhere": 1, "all": True}, headers=someone_else
    )
    assert refused.status_code == 422  # unknown keys are refused, not ignored


def test_deactivation_ends_sessions_and_tokens_at_once_and_bars_login(
    client: TestClient, browser: TestClient, database: Database, clock: FixedClock
) -> None:
    bureau = bearer(client, make_account(database, clock, Role.BUREAU))
    account = make_account(database, clock, Role.OPERATOR)
    token = bearer(client, account)
    console_login(browser, account)
    response = client.post(f"/api/v1/users/{account.user_id}/deactivate", headers=bureau)
    assert response.status_code == 200
    assert response.json()["active"] is False
    assert _me(client, token) == 401
    assert not _console_alive(browser)
    refused = client.post(
        "/api/v1/auth/token", json={"username": account.username, "password": PASSWORD}
    )
    assert refused.status_code == 401
    assert refused.json()["code"] == "invalid_credentials"  # as for a wrong password
    (event,) = _actions(database, "identity.user.deactivated")
    assert event.detail == {"username": account.username, "sessions_ended": 1, "tokens_revoked": 1}
    back = client.post(f"/api/v1/users/{account.user_id}/reactivate", headers=bureau)
    assert back.status_code == 200 and back.json()["active"] is True
    assert _me(client, token) == 401  # what deactivation ended stays ended
    assert _token_login(client, account, PASSWORD) == 200
    assert len(_actions(database, "identity.user.reactivated")) == 1


def test_the_bureau_cannot_deactivate_itself_and_others_cannot_deactivate_anyone(
    client: TestClient, database: Database, clock: FixedClock
) -> None:
    bureau = make_account(database, clock, Role.BUREAU)
    headers = bearer(client, bureau)
    own = client.post(f"/api/v1/users/{bureau.user_id}/deactivate", headers=headers)
    assert own.status_code == 409
    assert own.json()["detail"] == "不能停用自己的账户，请由另一位管理员操作。"
    assert _me(client, headers) == 200
    missing = client.post(
        "/api/v1/users/00000000-0000-0000-0000-000000000000/deactivate", headers=headers
    )
    assert missing.status_code == 404
    operator = bearer(client, make_account(database, clock, Role.OPERATOR))
    denied = client.post(f"/api/v1/users/{bureau.user_id}/deactivate", headers=operator)
    assert denied.status_code == 403
    assert denied.json()["code"] == "permission_denied"
    assert _me(client, headers) == 200


@pytest.mark.parametrize(
    ("password", "detail"),
    [
        ("password123", "这是常见密码，很容易被猜中，请换一个。"),
        ("aaaaaaaaaaaa", "密码不能是同一个字符或同一段字符的重复（如 aaaaaaaaaa、abcabcabc）。"),
        ("abcdefghijkl", "密码不能是连续的字符序列（如 1234567890、abcdefghij）。"),
        ("teller-2026-ok", "密码不能包含用户名。"),
        ("Zx8#kq!m2", "密码至少需要 10 个字符。"),
    ],
)
def test_user_creation_applies_the_password_policy(
    client: TestClient, database: Database, clock: FixedClock, password: str, detail: str
) -> None:
    headers = bearer(client, make_account(database, clock, Role.BUREAU))
    response = client.post(
        "/api/v1/users",
        json={
            "username": "teller",
            "display_name": "柜员",
            "password": password,
            "roles": ["subject"],
        },
        headers=headers,
    )
    assert response.status_code == 422
    assert response.json()["code"] == "weak_password"
    assert response.json()["detail"] == detail
    assert response.json()["errors"][0]["field"] == "password"
    users = client.get("/api/v1/users", headers=headers).json()["items"]
    assert "teller" not in [u["username"] for u in users]


def test_demo_accounts_are_still_created_and_log_in(
    client: TestClient, database: Database, clock: FixedClock
) -> None:
    with database.unit_of_work() as session:
        created = seed_identity(session, clock=clock)
    assert {a["username"] for a in created} >= {"bureau", "operator", "buyer", "subject"}
    for demo in created[:3]:
        body = {"username": demo["username"], "password": demo["password"]}
        assert client.post("/api/v1/auth/token", json=body).status_code == 200
