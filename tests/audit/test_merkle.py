"""The tree is RFC 6962/9162's: run with SHA-256 it gives Certificate Transparency's reference
hashes and proofs (transparency-dev/merkle ``testonly/constants.go`` and
``proof/verify_test.go``); SM3 is GB/T 32905's; proofs built from any tree verify, and
altered ones do not."""

from __future__ import annotations

import random

import pytest

from sluice.audit.merkle import (
    SHA256,
    SM3,
    CompactRange,
    MemoryTree,
    ProofError,
    root_from_inclusion,
    verify_consistency,
    verify_inclusion,
)

# The eight leaf inputs of CT's reference tree and its roots for sizes 0..8.
LEAVES = ["", "00", "10", "2021", "3031", "40414243", "5051525354555657",
          "606162636465666768696a6b6c6d6e6f"]  # fmt: skip
ROOTS = [
    "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
    "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
    "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
    "aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77",
    "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
    "4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4",
    "76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef",
    "ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c",
    "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328",
]
LEAF_HASHES = [
    "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
    "96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
    "0298d122906dcfc10892cb53a73992fc5b9f493ea4c9badb27b791b4127a7fe7",
    "07506a85fd9dd2f120eb694f86011e5bb4662e5c415a62917033d4a9624487e7",
    "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
    "4271a26be0d8a84f0bd54c8c302e7cb3a3b5d1fa6780a40bcce2873477dab658",
    "b08693ec2e721597130641e8211e7eedccb4c26413963eee6c1e2ed16ffb1a5f",
    "46f6ffadd3d06a09ff3c5860d2755c8b9819db7df44251788c7d8e3180de8eb1",
]
# (leaf index, tree size, path) and (first, second, proof), as CT publishes them.
INCLUSION = [
    (0, 8, ["96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
            "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
            "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4"]),
    (5, 8, ["bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
            "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
            "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7"]),
    (2, 3, ["fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125"]),
    (1, 5, ["6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
            "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
            "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b"]),
    (0, 1, []),
]  # fmt: skip
CONSISTENCY = [
    (1, 1, []),
    (1, 8, ["96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
            "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
            "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4"]),
    (6, 8, ["0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a",
            "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
            "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7"]),
    (2, 5, ["5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
            "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b"]),
    (6, 7, ["0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a",
            "b08693ec2e721597130641e8211e7eedccb4c26413963eee6c1e2ed16ffb1a5f",
            "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7"]),
]  # fmt: skip


def _ct_tree() -> MemoryTree:
    return MemoryTree(SHA256, [SHA256.hash_leaf(bytes.fromhex(x)) for x in LEAVES])


def test_sha256_trees_match_certificate_transparency_roots_and_leaves() -> None:
    tree = _ct_tree()
    assert [leaf.hex() for leaf in tree.leaves] == LEAF_HASHES
    assert [tree.root(size).hex() for size in range(9)] == ROOTS
    compact = CompactRange(SHA256)
    assert compact.root().hex() == ROOTS[0]
    for size, leaf in enumerate(tree.leaves, start=1):
        compact.append(leaf)
        assert compact.root().hex() == ROOTS[size]


@pytest.mark.parametrize(("index", "size", "path"), INCLUSION)
def test_inclusion_proofs_match_and_verify_as_ct_publishes_them(
    index: int, size: int, path: list[str]
) -> None:
    tree = _ct_tree()
    assert [p.hex() for p in tree.inclusion(index, size)] == path
    root = bytes.fromhex(ROOTS[size])
    proof = [bytes.fromhex(p) for p in path]
    verify_inclusion(SHA256, index, size, tree.leaves[index], proof, root)
    # CT's corruptions: wrong index, wrong size, wrong leaf, garbage, one bit flipped.
    wrong = [
        (index + 1, size, tree.leaves[index], proof),
        (index ^ 2, size, tree.leaves[index], proof),
        (index, size * 2, tree.leaves[index], proof),
        (index, size, tree.leaves[(index + 1) % 8], proof),
        (index, size, tree.leaves[index], [*proof, root]),
        (index, size, tree.leaves[index], [root, *proof]),
    ]
    wrong += [
        (index, size, tree.leaves[index], [*proof[:i], bytes([proof[i][0] ^ 8]) + proof[i][1:],
                                           *proof[i + 1:]])
        for i in range(len(proof))
    ]  # fmt: skip
    if proof:
        wrong.append((index, size, tree.leaves[index], proof[:-1]))
    for i, n, leaf, p in wrong:
        with pytest.raises(ProofError):
            verify_inclusion(SHA256, i, n, leaf, p, root)


@pytest.mark.parametrize(("first", "second", "proof"), CONSISTENCY)
def test_consistency_proofs_match_and_verify_as_ct_publishes_them(
    first: int, second: int, proof: list[str]
) -> None:
    tree = _ct_tree()
    assert [p.hex() for p in tree.consistency(first, second)] == proof
    one, two = bytes.fromhex(ROOTS[first]), bytes.fromhex(ROOTS[second])
    path = [bytes.fromhex(p) for p in proof]
    verify_consistency(SHA256, first, second, one, two, path)
    if not path:
        return
    wrong = [
        (first - 1, second, one, two, path),
        (first + 1, second, one, two, path),
        (first, second * 2, one, two, path),
        (first, second, two, one, path),
        (first, second, one, two, []),
        (first, second, one, two, [*path, one]),
        (first, second, one, two, [two, *path]),
        (first, second, one, two, path[:-1]),
    ]
    wrong += [
        (first, second, one, two, [*path[:i], bytes([path[i][0] ^ 16]) + path[i][1:],
                                   *path[i + 1:]])
        for i in range(len(path))
    ]  # fmt: skip
    for f, s, r1, r2, p in wrong:
        with pytest.raises(ProofError):
            verify_consistency(SHA256, f, s, r1, r2, p)


def test_every_proof_of_every_small_tree_verifies_against_its_roots() -> None:
    """Beyond CT's samples: all sizes to 70 (past 64, so a fifth level), with SM3."""
    randomness = random.Random(13)
    leaves = [SM3.hash_leaf(randomness.randbytes(randomness.randint(0, 40))) for _ in range(70)]
    tree = MemoryTree(SM3, leaves)
    roots = [tree.root(n) for n in range(71)]
    compact = CompactRange(SM3)
    for n in range(1, 71):
        compact.append(leaves[n - 1])
        assert compact.root() == roots[n]
        for m in range(n):
            path = tree.inclusion(m, n)
            assert root_from_inclusion(SM3, m, n, leaves[m], path) == roots[n]
        for m in range(1, n + 1):
            verify_consistency(SM3, m, n, roots[m], roots[n], tree.consistency(m, n))
    with pytest.raises(ProofError):
        verify_consistency(SM3, 10, 40, roots[11], roots[40], tree.consistency(10, 40))


def test_sm3_passes_the_gb_t_32905_examples() -> None:
    assert SM3.digest(b"abc").hex() == (
        "66c7f0f462eeedd9d1f2d46bdc10e4e24167c4875cf2f7a2297da02b8f4ba8e0"
    )
    assert SM3.digest(b"abcd" * 16).hex() == (
        "debe9ff92275b8a138604889c18e5a4d6fdb70e5387e5765293dcba39c0c5732"
    )
    assert SM3.hash_leaf(b"abc") == SM3.digest(b"\x00abc")
    assert SM3.hash_children(b"a" * 32, b"b" * 32) == SM3.digest(b"\x01" + b"a" * 32 + b"b" * 32)
