"""The peer of the gateway benchmark: a bare FastAPI endpoint, served the same way.

It parses the same JSON body a verification call sends and answers a result of the same
shape, and does nothing else: no key, consent, quota, metering, audit or data.
"""

from __future__ import annotations

import uuid
from typing import Any

from fastapi import FastAPI
from pydantic import BaseModel


class Invocation(BaseModel):
    input: dict[str, Any]
    consent_id: str | None = None
    purpose: str = ""


def create() -> FastAPI:
    app = FastAPI()

    @app.post("/gateway/v1/products/{code}/invoke")
    def invoke(code: str, body: Invocation) -> dict[str, Any]:
        return {"request_id": str(uuid.uuid4()), "product": code, "result": {"result": "match"}}

    return app
