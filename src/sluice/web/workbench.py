"""The workbench: what needs this person now, gathered from every module that has work for them.

Modules register :class:`Panel` loaders in their ``workbench.py``; the console home asks
each panel the principal may see for its items (to-dos with a link and, when late, a
warning) and figures. A panel with nothing to do says so in a line, so a role is never
greeted by an empty card.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.orm import Session

from sluice.core.clock import Clock
from sluice.core.permissions import Permission
from sluice.core.principal import Principal


@dataclass(frozen=True)
class Todo:
    """One thing to do: what, where to do it, and whether it is late."""

    text: str
    href: str
    due: str = ""
    late: bool = False


@dataclass(frozen=True)
class Figure:
    label: str
    value: str
    href: str = ""


@dataclass(frozen=True)
class PanelContent:
    todos: Sequence[Todo] = ()
    figures: Sequence[Figure] = ()
    #: An ECharts option (plain JSON) when a picture says more than the figures.
    chart: dict[str, Any] | None = None
    #: Shown when there is nothing to do: what this panel will show, and where to look.
    note: str = ""
    more_href: str = ""
    total: int = 0


@dataclass(frozen=True)
class Context:
    session: Session
    principal: Principal
    clock: Clock
    locale: str


@dataclass(frozen=True)
class Panel:
    key: str  # message key of the panel's title
    permission: Permission
    load: Callable[[Context], PanelContent]
    order: int = 50
    roles: frozenset[str] = field(default_factory=frozenset)  # empty: every role with it


_panels: list[Panel] = []


def add_panel(panel: Panel) -> None:
    if any(p.key == panel.key for p in _panels):
        raise ValueError(f"workbench panel {panel.key!r} registered twice")
    _panels.append(panel)
    _panels.sort(key=lambda p: (p.order, p.key))


def panels_for(principal: Principal) -> list[Panel]:
    return [
        p
        for p in _panels
        if principal.has(p.permission)
        and (not p.roles or any(str(role) in p.roles for role in principal.roles))
    ]
