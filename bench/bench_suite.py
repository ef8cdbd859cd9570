"""``make test`` on a clean clone of HEAD, against its 10-minute limit.

The developers' guide holds the whole suite (lint, mypy, SQLite and PostgreSQL, the browser,
the schemathesis run) under ten minutes on this 2-core machine, strict mode, as modules are
added. This runs exactly that, in a fresh ``git clone`` of the committed HEAD (set-up and
``pip install`` included, as a newcomer would), and records the wall time as runs per hour
against the limit's six. ``--quick`` checks the harness on one small test module instead.
"""

from __future__ import annotations

import os
import re
import subprocess
import tempfile
from pathlib import Path

from bench.harness import Result, stopwatch

REPO = Path(__file__).resolve().parent.parent
LIMIT_SECONDS = 600


def _clone(target: Path) -> None:
    subprocess.run(["git", "clone", "--quiet", str(REPO), str(target)], check=True)


def run(quick: bool) -> list[Result]:
    with tempfile.TemporaryDirectory(prefix="sluice-suite-") as scratch:
        clone = Path(scratch) / "sluice"
        _clone(clone)
        environment = {**os.environ, "SLUICE_STRICT_TESTS": "0" if quick else "1"}
        command = (
            ["make", "test", "PYTEST_ARGS=tests/core/test_home.py"] if quick else ["make", "test"]
        )
        with stopwatch() as elapsed:
            done = subprocess.run(
                command, cwd=clone, env=environment, capture_output=True, text=True, check=False
            )
        if done.returncode != 0:
            raise RuntimeError(f"make test failed in the clone:\n{done.stdout[-4000:]}")
    counted = re.findall(r"(\d+) passed", done.stdout)
    passed = int(counted[-1]) if counted else 0
    what = "one module (quick)" if quick else f"{passed:,} tests, strict"
    return [
        Result(
            name=f"make test on a clean clone ({what}), {elapsed[0] / 60:.1f} min",
            ours=3600 / elapsed[0],
            peer=3600 / LIMIT_SECONDS,
            unit="runs/h",
            peer_name="the 10-minute limit",
            target_ratio=1.0,
        )
    ]
