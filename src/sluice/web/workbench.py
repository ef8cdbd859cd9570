"""The workbench: what needs this person now, gathered from every module that has work for them.

Modules register :class:`Panel` loaders in their ``workbench.py``; the console home asks
each panel the principal may see for its to-dos (a line with a link to where to act, the
first few items under it, a due date and whether it is late) and a few key figures, with
an ECharts picture where one says more. A panel with nothing to do says so in a line, so a
role is never greeted by an empty card.

Loaders stay cheap: counts and the first :data:`ROWS` rows, never a whole table. They
read through the owning module (its own repository or models in its ``workbench.py``,
another module only through that module's service), scoped like the module's own lists:
what a person may not see there does not appear here either.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any, Final

from sqlalchemy.orm import Session

from sluice.core.clock import Clock, local
from sluice.core.i18n import translate
from sluice.core.permissions import Permission
from sluice.core.principal import Principal

#: How many items a to-do line lists under it; the rest are behind its link.
ROWS: Final = 5


@dataclass(frozen=True)
class Todo:
    """One thing to do: what, where to do it, and whether it is late.

    A summary line ("待审核：2 份运营机构申请") carries its first few items in ``rows``;
    ``action`` names the link when it is a verb rather than the text itself (督办)."""

    text: str
    href: str
    #: The date it is due by, as the reader reads it (shown as "期限 …").
    due: str = ""
    late: bool = False
    #: How late, in words ("已逾期 7 个工作日"); shown instead of the plain "已逾期".
    late_by: str = ""
    action: str = ""
    rows: Sequence[Todo] = ()
    #: Anything else worth a glance, already in words ("上传于 …").
    meta: str = ""


@dataclass(frozen=True)
class Figure:
    label: str
    value: str
    href: str = ""
    #: Shown in the warning colour (something overdue, a score below the pass mark).
    warn: bool = False


@dataclass(frozen=True)
class PanelContent:
    todos: Sequence[Todo] = ()
    figures: Sequence[Figure] = ()
    #: An ECharts option (plain JSON) when a picture says more than the figures.
    chart: dict[str, Any] | None = None
    #: Shown when there is nothing to do: what this panel will show, and where to look.
    note: str = ""
    #: A standing line on what this role can do here, or what the platform will let it do
    #: once the part is built; shown whether or not there is anything to do.
    lead: str = ""
    more_href: str = ""
    more_label: str = ""


@dataclass(frozen=True)
class Context:
    session: Session
    principal: Principal
    clock: Clock
    locale: str

    def _(self, key: str, /, **params: object) -> str:
        """A message in the reader's language."""
        return translate(key, self.locale, **params)

    @property
    def today(self) -> date:
        """The calendar day in the city (the display zone)."""
        return local(self.clock.now()).date()


@dataclass(frozen=True)
class Panel:
    key: str  # message key of the panel's title
    permission: Permission
    load: Callable[[Context], PanelContent]
    order: int = 50
    roles: frozenset[str] = field(default_factory=frozenset)  # empty: every role with it


@dataclass(frozen=True)
class Loaded:
    panel: Panel
    content: PanelContent

    @property
    def chart_height(self) -> int:
        """Room for the chart's bars (one category axis of names), in pixels."""
        option = self.content.chart or {}
        axes = [option.get("yAxis"), option.get("xAxis")]
        bars = max((len(a.get("data", ())) for a in axes if isinstance(a, dict)), default=0)
        return 70 + 34 * max(bars, 2)


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


def load(context: Context) -> list[Loaded]:
    """Every panel the principal may see, loaded, in order."""
    return [Loaded(p, p.load(context)) for p in panels_for(context.principal)]


def figures(loaded: Sequence[Loaded]) -> list[Figure]:
    """The key figures of every panel, for the strip at the top of the page."""
    return [f for item in loaded for f in item.content.figures]


def bar_chart(
    title: str, names: Sequence[str], values: Sequence[int], *, horizontal: bool = True
) -> dict[str, Any]:
    """A plain ECharts bar chart: one series, the value at each bar's end."""
    category = {"type": "category", "data": list(names), "axisLabel": {"width": 150}}
    value = {"type": "value", "minInterval": 1}
    longest = max((len(n) for n in names), default=0)
    return {
        "title": {"text": title, "textStyle": {"fontSize": 13, "fontWeight": "normal"}},
        "tooltip": {"trigger": "axis", "axisPointer": {"type": "shadow"}},
        "grid": {
            "left": min(170, 20 + 13 * longest) if horizontal else 40,
            "right": 40,
            "top": 36,
            "bottom": 24,
        },
        "xAxis": value if horizontal else category,
        "yAxis": {**category, "inverse": True} if horizontal else value,
        "series": [
            {
                "type": "bar",
                "data": list(values),
                "barMaxWidth": 22,
                "label": {"show": True, "position": "right" if horizontal else "top"},
            }
        ],
    }
