"""The consent ledger through its API (R8.7, R8.11): a subject grants, lists and revokes its
consents and reads the uses of its data, and nobody else's; a buyer sees the consents granted
to it with the subject masked; the bureau opens subjects' accounts and inspects the ledger
with each consent's evidence and its SM3. The plaintext identifier is kept nowhere."""

from __future__ import annotations

import uuid
from datetime import timedelta

from fastapi.testclient import TestClient
from sqlalchemy import String, Text, inspect, select

from sluice.consent import service
from sluice.core.database import Base
from sluice.core.ids import sm3_hex
from sluice.core.paging import ListQuery
from sluice.core.permissions import Role
from tests.consent.world import (
    AFTER_LOAN,
    CREDIT,
    EMPLOYMENT,
    FREE,
    HIRING,
    ID_LI,
    ID_ZHANG,
    INCOME,
    LOAN,
    NOW,
    SUPPLIER,
    USCC_FACTORY,
    Subject,
    World,
)
from tests.identity.factories import PASSWORD, Account, bearer

EN = {"Accept-Language": "en"}


def _login(client: TestClient, account: Account) -> dict[str, str]:
    return bearer(client, account)


def _grant(
    client: TestClient, headers: dict[str, str], world: World, **changes: object
) -> dict[str, object]:
    body = {
        "buyer_id": str(world.buyer.organization_id),
        "product_id": str(INCOME.id),
        "purpose": LOAN,
        "valid_from": "2026-11-26",
        "valid_until": "2027-05-25",
        **changes,
    }
    response = client.post("/api/v1/consents", json=body, headers=headers)
    assert response.status_code == 201, response.text
    return dict(response.json())


def test_a_subject_grants_sees_and_revokes_and_the_buyer_and_bureau_see_it(
    client: TestClient, world: World
) -> None:
    zhang = _login(client, world.zhang.account())
    granted = _grant(client, zhang, world)
    consent_id = str(granted["id"])
    assert {k: granted[k] for k in ("product", "purpose", "standing", "subject", "status")} == {
        "product": INCOME.name,
        "purpose": LOAN,
        "standing": "active",
        "subject": "210802********3414",
        "status": "granted",
    }
    mine = client.get("/api/v1/consents/mine", headers=zhang).json()
    assert consent_id in [c["id"] for c in mine["items"]]
    assert client.get(f"/api/v1/consents/mine/{consent_id}", headers=zhang).json() == granted

    # The buyer sees it, masked; the other buyer does not.
    buyer = _login(client, world.buyer)
    seen = client.get("/api/v1/consents/granted", headers=buyer)
    row = next(c for c in seen.json()["items"] if c["id"] == consent_id)
    assert row["subject"] == "210802********3414" and row["subject_kind"] == "person"
    assert ID_ZHANG not in seen.text
    other = client.get("/api/v1/consents/granted", headers=_login(client, world.other_buyer))
    assert consent_id not in other.text

    # The bureau's ledger holds it with its evidence: the platform's consent text, whose
    # SM3 is the one recorded.
    bureau = _login(client, world.bureau)
    ledger = client.get(
        "/api/v1/consents/ledger",
        params={"buyer": str(world.buyer.organization_id), "status": "active"},
        headers=bureau,
    ).json()
    entry = next(c for c in ledger["items"] if c["id"] == consent_id)
    assert entry["evidence_kind"] == "generated"
    assert entry["evidence_name"] == f"consent-{consent_id}.txt"
    document = client.get(f"/api/v1/consents/ledger/{consent_id}/evidence", headers=bureau)
    assert document.status_code == 200
    assert document.headers["X-Content-SM3"] == entry["evidence_sm3"] == sm3_hex(document.content)
    assert entry["evidence_bytes"] == len(document.content)
    text = document.content.decode("utf-8")
    assert f"同意编号：{consent_id}" in text
    assert "授权人（信息主体，个人）：身份证号码 210802********3414" in text
    assert f"数据产品：{INCOME.name}（{INCOME.code}）" in text
    assert f"使用目的：{LOAN}" in text
    assert "有效期：2026-11-26 至 2027-05-25（含首尾两日，北京时间）" in text
    assert "确认方式：本人登录平台账户 zhang.wei 后在线确认" in text
    assert ID_ZHANG not in text
    # Neither the subject nor the buyer downloads the evidence.
    for headers in (zhang, buyer):
        refused = client.get(f"/api/v1/consents/ledger/{consent_id}/evidence", headers=headers)
        assert refused.status_code == 403

    revoked = client.post(f"/api/v1/consents/{consent_id}/revoke", headers=zhang)
    assert revoked.status_code == 200
    assert (revoked.json()["standing"], revoked.json()["status"]) == ("revoked", "revoked")
    again = client.post(f"/api/v1/consents/{consent_id}/revoke", headers={**zhang, **EN})
    assert again.status_code == 409 and again.json()["code"] == "invalid_transition"
    row = next(
        c
        for c in client.get("/api/v1/consents/granted", headers=buyer).json()["items"]
        if c["id"] == consent_id
    )
    assert row["standing"] == "revoked"


def test_a_grant_breaking_the_rules_is_refused_naming_every_field(
    client: TestClient, world: World
) -> None:
    zhang = {**_login(client, world.zhang.account()), **EN}
    body = {
        "buyer_id": str(world.bureau.organization_id),  # not a buyer
        "product_id": str(INCOME.id),
        "purpose": HIRING,  # not one of the product's purposes
        "valid_from": "2026-11-25",  # yesterday
        "valid_until": "2027-11-25",
    }
    refused = client.post("/api/v1/consents", json=body, headers=zhang)
    assert refused.status_code == 422
    assert {e["field"]: e["message"] for e in refused.json()["errors"]} == {
        "buyer_id": "Please choose a buyer.",
        "purpose": f"The product's purposes are: {LOAN}、{AFTER_LOAN}.",
        "valid_from": "The first day cannot be before today (2026-11-26).",
        "valid_until": "A consent lasts at most 365 days: from 2026-11-25, 2027-11-24 at the "
        "latest.",
    }
    # A year from today is the longest; a product about enterprises or one that needs no
    # consent cannot be consented to by a person.
    longest = {**body, "buyer_id": str(world.buyer.organization_id), "purpose": LOAN}
    longest |= {"valid_from": "2026-11-26", "valid_until": "2027-11-26"}
    assert client.post("/api/v1/consents", json=longest, headers=zhang).status_code == 422
    assert (
        client.post(
            "/api/v1/consents", json={**longest, "valid_until": "2027-11-25"}, headers=zhang
        ).status_code
        == 201
    )
    for product, message in (
        (
            CREDIT,
            "This product is about subjects of type Enterprise; your account stands for one of "
            "type Person.",
        ),
        (FREE, "Please choose a listed product that needs consent."),
    ):
        refused = client.post(
            "/api/v1/consents",
            json={**longest, "valid_until": "2027-01-01", "product_id": str(product.id)},
            headers=zhang,
        )
        assert refused.status_code == 422
        assert refused.json()["errors"][0]["message"] == message
    # The enterprise consents to its own product.
    factory = _login(client, world.factory.account())
    made = _grant(client, factory, world, product_id=str(CREDIT.id), purpose=SUPPLIER)
    assert made["subject"] == "91210800**********" and made["subject_kind"] == "enterprise"


def test_a_first_day_beyond_the_longest_validity_is_refused_naming_it(
    client: TestClient, world: World
) -> None:
    zhang = {**_login(client, world.zhang.account()), **EN}
    body = {
        "buyer_id": str(world.buyer.organization_id),
        "product_id": str(INCOME.id),
        "purpose": LOAN,
    }
    for first, last in (("9999-12-30", "9999-12-31"), ("2027-11-27", "2027-12-01")):
        refused = client.post(
            "/api/v1/consents",
            json={**body, "valid_from": first, "valid_until": last},
            headers=zhang,
        )
        assert refused.status_code == 422, refused.text
        assert refused.json()["code"] == "invalid_input"
        assert {e["field"]: e["message"] for e in refused.json()["errors"]} == {
            "valid_from": "The first day can be at most 365 days from today (2027-11-26)."
        }


def test_another_subjects_consent_does_not_exist_for_a_subject(
    client: TestClient, world: World
) -> None:
    li = _login(client, world.li.account())
    theirs = _grant(client, li, world, product_id=str(EMPLOYMENT.id), purpose=HIRING)["id"]
    zhang = _login(client, world.zhang.account())
    assert client.get(f"/api/v1/consents/mine/{theirs}", headers=zhang).status_code == 404
    refused = client.post(f"/api/v1/consents/{theirs}/revoke", headers=zhang)
    assert refused.status_code == 404 and refused.json()["code"] == "not_found"
    assert theirs not in client.get("/api/v1/consents/mine", headers=zhang).text
    assert client.get(f"/api/v1/consents/mine/{theirs}", headers=li).status_code == 200


def _uses(world: World, subject: Subject, buyer: Account, *outcomes: str) -> None:
    with world.database.unit_of_work() as session:
        for n, outcome in enumerate(outcomes):
            service.record_use(
                session,
                subject_token=subject.token,
                buyer_id=buyer.organization_id,  # type: ignore[arg-type]
                product_id=INCOME.id,
                consent_id=None if outcome == "consent_required" else uuid.uuid4(),
                purpose=LOAN,
                at=NOW + timedelta(minutes=n),
                kind="call",
                outcome=outcome,
            )


def test_a_subject_reads_the_uses_of_its_own_data_only_newest_first(
    client: TestClient, world: World
) -> None:
    _uses(world, world.zhang, world.buyer, "answered", "consent_required", "answered")
    _uses(world, world.li, world.other_buyer, "answered")
    zhang = _login(client, world.zhang.account())
    found = client.get("/api/v1/consents/my-uses", headers=zhang).json()
    assert found["total"] == 3
    assert [(u["outcome"], u["used_at"][:16]) for u in found["items"]] == [
        ("answered", "2026-11-26T02:02"),
        ("consent_required", "2026-11-26T02:01"),
        ("answered", "2026-11-26T02:00"),
    ]
    first = found["items"][0]
    assert (first["buyer_id"], first["product"], first["purpose"], first["kind"]) == (
        str(world.buyer.organization_id),
        INCOME.name,
        LOAN,
        "call",
    )
    refused = client.get("/api/v1/consents/my-uses?outcome=refused", headers=zhang).json()
    assert [u["outcome"] for u in refused["items"]] == ["consent_required"]
    li = client.get("/api/v1/consents/my-uses", headers=_login(client, world.li.account()))
    assert li.json()["total"] == 1
    assert li.json()["items"][0]["buyer_id"] == str(world.other_buyer.organization_id)


def test_the_bureau_opens_subjects_accounts_and_refuses_bad_or_taken_identifiers(
    client: TestClient, world: World
) -> None:
    bureau = {**_login(client, world.bureau), **EN}
    body = {
        "username": "wang.fang",
        "display_name": "王芳",
        "password": PASSWORD,
        "kind": "person",
        "identifier": "  ２１０８０４１９９００３０１００２８ ",  # Li's, in full-width digits
    }
    taken = client.post("/api/v1/consents/subjects", json=body, headers=bureau)
    assert taken.status_code == 409
    assert taken.json()["errors"] == [
        {
            "field": "identifier",
            "type": "identifier_taken",
            "message": "A data subject account is already open for this ID number.",
        }
    ]
    wrong = client.post(
        "/api/v1/consents/subjects",
        json={**body, "identifier": ID_LI[:-1] + "9"},
        headers=bureau,
    )
    assert wrong.status_code == 422
    assert wrong.json()["errors"][0]["message"].startswith("Not a valid ID number")
    opened = client.post(
        "/api/v1/consents/subjects",
        json={**body, "identifier": "210802200001011230"},
        headers=bureau,
    )
    assert opened.status_code == 201, opened.text
    assert opened.json()["masked"] == "210802********1230"
    assert "210802200001011230" not in opened.text
    account = Account(
        "wang.fang", PASSWORD, uuid.UUID(opened.json()["user_id"]), None, Role.SUBJECT
    )
    me = client.get("/api/v1/me", headers=bearer(client, account))
    assert me.status_code == 200 and me.json()["roles"] == ["subject"]


def test_the_plaintext_identifiers_are_stored_nowhere(client: TestClient, world: World) -> None:
    # A consent of its own, so its sealed evidence is there whichever tests ran before.
    _grant(client, _login(client, world.zhang.account()), world, valid_until="2026-12-25")
    secrets = [ID_ZHANG, ID_LI, USCC_FACTORY, "210802200001011230"]
    with world.database.unit_of_work() as session:
        for table in Base.metadata.sorted_tables:
            if not inspect(session.get_bind()).has_table(table.name):
                continue
            texts = [c for c in table.columns if isinstance(c.type, String | Text)]
            jsons = [c for c in table.columns if c.type.__class__.__name__ == "JSON"]
            if not texts and not jsons:
                continue
            for row in session.execute(select(*texts, *jsons)):
                blob = " ".join(str(v) for v in row)
                for secret in secrets:
                    assert secret not in blob, (table.name, secret)
    home = world.settings.home
    root = home.parent
    files = [p for p in (*home.rglob("*"), *root.glob("*.db*")) if p.is_file()]
    assert any(p.parent.name == "evidence" for p in files)  # the consents' evidence is there
    for path in files:
        content = path.read_bytes()
        for secret in secrets:
            for form in (secret.encode(), secret.encode("utf-16-le")):
                assert form not in content, (path, secret)


def test_lists_page_and_filter_by_standing(client: TestClient, world: World) -> None:
    # A revoked consent of its own: the test does not rely on another one running first.
    zhang = _login(client, world.zhang.account())
    made = _grant(client, zhang, world, valid_until="2026-12-25")
    revoked = client.post(f"/api/v1/consents/{made['id']}/revoke", headers=zhang)
    assert revoked.status_code == 200, revoked.text
    with world.database.unit_of_work() as session:
        page = service.consents(
            session,
            actor=world.principal(world.bureau),
            at=NOW,
            query=ListQuery(size=2, sort="granted", descending=True, filters={"status": "revoked"}),
        )
        assert page.total >= 1 and all(v.standing == "revoked" for v in page.items)
        later = service.consents(
            session,
            actor=world.principal(world.bureau),
            at=NOW + timedelta(days=400),
            query=ListQuery(filters={"status": "active"}),
        )
        assert later.total == 0
