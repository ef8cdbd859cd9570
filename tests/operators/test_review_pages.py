"""The bureau's qualification pages as a browser sees them: the review with the ownership
path that found a foreign element, judging, deciding, the checklist, both languages."""

from __future__ import annotations

import re

import pytest
from fastapi.testclient import TestClient

from sluice.core.clock import FixedClock
from sluice.core.database import Database
from sluice.core.permissions import Role
from sluice.core.settings import Settings
from sluice.operators import dossier, repository
from sluice.operators.models import OperatorLink
from tests.identity.factories import make_account
from tests.operators.factories import (
    acting_for,
    built_for,
    entity,
    fresh_login,
    judge_all,
    link,
    submit_for,
)

# What a page shows: SQLite only; its queries are the services' and repositories',
# proven on both databases by this module's neighbours (see tests/conftest.py).
pytestmark = pytest.mark.rendering


def test_the_bureau_sees_the_path_to_a_hong_kong_intermediary(
    client: TestClient, database: Database, clock: FixedClock, settings: Settings
) -> None:
    account = make_account(database, clock, Role.OPERATOR)
    built = built_for(database, clock, settings, account)
    actor = acting_for(account)
    with database.unit_of_work() as session:
        holding = built.entities["营口市国有资本投资运营有限公司"]
        hk = entity(session, clock, actor, built.application.id, "港桥投资有限公司", "HK")
        # The municipal holding company is itself 20 % held from Hong Kong.
        dossier.remove_link(
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
    submit_for(database, clock, settings, account, built.application.id)
    bureau = make_account(database, clock, Role.BUREAU)
    fresh_login(client, bureau)
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
    nodes = [
        re.sub(r"<[^>]+>", "", node)
        for node in re.findall(r'<li class="node[^"]*">(.*?)</li>', path.group(1))
    ]
    assert nodes == [
        built.application.company_name,
        "营口市国有资本投资运营有限公司",
        "港桥投资有限公司 · 中国香港 (HK)",  # the place by its name, not only its code
    ]
    assert re.findall(r'<li class="edge">([^<]+)</li>', path.group(1)) == [
        "股东，持股 100.00%",
        "股东，持股 20.00%",
    ]
    assert '<li class="node foreign">港桥投资有限公司 <span class="jurisdiction">' in path.group(1)
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
    built = built_for(database, clock, settings, account)
    submit_for(database, clock, settings, account, built.application.id)
    csrf = fresh_login(client, make_account(database, clock, Role.BUREAU))
    base = f"/console/operators/{built.application.id}"
    page = client.get(base).text
    assert 'data-verdict="qualifies"' in page
    assert page.count('data-judgment=""') == 14

    no_note = client.post(
        f"{base}/judge/premises", data={"csrf_token": csrf, "judgment": "not_met"}
    )
    assert no_note.status_code == 422
    assert "判定为不符合时须说明理由。" in no_note.text
    blocked = client.post(
        f"{base}/decision", data={"csrf_token": csrf, "decision": "qualify", "reason": "同意"}
    )
    assert blocked.status_code == 409
    assert (
        "未判定或判定为不符合的清单项：独立承担民事责任的能力、遵守公平竞争规则、" in blocked.text
    )
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

    fresh_login(client, account)
    mine = client.get(f"/console/operator-application/{built.application.id}?step=submit").text
    assert "资格审核通过" in mine
    assert "各项条件均符合。" in mine
    assert 'data-verdict="qualifies"' in mine


def test_the_bureau_keeps_the_checklist_in_the_console(
    client: TestClient, database: Database, clock: FixedClock
) -> None:
    csrf = fresh_login(client, make_account(database, clock, Role.BUREAU))
    page = client.get("/console/operators/checklist")
    assert page.status_code == 200
    assert page.text.count('class="card item"') == 14
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

    fresh_login(client, make_account(database, clock, Role.OPERATOR))
    assert client.get("/console/operators/checklist").status_code == 403
