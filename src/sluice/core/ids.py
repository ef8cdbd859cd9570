"""Identifiers: UUIDs everywhere, and short random secrets for tokens and keys."""

from __future__ import annotations

import secrets
import uuid

from cryptography.hazmat.primitives import hashes


def new_id() -> uuid.UUID:
    return uuid.uuid4()


def new_secret(nbytes: int = 32) -> str:
    return secrets.token_urlsafe(nbytes)


def sm3_hex(value: str | bytes) -> str:
    """SM3 digest, as hex, of bytes or of a text's UTF-8: secrets (tokens, API keys) for
    storage and lookup, canonical records, stored files.

    A slow password hash is not needed for 256-bit random secrets, and a fast one keeps
    every authenticated request cheap.
    """
    digest = hashes.Hash(hashes.SM3())
    digest.update(value.encode() if isinstance(value, str) else value)
    return digest.finalize().hex()
