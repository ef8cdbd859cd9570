"""The registration console and public pages as their readers see them: the operator's form
with a material, the registry's queue with deadlines and the overdue mark, the decisions, the
public notice with the real-name objection form, the certificate (HTML with its QR code, and
PDF) and the public verification page, valid and then cancelled."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import timedelta

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from sluice.core.clock import FixedClock
from sluice.registration import service
from sluice.web.app import create_app
from tests.identity.factories import Account, console_login
from tests.registration import kind
from tests.registration.world import World, at

pytestmark = pytest.mark.rendering


@pytest.fixture(scope="module")
def clock(world: World) -> FixedClock:
    return at("2026-11-02 10:00")


@pytest.fixture(scope="module")
def app(world: World, clock: FixedClock) -> FastAPI:
    return create_app(world.settings, database=world.database, clock=clock)


class Browser:
    """One person's console session: a client with its cookie and CSRF token."""

    def __init__(self, app: FastAPI, account: Account | None) -> None:
        self.client = TestClient(app, base_url="http://127.0.0.1")
        self.account = account
        self.login()

    def login(self) -> None:
        """Log in (again: a console session lasts hours, and the tests move days)."""
        self.client.cookies.clear()
        self.csrf = console_login(self.client, self.account) if self.account else ""

    def get(self, url: str) -> object:
        return self.client.get(url, follow_redirects=False)

    def post(self, url: str, data: dict[str, str], **kw: object) -> object:
        return self.client.post(
            url, data={**data, "csrf_token": self.csrf}, follow_redirects=False, **kw
        )


@pytest.fixture(scope="module")
def people(app: FastAPI, world: World) -> Iterator[dict[str, Browser]]:
    made = {
        "operator": Browser(app, world.operator),
        "registry": Browser(app, world.registry),
        "buyer": Browser(app, world.buyer),
        "public": Browser(app, None),
    }
    yield made
    for browser in made.values():
        browser.client.close()


def _text(response: object) -> str:
    return response.text  # type: ignore[attr-defined,no-any-return]


def test_a_registration_through_the_console_and_its_public_pages(
    world: World, people: dict[str, Browser], clock: FixedClock
) -> None:
    operator, registry, buyer, public = (
        people["operator"],
        people["registry"],
        people["buyer"],
        people["public"],
    )
    subject = world.subject("营口港集装箱吞吐量统计")
    form = operator.get("/console/registrations/new")
    assert 'data-testid="apply-form"' in _text(form) and "测试资产" in _text(form)
    filed = operator.post(
        "/console/registrations/applications",
        {"kind": kind.KIND, "type": "first", "reference": subject.reference},
        files=[("materials", ("说明.txt", "吞吐量按月统计".encode(), "text/plain"))],
    )
    assert filed.status_code == 303, _text(filed)  # type: ignore[attr-defined]
    page_url = filed.headers["location"].split("?")[0]  # type: ignore[attr-defined]
    page = _text(operator.get(filed.headers["location"]))  # type: ignore[attr-defined]
    assert "申请已提交，等待登记机构受理。" in page
    assert 'data-status="applied"' in page and "受理期限 2026-11-05" in page
    assert "说明.txt" in page and 'data-testid="evidence-intact"' in page
    refused = operator.post(
        "/console/registrations/applications",
        {"kind": kind.KIND, "type": "first", "reference": subject.reference},
    )
    assert refused.status_code == 409  # type: ignore[attr-defined]
    assert 'data-code="registration_in_progress"' in _text(refused)

    # Four working days on: the registry's queue marks it one working day late.
    clock.advance(timedelta(days=4))
    for browser in people.values():
        browser.login()
    queue = _text(registry.get("/console/registrations?status=open&sort=due"))
    row = queue.split(f'data-application="{page_url.rsplit("/", 1)[1]}"')[1].split("</tr>")[0]
    assert 'data-testid="overdue" data-late-by="1"' in row and "已逾期 1 个工作日" in row
    home = _text(registry.get("/console"))
    assert "待办理：" in home and "项登记申请" in home

    assert registry.post(page_url + "/decide", {"action": "accept"}).status_code == 303  # type: ignore[attr-defined]
    no_reason = registry.post(page_url + "/decide", {"action": "refuse", "reason": ""})
    assert no_reason.status_code == 422  # type: ignore[attr-defined]
    assert "请写明理由（至少 2 个字）。" in _text(no_reason)
    assert registry.post(page_url + "/decide", {"action": "pass"}).status_code == 303  # type: ignore[attr-defined]

    anonymous = _text(public.get("/registry/notices"))
    assert "营口港集装箱吞吐量统计" in anonymous and 'data-testid="login-to-object"' in anonymous
    application_id = page_url.rsplit("/", 1)[1]
    objected = buyer.post(
        f"/registry/notices/{application_id}/objections",
        {"grounds": "统计口径未说明是否含内贸箱。"},
    )
    assert objected.status_code == 303  # type: ignore[attr-defined]
    seen_by_registry = _text(registry.get(page_url))
    assert 'data-testid="objector"' in seen_by_registry and "测试buyer" in seen_by_registry
    seen_by_operator = _text(operator.get(page_url))
    assert "测试buyer" not in seen_by_operator and "仅登记机构可见" in seen_by_operator
    assert "测试buyer" not in _text(public.get("/registry/notices"))
    objection_id = re.search(r'data-objection="([0-9a-f-]+)"', seen_by_registry).group(1)  # type: ignore[union-attr]
    dismissed = registry.post(
        f"/console/registrations/objections/{objection_id}/decide",
        {
            "decision": "dismiss",
            "reason": "说明中已写明含内贸箱。",
            "application_id": application_id,
        },
    )
    assert dismissed.status_code == 303  # type: ignore[attr-defined]
    clock.advance(timedelta(days=20))
    for browser in people.values():
        browser.login()
    issued = registry.post(page_url + "/decide", {"action": "issue"})
    assert issued.status_code == 303  # type: ignore[attr-defined]
    detail = _text(registry.get(page_url))
    registration_url = re.search(
        r'href="(/console/registrations/register/[0-9a-f-]+)"', detail
    ).group(1)  # type: ignore[union-attr]

    registration = _text(operator.get(registration_url))
    code = re.search(r'data-testid="registration-code">([A-Z0-9-]+)<', registration).group(1)  # type: ignore[union-attr]
    assert 'data-standing="in_force"' in registration
    certificate = _text(operator.get(registration_url + "/certificate.html"))
    assert code in certificate and "<svg" in certificate and "qr-code" in certificate
    assert f"/registry/verify/{code}" in certificate and "营口港集装箱吞吐量统计" in certificate
    pdf = operator.get(registration_url + "/certificate.pdf")
    assert pdf.content.startswith(b"%PDF")  # type: ignore[attr-defined]
    assert people["public"].get(registration_url).status_code == 303  # type: ignore[attr-defined]

    check = _text(public.get(f"/registry/verify/{code}"))
    assert 'data-testid="signature-valid"' in check and "签名有效" in check
    assert 'data-standing="in_force"' in check and "测试operator" in check
    with world.database.unit_of_work() as session:
        found = service.current(session, kind=kind.KIND, subject_id=subject.id, at=clock.now())
        assert found is not None
        cancel = service.apply(
            session,
            actor=world.p(world.operator),
            settings=world.settings,
            at=clock.now(),
            kind=kind.KIND,
            subject_id=subject.id,
            type=service.CANCELLATION,
            statement="产品停止运营",
        )
        for action in ("accept", "pass"):
            service.decide(
                session,
                actor=world.p(world.registry),
                settings=world.settings,
                at=clock.now(),
                application_id=cancel.id,
                action=action,
            )
    check = _text(public.get(f"/registry/verify/{code}"))
    assert 'data-standing="cancelled"' in check and "已注销" in check
    assert 'data-testid="signature-valid"' in check
    assert public.get("/registry/verify/YK-TA-2026-999999").status_code == 404  # type: ignore[attr-defined]
