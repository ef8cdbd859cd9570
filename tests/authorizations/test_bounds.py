"""Refusals people can read instead of server errors, and what a non-party cannot see:
a year-7325 deadline, a version number past 2**63, the PDF a server without Chinese fonts
cannot make, another operator's agreement (R8.1)."""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from fastapi.testclient import TestClient

from sluice.authorizations import document_service, repository, service
from sluice.core.clock import FixedClock
from sluice.core.database import Database
from sluice.core.errors import NotFound
from sluice.core.permissions import OrgKind, Role
from sluice.core.principal import Principal
from sluice.core.printing import PdfFontsMissing
from sluice.core.settings import Settings
from tests.authorizations.factories import World, active_authorization, make_world
from tests.identity.factories import bearer, console_login

PROBLEM = "application/problem+json"
FAR = "7325-06-01"
HUGE = 2**63


@pytest.fixture
def world(database: Database, clock: FixedClock, settings: Settings) -> World:
    return make_world(database, clock, settings)


@pytest.fixture
def agreement(database: Database, clock: FixedClock, settings: Settings, world: World) -> uuid.UUID:
    return active_authorization(database, clock, settings, world)


def _problem(response: Any, status: int, code: str) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == PROBLEM
    body: dict[str, Any] = response.json()
    assert body["code"] == code
    return body


def _date_refused(response: Any, field: str) -> None:
    body = _problem(response, 422, "invalid_input")
    [error] = [e for e in body["errors"] if e["field"] == field]
    assert error["type"] == "date_out_of_range"
    assert error["message"] == "日期须在 1900-01-01 至 2099-12-31 之间。"


def test_dates_far_outside_any_plausible_range_are_refused_on_every_form(
    client: TestClient, database: Database, world: World, agreement: uuid.UUID
) -> None:
    bureau, operator = bearer(client, world.bureau), bearer(client, world.operator)
    url = f"/api/v1/authorizations/{agreement}"
    order = client.post(
        f"{url}/rectifications",
        json={"grounds": "breach", "description": "未披露", "deadline": FAR},
        headers=bureau,
    )
    _date_refused(order, "deadline")
    letter = "因公司战略调整，申请退出本场景授权运营。"
    _date_refused(
        client.post(f"{url}/exits", json={"letter": letter, "exit_date": FAR}, headers=operator),
        "exit_date",
    )
    minutes = {"meeting": "局务会", "participants": ["甲", "乙", "丙"], "outcome": "approved"}
    _date_refused(
        client.post(f"{url}/renew", json={**minutes, "held_on": FAR}, headers=bureau), "held_on"
    )
    _date_refused(
        client.post(
            f"/api/v1/plans/{world.plan_id}/decision",
            json={**minutes, "held_on": FAR},
            headers=bureau,
        ),
        "held_on",
    )
    matter = {"act": "authorization.terminate", "target_id": str(agreement)}
    _date_refused(
        client.post(
            "/api/v1/decisions", json={**minutes, **matter, "held_on": FAR}, headers=bureau
        ),
        "held_on",
    )
    with database.unit_of_work() as session:
        assert repository.rectifications(session, agreement) == []


def test_the_console_shows_the_date_rule_instead_of_a_server_error(
    client: TestClient, database: Database, world: World, agreement: uuid.UUID
) -> None:
    csrf = console_login(client, world.bureau)
    page = client.post(
        f"/console/authorizations/{agreement}/rectifications",
        data={"csrf_token": csrf, "grounds": "breach", "description": "未披露", "deadline": FAR},
    )
    assert page.status_code == 422
    assert "日期须在 1900-01-01 至 2099-12-31 之间。" in page.text
    assert "未披露" in page.text  # what was typed is kept


def test_a_version_past_any_integer_column_is_a_clear_refusal_not_a_server_error(
    client: TestClient, database: Database, world: World, agreement: uuid.UUID
) -> None:
    bureau = bearer(client, world.bureau)
    for suffix in ("document.html", "document.pdf"):
        for version in (HUGE, 0, -1):
            response = client.get(
                f"/api/v1/authorizations/{agreement}/{suffix}?version={version}", headers=bureau
            )
            _problem(response, 422, "invalid_input")
    missing = client.get(
        f"/api/v1/authorizations/{agreement}/document.html?version=2", headers=bureau
    )
    assert _problem(missing, 404, "not_found")["detail"] == "该协议没有第 2 版。"
    console_login(client, world.bureau)
    page = client.get(f"/console/authorizations/{agreement}/document.pdf?version={HUGE}")
    assert page.status_code == 404  # a console address naming no version names nothing
    assert "text/html" in page.headers["content-type"]
    # Below the edge, the document itself never asks the database for such a version.
    with database.unit_of_work() as session:
        found = repository.authorization(session, agreement)
        assert found is not None
        reader = world.bureau_principal()
        for version in (HUGE, 0, -5, 2):
            with pytest.raises(NotFound) as refused:
                document_service.document_for(
                    session, reader, found, version=version, locale="zh-CN"
                )
            assert refused.value.message_key == "authz.version_not_found"
        assert (
            document_service.document_for(session, reader, found, version=None, locale="en").version
            == 1
        )


@pytest.mark.rendering
def test_without_chinese_fonts_the_console_explains_and_links_to_the_html(
    client: TestClient,
    database: Database,
    world: World,
    agreement: uuid.UUID,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    def no_fonts(*args: object, **kwargs: object) -> bytes:
        raise PdfFontsMissing(fonts="Noto Sans CJK SC / Noto Serif CJK SC")

    monkeypatch.setattr(document_service, "render_pdf", no_fonts)
    console_login(client, world.bureau)
    detail = client.get(f"/console/authorizations/{agreement}").text
    assert f'href="/console/authorizations/{agreement}/document.pdf"' in detail
    page = client.get(f"/console/authorizations/{agreement}/document.pdf")
    assert page.status_code == 503
    assert page.headers["content-type"].startswith("text/html")
    assert "暂时无法生成 PDF" in page.text
    assert f'href="/api/v1/authorizations/{agreement}/document.html"' in page.text
    assert '"code"' not in page.text  # a page for people, not the JSON problem
    # The API keeps its problem+json for machines.
    api = client.get(
        f"/api/v1/authorizations/{agreement}/document.pdf", headers=bearer(client, world.bureau)
    )
    assert _problem(api, 503, "pdf_fonts_missing")["detail"].startswith("服务器未安装中文字体")


def test_another_operators_agreement_does_not_exist_for_it(
    client: TestClient,
    database: Database,
    clock: FixedClock,
    settings: Settings,
    world: World,
    agreement: uuid.UUID,
) -> None:
    other = bearer(client, world.other_operator)
    url = f"/api/v1/authorizations/{agreement}"
    for response in (
        client.get(url, headers=other),
        client.post(f"{url}/sign", headers=other),
        client.get(f"{url}/document.html", headers=other),
        client.post(
            f"{url}/exits",
            json={"letter": "因公司战略调整，申请退出本场景。", "exit_date": "2027-06-01"},
            headers=other,
        ),
    ):
        body = _problem(response, 404, "not_found")
        assert "营数授" not in body["detail"]
    # Whoever is not a party cannot sign either, and is told nothing exists: another
    # operator, and even one who may read every agreement (the registry) but is no party.
    reader_not_party = Principal(
        username="registry-signer",
        via="session",
        organization_id=uuid.uuid4(),
        organization_kind=OrgKind.REGISTRY,
        roles=frozenset({Role.REGISTRY, Role.OPERATOR}),
    )
    for actor in (world.operator_principal(world.other_operator), reader_not_party):
        with database.unit_of_work() as session, pytest.raises(NotFound):
            service.sign(
                session,
                actor=actor,
                settings=settings,
                at=clock.now(),
                authorization_id=agreement,
            )
    with database.unit_of_work() as session:
        assert repository.signatures(session, agreement, 1) != []
        assert len(repository.signatures(session, agreement, 1)) == 2
