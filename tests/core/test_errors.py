"""The problem+json envelope is a public contract: pinned here."""

from __future__ import annotations

from fastapi.testclient import TestClient

from sluice.core.errors import Conflict, PermissionDenied, SluiceError
from sluice.core.i18n import MessageRef


def test_envelope_fields_are_exactly_these() -> None:
    body = PermissionDenied(permission=MessageRef("permission.identity.manage")).problem(
        "zh-CN", instance="/api/v1/users"
    )
    assert body == {
        "type": "/problems/permission_denied",
        "title": "无权执行此操作",
        "status": 403,
        "detail": "您的角色不能“管理机构和用户”。如需此项权限，请联系市数据局。",
        "code": "permission_denied",
        "instance": "/api/v1/users",
    }


def test_english_detail_uses_the_same_params() -> None:
    error = Conflict("identity.organization_exists", code="gaj", name="营口市公安局")
    assert error.problem("en")["detail"] == (
        "An organization with code 'gaj' or name '营口市公安局' already exists."
    )
    assert error.code == "conflict"


def test_unknown_message_key_falls_back_to_the_key_not_a_crash() -> None:
    assert SluiceError("no.such.message").detail("en") == "no.such.message"


def test_unknown_api_route_is_a_404_problem(client: TestClient) -> None:
    response = client.get("/api/v1/nothing-here", headers={"Accept-Language": "en"})
    assert response.status_code == 404
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["code"] == "not_found"
    assert response.json()["title"] == "Not found"


def test_wrong_method_is_a_405_problem(client: TestClient) -> None:
    response = client.put("/api/v1/auth/token")
    assert response.status_code == 405
    assert response.json()["code"] == "method_not_allowed"


def test_malformed_json_is_a_422_problem_not_a_500(client: TestClient) -> None:
    response = client.post(
        "/api/v1/auth/token", content=b"{not json", headers={"content-type": "application/json"}
    )
    assert response.status_code == 422
    assert response.json()["code"] == "invalid_input"


def test_problem_types_are_documented_pages(client: TestClient) -> None:
    page = client.get("/problems/permission_denied", headers={"Accept-Language": "en"})
    assert page.status_code == 200
    assert "Permission denied" in page.text
    assert client.get("/problems/made_up_code").status_code == 404


def test_healthz(client: TestClient) -> None:
    assert client.get("/healthz").json() == {"status": "ok"}
