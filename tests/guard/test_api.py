"""The guard's routes as an operator meets them: the data an agreement covers, before and
after termination (and the destruction certificate that follows), or while suspended."""

from __future__ import annotations

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
from sluice.core.settings import Settings
from sluice.dataplane import derived
from sluice.identity.signing import verify
from tests.authorizations.factories import World, active_authorization, make_world
from tests.identity.factories import bearer

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
            select(AuditEvent)
            .where(AuditEvent.action == "guard.decision", AuditEvent.outcome == "refused")
            .order_by(AuditEvent.id)
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
