"""Identifiers: UUIDs everywhere, and short random secrets for tokens and keys."""

from __future__ import annotations

import secrets
import uuid

from cryptography.hazmat.primitives import hashes


def new_id() -> uuid.UUID:
    return uuid.uuid4()


def new_secret(nbytes: int = 32) -> str:
    return secrets.token_urlsafe(nbytes)


def sm3_hex(value: str) -> str:
    """SM3 digest of a high-entropy secret (tokens, API keys) for storage and lookup.

    A slow password hash is not needed for 256-bit random secrets, and a fast one keeps
    every authenticated request cheap.
    """
    digest = hashes.Hash(hashes.SM3())
    digest.update(value.encode())
    return digest.finalize().hex()
