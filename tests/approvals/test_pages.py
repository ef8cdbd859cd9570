"""The bureau's approvals page as a browser sees it (N1, R8.3): the requester's own request
waits without buttons, a second person approves or rejects, refusals are explained."""

from __future__ import annotations

import re
import uuid

import pytest
from fastapi.testclient import TestClient

from sluice.authorizations import repository
from sluice.core.clock import FixedClock
from sluice.core.database import Database
from sluice.core.settings import Settings
from sluice.dataplane import derived
from tests.authorizations.factories import World, active_authorization, make_world
from tests.identity.factories import Account, console_login


@pytest.fixture
def world(database: Database, clock: FixedClock, settings: Settings) -> World:
    return make_world(database, clock, settings)


@pytest.fixture
def agreement(database: Database, clock: FixedClock, settings: Settings, world: World) -> uuid.UUID:
    authorization_id = active_authorization(database, clock, settings, world)
    derived.write(settings, authorization_id, "scores.parquet", b"scores")
    return authorization_id


def _login(client: TestClient, account: Account) -> str:
    client.cookies.clear()
    return console_login(client, account)


def _text(html: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


def _status(database: Database, authorization_id: uuid.UUID) -> str:
    with database.unit_of_work() as session:
        found = repository.authorization(session, authorization_id)
        assert found is not None
        return found.status


def _ask(client: TestClient, world: World, authorization_id: uuid.UUID) -> str:
    csrf = _login(client, world.bureau)
    asked = client.post(
        f"/console/authorizations/{authorization_id}/terminate",
        data={"csrf_token": csrf, "reason": "发生重大数据安全事件"},
        follow_redirects=False,
    )
    assert asked.status_code == 303, asked.text
    found = re.search(r'data-approval="([0-9a-f-]{36})"', client.get("/console/approvals").text)
    assert found is not None
    return found.group(1)


def test_the_requester_sees_their_request_wait_and_cannot_approve_it(
    client: TestClient, database: Database, settings: Settings, world: World, agreement: uuid.UUID
) -> None:
    approval_id = _ask(client, world, agreement)
    page = client.get("/console/approvals")
    text = _text(page.text)
    assert "待审批事项" in text  # in the navigation
    assert "终止授权运营协议 · 营数授〔2026〕1号 普惠金融" in text
    assert "发生重大数据安全事件" in text
    assert 'data-testid="own-request"' in page.text
    assert 'data-action="approve"' not in page.text  # no button for one's own request
    detail = _text(client.get(f"/console/authorizations/{agreement}").text)
    assert "待审批的不可逆操作" in detail and "生效中" in detail

    csrf = page.text.split('name="csrf_token" value="')[1].split('"')[0]
    forced = client.post(f"/console/approvals/{approval_id}/approve", data={"csrf_token": csrf})
    assert forced.status_code == 403
    assert "申请人不能审批自己的申请" in forced.text
    assert _status(database, agreement) == "active"
    assert derived.read(settings, agreement, "scores.parquet") == b"scores"


def test_a_second_person_approves_on_the_page_and_the_agreement_ends(
    client: TestClient, database: Database, settings: Settings, world: World, agreement: uuid.UUID
) -> None:
    approval_id = _ask(client, world, agreement)
    csrf = _login(client, world.colleague)
    page = client.get("/console/approvals")
    assert 'data-action="approve"' in page.text
    assert f'href="/console/authorizations/{agreement}"' in page.text  # links to the agreement
    approved = client.post(
        f"/console/approvals/{approval_id}/approve",
        data={"csrf_token": csrf, "note": "同意"},
        follow_redirects=False,
    )
    assert approved.status_code == 303
    text = _text(client.get(approved.headers["location"]).text)
    assert "已批准，操作已执行。" in text
    assert "已批准并执行" in text and "第二人审批" in text
    assert _status(database, agreement) == "terminated"


def test_a_rejection_needs_a_reason_and_then_changes_nothing(
    client: TestClient, database: Database, settings: Settings, world: World, agreement: uuid.UUID
) -> None:
    approval_id = _ask(client, world, agreement)
    csrf = _login(client, world.colleague)
    blank = client.post(f"/console/approvals/{approval_id}/reject", data={"csrf_token": csrf})
    assert blank.status_code == 422
    assert "至少 2 个字符" in blank.text
    rejected = client.post(
        f"/console/approvals/{approval_id}/reject",
        data={"csrf_token": csrf, "note": "证据不足"},
        follow_redirects=False,
    )
    assert rejected.status_code == 303
    text = _text(client.get(rejected.headers["location"]).text)
    assert "已驳回，未做任何改动。" in text and "证据不足" in text
    assert _status(database, agreement) == "active"
    assert derived.read(settings, agreement, "scores.parquet") == b"scores"


def test_a_collective_decision_recorded_by_someone_else_on_the_page_carries_it_out(
    client: TestClient, database: Database, settings: Settings, world: World, agreement: uuid.UUID
) -> None:
    _ask(client, world, agreement)
    minutes = {
        "act": "authorization.terminate",
        "target_id": str(agreement),
        "meeting": "2026年第15次局务会",
        "held_on": "2026-11-25",
        "participants": "王建国\n李敏\n赵丽",
        "outcome": "approved",
    }
    csrf = _login(client, world.bureau)  # the requester records it: not a second person
    own = client.post("/console/decisions", data={"csrf_token": csrf, **minutes})
    assert own.status_code == 200 and "已记录集体决策。" in own.text
    assert _status(database, agreement) == "active"
    bad = client.post(
        "/console/decisions", data={"csrf_token": csrf, **minutes, "participants": "王建国"}
    )
    assert bad.status_code == 422
    assert "请填写至少 3 名不重复的参会人员" in bad.text
    csrf = _login(client, world.colleague)
    done = client.post("/console/decisions", data={"csrf_token": csrf, **minutes})
    assert done.status_code == 200
    assert _status(database, agreement) == "terminated"


def test_a_failed_check_on_the_console_is_a_request_until_a_second_person_approves(
    client: TestClient, database: Database, settings: Settings, world: World, agreement: uuid.UUID
) -> None:
    url = f"/console/authorizations/{agreement}"
    csrf = _login(client, world.bureau)
    client.post(
        f"{url}/rectifications",
        data={
            "csrf_token": csrf,
            "grounds": "breach",
            "description": "未按期报送运营报告",
            "deadline": "2026-12-31",
        },
    )
    found = re.search(r'data-order="([0-9a-f-]{36})"', client.get(url).text)
    assert found is not None
    order = found.group(1)
    csrf = _login(client, world.operator)
    client.post(
        f"{url}/rectifications/{order}/report", data={"csrf_token": csrf, "report": "已补报"}
    )
    csrf = _login(client, world.bureau)
    failed = client.post(
        f"{url}/rectifications/{order}/check",
        data={"csrf_token": csrf, "passed": "0", "note": "报告内容不完整"},
        follow_redirects=False,
    )
    assert failed.status_code == 303
    page = client.get(failed.headers["location"]).text
    text = _text(page)
    assert "“不合格”的验收意见已提交审批" in text
    assert "已报告待验收" in text and "生效中" in text
    assert f"/rectifications/{order}/check" not in page  # no second verdict while it waits
    csrf = _login(client, world.colleague)
    listed = client.get("/console/approvals").text
    approval = re.search(r'data-approval="([0-9a-f-]{36})" data-act="exit.force"', listed)
    assert approval is not None
    client.post(f"/console/approvals/{approval.group(1)}/approve", data={"csrf_token": csrf})
    assert _status(database, agreement) == "terminated"
