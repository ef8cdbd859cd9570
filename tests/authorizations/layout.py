"""Where WeasyPrint puts things on a printed page, for tests that check that nothing crosses
a margin, a column or a box.

This is the layout ``pdf_of`` draws into the PDF, read from WeasyPrint's box tree: the PDF
itself keeps where each string starts but not where it ends. The tree is reached through
``Page._page_box``, which is not public API; this module is the one place that does.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import weasyprint
from weasyprint.formatting_structure import boxes

#: Fractions of a CSS pixel that rounding may add.
TOLERANCE = 0.01


@dataclass(frozen=True)
class Span:
    """A horizontal extent on the page, in CSS pixels."""

    left: float
    right: float

    def holds(self, other: Span) -> bool:
        return self.left - TOLERANCE <= other.left and other.right <= self.right + TOLERANCE


@dataclass(frozen=True)
class Placed:
    """A run of text as laid out, with the elements it sits in (innermost first)."""

    text: str
    span: Span
    inside: tuple[Any, ...]  # the boxes around it

    def within(self, css_class: str) -> Any | None:
        """The innermost box around this text whose element has ``css_class``."""
        return next((box for box in self.inside if has_class(box, css_class)), None)


def pages(html: str) -> list[Any]:
    """The page boxes of ``html`` as WeasyPrint lays it out for the PDF."""
    return [page._page_box for page in weasyprint.HTML(string=html).render().pages]


def has_class(box: Any, css_class: str) -> bool:
    element = getattr(box, "element", None)
    classes = (element.get("class") or "").split() if element is not None else []
    return css_class in classes and not isinstance(box, boxes.TextBox | boxes.LineBox)


def border_span(box: Any) -> Span:
    return Span(box.position_x, box.position_x + box.border_width())


def content_span(box: Any) -> Span:
    """Where a box's content may go: inside its border and padding."""
    left = box.content_box_x()
    return Span(left, left + box.width)


def page_content(page: Any) -> Span:
    """The page's area inside its margins."""
    return content_span(page)


def texts(page: Any) -> Iterator[Placed]:
    """Every run of text in the page's body (not in the margin boxes: header and footer)."""

    def walk(box: Any, around: tuple[Any, ...]) -> Iterator[Placed]:
        if isinstance(box, boxes.MarginBox):
            return
        if isinstance(box, boxes.TextBox):
            yield Placed(box.text, Span(box.position_x, box.position_x + box.width), around)
            return
        for child in getattr(box, "children", ()):
            yield from walk(child, (box, *around))

    yield from walk(page, ())


def elements(page: Any, css_class: str) -> list[Any]:
    """The outermost box of each element with ``css_class`` on the page, in document order
    (a table, say, has a wrapper box and the table box for one element)."""
    found: list[Any] = []

    def walk(box: Any) -> None:
        if has_class(box, css_class):
            if any(f.element is box.element for f in found):
                return
            found.append(box)
        for child in getattr(box, "children", ()):
            walk(child)

    walk(page)
    return found


def elements_of_type(page: Any, name: str) -> list[Any]:
    """The boxes of one kind (``"TableRowBox"``) on the page, in document order."""
    kind = getattr(boxes, name)
    found: list[Any] = []

    def walk(box: Any) -> None:
        if isinstance(box, kind):
            found.append(box)
        for child in getattr(box, "children", ()):
            walk(child)

    walk(page)
    return found
