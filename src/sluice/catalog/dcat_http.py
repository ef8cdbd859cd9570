"""Serving the catalog's RDF over HTTP: which format a reader asked for, and answers a
harvester can revalidate cheaply (``ETag``, ``Last-Modified``, 304 Not Modified).

The same address answers people and machines: ``/catalog`` and an entry's address give HTML
unless the ``Accept`` header prefers JSON-LD, Turtle or RDF/XML (``Vary: Accept``). The
format-named addresses (``/catalog.jsonld``, ``.ttl``, ``.rdf``) answer in their format
whatever is asked, for harvesters that send no ``Accept`` (ckanext-dcat), and their paging
links stay in that format.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import format_datetime, parsedate_to_datetime
from typing import Final

from fastapi import Request
from fastapi.responses import Response

from sluice.catalog.dcat import Document
from sluice.catalog.dcat_rdf import Graph, jsonld_bytes, to_rdfxml, to_turtle
from sluice.core.ids import sm3_hex


@dataclass(frozen=True)
class Format:
    extension: str
    media_type: str
    write: Callable[[Graph, list[str]], bytes]


FORMATS: Final[dict[str, Format]] = {
    f.extension: f
    for f in (
        Format("jsonld", "application/ld+json", jsonld_bytes),
        Format("ttl", "text/turtle", lambda graph, _: to_turtle(graph).encode()),
        Format("rdf", "application/rdf+xml", lambda graph, _: to_rdfxml(graph).encode()),
    )
}
#: What each media type a reader may name is served as; None is the HTML page.
_OFFERED: Final[dict[str, str | None]] = {
    "text/html": None,
    "application/xhtml+xml": None,
    "application/ld+json": "jsonld",
    "application/json": "jsonld",
    "text/turtle": "ttl",
    "application/x-turtle": "ttl",
    "application/rdf+xml": "rdf",
}


def _ranges(accept: str) -> list[tuple[str, float]]:
    found = []
    for part in accept.split(","):
        media, *params = (p.strip() for p in part.split(";"))
        if not media:
            continue
        quality = 1.0
        for param in params:
            name, _, value = param.partition("=")
            if name.strip().lower() == "q":
                try:
                    quality = float(value)
                except ValueError:
                    quality = 0.0
        found.append((media.lower(), quality))
    return found


def _quality(media: str, ranges: list[tuple[str, float]]) -> float:
    """The quality the most specific matching range gives a media type (RFC 9110 12.5.1)."""
    kind = media.split("/")[0]
    for candidate in (media, f"{kind}/*", "*/*"):
        for name, quality in ranges:
            if name == candidate:
                return quality
    return 0.0


def negotiate(accept: str | None) -> str | None:
    """The RDF format the ``Accept`` header prefers to HTML, or None for the page: a browser's
    ``text/html,...,*/*;q=0.8`` and a bare ``*/*`` get HTML; ties go to HTML."""
    if not accept:
        return None
    ranges = _ranges(accept)
    best: str | None = None
    best_quality = _quality("text/html", ranges)
    for media, extension in _OFFERED.items():
        quality = _quality(media, ranges)
        if extension is not None and quality > best_quality:
            best, best_quality = extension, quality
    return best


def _http_date(at: datetime) -> str:
    return format_datetime(at.astimezone(UTC).replace(microsecond=0), usegmt=True)


def _not_modified(request: Request, etag: str, modified: datetime | None) -> bool:
    """RFC 9110 13.2.2: If-None-Match decides when present; else If-Modified-Since."""
    if_none_match = request.headers.get("if-none-match")
    if if_none_match is not None:
        tags = {t.strip().removeprefix("W/") for t in if_none_match.split(",")}
        return "*" in tags or etag in tags
    since = request.headers.get("if-modified-since")
    if since is None or modified is None:
        return False
    try:
        asked = parsedate_to_datetime(since)
    except (TypeError, ValueError):
        return False
    if asked.tzinfo is None:
        return False
    return modified.astimezone(UTC).replace(microsecond=0) <= asked


def rdf_response(
    request: Request,
    document: Document,
    extension: str,
    *,
    negotiated: bool,
) -> Response:
    """The document in one format, with its validators; 304 when the reader's copy is
    current. The body is written either way: a page takes tens of milliseconds, and a
    tag taken from the bytes cannot miss a change (a publisher's new name, say)."""
    chosen = FORMATS[extension]
    body = chosen.write(document.graph, document.roots)
    etag = f'"{sm3_hex(body)[:32]}"'
    headers = {"ETag": etag, "Cache-Control": "public, no-cache"}
    if document.modified is not None:
        headers["Last-Modified"] = _http_date(document.modified)
    if negotiated:
        headers["Vary"] = "Accept"
    if _not_modified(request, etag, document.modified):
        return Response(status_code=304, headers=headers)
    media_type = chosen.media_type
    if not media_type.endswith("json"):
        media_type += "; charset=utf-8"
    return Response(body, media_type=media_type, headers=headers)
