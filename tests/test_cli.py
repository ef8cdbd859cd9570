"""The command line, as an operator of the platform types it."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import select
from typer.testing import CliRunner

from sluice.cli import app
from sluice.core.database import Database
from sluice.core.settings import Settings, get_settings
from sluice.identity.models import User

runner = CliRunner()


@pytest.fixture
def cli_env(
    monkeypatch: pytest.MonkeyPatch, settings: Settings, database: Database
) -> Iterator[Settings]:
    monkeypatch.setenv("SLUICE_HOME", str(settings.home))
    monkeypatch.setenv("SLUICE_DATABASE_URL", database.url)
    get_settings.cache_clear()
    yield settings
    get_settings.cache_clear()


def test_db_upgrade_is_repeatable(cli_env: Settings) -> None:
    first = runner.invoke(app, ["db", "upgrade"])
    second = runner.invoke(app, ["db", "upgrade"])
    assert first.exit_code == 0 and second.exit_code == 0
    assert "up to date" in second.output


def test_users_create_makes_a_subject_who_can_log_in(cli_env: Settings, database: Database) -> None:
    result = runner.invoke(
        app,
        ["users", "create", "zhangwei", "--role", "subject", "--display-name", "张伟"],
        input="a-long-password\na-long-password\n",
    )
    assert result.exit_code == 0, result.output
    created = json.loads(result.output.strip().splitlines()[-1])
    assert created["username"] == "zhangwei"
    with database.unit_of_work() as session:
        user = session.scalars(select(User).where(User.username == "zhangwei")).one()
        assert user.display_name == "张伟"
        assert "a-long-password" not in user.password_hash


def test_users_create_explains_bad_input_and_changes_nothing(
    cli_env: Settings, database: Database
) -> None:
    short = runner.invoke(
        app, ["users", "create", "li", "--role", "bureau"], input="short\nshort\n"
    )
    assert short.exit_code == 2
    assert "password" in short.output
    unknown = runner.invoke(
        app,
        ["users", "create", "liming", "--role", "provider", "--organization", "nope"],
        input="a-long-password\na-long-password\n",
    )
    assert unknown.exit_code == 2
    assert "No organization with code 'nope'" in unknown.output
    with database.unit_of_work() as session:
        assert session.scalars(select(User)).all() == []


def test_quality_check_prints_the_documented_json(tmp_path: Path) -> None:
    from tests.ingestion.test_service import CSV, FIELDS

    source = tmp_path / "residents.csv"
    source.write_bytes(CSV.encode("gb18030"))
    schema = tmp_path / "schema.json"
    schema.write_text(json.dumps({"fields": FIELDS}, ensure_ascii=False), encoding="utf-8")
    result = runner.invoke(
        app, ["quality", "check", str(source), "--schema", str(schema), "--json"]
    )
    assert result.exit_code == 0, result.output
    assert json.loads(result.output) == {
        "rows_total": 6,
        "rows_rejected": 4,
        "failures": {
            "id_number": {"id_number": 1, "unique": 1, "required": 1},
            "mobile": {"mobile": 1},
        },
    }


def test_quality_check_explains_a_bad_schema(tmp_path: Path) -> None:
    source = tmp_path / "x.csv"
    source.write_text("a\n1\n")
    schema = tmp_path / "schema.json"
    schema.write_text(json.dumps({"fields": [{"name": "a", "type": "blob"}]}))
    result = runner.invoke(app, ["quality", "check", str(source), "--schema", str(schema)])
    assert result.exit_code == 2
    assert "blob" in result.output


def test_ingest_command_stores_a_version_and_repeats_are_no_ops(
    cli_env: Settings, database: Database, tmp_path: Path
) -> None:
    from sluice.catalog import service as catalog
    from sluice.catalog.schemas import ResourceCreate
    from sluice.core.clock import SystemClock
    from sluice.identity.models import Organization
    from tests.catalog.factories import provider_principal
    from tests.ingestion.test_service import CSV, FIELDS

    with database.unit_of_work() as session:
        org = Organization(
            code="gaj", kind="provider", name="营口市公安局", created_at=SystemClock().now()
        )
        session.add(org)
        session.flush()
        catalog.register_resource(
            session,
            actor=provider_principal(org.id),
            clock=SystemClock(),
            data=ResourceCreate.model_validate(
                {
                    "code": "residents",
                    "name": "户籍人口",
                    "domain": "governance",
                    "update_frequency": "daily",
                    "open_level": "conditional",
                    "classification": "population",
                    "grade": "3",
                    "fields": FIELDS,
                }
            ),
        )
    source = tmp_path / "residents.csv"
    source.write_text(CSV, encoding="utf-8")
    first = runner.invoke(app, ["ingest", "gaj/residents", str(source)])
    assert first.exit_code == 0, first.output
    report = json.loads(first.output)
    assert (report["status"], report["version"], report["rows_rejected"]) == ("ingested", 1, 4)
    again = runner.invoke(app, ["ingest", "gaj/residents", str(source)])
    assert json.loads(again.output)["status"] == "duplicate"
    unknown = runner.invoke(app, ["ingest", "gaj/nothing", str(source)])
    assert unknown.exit_code == 2
    assert "数据资源不存在" in unknown.output


def test_the_sweep_ends_agreements_with_every_modules_ending_hook(tmp_path: Path) -> None:
    """`sluice authorizations sweep` runs in a process of its own: the ending hooks of the
    modules that hold things under an agreement must be registered there too, or an
    agreement the sweep ends would leave its workspace open, its exports pending, its
    products listed and their subscriptions running."""
    import os
    import subprocess
    import sys

    probe = (
        "import sys\n"
        "import sluice.authorizations.sweep as sweeping\n"
        "from sluice.authorizations import endings\n"
        "def registered(*args, **kwargs):\n"
        "    sys.__stdout__.write(repr(sorted(endings._hooks)))\n"
        "    raise SystemExit(0)\n"
        "sweeping.sweep = registered\n"
        "from typer.testing import CliRunner\n"
        "from sluice import cli\n"
        "CliRunner().invoke(cli.app, ['authorizations', 'sweep'])\n"
    )
    env = {
        **os.environ,
        "SLUICE_HOME": str(tmp_path / "var"),
        "SLUICE_DATABASE_URL": f"sqlite:///{tmp_path / 'sluice.db'}",
    }
    done = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, env=env, timeout=120
    )
    assert done.stdout == "['exports', 'products', 'subscriptions', 'workspaces']", done.stderr[
        -2000:
    ]
