"""The qualification pages as a browser sees them: the applicant's steps, the bureau's review
with the ownership path that found a foreign element, judging, deciding, both languages."""

from __future__ import annotations

import re
from datetime import date

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from sluice.core.clock import FixedClock
from sluice.core.database import Database
from sluice.core.permissions import Role
from sluice.core.settings import Settings
from sluice.operators import repository, service
from sluice.operators.models import OperatorLink
from sluice.operators.schemas import IncidentCreate, IncidentKind
from sluice.web.app import create_app
from tests.identity.factories import Account, console_login, make_account
from tests.operators.factories import (
    Built,
    acting_for,
    complete_application,
    entity,
    judge_all,
    link,
    new_credit_code,
    sound_financials,
    with_operator_routes,
)


@pytest.fixture
def app(settings: Settings, database: Database, clock: FixedClock) -> FastAPI:
    return with_operator_routes(create_app(settings, database=database, clock=clock))


def _login(client: TestClient, account: Account) -> str:
    client.cookies.clear()
    return console_login(client, account)


def _built(database: Database, clock: FixedClock, settings: Settings, account: Account) -> Built:
    with database.unit_of_work() as session:
        return complete_application(
            session, clock, settings, acting_for(account), credit_code=new_credit_code()
        )


def _submit(
    database: Database, clock: FixedClock, settings: Settings, account: Account, app_id: object
) -> None:
    with database.unit_of_work() as session:
        service.submit(
            session,
            actor=acting_for(account),
            clock=clock,
            settings=settings,
            application_id=app_id,  # type: ignore[arg-type]
        )


def test_the_navigation_shows_each_role_its_pages(
    client: TestClient, database: Database, clock: FixedClock
) -> None:
    _login(client, make_account(database, clock, Role.OPERATOR))
    home = client.get("/console").text
    assert 'href="/console/operator-application"' in home
    assert 'href="/console/operators"' not in home
    _login(client, make_account(database, clock, Role.BUREAU))
    home = client.get("/console").text
    assert 'href="/console/operators"' in home
    assert 'href="/console/operators/checklist"' in home
    assert 'href="/console/operator-application"' not in home
    _login(client, make_account(database, clock, Role.PROVIDER))
    refused = client.get("/console/operators")
    assert refused.status_code == 403
    assert "无权执行此操作" in refused.text


def test_an_applicant_starts_and_fills_an_application_through_the_forms(
    client: TestClient, database: Database, clock: FixedClock
) -> None:
    account = make_account(database, clock, Role.OPERATOR)
    csrf = _login(client, account)
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
    assert "以下清单项需要上传证明材料：数据管理制度和流程" in refused.text


def test_the_bureau_sees_the_path_to_a_hong_kong_intermediary(
    client: TestClient, database: Database, clock: FixedClock, settings: Settings
) -> None:
    account = make_account(database, clock, Role.OPERATOR)
    built = _built(database, clock, settings, account)
    actor = acting_for(account)
    with database.unit_of_work() as session:
        holding = built.entities["营口市国有资本投资运营有限公司"]
        hk = entity(session, clock, actor, built.application.id, "港桥投资有限公司", "HK")
        # The municipal holding company is itself 20 % held from Hong Kong.
        service.remove_link(
            session,
            actor=actor,
            clock=clock,
            application_id=built.application.id,
            link_id=next(
                link.id
                for link in repository.children(session, OperatorLink, built.application.id)
                if link.holder_id == built.entities["营口市国资委"] and link.held_id == holding
            ),
        )
        link(
            session,
            clock,
            actor,
            built.application.id,
            built.entities["营口市国资委"],
            holding,
            share_bp=8000,
        )
        link(session, clock, actor, built.application.id, hk, holding, share_bp=2000)
    _submit(database, clock, settings, account, built.application.id)
    bureau = make_account(database, clock, Role.BUREAU)
    _login(client, bureau)
    listed = client.get("/console/operators")
    assert listed.status_code == 200
    assert built.application.company_name in listed.text
    assert 'data-verdict="fails"' in listed.text
    page = client.get(f"/console/operators/{built.application.id}")
    assert page.status_code == 200
    row = re.search(
        r'<tr data-check="domestic_capital" data-result="fail">.*?</tr>', page.text, re.S
    )
    assert row, page.text
    path = re.search(r'<ol class="chain" data-testid="path">(.*?)</ol>', row.group(0), re.S)
    assert path
    nodes = re.findall(r'<li class="node[^"]*">([^<]+)</li>', path.group(1))
    assert nodes == [
        built.application.company_name,
        "营口市国有资本投资运营有限公司",
        "港桥投资有限公司 (HK)",
    ]
    assert re.findall(r'<li class="edge">([^<]+)</li>', path.group(1)) == [
        "股东，持股 100.00%",
        "股东，持股 20.00%",
    ]
    assert '<li class="node foreign">港桥投资有限公司 (HK)</li>' in path.group(1)
    assert re.search(r'<tr data-entity="港桥投资有限公司" class="foreign on-path">', page.text)
    assert "境外成分：港桥投资有限公司（中国香港 (HK)），位于第 2 层。" in page.text

    client.cookies.set("sluice_locale", "en")
    english = client.get(f"/console/operators/{built.application.id}").text
    assert "Foreign element: 港桥投资有限公司 (Hong Kong, China (HK)), 2 level(s) up." in english
    assert "shareholder, 20.00 %" in english


def test_the_bureau_judges_the_checklist_and_decides_with_a_reason(
    client: TestClient, database: Database, clock: FixedClock, settings: Settings
) -> None:
    account = make_account(database, clock, Role.OPERATOR)
    built = _built(database, clock, settings, account)
    _submit(database, clock, settings, account, built.application.id)
    csrf = _login(client, make_account(database, clock, Role.BUREAU))
    base = f"/console/operators/{built.application.id}"
    page = client.get(base).text
    assert 'data-verdict="qualifies"' in page
    assert page.count('data-judgment=""') == 11

    no_note = client.post(
        f"{base}/judge/premises", data={"csrf_token": csrf, "judgment": "not_met"}
    )
    assert no_note.status_code == 422
    assert "判定为不符合时须说明理由。" in no_note.text
    blocked = client.post(
        f"{base}/decision", data={"csrf_token": csrf, "decision": "qualify", "reason": "同意"}
    )
    assert blocked.status_code == 409
    assert "未判定或判定为不符合的清单项：数据管理制度和流程、" in blocked.text
    assert "同意" in blocked.text  # the reason typed is kept

    with database.unit_of_work() as session:
        judge_all(session, clock, built.application.id)
    no_reason = client.post(
        f"{base}/decision", data={"csrf_token": csrf, "decision": "qualify", "reason": ""}
    )
    assert no_reason.status_code == 422
    assert "请填写审核意见（理由）。" in no_reason.text
    decided = client.post(
        f"{base}/decision",
        data={"csrf_token": csrf, "decision": "qualify", "reason": "各项条件均符合。"},
        follow_redirects=False,
    )
    assert decided.status_code == 303
    done = client.get(decided.headers["location"]).text
    assert "已作出决定：认定合格。" in done
    assert 'data-testid="status">资格审核通过' in done
    assert "各项条件均符合。" in done
    assert 'data-testid="decision-form"' not in done

    _login(client, account)
    mine = client.get(f"/console/operator-application/{built.application.id}?step=submit").text
    assert "资格审核通过" in mine
    assert "各项条件均符合。" in mine
    assert 'data-verdict="qualifies"' in mine


def test_the_applicant_sees_why_it_qualifies_through_a_subsidiary(
    client: TestClient, database: Database, clock: FixedClock, settings: Settings
) -> None:
    account = make_account(database, clock, Role.OPERATOR)
    built = _built(database, clock, settings, account)
    actor = acting_for(account)
    with database.unit_of_work() as session:
        service.add_incident(
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
        service.save_financials(
            session,
            actor=actor,
            clock=clock,
            application_id=built.application.id,
            data=sound_financials(clock, sub),
        )
    _submit(database, clock, settings, account, built.application.id)
    _login(client, account)
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


def test_the_bureau_keeps_the_checklist_in_the_console(
    client: TestClient, database: Database, clock: FixedClock
) -> None:
    csrf = _login(client, make_account(database, clock, Role.BUREAU))
    page = client.get("/console/operators/checklist")
    assert page.status_code == 200
    assert page.text.count('class="card item"') == 11
    created = client.post(
        "/console/operators/checklist",
        data={
            "csrf_token": csrf,
            "key": "local_team",
            "requirement": "R2.7",
            "title_zh": "本地服务团队",
            "title_en": "Local team",
            "evidence_required": "on",
            "active": "on",
        },
        follow_redirects=False,
    )
    assert created.status_code == 303
    changed = client.post(
        "/console/operators/checklist/premises",
        data={
            "csrf_token": csrf,
            "title_zh": "固定经营场所",
            "title_en": "Fixed premises",
            "requirement": "R2.7",
        },
        follow_redirects=False,
    )
    assert changed.status_code == 303
    after = client.get("/console/operators/checklist").text
    assert "本地服务团队" in after
    assert re.search(
        r'data-item="premises"[^>]*>\s*<summary><strong>固定经营场所</strong>.*?已停用', after, re.S
    )

    _login(client, make_account(database, clock, Role.OPERATOR))
    assert client.get("/console/operators/checklist").status_code == 403
