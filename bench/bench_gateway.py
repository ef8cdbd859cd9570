"""Verification calls through the buyer gateway against a bare FastAPI endpoint (issue 12).

The demo city is built (``sluice demo --scale 0.01 --no-serve``) on SQLite and on
PostgreSQL; its consent-requiring verification product is called with its example input,
consent and purpose by the buyer the credentials name, so each call runs the whole
pipeline: key, product, subscription, agreement, input tokenized, consent, quota and rate,
the query, metering, the call log, the audit row and the subject's use. The subscription's
quota and rate are raised first, so the run measures the work and not refusals.

Both sides are served by ``uvicorn --workers 2`` (uvloop, httptools) and driven from a
second process with 64 keep-alive connections on loopback (``bench.load``), each for the
same time in the same run. Targets: at least 0.5 of the bare endpoint's requests per
second, and p99 at most 50 ms.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import create_engine, text, update

from bench.harness import Result
from bench.load import Load, drive, free_port, served, summary
from sluice.core.database import Database
from sluice.gateway.models import Subscription

PG_ADMIN = os.environ.get("SLUICE_BENCH_PG", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
P99_LIMIT_MS = 50.0
#: Limits high enough that no call of the run is refused for them.
UNLIMITED = 1_000_000_000


def run(quick: bool) -> list[Result]:
    seconds = 4.0 if quick else 15.0
    results: list[Result] = []
    for database in ("sqlite", "postgresql"):
        with _demo_home(database) as env:
            results.extend(_measure(database, env, seconds))
    return results


@contextmanager
def _demo_home(database: str) -> Iterator[dict[str, str]]:
    with tempfile.TemporaryDirectory(prefix="bench-gateway-") as scratch:
        env = {
            "SLUICE_HOME": scratch,
            "SLUICE_GATEWAY_KEY_RATE_PER_SECOND": str(UNLIMITED),
            "SLUICE_GATEWAY_RATE_PER_SECOND": str(UNLIMITED),
            "SLUICE_GATEWAY_QUOTA_PER_DAY": str(UNLIMITED),
        }
        name = "sluice_bench_gateway"
        if database == "postgresql":
            admin = create_engine(PG_ADMIN, isolation_level="AUTOCOMMIT")
            with admin.connect() as connection:
                connection.execute(text(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
                connection.execute(text(f"CREATE DATABASE {name}"))
            env["SLUICE_DATABASE_URL"] = PG_ADMIN.rsplit("/", 1)[0] + f"/{name}"
        try:
            subprocess.run(  # the demo as a newcomer builds it
                [
                    str(Path(sys.executable).parent / "sluice"),
                    "demo",
                    "--scale",
                    "0.01",
                    "--no-serve",
                ],
                env={**os.environ, **env},
                check=True,
                capture_output=True,
                cwd=Path(__file__).parent.parent,
            )
            yield env
        finally:
            if database == "postgresql":
                with admin.connect() as connection:
                    connection.execute(text(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
                admin.dispose()


def _verification_call(home: Path) -> tuple[str, dict[str, str], bytes, str]:
    credentials: dict[str, Any] = json.loads((home / "demo-credentials.json").read_text())
    product = next(
        p for p in credentials["products"] if p["type"] == "verification" and p["consent_required"]
    )
    buyer = next(b for b in credentials["buyers"] if product["code"] in b["products"])
    body = {
        "input": product["example_input"],
        "consent_id": product["example_consent_id"],
        "purpose": product["example_purpose"],
    }
    path = f"/gateway/v1/products/{product['code']}/invoke"
    return path, {"X-API-Key": buyer["api_key"]}, json.dumps(body).encode(), product["code"]


def _database_url(env: dict[str, str]) -> str:
    return env.get("SLUICE_DATABASE_URL") or f"sqlite:///{env['SLUICE_HOME']}/sluice.db"


def _raise_limits(env: dict[str, str], code: str) -> None:
    database = Database(_database_url(env))
    with database.unit_of_work() as session:
        session.execute(
            update(Subscription)
            .where(Subscription.product_code == code)
            .values(quota_limit=UNLIMITED, rate_limit=UNLIMITED)
        )
    database.dispose()


def _measure(database: str, env: dict[str, str], seconds: float) -> list[Result]:
    path, headers, body, code = _verification_call(Path(env["SLUICE_HOME"]))
    _raise_limits(env, code)
    calls = [("POST", path, headers, body)]
    ours_port, peer_port = free_port(), free_port()
    with served("sluice.web.app:create_app", port=ours_port, env=env):
        drive(ours_port, calls, connections=8, seconds=2.0)  # warm: engines, caches
        ours = drive(ours_port, calls, seconds=seconds)
    with served("bench.bare_app:create", port=peer_port):
        drive(peer_port, calls, connections=8, seconds=1.0)
        peer = drive(peer_port, calls, seconds=seconds)
    _check_answered(ours, database)
    p99 = ours.percentile(0.99)
    return [
        Result(
            name=f"gateway verification calls, 2 workers, 64 connections ({database})",
            ours=ours.per_second,
            peer=peer.per_second,
            unit="req/s",
            peer_name="bare FastAPI endpoint",
            target_ratio=0.5,
            note=f"ours: {summary(ours)}; peer: {summary(peer)}",
        ),
        Result(
            name=f"gateway verification p99 ({database})",
            ours=1000.0 / p99,
            peer=1000.0 / P99_LIMIT_MS,
            unit="1/s at p99",
            peer_name=f"the {P99_LIMIT_MS:.0f} ms limit",
            target_ratio=1.0,
            note=f"p50 {ours.percentile(0.5):.1f} ms, p99 {p99:.1f} ms",
        ),
    ]


def _check_answered(load: Load, database: str) -> None:
    refused = {status: n for status, n in load.statuses.items() if status != 200}
    if refused:
        raise RuntimeError(f"gateway calls refused on {database}: {refused}")
