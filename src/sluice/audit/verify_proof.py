"""Check the audit log's signed tree heads and proofs offline, with the public key alone.

Anyone can check, without an account, a database or the platform's settings, that the
bureau signed a tree head and that the log grew only by appending (a consistency proof),
or that an entry is in it (an inclusion proof). Save the platform's answers as files::

    curl -s https://<platform>/api/v1/audit/tree-head > head.json
    curl -s "https://<platform>/api/v1/audit/proof/consistency?first=100&second=250" > c.json
    curl -s "https://<platform>/api/v1/audit/proof/inclusion?leaf_index=7&tree_size=250" > i.json

and check them (``--public-key`` is the bureau's key as published at ``/api/v1/public-keys``
and on the transparency page; without it, the key inside the head is only checked against
itself)::

    python -m sluice.audit.verify_proof head head.json --public-key 04ab…
    python -m sluice.audit.verify_proof consistency old-head.json head.json c.json --public-key …
    python -m sluice.audit.verify_proof inclusion head.json i.json --leaf-hash 9f3c… --public-key …

The exit status is 0 when everything holds and 1 otherwise; the reason is printed.

What is checked
    A head is ``{"tree_size", "root_hash", "timestamp", "algorithm", "signature_hex",
    "public_key_hex"}``. Its signature is SM2 (GB/T 32918, signer ID ``1234567812345678``)
    over the UTF-8 text :func:`head_message` builds::

        sluice-audit-tree-head
        algorithm: RFC9162-SM3/SM2-SM3
        tree_size: 250
        root_hash: <64 hex digits>
        timestamp: 2026-12-04T10:00:00Z

    (each line ended by a newline). The tree is RFC 9162's (§2.1) with SM3: a leaf hash is
    ``SM3(0x00 || entry)``, a node's ``SM3(0x01 || left || right)``; proofs are checked with
    the RFC's algorithms (``sluice.audit.merkle``).
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any, Final

from sluice.audit.merkle import SM3, ProofError, verify_consistency, verify_inclusion
from sluice.core import sm2

#: The tree (RFC 9162 with SM3) and the signature (SM2 over SM3) a head names.
ALGORITHM: Final = "RFC9162-SM3/SM2-SM3"
HEAD_FIELDS: Final = (
    "tree_size",
    "root_hash",
    "timestamp",
    "algorithm",
    "signature_hex",
    "public_key_hex",
)


def head_message(*, tree_size: int, root_hash: str, timestamp: str, algorithm: str) -> bytes:
    """The exact bytes a tree head's signature covers."""
    return (
        "sluice-audit-tree-head\n"
        f"algorithm: {algorithm}\n"
        f"tree_size: {tree_size}\n"
        f"root_hash: {root_hash}\n"
        f"timestamp: {timestamp}\n"
    ).encode()


def check_head_signature(head: Mapping[str, Any]) -> bool:
    """Whether the head's signature verifies under the key it names (never raises)."""
    try:
        message = head_message(
            tree_size=int(head["tree_size"]),
            root_hash=str(head["root_hash"]),
            timestamp=str(head["timestamp"]),
            algorithm=str(head["algorithm"]),
        )
        return sm2.verify(
            bytes.fromhex(str(head["public_key_hex"])),
            message,
            bytes.fromhex(str(head["signature_hex"])),
        )
    except (KeyError, TypeError, ValueError):
        return False


class Invalid(Exception):
    """What does not hold, in words."""


def check_head(head: Mapping[str, Any], public_key_hex: str | None = None) -> None:
    missing = [name for name in HEAD_FIELDS if name not in head]
    if missing:
        raise Invalid(f"the head lacks {', '.join(missing)}")
    if head["algorithm"] != ALGORITHM:
        raise Invalid(f"unknown algorithm {head['algorithm']!r} (this verifier knows {ALGORITHM})")
    if public_key_hex is not None and _key(head["public_key_hex"]) != _key(public_key_hex):
        raise Invalid("the head is signed with another key than the one given")
    if not check_head_signature(head):
        raise Invalid("the head's signature does not verify: it was not signed as it reads")


def _key(hex_text: str) -> str:
    """A public key's 64 bytes ``x || y`` as hex, whether given with the ``04`` prefix."""
    text = str(hex_text).strip().lower()
    return text[2:] if len(text) == 130 and text.startswith("04") else text


def _hashes(values: Sequence[str], what: str) -> list[bytes]:
    try:
        return [bytes.fromhex(v) for v in values]
    except (TypeError, ValueError) as error:
        raise Invalid(f"{what} holds something that is not hex") from error


def check_inclusion(
    head: Mapping[str, Any],
    proof: Mapping[str, Any],
    leaf_hash_hex: str,
    public_key_hex: str | None = None,
) -> None:
    """The entry whose leaf hash is given is leaf ``proof["leaf_index"]`` of the signed tree."""
    check_head(head, public_key_hex)
    if int(proof["tree_size"]) != int(head["tree_size"]):
        raise Invalid(
            f"the proof is for a tree of {proof['tree_size']} entries, the head's has "
            f"{head['tree_size']}"
        )
    (leaf,) = _hashes([leaf_hash_hex], "the leaf hash")
    (root,) = _hashes([head["root_hash"]], "the head's root")
    try:
        verify_inclusion(
            SM3,
            int(proof["leaf_index"]),
            int(proof["tree_size"]),
            leaf,
            _hashes(proof["inclusion_path"], "the proof"),
            root,
        )
    except ProofError as error:
        raise Invalid(str(error)) from error


def check_consistency(
    first: Mapping[str, Any],
    second: Mapping[str, Any],
    proof: Mapping[str, Any],
    public_key_hex: str | None = None,
) -> None:
    """The signed tree ``second`` extends the signed tree ``first``: nothing was changed or
    removed, only appended."""
    check_head(first, public_key_hex)
    check_head(second, public_key_hex)
    sizes = (int(first["tree_size"]), int(second["tree_size"]))
    if (int(proof["first"]), int(proof["second"])) != sizes:
        raise Invalid(
            f"the proof is from {proof['first']} to {proof['second']} entries, the heads "
            f"have {sizes[0]} and {sizes[1]}"
        )
    roots = _hashes([first["root_hash"], second["root_hash"]], "a head's root")
    try:
        path = _hashes(proof["consistency_path"], "the proof")
        verify_consistency(SM3, sizes[0], sizes[1], roots[0], roots[1], path)
    except ProofError as error:
        raise Invalid(str(error)) from error


def _load(path: str) -> dict[str, Any]:
    text = sys.stdin.read() if path == "-" else Path(path).read_text(encoding="utf-8")
    try:
        loaded = json.loads(text)
    except json.JSONDecodeError as error:
        raise Invalid(f"{path} is not JSON: {error}") from error
    if not isinstance(loaded, dict):
        raise Invalid(f"{path} is not a JSON object")
    return loaded


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m sluice.audit.verify_proof",
        description="Check the audit log's signed tree heads and proofs offline "
        "(离线核验审计日志的签名树头与证明).",
    )
    parser.add_argument(
        "--public-key",
        help="the bureau's SM2 public key (hex), as published at /api/v1/public-keys",
    )
    commands = parser.add_subparsers(dest="command", required=True)
    head = commands.add_parser("head", help="check a signed tree head")
    head.add_argument("head", help="the tree head (JSON file, - for standard input)")
    inclusion = commands.add_parser("inclusion", help="check that an entry is in the log")
    inclusion.add_argument("head")
    inclusion.add_argument("proof", help="the inclusion proof (JSON)")
    inclusion.add_argument("--leaf-hash", required=True, help="the entry's leaf hash (hex)")
    consistency = commands.add_parser("consistency", help="check that the log only grew")
    consistency.add_argument("first", help="the older tree head (JSON)")
    consistency.add_argument("second", help="the newer tree head (JSON)")
    consistency.add_argument("proof", help="the consistency proof (JSON)")
    for sub in (head, inclusion, consistency):
        sub.add_argument("--public-key", default=argparse.SUPPRESS, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    try:
        if args.command == "head":
            signed = _load(args.head)
            check_head(signed, args.public_key)
            print(
                f"OK: the head of {signed['tree_size']} entries, root {signed['root_hash']}, "
                f"at {signed['timestamp']}, is signed by key {signed['public_key_hex'][:16]}…"
            )
        elif args.command == "inclusion":
            proof = _load(args.proof)
            check_inclusion(_load(args.head), proof, args.leaf_hash, args.public_key)
            print(
                f"OK: the entry is leaf {proof['leaf_index']} of the signed tree of "
                f"{proof['tree_size']} entries"
            )
        else:
            proof = _load(args.proof)
            check_consistency(_load(args.first), _load(args.second), proof, args.public_key)
            print(
                f"OK: the log of {proof['second']} entries extends the log of "
                f"{proof['first']}: nothing in it was changed or removed"
            )
    except (Invalid, KeyError, TypeError, ValueError, OSError) as error:
        reason = f"missing {error}" if isinstance(error, KeyError) else str(error)
        print(f"FAILED: {reason}", file=sys.stderr)
        return 1
    if args.public_key is None:
        print(
            "Note: no --public-key given; compare the head's key with the bureau's published "
            "key yourself.",
            file=sys.stderr,
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
