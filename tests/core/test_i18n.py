from __future__ import annotations

import pytest

from sluice.core.i18n import MessageList, MessageRef, add_messages, negotiate, translate


@pytest.mark.parametrize(
    ("cookie", "header", "expected"),
    [
        (None, None, "zh-CN"),
        (None, "en-US,en;q=0.9", "en"),
        (None, "fr-FR, en;q=0.5, zh;q=0.8", "zh-CN"),
        (None, "zh-TW;q=0.1, en;q=0.9", "en"),
        (None, "de, fr", "zh-CN"),
        ("en", "zh-CN", "en"),
        ("klingon", "en", "en"),
        (None, "en;q=bogus, zh", "zh-CN"),
    ],
)
def test_negotiation(cookie: str | None, header: str | None, expected: str) -> None:
    assert negotiate(cookie, header) == expected


def test_references_render_in_the_readers_language() -> None:
    add_messages({"test.color": ("红色", "red"), "test.sentence": ("颜色：{c}", "Colour: {c}")})
    ref = MessageRef("test.color")
    assert translate("test.sentence", "zh-CN", c=ref) == "颜色：红色"
    assert translate("test.sentence", "en", c=ref) == "Colour: red"
    assert MessageList(["test.color", "test.color"]).render("zh-CN") == "红色、红色"
    assert MessageList([]).render("en") == "—"


def test_a_key_cannot_be_registered_twice_with_different_text() -> None:
    add_messages({"test.once": ("一", "one")})
    add_messages({"test.once": ("一", "one")})
    with pytest.raises(ValueError, match="registered twice"):
        add_messages({"test.once": ("二", "two")})


def test_missing_format_parameter_does_not_crash() -> None:
    add_messages({"test.param": ("你好 {name}", "Hello {name}")})
    assert translate("test.param", "en") == "Hello {name}"
