"""Form fields of the qualification pages as the schemas take them, and problems back on the
fields the forms used: amounts are typed in yuan and kept in fen, shares typed in percent
and kept in basis points."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Mapping
from decimal import Decimal, InvalidOperation
from typing import Any

from pydantic import BaseModel, ValidationError

from sluice.core.i18n import add_messages, translate
from sluice.operators.guards import Problem

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
    """Form fields as the schemas take them: blanks dropped, yuan to fen, percent to bp (an
    amount or a percentage that is not one is left out, its message in the errors)."""
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
            else:
                values[name.removesuffix("_yuan") + "_fen"] = fen
        elif name == "share_percent":
            bp = _basis_points(text)
            if bp is None:
                errors[name] = translate("ops.percent_invalid", locale)
            else:
                values["share_bp"] = bp
        else:
            values[name] = text
    return values, errors


def form_name(name: str) -> str:
    """A schema field's name as the form calls it."""
    if name.endswith("_fen"):
        return name.removesuffix("_fen") + "_yuan"
    if name == "share_bp":
        return "share_percent"
    return name


def form_errors(errors: dict[str, str]) -> dict[str, str]:
    """Schema field names back to the names the form used."""
    return {form_name(name): message for name, message in errors.items()}


def parsed(schema: type[BaseModel], values: Mapping[str, Any]) -> dict[str, Any]:
    """The fields that parse on their own, as ``schema`` takes them (its validators
    included), so a section's rules check them while another field is still wrong."""
    found: dict[str, Any] = {}
    validator = schema.__pydantic_validator__
    for name, value in values.items():
        if name not in schema.model_fields:
            continue
        try:
            model = validator.validate_assignment(schema.model_construct(), name, value)
        except ValidationError:
            continue
        found[name] = getattr(model, name)
    return found


def on_form(problems: Iterable[Problem]) -> list[Problem]:
    """Problems on the fields the form used."""
    return [dataclasses.replace(p, field=form_name(p.field)) for p in problems]


def checkbox_values(submitted: Mapping[str, Any], names: tuple[str, ...]) -> dict[str, bool]:
    return {name: submitted.get(name) in ("on", "1", "true") for name in names}
