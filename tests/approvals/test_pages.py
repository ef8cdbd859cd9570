"""The bureau's approvals page as a browser sees it (N1, R8.3): the requester's own request
waits without buttons, a second person approves or rejects, refusals are explained."""

from __future__ import annotations

import html
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

# What a page shows: SQLite only; its queries are the services' and repositories',
# proven on both databases by this module's neighbours (see tests/conftest.py).
pytestmark = pytest.mark.rendering


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


# --- the list pattern and post/redirect/get (issue 10) ---------------------------------------


def _requests(database: Database, clock: FixedClock, statuses: list[str]) -> list[str]:
    """Requests as they stand in the table, numbered in the order they were asked for."""
    from datetime import timedelta

    from sluice.approvals.models import ApprovalRequest

    labels = []
    now = clock.now()
    with database.unit_of_work() as session:
        for n, status in enumerate(statuses):
            label = f"营数授〔2026〕{n + 1}号"
            labels.append(label)
            target = uuid.uuid4()
            asked = now - timedelta(hours=len(statuses) - n)
            session.add(
                ApprovalRequest(
                    act="authorization.terminate",
                    target_type="authorization",
                    target_id=target,
                    target_label=label,
                    target_link=f"/console/authorizations/{target}",
                    grounds=f"理由{n + 1}",
                    params={},
                    status=status,
                    requested_by="someone",
                    requested_by_name="王建国",
                    requested_at=asked,
                    expires_at=now + timedelta(hours=24),
                    decided_by=None if status == "pending" else "other",
                    decided_by_name=None if status == "pending" else "李敏",
                    decided_via=None if status == "pending" else "approver",
                    decided_at=None if status == "pending" else asked + timedelta(minutes=5),
                )
            )
    return labels


def _labels(html: str) -> list[str]:
    return re.findall(r"营数授〔2026〕\d+号", html)


def test_the_approvals_list_pages_with_waiting_requests_first(
    client: TestClient, database: Database, clock: FixedClock
) -> None:
    from sluice.core.permissions import Role
    from tests.identity.factories import make_account

    statuses = ["approved", "rejected"] * 11 + ["pending"] * 3  # 25, the newest three waiting
    labels = _requests(database, clock, statuses)
    console_login(client, make_account(database, clock, Role.BUREAU))
    first = client.get("/console/approvals")
    shown = _labels(first.text)
    # The three waiting on top (newest first), then the decided ones, newest first.
    assert shown[:3] == labels[24:21:-1]
    assert shown[3:] == labels[21:4:-1]
    assert "第 1–20 条，共 25 条" in _text(first.text)
    second = client.get("/console/approvals?page=2")
    assert _labels(second.text) == labels[4::-1]
    assert "第 21–25 条，共 25 条" in _text(second.text)
    for bad in ("0", "3", "x"):
        assert client.get(f"/console/approvals?page={bad}").status_code == 404
    rejected = client.get("/console/approvals?status=rejected")
    assert "共 11 条" in _text(rejected.text)
    assert 'data-action="approve"' not in rejected.text
    assert rejected.text.count('<span class="tag">已驳回</span>') == 11
    assert '<span class="tag">已批准并执行</span>' not in rejected.text
    searched = client.get("/console/approvals", params={"q": "理由7"})
    assert _labels(searched.text) == [labels[6]]
    other_act = client.get("/console/approvals?act=catalog.batch.withdraw")
    assert "没有符合条件的记录。" in _text(other_act.text)
    only_waiting = client.get("/console/approvals?status=pending").text
    assert _labels(only_waiting) == labels[24:21:-1]


def test_approve_and_reject_redirect_back_to_the_list_as_it_was(
    client: TestClient, database: Database, settings: Settings, world: World, agreement: uuid.UUID
) -> None:
    approval_id = _ask(client, world, agreement)
    csrf = _login(client, world.colleague)
    page = client.get("/console/approvals?status=pending&act=authorization.terminate")
    back = html.unescape(page.text.split('name="back" value="')[1].split('"')[0])
    assert back.startswith("/console/approvals?status=pending&act=authorization.terminate")
    rejected = client.post(
        f"/console/approvals/{approval_id}/reject",
        data={"csrf_token": csrf, "note": "证据不足", "back": back},
        follow_redirects=False,
    )
    assert rejected.status_code == 303
    assert rejected.headers["location"] == f"{back}&done=rejected"
    # A reload of the page it leads to posts nothing again: the request stays rejected.
    again = client.get(rejected.headers["location"])
    assert "已驳回，未做任何改动。" in _text(again.text)
    assert "没有符合条件的记录。" in _text(again.text)  # none waits any more
    assert _status(database, agreement) == "active"
    # An address outside the list is not followed.
    elsewhere = client.post(
        f"/console/approvals/{approval_id}/approve",
        data={"csrf_token": csrf, "back": "https://example.org/"},
        follow_redirects=False,
    )
    assert elsewhere.status_code == 409  # decided already; nothing is carried out


def test_an_impossible_meeting_date_is_said_precisely_next_to_its_field(
    client: TestClient, database: Database, settings: Settings, world: World, agreement: uuid.UUID
) -> None:
    _ask(client, world, agreement)
    csrf = _login(client, world.colleague)
    refused = client.post(
        "/console/decisions",
        data={
            "csrf_token": csrf,
            "act": "authorization.terminate",
            "target_id": str(agreement),
            "meeting": "2026年第15次局务会",
            "held_on": "2026-02-30",
            "participants": "王建国\n李敏\n赵丽",
            "outcome": "approved",
        },
    )
    assert refused.status_code == 422
    field = refused.text.split('name="held_on"')[1].split("</label>")[0]
    assert "2026-02-30 不是有效的日期：2 月没有 30 日。" in field
    assert _status(database, agreement) == "active"
