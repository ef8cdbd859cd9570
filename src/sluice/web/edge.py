"""The edge: what every request meets before any route, and every response before it leaves.

* **Body limits before anything else.** A JSON or form body larger than
  ``json_body_max_kb`` is refused with 413 before it is read, authenticated or not. Only
  routes that take files accept more (``upload_max_mb``), and only from a caller holding a
  live session or token: an anonymous caller cannot make the server spool 500 MB to disk.
  ``Content-Length`` is checked first; a chunked body is counted as it arrives.
* **No NUL characters in text.** A NUL in the path, the query or a JSON/form body is refused
  with 422 here, once, instead of surfacing as a database error in whichever route stored it
  (PostgreSQL text cannot hold NUL).
* **Security headers on every response** (``security_headers``): no framing, a CSP without
  inline script, nosniff, a referrer policy, and ``no-store`` on everything but static
  assets, since console pages, documents and API answers may show personal data.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Final

from fastapi import FastAPI
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import Headers, MutableHeaders
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from sluice.core.database import Database
from sluice.core.errors import InvalidInput, PayloadTooLarge, SluiceError
from sluice.core.i18n import add_messages
from sluice.core.settings import Settings
from sluice.identity import service as identity
from sluice.web.errors import problem_response
from sluice.web.headers import security_headers
from sluice.web.routes import file_routes

KB: Final = 1024
MB: Final = 1024 * 1024
#: Room for the multipart framing and the form's text fields around an uploaded file.
MULTIPART_ALLOWANCE: Final = 1 * MB


# An escaped NUL in JSON text: "\u0000" preceded by an even number of backslashes.
_JSON_NUL: Final = re.compile(rb"(?<!\\)(?:\\\\)*\\u0000")


add_messages(
    {
        "edge.nul_character": (
            "文本中不能包含空字符（NUL，\\u0000）。",
            "Text may not contain the NUL character (\\u0000).",
        ),
    }
)


def _limit_text(size: int) -> str:
    return f"{size // MB} MB" if size >= MB else f"{max(size // KB, 1)} KB"


class _TooLarge(HTTPException):
    """Raised from ``receive`` when a body outgrows its limit while a route reads it."""

    def __init__(self, limit: int) -> None:
        super().__init__(status_code=413, detail=_limit_text(limit))


class Edge:
    """ASGI middleware applying the rules above; installed by the application factory."""

    def __init__(self, app: ASGIApp, *, fastapi_app: FastAPI, settings: Settings) -> None:
        self.app = app
        self.fastapi_app = fastapi_app
        self.body_limit = settings.json_body_max_kb * KB
        self.upload_limit = settings.upload_max_mb * MB + MULTIPART_ALLOWANCE
        self._file_paths: list[re.Pattern[str]] | None = None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path: str = scope["path"]

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                security_headers(MutableHeaders(scope=message), path)
            await send(message)

        query: bytes = scope.get("query_string", b"")
        if "\x00" in path or b"%00" in query or b"\x00" in query:
            await self._refuse(scope, InvalidInput("edge.nul_character"), send_with_headers)
            return

        headers = Headers(scope=scope)
        content_type = headers.get("content-type", "").lower()
        multipart = content_type.startswith("multipart/form-data")
        limit = self.body_limit
        if multipart and await self._may_upload(scope, headers):
            limit = self.upload_limit
        declared = headers.get("content-length")
        if declared is not None and (not declared.isdigit() or int(declared) > limit):
            await self._refuse(scope, PayloadTooLarge(limit=_limit_text(limit)), send_with_headers)
            return

        if multipart or scope["method"] in ("GET", "HEAD", "OPTIONS"):
            counted = _counting(receive, limit)
        else:
            # Small by now: read it whole, look for NUL, hand it on unchanged.
            try:
                body = await _read_all(receive, limit)
            except _TooLarge:
                await self._refuse(
                    scope, PayloadTooLarge(limit=_limit_text(limit)), send_with_headers
                )
                return
            if _has_nul(body, content_type):
                await self._refuse(scope, InvalidInput("edge.nul_character"), send_with_headers)
                return
            counted = _replay(body, receive)

        started = False

        async def tracking_send(message: Message) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send_with_headers(message)

        try:
            await self.app(scope, counted, tracking_send)
        except _TooLarge:
            if started:
                raise
            await self._refuse(scope, PayloadTooLarge(limit=_limit_text(limit)), send_with_headers)

    async def _may_upload(self, scope: Scope, headers: Headers) -> bool:
        """A route that takes files, called with a live session cookie or bearer token."""
        if self._file_paths is None:
            self._file_paths = [r.path_regex for r in file_routes(self.fastapi_app)]
        if not any(p.match(scope["path"]) for p in self._file_paths):
            return False
        request = Request(scope)
        scheme, _, token = headers.get("authorization", "").partition(" ")
        cookie = request.cookies.get("sluice_session")
        if scheme.lower() == "bearer" and token.strip():
            return await run_in_threadpool(self._live, identity.resolve_access_token, token.strip())
        if cookie:
            return await run_in_threadpool(self._live, identity.resolve_console_session, cookie)
        return False

    def _live(self, resolve: Callable[..., object], token: str) -> bool:
        database: Database = self.fastapi_app.state.database
        with database.unit_of_work() as session:
            return resolve(session, clock=self.fastapi_app.state.clock, token=token) is not None

    async def _refuse(self, scope: Scope, error: SluiceError, send: Send) -> None:
        async def no_body() -> Message:
            return {"type": "http.request", "body": b"", "more_body": False}

        request = Request(scope, no_body)
        response = problem_response(request, error)
        response.headers["Connection"] = "close"  # the unread body is not worth draining
        await response(scope, no_body, send)


def _has_nul(body: bytes, content_type: str) -> bool:
    if b"\x00" in body:
        return True
    if content_type.startswith("application/x-www-form-urlencoded"):
        return b"%00" in body
    if "json" in content_type:
        return _JSON_NUL.search(body) is not None
    return False


async def _read_all(receive: Receive, limit: int) -> bytes:
    chunks: list[bytes] = []
    size = 0
    while True:
        message = await receive()
        if message["type"] != "http.request":
            break
        chunk: bytes = message.get("body", b"")
        size += len(chunk)
        if size > limit:
            raise _TooLarge(limit)
        chunks.append(chunk)
        if not message.get("more_body", False):
            break
    return b"".join(chunks)


def _replay(body: bytes, receive: Receive) -> Receive:
    sent = False

    async def replay() -> Message:
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}
        return await receive()  # a disconnect, if the client goes away

    return replay


def _counting(receive: Receive, limit: int) -> Receive:
    size = 0

    async def counted() -> Message:
        nonlocal size
        message = await receive()
        if message["type"] == "http.request":
            size += len(message.get("body", b""))
            if size > limit:
                raise _TooLarge(limit)
        return message

    return counted
