"""Deny by default: every route declares a permission, and the API refuses properly."""

from __future__ import annotations

import re

import pytest
from fastapi import FastAPI
from fastapi.routing import APIRoute
from fastapi.testclient import TestClient

from sluice.core.clock import FixedClock
from sluice.core.database import Database
from sluice.identity.permissions import PERMISSIONS, Permission, Role
from sluice.web.app import API_ROUTERS, PAGE_ROUTERS
from sluice.web.deps import Public, Requires
from tests.identity.factories import bearer, make_account

PUBLIC_API = {("POST", "/api/v1/auth/token")}


def _declared(route: APIRoute) -> list[Requires | Public]:
    found: list[Requires | Public] = []
    stack = [route.dependant]
    while stack:
        dependant = stack.pop()
        if isinstance(dependant.call, Requires | Public):
            found.append(dependant.call)
        stack.extend(dependant.dependencies)
    return found


def _all_routes() -> list[APIRoute]:
    return [
        r
        for router in (*PAGE_ROUTERS, *API_ROUTERS)
        for r in router.routes
        if isinstance(r, APIRoute)
    ]


def test_every_route_declares_exactly_one_permission_or_public() -> None:
    missing = []
    for route in _all_routes():
        kinds = {type(d).__name__ + ":" + str(d.permission) for d in _declared(route)}
        if len(kinds) != 1:
            missing.append(f"{sorted(route.methods)} {route.path}: {sorted(kinds) or 'nothing'}")
    assert missing == []


def test_the_walk_covers_every_route_in_the_openapi_document(app: FastAPI) -> None:
    walked = {(m, r.path) for r in _all_routes() for m in r.methods}
    documented = {
        (method.upper(), path)
        for path, operations in app.openapi()["paths"].items()
        for method in operations
    }
    assert documented <= walked


def test_every_permission_is_granted_to_someone() -> None:
    for permission in Permission:
        if permission is Permission.PUBLIC:
            continue
        assert PERMISSIONS[permission].roles, permission


def _api_routes() -> list[tuple[str, str]]:
    return sorted(
        (method, route.path)
        for router in API_ROUTERS
        for route in router.routes
        if isinstance(route, APIRoute) and route.path.startswith("/api/v1")
        for method in route.methods
        if (method, route.path) not in PUBLIC_API
        and not any(isinstance(d, Public) for d in _declared(route))
    )


def _concrete(path: str) -> str:
    return re.sub(r"\{[^}]+\}", "00000000-0000-0000-0000-000000000000", path)


@pytest.mark.parametrize(("method", "path"), _api_routes())
def test_api_route_without_token_is_401_problem(client: TestClient, method: str, path: str) -> None:
    response = client.request(method, _concrete(path))
    assert response.status_code == 401
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["code"] == "not_authenticated"
    assert response.headers["www-authenticate"].startswith("Bearer")


def test_role_without_permission_gets_403_with_code(
    client: TestClient, database: Database, clock: FixedClock
) -> None:
    """Walk every protected API route with a role that lacks its permission."""
    accounts = {role: bearer(client, make_account(database, clock, role)) for role in Role}
    checked = 0
    for router in API_ROUTERS:
        for route in router.routes:
            if not isinstance(route, APIRoute) or not route.path.startswith("/api/v1"):
                continue
            requires = [d for d in _declared(route) if isinstance(d, Requires)]
            if not requires:
                continue
            granted = PERMISSIONS[requires[0].permission].roles
            outsider = next((r for r in Role if r not in granted), None)
            if outsider is None:
                continue
            for method in route.methods:
                response = client.request(
                    method, _concrete(route.path), headers=accounts[outsider], json={}
                )
                assert response.status_code == 403, (method, route.path, response.text)
                body = response.json()
                assert body["code"] == "permission_denied"
                assert body["status"] == 403
                assert requires[0].permission.value in body["detail"]
                checked += 1
    assert checked >= 7
