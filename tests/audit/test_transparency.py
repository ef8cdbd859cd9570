"""The audit log anyone can check: append-only on both databases, a Merkle tree built in
batches that matches the tree rebuilt from the entries, signed heads and proofs the offline
verifier accepts with the published key, refusals in words, and `sluice audit verify`
naming the entry or head someone tampered with."""

# ruff: noqa: S608  (the tampering statements are the test's own, on its own database)

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from psycopg.types.json import Json
from sqlalchemy import select, text
from sqlalchemy.exc import DBAPIError
from typer.testing import CliRunner

from sluice.audit import sequencer
from sluice.audit.merkle import SM3, MemoryTree
from sluice.audit.models import AuditEvent
from sluice.audit.verify_proof import main as verify_proof
from sluice.cli import app as cli
from sluice.core.clock import SHANGHAI, FixedClock
from sluice.core.database import Database
from sluice.core.permissions import Role
from sluice.core.principal import Principal
from sluice.core.settings import Settings, get_settings
from sluice.web.app import create_app
from tests.audit.factories import record
from tests.conftest import module_database
from tests.identity.factories import Account, bearer, make_account

NOW = datetime(2026, 11, 26, 10, 0, tzinfo=SHANGHAI)
#: Recorded in batches, each sequenced on its own: runs start inside partial blocks of the
#: 256-leaf stored subtrees, end exactly on one (256) and cross two (512).
BATCHES = (100, 156, 1, 255, 88)
TRIGGERS = {
    "sqlite": (
        "CREATE TRIGGER audit_events_no_update BEFORE UPDATE ON audit_events "
        "BEGIN SELECT RAISE(ABORT, 'audit_events is append-only'); END",
        "CREATE TRIGGER audit_events_no_delete BEFORE DELETE ON audit_events "
        "BEGIN SELECT RAISE(ABORT, 'audit_events is append-only'); END",
        "CREATE TRIGGER audit_tree_heads_no_update BEFORE UPDATE ON audit_tree_heads "
        "BEGIN SELECT RAISE(ABORT, 'audit_tree_heads is append-only'); END",
    ),
}
runner = CliRunner()


@dataclass(frozen=True)
class Log:
    kind: str
    database: Database
    settings: Settings
    app: FastAPI
    bureau: Account
    #: The entries' ids, in the order recorded, after ``before`` others (the bureau's account).
    ids: list[int]
    before: int
    #: The signed heads the API answered after each batch (as JSON).
    heads: list[dict[str, Any]]


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def log(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory, sqlite_template: Path
) -> Iterator[Log]:
    root = tmp_path_factory.mktemp("transparency")
    with module_database(request, root, sqlite_template) as database:
        clock = FixedClock(NOW)
        settings = Settings(home=root / "var", database_url=database.url)
        bureau = make_account(database, clock, Role.BUREAU)
        app = create_app(settings, database=database, clock=clock)
        system = Principal.system("test")
        with database.unit_of_work() as session:
            before = len(session.execute(text("SELECT id FROM audit_events")).all())
        ids: list[int] = []
        heads = []
        with TestClient(app, base_url="http://127.0.0.1") as client:
            for size in BATCHES:
                with database.unit_of_work() as session:
                    for i in range(size):
                        at = NOW + timedelta(seconds=len(ids), microseconds=i)
                        detail = {"n": len(ids), "名称": "数据", "nested": {"b": 1, "a": [i]}}
                        ids.append(
                            record(session, system, "quality.assessed", at=at, detail=detail)
                        )
                clock.advance(timedelta(minutes=1))
                answer = client.get("/api/v1/audit/tree-head")
                assert answer.status_code == 200, answer.text
                heads.append(answer.json())
        yield Log(request.param, database, settings, app, bureau, ids, before, heads)


def _rebuilt(database: Database) -> MemoryTree:
    """The tree rebuilt from the entries alone, in the leaves' order."""
    with database.unit_of_work() as session:
        order = session.execute(text("SELECT event_id FROM audit_leaves ORDER BY leaf_index"))
        events = {
            row["id"]: row
            for row in session.execute(select(AuditEvent.__table__)).mappings()  # type: ignore[arg-type]
        }
        return MemoryTree(SM3, [sequencer.leaf_hash(events[e]) for (e,) in order])


def test_entries_are_append_only(log: Log) -> None:
    for statement in (
        f"UPDATE audit_events SET action = 'x' WHERE id = {log.ids[0]}",
        f"DELETE FROM audit_events WHERE id = {log.ids[0]}",
        "UPDATE audit_leaves SET leaf_hash = 'x'",
        "DELETE FROM audit_tree_heads",
    ):
        with pytest.raises(DBAPIError, match="append-only"), log.database.unit_of_work() as session:
            session.execute(text(statement))


def test_the_tree_grown_in_batches_is_the_tree_of_the_entries_in_order(log: Log) -> None:
    tree = _rebuilt(log.database)
    assert len(tree.leaves) == log.before + len(log.ids) > 512
    with log.database.unit_of_work() as session:
        leaves = session.execute(
            text("SELECT leaf_index, event_id FROM audit_leaves ORDER BY leaf_index")
        ).all()
        stored = sequencer.StoredTree(session, len(leaves))
        assert [i for i, _ in leaves] == list(range(len(leaves)))  # gap-free from 0
        assert [e for _, e in leaves][-len(log.ids) :] == log.ids  # in commit order
        assert stored.root() == tree.root()
        for size in (1, 2, 255, 256, 257, 511, 512, 513, len(tree.leaves)):
            cut = sequencer.StoredTree(session, size)
            assert cut.root() == tree.root(size)
            for index in {0, size // 2, size - 1}:
                assert cut.inclusion(index) == tree.inclusion(index, size)
            for first in {1, size // 3 or 1, size}:
                assert cut.consistency(first) == tree.consistency(first, size)
    sizes = [head["tree_size"] for head in log.heads]
    assert sizes == [log.before + sum(BATCHES[: n + 1]) for n in range(len(BATCHES))]
    assert [head["root_hash"] for head in log.heads] == [tree.root(n).hex() for n in sizes]


def _save(tmp_path: Path, name: str, document: dict[str, Any]) -> str:
    path = tmp_path / name
    path.write_text(json.dumps(document), encoding="utf-8")
    return str(path)


def test_heads_and_proofs_verify_offline_with_the_published_key_alone(
    log: Log, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    with TestClient(log.app, base_url="http://127.0.0.1") as client:
        head = client.get("/api/v1/audit/tree-head").json()
        published = client.get("/api/v1/public-keys").json()
        leaf = client.get(
            f"/api/v1/audit/events/{log.ids[300]}/leaf", headers=bearer(client, log.bureau)
        ).json()
        inclusion = client.get(
            "/api/v1/audit/proof/inclusion",
            params={"leaf_index": leaf["leaf_index"], "tree_size": head["tree_size"]},
        ).json()
        old = log.heads[1]
        consistency = client.get(
            "/api/v1/audit/proof/consistency",
            params={"first": old["tree_size"], "second": head["tree_size"]},
        ).json()
    assert head == log.heads[-1]  # nothing new was logged: the same signed head
    (key,) = [k["public_key_hex"] for k in published if k["organization_kind"] == "bureau"]
    assert head["public_key_hex"] == key and head["algorithm"] == "RFC9162-SM3/SM2-SM3"
    assert SM3.hash_leaf(leaf["leaf_data"].encode()).hex() == leaf["leaf_hash"]
    assert json.loads(leaf["leaf_data"])["id"] == log.ids[300]
    files = {
        "head": _save(tmp_path, "head.json", head),
        "old": _save(tmp_path, "old.json", old),
        "inclusion": _save(tmp_path, "inclusion.json", inclusion),
        "consistency": _save(tmp_path, "consistency.json", consistency),
    }
    checks = [
        ["head", files["head"]],
        ["inclusion", files["head"], files["inclusion"], "--leaf-hash", leaf["leaf_hash"]],
        ["consistency", files["old"], files["head"], files["consistency"]],
    ]
    for check in checks:
        assert verify_proof(["--public-key", key, *check]) == 0, capsys.readouterr().err
    assert "OK: the entry is leaf" in capsys.readouterr().out
    # Another entry's hash, a head signed by another key, an altered root: all refused.
    other = SM3.hash_leaf(b"{}").hex()
    wrong_key = "04" + "11" * 64
    forged = _save(tmp_path, "forged.json", {**head, "root_hash": old["root_hash"]})
    refusals = [
        ["inclusion", files["head"], files["inclusion"], "--leaf-hash", other],
        ["--public-key", wrong_key, "head", files["head"]],
        ["head", forged],
        ["consistency", files["head"], files["old"], files["consistency"]],
    ]
    for refusal in refusals:
        args = refusal if refusal[0] == "--public-key" else ["--public-key", key, *refusal]
        assert verify_proof(args) == 1, refusal
    err = capsys.readouterr().err
    assert "FAILED: the inclusion proof leads to another root" in err
    assert "FAILED: the head is signed with another key than the one given" in err
    assert "FAILED: the head's signature does not verify" in err


def test_bad_proof_parameters_are_refused_in_words(log: Log) -> None:
    with TestClient(log.app, base_url="http://127.0.0.1") as client:
        size = client.get("/api/v1/audit/tree-head").json()["tree_size"]
        beyond = client.get(
            "/api/v1/audit/proof/inclusion", params={"leaf_index": 0, "tree_size": size + 1}
        )
        assert beyond.status_code == 422
        assert beyond.json()["detail"] == (
            f"审计日志目前共有 {size} 条记录，tree_size 不能超过此数。"
        )
        reversed_ = client.get(
            "/api/v1/audit/proof/consistency",
            params={"first": 5, "second": 4},
            headers={"Accept-Language": "en"},
        )
        assert reversed_.status_code == 422
        assert reversed_.json()["detail"].startswith("first cannot be more than second")
        outside = client.get(
            "/api/v1/audit/proof/inclusion", params={"leaf_index": 3, "tree_size": 3}
        )
        assert outside.status_code == 422
        assert "leaf_index 须小于树的大小" in outside.json()["detail"]
        for params in ({"leaf_index": -1, "tree_size": 3}, {"leaf_index": "x", "tree_size": 3},
                       {"leaf_index": 0, "tree_size": 2**63}, {"leaf_index": 0}):  # fmt: skip
            answer = client.get("/api/v1/audit/proof/inclusion", params=params)
            assert answer.status_code == 422, (params, answer.text)
        for params in ({"first": 0, "second": 1}, {"first": 1, "second": size + 1}):
            answer = client.get("/api/v1/audit/proof/consistency", params=params)
            assert answer.status_code == 422, (params, answer.text)
        anonymous = client.get(f"/api/v1/audit/events/{log.ids[0]}/leaf")
        assert anonymous.status_code == 401
        missing = client.get("/api/v1/audit/events/999999/leaf", headers=bearer(client, log.bureau))
        assert missing.status_code == 404
        assert missing.json()["detail"] == "该审计记录不存在，或尚未进入默克尔树。"


# -- tampering ------------------------------------------------------------------------------


@contextmanager
def _without_triggers(database: Database, kind: str) -> Iterator[None]:
    """The triggers dropped, as someone with the database's keys could, then put back."""
    with database.engine.begin() as connection:
        if kind == "sqlite":
            for name in ("audit_events_no_update", "audit_events_no_delete",
                         "audit_tree_heads_no_update"):  # fmt: skip
                connection.execute(text(f"DROP TRIGGER {name}"))
        else:
            for table in ("audit_events", "audit_tree_heads"):
                connection.execute(text(f"ALTER TABLE {table} DISABLE TRIGGER USER"))
    try:
        yield
    finally:
        with database.engine.begin() as connection:
            if kind == "sqlite":
                for statement in TRIGGERS["sqlite"]:
                    connection.execute(text(statement))
            else:
                for table in ("audit_events", "audit_tree_heads"):
                    connection.execute(text(f"ALTER TABLE {table} ENABLE TRIGGER USER"))


def _verify(log: Log, monkeypatch: pytest.MonkeyPatch) -> tuple[int, str]:
    monkeypatch.setenv("SLUICE_HOME", str(log.settings.home))
    monkeypatch.setenv("SLUICE_DATABASE_URL", log.database.url)
    get_settings.cache_clear()
    try:
        result = runner.invoke(cli, ["audit", "verify"])
    finally:
        get_settings.cache_clear()
    return result.exit_code, result.output


def _row(log: Log, event_id: int) -> dict[str, Any]:
    """The entry's row as stored, ready to be written back with plain SQL."""
    with log.database.engine.connect() as connection:
        row = dict(
            connection.execute(text(f"SELECT * FROM audit_events WHERE id = {event_id}"))
            .mappings()
            .one()
        )
    if log.kind == "postgresql":
        row["detail"] = Json(row["detail"])
    return row


def _leaf_of(log: Log, event_id: int) -> int:
    with log.database.engine.connect() as connection:
        found = connection.execute(
            text(f"SELECT leaf_index FROM audit_leaves WHERE event_id = {event_id}")
        ).scalar_one()
        return int(found)


def _put(log: Log, event_id: int, row: dict[str, Any]) -> None:
    columns = [c for c in row if c != "id"]
    assignments = ", ".join(f"{c} = :{c}" for c in columns)
    with log.database.engine.begin() as connection:
        connection.execute(
            text(f"UPDATE audit_events SET {assignments} WHERE id = {event_id}"),
            {c: row[c] for c in columns},
        )


def test_the_untouched_log_verifies(log: Log, monkeypatch: pytest.MonkeyPatch) -> None:
    with log.database.engine.connect() as connection:
        leaves, heads = connection.execute(
            text(
                "SELECT (SELECT count(*) FROM audit_leaves), "
                "(SELECT count(*) FROM audit_tree_heads)"
            )
        ).one()
    code, output = _verify(log, monkeypatch)
    assert code == 0, output
    assert leaves >= log.before + len(log.ids) and heads >= len(BATCHES)
    assert f"OK: {leaves} entries and {heads} signed heads verify" in output


def test_an_entry_edited_behind_a_dropped_trigger_is_named(
    log: Log, monkeypatch: pytest.MonkeyPatch
) -> None:
    target = log.ids[400]
    original = _row(log, target)
    with _without_triggers(log.database, log.kind):
        with log.database.engine.begin() as connection:
            connection.execute(
                text(f"UPDATE audit_events SET outcome = 'refused' WHERE id = {target}")
            )
        try:
            code, output = _verify(log, monkeypatch)
        finally:
            _put(log, target, original)
    assert code == 1
    assert f"FAILED: leaf {_leaf_of(log, target)}: entry #{target} is not the entry" in output
    assert _verify(log, monkeypatch)[0] == 0  # put back as it was, it verifies again


def test_a_deleted_entry_is_named(log: Log, monkeypatch: pytest.MonkeyPatch) -> None:
    target = log.ids[7]
    original = _row(log, target)
    with _without_triggers(log.database, log.kind):
        with log.database.engine.begin() as connection:
            connection.execute(text(f"DELETE FROM audit_events WHERE id = {target}"))
        try:
            code, output = _verify(log, monkeypatch)
        finally:
            with log.database.engine.begin() as connection:
                names = ", ".join(original)
                values = ", ".join(f":{c}" for c in original)
                connection.execute(
                    text(f"INSERT INTO audit_events ({names}) VALUES ({values})"),
                    original,
                )
    assert code == 1
    assert f"FAILED: leaf {_leaf_of(log, target)}: entry #{target} is missing" in output


def test_two_swapped_entries_are_named_from_the_first(
    log: Log, monkeypatch: pytest.MonkeyPatch
) -> None:
    one, two = log.ids[20], log.ids[21]
    first, second = _row(log, one), _row(log, two)
    with _without_triggers(log.database, log.kind):
        _put(log, one, second)
        _put(log, two, first)
        try:
            code, output = _verify(log, monkeypatch)
        finally:
            _put(log, one, first)
            _put(log, two, second)
    assert code == 1
    assert f"FAILED: leaf {_leaf_of(log, one)}: entry #{one} is not the entry" in output
    assert f"also: leaf {_leaf_of(log, two)}: entry #{two} is not the entry" in output


def test_an_altered_signed_head_is_named(log: Log, monkeypatch: pytest.MonkeyPatch) -> None:
    with log.database.engine.connect() as connection:
        heads = connection.execute(
            text("SELECT id, tree_size, root_hash FROM audit_tree_heads ORDER BY tree_size")
        ).all()
    head_id, size, root = heads[2]
    other = heads[1].root_hash  # a root the bureau did sign, for another size
    with _without_triggers(log.database, log.kind):
        with log.database.engine.begin() as connection:
            connection.execute(
                text(f"UPDATE audit_tree_heads SET root_hash = '{other}' WHERE id = {head_id}")
            )
        try:
            code, output = _verify(log, monkeypatch)
        finally:
            with log.database.engine.begin() as connection:
                connection.execute(
                    text(f"UPDATE audit_tree_heads SET root_hash = '{root}' WHERE id = {head_id}")
                )
    assert code == 1
    assert f"FAILED: signed head #{head_id} (tree size {size}): its signature does not" in output
    assert f"also: signed head #{head_id} (tree size {size}): its root is not the root" in output


@pytest.mark.rendering
def test_sqlite_ids_are_never_reused(log: Log) -> None:
    """AUTOINCREMENT: an id given once is never given again, even after the last row went."""
    with _without_triggers(log.database, "sqlite"):
        last = _row(log, log.ids[-1])
        with log.database.engine.begin() as connection:
            connection.execute(text(f"DELETE FROM audit_events WHERE id = {log.ids[-1]}"))
        with log.database.unit_of_work() as session:
            again = record(session, Principal.system("t"), "quality.assessed", at=NOW)
            session.rollback()
        with log.database.engine.begin() as connection:
            names, values = ", ".join(last), ", ".join(f":{c}" for c in last)
            connection.execute(text(f"INSERT INTO audit_events ({names}) VALUES ({values})"), last)
    assert again > log.ids[-1]


@pytest.mark.rendering
def test_the_transparency_page_shows_the_head_and_how_to_check_it(log: Log) -> None:
    with TestClient(log.app, base_url="http://127.0.0.1") as client:
        head = client.get("/api/v1/audit/tree-head").json()
        zh = client.get("/transparency")
        en = client.get("/transparency", headers={"Accept-Language": "en"})
    assert zh.status_code == en.status_code == 200
    for page in (zh.text, en.text):
        assert f'data-testid="tree-size">{head["tree_size"]}<' in page
        assert head["root_hash"] in page and head["signature_hex"] in page
        assert "python -m sluice.audit.verify_proof head head.json" in page
        assert "/api/v1/audit/proof/consistency?first=" in page
    assert "审计日志公开核验" in zh.text and "如何核验" in zh.text
    assert "Audit log transparency" in en.text and "How to check it" in en.text
    assert 'href="/transparency"' in zh.text  # in the top navigation
