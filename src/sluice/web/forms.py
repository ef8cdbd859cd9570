"""HTML forms: parse into the same schemas the API uses, explain errors in the reader's language.

A rejected form is shown again with what was typed, so nothing is lost.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError

from sluice.core.i18n import add_messages, has_message, translate

M = TypeVar("M", bound=BaseModel)

_BY_TYPE = {
    "missing": "form.required",
    "string_too_short": "form.too_short",
    "string_too_long": "form.too_long",
    "too_short": "form.required",
    "string_pattern_mismatch": "form.pattern",
    "enum": "form.choice",
    "uuid_parsing": "form.choice",
}

add_messages(
    {
        "form.required": ("必填。", "Required."),
        "form.too_short": ("至少 {min_length} 个字符。", "At least {min_length} characters."),
        "form.too_long": ("最多 {max_length} 个字符。", "At most {max_length} characters."),
        "form.pattern": ("格式不正确。", "Not in the expected format."),
        "form.choice": ("请从列表中选择。", "Please choose from the list."),
        "form.invalid": ("内容无效。", "Not valid."),
        "form.saved": ("已保存。", "Saved."),
    }
)


def parse_form(
    model: type[M], values: Mapping[str, Any], locale: str
) -> tuple[M | None, dict[str, str]]:
    try:
        return model.model_validate(dict(values)), {}
    except ValidationError as exc:
        errors: dict[str, str] = {}
        for item in exc.errors():
            field = str(item["loc"][0]) if item["loc"] else "__all__"
            key = _BY_TYPE.get(item["type"]) or _own_message(item["type"])
            errors.setdefault(field, translate(key, locale, **(item.get("ctx") or {})))
        return None, errors


def _own_message(error_type: str) -> str:
    """A custom error type (``date_out_of_range`` …) shows its own ``form.<type>`` message."""
    key = f"form.{error_type}"
    return key if has_message(key) else "form.invalid"
