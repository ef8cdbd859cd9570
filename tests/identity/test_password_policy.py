"""The password policy: which new passwords are refused, and the reason a person is given."""

from __future__ import annotations

import secrets

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sluice.core.i18n import translate
from sluice.identity.password_policy import WeakPassword, require_strong, weakness
from tests.identity.factories import PASSWORD


@pytest.mark.parametrize(
    ("password", "reason"),
    [
        ("short-1!", "identity.password_too_short"),
        ("zhangwei-2026-pass", "identity.password_contains_username"),
        ("ZhangWei@Yingkou", "identity.password_contains_username"),
        ("aaaaaaaaaaaa", "identity.password_repeated"),
        ("abcabcabcabc", "identity.password_repeated"),
        ("12121212121212", "identity.password_repeated"),
        ("1234567890", "identity.password_sequential"),
        ("7890123456", "identity.password_sequential"),
        ("abcdefghijkl", "identity.password_sequential"),
        ("zyxwvutsrqpo", "identity.password_sequential"),
        ("password123", "identity.password_common"),
        ("P@ssw0rd2024", "identity.password_common"),
        ("iloveyou12345", "identity.password_common"),
        ("qwertyuiop", "identity.password_common"),
        ("1qaz2wsx3edc", "identity.password_common"),
        ("wang12345678", "identity.password_common"),
        ("Washington1990", "identity.password_guessable"),
        ("michaeljordan", "identity.password_guessable"),
        ("asdfghjkl;123", "identity.password_guessable"),
    ],
)
def test_weak_passwords_are_refused_with_their_reason(password: str, reason: str) -> None:
    found = weakness(password, username="zhangwei", min_length=10)
    assert found is not None and found.key == reason


@pytest.mark.parametrize(
    "password",
    [
        PASSWORD,  # the test factories' password
        "a-long-password",
        "Bohai-Gulf-ferry-at-dusk",
        "营口港的海风很大2026",
        "x9$kLm2!pQzz",
    ],
)
def test_strong_passwords_pass(password: str) -> None:
    assert weakness(password, username="zhangwei", min_length=10) is None


def test_the_configured_length_is_the_minimum() -> None:
    assert weakness("Tr0ub4dor&3x", username="li", min_length=12) is None
    found = weakness("Tr0ub4dor&3", username="li", min_length=12)
    assert found is not None and found.key == "identity.password_too_short"


def test_the_refusal_names_the_field_and_explains_in_both_languages() -> None:
    with pytest.raises(WeakPassword) as refused:
        require_strong("password123", username="li", min_length=10, field_name="new_password")
    error = refused.value
    assert (error.status, error.code) == (422, "weak_password")
    assert error.errors == [{"field": "new_password", "type": "password_common"}]
    assert error.detail("zh-CN") == "这是常见密码，很容易被猜中，请换一个。"
    assert error.detail("en") == (
        "This is a commonly used password and easy to guess; please choose another."
    )
    assert translate("identity.password_too_short", "en", min_length=10) == (
        "A password needs at least 10 characters."
    )


def test_the_demo_generators_passwords_always_pass() -> None:
    """The demo makes passwords with secrets.token_urlsafe(12) and (16): they must pass."""
    for size in (12, 16):
        for _ in range(200):
            password = secrets.token_urlsafe(size)
            assert weakness(password, username="bureau", min_length=10) is None, password


# No deadline: the property is "never an error"; the first call loads zxcvbn's dictionaries,
# which on a busy machine took longer than Hypothesis's default 200 ms.
@settings(deadline=None)
@given(st.text(min_size=201, max_size=400))
def test_very_long_input_is_judged_without_error(password: str) -> None:
    # zxcvbn refuses input over 72 characters: a prefix is judged, never an exception.
    weakness(password, username="someone", min_length=10)
