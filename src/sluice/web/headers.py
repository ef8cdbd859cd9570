"""The security headers every response carries (docs/security.md).

No framing, a Content-Security-Policy without inline script, nosniff, a referrer policy,
and ``no-store`` on everything but static assets, since console pages, documents and API
answers may show personal data.
"""

from __future__ import annotations

from typing import Final

from starlette.datastructures import MutableHeaders

CONTENT_SECURITY_POLICY: Final = "; ".join(
    (
        "default-src 'self'",
        "script-src 'self'",
        # Templates keep a few style attributes; styles cannot run code.
        "style-src 'self' 'unsafe-inline'",
        "img-src 'self' data:",
        "object-src 'none'",
        "base-uri 'self'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    )
)
_STATIC_PREFIX: Final = "/static/"


def security_headers(headers: MutableHeaders, path: str) -> None:
    headers.setdefault("X-Frame-Options", "DENY")
    headers.setdefault("Content-Security-Policy", CONTENT_SECURITY_POLICY)
    headers.setdefault("X-Content-Type-Options", "nosniff")
    headers.setdefault("Referrer-Policy", "same-origin")
    if not path.startswith(_STATIC_PREFIX):
        headers.setdefault("Cache-Control", "no-store")
