"""The qualification and consultation lists as people use them: every row reachable a page
at a time, filters and search that narrow exactly, states by their names, an empty list
that says what happens next; and forms that report every problem, dates included, at once."""

from __future__ import annotations

import re
import uuid
from datetime import date, timedelta

from fastapi.testclient import TestClient

from sluice.core.clock import FixedClock
from sluice.core.database import Database
from sluice.core.i18n import LOCALE_COOKIE
from sluice.core.permissions import OrgKind, Role
from sluice.core.settings import Settings
from sluice.operators.models import OperatorApplication
from sluice.operators.selection.models import SelectionPanelMember, SelectionRound
from sluice.operators.states import DRAFT, QUALIFIED, REJECTED, RETURNED, SUBMITTED
from tests.identity.factories import make_account, make_org
from tests.operators.factories import (
    built_for,
    fresh_login,
    judge_all,
    new_credit_code,
    submit_for,
)

REVIEW = "/console/operators"


def _text(html: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


def _applications(database: Database, clock: FixedClock, count: int) -> dict[int, str]:
    """``count`` applications written straight to the table (the review rules are tested
    elsewhere; a list needs rows): application n was submitted n minutes after the first,
    every fifth is qualified, every seventh still a draft. Returns n -> credit code."""
    codes = {}
    with database.unit_of_work() as session:
        organization_id = make_org(session, clock, OrgKind.OPERATOR)
        for n in range(1, count + 1):
            status = DRAFT if n % 7 == 0 else QUALIFIED if n % 5 == 0 else SUBMITTED
            at = clock.now() + timedelta(minutes=n)
            codes[n] = new_credit_code()
            session.add(
                OperatorApplication(
                    organization_id=organization_id,
                    company_name=f"列表测试运营公司{n:02d}",
                    credit_code=codes[n],
                    status=status,
                    created_by="test",
                    created_at=at,
                    updated_at=at,
                    submitted_at=None if status == DRAFT else at,
                    checks_run=0,
                )
            )
    return codes


def _companies(html: str) -> list[int]:
    return [int(n) for n in re.findall(r">列表测试运营公司(\d+)</a>", html)]


def test_the_review_list_reaches_every_submitted_application_a_page_at_a_time(
    client: TestClient, database: Database, clock: FixedClock
) -> None:
    _applications(database, clock, 70)
    fresh_login(client, make_account(database, clock, Role.BUREAU))
    submitted = [n for n in range(70, 0, -1) if n % 7]  # drafts are the applicant's alone
    assert len(submitted) == 60
    first = client.get(REVIEW)
    assert first.status_code == 200
    assert _companies(first.text) == submitted[:50]
    assert "第 1–50 条，共 60 条" in _text(first.text)
    second = client.get(f"{REVIEW}?page=2")
    assert _companies(second.text) == submitted[50:]
    assert "第 51–60 条，共 60 条" in _text(second.text)
    oldest = client.get(f"{REVIEW}?sort=submitted")
    assert _companies(oldest.text) == sorted(submitted)[:50]
    for wrong in ("0", "3", "abc"):
        assert client.get(f"{REVIEW}?page={wrong}").status_code == 404, wrong


def test_the_review_list_filters_and_searches_exactly(
    client: TestClient, database: Database, clock: FixedClock
) -> None:
    codes = _applications(database, clock, 30)
    fresh_login(client, make_account(database, clock, Role.BUREAU))
    qualified = client.get(f"{REVIEW}?status=qualified").text
    assert sorted(_companies(qualified)) == [5, 10, 15, 20, 25, 30]
    assert _companies(client.get(f"{REVIEW}?status=draft").text) == []
    assert _companies(client.get(f"{REVIEW}?q=公司17").text) == [17]
    assert _companies(client.get(f"{REVIEW}?q={codes[23]}").text) == [23]
    assert _companies(client.get(f"{REVIEW}?q={codes[23].lower()}").text) == [23]
    assert _companies(client.get(f"{REVIEW}?q={codes[21]}").text) == []  # a draft
    both = client.get(f"{REVIEW}?status=qualified&q=公司1").text
    assert _companies(both) == [15, 10]
    html = client.get(REVIEW).text
    assert 'value="draft"' not in html  # never offered: the bureau sees no drafts
    assert re.search(r'<option value="qualified"\s*>资格审核通过</option>', html)
    fragment = client.get(
        f"{REVIEW}?status=qualified", headers={"HX-Request": "true", "HX-Target": "list"}
    ).text
    assert "<html" not in fragment and '<div id="list">' in fragment
    assert sorted(_companies(fragment)) == [5, 10, 15, 20, 25, 30]


def test_the_review_list_shows_states_by_name_and_says_what_an_empty_list_means(
    client: TestClient, database: Database, clock: FixedClock
) -> None:
    fresh_login(client, make_account(database, clock, Role.BUREAU))
    empty = _text(client.get(REVIEW).text)
    assert (
        "还没有提交的资格申请。运营机构在“运营机构资格申请”中提交后，申请会出现在这里等待审核。"
        in empty
    )
    _applications(database, clock, 5)
    html = client.get(REVIEW).text
    tags = re.findall(r'<span class="tag" data-status="([a-z_]+)">([^<]+)</span>', html)
    assert dict(tags) == {"qualified": "资格审核通过", "submitted": "待审核"}
    assert ">submitted<" not in html and ">qualified<" not in html


def test_the_company_form_names_an_impossible_date_and_every_other_problem_at_once(
    client: TestClient, database: Database, clock: FixedClock, settings: Settings
) -> None:
    account = make_account(database, clock, Role.OPERATOR)
    built = built_for(database, clock, settings, account)
    csrf = fresh_login(client, account)
    url = f"/console/operator-application/{built.application.id}"
    response = client.post(
        f"{url}/save/company",
        data={
            "csrf_token": csrf,
            "company_name": built.application.company_name,
            "credit_code": "91210800MA0Q0000",
            "established_on": "2026-02-30",
            "registered_capital_yuan": "一百万",
        },
    )
    assert response.status_code == 422
    html = response.text

    def at_field(name: str) -> str:
        found = re.search(
            rf'name="{name}"[^>]*>\s*<span class="field-error"[^>]*>([^<]+)</span>', html
        )
        assert found is not None, name
        return found.group(1)

    assert at_field("established_on") == "2026-02-30 不是有效的日期：2 月没有 30 日。"
    assert at_field("registered_capital_yuan") == "请输入金额，最多两位小数。"
    assert at_field("credit_code").startswith("统一社会信用代码")
    assert "内容无效。" not in html
    client.cookies.set(LOCALE_COOKIE, "en")
    english = client.post(
        f"{url}/save/company",
        data={
            "csrf_token": csrf,
            "company_name": built.application.company_name,
            "credit_code": built.application.credit_code,
            "established_on": "2026-02-30",
        },
    )
    assert "2026-02-30 is not a valid date: February has no day 30." in english.text
    saved = client.post(
        f"{url}/save/company",
        data={
            "csrf_token": csrf,
            "company_name": built.application.company_name,
            "credit_code": built.application.credit_code,
            "established_on": "2019-03-08",
        },
        follow_redirects=False,
    )
    assert saved.status_code == 303
    assert saved.headers["location"] == f"{url}?step=company&done=saved"
    assert 'value="2019-03-08"' in client.get(f"{url}?step=company").text


def test_a_credit_record_with_two_impossible_dates_names_both(
    client: TestClient, database: Database, clock: FixedClock, settings: Settings
) -> None:
    account = make_account(database, clock, Role.OPERATOR)
    built = built_for(database, clock, settings, account)
    csrf = fresh_login(client, account)
    url = f"/console/operator-application/{built.application.id}"
    response = client.post(
        f"{url}/save/credit-record",
        data={
            "csrf_token": csrf,
            "category": "tax_violation",
            "source": "信用中国",
            "listed_on": "2025-04-31",
            "removed_on": "2025-13-01",
            "description": "",
        },
    )
    assert response.status_code == 422
    text = _text(response.text)
    assert "2025-04-31 不是有效的日期：4 月没有 31 日。" in text
    assert "2025-13-01 不是有效的日期：月份应在 1 到 12 之间。" in text
    assert 'value="tax_violation" selected' in response.text  # the choice is kept


# -- consultation rounds -----------------------------------------------------------------------


def _rounds(
    database: Database, clock: FixedClock, count: int, *, panel_user: uuid.UUID | None = None
) -> None:
    """``count`` rounds written straight to the table, announced one day apart; every
    fourth published, the rest in preparation. ``panel_user`` sits on the odd ones."""
    with database.unit_of_work() as session:
        for n in range(1, count + 1):
            published = n % 4 == 0
            round_ = SelectionRound(
                title=f"列表测试磋商{n:02d}",
                scenario="就业服务" if n % 2 else "普惠金融",
                description="列表测试",
                announced_on=date(2026, 1, 1) + timedelta(days=n),
                status="published" if published else "draft",
                created_at=clock.now(),
                published_at=clock.now() if published else None,
            )
            session.add(round_)
            session.flush()
            if panel_user is not None and n % 2:
                session.add(
                    SelectionPanelMember(
                        round_id=round_.id,
                        user_id=panel_user,
                        display_name="赵教授",
                        named_at=clock.now(),
                    )
                )


def _round_numbers(html: str) -> list[int]:
    return [int(n) for n in re.findall(r">列表测试磋商(\d+)</a>", html)]


def test_the_bureau_reaches_every_round_a_page_at_a_time_and_filters_them(
    client: TestClient, database: Database, clock: FixedClock
) -> None:
    _rounds(database, clock, 55)
    fresh_login(client, make_account(database, clock, Role.BUREAU))
    first = client.get("/console/selections")
    assert _round_numbers(first.text) == list(range(55, 5, -1))
    assert "第 1–50 条，共 55 条" in _text(first.text)
    second = client.get("/console/selections?page=2").text
    assert _round_numbers(second) == [5, 4, 3, 2, 1]
    published = client.get("/console/selections?status=published").text
    assert sorted(_round_numbers(published)) == list(range(4, 56, 4))
    assert set(re.findall(r'data-status="published">([^<]+)<', published)) == {"结果已公布"}
    assert ">published<" not in published
    finance = client.get("/console/selections?q=普惠&status=published").text
    assert sorted(_round_numbers(finance)) == list(range(4, 56, 4))
    employment = client.get("/console/selections?q=就业&status=published").text
    assert _round_numbers(employment) == []
    assert client.get("/console/selections?page=0").status_code == 404
    assert client.get("/console/selections?page=3").status_code == 404


def test_an_empty_rounds_list_says_how_to_start(
    client: TestClient, database: Database, clock: FixedClock
) -> None:
    fresh_login(client, make_account(database, clock, Role.BUREAU))
    text = _text(client.get("/console/selections").text)
    assert "还没有竞争性磋商。在下方“新建磋商”中填写磋商公告和评分因素即可开始。" in text
    panel = make_account(database, clock, Role.PANEL)
    fresh_login(client, panel)
    text = _text(client.get("/console/scoring").text)
    assert "您当前没有需要评分的磋商。数据局将您指定为评审专家后，磋商会出现在这里。" in text


def test_a_panel_member_lists_only_the_rounds_they_sit_on(
    client: TestClient, database: Database, clock: FixedClock
) -> None:
    panel = make_account(database, clock, Role.PANEL)
    _rounds(database, clock, 110, panel_user=panel.user_id)
    fresh_login(client, panel)
    mine = [n for n in range(110, 0, -1) if n % 2]
    first = client.get("/console/scoring").text
    assert _round_numbers(first) == mine[:50]
    assert "第 1–50 条，共 55 条" in _text(first)
    assert _round_numbers(client.get("/console/scoring?page=2").text) == mine[50:]
    assert _round_numbers(client.get("/console/scoring?q=普惠").text) == []  # even ones
    assert client.get("/console/scoring?page=3").status_code == 404


def test_the_round_form_reports_the_weights_the_date_and_the_title_at_once(
    client: TestClient, database: Database, clock: FixedClock
) -> None:
    csrf = fresh_login(client, make_account(database, clock, Role.BUREAU))
    refused = client.post(
        "/console/selections",
        data={
            "csrf_token": csrf,
            "title": "",
            "scenario": "就业服务",
            "announced_on": "2026-02-30",
            "description": "遴选就业服务场景的运营机构。",
            "criteria": "技术方案,50\n运营方案,30",
        },
    )
    assert refused.status_code == 422
    html = refused.text
    assert "评分因素的权重合计须为 100%，当前合计 80%。" in html
    assert "2026-02-30 不是有效的日期：2 月没有 30 日。" in html
    assert re.search(r'name="title"[^>]*>\s*<span class="field-error"[^>]*>[^<]+', html)
    assert "表单有需要修改的地方，见各项下方的提示。" in html
    created = client.post(
        "/console/selections",
        data={
            "csrf_token": csrf,
            "title": "就业服务场景运营机构竞争性磋商",
            "scenario": "就业服务",
            "announced_on": "2026-11-20",
            "description": "遴选就业服务场景的运营机构。",
            "criteria": "技术方案,70\n运营方案,30",
        },
        follow_redirects=False,
    )
    assert created.status_code == 303


def test_the_history_shows_judgments_and_verdicts_by_their_names(
    client: TestClient, database: Database, clock: FixedClock, settings: Settings
) -> None:
    account = make_account(database, clock, Role.OPERATOR)
    built = built_for(database, clock, settings, account)
    submit_for(database, clock, settings, account, built.application.id)
    with database.unit_of_work() as session:
        judge_all(session, clock, built.application.id)
    fresh_login(client, make_account(database, clock, Role.BUREAU))
    page = client.get(f"{REVIEW}/{built.application.id}").text
    history = re.search(r'data-testid="history">.*?</details>', page, re.S)
    assert history is not None
    text = _text(history.group(0))
    assert "符合" in text
    assert "自动检查" in text
    assert not re.search(r"\b(met|not_met|qualifies|needs_review|fails)\b", text)


def test_states_returned_and_rejected_read_as_words_in_english(
    client: TestClient, database: Database, clock: FixedClock
) -> None:
    with database.unit_of_work() as session:
        organization_id = make_org(session, clock, OrgKind.OPERATOR)
        for n, status in enumerate((RETURNED, REJECTED), start=1):
            session.add(
                OperatorApplication(
                    organization_id=organization_id,
                    company_name=f"列表测试运营公司{n:02d}",
                    credit_code=new_credit_code(),
                    status=status,
                    created_by="test",
                    created_at=clock.now(),
                    updated_at=clock.now(),
                    submitted_at=clock.now(),
                    checks_run=0,
                )
            )
    fresh_login(client, make_account(database, clock, Role.BUREAU))
    client.cookies.set(LOCALE_COOKIE, "en")
    html = client.get(REVIEW).text
    tags = dict(re.findall(r'<span class="tag" data-status="([a-z_]+)">([^<]+)</span>', html))
    assert set(tags) == {RETURNED, REJECTED}
    assert tags == {RETURNED: "Returned for changes", REJECTED: "Rejected"}
