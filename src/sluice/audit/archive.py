"""Archiving audit entries past their retention, with their proofs; none is ever removed.

Entries stay in the live log at least ``audit_retention_days`` (183 or more: six months).
``sluice audit archive`` copies the entries older than that, not archived before, to a file
under ``SLUICE_HOME/audit-archive/`` (JSON lines) and records the archive on the log
(``audit.archived``: the file, its SM3, how many entries, the first and last id). The rows
stay where they are: the log is append-only, and an archive is a copy an auditor can take
away and check without the platform.

The file's first line is the archive's header with the latest signed tree head
(``tree_head``: as ``GET /api/v1/audit/tree-head`` gives it). Each further line is one
entry::

    {"id": 17, "leaf_index": 16, "tree_size": 250, "leaf_hash": "…", "inclusion_path": […],
     "entry": "<the entry's canonical form>", "resources": ["…"]}

``entry`` is exactly what the leaf hash covers (``audit.sequencer.leaf_data``):
``leaf_hash = SM3(0x00 || entry)``. The line is also an inclusion proof against the header's
head, so ``python -m sluice.audit.verify_proof inclusion head.json line.json --leaf-hash …``
checks it offline. An entry the tree does not hold yet (not sequenced when the head was
signed) has ``leaf_index`` and its proof ``null``; run ``sluice audit sequence`` first (the
command does) to avoid that.
"""

from __future__ import annotations

import json
import uuid
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any, Final

from sqlalchemy import select
from sqlalchemy.orm import Session

from sluice.audit import service as audit
from sluice.audit.log_models import AuditLeaf, AuditTreeHead
from sluice.audit.merkle import SM3
from sluice.audit.models import AuditEvent, AuditEventResource
from sluice.audit.sequencer import StoredTree, leaf_data
from sluice.core.ids import sm3_hex
from sluice.core.principal import Principal
from sluice.core.settings import Settings

ARCHIVED: Final = "audit.archived"
#: Entries read from the database at a time.
BATCH: Final = 1_000
FOLDER: Final = "audit-archive"

audit.declare_actions({ARCHIVED: ("归档审计日志", "Audit log archived")})
audit.declare_detail_labels(
    {
        "archive_file": ("归档文件", "Archive file"),
        "archive_sm3": ("归档文件 SM3", "Archive file SM3"),
        "archive_entries": ("归档条目数", "Entries archived"),
        "archive_first_id": ("首条编号", "First entry"),
        "archive_last_id": ("末条编号", "Last entry"),
        "archive_cutoff": ("归档截止（早于）", "Archived before"),
        "archive_tree_size": ("对应签名树头的条目数", "Signed tree head size"),
    }
)


@dataclass(frozen=True)
class Archived:
    """What one run archived; ``path`` is None when nothing was due."""

    path: Path | None
    entries: int
    first_id: int | None
    last_id: int | None
    cutoff: datetime
    tree_size: int | None


def cutoff_of(settings: Settings, at: datetime) -> datetime:
    """Entries before this moment are past their retention."""
    return at - timedelta(days=settings.audit_retention_days)


def _last_archived_id(session: Session) -> int:
    """The last entry an earlier archive took (0: none)."""
    details = session.scalars(
        select(AuditEvent.detail)
        .where(AuditEvent.action == ARCHIVED, AuditEvent.outcome == "ok")
        .order_by(AuditEvent.id.desc())
        .limit(1)
    ).first()
    return int((details or {}).get("archive_last_id") or 0)


def _latest_head(session: Session) -> AuditTreeHead | None:
    return session.scalars(
        select(AuditTreeHead).order_by(AuditTreeHead.tree_size.desc()).limit(1)
    ).first()


def _due(session: Session, after_id: int, cutoff: datetime) -> Iterator[list[AuditEvent]]:
    low = after_id
    while True:
        batch = list(
            session.scalars(
                select(AuditEvent)
                .where(AuditEvent.id > low, AuditEvent.occurred_at < cutoff)
                .order_by(AuditEvent.id)
                .limit(BATCH)
            )
        )
        if not batch:
            return
        yield batch
        low = batch[-1].id


def _lines(
    session: Session, batch: list[AuditEvent], tree: StoredTree | None
) -> Iterator[dict[str, Any]]:
    ids = [e.id for e in batch]
    leaves: dict[int, int] = dict(
        session.execute(
            select(AuditLeaf.event_id, AuditLeaf.leaf_index).where(AuditLeaf.event_id.in_(ids))
        ).all()
    )
    resources: defaultdict[int, list[str]] = defaultdict(list)
    for event_id, resource_id in session.execute(
        select(AuditEventResource.event_id, AuditEventResource.resource_id)
        .where(AuditEventResource.event_id.in_(ids))
        .order_by(AuditEventResource.event_id, AuditEventResource.resource_id)
    ):
        resources[event_id].append(str(resource_id))
    columns = AuditEvent.__table__.columns
    for event in batch:
        row = {column.name: getattr(event, column.key) for column in columns}
        entry = leaf_data(row)
        index = leaves.get(event.id)
        proven = tree is not None and index is not None and index < tree.size
        yield {
            "id": event.id,
            "leaf_index": index,
            "tree_size": tree.size if proven and tree is not None else None,
            "leaf_hash": SM3.hash_leaf(entry).hex(),
            "inclusion_path": [h.hex() for h in tree.inclusion(index)]
            if proven and tree is not None and index is not None
            else None,
            "entry": entry.decode(),
            "resources": sorted(resources.get(event.id, [])),
        }


def archive(
    session: Session, *, settings: Settings, at: datetime, actor: Principal | None = None
) -> Archived:
    """Copy the entries past their retention that no archive holds yet to a new file, with
    their proofs against the latest signed head, and record the archive (see the module).
    Writes nothing when none is due."""
    actor = actor or Principal.system("archive")
    cutoff = cutoff_of(settings, at)
    after = _last_archived_id(session)
    head = _latest_head(session)
    tree = StoredTree(session, head.tree_size) if head is not None else None
    folder = settings.home / FOLDER
    folder.mkdir(parents=True, exist_ok=True)
    partial = folder / f".archive-{uuid.uuid4().hex}.part"
    count, first, last = 0, None, None
    try:
        with partial.open("w", encoding="utf-8") as out:
            header = {
                "archive": "sluice-audit-archive/1",
                "created_at": at.isoformat(),
                "retention_days": settings.audit_retention_days,
                "before": cutoff.isoformat(),
                "tree_head": _head_dict(head),
            }
            out.write(json.dumps(header, ensure_ascii=False, sort_keys=True) + "\n")
            for batch in _due(session, after, cutoff):
                for line in _lines(session, batch, tree):
                    out.write(json.dumps(line, ensure_ascii=False, sort_keys=True) + "\n")
                count += len(batch)
                first = batch[0].id if first is None else first
                last = batch[-1].id
        if count == 0 or first is None or last is None:
            partial.unlink()
            return Archived(None, 0, None, None, cutoff, head.tree_size if head else None)
        path = folder / f"audit-{first:012d}-{last:012d}.jsonl"
        partial.replace(path)
    except BaseException:
        partial.unlink(missing_ok=True)
        raise
    audit.record(
        session,
        actor=actor,
        action=ARCHIVED,
        target_type="audit_log",
        target_id="audit_events",
        at=at,
        detail={
            "archive_file": f"{FOLDER}/{path.name}",
            "archive_sm3": sm3_hex(path.read_bytes()),
            "archive_entries": count,
            "archive_first_id": first,
            "archive_last_id": last,
            "archive_cutoff": cutoff.isoformat(),
            "archive_tree_size": head.tree_size if head is not None else None,
        },
    )
    return Archived(path, count, first, last, cutoff, head.tree_size if head else None)


def _head_dict(head: AuditTreeHead | None) -> dict[str, Any] | None:
    if head is None:
        return None
    return {
        "tree_size": head.tree_size,
        "root_hash": head.root_hash,
        "timestamp": head.timestamp,
        "algorithm": head.algorithm,
        "signature_hex": head.signature_hex,
        "public_key_hex": head.public_key_hex,
    }
