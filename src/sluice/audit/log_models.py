"""The audit log's Merkle tree (``audit.sequencer``): leaves, stored subtrees, signed heads.

All three tables are append-only, like ``audit_events`` itself: triggers refuse UPDATE and
DELETE on SQLite and PostgreSQL (migration 0023).
"""

from __future__ import annotations

import uuid

from sqlalchemy import BigInteger, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from sluice.core.database import Base

_BIG = BigInteger().with_variant(Integer, "sqlite")


class AuditLeaf(Base):
    """Entry ``event_id`` is leaf ``leaf_index`` of the tree: indices are gap-free, in the
    order the sequencer found the entries committed."""

    __tablename__ = "audit_leaves"

    leaf_index: Mapped[int] = mapped_column(_BIG, primary_key=True, autoincrement=False)
    event_id: Mapped[int] = mapped_column(_BIG, unique=True)
    #: SM3(0x00 || the entry's canonical form), hex (``audit.sequencer.leaf_data``).
    leaf_hash: Mapped[str] = mapped_column(String(64))


class AuditTreeNode(Base):
    """The hash of a complete subtree of ``2**level`` leaves (``level >= STORED_LEVEL``), the
    ``index``-th of its level: proofs read them instead of rehashing the leaves below."""

    __tablename__ = "audit_tree_nodes"

    level: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    index: Mapped[int] = mapped_column(_BIG, primary_key=True, autoincrement=False)
    hash: Mapped[str] = mapped_column(String(64))


class AuditTreeHead(Base):
    """A signed tree head: the bureau's SM2 signature over the tree's size and root at a
    time (``transparency.heads.signed_text``), one for each size the tree was signed at."""

    __tablename__ = "audit_tree_heads"

    id: Mapped[int] = mapped_column(_BIG, primary_key=True, autoincrement=True)
    tree_size: Mapped[int] = mapped_column(_BIG, unique=True)
    root_hash: Mapped[str] = mapped_column(String(64))
    #: UTC, ISO 8601 with seconds and a ``Z``: exactly the text that was signed.
    timestamp: Mapped[str] = mapped_column(String(32))
    algorithm: Mapped[str] = mapped_column(String(60))
    signature_hex: Mapped[str] = mapped_column(String(128))
    public_key_hex: Mapped[str] = mapped_column(String(130))
    organization_id: Mapped[uuid.UUID]
