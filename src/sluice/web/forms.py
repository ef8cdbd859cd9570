"""HTML forms: parse into the same schemas the API uses, explain errors in the reader's language.

A rejected form is shown again with what was typed, so nothing is lost, and with *every*
problem at once next to its field: the schema's checks, the service's uniqueness checks and
business rules, gathered in one pass by a :class:`FormErrors` (never "fix this, submit,
now fix that"). A form that was accepted answers with a redirect to a page (post/redirect/get,
:func:`see_other`), so reloading that page never submits the form a second time.
"""

from __future__ import annotations

import calendar
import re
from collections.abc import Iterable, Iterator, Mapping
from datetime import date
from typing import Any, Final, Protocol, TypeVar

from fastapi import Request
from fastapi.responses import RedirectResponse
from pydantic import BaseModel, ValidationError

from sluice.core.errors import InvalidInput, SluiceError
from sluice.core.i18n import add_messages, has_message, translate

M = TypeVar("M", bound=BaseModel)

#: Where a refusal that names no field is shown: above the form.
FORM: Final = "__all__"

_BY_TYPE = {
    "missing": "form.required",
    "string_too_short": "form.too_short",
    "string_too_long": "form.too_long",
    "too_short": "form.required",
    "string_pattern_mismatch": "form.pattern",
    "enum": "form.choice",
    "uuid_parsing": "form.choice",
}
#: pydantic's ways of saying "not a date"; the typed text gets a precise reason instead.
_DATE_TYPES: Final = frozenset(
    {"date_parsing", "date_from_datetime_parsing", "date_from_datetime_inexact", "date_type"}
)
_ISO_DATE: Final = re.compile(r"(\d{4})-(\d{1,2})-(\d{1,2})")

add_messages(
    {
        "form.required": ("必填。", "Required."),
        "form.too_short": ("至少 {min_length} 个字符。", "At least {min_length} characters."),
        "form.too_long": ("最多 {max_length} 个字符。", "At most {max_length} characters."),
        "form.pattern": ("格式不正确。", "Not in the expected format."),
        "form.choice": ("请从列表中选择。", "Please choose from the list."),
        "form.invalid": ("内容无效。", "Not valid."),
        "form.saved": ("已保存。", "Saved."),
        "form.problems": (
            "表单有需要修改的地方，见各项下方的提示。",
            "Some fields need attention; see the notes under them.",
        ),
        "form.date_format": (
            "“{value}”不是有效的日期，请按 年-月-日 填写（如 2026-02-28）。",
            "'{value}' is not a date; use year-month-day (e.g. 2026-02-28).",
        ),
        "form.date_month": (
            "{value} 不是有效的日期：月份应在 1 到 12 之间。",
            "{value} is not a valid date: the month must be 1 to 12.",
        ),
        "form.date_day_zero": (
            "{value} 不是有效的日期：日应在 1 到 {days} 之间。",
            "{value} is not a valid date: the day must be 1 to {days}.",
        ),
        "form.date_no_such_day": (
            "{value} 不是有效的日期：{month_zh} 月没有 {day} 日。",
            "{value} is not a valid date: {month_en} has no day {day}.",
        ),
        "form.date_not_leap": (
            "{value} 不是有效的日期：{year} 年不是闰年，2 月没有 29 日。",
            "{value} is not a valid date: {year} is not a leap year, so February has no day 29.",
        ),
        "form.date_with_time": (
            "“{value}”带有时间，请只填写日期（年-月-日）。",
            "'{value}' carries a time; enter the date alone (year-month-day).",
        ),
    }
)

_MONTHS_EN: Final = (
    "",
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
)


class Problem(Protocol):
    """What a service says is wrong with one field: a message key and its parameters.

    Services return these (``problems_with`` checks) without knowing who reads them; the
    page puts each next to its field in the reader's language.
    """

    @property
    def field(self) -> str: ...

    @property
    def key(self) -> str: ...

    @property
    def params(self) -> Mapping[str, Any]: ...


class FieldProblem(ValueError):
    """One field's value refused by a parsing helper (:func:`parse_date`)."""

    def __init__(self, field: str, key: str, /, **params: Any) -> None:
        super().__init__(f"{field}: {key}")
        self.field = field
        self.key = key
        self.params: dict[str, Any] = params


class FormErrors:
    """Every problem of one submitted form, field by field, in the reader's language.

    Fill it from every source in one pass (``parse`` for the schema, ``problems`` for the
    service's checks, ``date`` for typed dates), then re-render the form when it is not
    empty. A field keeps its first message unless a later, more precise one replaces it.
    """

    def __init__(self, locale: str) -> None:
        self.locale = locale
        self._errors: dict[str, str] = {}

    def add(self, field: str, key: str, /, *, replace: bool = False, **params: Any) -> None:
        self.put(field, translate(key, self.locale, **params), replace=replace)

    def put(self, field: str, text: str, *, replace: bool = False) -> None:
        if replace or field not in self._errors:
            self._errors[field] = text

    def merge(self, errors: Mapping[str, str], *, replace: bool = False) -> None:
        for field, text in errors.items():
            self.put(field, text, replace=replace)

    def parse(self, model: type[M], values: Mapping[str, Any]) -> M | None:
        """The schema's checks: the parsed model, or None with its errors recorded."""
        data, errors = parse_form(model, values, self.locale)
        self.merge(errors)
        return data

    def problems(self, found: Iterable[Problem], *, replace: bool = True) -> None:
        """A service's checks (uniqueness, business rules). By default they replace the
        schema's message for the same field: they know more (the configured password
        length rather than the schema's floor, "taken" rather than "format")."""
        for problem in found:
            self.add(problem.field, problem.key, replace=replace, **dict(problem.params))

    def refusal(self, error: SluiceError) -> None:
        """A refusal raised by a service: next to the field it names, or above the form."""
        fields = [e.get("field") for e in error.errors] if isinstance(error, InvalidInput) else []
        name = next((f for f in fields if isinstance(f, str) and f), FORM)
        self.put(name, error.detail(self.locale), replace=True)

    def date(self, value: str, field: str, *, required: bool = False) -> date | None:
        """The date typed in ``field``; None (with the precise reason) when it is not one."""
        if not value.strip():
            if required:
                self.add(field, "form.required")
            return None
        try:
            return parse_date(value, field)
        except FieldProblem as problem:
            self.add(problem.field, problem.key, **problem.params)
            return None

    def get(self, field: str, default: str | None = None) -> str | None:
        return self._errors.get(field, default)

    def as_dict(self) -> dict[str, str]:
        return dict(self._errors)

    def __bool__(self) -> bool:
        return bool(self._errors)

    def __contains__(self, field: object) -> bool:
        return field in self._errors

    def __iter__(self) -> Iterator[str]:
        return iter(self._errors)

    def __len__(self) -> int:
        return len(self._errors)


def parse_form(
    model: type[M], values: Mapping[str, Any], locale: str
) -> tuple[M | None, dict[str, str]]:
    try:
        return model.model_validate(dict(values)), {}
    except ValidationError as exc:
        errors: dict[str, str] = {}
        for item in exc.errors():
            field = str(item["loc"][0]) if item["loc"] else FORM
            if item["type"] in _DATE_TYPES and isinstance(item.get("input"), str):
                errors.setdefault(field, date_message(item["input"], locale))
                continue
            key = _BY_TYPE.get(item["type"]) or _own_message(item["type"])
            errors.setdefault(field, translate(key, locale, **(item.get("ctx") or {})))
        return None, errors


def _own_message(error_type: str) -> str:
    """A custom error type (``date_out_of_range`` …) shows its own ``form.<type>`` message."""
    key = f"form.{error_type}"
    return key if has_message(key) else "form.invalid"


def parse_date(value: str, field: str) -> date:
    """A date typed as year-month-day, or :class:`FieldProblem` saying exactly what is wrong:
    ``2026-02-30`` → "2026-02-30 不是有效的日期：2 月没有 30 日。"."""
    typed = value.strip()
    problem = _date_problem(typed)
    if problem is not None:
        key, params = problem
        raise FieldProblem(field, key, **params)
    year, month, day = (int(part) for part in typed.split("-"))
    return date(year, month, day)


def date_message(value: str, locale: str) -> str:
    """Why ``value`` is not a date, in the reader's language (or the format hint)."""
    problem = _date_problem(value.strip())
    key, params = problem if problem is not None else ("form.date_format", {"value": value})
    return translate(key, locale, **params)


def _date_problem(typed: str) -> tuple[str, dict[str, Any]] | None:
    shown = typed[:40]
    start = _ISO_DATE.match(typed)
    if start is not None and typed[start.end() : start.end() + 1] in ("T", " "):
        return "form.date_with_time", {"value": shown}
    found = _ISO_DATE.fullmatch(typed)
    if found is None:
        return "form.date_format", {"value": shown}
    year, month, day = (int(part) for part in found.groups())
    if year < 1:
        return "form.date_format", {"value": shown}
    if not 1 <= month <= 12:
        return "form.date_month", {"value": shown}
    days = calendar.monthrange(year, month)[1]
    if day < 1:
        return "form.date_day_zero", {"value": shown, "days": days}
    if day > days:
        if month == 2 and day == 29:
            return "form.date_not_leap", {"value": shown, "year": year}
        return "form.date_no_such_day", {
            "value": shown,
            "month_zh": month,
            "month_en": _MONTHS_EN[month],
            "day": day,
        }
    return None


def see_other(location: str) -> RedirectResponse:
    """Post/redirect/get: an accepted form answers with the page to show next (303), so a
    reload re-reads that page and never posts the form again."""
    return RedirectResponse(location, status_code=303)


async def form_text(request: Request, name: str) -> str:
    """One text field of a posted form; missing, or a file where text was due, reads ``""``."""
    value = (await request.form()).get(name, "")
    return value if isinstance(value, str) else ""
