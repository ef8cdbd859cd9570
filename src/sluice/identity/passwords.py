"""Password hashing with argon2id.

Every login attempt runs exactly one argon2 verification, whoever it names: a real hash for a
known account, the dummy hash (same parameters, so the same cost) for an unknown one. How
long a refusal takes must not tell whether the account exists, is locked or is disabled.
"""

from __future__ import annotations

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

_hasher = PasswordHasher()
# Verified against when there is no real hash to check, so every path costs the same time.
_DUMMY_HASH = _hasher.hash("sluice-timing-equalizer")


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify_password(password_hash: str | None, password: str) -> bool:
    """True when ``password`` matches; with no hash, the same work is done and False returned."""
    try:
        matched = _hasher.verify(password_hash or _DUMMY_HASH, password)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False
    return matched and password_hash is not None


def needs_rehash(password_hash: str) -> bool:
    """True when the hash was made with weaker parameters than the hasher's current ones."""
    try:
        return _hasher.check_needs_rehash(password_hash)
    except InvalidHashError:
        return True
