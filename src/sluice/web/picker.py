"""Search-as-you-type pickers: modules register what can be picked, one route answers them all.

A dropdown of every resource stops being usable long before 7,000 entries; a picker asks the
owning module for the first matches of what was typed, with enough beside each (provider ·
code · title) to tell two items apart. A caller only ever sees items its own lists show, so
each source receives the principal and scopes its query like the module's list does.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Final

from sqlalchemy.orm import Session

from sluice.core.i18n import add_messages
from sluice.core.permissions import Permission
from sluice.core.principal import Principal

#: Matches shown at once; the count says how many more a longer word would narrow.
PICK_LIMIT: Final = 20


@dataclass(frozen=True)
class PickItem:
    value: str
    label: str
    detail: str = ""


@dataclass(frozen=True)
class PickResult:
    total: int
    items: Sequence[PickItem]


#: ``search(session, principal, text, limit, locale)``: the first matches, in the reader's words.
PickSearch = Callable[[Session, Principal, str, int, str], PickResult]


@dataclass(frozen=True)
class PickSource:
    kind: str
    permission: Permission
    search: PickSearch


_sources: dict[str, PickSource] = {}


def add_picker(kind: str, permission: Permission, search: PickSearch) -> None:
    if kind in _sources and _sources[kind].search is not search:
        raise ValueError(f"picker {kind!r} registered twice")
    _sources[kind] = PickSource(kind, permission, search)


def source(kind: str) -> PickSource | None:
    return _sources.get(kind)


def kinds() -> list[str]:
    return sorted(_sources)


add_messages(
    {
        "picker.search": ("输入名称、编码或部门搜索", "Type a name, code or provider"),
        "picker.found": (
            "找到 {total} 条，显示前 {shown} 条；输入更多文字可缩小范围。",
            "{total} found, first {shown} shown; type more to narrow them.",
        ),
        "picker.found_all": ("找到 {total} 条。", "{total} found."),
        "picker.none": ("没有找到，请换一个词。", "Nothing found; try another word."),
        "picker.choose": ("选择", "Choose"),
        "picker.chosen": ("已选：", "Chosen: "),
        "picker.nothing_chosen": ("尚未选择", "Nothing chosen yet"),
    }
)
