"""Every error leaves as problem+json (API) or a page in the reader's language (console)."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any, Final, get_args
from urllib.parse import quote

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, RedirectResponse, Response
from pydantic_core.core_schema import ErrorType
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
from sluice.core.i18n import add_messages, has_message, translate
from sluice.web.deps import locale_of
from sluice.web.forms import date_message
from sluice.web.headers import security_headers
from sluice.web.templating import render

log = logging.getLogger("sluice.web")

# "/catalog." is the DCAT catalog in its three formats (.jsonld, .ttl, .rdf).
_MACHINE_PREFIXES = ("/api/", "/gateway/", "/healthz", "/openapi.json", "/catalog.")


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
        if error.retry_after is not None:
            headers["Retry-After"] = str(error.retry_after)
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


#: pydantic's error types, said in the reader's language (``ctx`` fills the blanks).
_VALIDATION_MESSAGES: dict[str, tuple[str, str]] = {
    "missing": ("必须填写。", "This is required."),
    "uuid_parsing": ("不是有效的编号。", "This is not a valid identifier."),
    "uuid_type": ("不是有效的编号。", "This is not a valid identifier."),
    "int_parsing": ("请填写整数。", "Enter a whole number."),
    "int_from_float": ("请填写整数。", "Enter a whole number."),
    "float_parsing": ("请填写数字。", "Enter a number."),
    "decimal_parsing": ("请填写数字。", "Enter a number."),
    "bool_parsing": ("请填写是或否。", "Enter yes or no."),
    "date_parsing": (
        "不是有效的日期，请按 年-月-日 填写（如 2026-02-28）。",
        "Not a valid date; use year-month-day (e.g. 2026-02-28).",
    ),
    "date_from_datetime_parsing": (
        "不是有效的日期，请按 年-月-日 填写（如 2026-02-28），并确认该日存在。",
        "Not a valid date; use year-month-day (e.g. 2026-02-28) and check the day exists.",
    ),
    "date_from_datetime_inexact": ("日期不能带时间。", "A date cannot carry a time."),
    "datetime_parsing": ("不是有效的时间。", "Not a valid date and time."),
    "datetime_from_date_parsing": ("不是有效的时间。", "Not a valid date and time."),
    "string_too_short": ("至少 {min_length} 个字符。", "At least {min_length} characters."),
    "string_too_long": ("最多 {max_length} 个字符。", "At most {max_length} characters."),
    "string_type": ("请填写文字。", "Enter text."),
    "string_pattern_mismatch": ("格式不正确。", "The format is not right."),
    "too_short": ("至少 {min_length} 项。", "At least {min_length} items."),
    "too_long": ("最多 {max_length} 项。", "At most {max_length} items."),
    "greater_than": ("必须大于 {gt}。", "Must be greater than {gt}."),
    "greater_than_equal": ("不能小于 {ge}。", "Must be at least {ge}."),
    "less_than": ("必须小于 {lt}。", "Must be less than {lt}."),
    "less_than_equal": ("不能大于 {le}。", "Must be at most {le}."),
    "enum": ("只能是：{expected}。", "Must be one of: {expected}."),
    "literal_error": ("只能是：{expected}。", "Must be one of: {expected}."),
    "list_type": ("应为一组值。", "Must be a list."),
    "dict_type": ("应为一个对象。", "Must be an object."),
    "model_type": ("应为一个对象。", "Must be an object."),
    "model_attributes_type": ("应为一个对象。", "Must be an object."),
    "extra_forbidden": ("不认识这个字段。", "This field is not recognised."),
    "json_invalid": ("不是有效的 JSON。", "This is not valid JSON."),
    "json_type": ("不是有效的 JSON。", "This is not valid JSON."),
    "value_error": ("{error}", "{error}"),
    "assertion_error": ("{error}", "{error}"),
}
add_messages({f"validation.{kind}": texts for kind, texts in _VALIDATION_MESSAGES.items()})
add_messages({"validation.other": ("内容无效。", "Not valid.")})
#: pydantic's own error types: one we did not word above reads "not valid", never English.
_PYDANTIC_TYPES: Final = frozenset(get_args(ErrorType))


def _message(item: Mapping[str, Any], locale: str) -> str:
    kind = str(item.get("type", ""))
    context = {k: str(v) for k, v in (item.get("ctx") or {}).items()}
    typed = item.get("input")
    if kind in ("date_parsing", "date_from_datetime_parsing") and isinstance(typed, str):
        return date_message(typed, locale)  # the exact reason: "2 月没有 30 日"
    if kind not in _VALIDATION_MESSAGES:
        # A module's own error type (PydanticCustomError) brings its words as ``form.<type>``.
        for key in (f"validation.{kind}", f"form.{kind}"):
            if has_message(key):
                try:
                    return translate(key, locale, **context)
                except (KeyError, IndexError):
                    break
        if kind in _PYDANTIC_TYPES:
            return translate("validation.other", locale)
        return str(item.get("msg", "")) or translate("validation.other", locale)
    if kind in ("value_error", "assertion_error"):
        # Our own validators raise with a message; pydantic prefixes it with its own words.
        error = context.get("error") or str(item.get("msg", ""))
        return error.removeprefix("Value error, ").removeprefix("Assertion failed, ")
    try:
        return translate(f"validation.{kind}", locale, **context)
    except (KeyError, IndexError):
        return translate("validation.other", locale)


def _validation_errors(exc: RequestValidationError, locale: str) -> list[dict[str, Any]]:
    errors = []
    for item in exc.errors():
        location = [str(part) for part in item.get("loc", ()) if part not in ("body", "query")]
        errors.append(
            {
                "field": ".".join(location),
                "type": item.get("type"),
                "message": _message(item, locale),
            }
        )
    return errors


def _names_no_page(request: Request, exc: RequestValidationError) -> bool:
    """A console address whose id or page number is malformed names nothing: 404, not 422."""
    if wants_machine_answer(request) or request.method not in ("GET", "HEAD"):
        return False
    return any(item.get("loc", ("",))[0] in ("path", "query") for item in exc.errors())


def install(app: FastAPI) -> None:
    @app.exception_handler(SluiceError)
    async def _sluice(request: Request, exc: SluiceError) -> Response:
        return problem_response(request, exc)

    @app.exception_handler(RequestValidationError)
    async def _validation(request: Request, exc: RequestValidationError) -> Response:
        if _names_no_page(request, exc):
            return problem_response(request, NotFound("error.page_not_found"))
        errors = _validation_errors(exc, locale_of(request))
        return problem_response(request, InvalidInput(errors=errors))

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
