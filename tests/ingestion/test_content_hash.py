"""N4's evidence step (存证): every upload is fixed by the SM3 digest of the bytes the
provider sent, not of the text they were decoded to, on the run and in the audit event the
ingestion writes."""

from __future__ import annotations

import uuid

from fastapi.testclient import TestClient
from sqlalchemy import select

from sluice.audit.models import AuditEvent
from sluice.core.database import Database
from sluice.core.ids import sm3_hex
from sluice.ingestion.models import IngestionRun
from tests.identity.factories import Account
from tests.ingestion.test_service import CSV


def test_the_run_and_its_audit_event_carry_the_sm3_of_the_uploaded_bytes(
    client: TestClient, database: Database, provider: tuple[Account, dict[str, str], str]
) -> None:
    # The helper is SM3 itself: the example of GB/T 32905-2016, appendix A.1.
    assert sm3_hex(b"abc") == "66c7f0f462eeedd9d1f2d46bdc10e4e24167c4875cf2f7a2297da02b8f4ba8e0"
    _, headers, resource_id = provider
    sent = CSV.encode("gb18030")  # decoded to the same text as its UTF-8 form
    assert sm3_hex(sent) != sm3_hex(CSV.encode())
    response = client.post(
        f"/api/v1/resources/{resource_id}/ingestions",
        files={"file": ("residents-gbk.csv", sent, "text/csv")},
        headers=headers,
    )
    assert response.status_code == 201, response.text
    run = response.json()
    assert run["status"] == "ingested"
    assert run["content_hash"] == sm3_hex(sent)
    with database.unit_of_work() as session:
        stored = session.get(IngestionRun, uuid.UUID(run["id"]))
        assert stored is not None and stored.content_hash == sm3_hex(sent)
        [event] = session.scalars(
            select(AuditEvent).where(
                AuditEvent.action == "data.ingested", AuditEvent.target_id == resource_id
            )
        ).all()
        assert event.outcome == "ok"
        assert event.detail["run"] == run["id"]
        assert event.detail["content_hash"] == sm3_hex(sent)
