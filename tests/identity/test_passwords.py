"""Passwords are argon2id with production parameters outside the test suite."""

from __future__ import annotations

from argon2 import Type, extract_parameters

from sluice.identity import passwords


def test_production_parameters_are_rfc_9106_low_memory_argon2id() -> None:
    encoded = passwords.PRODUCTION.hash("a production password")
    parameters = extract_parameters(encoded)
    assert parameters.type is Type.ID
    assert parameters.time_cost >= 3
    assert parameters.memory_cost >= 64 * 1024
    assert passwords.PRODUCTION.verify(encoded, "a production password")


def test_the_dummy_hash_follows_the_hasher() -> None:
    cheap = passwords._hasher
    try:
        passwords.use_hasher(passwords.PRODUCTION)
        assert extract_parameters(passwords._DUMMY_HASH).memory_cost >= 64 * 1024
        assert passwords.verify_password(None, "anything") is False
        stored = passwords.hash_password("a production password")
        assert passwords.verify_password(stored, "a production password") is True
    finally:
        passwords.use_hasher(cheap)
