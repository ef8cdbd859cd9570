"""The applicant's qualification pages as a browser sees them: the navigation, the steps
filled through the forms, and why an application qualifies through a subsidiary."""

from __future__ import annotations

import re
from datetime import date
from html import unescape

import pytest
from fastapi.testclient import TestClient

from sluice.core.clock import FixedClock
from sluice.core.database import Database
from sluice.core.i18n import LOCALE_COOKIE
from sluice.core.permissions import Role
from sluice.core.settings import Settings
from sluice.operators import dossier
from sluice.operators.schemas import IncidentCreate, IncidentKind
from tests.identity.factories import make_account
from tests.operators.factories import (
    acting_for,
    built_for,
    entity,
    fresh_login,
    link,
    new_credit_code,
    sound_financials,
    submit_for,
)

# What a page shows: SQLite only; its queries are the services' and repositories',
# proven on both databases by this module's neighbours (see tests/conftest.py).
pytestmark = pytest.mark.rendering


def test_the_navigation_shows_each_role_its_pages(
    client: TestClient, database: Database, clock: FixedClock
) -> None:
    fresh_login(client, make_account(database, clock, Role.OPERATOR))
    home = client.get("/console").text
    assert 'href="/console/operator-application"' in home
    assert 'href="/console/operators"' not in home
    fresh_login(client, make_account(database, clock, Role.BUREAU))
    home = client.get("/console").text
    assert 'href="/console/operators"' in home
    assert 'href="/console/operators/checklist"' in home
    assert 'href="/console/operator-application"' not in home
    fresh_login(client, make_account(database, clock, Role.PROVIDER))
    refused = client.get("/console/operators")
    assert refused.status_code == 403
    assert "无权执行此操作" in refused.text


def test_an_applicant_starts_and_fills_an_application_through_the_forms(
    client: TestClient, database: Database, clock: FixedClock
) -> None:
    account = make_account(database, clock, Role.OPERATOR)
    csrf = fresh_login(client, account)
    landing = client.get("/console/operator-application")
    assert landing.status_code == 200
    assert 'data-testid="start-form"' in landing.text
    code = new_credit_code()
    bad = client.post(
        "/console/operator-application",
        data={
            "csrf_token": csrf,
            "company_name": "营口云港数据有限公司",
            "credit_code": code[:-1] + "I",
        },
    )
    assert bad.status_code == 422
    assert "无效：" in bad.text
    started = client.post(
        "/console/operator-application",
        data={"csrf_token": csrf, "company_name": "营口云港数据有限公司", "credit_code": code},
        follow_redirects=False,
    )
    assert started.status_code == 303
    base = started.headers["location"].split("?")[0]
    page = client.get(started.headers["location"])
    assert 'data-testid="steps"' in page.text
    assert "营口云港数据有限公司" in page.text

    saved = client.post(
        f"{base}/save/principal",
        data={
            "csrf_token": csrf,
            "name": "陈晓",
            "position": "法定代表人",
            "nationality": "cn",
            "id_number": "210802198001011234",
            "major_penalty": "on",
        },
        follow_redirects=False,
    )
    assert saved.status_code == 303
    principals = client.get(f"{base}?step=principals").text
    assert "210802********1234" in principals
    assert "210802198001011234" not in principals

    client.post(
        f"{base}/save/entity",
        data={
            "csrf_token": csrf,
            "name": "港桥投资有限公司",
            "kind": "company",
            "jurisdiction": "HK",
        },
    )
    ownership = client.get(f"{base}?step=ownership").text
    ids = dict(re.findall(r'<option value="([0-9a-f-]{36})" >([^<]+)</option>', ownership))
    by_name = {name: key for key, name in ids.items()}
    too_much = client.post(
        f"{base}/save/link",
        data={
            "csrf_token": csrf,
            "holder_id": by_name["港桥投资有限公司"],
            "relation": "shareholder",
            "held_id": by_name["营口云港数据有限公司"],
            "share_percent": "100.5",
        },
    )
    assert too_much.status_code == 422
    assert "请输入 0.01 到 100 之间的百分比" in too_much.text
    linked = client.post(
        f"{base}/save/link",
        data={
            "csrf_token": csrf,
            "holder_id": by_name["港桥投资有限公司"],
            "relation": "shareholder",
            "held_id": by_name["营口云港数据有限公司"],
            "share_percent": "35.5",
        },
        follow_redirects=False,
    )
    assert linked.status_code == 303
    assert "35.50%" in client.get(f"{base}?step=ownership").text

    mismatch = client.post(
        f"{base}/save/financials",
        data={
            "csrf_token": csrf,
            "fiscal_year": "2025",
            "total_assets_yuan": "50,000,000",
            "total_liabilities_yuan": "20,000,000",
            "net_assets_yuan": "30,000,000.01",
            "revenue_yuan": "1000",
            "net_profit_yuan": "-12.5",
            "committed_funds_yuan": "6000000",
            "audit_opinion": "unqualified",
        },
    )
    assert mismatch.status_code == 422
    assert "净资产应等于资产总额减负债总额（30,000,000.00 元）" in mismatch.text
    client.post(
        f"{base}/save/financials",
        data={
            "csrf_token": csrf,
            "fiscal_year": "2025",
            "total_assets_yuan": "50,000,000",
            "total_liabilities_yuan": "20,000,000",
            "net_assets_yuan": "30,000,000",
            "revenue_yuan": "1000",
            "net_profit_yuan": "-12.5",
            "committed_funds_yuan": "6000000",
            "audit_opinion": "unqualified",
        },
    )
    finance = client.get(f"{base}?step=finance").text
    assert "30,000,000.00" in finance
    assert "-12.50" in finance

    uploaded = client.post(
        f"{base}/evidence",
        data={"csrf_token": csrf, "item_key": "premises", "title": "租赁合同"},
        files={"file": ("lease.pdf", b"lease contract", "application/pdf")},
        follow_redirects=False,
    )
    assert uploaded.status_code == 303
    checklist = client.get(f"{base}?step=checklist").text
    assert "租赁合同" in checklist
    refused = client.post(f"{base}/submit", data={"csrf_token": csrf})
    assert refused.status_code == 422
    assert "以下清单项需要上传证明材料：独立承担民事责任的能力、遵守公平竞争规则" in refused.text


def test_the_applicant_sees_why_it_qualifies_through_a_subsidiary(
    client: TestClient, database: Database, clock: FixedClock, settings: Settings
) -> None:
    account = make_account(database, clock, Role.OPERATOR)
    built = built_for(database, clock, settings, account)
    actor = acting_for(account)
    with database.unit_of_work() as session:
        dossier.add_incident(
            session,
            actor=actor,
            clock=clock,
            application_id=built.application.id,
            data=IncidentCreate(
                occurred_on=date(2025, 1, 9), kind=IncidentKind.NETWORK, description="DDoS"
            ),
        )
        sub = entity(session, clock, actor, built.application.id, "云港数据服务有限公司")
        link(
            session, clock, actor, built.application.id, built.applicant_entity, sub, share_bp=6000
        )
        dossier.save_financials(
            session,
            actor=actor,
            clock=clock,
            application_id=built.application.id,
            data=sound_financials(clock, sub),
        )
    submit_for(database, clock, settings, account, built.application.id)
    fresh_login(client, account)
    page = client.get(f"/console/operator-application/{built.application.id}?step=submit").text
    assert "通过下属控制主体“云港数据服务有限公司”符合条件（R2.9）" in page
    through = re.search(r'<div data-testid="through">.*?</div>', page, re.S)
    assert through
    assert re.findall(r'<li class="node">([^<]+)</li>', through.group(0)) == [
        built.application.company_name,
        "云港数据服务有限公司",
    ]
    assert '<li class="edge down">控股子公司，持股 60.00%</li>' in through.group(0)
    assert 'data-entity="云港数据服务有限公司"' in page


def _field_errors(html: str) -> dict[str, str]:
    """Each message the page shows under a field, by the field's name."""
    found = re.findall(r'<span class="field-error" data-testid="error-(\w+)">([^<]+)</span>', html)
    return {name: unescape(text) for name, text in found}


def test_the_company_section_names_a_bad_field_and_every_broken_rule_in_one_response(
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
            "company_name": "营口市国资委",  # already an entity of the ownership graph
            "credit_code": built.application.credit_code,
            "established_on": "2027-03-01",  # the clock reads 2026-11-26
            "registered_capital_yuan": "五千万",
        },
    )
    assert response.status_code == 422
    assert _field_errors(response.text) == {
        "company_name": "股权结构中已有名为“营口市国资委”的主体。",
        "established_on": "日期不能晚于今天。",
        "registered_capital_yuan": "请输入金额，最多两位小数。",
    }
    assert "表单有需要修改的地方，见各项下方的提示。" in response.text
    assert 'value="2027-03-01"' in response.text  # what was typed is kept
    kept = client.get(f"{url}?step=company").text
    heading = re.search(r"<h1>([^<]+) <span", kept)
    assert heading is not None and heading.group(1) == built.application.company_name


def test_a_financial_statement_with_a_bad_amount_a_future_year_and_wrong_net_assets(
    client: TestClient, database: Database, clock: FixedClock, settings: Settings
) -> None:
    account = make_account(database, clock, Role.OPERATOR)
    built = built_for(database, clock, settings, account)
    csrf = fresh_login(client, account)
    url = f"/console/operator-application/{built.application.id}"
    response = client.post(
        f"{url}/save/financials",
        data={
            "csrf_token": csrf,
            "fiscal_year": "2027",
            "total_assets_yuan": "50,000,000",
            "total_liabilities_yuan": "20,000,000",
            "net_assets_yuan": "25,000,000",
            "revenue_yuan": "一千万",
            "net_profit_yuan": "100",
            "committed_funds_yuan": "6000000",
            "audit_opinion": "unqualified",
        },
    )
    assert response.status_code == 422
    assert _field_errors(response.text) == {
        "fiscal_year": "日期不能晚于今天。",
        "net_assets_yuan": "净资产应等于资产总额减负债总额（30,000,000.00 元）。",
        "revenue_yuan": "请输入金额，最多两位小数。",
    }


def test_a_link_already_declared_whose_share_would_pass_100_percent_names_both(
    client: TestClient, database: Database, clock: FixedClock, settings: Settings
) -> None:
    account = make_account(database, clock, Role.OPERATOR)
    built = built_for(database, clock, settings, account)
    csrf = fresh_login(client, account)
    client.cookies.set(LOCALE_COOKIE, "en")
    url = f"/console/operator-application/{built.application.id}"
    english = client.post(
        f"{url}/save/link",
        data={
            "csrf_token": csrf,
            # Already declared holding 100 % of the applicant.
            "holder_id": str(built.entities["营口市国有资本投资运营有限公司"]),
            "relation": "shareholder",
            "held_id": str(built.applicant_entity),
            "share_percent": "10",
        },
    )
    assert english.status_code == 422
    assert _field_errors(english.text) == {
        "relation": "This link already exists.",
        "share_percent": (
            f"The declared shareholders of '{built.application.company_name}' would hold "
            "110.00 %, more than 100 %."
        ),
    }
    assert 'value="10"' in english.text
