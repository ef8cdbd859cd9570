"""The demo city, built once per test worker and database, and copied for whoever changes it.

`sluice demo` is the most expensive thing the suite does and several suites need its city:
the demo's own tests, the page walk, the fuzzing run. Each used to build its own; now the
city is built once per worker for SQLite and once for PostgreSQL. Readers share it;
a test that changes the city (the fuzzing run, running the demo again) works on a copy
(`copy_city`, SQLite only: a copy of the database file and the home).
"""

from __future__ import annotations

import json
import shutil
import sqlite3
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import create_engine, text
from typer.testing import CliRunner

from sluice.cli import app as cli
from sluice.core.settings import Settings, get_settings
from sluice.demo import city as demo_city_module
from sluice.demo.datasets import build_datasets
from tests.infrastructure import PG_URL, skip_or_fail

DEMO_ARGS = ("demo", "--no-serve", "--scale", "0.01")


@dataclass(frozen=True)
class DemoCity:
    home: Path
    url: str
    #: What `sluice demo` printed.
    output: str
    #: Where the demo built the departments' source files (outside the home, then removed).
    built_sources: tuple[Path, ...]

    @property
    def settings(self) -> Settings:
        return Settings(home=self.home, database_url=self.url)

    @property
    def credentials(self) -> dict[str, Any]:
        document: dict[str, Any] = json.loads((self.home / "demo-credentials.json").read_text())
        return document

    @property
    def passwords(self) -> dict[str, str]:
        return {a["username"]: a["password"] for a in self.credentials["accounts"]}


def run_demo(home: Path, url: str, *args: str) -> tuple[str, list[Path]]:
    """Run `sluice demo` into this home and database; the output and the source folders built."""
    built: list[Path] = []

    def recording_build(*, sources_dir: Path, **options: Any) -> Any:
        built.append(sources_dir)
        return build_datasets(sources_dir=sources_dir, **options)

    with pytest.MonkeyPatch.context() as env:
        env.setenv("SLUICE_HOME", str(home))
        env.setenv("SLUICE_DATABASE_URL", url)
        env.setattr(demo_city_module, "build_datasets", recording_build)
        get_settings.cache_clear()
        try:
            result = CliRunner().invoke(cli, [*DEMO_ARGS, *args])
        finally:
            get_settings.cache_clear()
    assert result.exit_code == 0, result.output
    return result.output, built


def _build(home: Path, url: str) -> DemoCity:
    output, built = run_demo(home, url)
    return DemoCity(home, url, output, tuple(built))


def copy_city(city: DemoCity, destination: Path) -> DemoCity:
    """A private copy of a SQLite city: the database (through SQLite's backup, so nothing in
    its write-ahead log is lost) and the home, with the file paths the database records
    moved to the new home."""
    assert city.url.startswith("sqlite:///"), "only a SQLite city can be copied"
    destination.mkdir(parents=True, exist_ok=True)
    home = destination / "var"
    shutil.copytree(city.home, home, symlinks=True)
    path = destination / "sluice.db"
    source = sqlite3.connect(city.url.removeprefix("sqlite:///"))
    target = sqlite3.connect(path)
    try:
        source.backup(target)
        old, new = str(city.home), str(home)
        tables = [r[0] for r in target.execute("SELECT name FROM sqlite_master WHERE type='table'")]
        for table in tables:
            for column in target.execute(f'PRAGMA table_info("{table}")').fetchall():
                name = column[1]
                if name == "path" or name.endswith("_path"):
                    target.execute(
                        f'UPDATE "{table}" SET "{name}" = replace("{name}", ?, ?)',  # noqa: S608
                        (old, new),
                    )
        target.commit()
    finally:
        source.close()
        target.close()
    return DemoCity(home, f"sqlite:///{path}", city.output, city.built_sources)


@pytest.fixture(scope="session")
def demo_sqlite(tmp_path_factory: pytest.TempPathFactory) -> DemoCity:
    """The demo city on SQLite, shared: read it, or take a `copy_city` to change it."""
    root = tmp_path_factory.mktemp("demo-sqlite")
    return _build(root / "var", f"sqlite:///{root / 'sluice.db'}")


@pytest.fixture(scope="session")
def demo_postgresql(tmp_path_factory: pytest.TempPathFactory) -> Iterator[DemoCity]:
    """The demo city on PostgreSQL in a schema of its own, shared by tests that only read it
    (and by running the demo again, which must change nothing)."""
    schema = f"demo_{uuid.uuid4().hex[:12]}"
    admin = create_engine(PG_URL)
    try:
        with admin.begin() as connection:
            connection.execute(text(f'CREATE SCHEMA "{schema}"'))
    except Exception as error:  # no PostgreSQL here
        admin.dispose()
        skip_or_fail(f"PostgreSQL unreachable at {PG_URL}: {error!r:.200}")
        return
    separator = "&" if "?" in PG_URL else "?"
    url = f"{PG_URL}{separator}options=-csearch_path%3D{schema}%20-csynchronous_commit%3Doff"
    try:
        yield _build(tmp_path_factory.mktemp("demo-pg") / "var", url)
    finally:
        with admin.begin() as connection:
            connection.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


@pytest.fixture(params=["sqlite", "postgresql"])
def demo(request: pytest.FixtureRequest) -> DemoCity:
    """The shared demo city on each database, for tests that only read it."""
    city: DemoCity = request.getfixturevalue(f"demo_{request.param}")
    return city
