"""Operators: a draft is the applicant's alone (404 for the bureau until submitted), dates
far outside any plausible range are refused, evidence is SM4-sealed at rest and files kept
in plaintext before that still read and get sealed (R8.1)."""

from __future__ import annotations

import io
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from sluice.core.clock import FixedClock
from sluice.core.database import Database
from sluice.core.ids import sm3_hex
from sluice.core.permissions import Role
from sluice.core.settings import Settings
from sluice.operators import applications, dossier, evidence
from sluice.operators.evidence import EvidenceCorrupted
from sluice.operators.schemas import ApplicationCreate
from tests.identity.factories import bearer, make_account
from tests.operators.factories import new_credit_code, operator_company

PROBLEM = "application/problem+json"
MINE = "/api/v1/operators/applications"
REVIEW = "/api/v1/operators/review/applications"
FAR = "7325-06-01"


def _problem(response: Any, status: int, code: str) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == PROBLEM
    body: dict[str, Any] = response.json()
    assert body["code"] == code
    return body


def test_the_bureau_cannot_see_a_draft_until_it_is_submitted(
    client: TestClient, database: Database, clock: FixedClock
) -> None:
    applicant = bearer(client, make_account(database, clock, Role.OPERATOR))
    bureau = bearer(client, make_account(database, clock, Role.BUREAU))
    created = client.post(
        MINE,
        json={"company_name": "营口云港数据有限公司", "credit_code": new_credit_code()},
        headers=applicant,
    ).json()
    _problem(client.get(f"{REVIEW}/{created['id']}", headers=bureau), 404, "not_found")
    assert client.get(REVIEW, headers=bureau).json()["total"] == 0
    assert client.get(REVIEW, params={"status": "draft"}, headers=bureau).json()["total"] == 0
    # The applicant itself sees it as ever.
    assert client.get(f"{MINE}/{created['id']}", headers=applicant).status_code == 200


def test_dates_far_outside_any_plausible_range_are_refused(
    client: TestClient, database: Database, clock: FixedClock
) -> None:
    applicant = bearer(client, make_account(database, clock, Role.OPERATOR))
    far = client.post(
        MINE, json={"credit_code": new_credit_code(), "established_on": FAR}, headers=applicant
    )
    body = _problem(far, 422, "invalid_input")
    [error] = body["errors"]
    assert (error["field"], error["type"]) == ("established_on", "date_out_of_range")
    created = client.post(MINE, json={"credit_code": new_credit_code()}, headers=applicant).json()
    record = {"category": "dishonest_debtor", "listed_on": FAR, "description": "列入名单"}
    _problem(
        client.post(f"{MINE}/{created['id']}/credit-records", json=record, headers=applicant),
        422,
        "invalid_input",
    )
    bureau = bearer(client, make_account(database, clock, Role.BUREAU))
    round_ = {
        "title": "普惠金融场景运营机构竞争性磋商",
        "scenario": "普惠金融",
        "description": "遴选普惠金融场景的授权运营机构。",
        "announced_on": FAR,
    }
    refused = _problem(
        client.post("/api/v1/selections", json=round_, headers=bureau), 422, "invalid_input"
    )
    assert refused["errors"][0]["type"] == "date_out_of_range"


def test_evidence_kept_in_plaintext_before_encryption_still_reads_and_gets_sealed(
    session: Session, clock: FixedClock, settings: Settings
) -> None:
    actor = operator_company(session, clock)
    application = applications.create_application(
        session, actor=actor, clock=clock, data=ApplicationCreate()
    )
    content = "旧版本上传的营业执照".encode() * 20
    document = dossier.upload_evidence(
        session,
        actor=actor,
        clock=clock,
        settings=settings,
        application_id=application.id,
        stream=io.BytesIO(content),
        filename="营业执照.pdf",
        content_type="application/pdf",
    )
    path = evidence.directory_of(settings.home) / document.sm3
    # As an earlier version left it: the plaintext under its SM3.
    path.chmod(0o600)
    path.write_bytes(content)
    _, read = dossier.evidence_file(
        session,
        actor=actor,
        settings=settings,
        application_id=application.id,
        evidence_id=document.id,
    )
    assert read == content
    sealed = path.read_bytes()
    assert sealed.startswith(b"SLSM4GCM") and content not in sealed  # sealed on first read
    assert evidence.read(settings.home, document.sm3, keys=settings.keys_path) == content
    # A plaintext that is not what was uploaded is refused, as before.
    path.chmod(0o600)
    path.write_bytes(content[:-1])
    with pytest.raises(EvidenceCorrupted):
        evidence.read(settings.home, document.sm3, keys=settings.keys_path)
    assert sm3_hex(content) == document.sm3


def test_uploading_a_plaintext_kept_file_again_seals_it(settings: Settings) -> None:
    content = b"%PDF-1.4 audit report"
    directory = evidence.directory_of(settings.home)
    directory.mkdir(parents=True, exist_ok=True)
    (directory / sm3_hex(content)).write_bytes(content)
    stored = evidence.store(
        io.BytesIO(content), home=settings.home, keys=settings.keys_path, limit_mb=1
    )
    assert stored.path.read_bytes().startswith(b"SLSM4GCM")
    assert evidence.read(settings.home, stored.sm3, keys=settings.keys_path) == content
    assert [p.name for p in directory.iterdir()] == [stored.sm3]
