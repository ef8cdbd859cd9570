"""What a new password must be: long enough, not the username, not trivial, not common.

Applied wherever a password is set (a new user, a password change); logins never check it,
so an older, weaker password still opens the account until its owner changes it.

Trivial strings (one character or one short run repeated, a straight sequence such as
``12345678`` or ``abcdefgh``) and the username inside the password are refused by our own
rules, with a reason each. Common passwords, words, names, keyboard walks and dates are
judged by **zxcvbn** (PyPI ``zxcvbn``, the maintained Python port of Dropbox's estimator, MIT
licence): its frequency lists (among them about 30,000 of the most common leaked passwords)
ship inside that package, so nothing is fetched at run time. A password it rates below
:data:`MIN_SCORE` (fewer than about 10^8 guesses) is refused.
"""

from __future__ import annotations

import itertools
import threading
from dataclasses import dataclass, field
from typing import Any, Final

from zxcvbn import zxcvbn

from sluice.core.errors import InvalidInput
from sluice.core.i18n import add_messages

#: zxcvbn's scale: 3 is "safely unguessable" (at least 10^8 guesses), its own advice for a floor.
MIN_SCORE: Final = 3
#: zxcvbn refuses longer input; a prefix is judged instead (never stronger than the whole).
_ZXCVBN_MAX: Final = 72
#: Usernames shorter than this are not looked for inside passwords.
_SHORTEST_USERNAME: Final = 3

# zxcvbn keeps the caller's "user inputs" in a module-level dictionary it rewrites on every
# call; requests run in a thread pool, so calls are serialized to keep one user's inputs
# out of another's check.
_zxcvbn_lock = threading.Lock()

add_messages(
    {
        "problem.weak_password": ("密码强度不足", "Password too weak"),
        "error.weak_password": (
            "新密码不符合密码规则。",
            "The new password does not meet the password rules.",
        ),
        "identity.password_too_short": (
            "密码至少需要 {min_length} 个字符。",
            "A password needs at least {min_length} characters.",
        ),
        "identity.password_contains_username": (
            "密码不能包含用户名。",
            "The password may not contain the username.",
        ),
        "identity.password_repeated": (
            "密码不能是同一个字符或同一段字符的重复（如 aaaaaaaaaa、abcabcabc）。",
            "The password may not be one character or one short run repeated "
            "(like aaaaaaaaaa or abcabcabc).",
        ),
        "identity.password_sequential": (
            "密码不能是连续的字符序列（如 1234567890、abcdefghij）。",
            "The password may not be a straight sequence (like 1234567890 or abcdefghij).",
        ),
        "identity.password_common": (
            "这是常见密码，很容易被猜中，请换一个。",
            "This is a commonly used password and easy to guess; please choose another.",
        ),
        "identity.password_guessable": (
            "密码太容易被猜中（常见单词、姓名、键盘排列、日期或它们的简单变形）。"
            "请加长，或把几个不相关的词组合起来。",
            "The password is too easy to guess (common words, names, keyboard patterns, dates "
            "or simple variations of them). Make it longer, or combine several unrelated words.",
        ),
        "identity.password_unchanged": (
            "新密码不能与当前密码相同。",
            "The new password must differ from the current one.",
        ),
    }
)


class WeakPassword(InvalidInput):
    """A new password the policy refuses; the message says which rule it breaks."""

    code = "weak_password"


@dataclass(frozen=True)
class Weakness:
    """Why a password is refused: a message key and its parameters."""

    key: str
    params: dict[str, Any] = field(default_factory=dict)


def weakness(
    password: str, *, username: str, min_length: int, other_inputs: tuple[str, ...] = ()
) -> Weakness | None:
    """The first rule ``password`` breaks, or None when it may be used."""
    if len(password) < min_length:
        return Weakness("identity.password_too_short", {"min_length": min_length})
    folded = password.casefold()
    name = username.strip().casefold()
    if len(name) >= _SHORTEST_USERNAME and name in folded:
        return Weakness("identity.password_contains_username")
    if _is_repetition(folded):
        return Weakness("identity.password_repeated")
    if _is_sequence(folded):
        return Weakness("identity.password_sequential")
    with _zxcvbn_lock:
        rating = zxcvbn(
            password[:_ZXCVBN_MAX], user_inputs=[username, *(i for i in other_inputs if i)]
        )
    if rating["score"] >= MIN_SCORE:
        return None
    if _mostly_common_password(rating["sequence"], len(password[:_ZXCVBN_MAX])):
        return Weakness("identity.password_common")
    return Weakness("identity.password_guessable")


def require_strong(
    password: str,
    *,
    username: str,
    min_length: int,
    field_name: str = "password",
    other_inputs: tuple[str, ...] = (),
) -> None:
    """Raise ``WeakPassword`` naming the field and the reason when ``password`` is too weak."""
    found = weakness(password, username=username, min_length=min_length, other_inputs=other_inputs)
    if found is not None:
        raise WeakPassword(
            found.key,
            errors=[{"field": field_name, "type": found.key.removeprefix("identity.")}],
            **found.params,
        )


def _is_repetition(text: str) -> bool:
    """One character, or one run of at most a third of the text, repeated to fill it."""
    for size in range(1, len(text) // 3 + 1):
        if len(text) % size == 0 and text[:size] * (len(text) // size) == text:
            return True
    return False


def _is_sequence(text: str) -> bool:
    """Each character one above (or below) the last: abcd…, 9876…, digits wrapping 7890…."""
    if len(text) < 2:
        return False
    steps = {ord(b) - ord(a) for a, b in itertools.pairwise(text)}
    if text.isdigit() and text.isascii():
        steps = {step % 10 for step in steps}
        return steps in ({1}, {9})
    return steps in ({1}, {-1})


def _mostly_common_password(sequence: list[dict[str, Any]], length: int) -> bool:
    """True when entries of zxcvbn's common-password list cover at least half the password."""
    covered = sum(
        len(match["token"])
        for match in sequence
        if match.get("pattern") == "dictionary" and match.get("dictionary_name") == "passwords"
    )
    return covered * 2 >= length
