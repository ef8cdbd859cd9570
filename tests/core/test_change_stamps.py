"""Change stamps: every watched table is stamped on both databases, a write changes its
stamp in the writing transaction, and a memo keeps a value exactly while the stamps hold."""

from __future__ import annotations

import importlib
import uuid
from datetime import UTC, datetime

import pytest
from sqlalchemy import Connection, make_url, select, text

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
            expected = {
                (t, f"{t}_{trigger}")
                for t in change_stamps.WATCHED
                for trigger in ("stamp_note", "stamp", "stamp_truncate")
            }
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


def _stamps(database: Database) -> Stamps:
    with database.unit_of_work() as session:
        stamps = change_stamps.read(session)
    assert stamps is not None and len(stamps.values) == len(change_stamps.WATCHED)
    return stamps


def test_a_write_changes_its_tables_stamp_and_keeps_nothing_under_the_old_one(
    database: Database,
) -> None:
    """A committed write changes its table's stamp and no other. Before it commits, the
    writing transaction never reads the old stamps (it would keep what it reads of its own
    uncommitted rows under them): it reads its own new stamp (SQLite, stamped at once) or
    none at all (PostgreSQL, stamped at commit: migration 0029)."""
    with database.unit_of_work() as session:
        session.add(_cap(1))
    before = _stamps(database)
    with database.unit_of_work() as session:
        cap = session.query(PriceCap).one()
        cap.cap_fen = 90
        session.flush()
        inside = change_stamps.read(session)
    if database.engine.dialect.name == "postgresql":
        assert inside is None
    else:
        assert _stamp_of(inside, "price_caps") != _stamp_of(before, "price_caps")
    after = _stamps(database)
    assert _stamp_of(after, "price_caps") != _stamp_of(before, "price_caps")
    assert _stamp_of(after, "products") == _stamp_of(before, "products")
    with database.unit_of_work() as session:
        session.query(PriceCap).delete()
    assert _stamp_of(_stamps(database), "price_caps") != _stamp_of(after, "price_caps")
    with database.unit_of_work() as session:
        session.query(PriceCap).delete()  # nothing left: no row written, no stamp changed
    # A write rolled back changes nothing either.
    unchanged = _stamps(database)
    with database.unit_of_work() as session:
        session.add(_cap(2))
        session.flush()
        session.rollback()
    assert _stamps(database) == unchanged


def _two_writers(database: Database) -> tuple[Connection, Connection]:
    first, second = database.engine.connect(), database.engine.connect()
    for connection in (first, second):
        # A wait on the other would fail the test in a second, not hang it.
        connection.execute(text("SET lock_timeout = '1s'"))
    return first, second


@pytest.mark.parametrize("database", ["postgresql"], indirect=True)
def test_writers_of_watched_tables_neither_queue_nor_deadlock_on_the_stamps(
    database: Database,
) -> None:
    """Two open transactions write the same watched tables in opposite orders: with the
    stamp replaced by each statement, the second waited on the first's stamp row and then
    the two deadlocked; stamped at commit in one order, each commits in turn."""
    with database.unit_of_work() as session:
        session.add(_cap(1))
    before = _stamps(database)
    first, second = _two_writers(database)
    insert = text(
        "INSERT INTO price_caps (id, product_type, domain, version, cap_fen, effective_from,"
        " reason, set_by, set_at) VALUES (:id, 'score', 'industry:finance', :version, 100,"
        " now(), 'test', 'bureau', now())"
    )
    touch_products = text("UPDATE products SET code = code")
    try:
        first.execute(insert, {"id": uuid.uuid4(), "version": 2})
        second.execute(touch_products)
        second.execute(insert, {"id": uuid.uuid4(), "version": 3})
        first.execute(touch_products)
        second.commit()
        first.commit()
    finally:
        first.close()
        second.close()
    after = _stamps(database)
    assert _stamp_of(after, "price_caps") != _stamp_of(before, "price_caps")
    with database.unit_of_work() as session:
        assert sorted(session.scalars(select(PriceCap.version))) == [1, 2, 3]


@pytest.mark.parametrize("database", ["postgresql"], indirect=True)
def test_a_truncated_table_is_stamped_too(database: Database) -> None:
    before = _stamps(database)
    with database.engine.begin() as connection:
        connection.execute(text("TRUNCATE gateway_signing_secrets"))
    assert _stamp_of(_stamps(database), "gateway_signing_secrets") != _stamp_of(
        before, "gateway_signing_secrets"
    )


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
