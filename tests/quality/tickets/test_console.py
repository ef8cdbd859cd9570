"""The tickets console at city size: a picker that reaches every resource a filer may name
(and none it may not), a list that pages, sorts, filters and searches, every error of the
form in one round, and 督办 — the bureau chasing a provider on an overdue ticket."""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import insert, select

from sluice.audit.models import AuditEvent
from sluice.catalog.models import CatalogBatch, CatalogEntry, DataResource
from sluice.core.clock import SHANGHAI, FixedClock
from sluice.core.database import Database
from sluice.core.permissions import Role
from sluice.identity.models import Organization
from sluice.quality.tickets.models import TicketUrging
from tests.identity.factories import Account, bearer, console_login, make_account
from tests.quality.tickets.factories import (
    World,
    file_ticket,
    make_resource,
    make_version,
    make_world,
)

# What a page shows: SQLite only; its queries are the services' and repositories',
# proven on both databases by this module's neighbours (see tests/conftest.py).
pytestmark = pytest.mark.rendering

#: The city's data sources, and what each publishes: enough that a list capped at 2,000
#: (the old dropdown) misses whole providers.
SOURCES = 31
PER_SOURCE = 70
#: The three the demo's own tickets are about, held by providers whose codes sort last.
NAMED = {
    "rsj": ("市人力资源和社会保障局", "social_insurance", "社会保险缴费记录"),
    "scjgj": ("市市场监督管理局", "enterprises", "企业登记信息"),
    "water": ("市水务集团", "water_bills", "用水缴费记录"),
}


@dataclass(frozen=True)
class City:
    providers: dict[str, uuid.UUID]  # code -> organization id
    named: dict[str, uuid.UUID]  # title -> resource id
    unpublished: uuid.UUID
    total: int


def _bulk_city(database: Database, clock: FixedClock) -> City:
    """31 sources with 70 published resources each (and the three named ones), written in
    bulk: the catalog's own rules are not what these tests are about."""
    now = clock.now()
    orgs: list[dict[str, object]] = []
    resources: list[dict[str, object]] = []
    entries: list[dict[str, object]] = []
    batch_id = uuid.uuid4()
    providers: dict[str, uuid.UUID] = {}
    for n in range(1, SOURCES - len(NAMED) + 1):
        code = f"a{n:02d}"
        providers[code] = uuid.uuid4()
        orgs.append({"id": providers[code], "code": code, "name": f"数据源{n:02d}局"})
    for code, (name, _, _) in NAMED.items():
        providers[code] = uuid.uuid4()
        orgs.append({"id": providers[code], "code": code, "name": name})
    named: dict[str, uuid.UUID] = {}
    for org in orgs:
        provider_id = org["id"]
        for i in range(PER_SOURCE):
            resources.append(
                {
                    "id": uuid.uuid4(),
                    "provider_id": provider_id,
                    "code": f"stat-{i:03d}",
                    "name": f"{org['name']}业务统计{i:03d}",
                }
            )
        if org["code"] in NAMED:
            _, code, title = NAMED[str(org["code"])]
            named[title] = uuid.uuid4()
            resources.append(
                {"id": named[title], "provider_id": provider_id, "code": code, "name": title}
            )
    for r in resources:
        entries.append(
            {
                "id": uuid.uuid4(),
                "resource_id": r["id"],
                "batch_id": batch_id,
                "status": "published",
                "published_at": now,
                "provider_id": r["provider_id"],
                "domain": "governance",
                "open_level": "conditional",
                "title": r["name"],
            }
        )
    unpublished = uuid.uuid4()
    resources.append(
        {
            "id": unpublished,
            "provider_id": providers["water"],
            "code": "meter_readings",
            "name": "用水抄表明细（未发布）",
        }
    )
    with database.unit_of_work() as session:
        session.execute(
            insert(Organization),
            [{**o, "kind": "provider", "active": True, "created_at": now} for o in orgs],
        )
        session.execute(
            insert(DataResource),
            [
                {
                    **r,
                    "description": "",
                    "domain": "governance",
                    "update_frequency": "monthly",
                    "open_level": "conditional",
                    "classification": "统计",
                    "grade": "2",
                    "origin": "own",
                    "has_data": False,
                    "version": 1,
                    "created_at": now,
                    "updated_at": now,
                }
                for r in resources
            ],
        )
        session.add(
            CatalogBatch(
                id=batch_id,
                number=900,
                title="第900批",
                status="published",
                created_at=now,
                published_at=now,
            )
        )
        session.flush()
        session.execute(insert(CatalogEntry), entries)
    return City(providers, named, unpublished, total=len(resources))


@pytest.fixture
def world(database: Database, clock: FixedClock) -> World:
    return make_world(database, clock)


def _login(client: TestClient, account: Account) -> str:
    client.cookies.clear()
    return console_login(client, account)


def _pick(client: TestClient, q: str) -> tuple[str, list[tuple[str, str]]]:
    """The picker's answer: its count line and the (value, label) of each match."""
    response = client.get("/console/pick/ticket_resources", params={"q": q})
    assert response.status_code == 200, response.text
    found = re.findall(r'data-pick="([^"]+)" data-pick-label="([^"]+)"', response.text)
    count = re.search(r'<p class="muted">([^<]+)</p>', response.text)
    return (count.group(1) if count else ""), found


# --- the picker ---------------------------------------------------------------------------


def test_the_picker_reaches_the_resources_the_old_dropdown_cut_off(
    client: TestClient, database: Database, clock: FixedClock, world: World
) -> None:
    city = _bulk_city(database, clock)
    _login(client, world.operator)
    count, _ = _pick(client, "")
    # Every published resource of every source, less nothing: far past the old 2,000.
    published = city.total - 1 + 2  # the bulk city, less the unpublished, plus the world's two
    assert count == f"找到 {published} 条，显示前 20 条；输入更多文字可缩小范围。"
    _, found = _pick(client, "缴费记录")
    labels = dict(found)
    assert labels[str(city.named["用水缴费记录"])] == "市水务集团 · water_bills · 用水缴费记录"
    assert labels[str(city.named["社会保险缴费记录"])] == (
        "市人力资源和社会保障局 · social_insurance · 社会保险缴费记录"
    )
    _, found = _pick(client, "企业登记")
    assert [label for _, label in found] == ["市市场监督管理局 · enterprises · 企业登记信息"]
    # Two resources with the same title read apart by their provider and code.
    make_resource(database, clock, world.org(world.provider_a), name="企业年报信息")
    make_resource(database, clock, world.org(world.provider_b), name="企业年报信息")
    _, found = _pick(client, "企业年报信息")
    assert len({label for _, label in found}) == len(found) == 2


def test_every_sources_resources_can_be_reached(
    client: TestClient, database: Database, clock: FixedClock, world: World
) -> None:
    city = _bulk_city(database, clock)
    _login(client, world.bureau)
    for code in city.providers:
        name = NAMED[code][0] if code in NAMED else f"数据源{code[1:]}局"
        count, found = _pick(client, name)
        expected = PER_SOURCE + (1 if code in NAMED else 0) + (1 if code == "water" else 0)
        assert count.startswith(f"找到 {expected} 条"), (code, count)
        assert found and all(label.startswith(f"{name} · ") for _, label in found)


def test_the_picker_never_offers_what_the_filer_may_not_name(
    client: TestClient, database: Database, clock: FixedClock, world: World
) -> None:
    city = _bulk_city(database, clock)
    _login(client, world.operator)
    assert _pick(client, "用水抄表明细")[1] == []  # not in the published catalog
    _login(client, world.bureau)
    assert [v for v, _ in _pick(client, "用水抄表明细")[1]] == [str(city.unpublished)]
    # A department never files on its own data, however it searches.
    _login(client, world.provider_a)
    own = _pick(client, "市场主体登记信息")[1]
    assert str(world.resource_a) not in {v for v, _ in own}
    assert str(world.resource_b) in {v for v, _ in own}
    # Who may not file has no picker at all.
    _login(client, make_account(database, clock, Role.BUYER))
    assert client.get("/console/pick/ticket_resources").status_code == 404


def test_what_the_picker_offers_is_what_filing_accepts(
    client: TestClient, database: Database, clock: FixedClock, world: World
) -> None:
    city = _bulk_city(database, clock)
    csrf = _login(client, world.operator)
    [(value, _)] = _pick(client, "社会保险缴费记录")[1]
    filed = client.post(
        "/console/tickets",
        data={
            "csrf_token": csrf,
            "resource_id": value,
            "target_level": "dataset",
            "description": "2026 年 10 月缴费基数与工资总额不符",
        },
        follow_redirects=False,
    )
    assert filed.status_code == 303, filed.text
    page = client.get(filed.headers["location"]).text
    assert "社会保险缴费记录" in page and "市人力资源和社会保障局" in page
    refused = client.post(
        "/console/tickets",
        data={
            "csrf_token": csrf,
            "resource_id": str(city.unpublished),
            "target_level": "dataset",
            "description": "抄表数据缺失",
        },
    )
    assert refused.status_code == 422
    assert "所选数据资源不存在。" in refused.text


# --- the form: every error at once --------------------------------------------------------


def test_the_form_says_everything_wrong_in_one_round(
    client: TestClient, database: Database, clock: FixedClock, world: World
) -> None:
    csrf = _login(client, world.provider_a)
    response = client.post(
        "/console/tickets",
        data={
            "csrf_token": csrf,
            "resource_id": str(world.resource_a),
            "target_level": "field",
            "field_name": "",
            "row_ref": "第 3 行",
            "description": "",
        },
    )
    assert response.status_code == 422
    shown = re.findall(r'class="field-error"[^>]*>([^<]+)<', response.text)
    assert sorted(shown) == sorted(
        {
            "不能对本部门提供的数据提交纠错工单，请直接更正数据。",
            "字段级工单须填写字段名。",
            "字段级工单不填写行定位；指向某一行的某个字段请选择“行”。",
            "必填。",
        }
    )
    assert 'value="第 3 行"' in response.text  # what was typed stays
    # The one next to the picker is the picker's own.
    assert 'data-testid="error-resource_id">不能对本部门提供的数据' in response.text


# --- the list -----------------------------------------------------------------------------


def test_the_list_pages_sorts_filters_and_searches(
    client: TestClient, database: Database, clock: FixedClock, world: World
) -> None:
    other = make_resource(database, clock, world.org(world.provider_b), name="公积金缴存明细")
    early = file_ticket(database, clock, world.operator, world.resource_a, description="第一张")
    for n in range(52):
        clock.advance(timedelta(minutes=1))
        file_ticket(database, clock, world.operator, world.resource_a, description=f"批量{n}")
    clock.advance(datetime(2026, 11, 30, 9, 0, tzinfo=SHANGHAI) - clock.now())
    late_filed = file_ticket(database, clock, world.operator, other, description="公积金基数")
    _login(client, world.bureau)
    page = client.get("/console/tickets").text
    assert "第 1–50 条，共 54 条" in page
    assert re.findall(r'data-ticket="([^"]+)"', page)[0] == str(late_filed.id)  # newest first
    second = client.get("/console/tickets?page=2").text
    assert "第 51–54 条，共 54 条" in second and str(early.id) in second
    assert client.get("/console/tickets?page=3").status_code == 404
    by_due = client.get("/console/tickets?sort=-due").text
    assert re.findall(r'data-ticket="([^"]+)"', by_due)[0] == str(late_filed.id)
    # The bureau filters by provider; the options name the providers with tickets.
    assert 'data-testid="filter-provider"' in page
    mine = client.get("/console/tickets", params={"provider": _code(database, world.provider_b)})
    assert re.findall(r'data-ticket="([^"]+)"', mine.text) == [str(late_filed.id)]
    # Search: the resource's name, the ticket's text, its number.
    assert re.findall(
        r'data-ticket="([^"]+)"', client.get("/console/tickets?q=公积金缴存").text
    ) == [str(late_filed.id)]
    number = str(early.id)[:8]
    found = client.get(f"/console/tickets?q={number}").text
    assert str(early.id) in found
    # Overdue: the first 53 were due 3 December, the last 7 December; on the 4th, 53 are late.
    clock.advance(datetime(2026, 12, 4, 9, 0, tzinfo=SHANGHAI) - clock.now())
    _login(client, world.bureau)
    assert "共 53 条" in client.get("/console/tickets?overdue=1").text
    assert "共 1 条" in client.get("/console/tickets?overdue=no").text
    nothing = client.get("/console/tickets?q=没有这样的工单").text
    assert "没有符合条件的记录。请换一个关键词或清除筛选条件。" in nothing
    # An operator sees no provider filter (it sees only what it filed).
    _login(client, world.other_operator)
    empty = client.get("/console/tickets").text
    assert 'data-testid="filter-provider"' not in empty
    assert "还没有纠错工单。发现数据有误时，点击“提交纠错工单”。" in empty


def _code(database: Database, account: Account) -> str:
    with database.unit_of_work() as session:
        code = session.scalar(
            select(Organization.code).where(Organization.id == account.organization_id)
        )
    assert code
    return code


# --- 督办 -----------------------------------------------------------------------------------


def _overdue_world(database: Database, clock: FixedClock, world: World) -> uuid.UUID:
    """A ticket filed Thursday 26 November, due Thursday 3 December, on Tuesday 8 December:
    three working days late."""
    ticket = file_ticket(database, clock, world.operator, world.resource_a)
    clock.advance(datetime(2026, 12, 8, 13, 5, tzinfo=SHANGHAI) - clock.now())
    return ticket.id


def test_the_bureau_chases_an_overdue_ticket_and_everyone_sees_it(
    client: TestClient, database: Database, clock: FixedClock, world: World
) -> None:
    ticket_id = _overdue_world(database, clock, world)
    url = f"/console/tickets/{ticket_id}"
    csrf = _login(client, world.bureau)
    page = client.get(url).text
    assert "此工单已逾期 3 个工作日仍未答复" in page
    response = client.post(
        f"{url}/supervise",
        data={"csrf_token": csrf, "text": "请于本周内答复"},
        follow_redirects=False,
    )
    assert response.status_code == 303
    assert response.headers["location"] == f"{url}?done=supervise"
    page = client.get(response.headers["location"]).text
    assert "已督办。" in page
    assert 'data-testid="urged-tag">督办' in page
    assert "2026-12-08 13:05　测试bureau 督办（当时已逾期 3 个工作日）：请于本周内答复" in page
    # Audited, in the ticket's history too.
    with database.unit_of_work() as session:
        [event] = session.scalars(
            select(AuditEvent).where(AuditEvent.action == "correction_ticket.urged")
        ).all()
        [urging] = session.scalars(select(TicketUrging)).all()
    assert event.target_id == str(ticket_id) and event.actor_username == world.bureau.username
    assert event.detail["working_days_overdue"] == 3 and event.detail["note"] == "请于本周内答复"
    assert urging.urged_by_name == "测试bureau"
    assert "督办逾期纠错工单" in page  # the history names the action
    # The same day again: not offered, and refused if sent; nothing more recorded.
    assert 'data-action="supervise"' not in page
    again = client.post(f"{url}/supervise", data={"csrf_token": csrf, "text": ""})
    assert again.status_code == 409
    assert "此工单今天已督办过（2026-12-08 13:05，测试bureau），请勿重复督办。" in again.text
    # The list marks it, and can be filtered by it.
    listed = client.get("/console/tickets?urged=yes").text
    assert str(ticket_id) in listed and 'data-testid="urged-tag">督办' in listed
    assert str(ticket_id) not in client.get("/console/tickets?urged=no").text
    # The provider sees it on the ticket, asked to answer, and in its list.
    _login(client, world.provider_a)
    page = client.get(url).text
    assert "数据局已督办此工单 1 次，最近一次：2026-12-08 13:05（测试bureau）。请尽快答复。" in page
    assert 'data-testid="urged-tag"' in client.get("/console/tickets").text
    assert 'data-action="supervise"' not in page
    # The next working day the bureau may chase again; both are kept.
    clock.advance(datetime(2026, 12, 9, 9, 30, tzinfo=SHANGHAI) - clock.now())
    csrf = _login(client, world.bureau)
    assert 'data-action="supervise"' in client.get(url).text
    client.post(f"{url}/supervise", data={"csrf_token": csrf, "text": ""})
    page = client.get(url).text
    assert 'data-testid="urged-tag">督办 ×2' in page
    assert "2026-12-09 09:30　测试bureau 督办（当时已逾期 4 个工作日）" in page


def test_chasing_is_refused_on_a_ticket_not_overdue_or_answered(
    client: TestClient, database: Database, clock: FixedClock, world: World
) -> None:
    fresh = file_ticket(database, clock, world.operator, world.resource_a)
    csrf = _login(client, world.bureau)
    page = client.get(f"/console/tickets/{fresh.id}").text
    assert 'data-action="supervise"' not in page  # nothing to chase yet
    refused = client.post(f"/console/tickets/{fresh.id}/supervise", data={"csrf_token": csrf})
    assert refused.status_code == 409
    assert "此工单尚未逾期（答复期限为 2026-12-03 当日），逾期后才能督办。" in refused.text
    csrf = _login(client, world.provider_a)
    clock.advance(timedelta(minutes=1))
    make_version(database, clock, world.resource_a)
    for name, text in (("acknowledge", ""), ("fix", "已更正")):
        client.post(f"/console/tickets/{fresh.id}/{name}", data={"csrf_token": csrf, "text": text})
    clock.advance(datetime(2026, 12, 8, 9, 0, tzinfo=SHANGHAI) - clock.now())
    csrf = _login(client, world.bureau)
    answered = client.post(f"/console/tickets/{fresh.id}/supervise", data={"csrf_token": csrf})
    assert answered.status_code == 409
    assert "此工单已答复（已更正），无需督办。" in answered.text
    with database.unit_of_work() as session:
        assert session.scalars(select(TicketUrging)).all() == []


def test_only_the_bureau_may_chase(
    client: TestClient, database: Database, clock: FixedClock, world: World
) -> None:
    ticket_id = _overdue_world(database, clock, world)
    for account in (world.provider_a, world.operator):
        csrf = _login(client, account)
        refused = client.post(f"/console/tickets/{ticket_id}/supervise", data={"csrf_token": csrf})
        assert refused.status_code == 403
        assert "督办逾期纠错工单" in refused.text
        headers = bearer(client, account)
        api = client.post(f"/api/v1/tickets/{ticket_id}/supervise", headers=headers)
        assert api.status_code == 403
    with database.unit_of_work() as session:
        assert session.scalars(select(TicketUrging)).all() == []


def test_the_api_chases_and_shows_the_urgings(
    client: TestClient, database: Database, clock: FixedClock, world: World
) -> None:
    ticket_id = _overdue_world(database, clock, world)
    fresh = file_ticket(database, clock, world.operator, world.resource_b)
    headers = bearer(client, world.bureau)
    early = client.post(f"/api/v1/tickets/{fresh.id}/supervise", headers=headers)
    assert early.status_code == 409 and early.json()["code"] == "ticket_not_overdue"
    assert "逾期后才能督办" in early.json()["detail"]
    chased = client.post(
        f"/api/v1/tickets/{ticket_id}/supervise", json={"note": "请尽快答复"}, headers=headers
    )
    assert chased.status_code == 200, chased.text
    body = chased.json()
    # Chased today, it is not offered again until tomorrow.
    assert body["urgings"] == 1 and body["can_supervise"] is False
    [urging] = body["urging_history"]
    assert (urging["by"], urging["working_days_overdue"], urging["note"]) == (
        "测试bureau",
        3,
        "请尽快答复",
    )
    again = client.post(f"/api/v1/tickets/{ticket_id}/supervise", headers=headers)
    assert again.status_code == 409 and again.json()["code"] == "ticket_urged_today"
    provider = client.get(f"/api/v1/tickets/{ticket_id}", headers=bearer(client, world.provider_a))
    assert provider.json()["urgings"] == 1 and provider.json()["can_supervise"] is False
