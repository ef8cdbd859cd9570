"""The sequencer: committed audit entries become leaves of the Merkle tree, in commit order.

``audit.service.record`` only inserts its row, in the caller's transaction: nothing is
hashed or locked there, so requests never queue behind one another for the log. Later
(before a tree head or a proof is served, on the served application's schedule, from
``sluice audit sequence``) :func:`sequence` takes the entries committed since its last run
in id order under a lock (PostgreSQL: an advisory lock; SQLite: the writer lock), gives
each the next leaf index (gap-free, whatever gaps the ids have), stores its leaf hash and
the hashes of the complete subtrees of ``2**STORED_LEVEL`` leaves and more that the new
leaves complete. Its state is the tree itself: the right edge it extends is read back from
those stored subtrees and the last partial block of leaves.

A leaf is ``SM3(0x00 || canonical form of the entry's row)``; the canonical form
(:func:`leaf_data`) covers every column of ``audit_events``, whatever columns a later
migration adds. :func:`verify` recomputes all of it from the entries and checks the signed
heads; :class:`StoredTree` answers proofs from the stored subtrees.

On PostgreSQL, ids are handed out at insert but become visible at commit, so an entry may
appear below ids already sequenced. Each run therefore looks back ``LOOKBACK`` ids below
the highest it sequenced for entries that no leaf covers yet; the scheduled run looks at
the whole log (``full=True``), so even a transaction that stayed open for longer is not
left out.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any, Final

from sqlalchemy import (
    JSON,
    DateTime,
    Table,
    TextClause,
    TypeDecorator,
    Uuid,
    exists,
    func,
    select,
    text,
)
from sqlalchemy.orm import Session

from sluice.audit.log_models import AuditLeaf, AuditTreeHead, AuditTreeNode
from sluice.audit.merkle import (
    SM3,
    CompactRange,
    TreeHasher,
    consistency_path,
    inclusion_path,
    is_perfect,
    mth,
    subtree_hash,
)
from sluice.audit.models import AuditEvent
from sluice.audit.verify_proof import check_head_signature

#: Complete subtrees of ``2**STORED_LEVEL`` leaves and more are stored (one row per 128
#: leaves); smaller ones are rehashed from at most that many leaves when a proof needs them.
STORED_LEVEL: Final = 8
#: How far below the highest sequenced id a run looks for entries committed late.
LOOKBACK: Final = 10_000
#: Entries hashed per batch (one SELECT, one INSERT of leaves).
BATCH: Final = 2_000
#: The PostgreSQL advisory lock key the sequencer holds (any fixed 64-bit number).
ADVISORY_LOCK: Final = 0x5_1C3_A0D1_7106

_EVENTS: Final[Table] = AuditEvent.__table__  # type: ignore[assignment]
_LEAVES: Final[Table] = AuditLeaf.__table__  # type: ignore[assignment]
_NODES: Final[Table] = AuditTreeNode.__table__  # type: ignore[assignment]
_HEADS: Final[Table] = AuditTreeHead.__table__  # type: ignore[assignment]


# -- the canonical form of an entry ---------------------------------------------------------
#
# Entries are read for hashing with plain SQL (no ORM types: at a million rows their parsing
# is most of the time) and each value normalized here, so the same entry gives the same bytes
# on SQLite (text dates, 32-hex ids, JSON text) and on PostgreSQL (native types).


def _plain(value: Any) -> Any:
    """A value as JSON: decimals as text, bytes as hex, dates in ISO 8601; ``None`` as null."""
    if value is None or isinstance(value, str | int | float | dict | list):
        return value
    if isinstance(value, datetime):
        return _when(value)
    if isinstance(value, uuid.UUID):
        return str(value)
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, bytes):
        return value.hex()
    return str(value)


def _when(value: Any) -> str | None:
    """A moment in UTC, ISO 8601 with microseconds and ``Z`` (stored times are UTC)."""
    if value is None:
        return None
    if isinstance(value, str):
        if len(value) == 26 and value[10] == " " and value[19] == ".":  # SQLite's own text
            return f"{value[:10]}T{value[11:]}Z"
        if len(value) == 27 and value[10] == "T" and value[26] == "Z":  # canonical already
            return value
        value = datetime.fromisoformat(value)
    if value.tzinfo is not None:
        value = value.astimezone(UTC).replace(tzinfo=None)
    return f"{value.isoformat(timespec='microseconds')}Z"


def _uuid(value: Any) -> str | None:
    """An id as its hyphenated lowercase text (SQLite keeps 32 hex digits). The same ids
    recur row after row (a buyer's key, its organization), so answers are remembered."""
    if value is None:
        return None
    known = _UUIDS.get(value)
    if known is not None:
        return known
    if len(_UUIDS) > 10_000:
        _UUIDS.clear()
    _UUIDS[value] = text_ = _uuid_text(value)
    return text_


_UUIDS: dict[Any, str] = {}


def _uuid_text(value: Any) -> str:
    if isinstance(value, uuid.UUID):
        return str(value)
    if isinstance(value, str) and len(value) == 36:
        return value.lower()
    if isinstance(value, str) and len(value) == 32:
        v = value.lower()
        return f"{v[:8]}-{v[8:12]}-{v[12:16]}-{v[16:20]}-{v[20:]}"
    return str(uuid.UUID(str(value)))


def _json(value: Any) -> Any:
    return json.loads(value) if isinstance(value, str | bytes) else value


def _normalizer(column: Any) -> Callable[[Any], Any]:
    kind = column.type
    if isinstance(kind, TypeDecorator):
        kind = kind.impl_instance
    if isinstance(kind, DateTime):
        return _when
    if isinstance(kind, Uuid):
        return _uuid
    if isinstance(kind, JSON):
        return _json
    return _plain


#: Every column of ``audit_events``, by name (sorted), with its normalizer: a column a later
#: migration adds is covered as soon as the model declares it.
_COLUMNS: Final = tuple(sorted((c.name, _normalizer(c)) for c in _EVENTS.columns))


def _selected(dialect: str) -> str:
    """The columns as the canonical form reads them. PostgreSQL hands ids, JSON and times
    over as text already in the canonical spelling (cheaper than building Python objects
    only to print them again); SQLite stores them as text anyway."""
    if dialect != "postgresql":
        return ", ".join(f"e.{name}" for name, _ in _COLUMNS)
    spelled: dict[Callable[[Any], Any], str] = {
        _uuid: "e.{}::text",
        _json: "e.{}::text",
        _when: "to_char(e.{} AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.US\"Z\"')",
    }
    return ", ".join(spelled.get(normal, "e.{}").format(name) for name, normal in _COLUMNS)


def _statements(dialect: str) -> tuple[TextClause, TextClause, TextClause]:
    """(entries by id range, leaves with their entries by leaf range, one entry's leaf)."""
    if dialect not in _STATEMENTS:
        columns = _selected(dialect)
        # PostgreSQL would hash-join a slice of leaves against the whole table of entries
        # (every slice reading every entry); a lateral join looks each one up by its id.
        entry, on = (
            ("LATERAL (SELECT * FROM audit_events x WHERE x.id = l.event_id LIMIT 1) e", "true")
            if dialect == "postgresql"
            else ("audit_events e", "e.id = l.event_id")
        )
        _STATEMENTS[dialect] = (
            text(
                f"SELECT {columns} FROM audit_events e "  # noqa: S608
                "WHERE e.id >= :low AND e.id <= :high ORDER BY e.id"
            ),
            text(
                f"SELECT {columns}, l.leaf_index, l.event_id, l.leaf_hash "  # noqa: S608
                f"FROM audit_leaves l LEFT JOIN {entry} ON {on} "
                "WHERE l.leaf_index >= :low AND l.leaf_index < :high ORDER BY l.leaf_index"
            ),
            text(
                f"SELECT {columns}, l.leaf_index, l.leaf_hash FROM audit_leaves l "  # noqa: S608
                "JOIN audit_events e ON e.id = l.event_id WHERE l.event_id = :event_id"
            ),
        )
    return _STATEMENTS[dialect]


_STATEMENTS: dict[str, tuple[TextClause, TextClause, TextClause]] = {}


_NAMES: Final = tuple(name for name, _ in _COLUMNS)
#: The columns whose values need normalizing (times, ids, JSON), by position.
_SPECIAL: Final = tuple((i, name, f) for i, (name, f) in enumerate(_COLUMNS) if f is not _plain)
_ENCODER: Final = json.JSONEncoder(
    sort_keys=True, ensure_ascii=False, separators=(",", ":"), default=_plain
)


def _canonical(values: Sequence[Any]) -> bytes:
    """The canonical form from the values of ``_COLUMNS``, in their order."""
    document = dict(zip(_NAMES, values))  # noqa: B905  (rows may carry more after them)
    for i, name, normal in _SPECIAL:
        document[name] = normal(values[i])
    return _ENCODER.encode(document).encode()


def leaf_data(row: Mapping[Any, Any]) -> bytes:
    """The canonical form of an entry: a JSON object of every column of ``audit_events``
    (names sorted, no spaces, UTF-8, nested objects' keys sorted too; times in UTC as
    ``2026-11-26T02:00:00.000000Z``, ids hyphenated, ``null`` for none). Its leaf hash is
    ``SM3(0x00 || leaf_data)``."""
    return _canonical([row[name] for name, _ in _COLUMNS])


def leaf_hash(row: Mapping[Any, Any], hasher: TreeHasher = SM3) -> bytes:
    return hasher.hash_leaf(leaf_data(row))


# -- sequencing -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Sequenced:
    tree_size: int
    appended: int


def lock(session: Session) -> None:
    """Hold the sequencer's lock until the transaction ends: one sequencer at a time."""
    if session.get_bind().dialect.name == "postgresql":
        session.execute(select(func.pg_advisory_xact_lock(ADVISORY_LOCK)))
    else:
        # A write that changes nothing takes SQLite's writer lock (waiting busy_timeout for
        # it); reads before it would see a state another writer may change under us.
        session.execute(text("DELETE FROM audit_leaves WHERE leaf_index < 0"))


def tree_size(session: Session) -> int:
    last = session.execute(select(func.max(_LEAVES.c.leaf_index))).scalar()
    return 0 if last is None else int(last) + 1


def sequence(session: Session, *, full: bool = False, hasher: TreeHasher = SM3) -> Sequenced:
    """Append every committed entry no leaf covers yet, in id order; see the module."""
    session.flush()
    lock(session)
    size = tree_size(session)
    stored: list[str] = []

    def keep(level: int, index: int, digest: bytes) -> None:
        if level >= STORED_LEVEL:
            stored.append(f"({level},{index},'{digest.hex()}')")

    compact = CompactRange(
        hasher, size, _edge(session, size, hasher), on_node=keep, from_level=STORED_LEVEL
    )
    floor = -1
    if not full and size:
        highest = session.execute(select(func.max(_LEAVES.c.event_id))).scalar() or 0
        lookback = LOOKBACK if session.get_bind().dialect.name == "postgresql" else 0
        floor = int(highest) - lookback
    covered = exists().where(_LEAVES.c.event_id == _EVENTS.c.id)
    ids = list(
        session.execute(
            select(_EVENTS.c.id).where(_EVENTS.c.id > floor, ~covered).order_by(_EVENTS.c.id)
        ).scalars()
    )
    by_range = _statements(session.get_bind().dialect.name)[0]
    for low, high, wanted in _groups(ids):
        leaves = []
        for values in session.execute(by_range, {"low": low, "high": high}).all():
            event_id = values[_ID_AT]
            if event_id not in wanted:  # sequenced already (a late commit's neighbours)
                continue
            digest = hasher.hash_leaf(_canonical(values))
            leaves.append(f"({compact.size},{int(event_id)},'{digest.hex()}')")
            compact.append(digest)
        # One multi-row INSERT of numbers and hex digits written out (nothing in it comes from
        # outside): compiling a thousand bound rows, or sending one statement a row, costs
        # more than hashing them.
        connection = session.connection()
        if leaves:
            rows = ",".join(leaves)
            connection.exec_driver_sql(f"INSERT INTO audit_leaves VALUES {rows}")  # noqa: S608
        if stored:
            rows = ",".join(stored)
            connection.exec_driver_sql(f"INSERT INTO audit_tree_nodes VALUES {rows}")  # noqa: S608
            stored.clear()
    return Sequenced(compact.size, compact.size - size)


_ID_AT: Final = [name for name, _ in _COLUMNS].index("id")


def _groups(ids: list[int]) -> Iterator[tuple[int, int, set[int]]]:
    """The ids in groups of at most ``BATCH`` that lie close together, each read with one
    range query: a late commit far below the rest is read on its own, not with all between."""
    group: list[int] = []
    for event_id in ids:
        if group and (len(group) == BATCH or event_id - group[0] > 2 * BATCH):
            yield group[0], group[-1], set(group)
            group = []
        group.append(event_id)
    if group:
        yield group[0], group[-1], set(group)


def _edge(session: Session, size: int, hasher: TreeHasher) -> list[bytes]:
    """The hashes of the perfect subtrees on the right edge of the stored tree of ``size``."""
    tree = StoredTree(session, size, hasher)
    return [tree.perfect(start, start + (1 << level)) for level, start in CompactRange.edge(size)]


# -- proofs from the stored tree ------------------------------------------------------------


class StoredTree:
    """The stored tree cut at ``size`` leaves: subtree hashes, roots and proofs."""

    def __init__(self, session: Session, size: int, hasher: TreeHasher = SM3) -> None:
        self.session = session
        self.size = size
        self.hasher = hasher
        self._blocks: dict[int, list[bytes]] = {}

    def _block(self, block: int) -> list[bytes]:
        if block not in self._blocks:
            low = block << STORED_LEVEL
            high = min(low + (1 << STORED_LEVEL), self.size)
            found = self.session.execute(
                select(_LEAVES.c.leaf_hash)
                .where(_LEAVES.c.leaf_index >= low, _LEAVES.c.leaf_index < high)
                .order_by(_LEAVES.c.leaf_index)
            ).scalars()
            self._blocks[block] = [bytes.fromhex(h) for h in found]
        return self._blocks[block]

    def perfect(self, start: int, end: int) -> bytes:
        """The hash of the complete subtree ``[start, end)``."""
        assert is_perfect(start, end) and end <= self.size
        level = (end - start).bit_length() - 1
        if level >= STORED_LEVEL:
            found = self.session.execute(
                select(_NODES.c.hash).where(
                    _NODES.c.level == level, _NODES.c.index == start >> level
                )
            ).scalar()
            if found is None:
                raise LookupError(f"the stored tree lacks subtree [{start}, {end})")
            return bytes.fromhex(found)
        block = start >> STORED_LEVEL
        offset = block << STORED_LEVEL
        return subtree_hash(self.hasher, self._block(block), start - offset, end - offset)

    def subtree(self, start: int, end: int) -> bytes:
        return mth(self.hasher, self.perfect, start, end)

    def root(self) -> bytes:
        return self.subtree(0, self.size) if self.size else self.hasher.empty_root()

    def inclusion(self, index: int) -> list[bytes]:
        return inclusion_path(self.subtree, index, self.size)

    def consistency(self, first: int) -> list[bytes]:
        return consistency_path(self.subtree, first, self.size)

    def leaf(self, index: int) -> bytes:
        return self._block(index >> STORED_LEVEL)[index - (index >> STORED_LEVEL << STORED_LEVEL)]


# -- verification ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Finding:
    """One thing wrong: ``code`` (``entry_altered``…), where, and in words (English)."""

    code: str
    text: str
    leaf_index: int | None = None
    event_id: int | None = None
    head_id: int | None = None


@dataclass
class Verification:
    leaves: int = 0
    heads: int = 0
    unsequenced: int = 0
    findings: list[Finding] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.findings


#: How many findings a verification lists before it stops looking for more.
MAX_FINDINGS: Final = 20


def verify(
    session: Session,
    *,
    hasher: TreeHasher = SM3,
    trusted_key: Callable[[str], bool] | None = None,
    chunk: int = 20_000,
) -> Verification:
    """Recompute every leaf from its entry and the tree from the leaves; check every stored
    subtree and every signed head (its signature, and its root against the recomputed tree
    at its size). ``trusted_key(public_key_hex)`` says whether a head's key is the bureau's.
    Findings come in log order (an entry, then the subtrees and heads above it), so the
    first names where the log stops being what was signed. Nothing is written."""
    result = Verification()
    findings = result.findings
    nodes = {
        (level, index): digest
        for level, index, digest in session.execute(
            select(_NODES.c.level, _NODES.c.index, _NODES.c.hash)
        )
    }
    heads = list(session.execute(select(_HEADS).order_by(_HEADS.c.tree_size)).mappings())
    result.heads = len(heads)
    seen_nodes = 0

    def check_node(level: int, index: int, digest: bytes) -> None:
        nonlocal seen_nodes
        if level < STORED_LEVEL:
            return
        seen_nodes += 1
        stored = nodes.get((level, index))
        if stored != digest.hex() and len(findings) < MAX_FINDINGS:
            first = index << level
            findings.append(
                Finding(
                    "node_altered",
                    f"stored subtree hash of leaves {first}..{first + (1 << level) - 1} "
                    "does not match the leaves",
                    leaf_index=first,
                )
            )

    def check_signature(signed: Mapping[Any, Any]) -> None:
        if not check_head_signature(dict(signed)):
            findings.append(
                Finding(
                    "head_signature_bad",
                    f"signed head #{signed['id']} (tree size {signed['tree_size']}): its "
                    "signature does not verify",
                    head_id=signed["id"],
                )
            )
        elif trusted_key is not None and not trusted_key(signed["public_key_hex"]):
            findings.append(
                Finding(
                    "head_key_unknown",
                    f"signed head #{signed['id']}: signed with a key that is not the bureau's",
                    head_id=signed["id"],
                )
            )

    compact = CompactRange(hasher, on_node=check_node, from_level=STORED_LEVEL)
    pending = iter(heads)
    head: Mapping[Any, Any] | None = next(pending, None)

    def check_heads() -> Mapping[Any, Any] | None:
        current = head
        while current is not None and current["tree_size"] == compact.size:
            check_signature(current)
            if compact.root().hex() != current["root_hash"]:
                findings.append(
                    Finding(
                        "head_root_mismatch",
                        f"signed head #{current['id']} (tree size {current['tree_size']}): its "
                        "root is not the root of the log's first "
                        f"{current['tree_size']} entries",
                        head_id=current["id"],
                    )
                )
            current = next(pending, None)
        return current

    head = check_heads()
    width = len(_COLUMNS)
    for row in _leaf_rows(session, chunk):
        index, event_id, stored_hash = row[width], row[width + 1], row[width + 2]
        values = row
        if index != compact.size:
            findings.append(
                Finding(
                    "leaf_missing",
                    f"leaf {compact.size} is missing (the next stored leaf is {index})",
                    leaf_index=compact.size,
                )
            )
            break
        if values[_ID_AT] is None:
            findings.append(
                Finding(
                    "entry_missing",
                    f"leaf {index}: entry #{event_id} is missing from the log",
                    leaf_index=index,
                    event_id=event_id,
                )
            )
            digest = bytes.fromhex(stored_hash)
        else:
            digest = hasher.hash_leaf(_canonical(values))
            if digest.hex() != stored_hash:
                findings.append(
                    Finding(
                        "entry_altered",
                        f"leaf {index}: entry #{event_id} is not the entry that was logged "
                        "(its hash differs)",
                        leaf_index=index,
                        event_id=event_id,
                    )
                )
        compact.append(digest)
        if head is not None and head["tree_size"] == compact.size:
            head = check_heads()
        if len(findings) >= MAX_FINDINGS:
            break
    result.leaves = compact.size
    while head is not None and len(findings) < MAX_FINDINGS:
        check_signature(head)
        findings.append(
            Finding(
                "head_beyond_log",
                f"signed head #{head['id']} covers {head['tree_size']} entries; the log has "
                f"only {compact.size} leaves",
                head_id=head["id"],
            )
        )
        head = next(pending, None)
    if not findings and seen_nodes != len(nodes):
        findings.append(
            Finding(
                "node_extra", f"{len(nodes) - seen_nodes} stored subtree hashes match no leaves"
            )
        )
    covered = exists().where(_LEAVES.c.event_id == _EVENTS.c.id)
    result.unsequenced = int(
        session.execute(select(func.count()).select_from(_EVENTS).where(~covered)).scalar() or 0
    )
    return result


def _leaf_rows(session: Session, chunk: int) -> Iterator[Sequence[Any]]:
    """Every leaf: its entry's ``_COLUMNS`` (all None where the entry is gone), then its
    index, entry id and stored hash; in leaf order, read ``chunk`` leaves at a time."""
    leaf_rows = _statements(session.get_bind().dialect.name)[1]
    low = 0
    while True:
        rows = session.execute(leaf_rows, {"low": low, "high": low + chunk}).all()
        if not rows:
            after = session.execute(
                select(func.min(_LEAVES.c.leaf_index)).where(_LEAVES.c.leaf_index >= low)
            ).scalar()
            if after is None:
                return
            low = int(after)
            continue
        yield from rows
        low += chunk


def leaf_of(session: Session, event_id: int) -> tuple[int, str, bytes] | None:
    """Entry ``event_id``'s leaf index, its stored leaf hash and the entry's canonical form
    as it reads now (hashing it gives the leaf hash, unless the entry was altered)."""
    one_leaf = _statements(session.get_bind().dialect.name)[2]
    found = session.execute(one_leaf, {"event_id": event_id}).first()
    if found is None:
        return None
    width = len(_COLUMNS)
    return int(found[width]), str(found[width + 1]), _canonical(found)
