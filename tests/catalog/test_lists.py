"""The console's catalog lists reach every row: resources, batches and a batch's entries a
page at a time in the order asked, narrowed by filters and a search box, scoped like every
read of resources (a provider sees its own); the pickers find any resource or published
entry by code and tell two of one title apart; codes show as their labels."""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select, update

from sluice.catalog import reads, service
from sluice.catalog.models import DataResource
from sluice.catalog.schemas import BatchCreate
from sluice.core.clock import FixedClock
from sluice.core.database import Database
from sluice.core.permissions import Role
from sluice.identity import repository as identity
from tests.catalog.factories import BUREAU, provider_principal, publish, resource_data
from tests.identity.factories import Account, bearer, make_account

MANY = 120  # the first provider's resources: three pages of 50
LISTED = 10  # of them, listed (and published) in a batch
WITH_DATA = {3, 17, 64, 101}  # of them, with data on the platform


def _grade(i: int) -> str:
    return str(i % 4 + 1)


@dataclass(frozen=True)
class World:
    first: Account  # a provider with MANY resources
    second: Account  # a provider with three
    bureau: dict[str, str]
    first_code: str
    second_code: str
    first_name: str
    second_name: str
    ids: dict[str, uuid.UUID]  # by resource code


def _org(database: Database, org_id: uuid.UUID | None) -> tuple[str, str]:
    assert org_id is not None
    with database.unit_of_work() as session:
        org = identity.organization(session, org_id)
        assert org is not None
        return org.code, org.name


@pytest.fixture
def world(client: TestClient, database: Database, clock: FixedClock) -> World:
    first = make_account(database, clock, Role.PROVIDER)
    second = make_account(database, clock, Role.PROVIDER)
    assert first.organization_id and second.organization_id
    listed = [resource_data(f"r{i:03d}", f"资源{i:03d}", grade=_grade(i)) for i in range(LISTED)]
    publish(database, clock, first.organization_id, listed)
    with database.unit_of_work() as session:
        actor = provider_principal(first.organization_id)
        for i in range(LISTED, MANY):
            data = resource_data(f"r{i:03d}", f"资源{i:03d}", grade=_grade(i))
            service.register_resource(session, actor=actor, clock=clock, data=data)
        actor = provider_principal(second.organization_id)
        for code, name in (("b-water", "用水缴费记录"), ("b-power", "用电缴费记录")):
            data = resource_data(code, name, description=f"{name}，供水供电企业按月报送。")
            service.register_resource(session, actor=actor, clock=clock, data=data)
        data = resource_data("b-closed", "内部资料", open_level="closed")
        service.register_resource(session, actor=actor, clock=clock, data=data)
        codes = [f"r{i:03d}" for i in WITH_DATA]
        session.execute(
            update(DataResource).where(DataResource.code.in_(codes)).values(has_data=True)
        )
    with database.unit_of_work() as session:
        ids = {r.code: r.id for r in session.scalars(select(DataResource))}
    first_code, first_name = _org(database, first.organization_id)
    second_code, second_name = _org(database, second.organization_id)
    return World(
        first=first,
        second=second,
        bureau=bearer(client, make_account(database, clock, Role.BUREAU)),
        first_code=first_code,
        second_code=second_code,
        first_name=first_name,
        second_name=second_name,
        ids=ids,
    )


def _entry_id(database: Database, code: str) -> uuid.UUID:
    """The published entry of the resource with this code."""
    with database.unit_of_work() as session:
        _, [found] = service.pick_entries(session, q=code, limit=1)
        return found.id


def _codes(html: str) -> list[str]:
    """The resource codes of the list's rows, in the order shown."""
    return re.findall(r'<tr data-code="([^"]+)">', html)


def _range(html: str) -> str:
    found = re.search(r'data-testid="list-range">([^<]+)<', html)
    assert found is not None
    return found.group(1)


ALL_CODES = sorted([f"r{i:03d}" for i in range(MANY)] + ["b-closed", "b-power", "b-water"])


def test_page_two_of_resources_shows_rows_51_to_100_in_the_chosen_order(
    client: TestClient, world: World
) -> None:
    page = client.get("/console/resources?sort=code&page=2", headers=world.bureau)
    assert page.status_code == 200
    assert _codes(page.text) == ALL_CODES[50:100]
    assert _range(page.text) == "第 51–100 条，共 123 条"
    backwards = client.get("/console/resources?sort=-code&page=2", headers=world.bureau)
    assert _codes(backwards.text) == ALL_CODES[::-1][50:100]
    last = client.get("/console/resources?sort=code&page=3", headers=world.bureau)
    assert _codes(last.text) == ALL_CODES[100:]
    assert _range(last.text) == "第 101–123 条，共 123 条"
    # The pager links to the next page keeping the order.
    assert 'href="?sort=code&amp;page=3"' in page.text


def test_sorting_by_title_and_grade(client: TestClient, world: World) -> None:
    by_title = _codes(client.get("/console/resources?sort=title", headers=world.bureau).text)
    # The three Chinese titles sort before 资源000…; the numbered titles follow in order.
    assert set(by_title[:3]) == {"b-closed", "b-power", "b-water"}
    assert by_title[3:] == [f"r{i:03d}" for i in range(47)]
    by_grade = client.get("/console/resources?sort=-grade", headers=world.bureau).text
    grades = re.findall(r'data-testid="grade">([^<]+)<', by_grade)
    fours = sum(1 for i in range(MANY) if _grade(i) == "4")
    assert grades[:fours] == ["四级（重要）"] * fours and grades[fours] == "三级（敏感）"


def test_a_page_that_does_not_exist_is_404(client: TestClient, world: World) -> None:
    for page in ("0", "abc", "9999", "4", "-1", "1.5", "４"):
        response = client.get(f"/console/resources?page={page}", headers=world.bureau)
        assert response.status_code == 404, page
    assert (
        "第 9999 页不存在（共 3 页）。"
        in client.get("/console/resources?page=9999", headers=world.bureau).text
    )


def test_filters_narrow_to_exactly_the_expected_rows(client: TestClient, world: World) -> None:
    def codes(query: str) -> list[str]:
        response = client.get(
            f"/console/resources?sort=code&size=200&{query}", headers=world.bureau
        )
        assert response.status_code == 200, response.text
        return _codes(response.text)

    assert codes(f"provider={world.second_code}") == ["b-closed", "b-power", "b-water"]
    assert codes("grade=3") == sorted(
        [f"r{i:03d}" for i in range(MANY) if _grade(i) == "3"] + ["b-closed", "b-power", "b-water"]
    )
    assert codes("listed=yes") == [f"r{i:03d}" for i in range(LISTED)]
    assert len(codes("listed=no")) == 123 - LISTED
    assert codes("data=yes") == sorted(f"r{i:03d}" for i in WITH_DATA)
    assert codes(f"data=yes&grade=4&provider={world.first_code}") == ["r003"]
    # The search box looks in titles, codes and descriptions.
    assert codes("q=用水") == ["b-water"]
    assert codes("q=r11") == [f"r{i}" for i in range(110, 120)]
    assert codes("q=供水供电") == ["b-power", "b-water"]
    assert codes("q=100%25") == []  # % is taken literally
    empty = client.get("/console/resources?q=没有这个资源", headers=world.bureau).text
    assert "没有符合条件的记录。请换一个关键词或清除筛选条件。" in empty


def test_the_bureau_filters_by_provider_from_a_list_of_providers(
    client: TestClient, world: World
) -> None:
    page = client.get("/console/resources", headers=world.bureau).text
    select = page.split('data-testid="filter-provider"')[1].split("</select>")[0]
    assert f'value="{world.first_code}"' in select and f'value="{world.second_code}"' in select
    assert world.first_name in select


def test_a_provider_never_sees_another_providers_resources(
    client: TestClient, world: World
) -> None:
    second = bearer(client, world.second)
    page = client.get("/console/resources?sort=code", headers=second).text
    assert _codes(page) == ["b-closed", "b-power", "b-water"]
    assert _range(page) == "第 1–3 条，共 3 条"
    assert 'data-testid="filter-provider"' not in page  # it would name only itself
    assert world.first_name not in page
    # Asking for the other provider's rows by filter or search finds nothing.
    by_filter = client.get(f"/console/resources?provider={world.first_code}", headers=second)
    assert _codes(by_filter.text) == []
    assert _codes(client.get("/console/resources?q=r00", headers=second).text) == []
    assert client.get("/console/resources?page=2", headers=second).status_code == 404
    # Nor in the picker, nor by address.
    picked = client.get("/console/pick/resources?q=r00", headers=second).text
    assert 'data-testid="pick-none"' in picked and "r001" not in picked
    other = client.get(f"/console/resources/{world.ids['r001']}", headers=second)
    assert other.status_code == 404


def _picks(html: str) -> list[tuple[str, str]]:
    return re.findall(r'data-pick="([^"]+)" data-pick-label="([^"]+)"', html)


def test_the_resources_picker_finds_every_resource_by_its_code(
    client: TestClient, world: World
) -> None:
    first = bearer(client, world.first)
    for i in range(MANY):
        code = f"r{i:03d}"
        picks = _picks(client.get(f"/console/pick/resources?q={code}", headers=first).text)
        assert picks[0] == (str(world.ids[code]), f"{world.first_name} · {code} · 资源{i:03d}")
    # A provider's picker holds its own resources only; the bureau's holds all.
    assert _picks(client.get("/console/pick/resources?q=b-water", headers=first).text) == []
    found = client.get("/console/pick/resources?q=b-water", headers=world.bureau).text
    assert [label for _, label in _picks(found)] == [
        f"{world.second_name} · b-water · 用水缴费记录"
    ]


def test_only_roles_that_read_resources_have_the_resources_picker(
    client: TestClient, database: Database, clock: FixedClock, world: World
) -> None:
    registry = bearer(client, make_account(database, clock, Role.REGISTRY))
    found = client.get("/console/pick/resources?q=r00", headers=registry).text
    assert len(_picks(found)) == 10  # r000 … r009
    operator = bearer(client, make_account(database, clock, Role.OPERATOR))
    assert client.get("/console/pick/resources?q=r00", headers=operator).status_code == 404


# -- labels -----------------------------------------------------------------------------------


def test_a_grade_shows_its_label_not_its_code(client: TestClient, world: World) -> None:
    listed = client.get("/console/resources?q=b-water", headers=world.bureau).text
    assert re.findall(r'data-testid="grade">([^<]+)<', listed) == ["三级（敏感）"]
    page = client.get(f"/console/resources/{world.ids['b-water']}", headers=world.bureau).text
    assert re.findall(r'data-testid="grade">([^<]+)<', page) == ["三级（敏感）"]
    # Field types, classes and rules by their labels too.
    assert "居民身份证号码" in page and "标识符" in page and "必填" in page
    assert ">id_number<" not in page.replace("<code>id_number</code>", "")
    english = client.get(
        f"/console/resources/{world.ids['b-water']}",
        headers={**world.bureau, "Accept-Language": "en"},
    ).text
    assert "Grade 3 (sensitive)" in english


def test_an_entry_says_its_grade_in_words_in_the_api_too(
    client: TestClient, database: Database, world: World
) -> None:
    entry = client.get(f"/api/v1/catalog/entries/{_entry_id(database, 'r003')}").json()
    assert entry["code"] == "r003" and entry["title"] == "资源003"
    assert entry["grade"] == "4" and entry["grade_label"] == "四级（重要）"
    assert entry["open_level_label"] == "有条件开放" and entry["domain_label"] == "公共治理"


# -- the entries picker -------------------------------------------------------------------------


def test_the_entries_picker_tells_two_entries_of_one_title_apart(
    client: TestClient, database: Database, clock: FixedClock
) -> None:
    water = make_account(database, clock, Role.PROVIDER)
    other = make_account(database, clock, Role.PROVIDER)
    assert water.organization_id and other.organization_id
    publish(
        database,
        clock,
        water.organization_id,
        [
            resource_data("usage", "居民用水量统计"),
            resource_data("payments", "用水缴费记录"),
            resource_data("plain", "用水"),
        ],
    )
    publish(database, clock, other.organization_id, [resource_data("payments", "用水缴费记录")])
    with database.unit_of_work() as session:
        # The first provider's payments have data on the platform.
        session.execute(
            update(DataResource)
            .where(
                DataResource.provider_id == water.organization_id, DataResource.code == "payments"
            )
            .values(has_data=True)
        )
    water_name = _org(database, water.organization_id)[1]
    other_name = _org(database, other.organization_id)[1]
    operator = bearer(client, make_account(database, clock, Role.OPERATOR))
    found = client.get("/console/pick/entries?q=用水", headers=operator).text
    labels = [label for _, label in _picks(found)]
    # The title that is the word, then titles that start with it (with data first), then
    # titles that merely hold it.
    assert labels == [
        f"{water_name} · plain · 用水",
        f"{water_name} · payments · 用水缴费记录",
        f"{other_name} · payments · 用水缴费记录",
        f"{water_name} · usage · 居民用水量统计",
    ]
    assert "找到 4 条。" in found
    by_provider = client.get(f"/console/pick/entries?q={other_name}", headers=operator).text
    assert [label for _, label in _picks(by_provider)] == [
        f"{other_name} · payments · 用水缴费记录"
    ]


def test_the_entries_picker_holds_published_entries_only(
    client: TestClient, database: Database, clock: FixedClock, world: World
) -> None:
    operator = bearer(client, make_account(database, clock, Role.OPERATOR))
    # r000 … r009 are published; r010 … are not listed at all.
    found = client.get("/console/pick/entries?q=r01", headers=operator).text
    assert _picks(found) == []
    found = client.get("/console/pick/entries?q=r00", headers=operator).text
    assert len(_picks(found)) == LISTED
    entry_id = _entry_id(database, "r001")
    with database.unit_of_work() as session:
        service.change_entry(
            session, actor=BUREAU, clock=clock, entry_id=entry_id, transition="withdraw"
        )
    found = client.get("/console/pick/entries?q=r001", headers=operator).text
    assert 'data-testid="pick-none"' in found


# -- the public catalog's facets -----------------------------------------------------------------


def test_the_provider_facet_lists_every_provider_with_its_count(
    client: TestClient, database: Database, clock: FixedClock
) -> None:
    names = {}
    for n in range(31):
        account = make_account(database, clock, Role.PROVIDER)
        assert account.organization_id is not None
        items = [resource_data(f"d{k}", f"数据源{n}的资源{k}") for k in range(n % 3 + 1)]
        publish(database, clock, account.organization_id, items)
        names[_org(database, account.organization_id)[1]] = n % 3 + 1
    with database.unit_of_work() as session:
        page = reads.search_catalog(
            session,
            q="",
            provider=None,
            domain=None,
            open_level=None,
            batch=None,
            page=1,
            page_size=20,
            locale="zh-CN",
        )
    assert {f.label: f.count for f in page.facets["provider"]} == names
    html = client.get("/catalog").text
    facet = html.split('data-testid="facets"')[1].split("</section>")[0]
    shown = dict(re.findall(r'>([^<>]+)</a> <span class="count">(\d+)</span>', facet))
    assert {name: int(count) for name, count in shown.items()} == names


# -- batches, their entries and what can be added ----------------------------------------------


def test_the_batches_list_is_paged(
    client: TestClient, database: Database, clock: FixedClock
) -> None:
    with database.unit_of_work() as session:
        for _ in range(55):
            service.create_batch(session, actor=BUREAU, clock=clock, data=BatchCreate())
    bureau = bearer(client, make_account(database, clock, Role.BUREAU))
    first = client.get("/console/catalog/batches", headers=bureau).text
    numbers = re.findall(r"<tr><td>(\d+)</td>", first)
    assert numbers == [str(n) for n in range(55, 5, -1)]  # newest first
    second = client.get("/console/catalog/batches?page=2", headers=bureau).text
    assert re.findall(r"<tr><td>(\d+)</td>", second) == ["5", "4", "3", "2", "1"]
    assert client.get("/console/catalog/batches?page=3", headers=bureau).status_code == 404
    found = client.get("/console/catalog/batches?q=第五十五批", headers=bureau).text
    assert re.findall(r"<tr><td>(\d+)</td>", found) == ["55"]


def test_a_batchs_entries_and_its_candidates_are_paged(
    client: TestClient, database: Database, clock: FixedClock, world: World
) -> None:
    with database.unit_of_work() as session:
        batch = service.create_batch(session, actor=BUREAU, clock=clock, data=BatchCreate())
        ids = [world.ids[f"r{i:03d}"] for i in range(LISTED, LISTED + 60)]
        service.add_to_batch(
            session, actor=BUREAU, clock=clock, batch_id=batch.id, resource_ids=ids
        )
    url = f"/console/catalog/batches/{batch.id}"
    page = client.get(f"{url}?sort=code&page=2", headers=world.bureau).text
    codes = re.findall(r"<td><code>([^<]+)</code></td>", page)
    assert codes == [f"r{i:03d}" for i in range(LISTED + 50, LISTED + 60)]
    assert "本批次条目 (60)" in page
    # 123 resources: 10 published, 60 in this draft, one closed: 52 can still be added.
    assert "有 52 项数据资源可编入本批次。" in page
    candidates = client.get(f"{url}/candidates?sort=code&page=2", headers=world.bureau)
    assert candidates.status_code == 200
    rows = re.findall(r'name="resource_ids" value="([^"]+)"', candidates.text)
    assert len(rows) == 2 and "b-closed" not in candidates.text
    # Ticking rows of page 2 adds them.
    csrf = _csrf_of(client, world)
    added = client.post(
        f"{url}/entries",
        data={"csrf_token": csrf, "resource_ids": rows},
        headers=world.bureau,
        follow_redirects=False,
    )
    assert added.status_code == 303
    assert "有 50 项数据资源可编入本批次。" in client.get(url, headers=world.bureau).text


def _csrf_of(client: TestClient, world: World) -> str:
    page = client.get("/console/catalog/batches", headers=world.bureau).text
    return page.split('name="csrf_token" value="')[1].split('"')[0]


# -- registering on the list's page ------------------------------------------------------------


def test_a_provider_without_resources_is_told_to_register_the_first_below(
    client: TestClient, database: Database, clock: FixedClock
) -> None:
    from tests.identity.factories import console_login

    account = make_account(database, clock, Role.PROVIDER)
    csrf = console_login(client, account)
    page = client.get("/console/resources").text
    assert "本部门还没有登记数据资源。请在下方“登记数据资源”中登记第一项。" in page
    assert 'data-testid="register" open' in page
    form = {
        "csrf_token": csrf,
        "code": "residents",
        "name": "户籍人口基本信息",
        "domain": "governance",
        "update_frequency": "daily",
        "open_level": "conditional",
        "classification": "population",
        "grade": "3",
        "origin": "own",
        "fields": "id_number,id_number,,公民身份号码,必填",
    }
    registered = client.post("/console/resources", data=form, follow_redirects=False)
    # Post/redirect/get: the resource's page says it was registered; reloading it does not
    # register it again.
    assert registered.status_code == 303
    shown = client.get(registered.headers["location"]).text
    assert "已登记“户籍人口基本信息”。" in shown
    listed = client.get("/console/resources").text
    assert _codes(listed) == ["residents"] and "第 1–1 条，共 1 条" in listed


def test_an_entrys_version_history_is_paged(
    client: TestClient, database: Database, clock: FixedClock, world: World
) -> None:
    entry_id = _entry_id(database, "r002")
    with database.unit_of_work() as session:
        for _ in range(12):  # 24 more versions: 25 in all
            for transition in ("withdraw", "republish"):
                service.change_entry(
                    session, actor=BUREAU, clock=clock, entry_id=entry_id, transition=transition
                )
    first = client.get(f"/catalog/{entry_id}").text
    versions = re.findall(r"<tr><td>v(\d+)</td>", first)
    assert versions == [str(v) for v in range(25, 5, -1)]
    second = client.get(f"/catalog/{entry_id}?page=2").text
    assert re.findall(r"<tr><td>v(\d+)</td>", second) == ["5", "4", "3", "2", "1"]
    assert client.get(f"/catalog/{entry_id}?page=3").status_code == 404


def test_a_picker_reads_an_abbreviation_as_catalog_search_does(
    client: TestClient, database: Database, clock: FixedClock
) -> None:
    provider = make_account(database, clock, Role.PROVIDER)
    assert provider.organization_id is not None
    with database.unit_of_work() as session:
        actor = provider_principal(provider.organization_id)
        for code, name in (
            ("cards", "社保卡申领信息"),
            ("payments", "社会保险缴费记录"),
            ("pensions", "企业职工社会保险待遇"),
            ("roads", "道路信息"),
        ):
            data = resource_data(code, name)
            service.register_resource(session, actor=actor, clock=clock, data=data)
    found = client.get("/console/pick/resources?q=社保", headers=bearer(client, provider)).text
    # The word as typed first, then a title that starts with its long form, then the rest.
    assert [label.rsplit(" · ", 2)[1] for _, label in _picks(found)] == [
        "cards",
        "payments",
        "pensions",
    ]
