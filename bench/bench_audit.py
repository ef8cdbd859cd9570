"""The audit log's Merkle tree (issue 13): appending with the tree's update, and verifying it.

Append: the same entries (a gateway call's row: ids, a JSON detail in Chinese, the request's
id and address) are written in transactions of ``BATCH`` rows to two fresh databases of one
kind; to the peer's with a plain INSERT, to ours with the same INSERT and then, after it
committed, after every ``SEQUENCE_EVERY`` batches, a sequencer run
(``audit.sequencer.sequence``) putting what was committed since into the tree: rows
read back, canonical form, SM3 leaf and node hashes, leaves and stored subtrees written. The
batches alternate between the two, so the machine's load falls on both alike. Targets: at
least 5,000 entries/s sustained on SQLite and on PostgreSQL, and at least 0.5 of the plain
INSERT.

Verify: a log of ``VERIFY_ENTRIES`` sequenced entries with a signed head is checked the way
``sluice audit verify`` checks it (``transparency.heads.verify_log``: every leaf recomputed
from its entry, the tree, every stored subtree and head). The limit is a million entries in
60 seconds.
"""

from __future__ import annotations

import os
import tempfile
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import Table, create_engine, insert, text

from bench.harness import Result, stopwatch
from sluice.audit import sequencer
from sluice.audit.models import AuditEvent
from sluice.core.clock import FixedClock
from sluice.core.database import Database
from sluice.core.migrate import upgrade
from sluice.core.permissions import OrgKind
from sluice.core.principal import Principal
from sluice.core.settings import Settings

PG_ADMIN = os.environ.get("SLUICE_BENCH_PG", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
BATCH = 1_000
#: The sequencer runs after every this many batches (5,000 entries: at the target rate once a
#: second; the served application runs it every audit_tree_head_seconds and on demand).
SEQUENCE_EVERY = 5
APPEND_TARGET = 5_000.0
VERIFY_LIMIT_SECONDS = 60.0
_EVENTS: Table = AuditEvent.__table__  # type: ignore[assignment]


def run(quick: bool) -> list[Result]:
    entries = 10_000 if quick else 100_000
    verify_entries = 50_000 if quick else 1_000_000
    results: list[Result] = []
    for kind in ("sqlite", "postgresql"):
        with _database(kind, "plain") as plain, _database(kind, "merkle") as merkle:
            results.append(_append(kind, plain, merkle, entries))
        with _database(kind, "verify") as log:
            results.append(_verify(kind, log, verify_entries))
    return results


@contextmanager
def _database(kind: str, name: str) -> Iterator[Database]:
    with tempfile.TemporaryDirectory(prefix=f"bench-audit-{name}-") as scratch:
        if kind == "sqlite":
            url = f"sqlite:///{scratch}/sluice.db"
        else:
            database_name = f"sluice_bench_audit_{name}"
            drop = f"DROP DATABASE IF EXISTS {database_name} WITH (FORCE)"
            admin = create_engine(PG_ADMIN, isolation_level="AUTOCOMMIT")
            with admin.connect() as connection:
                connection.execute(text(drop))
                connection.execute(text(f"CREATE DATABASE {database_name}"))
            url = PG_ADMIN.rsplit("/", 1)[0] + f"/{database_name}"
        database = Database(url)
        upgrade(database.engine)
        try:
            yield database
        finally:
            database.dispose()
            if kind == "postgresql":
                with admin.connect() as connection:
                    connection.execute(
                        text(f"DROP DATABASE IF EXISTS {database_name} WITH (FORCE)")
                    )
                admin.dispose()


def _rows(start: int, count: int) -> list[dict[str, Any]]:
    """``count`` entries as the gateway writes them for its calls."""
    base = datetime(2026, 11, 2, 1, 0, tzinfo=UTC)
    organization, key = uuid.uuid4(), uuid.uuid4()
    extra = {"request_id", "client_address", "reason", "purpose"} & set(_EVENTS.c.keys())
    rows = []
    for n in range(start, start + count):
        row: dict[str, Any] = {
            "occurred_at": base + timedelta(milliseconds=n),
            "action": "gateway.call",
            "outcome": "ok" if n % 7 else "refused",
            "actor_username": "buyer-credit-07",
            "actor_via": "api_key",
            "actor_user_id": None,
            "actor_organization_id": organization,
            "actor_api_key_id": key,
            "target_type": "product",
            "target_id": "YK-DP-2026-000123",
            "detail": {
                "product": "企业信用评分",
                "purpose": "小微企业贷款审批",
                "rows": n % 50,
                "amount_fen": 120,
                "reason": None if n % 7 else "quota_exceeded",
            },
        }
        values = {
            "request_id": uuid.uuid4(),
            "client_address": "10.8.0.23",
            "reason": None if n % 7 else "quota_exceeded",
            "purpose": "小微企业贷款审批",
        }
        row.update({name: values[name] for name in extra})
        rows.append(row)
    return rows


def _append(kind: str, plain: Database, merkle: Database, entries: int) -> Result:
    plain_seconds = ours_seconds = 0.0
    for start in range(0, entries, BATCH):
        rows = _rows(start, BATCH)
        with stopwatch() as elapsed, plain.unit_of_work() as session:
            session.execute(insert(_EVENTS), rows)
        plain_seconds += elapsed[0]
        last = start + BATCH >= entries
        with stopwatch() as elapsed:
            with merkle.unit_of_work() as session:
                session.execute(insert(_EVENTS), rows)
            if (start // BATCH + 1) % SEQUENCE_EVERY == 0 or last:
                with merkle.unit_of_work() as session:
                    sequencer.sequence(session)
        ours_seconds += elapsed[0]
    with merkle.unit_of_work() as session:
        size = sequencer.tree_size(session)
    assert size == entries, (size, entries)
    ours, peer = entries / ours_seconds, entries / plain_seconds
    return Result(
        name=f"audit append with the Merkle update, sequenced every {SEQUENCE_EVERY * BATCH:,} "
        f"({kind})",
        ours=ours,
        peer=peer,
        unit="entries/s",
        peer_name="plain INSERT of the same rows",
        target_ratio=0.5,
        note=f"{entries:,} entries; ours {ours:,.0f}/s against the floor of "
        f"{APPEND_TARGET:,.0f}/s: {'ok' if ours >= APPEND_TARGET else 'BELOW TARGET'}",
    )


def _verify(kind: str, log: Database, entries: int) -> Result:
    from sluice.identity import service as identity
    from sluice.identity.schemas import OrganizationCreate
    from sluice.transparency import heads

    clock = FixedClock(datetime(2026, 12, 1, 2, 0, tzinfo=UTC))
    with tempfile.TemporaryDirectory(prefix="bench-audit-home-") as home:
        settings = Settings(home=Path(home), database_url=log.url)
        with log.unit_of_work() as session:
            identity.create_organization(
                session,
                actor=Principal.system("bench"),
                clock=clock,
                data=OrganizationCreate(code="bench-bureau", kind=OrgKind.BUREAU, name="数据局"),
            )
        step = 10 * BATCH
        for start in range(0, entries, step):
            with log.unit_of_work() as session:
                session.execute(insert(_EVENTS), _rows(start, min(step, entries - start)))
            if start % (20 * step) == 0 or start + step >= entries:
                with log.unit_of_work() as session:
                    heads.current_head(session, settings=settings, at=clock.now())
                clock.advance(timedelta(minutes=5))
        with stopwatch() as elapsed, log.unit_of_work() as session:
            result = heads.verify_log(session)
    assert result.ok and result.leaves == entries + 1, (result.findings[:3], result.leaves)
    seconds = elapsed[0]
    return Result(
        name=f"sluice audit verify, {result.leaves:,} entries, {result.heads} heads ({kind})",
        ours=result.leaves / seconds,
        peer=1_000_000 / VERIFY_LIMIT_SECONDS,
        unit="entries/s",
        peer_name="the limit: 1M entries in 60 s",
        target_ratio=1.0,
        note=f"{seconds:.1f} s; 1M entries would take {1_000_000 / result.leaves * seconds:.0f} s",
    )
