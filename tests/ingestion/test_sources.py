"""The other source kinds through the same service: Excel uploads and database pulls."""

from __future__ import annotations

import csv
import io
import sqlite3
import uuid
from pathlib import Path

from fastapi.testclient import TestClient
from openpyxl import Workbook

from sluice.core.clock import FixedClock
from sluice.core.database import Database
from sluice.core.permissions import OrgKind, Role
from sluice.core.principal import Principal
from sluice.core.settings import Settings
from sluice.dataplane.readers import SqlSource
from sluice.ingestion import service
from tests.identity.factories import Account
from tests.ingestion.test_service import CSV

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _rows() -> list[list[str]]:
    return list(csv.reader(io.StringIO(CSV)))


def test_an_excel_upload_gives_the_same_counts_as_the_csv(
    client: TestClient,
    provider: tuple[Account, dict[str, str], str],
    tmp_path: Path,
) -> None:
    _, headers, resource_id = provider
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    for row in _rows():
        sheet.append(row)
    path = tmp_path / "residents.xlsx"
    book.save(path)
    response = client.post(
        f"/api/v1/resources/{resource_id}/ingestions",
        files={"file": ("户籍.xlsx", path.read_bytes(), XLSX)},
        headers=headers,
    )
    assert response.status_code == 201, response.text
    run = response.json()
    assert (run["source_kind"], run["rows_total"], run["rows_rejected"]) == ("excel", 6, 4)


def test_a_database_pull_is_ingested_and_recognised_when_repeated(
    provider: tuple[Account, dict[str, str], str],
    database: Database,
    clock: FixedClock,
    settings: Settings,
    tmp_path: Path,
) -> None:
    account, _, resource_id = provider
    source_db = tmp_path / "hukou.db"
    with sqlite3.connect(source_db) as connection:
        header, *rows = _rows()
        connection.execute(
            "CREATE TABLE people (id_number TEXT, name TEXT, mobile TEXT, birth_date TEXT)"
        )
        assert header == ["id_number", "name", "mobile", "birth_date"]
        connection.executemany("INSERT INTO people VALUES (?, ?, ?, ?)", rows)
    pull = SqlSource(f"sqlite:///{source_db}", query="SELECT * FROM people ORDER BY rowid")
    owner = Principal(
        username=account.username,
        via="token",
        user_id=account.user_id,
        organization_id=account.organization_id,
        organization_kind=OrgKind.PROVIDER,
        roles=frozenset({Role.PROVIDER}),
    )
    with database.unit_of_work() as session:
        first = service.ingest(
            session,
            actor=owner,
            clock=clock,
            settings=settings,
            resource_id=uuid.UUID(resource_id),
            source=pull,
            source_name="database: people",
        )
        assert (first.status, first.source_kind, first.rows_total, first.rows_rejected) == (
            "ingested",
            "database",
            6,
            4,
        )
    with database.unit_of_work() as session:
        again = service.ingest(
            session,
            actor=owner,
            clock=clock,
            settings=settings,
            resource_id=uuid.UUID(resource_id),
            source=pull,
            source_name="database: people",
        )
        assert again.status == "duplicate"
