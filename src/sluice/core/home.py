"""The platform's home directory is owner-only, and so is everything the process creates.

Everything under ``SLUICE_HOME`` (the control-plane database, Parquet versions, the raw and
quarantine stores, evidence, keys) is for the platform's own account alone. Setting the
process umask once, before anything is written, makes every directory 0700 and every file
0600, whichever library creates it (SQLite's WAL, DuckDB, pyarrow, WeasyPrint), instead of
each writer remembering to chmod.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path
from typing import Final

from sluice.core.settings import Settings

OWNER_ONLY_UMASK: Final = 0o077


def prepare_home(settings: Settings) -> None:
    """Set the owner-only umask and create (or tighten) the home and key directories."""
    os.umask(OWNER_ONLY_UMASK)
    for directory in (settings.home, settings.keys_path):
        _owner_only_directory(Path(directory))


def _owner_only_directory(directory: Path) -> None:
    directory.mkdir(mode=0o700, parents=True, exist_ok=True)
    mode = stat.S_IMODE(directory.stat().st_mode)
    if mode & 0o077:
        # A home made by an earlier version (or by hand) with group/other access.
        directory.chmod(mode & 0o700)
