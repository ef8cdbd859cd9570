"""Password hashing with argon2id.

Every login attempt runs exactly one argon2 verification, whoever it names: a real hash for a
known account, the dummy hash (same parameters, so the same cost) for an unknown one. How
long a refusal takes must not tell whether the account exists, is locked or is disabled.
"""

from __future__ import annotations

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

#: argon2id with argon2-cffi's defaults: RFC 9106's low-memory profile (t=3, m=64 MiB, p=4).
PRODUCTION = PasswordHasher()
_DUMMY_PASSWORD = "sluice-timing-equalizer"  # noqa: S105 - verified against, never accepted

_hasher = PRODUCTION
# Verified against when there is no real hash to check, so every path costs the same time.
_DUMMY_HASH = _hasher.hash(_DUMMY_PASSWORD)


def use_hasher(hasher: PasswordHasher) -> None:
    """Hash and verify with other parameters from now on; the dummy hash follows them.

    Only the test suite calls this, with the cheapest parameters: a production hash costs
    about 0.3 s, and the suite creates and logs in thousands of accounts.
    """
    global _hasher, _DUMMY_HASH
    _hasher = hasher
    _DUMMY_HASH = hasher.hash(_DUMMY_PASSWORD)


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
