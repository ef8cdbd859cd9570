"""Uploads over the row cap or the unpacked-bytes cap are refused with a stable code, and
nothing is written: no version, no quarantine, no raw file, no run (R8.3).

The caps are set small in this module's settings so the files stay small and fast.
"""

from __future__ import annotations

import gzip
import io
import uuid
from pathlib import Path

import openpyxl
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from fastapi.testclient import TestClient

from sluice.core.clock import SystemClock
from sluice.core.database import Database
from sluice.core.errors import InvalidInput
from sluice.core.principal import Principal
from sluice.core.settings import Settings
from sluice.ingestion import service
from tests.dataplane.test_expansion import cell, xlsx
from tests.identity.factories import Account
from tests.ingestion.test_service import residents

MAX_ROWS = 10


@pytest.fixture
def settings(tmp_path: Path, database: Database) -> Settings:
    return Settings(
        home=tmp_path / "var",
        database_url=database.url,
        ingest_max_rows=MAX_ROWS,
        ingest_max_uncompressed_mb=1,
    )


def _stored(settings: Settings) -> list[Path]:
    """Every file an ingestion could have left: versions, raw uploads, quarantines,
    upload scratch files."""
    places = [settings.data_dir, *(settings.home / d for d in ("raw", "quarantine", "uploads"))]
    return [p for place in places if place.exists() for p in place.rglob("*") if p.is_file()]


def _refused(
    client: TestClient,
    provider: tuple[Account, dict[str, str], str],
    settings: Settings,
    name: str,
    content: bytes,
    code: str,
) -> dict[str, object]:
    _, headers, resource_id = provider
    response = client.post(
        f"/api/v1/resources/{resource_id}/ingestions",
        files={"file": (name, content, "application/octet-stream")},
        headers={**headers, "Accept-Language": "en"},
    )
    assert response.status_code == 422, response.text
    problem: dict[str, object] = response.json()
    assert problem["code"] == code
    assert _stored(settings) == []
    assert client.get(f"/api/v1/resources/{resource_id}/ingestions", headers=headers).json() == []
    return problem


def _xlsx_bytes(rows: int) -> bytes:
    book = openpyxl.Workbook(write_only=True)
    sheet = book.create_sheet()
    sheet.append(["id_number", "name", "mobile", "birth_date"])
    text = residents(rows).decode().splitlines()[1:]
    for line in text:
        sheet.append(line.split(","))
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _parquet_bytes(table: pa.Table) -> bytes:
    out = io.BytesIO()
    pq.write_table(table, out, compression="zstd")
    return out.getvalue()


def test_a_file_at_the_row_cap_is_stored(
    client: TestClient, provider: tuple[Account, dict[str, str], str], settings: Settings
) -> None:
    """The cap is a limit, not an off-by-one: exactly ``MAX_ROWS`` rows go in."""
    _, headers, resource_id = provider
    for name, content in (("ok.csv", residents(MAX_ROWS)), ("ok.xlsx", _xlsx_bytes(MAX_ROWS))):
        stored = client.post(
            f"/api/v1/resources/{resource_id}/ingestions",
            files={"file": (name, content, "application/octet-stream")},
            headers=headers,
        )
        assert stored.status_code == 201, stored.text
        assert stored.json()["rows_accepted"] == MAX_ROWS


@pytest.mark.parametrize(
    ("name", "content"),
    [
        ("residents.csv", residents(MAX_ROWS + 1)),
        ("residents.xlsx", _xlsx_bytes(MAX_ROWS + 1)),
        ("residents.parquet", _parquet_bytes(pa.table({"id_number": ["x"] * (MAX_ROWS + 1)}))),
    ],
)
def test_one_row_over_the_cap_is_refused_and_nothing_is_written(
    client: TestClient,
    provider: tuple[Account, dict[str, str], str],
    settings: Settings,
    name: str,
    content: bytes,
) -> None:
    problem = _refused(client, provider, settings, name, content, "upload_too_many_rows")
    assert problem["detail"] == (
        "The file has more than the limit of 10 rows. Nothing was stored; please split it "
        "into several files."
    )


def test_a_parquet_value_repeated_past_the_byte_cap_is_refused_before_it_is_spelled_out(
    client: TestClient, provider: tuple[Account, dict[str, str], str], settings: Settings
) -> None:
    """One 300 KB name, dictionary-encoded, on 8 rows: a few KB packed, 2.4 MB spelled out."""
    long_name = "张" * 100_000
    table = pa.table(
        {
            "id_number": [f"x{n}" for n in range(8)],
            "name": pa.array([long_name] * 8).dictionary_encode(),
        }
    )
    content = _parquet_bytes(table)
    assert len(content) < 20_000
    problem = _refused(client, provider, settings, "n.parquet", content, "upload_expands_too_far")
    assert "1 MB" in str(problem["detail"])


def test_a_workbook_whose_grid_passes_the_byte_cap_is_refused(
    client: TestClient, provider: tuple[Account, dict[str, str], str], settings: Settings
) -> None:
    """Two cells, A1 and XFD5: a 1.5 KB file calamine would lay out as 5 x 16,384 cells."""
    buffer = xlsx(
        settings.home.parent / "far.xlsx",
        '<row r="1">' + cell("A1", "id_number") + "</row>"
        '<row r="5">' + cell("XFD5", "x") + "</row>",
    )
    _refused(client, provider, settings, "far.xlsx", buffer.read_bytes(), "upload_expands_too_far")


def test_compressed_files_and_old_spreadsheets_are_refused_with_what_to_do(
    client: TestClient, provider: tuple[Account, dict[str, str], str], settings: Settings
) -> None:
    packed = gzip.compress(residents(3))
    ole = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 600  # a legacy .xls container
    for name, content in (("residents.csv.gz", packed), ("residents.xls", ole)):
        problem = _refused(client, provider, settings, name, content, "upload_unreadable")
        assert "save .xls, .ods and compressed files as .xlsx or CSV" in str(problem["detail"])


def test_a_pull_outside_the_api_has_the_same_caps(
    database: Database, provider: tuple[Account, dict[str, str], str], settings: Settings
) -> None:
    """The caps live in the service, so every way in (console, API, ``sluice ingest``)
    has them."""
    source = settings.home.parent / "big.csv"
    source.write_bytes(residents(MAX_ROWS + 5))
    with pytest.raises(InvalidInput) as refused, database.unit_of_work() as session:
        service.ingest(
            session,
            actor=Principal.system("cli"),
            clock=SystemClock(),
            settings=settings,
            resource_id=uuid.UUID(provider[2]),
            source=source,
            source_name="big.csv",
        )
    assert refused.value.code == "upload_too_many_rows"
    assert _stored(settings) == []
