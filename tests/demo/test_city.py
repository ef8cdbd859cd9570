"""`sluice demo`: the city, one login per role, and a credentials file people can use."""

from __future__ import annotations

import json
import re
import stat
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from stdnum.cn import uscc

from sluice.catalog.models import DataResource
from sluice.core.checksums import ric_from_bodies
from sluice.core.clock import SystemClock
from sluice.core.database import Database
from sluice.core.permissions import Role
from sluice.demo.city import ACCOUNTS, COMPANIES, credit_code
from sluice.demo.datasets import INTENDED_QUARANTINE_SHARE, SPECS
from sluice.identity.models import Organization
from sluice.ingestion import service as ingestion
from sluice.ingestion.models import IngestionRun
from sluice.web.app import create_app
from tests.demo.plaintext import resident_ids_in
from tests.demo_city import DemoCity, copy_city, run_demo

_DATASETS = [(spec.provider_code, spec.code) for spec in SPECS]


def _client(city: DemoCity) -> TestClient:
    database = Database(city.url)
    return TestClient(create_app(city.settings, database=database, clock=SystemClock()))


def test_company_credit_codes_pass_stdnum() -> None:
    for company in COMPANIES:
        assert uscc.is_valid(credit_code(company.credit_body or ""))


def test_demo_writes_one_working_login_per_role(demo: DemoCity) -> None:
    assert "Demo city ready: 12 source datasets" in demo.output
    # What the demo says it made is what people find: the entries it reports are the
    # public catalog's, the rows it reports are the rows its ingestions stored.
    ready = re.search(r"([\d,]+) rows, ([\d,]+) catalog entries", demo.output)
    assert ready is not None, demo.output
    rows, entries = (int(n.replace(",", "")) for n in ready.groups())
    database = Database(demo.url)
    with _client(demo) as client:
        published = client.get("/api/v1/catalog", params={"page_size": 1}).json()["total"]
        assert entries == published > 0
        with database.unit_of_work() as session:
            stored = sum(run.rows_accepted for run in ingestion.latest_reports(session))
        assert rows == stored > 0
        path = demo.settings.credentials_path
        assert stat.S_IMODE(path.stat().st_mode) == 0o600
        document = demo.credentials
        assert document["base_url"] == "http://127.0.0.1:8000"
        roles = [a["role"] for a in document["accounts"]]
        assert roles == [r.value for r, *_ in ACCOUNTS]
        assert set(roles) == {r.value for r in Role}
        for account in document["accounts"]:
            assert set(account) == {"role", "username", "password", "organization"}
            token = client.post(
                "/api/v1/auth/token",
                json={"username": account["username"], "password": account["password"]},
            )
            assert token.status_code == 200, account["username"]
            me = client.get(
                "/api/v1/me", headers={"Authorization": f"Bearer {token.json()['access_token']}"}
            ).json()
            assert me["roles"] == [account["role"]]
    database.dispose()
    subject = next(a for a in document["accounts"] if a["role"] == "subject")
    assert subject["organization"] is None
    provider = next(a for a in document["accounts"] if a["role"] == "provider")
    assert provider["organization"] == "营口市公安局"
    assert {d["provider"] for d in document["datasets"]} >= {"gaj", "scjgj", "water", "power"}
    assert all(d["rows"] > 0 for d in document["datasets"])


def test_the_credentials_name_the_port_the_demo_was_told(
    demo_sqlite: DemoCity, tmp_path: Path
) -> None:
    """`--port` reaches the credentials file people open first."""
    city = copy_city(demo_sqlite, tmp_path / "city")
    output, _ = run_demo(city.home, city.url, "--port", "8123")
    assert "Demo city ready" in output
    assert city.credentials["base_url"] == "http://127.0.0.1:8123"


def _runs(database: Database) -> int:
    with database.unit_of_work() as session:
        return int(session.scalar(select(func.count()).select_from(IngestionRun)) or 0)


@pytest.fixture(params=["sqlite", "postgresql"])
def own_city(request: pytest.FixtureRequest, tmp_path: Path) -> DemoCity:
    """A city this test may change: a copy on SQLite; on PostgreSQL the shared one, since
    running the demo again must change nothing (the test proves it)."""
    if request.param == "sqlite":
        shared: DemoCity = request.getfixturevalue("demo_sqlite")
        return copy_city(shared, tmp_path / "city")
    city: DemoCity = request.getfixturevalue("demo_postgresql")
    return city


def test_running_the_demo_again_keeps_logins_and_data(own_city: DemoCity) -> None:
    """R8.1: the source files are built outside SLUICE_HOME, removed once ingested, and
    not built again when nothing is left to ingest; a manifest without identifiers is all
    the home keeps of them."""
    first = own_city.credentials
    assert len(own_city.built_sources) == 1
    home = own_city.home.resolve()
    assert home not in own_city.built_sources[0].resolve().parents
    assert not own_city.built_sources[0].exists()  # removed once ingested
    database = Database(own_city.url)
    runs = _runs(database)
    assert runs == 12

    _, built_again = run_demo(own_city.home, own_city.url)

    assert own_city.credentials["accounts"] == first["accounts"]
    assert built_again == []  # same seed and scale, everything ingested: nothing rebuilt
    assert _runs(database) == runs
    database.dispose()
    manifest = json.loads((own_city.home / "demo-sources.json").read_text())
    assert [d["code"] for d in manifest["datasets"]] == list(INTENDED_QUARANTINE_SHARE)
    assert all("path" not in d for d in manifest["datasets"])


def test_the_demo_leaves_no_plaintext_identifier_and_nothing_others_can_read(
    demo: DemoCity,
) -> None:
    """R8.1, R8.9: after the demo, nothing under SLUICE_HOME holds a checksum-valid
    resident ID number in plaintext (Parquet values, CSV and JSON text, and every other
    file's bytes; the raw and quarantine stores are SM4 ciphertext), every directory is
    0700 and no file has a group or other bit."""
    files = sorted(p for p in demo.home.rglob("*") if p.is_file())
    kinds = {p.suffix for p in files}
    assert {".parquet", ".json", ".sm4"} <= kinds  # the scan below has what it is for
    found = {str(p.relative_to(demo.home)): ids[:1] for p in files if (ids := resident_ids_in(p))}
    assert found == {}
    directories = [demo.home, *(p for p in demo.home.rglob("*") if p.is_dir())]
    loose = [
        f"{oct(stat.S_IMODE(p.stat().st_mode))} {p}"
        for p in directories
        if stat.S_IMODE(p.stat().st_mode) != 0o700
    ]
    loose += [
        f"{oct(stat.S_IMODE(p.stat().st_mode))} {p}"
        for p in files
        if stat.S_IMODE(p.stat().st_mode) & 0o077
    ]
    assert loose == []


def test_the_detector_finds_plaintext_ids_wherever_they_sit(tmp_path: Path) -> None:
    """The scan above can fail: an ID in a Parquet text or number column, inside longer
    text, in CSV or JSON (lower-case x too), is found; masked forms and near misses are not."""
    ids = [str(v) for v in ric_from_bodies([f"2108021990010112{d}" for d in range(10)])]
    valid = next(v for v in ids if not v.isdigit())  # one ending in X
    number = next(v for v in ids if v.isdigit())
    wrong = number[:-1] + str((int(number[-1]) + 1) % 10)
    pq.write_table(
        pa.table({"note": [f"身份证{valid}号", "210802********1234", wrong], "n": ["a", "b", "c"]}),
        tmp_path / "text.parquet",
    )
    pq.write_table(pa.table({"n": pa.array([1, int(number)], pa.int64())}), tmp_path / "n.parquet")
    (tmp_path / "rows.csv").write_text(f"a,b\n1,{number}\n")
    (tmp_path / "doc.json").write_text(json.dumps({"id": valid.lower()}))
    (tmp_path / "clean.json").write_text(json.dumps({"id": wrong, "m": "210802********1234"}))
    assert resident_ids_in(tmp_path / "text.parquet") == [valid]
    assert resident_ids_in(tmp_path / "n.parquet") == [number]
    assert resident_ids_in(tmp_path / "rows.csv") == [number]
    assert resident_ids_in(tmp_path / "doc.json") == [valid]
    assert resident_ids_in(tmp_path / "clean.json") == []


def test_the_demo_quarantines_exactly_the_share_its_generator_intends(demo: DemoCity) -> None:
    """R4.3: the generator plants no defect (``INTENDED_QUARANTINE_SHARE``); the demo
    prints each dataset's quarantine share, and each is exactly the intended one. With
    full-width vocabularies compared as they came, 84 % of the enterprises were set
    aside."""
    database = Database(demo.url)
    printed = {
        line.split()[0]: line
        for line in demo.output.splitlines()
        if line.startswith("  ") and "intended" in line
    }
    with database.unit_of_work() as session:
        for provider, code in [(p, c) for p, c in _DATASETS]:
            resource = session.scalar(
                select(DataResource)
                .join(Organization, Organization.id == DataResource.provider_id)
                .where(Organization.code == provider, DataResource.code == code)
            )
            assert resource is not None
            run = ingestion.current_run(session, resource.id)
            assert run is not None and run.rows_total > 0
            intended = INTENDED_QUARANTINE_SHARE[code]
            assert run.rows_rejected == round(intended * run.rows_total), code
            line = printed[f"{provider}/{code}"]
            share = run.rows_rejected / run.rows_total
            assert f"{share:.2%}" in line and f"(intended {intended:.2%})" in line
    database.dispose()
