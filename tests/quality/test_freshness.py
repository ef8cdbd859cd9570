"""Resources that missed their declared update frequency (逾期未更新, R4.3, R9.3): the provider
is told on its workbench and the resource's page, the bureau sees the count per provider,
and the one query that decides it agrees with the rule day by day."""

from __future__ import annotations

import html
import re
import uuid
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from fastapi.testclient import TestClient

from sluice.catalog.models import DataResource
from sluice.core.clock import SHANGHAI, FixedClock
from sluice.core.database import Database
from sluice.core.permissions import Role
from sluice.core.principal import Principal
from sluice.identity.models import Organization
from sluice.quality import freshness, repository, service
from tests.identity.factories import Account, console_login, make_account
from tests.quality.tickets.factories import make_resource, make_version, principal_of


def _at(day: date, hour: int = 10) -> FixedClock:
    return FixedClock(datetime(day.year, day.month, day.day, hour, tzinfo=SHANGHAI))


def _resource(
    database: Database,
    clock: FixedClock,
    provider: Account,
    name: str,
    frequency: str,
    *versions: date,
) -> uuid.UUID:
    assert provider.organization_id is not None
    resource = make_resource(
        database, clock, provider.organization_id, name=name, frequency=frequency
    )
    for day in versions:
        make_version(database, _at(day), resource)
    return resource


@dataclass(frozen=True)
class City:
    """Two departments on Thursday 2026-11-26 (the ``clock`` fixture's day)."""

    market: Account
    housing: Account
    bureau: Account
    registry: uuid.UUID  # daily, newest version Friday 20 November: 3 working days late
    licences: uuid.UUID  # monthly, newest 20 October: due 20 November, 6 days late
    prices: uuid.UUID  # daily, newest yesterday: due today, on time
    archive: uuid.UUID  # irregular, newest a year ago: never late
    plans: uuid.UUID  # weekly, never supplied: nothing to be late with
    census: uuid.UUID  # the other department's: yearly, newest 1 November 2025


def _city(database: Database, clock: FixedClock) -> City:
    market = make_account(database, clock, Role.PROVIDER)
    housing = make_account(database, clock, Role.PROVIDER)
    return City(
        market=market,
        housing=housing,
        bureau=make_account(database, clock, Role.BUREAU),
        registry=_resource(
            database, clock, market, "企业登记信息", "daily", date(2026, 11, 2), date(2026, 11, 20)
        ),
        licences=_resource(database, clock, market, "许可证信息", "monthly", date(2026, 10, 20)),
        prices=_resource(database, clock, market, "价格监测", "daily", date(2026, 11, 25)),
        archive=_resource(database, clock, market, "历史档案", "irregular", date(2025, 11, 1)),
        plans=_resource(database, clock, market, "抽查计划", "weekly"),
        census=_resource(database, clock, housing, "房屋普查", "yearly", date(2025, 11, 1)),
    )


def _text(fragment: str) -> str:
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", fragment)).split())


def _panel(page: str, key: str) -> str:
    found = re.search(rf'data-testid="panel-{re.escape(key)}".*?</section>', page, re.S)
    assert found, page
    return found.group(0)


def _rows(panel: str) -> list[str]:
    return [_text(r) for r in re.findall(r'data-testid="todo-row">(.*?)</li>', panel, re.S)]


def _login(client: TestClient, account: Account) -> None:
    client.cookies.clear()
    console_login(client, account)


def test_the_provider_sees_its_late_resources_on_its_workbench_and_the_bureau_the_counts(
    client: TestClient, database: Database, clock: FixedClock
) -> None:
    city = _city(database, clock)

    _login(client, city.market)
    panel = _panel(client.get("/console").text, "workbench.freshness.provider")
    assert "逾期未更新：2 个数据资源未按声明的更新周期提供新版本" in _text(panel)
    # The oldest data first: each with its frequency, due day, how late (working days for
    # daily data, calendar days for monthly) and the newest version's day.
    assert _rows(panel) == [
        "许可证信息（每月） 期限 2026-11-20 · 已逾期 6 天 最近版本 2026-10-20",
        "企业登记信息（每日） 期限 2026-11-23 · 已逾期 3 个工作日 最近版本 2026-11-20",
    ]
    assert f'href="/console/resources/{city.licences}"' in panel
    assert f'href="/console/resources/{city.registry}"' in panel
    assert "房屋普查" not in panel  # another department's resource

    english = client.get("/console", headers={"Accept-Language": "en"}).text
    rows = _rows(_panel(english, "workbench.freshness.provider"))
    assert rows[1] == (
        "企业登记信息 (Daily) Due 2026-11-23 · 3 working days overdue newest version 2026-11-20"
    )

    # The resource's own page says the same.
    page = client.get(f"/console/resources/{city.registry}").text
    section = re.search(r'data-testid="freshness".*?</section>', page, re.S)
    assert section, page
    assert 'data-testid="freshness-due">2026-11-23' in section.group(0)
    assert "已逾期 3 个工作日" in section.group(0)
    on_time = client.get(f"/console/resources/{city.prices}").text
    assert 'data-testid="freshness-state"><span class="tag">按期' in on_time

    # Its quality page lists them all; another department sees none of them there.
    market_page = f"/console/quality/providers/{_org(database, city.market).code}"
    listed = client.get(market_page).text
    assert "逾期未更新的数据资源（2 个）" in listed
    assert "许可证信息" in listed and "已逾期 6 天" in listed

    _login(client, city.housing)
    rows = _rows(_panel(client.get("/console").text, "workbench.freshness.provider"))
    assert rows == ["房屋普查（每年） 期限 2026-11-02 · 已逾期 24 天 最近版本 2025-11-01"]
    assert "许可证信息" not in client.get(market_page).text

    _login(client, city.bureau)
    panel = _panel(client.get("/console").text, "workbench.freshness")
    assert "逾期未更新：3 个数据资源（2 个部门）" in _text(panel)
    market, housing = _name(database, city.market), _name(database, city.housing)
    assert _rows(panel) == [f"{market}：2 个", f"{housing}：1 个"]
    assert f'href="/console/quality/providers/{_org(database, city.market).code}"' in panel
    # The scoreboard carries the same count on each assessed provider's line.
    with database.unit_of_work() as session:
        for account in (city.market, city.housing):
            assert account.organization_id is not None
            repository.add(
                session,
                service.provider_assessment(
                    provider_id=account.organization_id,
                    resources=[],
                    overdue_tickets=0,
                    at=clock.now(),
                ),
            )
    board = client.get("/console/quality").text
    late = re.findall(
        r'data-provider="([^"]+)".*?data-testid="late-resources"[^>]*>(\d+)<', board, re.S
    )
    assert sorted(late) == sorted(
        [(_org(database, city.market).code, "2"), (_org(database, city.housing).code, "1")]
    )


def _org(database: Database, account: Account) -> Organization:
    with database.unit_of_work() as session:
        org = session.get(Organization, account.organization_id)
        assert org is not None
        return org


def _name(database: Database, account: Account) -> str:
    return _org(database, account).name


def test_a_provider_with_nothing_late_is_told_so(
    client: TestClient, database: Database, clock: FixedClock
) -> None:
    provider = make_account(database, clock, Role.PROVIDER)
    _resource(database, clock, provider, "价格监测", "daily", date(2026, 11, 25))
    _login(client, provider)
    panel = _panel(client.get("/console").text, "workbench.freshness.provider")
    assert "本部门的数据资源都按声明的更新周期提供了新版本。" in _text(panel)


def test_the_query_agrees_with_the_rule_on_every_day_around_national_day(
    database: Database, clock: FixedClock
) -> None:
    """国庆/中秋 2025: 1–8 October off, Sunday 28 September and Saturday 11 October worked.
    Daily data last supplied on Tuesday 30 September is due on Thursday 9 October."""
    provider = make_account(database, clock, Role.PROVIDER)
    last = date(2025, 9, 30)
    resources = {
        frequency: _resource(database, clock, provider, frequency, frequency, last)
        for frequency in ("realtime", "daily", "weekly", "monthly", "irregular")
    }
    reader = principal_of(provider)
    assert freshness.due_date("daily", last) == date(2025, 10, 9)
    late_on: dict[date, set[str]] = {}
    for offset in range(40):
        today = last + timedelta(days=offset)
        with database.unit_of_work() as session:
            _, found = freshness.overdue_resources(session, actor=reader, today=today, limit=10)
            by_rule = {
                f
                for f, resource_id in resources.items()
                if freshness.freshness(
                    session, actor=reader, resource_id=resource_id, frequency=f, today=today
                ).overdue
            }
        assert {r.code for r in found} == {_code(database, resources[f]) for f in by_rule}, today
        late_on[today] = by_rule
    assert late_on[date(2025, 10, 1)] == set()  # a real-time feed is due the next day
    assert late_on[date(2025, 10, 2)] == {"realtime"}
    # Daily data is not late through the holiday: due on 9 October, late from the 10th.
    assert "daily" not in late_on[date(2025, 10, 9)]
    assert "daily" in late_on[date(2025, 10, 10)]
    assert "weekly" not in late_on[date(2025, 10, 7)]
    assert "weekly" in late_on[date(2025, 10, 8)]
    assert "monthly" not in late_on[date(2025, 10, 31)]
    assert "monthly" in late_on[date(2025, 11, 1)]
    with database.unit_of_work() as session:
        _, found = freshness.overdue_resources(
            session, actor=reader, today=date(2025, 10, 13), limit=10
        )
    [daily] = [r.freshness for r in found if r.freshness.frequency == "daily"]
    # 10 (Friday), 11 (the Saturday worked) and 13 October: three working days late.
    assert (daily.working_days, daily.days_overdue) == (True, 3)


def _code(database: Database, resource_id: uuid.UUID) -> str:
    with database.unit_of_work() as session:
        resource = session.get(DataResource, resource_id)
        assert resource is not None
        return resource.code


def test_a_provider_never_sees_another_providers_late_resources(
    database: Database, clock: FixedClock
) -> None:
    city = _city(database, clock)
    today = date(2026, 11, 26)
    with database.unit_of_work() as session:
        total, _ = freshness.overdue_resources(
            session,
            actor=principal_of(city.market),
            today=today,
            limit=10,
            provider_id=city.housing.organization_id,
        )
        assert total == 0
        total, _ = freshness.overdue_resources(
            session, actor=Principal.system("test"), today=today, limit=10
        )
        assert total == 3
        counts = freshness.overdue_counts(session, actor=principal_of(city.bureau), today=today)
        assert [(c.provider_id, c.resources) for c in counts] == [
            (city.market.organization_id, 2),
            (city.housing.organization_id, 1),
        ]
