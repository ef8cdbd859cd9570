"""Requests sent straight to the ASGI application, for what a test client cannot do: send
only the headers, send the body late, send many at once in one loop."""

from __future__ import annotations

from typing import Any


def http_scope(app: Any, method: str, path: str, headers: dict[str, str]) -> dict[str, Any]:
    """The ASGI scope of an HTTP/1.1 request from 127.0.0.1 to ``app``."""
    return {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": method,
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "root_path": "",
        "query_string": b"",
        "headers": [(b"host", b"127.0.0.1")]
        + [(name.lower().encode(), value.encode()) for name, value in headers.items()],
        "client": ("127.0.0.1", 50000),
        "server": ("127.0.0.1", 80),
        "app": app,
        "state": {},
    }
