"""Logging in under attack (issue #8, R8.3): refusals that tell nothing, the same argon2 work
on every path, locks per account *and* client address, throttling of password spraying."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import argon2
import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import select, update

from sluice.audit.models import AuditEvent
from sluice.core.clock import FixedClock
from sluice.core.database import Database
from sluice.core.permissions import Role
from sluice.core.settings import Settings
from sluice.identity import passwords
from sluice.identity.models import LoginThrottle, User
from tests.identity.factories import PASSWORD, Account, bearer, make_account

TOKEN = "/api/v1/auth/token"
ADDRESS_A = "198.51.100.7"
ADDRESS_B = "203.0.113.20"
LOCKOUT = 3  # failures of one account from one address
SPRAY = 10  # failures from one address over any accounts


@pytest.fixture
def settings(tmp_path: Path, database: Database) -> Settings:
    return Settings(
        home=tmp_path / "var",
        database_url=database.url,
        lockout_attempts=LOCKOUT,
        address_lockout_attempts=SPRAY,
        lockout_minutes=15,
    )


def _client(app: FastAPI, address: str) -> TestClient:
    return TestClient(app, base_url="http://127.0.0.1", client=(address, 50000))


@pytest.fixture
def from_a(app: FastAPI) -> Iterator[TestClient]:
    with _client(app, ADDRESS_A) as client:
        yield client


@pytest.fixture
def from_b(app: FastAPI) -> Iterator[TestClient]:
    with _client(app, ADDRESS_B) as client:
        yield client


def _login(client: TestClient, username: str, password: str, **headers: str) -> Any:
    return client.post(TOKEN, json={"username": username, "password": password}, headers=headers)


def _fail(client: TestClient, account: Account, times: int) -> None:
    for _ in range(times):
        assert _login(client, account.username, "wrong-password").status_code != 200


def _events(database: Database, action: str) -> list[AuditEvent]:
    with database.unit_of_work() as session:
        query = select(AuditEvent).where(AuditEvent.action == action).order_by(AuditEvent.id)
        return list(session.scalars(query))


def _disable(database: Database, account: Account) -> None:
    with database.unit_of_work() as session:
        session.execute(update(User).where(User.id == account.user_id).values(active=False))


def _answer(response: Any) -> tuple[int, str, str, str]:
    body = response.json()
    return response.status_code, response.headers["content-type"], body["code"], body["detail"]


def test_every_refusal_looks_the_same_whatever_the_true_reason(
    from_a: TestClient, from_b: TestClient, database: Database, clock: FixedClock
) -> None:
    """Unknown, disabled and locked accounts get a wrong password's answer; the log knows."""
    wrong = make_account(database, clock, Role.BUYER)
    locked = make_account(database, clock, Role.OPERATOR)
    disabled = make_account(database, clock, Role.PROVIDER)
    _disable(database, disabled)
    _fail(from_a, locked, LOCKOUT)
    for language in ("zh-CN", "en"):
        asked = {"Accept-Language": language}
        answers = {
            "bad_password": _login(from_b, wrong.username, "wrong-password", **asked),
            "unknown_user": _login(from_b, "no-such-person", PASSWORD, **asked),
            "inactive": _login(from_b, disabled.username, PASSWORD, **asked),
            "locked": _login(from_a, locked.username, PASSWORD, **asked),  # the right password
        }
        shapes = {reason: _answer(r) for reason, r in answers.items()}
        assert len(set(shapes.values())) == 1, shapes
        status, content_type, code, detail = shapes["locked"]
        assert (status, content_type, code) == (
            401,
            "application/problem+json",
            "invalid_credentials",
        )
        assert "lock" not in detail.lower() and "锁定" not in detail
    reasons = [e.detail["reason"] for e in _events(database, "identity.login.failed")]
    assert reasons[LOCKOUT:] == ["bad_password", "unknown_user", "inactive", "locked"] * 2


class _SpyHasher:
    """Stands in for the argon2 hasher, counting verifications and what they verified."""

    def __init__(self, real: argon2.PasswordHasher) -> None:
        self.real = real
        self.verified: list[str] = []

    def verify(self, password_hash: str, password: str) -> bool:
        self.verified.append(password_hash)
        return self.real.verify(password_hash, password)

    def hash(self, password: str) -> str:
        return self.real.hash(password)

    def check_needs_rehash(self, password_hash: str) -> bool:
        return self.real.check_needs_rehash(password_hash)


def test_every_login_attempt_does_the_same_argon2_work(
    app: FastAPI,
    from_a: TestClient,
    database: Database,
    clock: FixedClock,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """One argon2 verification on every path, with the same parameters, so the time a
    refusal takes does not say whether the account exists, is locked or is disabled."""
    real = make_account(database, clock, Role.BUYER)
    locked = make_account(database, clock, Role.OPERATOR)
    disabled = make_account(database, clock, Role.PROVIDER)
    _disable(database, disabled)
    _fail(from_a, locked, LOCKOUT)
    spy = _SpyHasher(passwords._hasher)
    monkeypatch.setattr(passwords, "_hasher", spy)
    attempts = {
        "right password": (real.username, PASSWORD, 200),
        "wrong password": (real.username, "wrong-password", 401),
        "unknown user": ("no-such-person", PASSWORD, 401),
        "unknown user, 150 characters": ("u" * 150, PASSWORD, 401),
        "disabled account": (disabled.username, PASSWORD, 401),
        "locked from this address": (locked.username, PASSWORD, 401),
    }
    parameters = set()
    for name, (username, password, status) in attempts.items():
        spy.verified.clear()
        assert _login(from_a, username, password).status_code == status, name
        assert len(spy.verified) == 1, name
        parameters.add(repr(argon2.extract_parameters(spy.verified[0])))
    assert len(parameters) == 1  # the dummy hash costs what a real one costs
    # An address barred for spraying still pays the same verification.
    for n in range(SPRAY):
        _login(from_a, f"sprayed{n}", "Winter2026!")
    spy.verified.clear()
    throttled = _login(from_a, real.username, PASSWORD)
    assert throttled.status_code == 429
    assert len(spy.verified) == 1


def test_a_lock_holds_for_one_address_and_the_owner_logs_in_from_another(
    client: TestClient,
    from_a: TestClient,
    from_b: TestClient,
    database: Database,
    clock: FixedClock,
) -> None:
    account = make_account(database, clock, Role.BUREAU)
    _fail(from_a, account, LOCKOUT)
    from_b_answer = _login(from_b, account.username, PASSWORD)
    assert from_b_answer.status_code == 200, from_b_answer.text  # the owner, elsewhere
    assert _login(from_a, account.username, PASSWORD).status_code == 401  # locked from A
    (locked,) = _events(database, "identity.login.locked")
    assert locked.target_id == str(account.user_id)
    assert locked.detail["address"] == ADDRESS_A
    headers = {"Authorization": f"Bearer {from_b_answer.json()['access_token']}"}
    users = client.get("/api/v1/users", headers=headers).json()["items"]
    assert {u["username"]: u["locked"] for u in users}[account.username] is True


def test_password_spraying_from_one_address_is_throttled(
    from_a: TestClient, from_b: TestClient, database: Database, clock: FixedClock
) -> None:
    victims = [make_account(database, clock, Role.PROVIDER) for _ in range(3)]
    guesses = [v.username for v in victims] + [f"guess{n}" for n in range(SPRAY - 3)]
    for username in guesses:
        # One guess per account: no account reaches its own lock.
        assert _login(from_a, username, "Winter2026!").status_code == 401
    barred = _login(from_a, victims[0].username, PASSWORD, **{"Accept-Language": "en"})
    assert barred.status_code == 429
    assert barred.json()["code"] == "login_throttled"
    assert barred.json()["detail"] == (
        "Too many failed logins from this network address; try again after 2026-11-26 10:15."
    )
    assert victims[0].username not in barred.text
    assert _login(from_b, victims[0].username, PASSWORD).status_code == 200
    (event,) = _events(database, "identity.login.address_locked")
    assert (event.target_type, event.target_id) == ("address", ADDRESS_A)
    assert event.detail["failures"] == SPRAY


def test_a_success_resets_only_its_own_account_and_address(
    from_a: TestClient, from_b: TestClient, database: Database, clock: FixedClock
) -> None:
    account = make_account(database, clock, Role.OPERATOR)
    _fail(from_a, account, LOCKOUT - 1)
    _fail(from_b, account, LOCKOUT - 1)
    assert _login(from_a, account.username, PASSWORD).status_code == 200
    # From A the count started again: as many failures again do not lock it.
    _fail(from_a, account, LOCKOUT - 1)
    assert _login(from_a, account.username, PASSWORD).status_code == 200
    # From B it did not: one more failure locks the account there.
    _fail(from_b, account, 1)
    assert _login(from_b, account.username, PASSWORD).status_code == 401
    # Nor does a success forgive the address its failures over all accounts.
    failed_from_a = [
        e.detail["address_failures"]
        for e in _events(database, "identity.login.failed")
        if e.detail["address"] == ADDRESS_A
    ]
    assert failed_from_a == list(range(1, 2 * (LOCKOUT - 1) + 1))


def test_locks_end_when_the_clock_moves_on(
    from_a: TestClient, database: Database, clock: FixedClock
) -> None:
    account = make_account(database, clock, Role.FINANCE)
    _fail(from_a, account, LOCKOUT)
    clock.advance(timedelta(minutes=14, seconds=59))
    assert _login(from_a, account.username, PASSWORD).status_code == 401
    clock.advance(timedelta(seconds=1))
    assert _login(from_a, account.username, PASSWORD).status_code == 200
    # The address lock ends the same way.
    for n in range(SPRAY):
        _login(from_a, f"nobody{n}", "Winter2026!")
    assert _login(from_a, account.username, PASSWORD).status_code == 429
    clock.advance(timedelta(minutes=15))
    assert _login(from_a, account.username, PASSWORD).status_code == 200


def test_failures_spread_beyond_the_window_do_not_lock(
    from_a: TestClient, database: Database, clock: FixedClock
) -> None:
    account = make_account(database, clock, Role.PANEL)
    for _ in range(LOCKOUT + 2):
        _fail(from_a, account, 1)
        clock.advance(timedelta(minutes=8))  # two failures per 15-minute window at most
    assert _login(from_a, account.username, PASSWORD).status_code == 200
    assert _events(database, "identity.login.locked") == []
    # Counters whose last failure is older than a window are purged, not kept forever.
    clock.advance(timedelta(hours=1))
    _login(from_a, "someone-else", "x")
    with database.unit_of_work() as session:
        rows = {(r.scope, r.account) for r in session.scalars(select(LoginThrottle))}
    assert rows == {("account", "someone-else"), ("address", "")}


@pytest.mark.parametrize("length", [101, 150])
def test_a_long_unknown_username_is_a_refusal_not_a_server_error(
    client: TestClient, database: Database, clock: FixedClock, length: int
) -> None:
    username = "x" * length
    response = _login(client, username, "whatever-it-is")
    assert response.status_code == 401
    assert response.json()["code"] == "invalid_credentials"
    (event,) = _events(database, "identity.login.failed")
    assert len(event.target_id) <= 100
    assert event.target_id.startswith("x" * 50)
    assert event.detail["target_id"] == username  # the whole text is kept for the auditor
    # Short ids are stored as they always were.
    account = make_account(database, clock, Role.BUREAU)
    bearer(client, account)
    (issued,) = _events(database, "identity.token.issued")
    assert issued.target_id == str(account.user_id)
    assert "target_id" not in issued.detail


def test_an_overlong_username_on_the_login_form_is_a_refusal_not_a_server_error(
    client: TestClient, database: Database
) -> None:
    page = client.get("/login")
    csrf = page.text.split('name="csrf_token" value="')[1].split('"')[0]
    username = "名" * 400
    response = client.post(
        "/login", data={"username": username, "password": "x", "csrf_token": csrf}
    )
    assert response.status_code == 401
    assert "用户名或密码错误。" in response.text
    (event,) = _events(database, "identity.login.failed")
    assert len(event.actor_username) <= 150 and len(event.target_id) <= 100


@pytest.mark.parametrize("database", ["postgresql"], indirect=True)
def test_failures_at_the_same_moment_are_all_counted_and_lock_once(
    database: Database, clock: FixedClock, settings: Settings
) -> None:
    """Workers counting failures for one account and address at once lose none, and wait on
    each other without deadlock while stale counters are purged."""
    import threading

    from sluice.core.errors import InvalidCredentials, SluiceError
    from sluice.identity import service

    account = make_account(database, clock, Role.BUYER)
    others = [make_account(database, clock, Role.BUYER) for _ in range(2)]
    for address in (ADDRESS_A, ADDRESS_B, "192.0.2.1", "192.0.2.2"):  # soon stale
        with contextlib.suppress(SluiceError), database.unit_of_work() as session:
            service.authenticate(
                session,
                clock=clock,
                settings=settings,
                username=account.username,
                password="wrong-password",
                address=address,
            )
    clock.advance(timedelta(hours=1))
    names = [account.username] * 6 + [o.username for o in others]
    start = threading.Barrier(len(names))
    errors: list[BaseException] = []

    def attempt(username: str) -> None:
        start.wait()
        try:
            with database.unit_of_work() as session:
                service.authenticate(
                    session,
                    clock=clock,
                    settings=settings,
                    username=username,
                    password="wrong-password",
                    address=ADDRESS_A,
                )
        except InvalidCredentials:
            pass
        except BaseException as error:  # reported below
            errors.append(error)

    threads = [threading.Thread(target=attempt, args=(name,)) for name in names]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    now_failed = [
        e for e in _events(database, "identity.login.failed") if e.occurred_at == clock.now()
    ]
    assert len(now_failed) == len(names)
    assert sorted(e.detail["address_failures"] for e in now_failed) == list(range(1, 9))
    (locked,) = _events(database, "identity.login.locked")
    assert locked.detail["address"] == ADDRESS_A
    with database.unit_of_work() as session:
        rows = {(r.scope, r.account, r.address) for r in session.scalars(select(LoginThrottle))}
    assert ("account", account.username, ADDRESS_B) not in rows  # stale, purged
    assert ("account", account.username, ADDRESS_A) in rows
