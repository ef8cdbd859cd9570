"""The authorization pages as a browser sees them: the bureau drafts, decides, signs and
changes; an operator sees only its own, signs, asks to exit and reports; refusals are
explained in the reader's language with what was typed kept.

Tests whose subject is only what a form or page says are `rendering` (SQLite only): the
queries behind them are the ones the list, scoping and service tests prove on both
databases."""

from __future__ import annotations

import itertools
import re
import uuid
from dataclasses import dataclass
from datetime import date, timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from sluice.authorizations import agreement_pages, parties, service, sweep
from sluice.authorizations import states as st
from sluice.authorizations.clauses import (
    DEFAULT_TEXT,
    AgreementClauses,
    ProductClause,
    RevenueClause,
)
from sluice.authorizations.models import Authorization
from sluice.authorizations.schemas import AuthorizationCreate, DecisionIn, PlanIn
from sluice.core.clock import Clock, FixedClock
from sluice.core.database import Database
from sluice.core.i18n import LOCALE_COOKIE
from sluice.core.permissions import OrgKind, Role
from sluice.core.principal import Principal
from sluice.core.settings import Settings
from sluice.identity import service as identity
from sluice.identity.schemas import UserCreate
from sluice.operators import review as operators
from sluice.operators.schemas import Decision
from tests.approvals.factories import colleague
from tests.catalog.factories import publish, resource_data
from tests.identity.factories import PASSWORD, Account, console_login, make_account, make_org
from tests.operators.factories import (
    REVIEWER,
    complete_application,
    judge_all,
    operator_company,
)

_counter = itertools.count(1)

BUREAU = Principal(
    username="bureau-setup",
    via="session",
    organization_kind=OrgKind.BUREAU,
    roles=frozenset({Role.BUREAU}),
    display_name="数据局经办人",
)
PARTICIPANTS = "王局长\n李副局长\n赵处长"


def qualified_operator(database: Database, clock: Clock, settings: Settings, name: str) -> Account:
    """An operator company qualified through the real review, and a console user in it."""
    with database.unit_of_work() as session:
        applicant = operator_company(session, clock, name)
        built = complete_application(session, clock, settings, applicant)
        application_id = built.application.id
        operators.submit(
            session,
            actor=applicant,
            clock=clock,
            settings=settings,
            application_id=application_id,
        )
        judge_all(session, clock, application_id)
        operators.decide(
            session,
            actor=REVIEWER,
            clock=clock,
            settings=settings,
            application_id=application_id,
            decision=Decision.QUALIFY,
            reason="经审核，符合运营机构资格条件。",
        )
        assert applicant.organization_id is not None
        user = identity.create_user(
            session,
            actor=Principal.system("test"),
            clock=clock,
            data=UserCreate(
                username=f"operator{next(_counter)}",
                display_name=f"{name}签署人",
                password=PASSWORD,
                organization_id=applicant.organization_id,
                roles=[Role.OPERATOR],
            ),
        )
        return Account(user.username, PASSWORD, user.id, applicant.organization_id, Role.OPERATOR)


def approved_plan(
    session: Session, clock: Clock, title: str = "营口市公共数据授权运营实施方案"
) -> uuid.UUID:
    plan = service.create_plan(
        session,
        actor=BUREAU,
        at=clock.now(),
        data=PlanIn(
            title=title,
            sections={key: f"{zh}：按市方案执行。" for key, zh, _ in service.PLAN_SECTIONS},
        ),
    )
    service.decide_plan(
        session,
        actor=BUREAU,
        at=clock.now(),
        plan_id=plan.id,
        data=decision(),
    )
    return plan.id


def decision(outcome: str = "approved") -> DecisionIn:
    return DecisionIn.model_validate(
        {
            "meeting": "2026年第12次局务会",
            "held_on": date(2026, 11, 20),
            "participants": PARTICIPANTS.splitlines(),
            "outcome": outcome,
            "summary": "同意",
        }
    )


def clauses() -> AgreementClauses:
    return AgreementClauses(
        products=[
            ProductClause(
                name="企业信用核验接口",
                description="返回核验结果，不返回原始数据",
                review="上线前经数据局安全合规审查",
            )
        ],
        revenue=RevenueClause(government_share_bp=1250, method="按年度核算，按季度缴入财政。"),
    )


@dataclass(frozen=True)
class World:
    bureau: Account
    operator: Account
    other_operator: Account
    plan_id: uuid.UUID
    entries: list[uuid.UUID]  # published: 企业登记信息, 社会保险参保信息, 不动产登记信息


def make_world(database: Database, clock: Clock, settings: Settings) -> World:
    bureau = make_account(database, clock, Role.BUREAU)
    operator = qualified_operator(database, clock, settings, "营口城市数据运营有限公司")
    other = qualified_operator(database, clock, settings, "辽宁港航数据科技有限公司")
    with database.unit_of_work() as session:
        provider = make_org(session, clock, OrgKind.PROVIDER)
        plan_id = approved_plan(session, clock)
    entries = publish(
        database,
        clock,
        provider,
        [
            resource_data("qydj", "企业登记信息"),
            resource_data("sbcb", "社会保险参保信息"),
            resource_data("bdcdj", "不动产登记信息"),
        ],
    )
    return World(bureau, operator, other, plan_id, entries)


def draft(
    database: Database,
    clock: Clock,
    settings: Settings,
    world: World,
    *,
    operator: Account | None = None,
    scenario: str = "企业融资信用评估",
    entries: list[uuid.UUID] | None = None,
    submit: bool = False,
) -> uuid.UUID:
    chosen = operator or world.operator
    assert chosen.organization_id is not None
    with database.unit_of_work() as session:
        created = service.create_authorization(
            session,
            actor=BUREAU,
            settings=settings,
            at=clock.now(),
            data=AuthorizationCreate(
                operator_id=chosen.organization_id,
                plan_id=world.plan_id,
                scenario=scenario,
                purpose="为金融机构提供企业信用评估服务",
                entry_ids=entries or world.entries[:1],
                clauses=clauses(),
            ),
        )
        if submit:
            service.submit(session, actor=BUREAU, at=clock.now(), authorization_id=created.id)
        return created.id


def in_force(database: Database, clock: Clock, settings: Settings, world: World) -> uuid.UUID:
    """A submitted, approved agreement both parties signed (as their own principals)."""
    authorization_id = draft(database, clock, settings, world, submit=True)
    operator = Principal(
        username=world.operator.username,
        via="session",
        organization_id=world.operator.organization_id,
        organization_kind=OrgKind.OPERATOR,
        roles=frozenset({Role.OPERATOR}),
    )
    with database.unit_of_work() as session:
        service.decide(
            session,
            actor=BUREAU,
            at=clock.now(),
            authorization_id=authorization_id,
            data=decision(),
        )
        for signer in (BUREAU, operator):
            service.sign(
                session,
                actor=signer,
                settings=settings,
                at=clock.now(),
                authorization_id=authorization_id,
            )
    return authorization_id


@pytest.fixture
def world(database: Database, clock: FixedClock, settings: Settings) -> World:
    return make_world(database, clock, settings)


def _login(client: TestClient, account: Account) -> str:
    client.cookies.clear()
    return console_login(client, account)


def _text(html: str) -> str:
    """The page's visible text, roughly: tags dropped, whitespace squeezed."""
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


def _draft_form(csrf: str, world: World, **changes: object) -> dict[str, object]:
    values: dict[str, object] = {
        "csrf_token": csrf,
        "operator_id": str(world.operator.organization_id),
        "plan_id": str(world.plan_id),
        "selection_round_id": "",
        "mode": "scenario",
        "domain": "",
        "scenario": "企业融资信用评估",
        "purpose": "为金融机构提供企业信用评估服务",
        "term_years": "3",
        "rights": ["processing", "product_operation"],
        "entry_ids": [str(world.entries[0]), str(world.entries[1])],
        "product_name": ["企业信用核验接口", "", ""],
        "product_description": ["返回核验结果，不返回原始数据", "", ""],
        "product_review": ["上线前经数据局安全合规审查", "", ""],
        "government_share": "12.5",
        "revenue_method": "按年度核算，按季度缴入财政。",
        **{f"clause_{key}": text for key, text in DEFAULT_TEXT.items()},
    }
    values.update(changes)
    return values


# -- navigation and lists ------------------------------------------------------------------


@pytest.mark.rendering
def test_the_navigation_offers_authorizations_and_plans_to_those_who_may_open_them(
    client: TestClient, database: Database, clock: FixedClock, world: World
) -> None:
    _login(client, world.bureau)
    console = client.get("/console").text
    assert 'href="/console/authorizations"' in console
    assert 'href="/console/plans"' in console
    _login(client, world.operator)
    console = client.get("/console").text
    assert 'href="/console/authorizations"' in console
    assert 'href="/console/plans"' not in console
    refused = client.get("/console/plans")
    assert refused.status_code == 403
    _login(client, make_account(database, clock, Role.BUYER))
    assert 'href="/console/authorizations"' not in client.get("/console").text
    assert client.get("/console/authorizations").status_code == 403


def test_the_bureau_lists_every_authorization_and_filters_by_status(
    client: TestClient, database: Database, clock: FixedClock, settings: Settings, world: World
) -> None:
    first = draft(database, clock, settings, world, submit=True)
    second = draft(
        database, clock, settings, world, operator=world.other_operator, scenario="港口物流调度"
    )
    _login(client, world.bureau)
    page = client.get("/console/authorizations")
    assert page.status_code == 200
    text = _text(page.text)
    assert (
        "营数授〔2026〕1号 营口城市数据运营有限公司 企业融资信用评估 审核中 3 年（双方签署后起算）"
        in text
    )
    assert "营数授〔2026〕2号 辽宁港航数据科技有限公司 港口物流调度 草稿" in text
    filtered = client.get("/console/authorizations?status=draft").text
    assert f'data-authorization="{second}"' in filtered
    assert f'data-authorization="{first}"' not in filtered


def test_an_operator_sees_only_its_own_and_another_operators_detail_is_not_found(
    client: TestClient, database: Database, clock: FixedClock, settings: Settings, world: World
) -> None:
    own = draft(database, clock, settings, world)
    other = draft(
        database, clock, settings, world, operator=world.other_operator, scenario="港口物流调度"
    )
    _login(client, world.operator)
    listed = client.get("/console/authorizations").text
    assert f'data-authorization="{own}"' in listed
    assert f'data-authorization="{other}"' not in listed
    assert "起草授权协议" not in listed  # no drafting for an operator
    assert client.get(f"/console/authorizations/{own}").status_code == 200
    hidden = client.get(f"/console/authorizations/{other}")
    assert hidden.status_code == 404
    assert "授权不存在，或您无权查看。" in hidden.text
    assert "港口物流调度" not in hidden.text
    assert client.get("/console/authorizations/new").status_code == 403


def _agreements(
    database: Database, clock: FixedClock, world: World, count: int, *, other_every: int = 0
) -> list[uuid.UUID]:
    """``count`` agreements written straight to the table (the rules are tested elsewhere;
    a list needs rows): numbered 1..count in drafting order, every ``other_every``-th held by
    the other operator, every third one active with its term ending 30·k days after today."""
    today = clock.now().date()
    made = []
    with database.unit_of_work() as session:
        for n in range(1, count + 1):
            other = bool(other_every) and n % other_every == 0
            holder = world.other_operator if other else world.operator
            assert holder.organization_id is not None
            active = n % 3 == 0
            agreement = Authorization(
                number=f"营数授〔2026〕{n}号",
                operator_id=holder.organization_id,
                plan_id=world.plan_id,
                mode="scenario",
                scenario=f"测试场景{n}",
                scenario_key=f"测试场景{n}",
                purpose="列表测试",
                status=st.ACTIVE if active else st.DRAFT,
                term_years=3,
                term_start=today - timedelta(days=1000) if active else None,
                term_end=today + timedelta(days=30 * (n // 3)) if active else None,
                version=1,
                created_by="test",
                created_at=clock.now() + timedelta(seconds=n),
            )
            session.add(agreement)
            session.flush()
            made.append(agreement.id)
    return made


def _numbers(html: str) -> list[int]:
    """The agreement numbers in the list, in the order shown."""
    return [int(n) for n in re.findall(r">营数授〔2026〕(\d+)号</a>", html)]


def test_the_agreements_list_pages_through_every_row_in_number_order(
    client: TestClient, database: Database, clock: FixedClock, world: World
) -> None:
    _agreements(database, clock, world, 60)
    _login(client, world.bureau)
    first = client.get("/console/authorizations")
    assert first.status_code == 200
    assert _numbers(first.text) == list(range(60, 10, -1))
    assert "第 1–50 条，共 60 条" in _text(first.text)
    assert re.search(r'href="\?[^"]*page=2" rel="next"', first.text)
    second = client.get("/console/authorizations?page=2")
    assert _numbers(second.text) == list(range(10, 0, -1))
    assert "第 51–60 条，共 60 条" in _text(second.text)
    ascending = client.get("/console/authorizations?sort=number&page=2")
    assert _numbers(ascending.text) == list(range(51, 61))  # 10号 after 9号, not after 1号
    for wrong in ("0", "3", "-1", "x"):
        missing = client.get(f"/console/authorizations?page={wrong}")
        assert missing.status_code == 404, wrong


def test_the_agreements_list_filters_and_searches_exactly(
    client: TestClient, database: Database, clock: FixedClock, world: World
) -> None:
    _agreements(database, clock, world, 24, other_every=4)
    _login(client, world.bureau)
    active = client.get("/console/authorizations?status=active").text
    assert sorted(_numbers(active)) == [3, 6, 9, 12, 15, 18, 21, 24]
    assert "第 1–8 条，共 8 条" in _text(active)
    # Running agreements whose term ends within 90 days of today: n // 3 * 30 <= 90.
    expiring = client.get("/console/authorizations?expiring=90").text
    assert sorted(_numbers(expiring)) == [3, 6, 9]
    other = world.other_operator.organization_id
    held = client.get(f"/console/authorizations?operator={other}").text
    assert sorted(_numbers(held)) == [4, 8, 12, 16, 20, 24]
    assert sorted(_numbers(client.get("/console/authorizations?q=港航").text)) == [
        4,
        8,
        12,
        16,
        20,
        24,
    ]
    assert _numbers(client.get("/console/authorizations?q=测试场景17").text) == [17]
    assert _numbers(client.get("/console/authorizations?q=〔2026〕21号").text) == [21]
    both = client.get(f"/console/authorizations?status=active&operator={other}").text
    assert sorted(_numbers(both)) == [12, 24]
    nothing = client.get("/console/authorizations?q=航天器")
    assert nothing.status_code == 200
    assert "没有符合条件的记录。请换一个关键词或清除筛选条件。" in nothing.text
    # The search box asks for the list alone.
    fragment = client.get(
        "/console/authorizations?status=active", headers={"HX-Request": "true", "HX-Target": "list"}
    ).text
    assert "<html" not in fragment and '<div id="list">' in fragment
    assert sorted(_numbers(fragment)) == [3, 6, 9, 12, 15, 18, 21, 24]


@pytest.mark.rendering
def test_the_agreements_list_shows_states_by_their_names(
    client: TestClient, database: Database, clock: FixedClock, world: World
) -> None:
    _agreements(database, clock, world, 3)
    _login(client, world.bureau)
    html = client.get("/console/authorizations").text
    cells = re.findall(r'<span class="tag" data-status="[a-z_]+">([^<]+)</span>', html)
    assert cells == ["生效中", "草稿", "草稿"]
    assert ">active<" not in html and ">draft<" not in html
    assert re.search(r'<option value="active"\s*>生效中</option>', html)  # the filter too
    client.cookies.set(LOCALE_COOKIE, "en")
    english = client.get("/console/authorizations").text
    assert re.findall(r'data-status="[a-z_]+">([^<]+)</span>', english) == [
        "Active",
        "Draft",
        "Draft",
    ]


@pytest.mark.rendering
def test_an_empty_list_says_what_to_do_next(
    client: TestClient, database: Database, clock: FixedClock, world: World
) -> None:
    _login(client, world.bureau)
    bureau = _text(client.get("/console/authorizations").text)
    assert "还没有授权运营协议。先在“实施方案”中编制并批准方案，再点“起草授权协议”。" in bureau
    _login(client, world.operator)
    operator = _text(client.get("/console/authorizations").text)
    assert "贵单位还没有授权运营协议：资格审核通过并经遴选后，数据局起草的协议会出现在这里。" in (
        operator
    )


def test_an_operator_lists_and_filters_only_its_own_agreements(
    client: TestClient, database: Database, clock: FixedClock, world: World
) -> None:
    _agreements(database, clock, world, 12, other_every=4)
    _login(client, world.operator)
    html = client.get("/console/authorizations").text
    assert sorted(_numbers(html)) == [1, 2, 3, 5, 6, 7, 9, 10, 11]
    assert "辽宁港航数据科技有限公司" not in html
    assert 'name="operator"' not in html  # no operator filter: it would name only itself
    other = world.other_operator.organization_id
    assert _numbers(client.get(f"/console/authorizations?operator={other}").text) == []
    assert _numbers(client.get("/console/authorizations?q=港航").text) == []
    assert _numbers(client.get("/console/authorizations?q=测试场景4").text) == []
    with database.unit_of_work() as session:
        options = service.operator_options(session, _operator_principal(world))
    assert [name for _, name in options] == ["营口城市数据运营有限公司"]


def _operator_principal(world: World) -> Principal:
    return Principal(
        username=world.operator.username,
        via="session",
        organization_id=world.operator.organization_id,
        organization_kind=OrgKind.OPERATOR,
        roles=frozenset({Role.OPERATOR}),
    )


# -- drafting --------------------------------------------------------------------------------


@pytest.mark.rendering
def test_the_draft_form_offers_an_operator_picker_approved_plans_and_default_clauses(
    client: TestClient, database: Database, clock: FixedClock, settings: Settings, world: World
) -> None:
    with database.unit_of_work() as session:
        service.create_plan(
            session,
            actor=BUREAU,
            at=clock.now(),
            data=PlanIn(
                title="尚未批准的方案",
                sections={key: "内容" for key, _, _ in service.PLAN_SECTIONS},
            ),
        )
    _login(client, world.bureau)
    page = client.get("/console/authorizations/new")
    assert page.status_code == 200
    html = page.text
    # Operators are searched, not listed: no dropdown that stops at a thousand.
    assert 'data-testid="picker-operator_id"' in html
    assert 'hx-get="/console/pick/operators"' in html
    assert 'name="operator_id" value=""' in html
    assert "营口城市数据运营有限公司" not in html
    assert "营口市公共数据授权运营实施方案" in html
    assert "尚未批准的方案" not in html
    assert 'name="term_years" min="1" value="3"' in html
    assert DEFAULT_TEXT["platform"] in html
    assert html.count('name="product_name"') == 3
    assert 'name="csrf_token"' in html


def _picked(client: TestClient, q: str) -> list[tuple[str, str]]:
    """What the operator picker offers for ``q``: (value, name · credit code)."""
    found = client.get("/console/pick/operators", params={"q": q})
    assert found.status_code == 200
    return re.findall(r'data-pick="([^"]+)" data-pick-label="([^"]+)"', found.text)


def test_the_operator_picker_finds_qualified_operators_by_credit_code_and_no_other(
    client: TestClient, database: Database, clock: FixedClock, settings: Settings, world: World
) -> None:
    with database.unit_of_work() as session:
        # Same words in the name, a credit code, an application made: but not qualified.
        applicant = operator_company(session, clock, "营口城市数据运营分公司")
        complete_application(session, clock, settings, applicant)
        assert applicant.organization_id and world.operator.organization_id
        pending = parties.organization(session, applicant.organization_id)
        mine = parties.organization(session, world.operator.organization_id)
        assert pending is not None and mine is not None
        code, pending_code = mine.credit_code, pending.credit_code
    assert code and pending_code
    _login(client, world.bureau)
    expected = (str(world.operator.organization_id), f"营口城市数据运营有限公司 · {code}")
    assert _picked(client, code) == [expected]
    assert _picked(client, code[-8:].lower()) == [expected]  # part of it, any case
    assert _picked(client, "营口城市数据") == [expected]
    assert _picked(client, pending_code) == []
    assert _picked(client, "分公司") == []
    everyone = _picked(client, "")
    assert {label.split(" · ")[0] for _, label in everyone} == {
        "营口城市数据运营有限公司",
        "辽宁港航数据科技有限公司",
    }
    # Who may not draft an agreement may not search the operators either.
    _login(client, world.operator)
    assert client.get("/console/pick/operators", params={"q": code}).status_code == 404


def test_the_picked_operator_drafts_and_a_refused_draft_keeps_it_chosen(
    client: TestClient, world: World
) -> None:
    csrf = _login(client, world.bureau)
    [(value, label)] = _picked(client, "港航")
    assert value == str(world.other_operator.organization_id)
    refused = client.post(
        "/console/authorizations", data=_draft_form(csrf, world, operator_id=value, scenario="")
    )
    assert refused.status_code == 422
    chosen = re.search(r'data-testid="pick-chosen-operator_id">([^<]+)</div>', refused.text)
    assert chosen is not None and chosen.group(1) == f"已选：{label}"
    assert f'name="operator_id" value="{value}"' in refused.text
    created = client.post(
        "/console/authorizations",
        data=_draft_form(csrf, world, operator_id=value),
        follow_redirects=False,
    )
    assert created.status_code == 303, _text(created.text)
    assert "辽宁港航数据科技有限公司" in _text(client.get(created.headers["location"]).text)


def test_the_catalog_search_adds_entries_to_the_chosen_list_without_duplicates(
    client: TestClient, world: World
) -> None:
    _login(client, world.bureau)
    found = client.get("/console/authorizations/entries", params={"q": "社保"})
    assert found.status_code == 200
    assert "共 1 条，显示前 1 条" in found.text
    assert "社会保险参保信息" in found.text
    assert f"add={world.entries[1]}" in found.text
    assert "企业登记信息" not in found.text
    chosen = client.get(
        "/console/authorizations/entries/chosen",
        params=[
            ("field", "entry_ids"),
            ("entry_ids", str(world.entries[0])),
            ("entry_ids", str(world.entries[1])),
            ("add", str(world.entries[1])),
        ],
    )
    boxes = re.findall(
        r'<input type="checkbox" name="entry_ids" value="([^"]+)" checked>', chosen.text
    )
    assert boxes == [str(world.entries[0]), str(world.entries[1])]
    nothing = client.get("/console/authorizations/entries", params={"q": "航天器"})
    assert "没有找到匹配的目录条目。" in nothing.text


def test_the_bureau_drafts_through_the_form_and_lands_on_the_detail_page(
    client: TestClient, world: World
) -> None:
    csrf = _login(client, world.bureau)
    response = client.post(
        "/console/authorizations", data=_draft_form(csrf, world), follow_redirects=False
    )
    assert response.status_code == 303, _text(response.text)
    location = response.headers["location"]
    assert re.fullmatch(r"/console/authorizations/[0-9a-f-]{36}\?done=created", location)
    text = _text(client.get(location).text)
    assert "授权协议草稿已保存。" in text
    assert "营数授〔2026〕1号 草稿" in text
    assert "企业登记信息" in text and "社会保险参保信息" in text
    assert "不动产登记信息" not in text
    assert "政府分成比例（%，最多两位小数）：12.50%" in text
    assert "提交审核" in text


@pytest.mark.rendering
def test_a_six_year_term_is_refused_with_the_reason_and_what_was_typed_is_kept(
    client: TestClient, world: World
) -> None:
    csrf = _login(client, world.bureau)
    response = client.post("/console/authorizations", data=_draft_form(csrf, world, term_years="6"))
    assert response.status_code == 422
    assert "授权期限 6 年超过上限 5 年（国家规定最长 5 年）。" in response.text
    assert 'name="scenario" value="企业融资信用评估"' in response.text
    assert 'name="term_years" min="1" value="6"' in response.text
    assert re.search(rf'name="entry_ids" value="{world.entries[1]}" checked', response.text)
    assert 'value="企业信用核验接口"' in response.text
    client.cookies.set(LOCALE_COOKIE, "en")
    english = client.post("/console/authorizations", data=_draft_form(csrf, world, term_years="6"))
    assert "A term of 6 years is longer than the limit of 5 years (national rules: at most 5)." in (
        english.text
    )


@pytest.mark.rendering
def test_form_problems_are_shown_at_their_fields(client: TestClient, world: World) -> None:
    csrf = _login(client, world.bureau)
    response = client.post(
        "/console/authorizations",
        data=_draft_form(
            csrf,
            world,
            entry_ids=[],
            government_share="12.345",
            product_name=["", "", ""],
            product_description=["", "", ""],
            product_review=["", "", ""],
            clause_liability="",
        ),
    )
    assert response.status_code == 422
    text = _text(response.text)
    assert "表单有需要修改的地方，见下方提示。" in text
    assert "请至少选择一个已发布的目录条目。" in text
    assert "请填写 0 到 100 之间的百分比，最多两位小数，如 12.50。" in text
    assert "请至少填写一项数据产品（名称、说明、审查方式）。" in text
    assert text.count("至少 1 个字符。") == 1  # the liability clause left empty


@pytest.mark.rendering
def test_a_six_year_term_and_a_missing_scenario_come_back_in_one_answer(
    client: TestClient, database: Database, clock: FixedClock, world: World
) -> None:
    with database.unit_of_work() as session:
        unapproved = service.create_plan(
            session,
            actor=BUREAU,
            at=clock.now(),
            data=PlanIn(
                title="尚未批准的方案", sections={k: "内容" for k, _, _ in service.PLAN_SECTIONS}
            ),
        ).id
    csrf = _login(client, world.bureau)
    response = client.post(
        "/console/authorizations",
        data=_draft_form(
            csrf, world, term_years="6", scenario="", rights=[], plan_id=str(unapproved)
        ),
    )
    assert response.status_code == 422
    html = response.text

    def at_field(name: str) -> str:
        found = re.search(
            rf'name="{name}".*?<span class="field-error"[^>]*>([^<]+)</span>', html, re.S
        )
        assert found is not None, name
        return found.group(1)

    assert at_field("scenario") == "至少 2 个字符。"
    assert at_field("term_years") == "授权期限 6 年超过上限 5 年（国家规定最长 5 年）。"
    assert at_field("plan_id") == "请选择经集体决策批准的实施方案。"
    assert "至少授予一项权利。" in html
    assert 'name="term_years" min="1" value="6"' in html  # what was typed is kept


@pytest.mark.rendering
def test_the_one_scenario_rule_and_the_term_come_back_together(
    client: TestClient, database: Database, clock: FixedClock, settings: Settings, world: World
) -> None:
    draft(database, clock, settings, world, scenario="港口物流调度")
    csrf = _login(client, world.bureau)
    several = client.post(
        "/console/authorizations",
        data=_draft_form(csrf, world, term_years="7", scenario="普惠金融、供应链金融"),
    )
    assert several.status_code == 422
    text = _text(several.text)
    assert (
        "一场景一授权：一个授权只能对应一个应用场景（“普惠金融、供应链金融”看起来包含多个场景）。"
        in (text)
    )
    assert "授权期限 7 年超过上限 5 年" in text
    taken = client.post(
        "/console/authorizations",
        data=_draft_form(csrf, world, scenario="港口物流调度", entry_ids=[str(uuid.uuid4())]),
    )
    assert taken.status_code == 422
    text = _text(taken.text)
    assert "一场景一授权：场景“港口物流调度”已有授权 营数授〔2026〕1号（草稿）。" in text
    assert "目录条目不存在" in text


@pytest.mark.rendering
def test_every_entry_outside_the_domain_is_named_with_the_domain_in_words(
    client: TestClient, world: World
) -> None:
    csrf = _login(client, world.bureau)
    response = client.post(
        "/console/authorizations",
        data=_draft_form(
            csrf, world, mode="domain", domain="industry:finance", government_share="120"
        ),
    )
    assert response.status_code == 422
    text = _text(response.text)
    for title in ("企业登记信息", "社会保险参保信息"):  # both chosen entries, in one answer
        assert f"“{title}”不属于授权领域“金融服务”。" in text
    assert "industry:finance”" not in text
    assert "请填写 0 到 100 之间的百分比，最多两位小数，如 12.50。" in text


@pytest.mark.rendering
def test_an_impossible_date_is_named_precisely_with_the_other_problems(
    client: TestClient, database: Database, clock: FixedClock, world: World
) -> None:
    with database.unit_of_work() as session:
        plan = service.create_plan(
            session,
            actor=BUREAU,
            at=clock.now(),
            data=PlanIn(
                title="待决策的方案", sections={k: "内容" for k, _, _ in service.PLAN_SECTIONS}
            ),
        )
        plan_id = plan.id
    csrf = _login(client, world.bureau)
    minutes = {
        "csrf_token": csrf,
        "meeting": "2026年第15次局务会",
        "held_on": "2026-02-30",
        "participants": "王局长\n李副局长",
        "outcome": "approved",
    }
    refused = client.post(f"/console/plans/{plan_id}/decision", data=minutes)
    assert refused.status_code == 422
    text = _text(refused.text)
    assert "2026-02-30 不是有效的日期：2 月没有 30 日。" in text
    assert "请填写至少 3 名不重复的参会人员，每行一人。" in text
    assert "内容无效。" not in text
    client.cookies.set(LOCALE_COOKIE, "en")
    english = client.post(f"/console/plans/{plan_id}/decision", data=minutes)
    assert "2026-02-30 is not a valid date: February has no day 30." in english.text
    client.cookies.set(LOCALE_COOKIE, "zh-CN")
    leap = client.post(
        f"/console/plans/{plan_id}/decision",
        data={**minutes, "held_on": "2027-02-29", "participants": PARTICIPANTS},
    )
    assert "2027-02-29 不是有效的日期：2027 年不是闰年，2 月没有 29 日。" in leap.text
    accepted = client.post(
        f"/console/plans/{plan_id}/decision",
        data={**minutes, "held_on": "2026-11-25", "participants": PARTICIPANTS},
        follow_redirects=False,
    )
    assert accepted.status_code == 303
    assert accepted.headers["location"] == f"/console/plans?done=decided#plan-{plan_id}"


@pytest.mark.rendering
def test_a_plan_missing_parts_and_a_title_comes_back_with_each_field_marked(
    client: TestClient, world: World
) -> None:
    csrf = _login(client, world.bureau)
    sections = {f"section_{key}": f"{zh}的内容" for key, zh, _ in service.PLAN_SECTIONS}
    refused = client.post(
        "/console/plans",
        data={
            **sections,
            "csrf_token": csrf,
            "title": "港",
            "section_exit": "",
            "section_term": "",
        },
    )
    assert refused.status_code == 422
    html = refused.text
    assert "实施方案缺少必备内容：授权期限、退出机制。" in _text(html)
    assert re.search(r'name="title"[^>]*>\s*<span class="field-error"[^>]*>至少 2 个字符。', html)
    for key in ("term", "exit"):
        assert re.search(
            rf'name="section_{key}"[^>]*></textarea><span class="field-error"[^>]*>必填。', html
        ), key
    assert "授权运营的公共数据范围的内容" in html  # what was typed is kept


def test_plans_are_listed_a_page_at_a_time(
    client: TestClient, database: Database, clock: FixedClock, world: World
) -> None:
    with database.unit_of_work() as session:
        for n in range(1, 26):
            clock.advance(timedelta(minutes=1))
            service.create_plan(
                session,
                actor=BUREAU,
                at=clock.now(),
                data=PlanIn(
                    title=f"第{n}号方案", sections={k: "内容" for k, _, _ in service.PLAN_SECTIONS}
                ),
            )
    _login(client, world.bureau)
    first = client.get("/console/plans").text
    titles = re.findall(r'data-plan="[0-9a-f-]{36}">\s*<h2>([^<]+?) <span', first)
    assert titles[:3] == ["第25号方案", "第24号方案", "第23号方案"] and len(titles) == 20
    assert "第 1–20 条，共 26 条" in _text(first)  # the 25 and the world's approved plan
    second = client.get("/console/plans?page=2").text
    titles = re.findall(r'data-plan="[0-9a-f-]{36}">\s*<h2>([^<]+?) <span', second)
    assert titles == [f"第{n}号方案" for n in range(5, 0, -1)] + ["营口市公共数据授权运营实施方案"]
    approved = client.get("/console/plans?status=approved").text
    assert re.findall(r'data-plan="[0-9a-f-]{36}">\s*<h2>([^<]+?) <span', approved) == [
        "营口市公共数据授权运营实施方案"
    ]
    assert ">已批准<" in approved and ">approved<" not in approved
    assert client.get("/console/plans?page=0").status_code == 404
    assert client.get("/console/plans?page=3").status_code == 404


def test_a_version_change_names_modes_domains_and_rights_in_words() -> None:
    def line(field: str, before: object, after: object, locale: str = "zh-CN") -> str:
        change = {"kind": "changed", "field": field, "before": before, "after": after}
        return agreement_pages._change_line(change, locale)

    assert line("mode", "scenario", "domain") == "授权模式：依场景授权 → 分领域授权"
    assert line("domain", None, "industry:finance") == "领域：— → 金融服务"
    assert line("rights", ["processing"], ["processing", "product_operation"], "en") == (
        "Rights: Right to process and use the data → Right to process and use the data, "
        "Right to operate data products"
    )
    assert line("scenario", "普惠金融", "供应链金融") == "场景：普惠金融 → 供应链金融"


def test_a_refused_decision_on_a_plan_past_the_first_page_is_shown_with_its_problems(
    client: TestClient, database: Database, clock: FixedClock, world: World
) -> None:
    sections = {k: "内容" for k, _, _ in service.PLAN_SECTIONS}
    with database.unit_of_work() as session:
        oldest = service.create_plan(
            session,
            actor=BUREAU,
            at=clock.now(),
            data=PlanIn(title="最早的方案", sections=sections),
        ).id
        for n in range(1, 22):
            clock.advance(timedelta(minutes=1))
            service.create_plan(
                session,
                actor=BUREAU,
                at=clock.now(),
                data=PlanIn(title=f"第{n}号方案", sections=sections),
            )
    csrf = _login(client, world.bureau)
    assert "最早的方案" not in client.get("/console/plans").text  # on page 2
    refused = client.post(
        f"/console/plans/{oldest}/decision",
        data={
            "csrf_token": csrf,
            "meeting": "2026年第16次局务会",
            "held_on": "2026-04-31",
            "participants": PARTICIPANTS,
            "outcome": "approved",
        },
    )
    assert refused.status_code == 422
    card = re.search(rf'data-plan="{oldest}">.*?</section>', refused.text, re.S)
    assert card is not None
    assert "2026-04-31 不是有效的日期：4 月没有 31 日。" in card.group(0)
    assert 'value="2026年第16次局务会"' in card.group(0)  # what was typed is kept


def test_percentages_become_basis_points() -> None:
    assert agreement_pages.basis_points("12.5") == 1250
    assert agreement_pages.basis_points("12.50%") == 1250
    assert agreement_pages.basis_points("0") == 0
    assert agreement_pages.basis_points("100") == 10000
    for wrong in ("12.345", "-1", "100.01", "abc", "", "NaN"):
        assert agreement_pages.basis_points(wrong) is None, wrong


# -- review and signing ------------------------------------------------------------------------


def test_decision_then_both_signatures_bring_the_agreement_into_force(
    client: TestClient, database: Database, clock: FixedClock, settings: Settings, world: World
) -> None:
    authorization_id = draft(database, clock, settings, world)
    url = f"/console/authorizations/{authorization_id}"
    csrf = _login(client, world.bureau)
    submitted = client.post(f"{url}/submit", data={"csrf_token": csrf}, follow_redirects=False)
    assert submitted.status_code == 303
    assert "已完成：提交审核。" in client.get(submitted.headers["location"]).text

    too_few = client.post(
        f"{url}/decision",
        data={
            "csrf_token": csrf,
            "meeting": "2026年第13次局务会",
            "held_on": "2026-11-25",
            "participants": "王局长\n李副局长",
            "outcome": "approved",
            "summary": "",
        },
    )
    assert too_few.status_code == 422
    assert "请填写至少 3 名不重复的参会人员，每行一人。" in too_few.text
    assert 'value="2026年第13次局务会"' in too_few.text  # kept

    decided = client.post(
        f"{url}/decision",
        data={
            "csrf_token": csrf,
            "meeting": "2026年第13次局务会",
            "held_on": "2026-11-25",
            "participants": PARTICIPANTS,
            "outcome": "approved",
            "summary": "同意签署",
        },
        follow_redirects=False,
    )
    assert decided.status_code == 303
    page = _text(client.get(decided.headers["location"]).text)
    assert "已记录集体决策。" in page
    assert "已批准待签署" in page
    assert "2026年第13次局务会（2026-11-25）" in page

    signed = client.post(f"{url}/sign", data={"csrf_token": csrf}, follow_redirects=False)
    assert signed.status_code == 303
    html = client.get(url).text
    assert re.search(r'data-party="bureau" data-version="1">.*?✓ 有效', html, re.S)
    assert "以本方名义签署" not in html  # the bureau's side is done
    again = client.post(f"{url}/sign", data={"csrf_token": csrf})
    assert again.status_code == 409
    assert "您方已签署第 1 版。" in again.text

    csrf = _login(client, world.operator)
    offered = client.get(url).text
    assert "以本方名义签署第 1 版" in offered
    assert 'data-action="submit"' not in offered and 'data-action="decision"' not in offered
    signed = client.post(f"{url}/sign", data={"csrf_token": csrf}, follow_redirects=False)
    assert signed.status_code == 303
    text = _text(client.get(url).text)
    assert "生效中" in text
    assert "2026-11-26 至 2029-11-25" in text
    assert text.count("✓ 有效") == 2


def test_a_console_session_opens_the_agreement_document(
    client: TestClient, database: Database, clock: FixedClock, settings: Settings, world: World
) -> None:
    authorization_id = in_force(database, clock, settings, world)
    _login(client, world.operator)
    detail = client.get(f"/console/authorizations/{authorization_id}").text
    link = f"/api/v1/authorizations/{authorization_id}/document.html"
    assert f'href="{link}"' in detail
    document = client.get(link)
    assert document.status_code == 200
    assert "企业融资信用评估场景公共数据授权运营协议" in document.text


# -- while in force ----------------------------------------------------------------------------


def test_a_scope_change_makes_a_version_with_its_differences(
    client: TestClient, database: Database, clock: FixedClock, settings: Settings, world: World
) -> None:
    authorization_id = in_force(database, clock, settings, world)
    url = f"/console/authorizations/{authorization_id}"
    csrf = _login(client, world.bureau)
    nothing = client.post(f"{url}/scope", data={"csrf_token": csrf, "reason": "调整"})
    assert nothing.status_code == 422
    assert "没有需要变更的内容。" in nothing.text
    changed = client.post(
        f"{url}/scope",
        data={
            "csrf_token": csrf,
            "add_entry_ids": [str(world.entries[2])],
            "reason": "扩大至不动产登记",
        },
        follow_redirects=False,
    )
    assert changed.status_code == 303
    html = client.get(url).text
    version_two = re.search(r'<tr data-version="2">.*?</tr>', html, re.S)
    assert version_two is not None
    row = _text(version_two.group(0))
    assert "新增数据资源：" in row and "不动产登记信息" in row
    assert "扩大至不动产登记" in row
    assert "以本方名义签署第 2 版" in html  # the new version awaits the bureau's signature


def test_an_exit_with_too_short_notice_is_refused_clearly(
    client: TestClient, database: Database, clock: FixedClock, settings: Settings, world: World
) -> None:
    authorization_id = in_force(database, clock, settings, world)
    url = f"/console/authorizations/{authorization_id}"
    csrf = _login(client, world.operator)
    page = client.get(url).text
    assert "须至少提前 3 个月申请：今天申请，最早可于 2027-02-26 退出。" in page
    letter = "因公司业务调整，申请退出本授权运营，并配合完成交接。"
    refused = client.post(
        f"{url}/exits", data={"csrf_token": csrf, "letter": letter, "exit_date": "2027-01-15"}
    )
    assert refused.status_code == 422
    assert (
        "退出须至少提前 3 个月书面申请：最早可在 2027-02-26 退出，申请的退出日期为 2027-01-15。"
        in refused.text
    )
    assert letter in refused.text  # kept
    accepted = client.post(
        f"{url}/exits",
        data={"csrf_token": csrf, "letter": letter, "exit_date": "2027-03-01"},
        follow_redirects=False,
    )
    assert accepted.status_code == 303
    text = _text(client.get(accepted.headers["location"]).text)
    assert "退出申请已提交。" in text
    assert "自愿退出 已申请 拟退出日期：2027-03-01" in text
    assert 'data-testid="exit-form"' not in client.get(url).text  # no second request offered


def test_rectification_is_ordered_reported_and_checked(
    client: TestClient, database: Database, clock: FixedClock, settings: Settings, world: World
) -> None:
    authorization_id = in_force(database, clock, settings, world)
    url = f"/console/authorizations/{authorization_id}"
    csrf = _login(client, world.bureau)
    past = client.post(
        f"{url}/rectifications",
        data={
            "csrf_token": csrf,
            "grounds": "breach",
            "description": "未按期报送运营报告",
            "deadline": "2026-11-20",
        },
    )
    assert past.status_code == 422
    assert "整改期限须晚于今天。" in past.text
    issued = client.post(
        f"{url}/rectifications",
        data={
            "csrf_token": csrf,
            "grounds": "breach",
            "description": "未按期报送运营报告",
            "deadline": "2026-12-31",
        },
        follow_redirects=False,
    )
    assert issued.status_code == 303
    order = re.search(r'data-order="([0-9a-f-]{36})"', client.get(url).text)
    assert order is not None
    order_id = order.group(1)

    csrf = _login(client, world.operator)
    assert "违反协议约定 整改中" in _text(client.get(url).text)
    reported = client.post(
        f"{url}/rectifications/{order_id}/report",
        data={"csrf_token": csrf, "report": "已补报 2026 年第三季度运营报告。"},
        follow_redirects=False,
    )
    assert reported.status_code == 303

    csrf = _login(client, world.bureau)
    checked = client.post(
        f"{url}/rectifications/{order_id}/check",
        data={"csrf_token": csrf, "passed": "1", "note": "报告已收到，内容完整。"},
        follow_redirects=False,
    )
    assert checked.status_code == 303
    text = _text(client.get(url).text)
    assert "整改合格" in text and "报告已收到，内容完整。" in text
    assert "生效中" in text


def test_termination_destroys_the_data_and_shows_a_verified_certificate(
    client: TestClient, database: Database, clock: FixedClock, settings: Settings, world: World
) -> None:
    authorization_id = in_force(database, clock, settings, world)
    url = f"/console/authorizations/{authorization_id}"
    csrf = _login(client, world.bureau)
    asked = client.post(
        f"{url}/terminate",
        data={"csrf_token": csrf, "reason": "运营机构发生重大数据安全事件"},
        follow_redirects=False,
    )
    assert asked.status_code == 303
    text = _text(client.get(asked.headers["location"]).text)
    assert "终止申请已提交" in text and "生效中" in text  # one person asked: nothing ended
    assert 'data-testid="terminate-form"' not in client.get(url).text  # no second request

    csrf = _login(client, colleague(database, clock, world.bureau))
    waiting = client.get("/console/approvals").text
    approval = re.search(
        r'data-approval="([0-9a-f-]{36})" data-act="authorization.terminate"', waiting
    )
    assert approval is not None
    approved = client.post(
        f"/console/approvals/{approval.group(1)}/approve",
        data={"csrf_token": csrf, "note": "同意终止"},
        follow_redirects=False,
    )
    assert approved.status_code == 303
    text = _text(client.get(url).text)
    assert "已终止" in text
    assert "数据销毁证明 证明编号 营数销〔2026〕1号" in text
    assert "✓ 证明内容与签名有效" in text
    _login(client, world.operator)
    assert "✓ 证明内容与签名有效" in client.get(url).text


# -- plans ---------------------------------------------------------------------------------------


def test_plans_are_drafted_with_all_ten_parts_and_approved_by_decision(
    client: TestClient, world: World
) -> None:
    csrf = _login(client, world.bureau)
    sections = {f"section_{key}": f"{zh}的内容" for key, zh, _ in service.PLAN_SECTIONS}
    missing = client.post(
        "/console/plans",
        data={
            "csrf_token": csrf,
            "title": "港口物流数据授权运营方案",
            **sections,
            "section_exit": "",
        },
    )
    assert missing.status_code == 422
    assert "实施方案缺少必备内容：退出机制。" in missing.text
    assert 'value="港口物流数据授权运营方案"' in missing.text
    created = client.post(
        "/console/plans",
        data={"csrf_token": csrf, "title": "港口物流数据授权运营方案", **sections},
        follow_redirects=False,
    )
    assert created.status_code == 303
    page = client.get(created.headers["location"]).text
    found = re.search(r'data-plan="([0-9a-f-]{36})">\s*<h2>港口物流数据授权运营方案', page)
    assert found is not None
    plan_id = found.group(1)
    decided = client.post(
        f"/console/plans/{plan_id}/decision",
        data={
            "csrf_token": csrf,
            "meeting": "2026年第14次局务会",
            "held_on": "2026-11-26",
            "participants": PARTICIPANTS,
            "outcome": "approved",
        },
        follow_redirects=False,
    )
    assert decided.status_code == 303
    section = re.search(
        rf'data-plan="{plan_id}">.*?</section>', client.get("/console/plans").text, re.S
    )
    assert section is not None
    assert "已批准" in section.group(0) and "2026年第14次局务会" in section.group(0)
    new_form = client.get("/console/authorizations/new").text
    assert "港口物流数据授权运营方案" in new_form


def test_an_approved_exit_is_carried_out_handed_over_and_completed(
    client: TestClient, database: Database, clock: FixedClock, settings: Settings, world: World
) -> None:
    authorization_id = in_force(database, clock, settings, world)
    url = f"/console/authorizations/{authorization_id}"
    csrf = _login(client, world.operator)
    letter = "因公司业务调整，申请退出本授权运营，并配合完成交接。"
    client.post(
        f"{url}/exits", data={"csrf_token": csrf, "letter": letter, "exit_date": "2027-03-01"}
    )
    found = re.search(r'data-exit="([0-9a-f-]{36})"', client.get(url).text)
    assert found is not None
    exit_url = f"{url}/exits/{found.group(1)}"

    csrf = _login(client, world.bureau)
    approved = client.post(
        f"{exit_url}/decision",
        data={"csrf_token": csrf, "approve": "1", "reason": "同意按期退出"},
        follow_redirects=False,
    )
    assert approved.status_code == 303
    early = client.post(f"{exit_url}/execute", data={"csrf_token": csrf})
    assert early.status_code == 409
    assert "退出日期 2027-03-01 尚未到，不能执行。" in early.text

    clock.advance(timedelta(days=95))  # 2027-03-01
    csrf = _login(client, world.bureau)  # the console session has long expired
    executed = client.post(f"{exit_url}/execute", data={"csrf_token": csrf}, follow_redirects=False)
    assert executed.status_code == 303
    html = client.get(url).text
    assert "已终止" in _text(html) and "交接中" in _text(html)
    items = re.findall(rf'action="{exit_url}/items/([0-9a-f-]{{36}})/done"', html)
    assert len(items) == 6
    unfinished = client.post(f"{exit_url}/complete", data={"csrf_token": csrf})
    assert unfinished.status_code == 409
    assert "还有 6 项交接事项未完成" in unfinished.text
    for item in items:
        done = client.post(
            f"{exit_url}/items/{item}/done", data={"csrf_token": csrf}, follow_redirects=False
        )
        assert done.status_code == 303
    client.post(
        f"{exit_url}/assets",
        data={
            "csrf_token": csrf,
            "asset_name": "自建算力服务器",
            "asset_kind": "operator_investment",
        },
    )
    text = _text(client.get(url).text)
    assert "企业信用核验接口 已开发的数据产品 归政府" in text
    assert "自建算力服务器 运营机构自有投入 归运营机构" in text
    completed = client.post(
        f"{exit_url}/complete", data={"csrf_token": csrf}, follow_redirects=False
    )
    assert completed.status_code == 303
    text = _text(client.get(completed.headers["location"]).text)
    assert "退出已完成。" in text
    assert "自愿退出 已完成" in text
    assert "✓ 证明内容与签名有效" in text


@pytest.mark.rendering
def test_the_pages_read_in_english_without_untranslated_labels(
    client: TestClient, database: Database, clock: FixedClock, settings: Settings, world: World
) -> None:
    authorization_id = in_force(database, clock, settings, world)
    _login(client, world.bureau)
    client.cookies.set(LOCALE_COOKIE, "en")
    for path in (
        "/console/authorizations",
        "/console/authorizations/new",
        f"/console/authorizations/{authorization_id}",
        "/console/plans",
    ):
        page = client.get(path)
        assert page.status_code == 200, path
        assert not re.search(
            r"\b(authz_page|plans_page|clause|mode|right|state)\.[a-z_.]+", _text(page.text)
        ), path
    detail = _text(client.get(f"/console/authorizations/{authorization_id}").text)
    assert "Active" in detail and "✓ valid" in detail
    assert "Sign version" not in detail  # both sides have signed


def test_an_expiring_agreement_shows_its_reminder_and_is_renewed_on_a_decision(
    client: TestClient, database: Database, clock: FixedClock, settings: Settings, world: World
) -> None:
    authorization_id = in_force(database, clock, settings, world)
    clock.advance(timedelta(days=1005))  # 2029-08-27: 90 days before the term ends on 2029-11-25
    with database.unit_of_work() as session:
        sweep.sweep(session, settings=settings, at=clock.now())
    url = f"/console/authorizations/{authorization_id}"
    csrf = _login(client, world.bureau)
    text = _text(client.get(url).text)
    assert "即将到期" in text
    assert "期满（2029-11-25）前 90 天提醒，发送于 2029-08-27 10:00" in text
    refused = client.post(
        f"{url}/renew",
        data={
            "csrf_token": csrf,
            "meeting": "2029年第8次局务会",
            "held_on": "2029-08-28",
            "participants": PARTICIPANTS,
            "outcome": "rejected",
        },
    )
    assert refused.status_code == 422
    assert "集体决策结果为“不同意”，不能据此批准。" in refused.text
    renewed = client.post(
        f"{url}/renew",
        data={
            "csrf_token": csrf,
            "meeting": "2029年第8次局务会",
            "held_on": "2029-08-28",
            "participants": PARTICIPANTS,
            "outcome": "approved",
        },
        follow_redirects=False,
    )
    assert renewed.status_code == 303
    location = renewed.headers["location"]
    assert location.endswith("?done=renew") and str(authorization_id) not in location
    successor = _text(client.get(location).text)
    assert "已生成续期协议，待双方签署。" in successor
    assert "营数授〔2029〕1号 已批准待签署" in successor
    assert "续期自 营数授〔2026〕1号" in successor
    original = _text(client.get(url).text)
    assert "已续期" in original
    assert "续期协议 营数授〔2029〕1号" in original
