"""The demo city's catalog as the public finds it: titles a city would publish, statistics
without people in them, and search that puts the datasets with data where people look.

The full catalog (6,900 entries, about 20 s to build) is built once for the module, on
SQLite only."""

from __future__ import annotations

import re
import shutil
from collections import Counter
from collections.abc import Iterator
from datetime import datetime
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from sluice.catalog.models import CatalogEntry, DataResource, ResourceField
from sluice.catalog.vocabulary import PERSONAL_TYPES
from sluice.core.clock import SHANGHAI, FixedClock
from sluice.core.database import Database
from sluice.core.settings import Settings
from sluice.demo import catalog as demo_catalog
from sluice.demo import city
from sluice.demo.datasets import PROVIDERS, SPECS, build_datasets
from sluice.identity.models import Organization
from sluice.web.app import create_app

CLOCK = FixedClock(datetime(2026, 11, 26, 10, 0, tzinfo=SHANGHAI))


@pytest.fixture(scope="module")
def datasets(tmp_path_factory: pytest.TempPathFactory) -> list[dict[str, Any]]:
    sources = tmp_path_factory.mktemp("sources")
    built = build_datasets(sources_dir=sources, seed=1, scale=0.01)
    summaries = [city._summary(d) for d in built]
    shutil.rmtree(sources)
    return summaries


@pytest.fixture(scope="module")
def full_city(
    tmp_path_factory: pytest.TempPathFactory, sqlite_template: Path, datasets: list[dict[str, Any]]
) -> Iterator[tuple[Database, int]]:
    path = tmp_path_factory.mktemp("demo-catalog") / "sluice.db"
    shutil.copy(sqlite_template, path)
    database = Database(f"sqlite:///{path}")
    with database.unit_of_work() as session:
        city.seed_identity(session, clock=CLOCK)
        entries = demo_catalog.seed_catalog(session, clock=CLOCK, datasets=datasets, seed=1)
    yield database, entries
    database.dispose()


@pytest.fixture(scope="module")
def public(
    full_city: tuple[Database, int], tmp_path_factory: pytest.TempPathFactory
) -> Iterator[TestClient]:
    database, _ = full_city
    settings = Settings(home=tmp_path_factory.mktemp("home"), database_url=database.url)
    app = create_app(settings, database=database, clock=CLOCK)
    with TestClient(app, base_url="http://127.0.0.1") as client:
        yield client


def _published(database: Database) -> list[tuple[str, str]]:
    """(provider code, title) of every published entry."""
    with database.unit_of_work() as session:
        rows = session.execute(
            select(Organization.code, CatalogEntry.title)
            .join(Organization, Organization.id == CatalogEntry.provider_id)
            .where(CatalogEntry.status == "published")
        )
        return [(code, title) for code, title in rows]


def test_the_full_demo_catalog_has_the_plans_numbers(full_city: tuple[Database, int]) -> None:
    """6,900 published entries from 31 departments; nothing closed is listed."""
    database, entries = full_city
    published = _published(database)
    assert len(published) == entries >= 6_900
    assert len({code for code, _ in published}) == 31
    with database.unit_of_work() as session:
        closed_listed = session.scalar(
            select(func.count())
            .select_from(CatalogEntry)
            .where(CatalogEntry.open_level == "closed")
        )
    assert closed_listed == 0


def test_no_two_entries_read_the_same(full_city: tuple[Database, int]) -> None:
    titles = Counter(title for _, title in _published(full_city[0]))
    assert [title for title, n in titles.items() if n > 1] == []


def test_no_title_is_dated_before_2015_or_after_2026(full_city: tuple[Database, int]) -> None:
    years = [
        (int(m.group(1)), title)
        for _, title in _published(full_city[0])
        if (m := re.match(r"(\d{4})", title))
    ]
    assert years, "the yearly statistical editions are dated"
    assert [title for year, title in years if not 2015 <= year <= 2026] == []


def test_statistics_hold_aggregates_and_never_a_person(full_city: tuple[Database, int]) -> None:
    """A statistical table (…统计) has a period, a breakdown, an indicator and its value:
    no field that could name a person or an enterprise."""
    with full_city[0].unit_of_work() as session:
        statistics = session.scalar(select(func.count()).where(DataResource.name.endswith("统计")))
        personal = session.execute(
            select(DataResource.name, ResourceField.title, ResourceField.type)
            .join(ResourceField, ResourceField.resource_id == DataResource.id)
            .where(DataResource.name.endswith("统计"), ResourceField.type.in_(PERSONAL_TYPES))
            .limit(5)
        ).all()
        fields = set(
            session.scalars(
                select(ResourceField.title)
                .join(DataResource, DataResource.id == ResourceField.resource_id)
                .where(DataResource.name == "2024年分区县常住人口统计")
            )
        )
    assert statistics is not None and statistics > 1_000
    assert personal == []
    assert fields == {"统计年度", "行政区划代码", "区县名称", "指标名称", "指标值", "计量单位"}


def test_each_department_lists_records_of_its_own_duties(
    full_city: tuple[Database, int],
) -> None:
    by_provider: dict[str, set[str]] = {}
    for code, title in _published(full_city[0]):
        by_provider.setdefault(code, set()).add(title)
    assert {"建设用地规划许可证信息", "国有建设用地使用权出让信息"} <= by_provider["zrzyj"]
    assert {"不动产权登记信息", "不动产抵押权登记信息"} <= by_provider["bdc"]
    assert "2024年分区县常住人口统计" in by_provider["tjj"]
    # The datasets with data keep their own entries.
    for spec in SPECS:
        assert spec.title_zh in by_provider[spec.provider_code], spec.title_zh


def _search(client: TestClient, q: str) -> list[str]:
    response = client.get("/api/v1/catalog", params={"q": q, "page_size": 10})
    assert response.status_code == 200, response.text
    return [item["title"] for item in response.json()["items"]]


def test_searching_shebao_puts_social_insurance_contributions_in_the_top_three(
    public: TestClient,
) -> None:
    assert "社会保险缴费记录" in _search(public, "社保")[:3]


@pytest.mark.parametrize(
    ("q", "title"),
    [
        ("用水", "用水缴费记录"),
        ("企业", "企业登记信息"),
        ("企业登记", "企业登记信息"),
        ("户籍", "户籍人口基本信息"),
        ("公积金", "住房公积金个人账户"),
        ("不动产权", "不动产权登记信息"),
        ("低保", "最低生活保障对象信息"),
        ("纳税信用", "纳税信用等级评价结果"),
    ],
)
def test_the_datasets_with_data_are_found_first_by_what_people_type(
    public: TestClient, q: str, title: str
) -> None:
    assert _search(public, q)[0] == title


def test_the_catalog_does_not_open_on_yearly_editions(public: TestClient) -> None:
    first_page = _search(public, "")
    assert len(first_page) == 10
    assert [t for t in first_page if re.match(r"\d", t)] == []


class _Facets(HTMLParser):
    """The facet lists of the catalog page: heading → [(label, count)]."""

    def __init__(self) -> None:
        super().__init__()
        self.facets: dict[str, list[tuple[str, int]]] = {}
        self._in_facets = False
        self._heading: str | None = None
        self._tag: str | None = None
        self._label = ""

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "aside" and ("data-testid", "facets") in attrs:
            self._in_facets = True
        elif (self._in_facets and tag in ("h3", "a")) or (tag == "span" and self._label):
            self._tag = tag

    def handle_endtag(self, tag: str) -> None:
        if tag == "aside":
            self._in_facets = False
        self._tag = None

    def handle_data(self, data: str) -> None:
        if self._tag == "h3":
            self._heading = data.strip()
            self.facets[self._heading] = []
        elif self._tag == "a" and self._heading:
            self._label = data.strip()
        elif self._tag == "span" and self._heading and self._label:
            self.facets[self._heading].append((self._label, int(data)))
            self._label = ""


def test_the_provider_facet_lists_every_department_with_its_count(public: TestClient) -> None:
    page = public.get("/catalog")
    assert page.status_code == 200
    total = re.search(r"共 (\d+) 条目录", page.text)
    assert total is not None
    parser = _Facets()
    parser.feed(page.text)
    providers = parser.facets["提供部门"]
    assert len(providers) == 31
    assert sum(count for _, count in providers) == int(total.group(1))
    departments = (*PROVIDERS, *demo_catalog.EXTRA_PROVIDERS)
    assert {label for label, _ in providers} == {name for _, name, _ in departments}


def test_the_plan_is_deterministic_and_every_department_is_listed_at_any_size(
    datasets: list[dict[str, Any]],
) -> None:
    names = {code: f"{code}部门" for code in demo_catalog.DEPARTMENTS}
    small = demo_catalog.plan(names, datasets, demo_catalog.entries_for_scale(0.01))
    assert all(small[code] for code in names)
    assert sum(map(len, small.values())) + len(datasets) == demo_catalog.entries_for_scale(0.01)
    first = demo_catalog.plan(names, datasets, 6_900)
    again = demo_catalog.plan(names, datasets, 6_900)
    assert [x.title for c in names for x in first[c]] == [x.title for c in names for x in again[c]]
