"""Entries past their retention are archived with their proofs, never removed: the file holds
each entry's canonical form, leaf index and inclusion proof against the latest signed head,
the archive is on the log, and a second run takes only what the first did not."""

from __future__ import annotations

import json
import uuid
from datetime import timedelta

import pytest
from sqlalchemy import func, select
from typer.testing import CliRunner

from sluice.audit import archive
from sluice.audit import service as audit
from sluice.audit.log_models import AuditTreeHead
from sluice.audit.merkle import SM3, verify_inclusion
from sluice.audit.models import AuditEvent
from sluice.audit.sequencer import StoredTree, sequence
from sluice.cli import app as cli
from sluice.core.clock import FixedClock, SystemClock
from sluice.core.database import Database
from sluice.core.ids import sm3_hex
from sluice.core.principal import Principal
from sluice.core.settings import Settings, get_settings

OPERATOR = Principal(username="op", via="session", organization_id=uuid.uuid4())
RESOURCE = uuid.UUID("00000000-0000-4000-8000-0000000000aa")


def _entry(database: Database, clock: FixedClock, days_ago: int, **fields: object) -> int:
    with database.unit_of_work() as session:
        event = audit.record(
            session,
            actor=OPERATOR,
            action="guard.sandbox_query",
            target_type="authorization",
            target_id=uuid.uuid4(),
            at=clock.now() - timedelta(days=days_ago),
            **fields,  # type: ignore[arg-type]
        )
        session.flush()
        return event.id


def _signed_root(database: Database) -> bytes:
    """Sequence the log and store a head over it (its signature is not what this checks)."""
    with database.unit_of_work() as session:
        size = sequence(session, full=True).tree_size
    with database.unit_of_work() as session:
        root = StoredTree(session, size).root()
        session.add(
            AuditTreeHead(
                tree_size=size,
                root_hash=root.hex(),
                timestamp="2026-11-26T02:00:00Z",
                algorithm="RFC9162-SM3/SM2-SM3",
                signature_hex="00",
                public_key_hex="04",
                organization_id=uuid.uuid4(),
            )
        )
    return root


def test_entries_past_retention_are_archived_with_proofs_and_stay(
    database: Database, clock: FixedClock, settings: Settings
) -> None:
    old = _entry(database, clock, 200, resources=[RESOURCE], reason="out_of_scope")
    older = _entry(database, clock, 190)
    _entry(database, clock, 10)
    root = _signed_root(database)

    with database.unit_of_work() as session:
        done = archive.archive(session, settings=settings, at=clock.now())
    assert (done.entries, done.first_id, done.last_id, done.tree_size) == (2, old, older, 3)
    assert done.path is not None and done.path.parent == settings.home / "audit-archive"
    header, *lines = [json.loads(line) for line in done.path.read_text().splitlines()]
    assert header["retention_days"] == 183 and header["tree_head"]["tree_size"] == 3
    assert [line["id"] for line in lines] == [old, older]
    for line in lines:
        entry = line["entry"].encode()
        assert line["leaf_hash"] == SM3.hash_leaf(entry).hex()
        assert json.loads(entry)["id"] == line["id"]
        path = [bytes.fromhex(h) for h in line["inclusion_path"]]
        verify_inclusion(
            SM3, line["leaf_index"], line["tree_size"], SM3.hash_leaf(entry), path, root
        )
    assert lines[0]["resources"] == [str(RESOURCE)]
    assert json.loads(lines[0]["entry"])["reason"] == "out_of_scope"

    with database.unit_of_work() as session:
        # Nothing removed: the three entries and the archive's own.
        assert session.scalar(select(func.count()).select_from(AuditEvent)) == 4
        recorded = session.scalars(
            select(AuditEvent).where(AuditEvent.action == archive.ARCHIVED)
        ).one()
        assert recorded.detail["archive_sm3"] == sm3_hex(done.path.read_bytes())
        assert recorded.detail["archive_entries"] == 2
        again = archive.archive(session, settings=settings, at=clock.now())
    assert again.path is None and again.entries == 0

    # Later, the entry of ten days ago passes its retention: only it goes to a new file.
    later = clock.now() + timedelta(days=180)
    with database.unit_of_work() as session:
        next_one = archive.archive(session, settings=settings, at=later)
    assert next_one.entries == 1 and next_one.first_id == next_one.last_id
    assert next_one.path is not None and next_one.path != done.path


def test_a_longer_retention_keeps_entries_out_of_the_archive(
    database: Database, clock: FixedClock, settings: Settings
) -> None:
    _entry(database, clock, 200)
    longer = settings.model_copy(update={"audit_retention_days": 365})
    with database.unit_of_work() as session:
        done = archive.archive(session, settings=longer, at=clock.now())
        assert done.path is None and done.tree_size is None
        assert session.scalar(select(func.count()).select_from(AuditEvent)) == 1
    assert not any((settings.home / "audit-archive").glob("*.jsonl"))


@pytest.mark.parametrize("database", ["sqlite"], indirect=True)
def test_the_command_archives_what_is_due_and_says_so(
    monkeypatch: pytest.MonkeyPatch, database: Database, settings: Settings
) -> None:
    now = SystemClock().now()
    with database.unit_of_work() as session:
        due = audit.record(
            session,
            actor=OPERATOR,
            action="guard.sandbox_query",
            target_type="authorization",
            target_id=uuid.uuid4(),
            at=now - timedelta(days=200),
        )
        session.flush()
        due_id = due.id
    monkeypatch.setenv("SLUICE_HOME", str(settings.home))
    monkeypatch.setenv("SLUICE_DATABASE_URL", database.url)
    get_settings.cache_clear()
    try:
        first = CliRunner().invoke(cli, ["audit", "archive"])
        second = CliRunner().invoke(cli, ["audit", "archive"])
    finally:
        get_settings.cache_clear()
    assert first.exit_code == 0, first.output
    assert f"archived 1 entries (ids {due_id} to {due_id})" in first.output
    assert "the entries stay in the log" in first.output
    assert second.exit_code == 0 and "nothing to archive" in second.output
    [file] = (settings.home / "audit-archive").glob("*.jsonl")
    assert json.loads(file.read_text().splitlines()[1])["id"] == due_id
