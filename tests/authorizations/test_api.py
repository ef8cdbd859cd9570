"""The authorization API as clients see it: the bureau's list, an operator's requests under
its authorization before and after termination, and the destruction certificate."""

from __future__ import annotations

import re
from datetime import date
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from sluice.audit.models import AuditEvent
from sluice.core.canonical import canonical_digest
from sluice.core.clock import FixedClock
from sluice.core.database import Database
from sluice.core.ids import sm3_hex
from sluice.core.keystore import KeyDestroyed
from sluice.core.permissions import Role
from sluice.core.settings import Settings
from sluice.dataplane import derived
from sluice.identity.signing import verify
from tests.authorizations.factories import World, active_authorization, make_world
from tests.identity.factories import bearer, make_account

PROBLEM = "application/problem+json"


@pytest.fixture
def world(database: Database, clock: FixedClock, settings: Settings) -> World:
    return make_world(database, clock, settings)


def _problem(response: Any, status: int, code: str) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == PROBLEM
    body: dict[str, Any] = response.json()
    assert body["code"] == code
    return body


def test_the_bureau_lists_authorizations_with_their_terms(
    client: TestClient, database: Database, clock: FixedClock, settings: Settings, world: World
) -> None:
    authorization_id = active_authorization(database, clock, settings, world)
    response = client.get("/api/v1/authorizations", headers=bearer(client, world.bureau))
    assert response.status_code == 200, response.text
    [row] = response.json()
    assert row["id"] == str(authorization_id)
    assert row["status"] == "active"
    assert row["operator"].startswith("测试operator")
    assert row["scenario"] == "普惠金融"
    assert (row["term_start"], row["term_end"]) == ("2026-11-26", "2029-11-25")


def test_operators_see_only_their_own_and_buyers_nothing(
    client: TestClient, database: Database, clock: FixedClock, settings: Settings, world: World
) -> None:
    authorization_id = active_authorization(database, clock, settings, world)
    own = client.get("/api/v1/authorizations", headers=bearer(client, world.operator))
    assert [r["id"] for r in own.json()] == [str(authorization_id)]
    other = bearer(client, world.other_operator)
    assert client.get("/api/v1/authorizations", headers=other).json() == []
    _problem(
        client.get(f"/api/v1/authorizations/{authorization_id}", headers=other), 404, "not_found"
    )
    buyer = make_account(database, clock, Role.BUYER)
    _problem(
        client.get("/api/v1/authorizations", headers=bearer(client, buyer)),
        403,
        "permission_denied",
    )
    assert client.get("/api/v1/authorizations").status_code == 401


def test_after_termination_every_request_under_the_authorization_is_refused(
    client: TestClient, database: Database, clock: FixedClock, settings: Settings, world: World
) -> None:
    authorization_id = active_authorization(database, clock, settings, world)
    operator = bearer(client, world.operator)
    base = f"/api/v1/authorized-data/{authorization_id}/resources"
    listed = client.get(base, headers=operator)
    assert listed.status_code == 200, listed.text
    assert [r["title"] for r in listed.json()["resources"]] == ["企业登记信息1", "企业登记信息2"]
    assert client.get(f"{base}/{world.resources[0]}", headers=operator).status_code == 200
    outside = client.get(f"{base}/{world.resources[3]}", headers=operator)
    assert "不在授权" in _problem(outside, 403, "out_of_scope")["detail"]

    # Something the operator derived under the authorization, kept encrypted under its key.
    derived.write(settings, authorization_id, "credit-scores.parquet", b"PAR1 scores PAR1")
    expected_sm3 = sm3_hex(
        (derived.derived_dir(settings, authorization_id) / "credit-scores.parquet.sm4").read_bytes()
    )

    asked = client.post(
        f"/api/v1/authorizations/{authorization_id}/terminate",
        json={"reason": "运营机构严重违约"},
        headers=bearer(client, world.bureau),
    )
    assert asked.status_code == 202, asked.text
    assert client.get(base, headers=operator).status_code == 200  # not yet: one person asked
    ended = client.post(
        f"/api/v1/approvals/{asked.json()['id']}/approve",
        json={"note": "同意终止"},
        headers=bearer(client, world.colleague),
    )
    assert ended.status_code == 200, ended.text
    assert ended.json()["status"] == "approved"
    status = client.get(
        f"/api/v1/authorizations/{authorization_id}", headers=bearer(client, world.bureau)
    )
    assert status.json()["status"] == "terminated"

    for path in (base, f"{base}/{world.resources[0]}"):
        body = _problem(client.get(path, headers=operator), 403, "authorization_inactive")
        assert body["detail"] == "授权 营数授〔2026〕1号 当前为“已终止”，不能使用其数据。"
    english = client.get(base, headers={**operator, "Accept-Language": "en"})
    assert _problem(english, 403, "authorization_inactive")["detail"] == (
        "Authorization 营数授〔2026〕1号 is Terminated; its data cannot be used."
    )
    with database.unit_of_work() as session:
        refused = session.scalars(
            select(AuditEvent).where(
                AuditEvent.action == "guard.decision", AuditEvent.outcome == "refused"
            )
        ).all()
        assert [e.detail["reason"] for e in refused] == [
            "out_of_scope",
            "not_in_force",
            "not_in_force",
            "not_in_force",
        ]

    # The derived data and the key are gone; the certificate says so and verifies.
    assert derived.files(settings, authorization_id) == []
    with pytest.raises(KeyDestroyed):
        derived.read(settings, authorization_id, "credit-scores.parquet")
    certificate = client.get(
        f"/api/v1/authorizations/{authorization_id}/destruction-certificate",
        headers=operator,
    ).json()
    assert certificate["number"] == "营数销〔2026〕1号"
    [item] = certificate["content"]["items"]
    assert item == {
        "kind": "derived_file",
        "name": "credit-scores.parquet.sm4",
        "bytes": item["bytes"],
        "sm3": expected_sm3,
    }
    assert certificate["content"]["key"]["scope"] == f"authorization-{authorization_id}"
    assert certificate["content"]["key"]["destroyed"] is True
    assert certificate["valid"] is True

    keys = client.get("/api/v1/public-keys").json()
    [bureau_key] = [k["public_key_hex"] for k in keys if k["organization_kind"] == "bureau"]
    assert canonical_digest(certificate["content"]) == certificate["digest"]
    assert verify(bureau_key, bytes.fromhex(certificate["digest"]), certificate["signature_hex"])
    forged = {**certificate["content"], "items": []}
    assert not verify(
        bureau_key, bytes.fromhex(canonical_digest(forged)), certificate["signature_hex"]
    )
    [operator_key] = [k["public_key_hex"] for k in keys if k["organization_kind"] == "operator"]
    assert not verify(
        operator_key, bytes.fromhex(certificate["digest"]), certificate["signature_hex"]
    )


def test_a_suspended_authorization_refuses_use_until_resumed(
    client: TestClient, database: Database, clock: FixedClock, settings: Settings, world: World
) -> None:
    authorization_id = active_authorization(database, clock, settings, world)
    bureau, operator = bearer(client, world.bureau), bearer(client, world.operator)
    base = f"/api/v1/authorized-data/{authorization_id}/resources"
    path = f"/api/v1/authorizations/{authorization_id}"
    assert (
        client.post(f"{path}/suspend", json={"reason": "安全检查"}, headers=bureau).status_code
        == 200
    )
    body = _problem(client.get(base, headers=operator), 403, "authorization_inactive")
    assert "已暂停" in body["detail"]
    assert (
        client.post(f"{path}/resume", json={"reason": "检查完成"}, headers=bureau).status_code
        == 200
    )
    assert client.get(base, headers=operator).status_code == 200


def test_a_term_over_five_years_is_refused_through_the_api(
    client: TestClient, world: World
) -> None:
    body = {
        "operator_id": str(world.operator.organization_id),
        "plan_id": str(world.plan_id),
        "scenario": "普惠金融",
        "purpose": "小微企业信用评估",
        "term_years": 6,
        "entry_ids": [str(world.entries[0])],
        "clauses": {
            "products": [{"name": "信用画像", "description": "评分", "review": "安全审查"}],
            "revenue": {"government_share_bp": 1000, "method": "按季核算"},
        },
    }
    response = client.post(
        "/api/v1/authorizations",
        json=body,
        headers={**bearer(client, world.bureau), "Accept-Language": "en"},
    )
    problem = _problem(response, 422, "term_too_long")
    assert problem["detail"] == (
        "A term of 6 years is longer than the limit of 5 years (national rules: at most 5)."
    )


def test_voluntary_exit_needs_three_months_notice(
    client: TestClient, database: Database, clock: FixedClock, settings: Settings, world: World
) -> None:
    authorization_id = active_authorization(database, clock, settings, world)
    operator = bearer(client, world.operator)
    url = f"/api/v1/authorizations/{authorization_id}/exits"
    letter = "因公司战略调整，申请退出普惠金融场景授权运营。"
    short = client.post(url, json={"letter": letter, "exit_date": "2027-02-25"}, headers=operator)
    body = _problem(short, 422, "exit_notice_too_short")
    assert body["detail"] == (
        "退出须至少提前 3 个月书面申请：最早可在 2027-02-26 退出，申请的退出日期为 2027-02-25。"
    )
    ok = client.post(url, json={"letter": letter, "exit_date": "2027-02-26"}, headers=operator)
    assert ok.status_code == 201, ok.text
    assert ok.json()["status"] == "requested"


def test_the_agreement_document_carries_the_signatures(
    client: TestClient, database: Database, clock: FixedClock, settings: Settings, world: World
) -> None:
    authorization_id = active_authorization(database, clock, settings, world)
    detail = client.get(
        f"/api/v1/authorizations/{authorization_id}", headers=bearer(client, world.bureau)
    ).json()
    assert [s["valid"] for s in detail["signatures"]] == [True, True]
    html = client.get(
        f"/api/v1/authorizations/{authorization_id}/document.html",
        headers=bearer(client, world.operator),
    )
    assert html.status_code == 200
    text = "".join(re.sub(r"<[^>]+>", "", html.text).split())  # hex is printed in groups
    for signature in detail["signatures"]:
        assert signature["signature_hex"].upper() in text.upper()
    assert "小微企业信用画像" in html.text
    assert date(2029, 11, 25).strftime("%Y") in html.text
    pdf = client.get(
        f"/api/v1/authorizations/{authorization_id}/document.pdf",
        headers=bearer(client, world.bureau),
    )
    assert pdf.status_code == 200
    assert pdf.content.startswith(b"%PDF")
