"""The demo city's sandbox after `sluice demo`: a workspace for 普惠金融 (``operator``) and
就业服务 (``operator2``) with saved analyses that ran, the ended 智慧停车 closed with its query
refused, and all three in var/demo-credentials.json. Reads the shared city (SQLite)."""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from sluice.core.clock import SystemClock
from sluice.core.database import Database
from sluice.demo.sandbox import ANALYSES
from sluice.sandbox.models import SavedQuery, WorkspaceQuery
from sluice.web.app import create_app
from tests.demo_city import DemoCity


@pytest.fixture
def demo_database(demo_sqlite: DemoCity) -> Iterator[Database]:
    found = Database(demo_sqlite.url)
    yield found
    found.dispose()


def _token(client: TestClient, city: DemoCity, username: str) -> dict[str, str]:
    token = client.post(
        "/api/v1/auth/token", json={"username": username, "password": city.passwords[username]}
    )
    assert token.status_code == 200, token.text
    return {"Authorization": f"Bearer {token.json()['access_token']}"}


def test_the_demo_has_workspaces_with_analyses_and_the_ended_one_refuses(
    demo_sqlite: DemoCity, demo_database: Database
) -> None:
    listed = {w["scenario"]: w for w in demo_sqlite.credentials["workspaces"]}
    agreements = demo_sqlite.credentials["authorizations"]
    assert {s: (w["operator_username"], w["authorization_id"]) for s, w in listed.items()} == {
        "普惠金融": ("operator", agreements["普惠金融"]),
        "就业服务": ("operator2", agreements["就业服务"]),
        "智慧停车": ("operator2", agreements["智慧停车"]),
    }
    app = create_app(demo_sqlite.settings, database=demo_database, clock=SystemClock())
    with TestClient(app) as client:
        finance = client.get(
            f"/api/v1/workspaces/{listed['普惠金融']['id']}",
            headers=_token(client, demo_sqlite, "operator"),
        ).json()
        haigang = _token(client, demo_sqlite, "operator2")
        jobs = client.get(f"/api/v1/workspaces/{listed['就业服务']['id']}", headers=haigang).json()
        parking = client.get(f"/api/v1/workspaces/{listed['智慧停车']['id']}", headers=haigang)
    assert finance["status"] == "open"
    assert [v["name"] for v in finance["views"]] == [
        "bdc_property_registrations",
        "gjj_provident_fund_accounts",
        "power_electricity_bills",
        "scjgj_enterprises",
        "swj_tax_credit_ratings",
        "water_water_bills",
    ]
    assert [v["name"] for v in jobs["views"]] == ["rsj_social_insurance", "scjgj_enterprises"]
    assert parking.json()["status"] == "closed"

    with demo_database.unit_of_work() as session:
        for scenario in ("普惠金融", "就业服务"):
            workspace = uuid.UUID(listed[scenario]["id"])
            saved = session.scalars(
                select(SavedQuery.name).where(SavedQuery.workspace_id == workspace)
            ).all()
            assert sorted(saved) == sorted(name for name, _ in ANALYSES[scenario])
            ran = session.scalars(
                select(WorkspaceQuery).where(WorkspaceQuery.workspace_id == workspace)
            ).all()
            assert len(ran) == len(ANALYSES[scenario])
            assert all(q.outcome == "ok" and q.row_count for q in ran), [
                (q.outcome, q.part) for q in ran
            ]
        refused = session.scalars(
            select(WorkspaceQuery.outcome).where(
                WorkspaceQuery.workspace_id == uuid.UUID(listed["智慧停车"]["id"])
            )
        ).all()
        assert refused == ["authorization_inactive"]
