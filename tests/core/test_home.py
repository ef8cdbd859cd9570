"""Everything under SLUICE_HOME is the platform account's alone (R8.1, DESIGN §7)."""

from __future__ import annotations

import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from sluice.core.settings import Settings


def _modes(root: Path) -> dict[str, int]:
    return {str(p.relative_to(root)): stat.S_IMODE(p.stat().st_mode) for p in root.rglob("*")}


def test_the_home_and_what_the_process_writes_are_owner_only(tmp_path: Path) -> None:
    # A child process, so the umask the factory sets does not leak into this one.
    home = tmp_path / "var"
    script = (
        "from sluice.core.home import prepare_home\n"
        "from sluice.core.settings import Settings\n"
        f"prepare_home(Settings(home={str(home)!r}))\n"
        f"open({str(home / 'data.parquet')!r}, 'w').write('x')\n"
        f"import os; os.makedirs({str(home / 'data' / 'p' / 'r')!r})\n"
    )
    old = os.umask(0o022)
    try:
        subprocess.run([sys.executable, "-c", script], check=True)
    finally:
        os.umask(old)
    assert stat.S_IMODE(home.stat().st_mode) == 0o700
    modes = _modes(home)
    assert modes == {
        "keys": 0o700,
        "data.parquet": 0o600,
        "data": 0o700,
        "data/p": 0o700,
        "data/p/r": 0o700,
    }


def test_an_existing_open_home_is_tightened(tmp_path: Path) -> None:
    home = tmp_path / "var"
    home.mkdir(mode=0o755)
    home.chmod(0o755)
    script = (
        "from sluice.core.home import prepare_home\n"
        "from sluice.core.settings import Settings\n"
        f"prepare_home(Settings(home={str(home)!r}))\n"
    )
    subprocess.run([sys.executable, "-c", script], check=True)
    assert stat.S_IMODE(home.stat().st_mode) == 0o700


def test_the_key_store_can_live_apart_from_the_data(tmp_path: Path) -> None:
    settings = Settings(home=tmp_path / "var", keys_dir=tmp_path / "vault" / "keys")
    assert settings.keys_path == tmp_path / "vault" / "keys"
    assert Settings(home=tmp_path / "var").keys_path == tmp_path / "var" / "keys"


def test_a_relative_home_is_fixed_where_the_command_ran(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """``make demo`` builds under ``./var``: the paths the database records under it (dataset
    versions, evidence) must still name those files for a server started elsewhere."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("SLUICE_HOME", "var")
    monkeypatch.setenv("SLUICE_KEYS_DIR", "keys")
    settings = Settings()
    (tmp_path / "elsewhere").mkdir()
    monkeypatch.chdir(tmp_path / "elsewhere")
    assert settings.home == tmp_path / "var"
    assert settings.keys_path == tmp_path / "keys"
    assert settings.data_dir == tmp_path / "var" / "data"
    assert settings.resolved_database_url == f"sqlite:///{tmp_path / 'var' / 'sluice.db'}"
