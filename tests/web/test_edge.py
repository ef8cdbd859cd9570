"""The edge (R8.3): body limits before authentication, no NUL in text, security headers."""

from __future__ import annotations

import asyncio
import json
import re
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

from fastapi import FastAPI
from fastapi.testclient import TestClient

import sluice.web
from sluice.core.clock import FixedClock
from sluice.core.database import Database
from sluice.core.permissions import Role
from sluice.web.routes import file_routes
from tests.identity.factories import bearer, make_account
from tests.web.asgi import http_scope

TEMPLATES = Path(sluice.web.__file__).parent / "templates"
MB = 1024 * 1024


def _call_without_reading(app: FastAPI, path: str, headers: dict[str, str]) -> tuple[int, bool]:
    """Send only the headers of a request to the ASGI app; report status and whether the
    application ever asked for the body."""
    asked = False
    status = 0

    async def receive() -> dict[str, Any]:
        nonlocal asked
        asked = True
        return {"type": "http.request", "body": b"{}", "more_body": False}

    async def send(message: dict[str, Any]) -> None:
        nonlocal status
        if message["type"] == "http.response.start":
            status = message["status"]

    scope = http_scope(app, "POST", path, headers)
    # In a thread of its own: the browser tests' Playwright keeps an event loop running in
    # the main thread for the whole session.
    with ThreadPoolExecutor(max_workers=1) as pool:
        pool.submit(asyncio.run, app(scope, receive, send)).result()
    return status, asked


def test_an_anonymous_200_mb_body_is_refused_before_it_is_read(app: FastAPI) -> None:
    status, asked = _call_without_reading(
        app,
        "/api/v1/auth/token",
        {"content-type": "application/json", "content-length": str(200 * MB)},
    )
    assert status == 413
    assert asked is False


def test_an_anonymous_upload_to_a_file_route_gets_only_the_small_limit(app: FastAPI) -> None:
    path = "/api/v1/resources/00000000-0000-0000-0000-000000000000/ingestions"
    status, asked = _call_without_reading(
        app,
        path,
        {"content-type": "multipart/form-data; boundary=x", "content-length": str(5 * MB)},
    )
    assert (status, asked) == (413, False)


def test_an_authenticated_upload_may_be_larger(
    app: FastAPI, client: TestClient, database: Database, clock: FixedClock
) -> None:
    account = make_account(database, clock, Role.PROVIDER)
    token = bearer(client, account)["Authorization"]
    path = "/api/v1/resources/00000000-0000-0000-0000-000000000000/ingestions"
    status, _ = _call_without_reading(
        app,
        path,
        {
            "content-type": "multipart/form-data; boundary=x",
            "content-length": str(5 * MB),
            "authorization": token,
        },
    )
    assert status != 413


def test_over_the_limit_is_problem_json_in_the_callers_language(client: TestClient) -> None:
    body = json.dumps({"username": "a" * (2 * MB), "password": "x"})
    response = client.post(
        "/api/v1/auth/token",
        content=body,
        headers={"content-type": "application/json", "accept-language": "en"},
    )
    assert response.status_code == 413
    assert response.headers["content-type"].startswith("application/problem+json")
    problem = response.json()
    assert problem["code"] == "payload_too_large"
    assert "1 MB" in problem["detail"]


def test_a_chunked_body_is_counted_as_it_arrives(client: TestClient) -> None:
    def chunks() -> Any:
        for _ in range(40):
            yield b"x" * 64 * 1024

    response = client.post(
        "/api/v1/auth/token", content=chunks(), headers={"content-type": "application/json"}
    )
    assert response.status_code == 413
    assert response.json()["code"] == "payload_too_large"


def test_nul_characters_are_refused_on_the_anonymous_token_endpoint(client: TestClient) -> None:
    response = client.post("/api/v1/auth/token", json={"username": "bureau\u0000", "password": "x"})
    assert response.status_code == 422
    assert response.json()["code"] == "invalid_input"
    assert "NUL" in response.json()["detail"]


def test_an_escaped_backslash_before_u0000_is_ordinary_text(client: TestClient) -> None:
    response = client.post(
        "/api/v1/auth/token", json={"username": "bureau\\u0000", "password": "x"}
    )
    assert response.status_code == 401  # a wrong login, not a NUL


def test_nul_in_the_query_or_a_form_is_refused(client: TestClient) -> None:
    assert client.get("/catalog?q=%00").status_code == 422
    form = client.post(
        "/login", data={"username": "a\x00", "password": "x"}, follow_redirects=False
    )
    assert form.status_code == 422


def test_the_file_routes_are_exactly_the_upload_routes(app: FastAPI) -> None:
    paths = sorted(r.path for r in file_routes(app))
    assert paths == [
        "/api/v1/gateway/trace",
        "/api/v1/operators/applications/{application_id}/evidence",
        "/api/v1/registrations/applications",
        "/api/v1/resources/{resource_id}/ingestions",
        "/console/authorizations/{authorization_id}/attestation",
        "/console/gateway/trace",
        "/console/operator-application/{application_id}/evidence",
        "/console/registrations/applications",
        "/console/resources/{resource_id}/upload",
    ]


def _assert_hardened(headers: Any) -> None:
    assert headers["x-frame-options"] == "DENY"
    assert "frame-ancestors 'none'" in headers["content-security-policy"]
    assert "script-src 'self'" in headers["content-security-policy"]
    assert (
        "unsafe-inline"
        not in headers["content-security-policy"].split("script-src")[1].split(";")[0]
    )
    assert headers["x-content-type-options"] == "nosniff"
    assert headers["referrer-policy"] == "same-origin"


def test_security_headers_on_pages_api_errors_and_assets(client: TestClient) -> None:
    for path in ("/", "/login", "/catalog", "/api/v1/me", "/no-such-page", "/openapi.json"):
        response = client.get(path, follow_redirects=False)
        _assert_hardened(response.headers)
        assert response.headers["cache-control"] == "no-store", path
    asset = client.get("/static/sluice.css")
    _assert_hardened(asset.headers)
    assert asset.headers.get("cache-control") != "no-store"


def test_templates_carry_no_inline_script() -> None:
    for template in TEMPLATES.rglob("*.html"):
        text = template.read_text()
        inline = re.findall(r"<script(?![^>]*\bsrc=)[^>]*>", text)
        handlers = re.findall(r"\son[a-z]+\s*=", text)
        assert inline == [] and handlers == [], template


def test_huge_numbers_in_list_parameters_are_refused(client: TestClient) -> None:
    for path in (
        "/api/v1/resources?offset=9223372036854775808",
        "/api/v1/resources?limit=9223372036854775808",
        "/api/v1/catalog?batch=9223372036854775808",
    ):
        response = client.get(path)
        assert response.status_code in (401, 422), path
    # A console page number past any list names no page.
    assert client.get("/catalog?page=99999999999999999999").status_code == 404


def test_a_race_past_a_uniqueness_check_is_a_conflict_not_a_server_error(
    client: TestClient, database: Database, clock: FixedClock, monkeypatch: Any
) -> None:
    """Two requests can both pass `organization_clash` before either commits; the loser meets
    the database's unique constraint. Simulated by letting the check miss the clash."""
    from sluice.identity import repository

    headers = bearer(client, make_account(database, clock, Role.BUREAU))
    body = {"code": "race-org", "kind": "buyer", "name": "竞态测试机构"}
    assert client.post("/api/v1/organizations", json=body, headers=headers).status_code == 201
    monkeypatch.setattr(repository, "organization_clash", lambda *a, **k: False)
    second = client.post("/api/v1/organizations", json=body, headers=headers)
    assert second.status_code == 409
    assert second.json()["code"] == "conflict"
