"""Every error leaves as problem+json (API) or a page in the reader's language (console)."""

from __future__ import annotations

import logging
from typing import Any
from urllib.parse import quote

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, RedirectResponse, Response
from sqlalchemy.exc import DataError, IntegrityError
from starlette.exceptions import HTTPException

from sluice.core.errors import (
    PROBLEM_MEDIA_TYPE,
    Conflict,
    InvalidInput,
    NotAuthenticated,
    NotFound,
    PayloadTooLarge,
    SluiceError,
)
from sluice.core.i18n import add_messages
from sluice.web.deps import locale_of
from sluice.web.headers import security_headers
from sluice.web.templating import render

log = logging.getLogger("sluice.web")

_MACHINE_PREFIXES = ("/api/", "/gateway/", "/healthz", "/openapi.json", "/catalog.jsonld")


class MethodNotAllowed(SluiceError):
    status = 405
    code = "method_not_allowed"


class InternalError(SluiceError):
    status = 500
    code = "internal_error"


add_messages(
    {
        "problem.method_not_allowed": ("不支持的请求方法", "Method not allowed"),
        "error.method_not_allowed": (
            "该地址不支持此请求方法。",
            "This address does not accept that method.",
        ),
        "error.page_not_found": ("页面不存在。", "There is no page at this address."),
        "error.value_out_of_range": (
            "提交的某个值超出了允许的范围（过大的数字、过远的日期或无法保存的字符）。",
            "A submitted value is out of range (a number too large, a date too far off, or a "
            "character that cannot be stored).",
        ),
        "error.field": ("字段 {field}：{message}", "Field {field}: {message}"),
    }
)


def wants_machine_answer(request: Request) -> bool:
    return request.url.path.startswith(_MACHINE_PREFIXES)


def problem_response(request: Request, error: SluiceError) -> Response:
    locale = locale_of(request)
    if wants_machine_answer(request):
        headers = {"Content-Language": locale}
        if isinstance(error, NotAuthenticated):
            headers["WWW-Authenticate"] = 'Bearer realm="sluice"'
        return JSONResponse(
            error.problem(locale, instance=request.url.path),
            status_code=error.status,
            media_type=PROBLEM_MEDIA_TYPE,
            headers=headers,
        )
    if isinstance(error, NotAuthenticated):
        target = f"/login?next={quote(request.url.path)}"
        if request.headers.get("HX-Request"):
            return Response(status_code=401, headers={"HX-Redirect": target})
        return RedirectResponse(target, status_code=303)
    return render(
        request,
        "error.html",
        {"problem": error.problem(locale, instance=request.url.path)},
        status_code=error.status,
    )


def _validation_errors(exc: RequestValidationError) -> list[dict[str, Any]]:
    errors = []
    for item in exc.errors():
        location = [str(part) for part in item.get("loc", ()) if part not in ("body", "query")]
        errors.append(
            {"field": ".".join(location), "type": item.get("type"), "message": item.get("msg")}
        )
    return errors


def install(app: FastAPI) -> None:
    @app.exception_handler(SluiceError)
    async def _sluice(request: Request, exc: SluiceError) -> Response:
        return problem_response(request, exc)

    @app.exception_handler(RequestValidationError)
    async def _validation(request: Request, exc: RequestValidationError) -> Response:
        return problem_response(request, InvalidInput(errors=_validation_errors(exc)))

    @app.exception_handler(HTTPException)
    async def _http(request: Request, exc: HTTPException) -> Response:
        error: SluiceError
        if exc.status_code == 404:
            error = NotFound("error.page_not_found")
        elif exc.status_code == 405:
            error = MethodNotAllowed()
        elif exc.status_code == 413:
            error = PayloadTooLarge(limit=exc.detail)
        else:
            error = SluiceError(problem_code="bad_request")
        return problem_response(request, error)

    @app.exception_handler(DataError)
    async def _out_of_range(request: Request, exc: DataError) -> Response:
        # A value the schemas let through but the database cannot hold (a number past its
        # column, a date past its range): the caller's input, so a 422, logged to be bounded.
        log.warning("database refused a value on %s %s: %s", request.method, request.url.path, exc)
        return problem_response(request, InvalidInput("error.value_out_of_range"))

    @app.exception_handler(IntegrityError)
    async def _clash(request: Request, exc: IntegrityError) -> Response:
        # Two requests racing past the same uniqueness check: the loser meets the database's
        # constraint. It is a conflict with data that now exists, not a server fault.
        log.warning("database constraint on %s %s: %s", request.method, request.url.path, exc)
        return problem_response(request, Conflict())

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, exc: Exception) -> Response:
        log.exception("unhandled error on %s %s", request.method, request.url.path)
        response = problem_response(request, InternalError())
        # Outside the edge middleware (Starlette answers 500s outermost): add its headers.
        security_headers(response.headers, request.url.path)
        return response
