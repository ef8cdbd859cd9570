"""What every printable document of the platform shares: A4 pages rendered to PDF with
Chinese fonts checked, page footers in the reader's language, long hex values in groups,
dates and times in the city's zone, and QR codes that lead to a public check.

Agreements, destruction certificates and registration certificates each keep their own
template and words; the printing underneath is this one module.
"""

from __future__ import annotations

import re
from datetime import date, datetime
from pathlib import Path
from typing import Final

import jinja2
import segno
from markupsafe import Markup

from sluice.core.clock import local
from sluice.core.errors import SluiceError
from sluice.core.i18n import EN, add_messages, translate

#: Families the stylesheets ask for; a PDF set in none of them would show tofu for Chinese.
#: Source Han is Adobe's name for the same typefaces.
CJK_FONT_FAMILIES: Final = (
    "Noto Serif CJK SC",
    "Noto Sans CJK SC",
    "Source Han Serif SC",
    "Source Han Sans SC",
)
#: Hex values are shown in groups of 8 digits, 8 groups a line, so people can compare them.
HEX_GROUP: Final = 8
HEX_GROUPS_PER_LINE: Final = 8


class PdfFontsMissing(SluiceError):
    """The server cannot set Chinese text: a deployment fault, not the reader's."""

    status = 503
    code = "pdf_fonts_missing"


def environment(templates: Path) -> jinja2.Environment:
    """The strict, escaping Jinja environment a document's templates render in."""
    return jinja2.Environment(
        loader=jinja2.FileSystemLoader(templates),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )


def qr_svg(url: str) -> Markup:
    """``url`` as a QR code in inline SVG, sized by the page (a viewBox, no width)."""
    code = segno.make(url, error="m")
    # segno escapes the title; the rest is its own path data.
    return Markup(code.svg_inline(border=2, title=url, svgclass="qr-code", omitsize=True))  # noqa: S704


def hex_lines(value: str, groups_per_line: int = HEX_GROUPS_PER_LINE) -> list[str]:
    """A long hex value as lines of space-separated groups, for reading aloud and comparing.
    A narrow column (a file's SM3 in a table) asks for fewer groups a line."""
    digits = "".join(value.split())
    groups = [digits[i : i + HEX_GROUP] for i in range(0, len(digits), HEX_GROUP)]
    return [
        " ".join(groups[i : i + groups_per_line]) for i in range(0, len(groups), groups_per_line)
    ]


def format_date(value: date, locale: str) -> str:
    """A day as the reader writes it; a moment is first read in the city's time."""
    day = local(value).date() if isinstance(value, datetime) else value
    if locale == EN:
        return day.isoformat()
    return f"{day.year}年{day.month}月{day.day}日"


def format_time(value: datetime, locale: str) -> str:
    """Signing and issuing times are read in the city's time (Asia/Shanghai)."""
    at = local(value)
    if locale == EN:
        return at.strftime("%Y-%m-%d %H:%M")
    return f"{at.year}年{at.month}月{at.day}日 {at:%H:%M}"


def _css_string(text: str) -> str:
    """A CSS string literal; every character but ASCII letters and digits is hex-escaped.

    Escapes have all six digits and spaces are escaped too, because CSS swallows one
    whitespace character after an escape.
    """
    escaped = "".join(
        char if char.isascii() and char.isalnum() else f"\\{ord(char):06x}" for char in text
    )
    return f'"{escaped}"'


def page_footer(message_key: str, locale: str) -> Markup:
    """The footer as CSS ``content``: the sentence's words (``message_key``, with ``{page}``
    and ``{pages}``) around the two page counters."""
    sentence = translate(message_key, locale, page="{page}", pages="{pages}")
    parts = re.split(r"(\{pages?\})", sentence)
    counters = {"{page}": "counter(page)", "{pages}": "counter(pages)"}
    content = " ".join(counters.get(part) or _css_string(part) for part in parts if part)
    return Markup(content)  # noqa: S704  # only escaped CSS strings and counters


def pdf_of(html: str) -> bytes:
    """A printable page as a PDF, refused when Chinese cannot be set."""
    import weasyprint  # deferred: loading Pango costs time that only PDF requests need

    # No base URL: the page loads nothing, and user text (escaped) cannot make it load any.
    document = weasyprint.HTML(string=html).render()
    pdf: bytes = document.write_pdf()
    # Document.fonts is filled while the pages are drawn: the faces Pango really chose.
    used = {getattr(font, "family", "") for font in document.fonts.values()}
    if not used.intersection(CJK_FONT_FAMILIES):
        raise PdfFontsMissing(fonts=" / ".join(CJK_FONT_FAMILIES[:2]))
    return pdf


add_messages(
    {
        "problem.pdf_fonts_missing": ("缺少中文字体", "Chinese fonts missing"),
        "error.pdf_fonts_missing": (
            "服务器未安装中文字体（{fonts}），无法生成 PDF。请安装 fonts-noto-cjk 后重试。",
            "The server has no Chinese font ({fonts}), so the PDF cannot be produced. "
            "Install fonts-noto-cjk and try again.",
        ),
    }
)
