"""`sluice demo`: the city, one login per role, and a credentials file people can use."""

from __future__ import annotations

import json
import shutil
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import distinct, func, select
from stdnum.cn import uscc
from typer.testing import CliRunner

from sluice.catalog.models import CatalogEntry
from sluice.cli import app as cli
from sluice.core.clock import FixedClock
from sluice.core.database import Database
from sluice.core.settings import Settings, get_settings
from sluice.demo import catalog as demo_catalog
from sluice.demo import city
from sluice.demo.city import ACCOUNTS, COMPANIES, credit_code
from sluice.demo.datasets import build_datasets
from sluice.identity.permissions import Role

runner = CliRunner()


@pytest.fixture
def demo_env(
    monkeypatch: pytest.MonkeyPatch, settings: Settings, database: Database
) -> Iterator[Settings]:
    monkeypatch.setenv("SLUICE_HOME", str(settings.home))
    monkeypatch.setenv("SLUICE_DATABASE_URL", database.url)
    get_settings.cache_clear()
    yield settings
    get_settings.cache_clear()


def test_company_credit_codes_pass_stdnum() -> None:
    for company in COMPANIES:
        assert uscc.is_valid(credit_code(company.credit_body or ""))


def test_demo_writes_one_working_login_per_role(
    demo_env: Settings, client: TestClient, clock: FixedClock
) -> None:
    result = runner.invoke(cli, ["demo", "--no-serve", "--scale", "0.01", "--port", "8123"])
    assert result.exit_code == 0, result.output
    assert "Demo city ready: 12 source datasets" in result.output
    assert "124 catalog entries" in result.output  # a trial scale lists a share of the 6,900
    path = demo_env.credentials_path
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    document = json.loads(path.read_text())
    assert document["base_url"] == "http://127.0.0.1:8123"
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
    subject = next(a for a in document["accounts"] if a["role"] == "subject")
    assert subject["organization"] is None
    provider = next(a for a in document["accounts"] if a["role"] == "provider")
    assert provider["organization"] == "营口市公安局"
    assert {d["provider"] for d in document["datasets"]} >= {"gaj", "scjgj", "water", "power"}
    assert all(d["rows"] > 0 for d in document["datasets"])


def test_running_the_demo_again_keeps_logins_and_data(demo_env: Settings) -> None:
    args = ["demo", "--no-serve", "--scale", "0.01"]
    assert runner.invoke(cli, args).exit_code == 0
    first = json.loads(demo_env.credentials_path.read_text())
    residents = demo_env.sources_dir / "gaj" / "residents.parquet"
    built_at = residents.stat().st_mtime_ns
    again = runner.invoke(cli, args)
    assert again.exit_code == 0, again.output
    assert json.loads(demo_env.credentials_path.read_text())["accounts"] == first["accounts"]
    assert residents.stat().st_mtime_ns == built_at  # same seed and scale: not rebuilt


def test_the_full_demo_catalog_has_the_plans_numbers(
    tmp_path: Path, sqlite_template: Path, clock: FixedClock
) -> None:
    """6,900+ published entries from 31+ departments (SQLite only: it takes a while)."""
    path = tmp_path / "full.db"
    shutil.copy(sqlite_template, path)
    database = Database(f"sqlite:///{path}")
    sources = tmp_path / "sources"
    datasets = [city._summary(d) for d in build_datasets(sources_dir=sources, seed=1, scale=0.01)]
    with database.unit_of_work() as session:
        city.seed_identity(session, clock=clock)
        entries = demo_catalog.seed_catalog(session, clock=clock, datasets=datasets, seed=1)
    assert entries >= 6_900
    with database.unit_of_work() as session:
        providers = session.scalar(
            select(func.count(distinct(CatalogEntry.provider_id))).where(
                CatalogEntry.status == "published"
            )
        )
        published = session.scalar(
            select(func.count()).select_from(CatalogEntry).where(CatalogEntry.status == "published")
        )
        closed_listed = session.scalar(
            select(func.count())
            .select_from(CatalogEntry)
            .where(CatalogEntry.open_level == "closed")
        )
    assert published == entries
    assert providers is not None and providers >= 31
    assert closed_listed == 0
    database.dispose()
