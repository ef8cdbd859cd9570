"""Merkle trees shaped as RFC 9162 (Certificate Transparency 2.0, §2.1), hash pluggable.

The audit log's entries are the leaves of one such tree, hashed with SM3; run with SHA-256
the same code reproduces the Certificate Transparency reference vectors (the tests do).

Definitions (RFC 9162 §2.1.1, with ``H`` the hash and ``||`` concatenation):

* the hash of an empty tree is ``H()`` (of no bytes);
* a leaf's hash is ``H(0x00 || data)``;
* the hash of ``n > 1`` leaves ``D[0:n]`` is ``H(0x01 || MTH(D[0:k]) || MTH(D[k:n]))`` where
  ``k`` is the largest power of two smaller than ``n``.

An inclusion proof (``PATH``, §2.1.3) and a consistency proof (``PROOF``, §2.1.4) are lists of
subtree hashes; :func:`inclusion_path` and :func:`consistency_path` build them from any
source of subtree hashes (a list in memory, or the stored tree), :func:`verify_inclusion`
and :func:`verify_consistency` check them with the RFC's algorithms (§2.1.3.2, §2.1.4.2).
Nothing here touches a database: ``python -m sluice.audit.verify_proof`` uses this module
alone.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Final

from cryptography.hazmat.primitives import hashes

LEAF_PREFIX: Final = b"\x00"
NODE_PREFIX: Final = b"\x01"


@dataclass(frozen=True)
class TreeHasher:
    """The hash a tree is built with: SM3 for the audit log, SHA-256 for CT's vectors."""

    name: str
    algorithm: Callable[[], hashes.HashAlgorithm] = field(repr=False)
    #: A fresh hash context, copied for each digest (cheaper than making one each time).
    _fresh: hashes.Hash = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "_fresh", hashes.Hash(self.algorithm()))

    @property
    def size(self) -> int:
        return self.algorithm().digest_size

    def digest(self, data: bytes) -> bytes:
        h = self._fresh.copy()
        h.update(data)
        return h.finalize()

    def empty_root(self) -> bytes:
        return self.digest(b"")

    def hash_leaf(self, data: bytes) -> bytes:
        return self.digest(LEAF_PREFIX + data)

    def hash_children(self, left: bytes, right: bytes) -> bytes:
        return self.digest(NODE_PREFIX + left + right)


SM3: Final = TreeHasher("SM3", hashes.SM3)
SHA256: Final = TreeHasher("SHA-256", hashes.SHA256)
HASHERS: Final = {h.name: h for h in (SM3, SHA256)}

#: The hash of the subtree of leaves ``[start, end)``.
SubtreeHash = Callable[[int, int], bytes]


class ProofError(ValueError):
    """A proof that does not hold (wrong length, wrong hash, impossible sizes)."""


def largest_power_of_two_below(n: int) -> int:
    """``k`` of the RFC's split: the largest power of two strictly smaller than ``n > 1``."""
    return 1 << ((n - 1).bit_length() - 1)


def is_perfect(start: int, end: int) -> bool:
    """Whether ``[start, end)`` is a complete subtree: a power-of-two size, aligned to it."""
    size = end - start
    return size > 0 and size & (size - 1) == 0 and start % size == 0


class CompactRange:
    """The right edge of a growing tree: the roots of its perfect subtrees, largest first.

    ``append`` adds one leaf hash and merges equal-sized neighbours, so appending costs one
    node hash per merge (two hashes a leaf on average) and the state is ``log2(size)``
    hashes. ``on_node(level, index, hash)`` hears of every perfect subtree completed (level
    1 and up; leaves are level 0), so a caller can keep the ones it wants.
    """

    __slots__ = ("from_level", "hasher", "on_node", "size", "stack")

    def __init__(
        self,
        hasher: TreeHasher,
        size: int = 0,
        hashes: Sequence[bytes] = (),
        on_node: Callable[[int, int, bytes], None] | None = None,
        from_level: int = 1,
    ) -> None:
        if len(hashes) != size.bit_count():
            raise ValueError(f"a tree of {size} leaves has {size.bit_count()} edge subtrees")
        self.hasher = hasher
        self.size = size
        self.stack = list(hashes)
        self.on_node = on_node
        #: ``on_node`` hears only of subtrees of this level and up.
        self.from_level = from_level

    @staticmethod
    def edge(size: int) -> list[tuple[int, int]]:
        """The ``(level, start)`` of the perfect subtrees on a tree's right edge, largest
        first: the set bits of ``size``."""
        out, start = [], 0
        for level in range(size.bit_length() - 1, -1, -1):
            if size >> level & 1:
                out.append((level, start))
                start += 1 << level
        return out

    def append(self, leaf_hash: bytes) -> None:
        stack = self.stack
        stack.append(leaf_hash)
        self.size += 1
        size = self.size
        level = 0
        children = self.hasher.hash_children
        while not size >> level & 1:  # each trailing zero bit of the new size is one merge
            right = stack.pop()
            stack[-1] = children(stack[-1], right)
            level += 1
            if level >= self.from_level and self.on_node is not None:
                self.on_node(level, (size >> level) - 1, stack[-1])

    def root(self) -> bytes:
        if not self.stack:
            return self.hasher.empty_root()
        stack = self.stack
        result = stack[-1]
        for left in reversed(stack[:-1]):
            result = self.hasher.hash_children(left, result)
        return result


def root_of(hasher: TreeHasher, leaf_hashes: Iterable[bytes]) -> bytes:
    compact = CompactRange(hasher)
    for leaf in leaf_hashes:
        compact.append(leaf)
    return compact.root()


def subtree_hash(hasher: TreeHasher, leaf_hashes: Sequence[bytes], start: int, end: int) -> bytes:
    """MTH(D[start:end]) from the leaf hashes (the RFC's recursion, for lists in memory)."""
    return root_of(hasher, leaf_hashes[start:end]) if end > start else hasher.empty_root()


def mth(hasher: TreeHasher, perfect: SubtreeHash, start: int, end: int) -> bytes:
    """MTH(D[start:end]) for ``end > start`` from a source of *perfect* subtree hashes."""
    if is_perfect(start, end):
        return perfect(start, end)
    k = largest_power_of_two_below(end - start)
    return hasher.hash_children(perfect(start, start + k), mth(hasher, perfect, start + k, end))


def inclusion_path(subtree: SubtreeHash, index: int, size: int) -> list[bytes]:
    """PATH(m, D[n]) of RFC 9162 §2.1.3.1: the siblings from the leaf up, ``0 <= m < n``."""
    if not 0 <= index < size:
        raise ValueError(f"leaf {index} is not in a tree of {size}")
    path: list[bytes] = []
    start, end = 0, size
    while end - start > 1:
        k = largest_power_of_two_below(end - start)
        if index < start + k:
            path.append(subtree(start + k, end))
            end = start + k
        else:
            path.append(subtree(start, start + k))
            start += k
    path.reverse()  # computed top-down; the RFC lists it from the leaf up
    return path


def consistency_path(subtree: SubtreeHash, first: int, second: int) -> list[bytes]:
    """PROOF(m, D[n]) of RFC 9162 §2.1.4.1, for ``0 < m <= n``."""
    if not 0 < first <= second:
        raise ValueError(f"no consistency proof from {first} to {second}")
    proof: list[bytes] = []
    m, start, end, whole = first, 0, second, True  # SUBPROOF(m, D[start:end], whole)
    while True:
        if m == end - start:
            if not whole:
                proof.append(subtree(start, end))
            break
        k = largest_power_of_two_below(end - start)
        if m <= k:
            proof.append(subtree(start + k, end))
            end = start + k
        else:
            proof.append(subtree(start, start + k))
            m -= k
            start += k
            whole = False
    proof.reverse()
    return proof


def root_from_inclusion(
    hasher: TreeHasher, index: int, size: int, leaf_hash: bytes, path: Sequence[bytes]
) -> bytes:
    """The root an inclusion path leads to (RFC 9162 §2.1.3.2), or ``ProofError``."""
    if not 0 <= index < size:
        raise ProofError(f"leaf index {index} is not below the tree size {size}")
    _check_lengths(hasher, [leaf_hash, *path])
    fn, sn = index, size - 1
    r = leaf_hash
    for p in path:
        if sn == 0:
            raise ProofError("the inclusion proof is longer than the tree is high")
        if fn & 1 or fn == sn:
            r = hasher.hash_children(p, r)
            if not fn & 1:
                while fn & 1 == 0 and fn != 0:
                    fn >>= 1
                    sn >>= 1
        else:
            r = hasher.hash_children(r, p)
        fn >>= 1
        sn >>= 1
    if sn != 0:
        raise ProofError("the inclusion proof is shorter than the tree is high")
    return r


def verify_inclusion(
    hasher: TreeHasher,
    index: int,
    size: int,
    leaf_hash: bytes,
    path: Sequence[bytes],
    root: bytes,
) -> None:
    """Raise ``ProofError`` unless ``path`` proves leaf ``index`` in the tree ``root``."""
    if root_from_inclusion(hasher, index, size, leaf_hash, path) != root:
        raise ProofError("the inclusion proof leads to another root")


def verify_consistency(
    hasher: TreeHasher,
    first: int,
    second: int,
    first_root: bytes,
    second_root: bytes,
    proof: Sequence[bytes],
) -> None:
    """Raise ``ProofError`` unless ``proof`` shows the tree ``second_root`` of ``second``
    leaves extends the tree ``first_root`` of ``first`` leaves (RFC 9162 §2.1.4.2)."""
    if first < 0 or second < first:
        raise ProofError(f"a tree of {second} leaves cannot extend one of {first}")
    _check_lengths(hasher, [first_root, second_root, *proof])
    if first == second:
        if proof:
            raise ProofError("two trees of one size have an empty consistency proof")
        if first_root != second_root:
            raise ProofError("two trees of one size differ")
        return
    if first == 0:
        if proof:
            raise ProofError("any tree extends the empty one, with an empty proof")
        return
    if not proof:
        raise ProofError("the consistency proof is empty")
    path = list(proof)
    if first & (first - 1) == 0:  # a power of two: the old root is the proof's first step
        path.insert(0, first_root)
    fn, sn = first - 1, second - 1
    while fn & 1:
        fn >>= 1
        sn >>= 1
    fr = sr = path[0]
    for c in path[1:]:
        if sn == 0:
            raise ProofError("the consistency proof is longer than the tree is high")
        if fn & 1 or fn == sn:
            fr = hasher.hash_children(c, fr)
            sr = hasher.hash_children(c, sr)
            if not fn & 1:
                while fn & 1 == 0 and fn != 0:
                    fn >>= 1
                    sn >>= 1
        else:
            sr = hasher.hash_children(sr, c)
        fn >>= 1
        sn >>= 1
    if sn != 0:
        raise ProofError("the consistency proof is shorter than the tree is high")
    if fr != first_root:
        raise ProofError("the consistency proof does not lead to the first root")
    if sr != second_root:
        raise ProofError("the consistency proof does not lead to the second root")


def _check_lengths(hasher: TreeHasher, values: Sequence[bytes]) -> None:
    size = hasher.size
    if any(len(v) != size for v in values):
        raise ProofError(f"every hash is {size} bytes for {hasher.name}")


class MemoryTree:
    """A whole tree in memory (its leaf hashes): the reference the stored tree must match."""

    def __init__(self, hasher: TreeHasher, leaf_hashes: Sequence[bytes] = ()) -> None:
        self.hasher = hasher
        self.leaves = list(leaf_hashes)

    def subtree(self, start: int, end: int) -> bytes:
        return subtree_hash(self.hasher, self.leaves, start, end)

    def root(self, size: int | None = None) -> bytes:
        return self.subtree(0, len(self.leaves) if size is None else size)

    def inclusion(self, index: int, size: int) -> list[bytes]:
        return inclusion_path(self.subtree, index, size)

    def consistency(self, first: int, second: int) -> list[bytes]:
        return consistency_path(self.subtree, first, second)
