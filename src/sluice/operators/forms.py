"""Form fields of the qualification pages as the schemas take them, and refusals back on the
fields the forms used: amounts are typed in yuan and kept in fen, shares typed in percent
and kept in basis points."""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal, InvalidOperation
from typing import Any

from sluice.core.errors import SluiceError
from sluice.core.i18n import add_messages, translate

add_messages(
    {
        "ops.amount_invalid": (
            "请输入金额，最多两位小数。",
            "Enter an amount with at most two decimals.",
        ),
        "ops.percent_invalid": (
            "请输入 0.01 到 100 之间的百分比，最多两位小数。",
            "Enter a percentage from 0.01 to 100 with at most two decimals.",
        ),
    }
)


def _fen(text: str) -> int | None:
    """'1,234.5' yuan -> 123450 fen; None if it is not an amount with at most 2 decimals."""
    try:
        value = Decimal(text.replace(",", "").replace("，", "").strip())
    except InvalidOperation:
        return None
    cents = value * 100
    if cents != cents.to_integral_value() or not value.is_finite():
        return None
    return int(cents)


def _basis_points(text: str) -> int | None:
    fen = _fen(text)  # the same two-decimal rule: '51.25' % -> 5125 bp
    return fen if fen is not None and 0 < fen <= 10000 else None


def values(submitted: Mapping[str, Any], locale: str) -> tuple[dict[str, Any], dict[str, str]]:
    """Form fields as the schemas take them: blanks dropped, yuan to fen, percent to bp."""
    values: dict[str, Any] = {}
    errors: dict[str, str] = {}
    for name, raw in submitted.items():
        if name == "csrf_token" or not isinstance(raw, str) or not raw.strip():
            continue
        text = raw.strip()
        if name.endswith("_yuan"):
            fen = _fen(text)
            if fen is None:
                errors[name] = translate("ops.amount_invalid", locale)
            values[name.removesuffix("_yuan") + "_fen"] = fen
        elif name == "share_percent":
            bp = _basis_points(text)
            if bp is None:
                errors[name] = translate("ops.percent_invalid", locale)
            values["share_bp"] = bp
        else:
            values[name] = text
    return values, errors


def form_errors(errors: dict[str, str]) -> dict[str, str]:
    """Schema field names back to the names the form used."""
    renamed = {}
    for name, message in errors.items():
        if name.endswith("_fen"):
            name = name.removesuffix("_fen") + "_yuan"
        elif name == "share_bp":
            name = "share_percent"
        renamed[name] = message
    return renamed


def refusal_errors(error: SluiceError, locale: str) -> dict[str, str]:
    fields = [e.get("field") for e in getattr(error, "errors", []) if e.get("field")]
    field = str(fields[0]) if fields else "__all__"
    return form_errors({field: error.detail(locale)}) | {"__all__": error.detail(locale)}


def checkbox_values(submitted: Mapping[str, Any], names: tuple[str, ...]) -> dict[str, bool]:
    return {name: submitted.get(name) in ("on", "1", "true") for name in names}
