"""Messages in the user's language: zh-CN by default, English on request.

Each module contributes its own messages with ``add_messages``; a key missing in one
language falls back to the other, then to the key itself, so a gap never breaks a page.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Final

ZH: Final = "zh-CN"
EN: Final = "en"
LOCALES: Final = (ZH, EN)
LOCALE_COOKIE: Final = "sluice_locale"

_catalog: dict[str, dict[str, str]] = {}


def add_messages(messages: Mapping[str, tuple[str, str]]) -> None:
    """Register ``key -> (zh-CN text, English text)``; format fields use ``{name}``."""
    for key, (zh, en) in messages.items():
        if key in _catalog and _catalog[key] != {ZH: zh, EN: en}:
            raise ValueError(f"message {key!r} registered twice with different texts")
        _catalog[key] = {ZH: zh, EN: en}


class MessageRef:
    """A message key used as a parameter: rendered in the reader's language, not the writer's."""

    def __init__(self, key: str) -> None:
        self.key = key

    def render(self, locale: str) -> str:
        return translate(self.key, locale)


class MessageList:
    def __init__(self, keys: list[str]) -> None:
        self.keys = keys

    def render(self, locale: str) -> str:
        separator = "、" if locale == ZH else ", "
        return separator.join(translate(key, locale) for key in self.keys) or "—"


def translate(key: str, locale: str, /, **params: object) -> str:
    texts = _catalog.get(key)
    if texts is None:
        return key
    template = texts.get(locale) or texts.get(ZH) or key
    rendered = {
        name: value.render(locale) if isinstance(value, MessageRef | MessageList) else value
        for name, value in params.items()
    }
    try:
        return template.format(**rendered)
    except (KeyError, IndexError, ValueError):
        return template


def has_message(key: str) -> bool:
    return key in _catalog


def normalize_locale(value: str | None) -> str | None:
    if not value:
        return None
    tag = value.strip().lower()
    if tag.startswith("zh"):
        return ZH
    if tag.startswith("en"):
        return EN
    return None


def negotiate(cookie: str | None, accept_language: str | None, default: str = ZH) -> str:
    """The UI switch (cookie) wins; then the browser's Accept-Language order; then default."""
    chosen = normalize_locale(cookie)
    if chosen:
        return chosen
    if accept_language:
        weighted: list[tuple[float, int, str]] = []
        for index, part in enumerate(accept_language.split(",")):
            tag, _, params = part.strip().partition(";")
            quality = 1.0
            if params.strip().startswith("q="):
                try:
                    quality = float(params.strip()[2:])
                except ValueError:
                    quality = 0.0
            locale = normalize_locale(tag)
            if locale and quality > 0:
                weighted.append((-quality, index, locale))
        if weighted:
            return min(weighted)[2]
    return normalize_locale(default) or ZH


add_messages(
    {
        "app.name": ("Sluice 公共数据授权运营平台", "Sluice public data operation platform"),
        "app.city": ("营口市", "Yingkou"),
    }
)
