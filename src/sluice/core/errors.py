"""One error base class, rendered as RFC 9457 problem+json.

Every expected refusal is a ``SluiceError`` with an HTTP status and a stable machine
``code``; the human ``detail`` is produced in the caller's language when the response is
rendered, so services never need to know who is reading.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any, ClassVar, Self

from sluice.core.i18n import add_messages, translate

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

#: A write that must survive the refusal that carries it, replayed on a clean transaction.
KeptWrite = Callable[["Session"], object]

PROBLEM_MEDIA_TYPE = "application/problem+json"


class SluiceError(Exception):
    status: ClassVar[int] = 400
    code: ClassVar[str] = "bad_request"
    #: Seconds after which trying again may succeed, sent as ``Retry-After`` (None: not said).
    retry_after: int | None = None

    def __init__(
        self,
        message_key: str | None = None,
        /,
        *,
        problem_code: str | None = None,
        **params: Any,
    ) -> None:
        self.message_key = message_key or f"error.{problem_code or self.code}"
        self.params = params
        self.kept: list[KeptWrite] = []
        if problem_code:
            self.code = problem_code  # type: ignore[misc]  # a more specific code for this one
        super().__init__(f"{self.code}: {self.message_key} {params}")

    def keep(self, write: KeptWrite) -> Self:
        """Attach a write that must survive this refusal (a failed login counted, a refused
        data access audited). Whoever handles the refusal rolls the request's changes back,
        then replays the kept writes on the clean transaction and commits them: the refusal
        is on record, and nothing else the request did before it is."""
        self.kept.append(write)
        return self

    @property
    def keeps_changes(self) -> bool:
        return bool(self.kept)

    def title(self, locale: str) -> str:
        return translate(f"problem.{self.code}", locale)

    def detail(self, locale: str) -> str:
        return translate(self.message_key, locale, **self.params)

    def problem(self, locale: str, instance: str | None = None) -> dict[str, Any]:
        body: dict[str, Any] = {
            "type": f"/problems/{self.code}",
            "title": self.title(locale),
            "status": self.status,
            "detail": self.detail(locale),
            "code": self.code,
        }
        if instance:
            body["instance"] = instance
        return body


class BadRequest(SluiceError):
    status = 400
    code = "bad_request"


class InvalidInput(SluiceError):
    status = 422
    code = "invalid_input"

    def __init__(self, message_key: str | None = None, /, **params: Any) -> None:
        errors = params.pop("errors", None)
        super().__init__(message_key, **params)
        self.errors: list[dict[str, Any]] = list(errors or [])

    def problem(self, locale: str, instance: str | None = None) -> dict[str, Any]:
        body = super().problem(locale, instance)
        if self.errors:
            body["errors"] = self.errors
        return body


class NotAuthenticated(SluiceError):
    status = 401
    code = "not_authenticated"


class InvalidCredentials(SluiceError):
    status = 401
    code = "invalid_credentials"


class PermissionDenied(SluiceError):
    status = 403
    code = "permission_denied"


class CsrfFailed(SluiceError):
    status = 403
    code = "csrf_failed"


class NotFound(SluiceError):
    status = 404
    code = "not_found"


class Conflict(SluiceError):
    status = 409
    code = "conflict"


class InvalidTransition(SluiceError):
    status = 409
    code = "invalid_transition"


class PayloadTooLarge(SluiceError):
    status = 413
    code = "payload_too_large"


#: Problems served at /problems/<code>; each has a title and a default detail.
add_messages(
    {
        "problem.bad_request": ("请求有误", "Bad request"),
        "error.bad_request": ("请求无法处理。", "The request could not be processed."),
        "problem.invalid_input": ("输入不符合要求", "Invalid input"),
        "error.invalid_input": (
            "提交的内容有误，请按提示修改后重试。",
            "Some of what was submitted is not valid; please correct it and try again.",
        ),
        "problem.not_authenticated": ("需要登录", "Authentication required"),
        "error.not_authenticated": (
            "请先登录或提供有效的访问令牌。",
            "Please log in or provide a valid access token.",
        ),
        "problem.invalid_credentials": ("用户名或密码错误", "Invalid credentials"),
        "error.invalid_credentials": (
            "用户名或密码错误。",
            "The username or password is not correct.",
        ),
        "problem.permission_denied": ("无权执行此操作", "Permission denied"),
        "error.permission_denied": (
            "您的角色不能“{permission}”。如需此项权限，请联系市数据局。",
            "Your role may not: {permission}. Ask the data bureau if you need it.",
        ),
        "problem.csrf_failed": ("表单已失效", "Form expired"),
        "error.csrf_failed": (
            "表单校验失败，请刷新页面后重新提交。",
            "The form check failed; please reload the page and submit again.",
        ),
        "problem.not_found": ("未找到", "Not found"),
        "error.not_found": ("请求的对象不存在。", "The requested item does not exist."),
        "problem.conflict": ("与现有数据冲突", "Conflict"),
        "error.conflict": (
            "该操作与现有数据冲突。",
            "This conflicts with existing data.",
        ),
        "problem.invalid_transition": ("当前状态不允许此操作", "Not allowed in this state"),
        "error.invalid_transition": (
            "{entity}当前为“{state}”，不能执行“{transition}”。可执行：{allowed}。",
            "{entity} is '{state}'; '{transition}' is not possible. Possible: {allowed}.",
        ),
        "problem.payload_too_large": ("请求内容过大", "Request too large"),
        "error.payload_too_large": (
            "请求内容超过 {limit} 的上限，未被读取。",
            "The request body is larger than the {limit} limit and was not read.",
        ),
        "problem.internal_error": ("系统内部错误", "Internal error"),
        "error.internal_error": (
            "系统出现内部错误，已记录。请稍后重试。",
            "An internal error occurred and was logged. Please try again later.",
        ),
    }
)
