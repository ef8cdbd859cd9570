"""The consent ledger's console pages as their readers see them: a subject grants (with the
platform's text or its own signed document), sees and revokes its consents and reads who
used its data; a buyer sees the consents granted to it, masked; the bureau reads the ledger
with each evidence's SM3 and opens subjects' accounts, told that real-name verification is
its own, outside the platform. Layouts: SQLite only."""

from __future__ import annotations

from datetime import timedelta

import pytest
from fastapi.testclient import TestClient

from sluice.consent import service
from sluice.core.clock import FixedClock
from sluice.core.ids import sm3_hex
from sluice.core.permissions import Role
from sluice.identity import repository as identity_repository
from tests.consent.world import (
    CREDIT,
    EMPLOYMENT,
    HIRING,
    ID_LI,
    ID_ZHANG,
    INCOME,
    LOAN,
    NOW,
    World,
)
from tests.identity.factories import Account, console_login, make_account

pytestmark = pytest.mark.rendering


def _org(world: World, account: Account) -> str:
    with world.database.unit_of_work() as session:
        assert account.organization_id is not None
        found = identity_repository.organization(session, account.organization_id)
        assert found is not None
        return found.name


def _row(page: str, consent_id: str) -> str:
    return page.split(f'data-consent="{consent_id}"')[1].split("</tr>")[0]


def test_a_subject_grants_sees_and_revokes_its_consent(client: TestClient, world: World) -> None:
    csrf = console_login(client, world.zhang.account())
    page = client.get("/console/consents").text
    assert "您的账户关联的个人：身份证号码 210802********3414" in page
    form = page.split('data-testid="grant-form"')[1].split("</form>")[0]
    assert INCOME.name in form and EMPLOYMENT.name in form
    assert CREDIT.name not in form  # about enterprises: not offered to a person
    buyer = _org(world, world.buyer)
    assert buyer in form

    typed = {
        "csrf_token": csrf,
        "buyer_id": str(world.buyer.organization_id),
        "product_id": str(INCOME.id),
        "purpose": LOAN,
        "valid_from": "2026-11-26",
        "valid_until": "2028-01-01",
    }
    refused = client.post("/console/consents", data=typed)
    assert refused.status_code == 422
    assert "同意的有效期最长 365 天：从 2026-11-26 起最晚到 2027-11-25。" in refused.text
    assert 'value="2028-01-01"' in refused.text  # nothing typed is lost

    made = client.post(
        "/console/consents", data={**typed, "valid_until": "2027-11-25"}, follow_redirects=False
    )
    assert made.status_code == 303
    consent_id = made.headers["location"].split("granted=")[1]
    page = client.get(made.headers["location"]).text
    assert f"已授予同意，同意编号 {consent_id}。请将编号告知数据需求方。" in page
    row = _row(page, consent_id)
    assert buyer in row and INCOME.name in row and LOAN in row
    assert "2026-11-26<br>– 2027-11-25" in row and "有效" in row

    revoked = client.post(
        f"/console/consents/{consent_id}/revoke", data={"csrf_token": csrf}, follow_redirects=False
    )
    assert revoked.status_code == 303
    page = client.get(revoked.headers["location"]).text
    assert f"已撤回同意 {consent_id}。对方此后的调用将被拒绝。" in page
    assert 'data-testid="standing">已撤回' in _row(page, consent_id)
    assert 'data-testid="revoke"' not in _row(page, consent_id)


def test_a_signed_document_uploaded_is_the_evidence(client: TestClient, world: World) -> None:
    csrf = console_login(client, world.li.account())
    document = "本人李娜同意……（手写签名）".encode()
    made = client.post(
        "/console/consents",
        data={
            "csrf_token": csrf,
            "buyer_id": str(world.other_buyer.organization_id),
            "product_id": str(EMPLOYMENT.id),
            "purpose": HIRING,
            "valid_from": "2026-12-01",
            "valid_until": "2026-12-31",
        },
        files={"evidence": ("签署的同意书.pdf", document, "application/pdf")},
        follow_redirects=False,
    )
    assert made.status_code == 303, made.text
    consent_id = made.headers["location"].split("granted=")[1]
    assert "尚未生效" in _row(client.get("/console/consents").text, consent_id)

    console_login(client, world.bureau)
    entry = client.get(f"/console/consent-ledger/{consent_id}").text
    assert "上传的签署文件 · 签署的同意书.pdf" in entry
    assert f'data-testid="evidence-sm3">{sm3_hex(document)}</code>' in entry
    downloaded = client.get(f"/console/consent-ledger/{consent_id}/evidence/file")
    assert downloaded.content == document
    assert downloaded.headers["X-Content-SM3"] == sm3_hex(document)


def test_a_subject_reads_who_used_its_data(client: TestClient, world: World) -> None:
    with world.database.unit_of_work() as session:
        for minutes, (subject, outcome) in enumerate(
            [(world.zhang, "answered"), (world.zhang, "consent_revoked"), (world.li, "answered")]
        ):
            service.record_use(
                session,
                subject_token=subject.token,
                buyer_id=world.buyer.organization_id,  # type: ignore[arg-type]
                product_id=INCOME.id,
                consent_id=None,
                purpose=LOAN,
                at=NOW + timedelta(hours=1, minutes=minutes),
                kind="download" if outcome == "consent_revoked" else "call",
                outcome=outcome,
            )
    console_login(client, world.zhang.account())
    page = client.get("/console/consents/uses").text
    rows = page.split('data-testid="uses"')[1].split("</tbody>")[0].split("<tr data-use=")[1:]
    assert len(rows) == 2
    buyer = _org(world, world.buyer)
    assert "2026-11-26 11:01" in rows[0] and "下载" in rows[0]
    assert "被拒绝" in rows[0] and "consent_revoked" in rows[0]
    assert "2026-11-26 11:00" in rows[1] and "调用" in rows[1] and "已应答" in rows[1]
    assert all(buyer in r and INCOME.name in r and LOAN in r for r in rows)
    answered = client.get("/console/consents/uses?outcome=answered").text
    assert answered.count("<tr data-use=") == 1


def test_a_buyer_sees_the_consents_granted_to_it_masked(client: TestClient, world: World) -> None:
    with world.database.unit_of_work() as session:
        consent = service.grant(
            session,
            actor=world.li.principal(),
            settings=world.settings,
            at=NOW,
            data=service.ConsentGrant(
                buyer_id=world.buyer.organization_id,  # type: ignore[arg-type]
                product_id=INCOME.id,
                purpose=LOAN,
                valid_from=NOW.date(),
                valid_until=NOW.date() + timedelta(days=30),
            ),
        )
    console_login(client, world.buyer)
    page = client.get("/console/consents/granted").text
    row = _row(page, str(consent.id))
    assert f'data-testid="consent-id">{consent.id}</code>' in row
    assert "210804********0028" in row and INCOME.name in row and "有效" in row
    assert ID_LI not in page and ID_ZHANG not in page
    console_login(client, world.other_buyer)
    assert str(consent.id) not in client.get("/console/consents/granted").text


def test_the_bureau_inspects_the_ledger(client: TestClient, world: World) -> None:
    console_login(client, world.bureau)
    page = client.get("/console/consent-ledger", params={"status": "revoked"}).text
    assert "授权同意台账" in page
    assert 'data-testid="standing">已撤回' in page and 'data-testid="standing">有效' not in page
    buyer = client.get(
        "/console/consent-ledger", params={"buyer": str(world.other_buyer.organization_id)}
    ).text
    assert _org(world, world.other_buyer) in buyer and "210804********0028" in buyer
    assert "210802********3414" not in buyer


def test_the_bureau_opens_a_subjects_account(client: TestClient, world: World) -> None:
    csrf = console_login(client, world.bureau)
    page = client.get("/console/data-subjects").text
    assert "实名核验不在平台范围内" in page
    assert "yingkou.valve" in page and "91210800**********" in page
    typed = {
        "csrf_token": csrf,
        "kind": "person",
        "identifier": "210802200001011231",  # wrong check character
        "display_name": "王芳",
        "username": "wang.fang2",
        "password": "correct-horse-battery",
    }
    refused = client.post("/console/data-subjects", data=typed)
    assert refused.status_code == 422
    assert "身份证号码无效" in refused.text
    assert "210802200001011231" not in refused.text  # the identifier is not echoed back
    assert 'value="wang.fang2"' in refused.text
    opened = client.post(
        "/console/data-subjects",
        data={**typed, "identifier": "210802200001011230"},
        follow_redirects=False,
    )
    assert opened.status_code == 303
    page = client.get(opened.headers["location"]).text
    assert "已为个人 210802********1230 开设账户“wang.fang2”。" in page


def test_an_account_not_linked_yet_is_told_so(client: TestClient, world: World) -> None:
    alone = make_account(world.database, FixedClock(NOW), Role.SUBJECT)
    console_login(client, alone)
    page = client.get("/console/consents").text
    assert "您的账户尚未关联到个人或企业" in page and 'data-testid="grant-form"' not in page
    assert "还没有与您有关的调用。" in client.get("/console/consents/uses").text
    home = client.get("/console").text
    assert "账户尚未关联到个人或企业：请联系市数据局。" in home
