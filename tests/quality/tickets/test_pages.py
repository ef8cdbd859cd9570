"""The ticket pages as a browser sees them: filing, buttons for the allowed actions, the
overdue flag, refusals explained, both languages."""

from __future__ import annotations

import re
from datetime import datetime, timedelta

import pytest
from fastapi.testclient import TestClient

from sluice.core.clock import SHANGHAI, FixedClock
from sluice.core.database import Database
from sluice.core.permissions import Role
from tests.identity.factories import Account, console_login, make_account
from tests.quality.tickets.factories import (
    World,
    file_ticket,
    make_resource,
    make_version,
    make_world,
)


@pytest.fixture
def world(database: Database, clock: FixedClock) -> World:
    return make_world(database, clock)


def _login(client: TestClient, account: Account) -> str:
    client.cookies.clear()
    return console_login(client, account)


def _row(page: str, ticket_id: str) -> str:
    found = re.search(rf'<tr class="[^"]*" data-ticket="{ticket_id}".*?</tr>', page, re.S)
    assert found, page
    return found.group(0)


def test_the_navigation_shows_tickets_to_those_who_may_read_them(
    client: TestClient, database: Database, clock: FixedClock
) -> None:
    for role in (Role.BUREAU, Role.OPERATOR, Role.PROVIDER):
        _login(client, make_account(database, clock, role))
        assert 'href="/console/tickets"' in client.get("/console").text
    _login(client, make_account(database, clock, Role.BUYER))
    assert 'href="/console/tickets"' not in client.get("/console").text
    refused = client.get("/console/tickets")
    assert refused.status_code == 403
    assert "无权执行此操作" in refused.text


def test_an_operator_files_through_the_form_and_sees_the_deadline(
    client: TestClient, database: Database, clock: FixedClock, world: World
) -> None:
    csrf = _login(client, world.operator)
    form = client.get(f"/console/tickets/new?resource_id={world.resource_a}")
    assert form.status_code == 200
    # The resource asked for is already chosen in the picker, named so it can be told apart.
    assert f'name="resource_id" value="{world.resource_a}"' in form.text
    assert re.search(r"已选：[^<]+ · res-\d+ · 市场主体登记信息\d+", form.text)
    assert 'name="csrf_token"' in form.text
    response = client.post(
        "/console/tickets",
        data={
            "csrf_token": csrf,
            "resource_id": str(world.resource_a),
            "target_level": "field",
            "field_name": "phone",
            "row_ref": "",
            "description": "联系电话为空号",
        },
        follow_redirects=False,
    )
    assert response.status_code == 303, response.text
    location = response.headers["location"]
    assert re.fullmatch(r"/console/tickets/[0-9a-f-]{36}\?filed=1", location)
    page = client.get(location).text
    assert "工单已提交，答复期限为 2026-12-03。" in page
    assert "5 个工作日，截至 2026-12-03 当日" in page
    assert "联系电话为空号" in page
    assert "待受理" in page
    assert "您当前无可执行的操作。" in page
    listed = client.get("/console/tickets").text
    assert "联系电话为空号" not in listed  # the list shows the target, not the text
    assert "<code>phone</code>" in listed


def test_a_refused_form_explains_and_keeps_what_was_typed(
    client: TestClient, database: Database, clock: FixedClock, world: World
) -> None:
    csrf = _login(client, world.operator)
    data = {
        "csrf_token": csrf,
        "resource_id": str(world.resource_a),
        "target_level": "field",
        "description": "字段取值有误",
    }
    response = client.post("/console/tickets", data=data)
    assert response.status_code == 422
    assert "字段级工单须填写字段名。" in response.text
    assert "字段取值有误</textarea>" in response.text
    empty = client.post("/console/tickets", data={**data, "description": ""})
    assert empty.status_code == 422
    assert "必填。" in empty.text


def test_the_form_without_the_csrf_token_changes_nothing(
    client: TestClient, database: Database, clock: FixedClock, world: World
) -> None:
    _login(client, world.operator)
    response = client.post(
        "/console/tickets",
        data={"resource_id": str(world.resource_a), "target_level": "dataset", "description": "错"},
    )
    assert response.status_code == 403
    assert "表单校验失败" in response.text
    listed = client.get("/console/tickets").text
    assert "data-ticket=" not in listed
    assert 'data-testid="list-empty"' in listed


def test_the_provider_answers_with_the_buttons_it_is_offered(
    client: TestClient, database: Database, clock: FixedClock, world: World
) -> None:
    ticket = file_ticket(database, clock, world.operator, world.resource_a)
    page_url = f"/console/tickets/{ticket.id}"
    csrf = _login(client, world.provider_a)
    page = client.get(page_url).text
    assert re.findall(r'data-action="(\w+)"', page) == ["acknowledge"]
    response = client.post(
        f"{page_url}/acknowledge",
        data={"csrf_token": csrf, "text": "已转业务处室"},
        follow_redirects=False,
    )
    assert response.status_code == 303
    page = client.get(response.headers["location"]).text
    assert "已完成：受理。" in page
    assert re.findall(r'data-action="(\w+)"', page) == ["fix", "reject"]
    assert "已转业务处室" in page  # the note, in the history
    missing = client.post(f"{page_url}/fix", data={"csrf_token": csrf, "text": ""})
    assert missing.status_code == 422
    assert "请填写答复意见" in missing.text
    # Marking it fixed needs the corrected data: a version made after the ticket was filed.
    clock.advance(timedelta(hours=1))
    make_version(database, clock, world.resource_a)
    page = client.get(page_url).text
    assert "该数据资源已有新的数据版本：第 1 版（2026-11-26 11:00）" in page
    client.post(f"{page_url}/fix", data={"csrf_token": csrf, "text": "已更正电话号码"})
    page = client.get(page_url).text
    assert "已更正电话号码" in page
    assert "按期答复" in page
    assert 'data-testid="ticket-status">已更正' in page
    assert 'data-testid="repair-version">第 1 版' in page
    csrf = _login(client, world.operator)
    page = client.get(page_url).text
    assert re.findall(r'data-action="(\w+)"', page) == ["close"]
    assert "关闭即表示认可提供部门的更正（第 1 版数据）。" in page
    client.post(f"{page_url}/close", data={"csrf_token": csrf, "text": ""})
    assert 'data-testid="ticket-status">已关闭' in client.get(page_url).text


def test_a_refused_action_is_explained_on_the_page(
    client: TestClient, database: Database, clock: FixedClock, world: World
) -> None:
    ticket = file_ticket(database, clock, world.operator, world.resource_a)
    csrf = _login(client, world.operator)
    response = client.post(f"/console/tickets/{ticket.id}/close", data={"csrf_token": csrf})
    assert response.status_code == 409
    assert "此工单尚未答复（待受理），不能关闭" in response.text
    response = client.post(
        f"/console/tickets/{ticket.id}/close",
        data={"csrf_token": csrf},
        headers={"Accept-Language": "en"},
    )
    assert "This ticket has not been answered yet (Open) and cannot be closed" in response.text


def test_another_providers_ticket_page_does_not_exist(
    client: TestClient, database: Database, clock: FixedClock, world: World
) -> None:
    ticket = file_ticket(database, clock, world.operator, world.resource_a)
    csrf = _login(client, world.provider_b)
    assert client.get(f"/console/tickets/{ticket.id}").status_code == 404
    response = client.post(f"/console/tickets/{ticket.id}/acknowledge", data={"csrf_token": csrf})
    assert response.status_code == 404
    assert "纠错工单不存在，或您无权查看。" in response.text


def test_the_overdue_flag_appears_once_the_due_date_has_passed(
    client: TestClient, database: Database, clock: FixedClock, world: World
) -> None:
    late = file_ticket(database, clock, world.operator, world.resource_a)
    answered = file_ticket(database, clock, world.bureau, world.resource_a)
    _login(client, world.provider_a)
    listed = client.get("/console/tickets").text
    assert 'data-overdue="false"' in _row(listed, str(late.id))
    assert 'data-testid="overdue-flag"' not in listed
    # Due Thursday 3 December; on Friday 4 December the provider is one working day late.
    clock.advance(datetime(2026, 12, 4, 9, 0, tzinfo=SHANGHAI) - clock.now())
    csrf = _login(client, world.provider_a)
    for name, text in (("acknowledge", ""), ("reject", "数据与源系统一致")):
        client.post(
            f"/console/tickets/{answered.id}/{name}", data={"csrf_token": csrf, "text": text}
        )
    listed = client.get("/console/tickets").text
    row = _row(listed, str(late.id))
    assert 'class="overdue"' in row
    assert 'data-overdue="true"' in row
    assert "已逾期 1 个工作日" in row
    answered_row = _row(listed, str(answered.id))
    assert 'data-overdue="false"' in answered_row
    assert "逾期答复" in answered_row
    only = client.get("/console/tickets?overdue=1").text
    assert str(late.id) in only and str(answered.id) not in only
    # Monday 7 December: Saturday and Sunday do not count.
    clock.advance(datetime(2026, 12, 7, 9, 0, tzinfo=SHANGHAI) - clock.now())
    _login(client, world.provider_a)
    detail = client.get(f"/console/tickets/{late.id}").text
    assert "已逾期 2 个工作日" in detail
    english = client.get(f"/console/tickets/{late.id}", headers={"Accept-Language": "en"}).text
    assert "2 working day(s) overdue" in english
    assert "5 working days, to the end of 2026-12-03" in english
    english_list = client.get("/console/tickets", headers={"Accept-Language": "en"}).text
    assert "Correction tickets" in english_list
    assert "2 working day(s) overdue" in _row(english_list, str(late.id))


def test_overdue_on_a_weekend_is_flagged_without_a_count(
    client: TestClient, database: Database, clock: FixedClock, world: World
) -> None:
    clock.advance(datetime(2026, 11, 27, 9, 0, tzinfo=SHANGHAI) - clock.now())  # a Friday
    ticket = file_ticket(database, clock, world.operator, world.resource_a)
    assert ticket.due_date.isoformat() == "2026-12-04"
    clock.advance(datetime(2026, 12, 5, 9, 0, tzinfo=SHANGHAI) - clock.now())  # Saturday
    _login(client, world.operator)
    row = _row(client.get("/console/tickets").text, str(ticket.id))
    assert 'data-overdue="true"' in row
    assert 'data-testid="overdue-flag">已逾期</span>' in row


def _picked(client: TestClient, q: str = "") -> str:
    response = client.get("/console/pick/ticket_resources", params={"q": q})
    assert response.status_code == 200
    return response.text


def test_the_picker_offers_only_data_the_filer_may_know_of(
    client: TestClient, database: Database, clock: FixedClock, world: World
) -> None:
    hidden = make_resource(database, clock, world.org(world.provider_b), published=False)
    _login(client, world.provider_a)
    offered = _picked(client)
    assert f'data-pick="{world.resource_b}"' in offered
    assert f'data-pick="{hidden}"' not in offered  # another department's unpublished
    assert f'data-pick="{world.resource_a}"' not in offered  # its own data it corrects directly
    _login(client, world.operator)
    offered = _picked(client)
    assert f'data-pick="{world.resource_a}"' in offered
    assert f'data-pick="{world.resource_b}"' in offered
    assert f'data-pick="{hidden}"' not in offered  # not in the published catalog
    _login(client, world.bureau)
    assert f'data-pick="{hidden}"' in _picked(client)  # the bureau may name any resource
