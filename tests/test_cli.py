"""The command line, as an operator of the platform types it."""

from __future__ import annotations

import json
from collections.abc import Iterator

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
