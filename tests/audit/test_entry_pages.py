"""The audit log page filters by the entry fields (reason code, purpose, data resource),
reads older rows' reason from their detail, and shows and exports the fields."""

from __future__ import annotations

import csv
import io
import re
import uuid
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from sluice.audit import service as audit
from sluice.audit.models import AuditEvent
from sluice.core.clock import FixedClock
from sluice.core.database import Database
from sluice.core.permissions import Role
from sluice.core.principal import Principal
from tests.audit.conftest import World
from tests.audit.factories import utc
from tests.identity.factories import console_login, make_account

RESOURCE = uuid.UUID("6b1e2f3a-4c5d-4e6f-8a9b-0c1d2e3f4a5b")
REQUEST = uuid.UUID("1d2c3b4a-5e6f-4a7b-8c9d-0e1f2a3b4c5d")


@pytest.fixture
def bureau(client: TestClient, database: Database, clock: FixedClock) -> Iterator[TestClient]:
    console_login(client, make_account(database, clock, Role.BUREAU, username="auditor"))
    yield client


@pytest.fixture
def used(database: Database, world: World) -> int:
    """An entry of the operator's with every field: it used RESOURCE, was refused."""
    actor = Principal(
        username=world.operator.account.username,
        via="session",
        user_id=world.operator.account.user_id,
        organization_id=world.operator.account.organization_id,
        request_id=REQUEST,
        client_address="203.0.113.8",
    )
    with database.unit_of_work() as session:
        event = audit.record(
            session,
            actor=actor,
            action="guard.sandbox_query",
            target_type="authorization",
            target_id=uuid.uuid4(),
            at=utc(2026, 10, 27, 2, 0),
            outcome="refused",
            reason="out_of_scope",
            purpose="贷前审查",
            resources=[RESOURCE],
        )
        session.flush()
        return event.id


def _ids(html: str) -> list[int]:
    return [int(i) for i in re.findall(r'data-testid="audit-row" data-id="(\d+)"', html)]


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        # The column, and an older entry that kept its reason code in its detail.
        ("reason=out_of_scope", ["used", "refused"]),
        ("purpose=贷前", ["used"]),
        (f"resource={RESOURCE}", ["used"]),
        ("resource=00000000-0000-4000-8000-00000000dead", []),
    ],
)
def test_the_log_filters_by_the_entry_fields(
    bureau: TestClient, world: World, used: int, query: str, expected: list[str]
) -> None:
    ids = {"used": used, "refused": world.refused}
    page = bureau.get(f"/console/audit?{query}")
    assert page.status_code == 200
    assert _ids(page.text) == [ids[name] for name in expected]


def test_a_resource_that_is_no_id_is_explained_and_lists_nothing(
    bureau: TestClient, world: World, used: int
) -> None:
    page = bureau.get("/console/audit?resource=not-an-id")
    assert page.status_code == 200
    assert "“not-an-id”不是数据资源编号" in page.text
    assert "请更正筛选条件后再查询。" in page.text
    assert _ids(page.text) == []
    export = bureau.get("/console/audit.csv?resource=not-an-id")
    assert export.status_code == 422


def test_the_row_and_the_export_show_the_entry_fields(
    bureau: TestClient, world: World, used: int
) -> None:
    page = bureau.get(f"/console/audit?resource={RESOURCE}").text
    assert f"resource={RESOURCE}" in page and "203.0.113.8" in page
    assert "数据资源不在授权范围内" in page  # the reason code in words
    rows = list(csv.reader(io.StringIO(bureau.get("/console/audit.csv?purpose=贷前").text[1:])))
    assert rows[1][0] == str(used)
    assert rows[1][11:] == [
        "out_of_scope",
        "贷前审查",
        "",
        "",
        str(RESOURCE),
        "203.0.113.8",
        str(REQUEST),
    ]


def test_each_request_writes_its_own_id_and_the_direct_peer_s_address(
    bureau: TestClient, database: Database, world: World
) -> None:
    # No trusted proxy is set: a forwarded address is not believed.
    for _ in range(2):
        response = bureau.get("/console/audit.csv", headers={"X-Forwarded-For": "198.51.100.9"})
        assert response.status_code == 200
    with database.unit_of_work() as session:
        exports = session.scalars(
            select(AuditEvent).where(AuditEvent.action == audit.EXPORTED).order_by(AuditEvent.id)
        ).all()
        assert [e.client_address for e in exports] == ["testclient", "testclient"]
        first, second = (e.request_id for e in exports)
        assert first is not None and second is not None and first != second
