"""Change stamps: every watched table is stamped on both databases, a write changes its
stamp in the writing transaction, and a memo keeps a value exactly while the stamps hold."""

from __future__ import annotations

import importlib
import uuid
from datetime import UTC, datetime

import pytest
from sqlalchemy import make_url, text

from sluice.core import change_stamps
from sluice.core.change_stamps import Memo, Stamps
from sluice.core.database import Database
from sluice.products.models import PriceCap

MIGRATION = importlib.import_module("sluice.migrations.versions.0027_change_stamps")


def test_the_code_watches_the_tables_the_migration_stamps() -> None:
    assert frozenset(MIGRATION.WATCHED) == change_stamps.WATCHED


def test_every_watched_table_has_its_triggers(database: Database) -> None:
    with database.engine.connect() as connection:
        if database.engine.dialect.name == "sqlite":
            rows = connection.execute(
                text("SELECT tbl_name, name FROM sqlite_master WHERE type = 'trigger'")
            ).all()
            expected = {
                (t, f"{t}_stamp_{verb}")
                for t in change_stamps.WATCHED
                for verb in ("insert", "update", "delete")
            }
        else:
            rows = connection.execute(
                text(
                    "SELECT c.relname, t.tgname FROM pg_trigger t "
                    "JOIN pg_class c ON c.oid = t.tgrelid "
                    "JOIN pg_namespace n ON n.oid = c.relnamespace "
                    "WHERE n.nspname = current_schema() AND NOT t.tgisinternal"
                )
            ).all()
            expected = {(t, f"{t}_stamp") for t in change_stamps.WATCHED}
    assert expected <= {(str(table), str(name)) for table, name in rows}


def _cap(version: int) -> PriceCap:
    at = datetime(2026, 12, 1, tzinfo=UTC)
    return PriceCap(
        id=uuid.uuid4(),
        product_type="score",
        domain="industry:finance",
        version=version,
        cap_fen=100,
        effective_from=at,
        reason="test",
        set_by="bureau",
        set_at=at,
    )


def _stamp_of(stamps: Stamps | None, table: str) -> int:
    assert stamps is not None
    return dict(stamps.values)[table]


def test_a_write_changes_its_tables_stamp_within_the_transaction(database: Database) -> None:
    with database.unit_of_work() as session:
        session.add(_cap(1))
        session.flush()
        before = change_stamps.read(session)
    assert before is not None and len(before.values) == len(change_stamps.WATCHED)
    with database.unit_of_work() as session:
        cap = session.query(PriceCap).one()
        cap.cap_fen = 90
        session.flush()
        # The writer sees its own new stamp before it commits; the others keep theirs.
        after = change_stamps.read(session)
    assert _stamp_of(after, "price_caps") != _stamp_of(before, "price_caps")
    assert _stamp_of(after, "products") == _stamp_of(before, "products")
    with database.unit_of_work() as session:
        session.query(PriceCap).delete()
        session.flush()
        deleted = change_stamps.read(session)
    assert _stamp_of(deleted, "price_caps") != _stamp_of(after, "price_caps")


def test_without_stamps_nothing_is_kept(database: Database) -> None:
    with database.unit_of_work() as session:
        session.execute(text("DELETE FROM change_stamps WHERE name = 'consents'"))
        assert change_stamps.read(session) is None
        session.rollback()


STAMPS_A = Stamps(make_url("sqlite:///a"), (("products", 1),))
STAMPS_B = Stamps(make_url("sqlite:///a"), (("products", 2),))
OTHER_DATABASE = Stamps(make_url("sqlite:///b"), (("products", 1),))


def test_a_memo_keeps_a_value_while_the_stamps_hold_and_builds_afresh_when_they_change() -> None:
    memo: Memo[str, int] = Memo("test")
    builds: list[str] = []

    def build(label: str) -> int:
        builds.append(label)
        return len(builds)

    assert memo.get(STAMPS_A, "k", lambda: build("a")) == 1
    assert memo.get(STAMPS_A, "k", lambda: build("again")) == 1
    assert memo.get(STAMPS_A, "other key", lambda: build("other")) == 2
    assert memo.get(STAMPS_B, "k", lambda: build("b")) == 3
    assert memo.get(OTHER_DATABASE, "k", lambda: build("other db")) == 4
    assert memo.get(None, "k", lambda: build("none")) == 5
    assert memo.get(None, "k", lambda: build("none again")) == 6
    assert builds == ["a", "other", "b", "other db", "none", "none again"]


def test_a_builder_that_fails_leaves_nothing_kept_and_is_marked_while_it_runs() -> None:
    memo: Memo[str, str] = Memo("marked")
    seen: list[str | None] = []

    def failing() -> str:
        seen.append(change_stamps.building())
        raise LookupError("refused")

    with pytest.raises(LookupError):
        memo.get(STAMPS_A, "k", failing)
    assert memo.get(STAMPS_A, "k", lambda: "built") == "built"
    assert seen == ["marked"] and change_stamps.building() is None
    change_stamps.forget_all()
    assert memo.get(STAMPS_A, "k", lambda: "rebuilt") == "rebuilt"
