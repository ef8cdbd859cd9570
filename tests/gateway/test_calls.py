"""The buyer gateway through HTTP: every refusal code with its status, the answer and
nothing else, metering and the call log, signed requests, suspended keys, quotas and
rates, an ending agreement, and a fingerprinted download traced back to its buyer.

One world per module and database (``conftest.py``); each test makes its own buyers, so
their keys, subscriptions and counters are theirs alone."""

from __future__ import annotations

import csv
import io
import json
import os
import random
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import sqlglot
from fastapi.testclient import TestClient
from sqlalchemy import event, func, select
from sqlalchemy.engine import Engine
from sqlglot import exp

from sluice.authorizations import service as authorizations
from sluice.core import change_stamps
from sluice.core.clock import FixedClock
from sluice.core.principal import Principal
from sluice.gateway import repository as gateway_repository
from sluice.gateway import service as gateway
from sluice.gateway.models import Call, MeteredEvent
from sluice.gateway.signing import sign
from sluice.web.app import create_app
from tests.authorizations.factories import terminate_by_two
from tests.gateway.world import LOAN, PLANNING, SCORE_PRICE, VERIFY_PRICE, Buyer, GatewayWorld
from tests.identity.factories import bearer
from tests.sandbox.world import USCC

#: What the test client answers (an httpx response).
Response = Any

INVOKE = "/gateway/v1/products/{code}/invoke"
RATED = {"score": 80, "reasons": [{"code": "rated", "label": "有纳税信用评价"}]}


def invoke(
    client: TestClient,
    buyer: Buyer | None,
    code: str,
    *,
    uscc: str | None = USCC[0],
    consent: uuid.UUID | None = None,
    purpose: str = LOAN,
    headers: dict[str, str] | None = None,
) -> Response:
    body: dict[str, Any] = {"input": {"uscc": uscc} if uscc else {}, "purpose": purpose}
    if consent is not None:
        body["consent_id"] = str(consent)
    sent = {**(buyer.headers if buyer else {}), **(headers or {})}
    return client.post(INVOKE.format(code=code), json=body, headers=sent)


def refused(response: Response, status: int, code: str) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/problem+json"
    problem: dict[str, Any] = response.json()
    assert problem["code"] == code, problem
    return problem


def calls_of(client: TestClient, headers: dict[str, str], **params: str) -> list[dict[str, Any]]:
    found = client.get("/api/v1/gateway/calls", params={"size": "200", **params}, headers=headers)
    assert found.status_code == 200, found.text
    items: list[dict[str, Any]] = found.json()["items"]
    return items


def test_an_answer_holds_the_result_and_request_metadata_only_and_is_metered_and_logged(
    world: GatewayWorld, client: TestClient
) -> None:
    buyer = world.buyer(world.score.code, world.stats.code)
    consent = world.consent(buyer, world.score)
    answered = invoke(client, buyer, world.score.code, consent=consent)
    assert answered.status_code == 200, answered.text
    body = answered.json()
    request_id = body.pop("request_id")
    assert body == {
        "product": world.score.code,
        "result": RATED,
        "metered": {"unit": "call", "quantity": 1, "amount_fen": SCORE_PRICE},
    }
    assert answered.headers["X-Sluice-Request-Id"] == request_id
    # Nothing of the data or the subject beyond the answer: not the code, not its token.
    assert USCC[0] not in answered.text and world.subject_token not in answered.text

    free = invoke(client, buyer, world.stats.code, uscc=None, purpose=PLANNING)
    assert free.status_code == 200, free.text
    assert free.json()["metered"] == {"unit": "call", "quantity": 1, "amount_fen": 0}
    assert free.json()["result"]["suppressed"] == 3  # every district under k = 10

    mine = bearer(client, buyer.account)
    log = calls_of(client, mine)
    # (The test clock stands still: both calls have one time, so compare as sets.)
    assert sorted((c["product_code"], c["outcome"], c["amount_fen"]) for c in log) == sorted(
        [(world.stats.code, "answered", 0), (world.score.code, "answered", SCORE_PRICE)]
    )
    [scored] = [c for c in log if c["product_code"] == world.score.code]
    assert (scored["request_id"], scored["consent_id"]) == (request_id, str(consent))
    assert scored["purpose"] == LOAN

    metering = client.get("/api/v1/gateway/metering", headers=mine).json()
    assert sorted((m["product"], m["events"], m["amount_fen"]) for m in metering) == sorted(
        [("区县企业统计", 1, 0), ("企业信用评分", 1, SCORE_PRICE)]
    )
    # The bureau sees every buyer's calls and totals; another buyer sees none of these.
    bureau = bearer(client, world.city.world.bureau)
    everyone = calls_of(client, bureau, buyer=str(buyer.organization_id))
    assert {c["request_id"] for c in everyone} == {c["request_id"] for c in log}
    totals = client.get("/api/v1/gateway/metering", headers=bureau).json()
    assert {"buyer_id": str(buyer.organization_id), "amount_fen": SCORE_PRICE} in [
        {"buyer_id": t["buyer_id"], "amount_fen": t["amount_fen"]} for t in totals
    ]
    stranger = world.buyer()
    assert calls_of(client, bearer(client, stranger.account)) == []

    # The subject sees the use of its data.
    uses = client.get("/api/v1/consents/my-uses", headers=bearer(client, world.subject_account))
    assert uses.status_code == 200, uses.text
    assert "answered" in uses.text and "企业信用评分" in uses.text


def test_a_verification_answers_match_or_no_match_and_nothing_else(
    world: GatewayWorld, client: TestClient
) -> None:
    """R8.10 through HTTP: the whole body is the answer and the request's metadata."""
    buyer = world.buyer(world.verify.code)
    consent = world.consent(buyer, world.verify)
    answers = []
    for district in ("站前区", "老边区"):  # USCC[0] is registered in 站前区
        body = {"input": {"uscc": USCC[0], "district": district}, "purpose": LOAN}
        sent = {**body, "consent_id": str(consent)}
        response = client.post(
            INVOKE.format(code=world.verify.code), json=sent, headers=buyer.headers
        )
        assert response.status_code == 200, response.text
        answers.append(response.json())
    for answer, result in zip(answers, ("match", "no_match"), strict=True):
        assert set(answer) == {"request_id", "product", "result", "metered"}
        uuid.UUID(answer["request_id"])
        assert answer["product"] == world.verify.code
        assert answer["result"] == {"result": result}
        assert answer["metered"] == {"unit": "call", "quantity": 1, "amount_fen": VERIFY_PRICE}


def test_every_refusal_before_the_product_runs_has_its_code(
    world: GatewayWorld, client: TestClient
) -> None:
    buyer = world.buyer(world.score.code, world.stats.code, world.dataset.code)
    score = world.score.code

    refused(invoke(client, None, score, headers={"X-API-Key": "slk_nobody_x"}), 401, "invalid_key")
    refused(invoke(client, None, score, headers={"X-API-Key": "not-a-key"}), 401, "invalid_key")
    refused(invoke(client, buyer, "no-such-product"), 404, "product_unavailable")
    refused(invoke(client, world.buyer(), score), 403, "not_subscribed")
    refused(invoke(client, buyer, score, purpose="营销"), 403, "purpose_not_allowed")
    problem = refused(invoke(client, buyer, score, uscc="12345"), 422, "input_invalid")
    assert problem["input"] == "uscc"
    refused(invoke(client, buyer, score), 403, "consent_required")
    refused(invoke(client, buyer, score, consent=uuid.uuid4()), 403, "consent_required")
    other_purpose = world.consent(buyer, world.score, purpose="贷后管理")
    refused(invoke(client, buyer, score, consent=other_purpose), 403, "consent_mismatch")
    other_subject = invoke(client, buyer, score, uscc=USCC[1], consent=other_purpose)
    refused(other_subject, 403, "consent_mismatch")
    not_yet = world.consent(buyer, world.score, starts=1)
    refused(invoke(client, buyer, score, consent=not_yet), 403, "consent_expired")
    refused(invoke(client, buyer, world.dataset.code, uscc=None), 422, "wrong_endpoint")
    wrong = client.get(
        f"/gateway/v1/products/{world.stats.code}/download",
        params={"purpose": PLANNING},
        headers=buyer.headers,
    )
    refused(wrong, 422, "wrong_endpoint")

    # A revoked consent refuses the very next call.
    consent = world.consent(buyer, world.score)
    assert invoke(client, buyer, score, consent=consent).status_code == 200
    world.revoke(consent)
    refused(invoke(client, buyer, score, consent=consent), 403, "consent_revoked")

    log = calls_of(client, bearer(client, buyer.account), product=score)
    assert sorted(c["outcome"] for c in log) == sorted(
        [
            "purpose_not_allowed",
            "input_invalid",
            "consent_required",
            "consent_required",
            "consent_mismatch",
            "consent_mismatch",
            "consent_expired",
            "answered",
            "consent_revoked",
        ]
    )
    assert {c["status"] for c in log if c["outcome"] != "answered"} == {403, 422}
    assert all(c["amount_fen"] is None for c in log if c["outcome"] != "answered")
    unknown = calls_of(client, bearer(client, buyer.account), product="no-such-product")
    assert [c["outcome"] for c in unknown] == ["product_unavailable"]


def test_quota_and_rate_refuse_past_their_limits_with_retry_after(
    world: GatewayWorld, client: TestClient, clock: FixedClock
) -> None:
    stats = world.stats.code
    quota = world.buyer(stats, quota_limit=2)
    assert invoke(client, quota, stats, uscc=None, purpose=PLANNING).status_code == 200
    assert invoke(client, quota, stats, uscc=None, purpose=PLANNING).status_code == 200
    over = invoke(client, quota, stats, uscc=None, purpose=PLANNING)
    refused(over, 429, "quota_exceeded")
    # 10:00 in Beijing: the day's quota comes back at midnight, 14 hours on.
    assert over.headers["Retry-After"] == str(14 * 3600)
    listed = client.get("/api/v1/subscriptions", headers=bearer(client, quota.account)).json()
    assert (listed[0]["quota_used"], listed[0]["quota_left"]) == (2, 0)
    clock.advance(timedelta(hours=14))
    assert invoke(client, quota, stats, uscc=None, purpose=PLANNING).status_code == 200

    rate = world.buyer(stats, rate_limit=1)
    assert invoke(client, rate, stats, uscc=None, purpose=PLANNING).status_code == 200
    limited = invoke(client, rate, stats, uscc=None, purpose=PLANNING)
    refused(limited, 429, "rate_limited")
    assert limited.headers["Retry-After"] == "1"
    clock.advance(timedelta(seconds=1))
    assert invoke(client, rate, stats, uscc=None, purpose=PLANNING).status_code == 200

    # A key's own rate holds over all its products.
    tight = world.settings.model_copy(update={"gateway_key_rate_per_second": 2})
    app = create_app(tight, database=world.database, clock=clock)
    both = world.buyer(stats, world.dataset.code)
    with TestClient(app, base_url="http://127.0.0.1") as keyed:
        assert invoke(keyed, both, stats, uscc=None, purpose=PLANNING).status_code == 200
        download = f"/gateway/v1/products/{world.dataset.code}/download"
        fetched = keyed.get(download, params={"purpose": "市场分析"}, headers=both.headers)
        assert fetched.status_code == 200
        third = invoke(keyed, both, stats, uscc=None, purpose=PLANNING)
        problem = refused(third, 429, "rate_limited")
        assert "每个 API 密钥每秒最多调用 2 次" in problem["detail"]

    metered = client.get(
        "/api/v1/gateway/metering",
        params={"since": "2026-11-01T00:00:00+08:00", "until": "2026-12-01T00:00:00+08:00"},
        headers=bearer(client, quota.account),
    ).json()
    assert [m["events"] for m in metered] == [3]  # refused calls are not metered


def test_a_call_that_cannot_be_recorded_answers_settlement_failed_and_is_not_charged(
    world: GatewayWorld, client: TestClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Its metered event cannot be written: the buyer gets no result (an answer leaves only
    once its trace is on disk) but a 503 it may retry, nothing is charged or counted, and
    the call is on the log with its code."""
    stats = world.stats.code
    buyer = world.buyer(stats, quota_limit=1)
    write_metered = gateway_repository.add_metered

    def disk_full(session: Any, values: Any) -> None:
        if values["buyer_id"] == buyer.organization_id:
            raise OSError("No space left on device")
        write_metered(session, values)

    monkeypatch.setattr(gateway_repository, "add_metered", disk_full)
    failed = invoke(client, buyer, stats, uscc=None, purpose=PLANNING)
    problem = refused(failed, 503, "settlement_failed")
    assert "result" not in problem and "不计费" in problem["detail"]
    monkeypatch.undo()

    # The quota of one was not used up by the call that failed.
    assert invoke(client, buyer, stats, uscc=None, purpose=PLANNING).status_code == 200
    log = calls_of(client, bearer(client, buyer.account))
    assert sorted((c["outcome"], c["amount_fen"]) for c in log) == [
        ("answered", 0),
        ("settlement_failed", None),
    ]
    with world.database.unit_of_work() as session:
        metered = session.scalar(
            select(func.count(MeteredEvent.id)).where(
                MeteredEvent.buyer_id == buyer.organization_id
            )
        )
    assert metered == 1


def _signed(
    secret: str, method: str, target: str, body: bytes, *, at: int, nonce: str | None = None
) -> dict[str, str]:
    nonce = nonce or uuid.uuid4().hex
    return {
        "X-Sluice-Timestamp": str(at),
        "X-Sluice-Nonce": nonce,
        "X-Sluice-Signature": sign(secret, method, target, str(at), nonce, body),
    }


def test_signed_requests_pass_and_replays_and_stale_ones_do_not(
    world: GatewayWorld, client: TestClient, clock: FixedClock
) -> None:
    buyer = world.buyer(world.stats.code, world.dataset.code)
    stats = world.stats.code
    path = INVOKE.format(code=stats)
    body = b'{"input": {}, "purpose": "\\u533a\\u57df\\u89c4\\u5212"}'
    now = int(clock.now().timestamp())
    plain = {**buyer.headers, "Content-Type": "application/json"}

    unsigned_key = client.post(
        path, content=body, headers={**plain, **_signed("x", "POST", path, body, at=now)}
    )
    refused(unsigned_key, 401, "signature_invalid")

    owner = bearer(client, buyer.account)
    made = client.post(f"/api/v1/gateway/keys/{buyer.key_id}/signing-secret", headers=owner)
    assert made.status_code == 201, made.text
    secret = made.json()["secret"]
    assert secret.startswith("sls_")
    refused(client.post(path, content=body, headers=plain), 401, "signature_invalid")

    headers = {**plain, **_signed(secret, "POST", path, body, at=now, nonce="nonce-0001")}
    assert client.post(path, content=body, headers=headers).status_code == 200
    refused(client.post(path, content=body, headers=headers), 401, "replay")
    stale = _signed(secret, "POST", path, body, at=now - 301)
    refused(client.post(path, content=body, headers={**plain, **stale}), 401, "replay")
    ahead = _signed(secret, "POST", path, body, at=now + 299)
    assert client.post(path, content=body, headers={**plain, **ahead}).status_code == 200
    tampered = _signed(secret, "POST", path, body.replace(b"}", b', "x": 1}'), at=now)
    refused(
        client.post(path, content=body, headers={**plain, **tampered}), 401, "signature_invalid"
    )
    other_secret = _signed(secret + "x", "POST", path, body, at=now)
    refused(
        client.post(path, content=body, headers={**plain, **other_secret}), 401, "signature_invalid"
    )

    # A download is signed over its path and query, with an empty body.
    market = "%E5%B8%82%E5%9C%BA%E5%88%86%E6%9E%90"  # 市场分析
    target = f"/gateway/v1/products/{world.dataset.code}/download?purpose={market}"
    signed_get = client.get(
        target, headers={**buyer.headers, **_signed(secret, "GET", target, b"", at=now)}
    )
    assert signed_get.status_code == 200, signed_get.text

    removed = client.delete(f"/api/v1/gateway/keys/{buyer.key_id}/signing-secret", headers=owner)
    assert removed.status_code == 204
    assert client.post(path, content=body, headers=plain).status_code == 200
    log = calls_of(client, owner, product=stats)
    outcomes = [c["outcome"] for c in log]
    assert sorted(outcomes) == ["answered"] * 3 + ["replay"] * 2 + ["signature_invalid"] * 4


def _last_used(client: TestClient, owner: dict[str, str], buyer: Buyer) -> str | None:
    keys = client.get("/api/v1/api-keys", headers=owner).json()
    found: str | None = next(k for k in keys if k["id"] == str(buyer.key_id))["last_used_at"]
    return found


def test_a_suspended_key_is_refused_and_last_use_is_written_once_a_minute(
    world: GatewayWorld, client: TestClient, clock: FixedClock
) -> None:
    buyer = world.buyer(world.stats.code)
    owner = bearer(client, buyer.account)
    stats = world.stats.code

    def call() -> Response:
        return invoke(client, buyer, stats, uscc=None, purpose=PLANNING)

    assert call().status_code == 200
    first = _last_used(client, owner, buyer)
    assert first is not None and datetime.fromisoformat(first) == clock.now()
    clock.advance(timedelta(seconds=59))
    assert call().status_code == 200
    assert _last_used(client, owner, buyer) == first
    clock.advance(timedelta(seconds=2))
    assert call().status_code == 200
    assert datetime.fromisoformat(_last_used(client, owner, buyer) or "") == clock.now()

    bureau = bearer(client, world.city.world.bureau)
    url = f"/api/v1/api-keys/{buyer.key_id}"
    short = client.post(f"{url}/suspend", json={"reason": "x"}, headers=bureau)
    assert short.status_code == 422
    suspended = client.post(f"{url}/suspend", json={"reason": "调用异常，疑似泄露"}, headers=bureau)
    assert suspended.status_code == 200, suspended.text
    problem = refused(call(), 403, "key_suspended")
    assert "调用异常，疑似泄露" in problem["detail"]
    # The refusal is on the buyer's call log (R8.8), named like every other refusal.
    logged = calls_of(client, owner, outcome="key_suspended")
    assert [(c["product_code"], c["kind"], c["purpose"], c["status"]) for c in logged] == [
        (stats, "call", PLANNING, 403)
    ]
    # An unknown key has no buyer: it is refused and logged nowhere.
    unknown = {"X-API-Key": buyer.key[:-4] + "zzzz"}
    refused(invoke(client, None, stats, uscc=None, headers=unknown), 401, "invalid_key")
    listed = client.get("/api/v1/api-keys", headers=owner).json()
    assert listed[0]["suspended_reason"] == "调用异常，疑似泄露"
    assert client.post(f"{url}/suspend", json={"reason": "x" * 3}, headers=owner).status_code == 403
    resumed = client.post(f"{url}/resume", json={"reason": "已核实并更换系统"}, headers=bureau)
    assert resumed.status_code == 200 and resumed.json()["suspended_at"] is None
    assert call().status_code == 200

    # The platform's monitoring suspends through the gateway's service (#13).
    with world.database.unit_of_work() as session:
        gateway.suspend_key(
            session,
            key_id=buyer.key_id,
            reason="一分钟内调用失败过多",
            actor=Principal.system("monitor"),
            at=clock.now(),
        )
    refused(call(), 403, "key_suspended")


def test_an_agreement_suspended_refuses_and_one_ended_makes_its_products_unavailable(
    world: GatewayWorld, client: TestClient
) -> None:
    code = world.ending_product.code
    buyer = world.buyer(code)
    bystander = world.buyer(world.stats.code)
    owner = bearer(client, buyer.account)

    def call(who: Buyer = buyer, product: str = code) -> Response:
        return invoke(client, who, product, uscc=None, purpose=PLANNING)

    assert call().status_code == 200
    city, at = world.city, world.clock().now()
    with world.database.unit_of_work() as session:
        authorizations.suspend(
            session,
            actor=world.bureau(),
            at=at,
            authorization_id=world.ending,
            reason="整改期间暂停",
        )
    refused(call(), 403, "authorization_inactive")
    with world.database.unit_of_work() as session:
        authorizations.resume(
            session, actor=world.bureau(), at=at, authorization_id=world.ending, reason="整改完成"
        )
    assert call().status_code == 200
    with world.database.unit_of_work() as session:
        terminate_by_two(
            session,
            city.world,
            clock=world.clock(),
            settings=world.settings,
            authorization_id=world.ending,
            reason="运营机构严重违约",
        )
    refused(call(), 404, "product_unavailable")
    refused(call(world.buyer()), 404, "product_unavailable")
    [subscription] = client.get("/api/v1/subscriptions", headers=owner).json()
    assert (subscription["status"], subscription["end_reason"]) == ("ended", "运营机构严重违约")
    assert call(bystander, world.stats.code).status_code == 200  # other agreements go on


def test_subscriptions_are_made_checked_and_cancelled(
    world: GatewayWorld, client: TestClient
) -> None:
    buyer = world.buyer()
    owner = bearer(client, buyer.account)
    url = "/api/v1/subscriptions"
    made = client.post(url, json={"product_code": world.stats.code}, headers=owner)
    assert made.status_code == 201, made.text
    made_body = made.json()
    assert (made_body["quota_limit"], made_body["quota_period"]) == (100_000, "day")
    assert (made_body["rate_limit"], made_body["rate_period"]) == (50, "second")
    twice = client.post(url, json={"product_code": world.stats.code}, headers=owner)
    assert (twice.status_code, twice.json()["code"]) == (409, "conflict")
    too_much = {"product_code": world.score.code, "rate_limit": 3001, "rate_period": "minute"}
    assert client.post(url, json=too_much, headers=owner).status_code == 422
    monthly = {"product_code": world.score.code, "quota_limit": 3000, "quota_period": "month"}
    assert client.post(url, json=monthly, headers=owner).status_code == 201
    unknown = client.post(url, json={"product_code": "nothing"}, headers=owner)
    assert unknown.status_code == 404
    assert invoke(client, buyer, world.stats.code, uscc=None, purpose=PLANNING).status_code == 200
    cancelled = client.post(f"{url}/{made_body['id']}/cancel", headers=owner)
    assert cancelled.json()["status"] == "cancelled"
    refused(
        invoke(client, buyer, world.stats.code, uscc=None, purpose=PLANNING), 403, "not_subscribed"
    )
    other = bearer(client, world.buyer().account)
    assert client.post(f"{url}/{made_body['id']}/cancel", headers=other).status_code == 404
    again = client.post(url, json={"product_code": world.stats.code}, headers=owner)
    assert again.status_code == 201
    assert invoke(client, buyer, world.stats.code, uscc=None, purpose=PLANNING).status_code == 200


def test_cancelling_and_subscribing_again_does_not_give_back_a_used_quota(
    world: GatewayWorld, client: TestClient
) -> None:
    stats = world.stats.code
    buyer = world.buyer()
    owner = bearer(client, buyer.account)
    url = "/api/v1/subscriptions"
    made = client.post(url, json={"product_code": stats, "quota_limit": 2}, headers=owner)
    assert made.status_code == 201, made.text
    for _ in range(2):
        assert invoke(client, buyer, stats, uscc=None, purpose=PLANNING).status_code == 200
    refused(invoke(client, buyer, stats, uscc=None, purpose=PLANNING), 429, "quota_exceeded")
    cancelled = client.post(f"{url}/{made.json()['id']}/cancel", headers=owner)
    assert cancelled.status_code == 200, cancelled.text
    again = client.post(url, json={"product_code": stats, "quota_limit": 2}, headers=owner)
    assert again.status_code == 201, again.text
    assert (again.json()["quota_used"], again.json()["quota_left"]) == (2, 0)
    refused(invoke(client, buyer, stats, uscc=None, purpose=PLANNING), 429, "quota_exceeded")


@pytest.mark.parametrize(
    ("name", "value"), [("since", "0001-01-01T00:00:00"), ("until", "9999-12-31T23:59:59-12:00")]
)
def test_a_metering_window_at_the_edge_of_the_calendar_is_refused_naming_it(
    world: GatewayWorld, client: TestClient, name: str, value: str
) -> None:
    reader = bearer(client, world.city.world.bureau)
    answer = client.get("/api/v1/gateway/metering", params={name: value}, headers=reader)
    problem = refused(answer, 422, "invalid_input")
    assert problem["errors"] == [{"field": name, "msg": "out of range"}]
    assert name in problem["detail"]


def _leak(content: bytes, seed: int) -> bytes:
    """The file as a leaker passes it on: rows shuffled, two of its 12 dropped, re-saved."""
    header, *rows = list(csv.reader(io.StringIO(content.decode("utf-8-sig"))))
    random.Random(seed).shuffle(rows)
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(header)
    writer.writerows(rows[:-2])
    return out.getvalue().encode()


def test_a_fingerprinted_download_names_its_buyer_when_handed_back(
    world: GatewayWorld, client: TestClient
) -> None:
    code = world.dataset.code
    first, second = world.buyer(code), world.buyer(code)
    files = []
    for buyer in (first, second):
        got = client.get(
            f"/gateway/v1/products/{code}/download",
            params={"purpose": "市场分析"},
            headers=buyer.headers,
        )
        assert got.status_code == 200, got.text
        assert got.headers["X-Sluice-Metered-Quantity"] == "12"  # per item: its 12 rows
        files.append(got.content)
    assert files[0] != files[1]
    bureau = bearer(client, world.city.world.bureau)
    traced = client.post(
        "/api/v1/gateway/trace",
        files={"file": ("leaked.csv", _leak(files[1], 3), "text/csv")},
        headers=bureau,
    )
    assert traced.status_code == 200, traced.text
    found = traced.json()
    assert found["identified"] is True
    assert found["buyer_id"] == str(second.organization_id)
    assert found["api_key_id"] == str(second.key_id)
    nothing = client.post(
        "/api/v1/gateway/trace",
        files={"file": ("other.csv", b"name,founded,firms\nx,2010,1\n", "text/csv")},
        data={"product": code},
        headers=bureau,
    )
    assert nothing.json()["identified"] is False
    downloads = calls_of(client, bearer(client, first.account), kind="download")
    assert [(d["outcome"], d["amount_fen"]) for d in downloads] == [("answered", 0)]


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


@contextmanager
def two_workers(world: GatewayWorld) -> Iterator[str]:
    """The application served by ``uvicorn --workers 2`` (two processes) on this world."""
    port = _free_port()
    root = Path(__file__).resolve().parents[2]
    env = {
        **os.environ,
        "PYTHONPATH": str(root),
        "SLUICE_HOME": str(world.settings.home),
        "SLUICE_DATABASE_URL": world.database.url,
        "SLUICE_TEST_NOW": world.clock().now().isoformat(),
    }
    command = [sys.executable, "-m", "uvicorn", "tests.gateway.server:app", "--factory"]
    command += ["--workers", "2", "--host", "127.0.0.1", "--port", str(port)]
    server = subprocess.Popen(
        [*command, "--log-level", "warning"], cwd=root, env=env, start_new_session=True
    )
    base = f"http://127.0.0.1:{port}"
    try:
        # Two processes importing the whole application: slow on a busy two-core machine.
        deadline = time.monotonic() + 90
        while True:
            try:
                with urllib.request.urlopen(f"{base}/healthz", timeout=1) as ready:  # noqa: S310
                    if ready.status == 200:
                        break
            except OSError:
                if server.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError("the two-worker server did not start") from None
                time.sleep(0.1)
        yield base
    finally:
        server.terminate()
        try:
            server.wait(timeout=10)
        except subprocess.TimeoutExpired:
            os.killpg(server.pid, signal.SIGKILL)  # its own session: the server and workers
            server.wait(timeout=10)


def _post(url: str, key: str, body: bytes) -> tuple[int, str]:
    request = urllib.request.Request(  # noqa: S310 (the test's own loopback server)
        url,
        data=body,
        method="POST",
        headers={"X-API-Key": key, "Content-Type": "application/json"},
    )
    try:
        with urllib.request.urlopen(request, timeout=30) as answer:  # noqa: S310 (loopback)
            return answer.status, "answered"
    except urllib.error.HTTPError as refusal:
        return refusal.code, json.loads(refusal.read())["code"]


@pytest.fixture(scope="module")
def served(world: GatewayWorld) -> Iterator[str]:
    """This module's world served by two processes (PostgreSQL tests only use it)."""
    with two_workers(world) as base:
        yield base


@pytest.mark.postgres
def test_fifty_concurrent_calls_against_a_quota_of_twenty_succeed_exactly_twenty_times(
    world: GatewayWorld, served: str
) -> None:
    """On PostgreSQL, with two server processes: the conditional upsert is all that stands
    between 50 calls at once and a quota of 20."""
    buyer = world.buyer(world.stats.code, quota_limit=20, rate_limit=3000, rate_period="minute")
    url = f"{served}{INVOKE.format(code=world.stats.code)}"
    body = json.dumps({"input": {}, "purpose": PLANNING}).encode()
    with ThreadPoolExecutor(max_workers=50) as pool:
        answers = list(pool.map(lambda _: _post(url, buyer.key, body), range(50)))
    assert sorted(answers).count((200, "answered")) == 20
    assert sorted(answers).count((429, "quota_exceeded")) == 30
    with world.database.unit_of_work() as session:
        metered = session.scalar(
            select(func.count(MeteredEvent.id)).where(
                MeteredEvent.buyer_id == buyer.organization_id
            )
        )
        logged = session.scalar(
            select(func.count(Call.id)).where(Call.buyer_id == buyer.organization_id)
        )
    assert (metered, logged) == (20, 50)


@pytest.mark.postgres
def test_many_buyers_calling_at_once_through_two_workers_are_all_answered_and_logged(
    world: GatewayWorld, served: str
) -> None:
    """Each worker writes the calls waiting together in one transaction; batches of two
    workers name the same buyers' counters in whatever order their calls came, and must
    not deadlock (which failed whole batches of calls whose product had already run)."""
    buyers = [
        world.buyer(world.stats.code, quota_limit=1000, rate_limit=3000, rate_period="minute")
        for _ in range(4)
    ]
    url = f"{served}{INVOKE.format(code=world.stats.code)}"
    body = json.dumps({"input": {}, "purpose": PLANNING}).encode()
    keys = [buyer.key for buyer in buyers] * 50
    random.Random(7).shuffle(keys)
    with ThreadPoolExecutor(max_workers=32) as pool:
        answers = list(pool.map(lambda key: _post(url, key, body), keys))
    assert answers == [(200, "answered")] * len(keys)
    with world.database.unit_of_work() as session:
        logged = session.scalar(
            select(func.count(Call.id)).where(
                Call.buyer_id.in_([b.organization_id for b in buyers]), Call.outcome == "answered"
            )
        )
    assert logged == len(keys)


def test_what_a_call_keeps_between_calls_is_read_from_stamped_tables_only(
    world: GatewayWorld, client: TestClient
) -> None:
    """What the gateway keeps between calls (``core.change_stamps``) is only ever built from
    tables whose writes change a stamp; else a change there would go unseen by the next
    call. Every statement a builder makes is recorded and its tables named."""
    buyer = world.buyer(world.score.code, world.verify.code, world.stats.code)
    consent = world.consent(buyer, world.score)
    verify_consent = world.consent(buyer, world.verify)
    built: list[str] = []

    def record(_c: object, _cur: object, statement: str, *_args: object) -> None:
        if change_stamps.building() is not None:
            built.append(statement)

    def all_calls() -> None:
        answered = [
            invoke(client, buyer, world.score.code, consent=consent),
            invoke(client, buyer, world.stats.code, uscc=None, purpose=PLANNING),
            client.post(
                INVOKE.format(code=world.verify.code),
                json={
                    "input": {"uscc": USCC[0], "district": "站前区"},
                    "purpose": LOAN,
                    "consent_id": str(verify_consent),
                },
                headers=buyer.headers,
            ),
        ]
        assert [r.status_code for r in answered] == [200, 200, 200], [r.text for r in answered]

    change_stamps.forget_all()
    event.listen(Engine, "before_cursor_execute", record)
    try:
        all_calls()
        first = list(built)
        built.clear()
        all_calls()
    finally:
        event.remove(Engine, "before_cursor_execute", record)
    read = {
        table.name
        for statement in first
        for table in sqlglot.parse_one(statement, read="postgres").find_all(exp.Table)
    }
    assert {"products", "gateway_subscriptions", "consents", "dataset_versions"} <= read
    assert read <= change_stamps.WATCHED, read - change_stamps.WATCHED
    assert built == []  # the second round kept everything


def test_a_change_between_two_calls_is_seen_by_the_second(
    world: GatewayWorld, client: TestClient
) -> None:
    """Kept between calls, yet never stale: a revoked consent and
    a cancelled subscription each refuse the call right after, in this process."""
    buyer = world.buyer(world.score.code)
    consent = world.consent(buyer, world.score)
    assert invoke(client, buyer, world.score.code, consent=consent).status_code == 200
    holder = bearer(client, world.subject_account)
    revoked = client.post(f"/api/v1/consents/{consent}/revoke", headers=holder)
    assert revoked.status_code == 200, revoked.text
    refused(invoke(client, buyer, world.score.code, consent=consent), 403, "consent_revoked")

    other = world.buyer(world.score.code)
    granted = world.consent(other, world.score)
    assert invoke(client, other, world.score.code, consent=granted).status_code == 200
    mine = bearer(client, other.account)
    [subscription] = client.get("/api/v1/subscriptions", headers=mine).json()
    cancelled = client.post(f"/api/v1/subscriptions/{subscription['id']}/cancel", headers=mine)
    assert cancelled.status_code == 200, cancelled.text
    refused(invoke(client, other, world.score.code, consent=granted), 403, "not_subscribed")
