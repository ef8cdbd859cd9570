"""The provider fixture the ingestion tests share: a department with a residents resource."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from sluice.core.clock import FixedClock
from sluice.core.database import Database
from sluice.core.permissions import Role
from tests.identity.factories import Account, bearer, make_account
from tests.ingestion.test_service import FIELDS


@pytest.fixture
def provider(
    client: TestClient, database: Database, clock: FixedClock
) -> tuple[Account, dict[str, str], str]:
    account = make_account(database, clock, Role.PROVIDER)
    headers = bearer(client, account)
    created = client.post(
        "/api/v1/resources",
        json={
            "code": "residents",
            "name": "户籍人口基本信息",
            "domain": "governance",
            "update_frequency": "daily",
            "open_level": "conditional",
            "classification": "population",
            "grade": "3",
            "fields": FIELDS,
        },
        headers=headers,
    )
    assert created.status_code == 201, created.text
    return account, headers, created.json()["id"]
