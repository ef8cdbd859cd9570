"""A buyer's inputs to a product, cleaned, checked and typed exactly as ingestion does.

Each input is declared by an ``InputField`` with a catalog field type. Its value goes
through the data plane's own cleaning (``cleaning.clean_column``: full-width to
half-width, trimming, the type's own rules: an ID number's spaces removed and ``x``
upper-cased, a credit code upper-cased, a mobile's ``+86`` removed …) and validation's
type rule (``validation.type_check``: GB 11643 and GB 32100 check characters, mobile and
plate shapes, parsable numbers and dates), then:

- a **personal** value (``id_number``, ``uscc``, ``person_name``, ``mobile``, ``plate``,
  ``address``) becomes its token through ``dataplane.subject_tokens`` (the consent
  ledger's way from one typed identifier to its token: the same cleaning and type rule,
  and the key ingestion tokenizes with, the key store's ``tokenization`` scope), so it
  equals the view's ``<field>_token`` column for the same person or enterprise, however
  the buyer spelled it (``91210800…a`` in lower case, full-width digits, spaces);
- any other value becomes the typed value the engine compares (``int``, ``Decimal``,
  ``date``, an aware ``datetime``, ``bool``, text), an enum's spelled as its vocabulary
  declares it.

A missing required input, an unknown input, a list or object, text over the length cap,
text that is not valid Unicode (a lone surrogate such as JSON's ``"\ud800"``, which no
UTF-8 encodes), a value that does not clean or parse, or an enum value outside ``values``
is ``input_invalid`` (422) naming the input. The plaintext of a personal input is never
returned, kept or logged: only its token leaves this module.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from decimal import Decimal
from functools import lru_cache
from typing import Final

import pyarrow as pa

from sluice.core.i18n import MessageRef, add_messages
from sluice.core.settings import Settings
from sluice.dataplane import subject_tokens
from sluice.dataplane.cleaning import clean_column
from sluice.dataplane.schema import FIELD_TYPES, IDENTIFIER_TYPES, FieldSpec
from sluice.dataplane.validation import type_check
from sluice.guard.product_errors import InputInvalid
from sluice.guard.product_specs import InputField

#: Characters an input may have before cleaning (an address may be longer).
MAX_INPUT_CHARS: Final = 200
MAX_ADDRESS_CHARS: Final = 400

#: What a cleaned input is bound as: a token or text, a number, a date or time, a flag.
Bound = object


def clean_inputs(
    settings: Settings,
    fields: Sequence[InputField],
    inputs: Mapping[str, object],
    *,
    only: frozenset[str] | None = None,
) -> dict[str, Bound | None]:
    """Every declared input (or those named in ``only``) cleaned and typed (see the module
    docstring); an optional input left out is ``None``. Inputs nobody declared are
    refused."""
    declared = {f.name: f for f in fields}
    for name in inputs:
        if name not in declared:
            raise InputInvalid(
                "product.input.unknown",
                input=str(name)[:80],
                known="、".join(sorted(declared)) or "—",
            )
    cleaned: dict[str, Bound | None] = {}
    for field in fields:
        if only is not None and field.name not in only:
            continue
        text = _text(field, inputs.get(field.name))
        if text is None:
            cleaned[field.name] = None
        elif field.type in subject_tokens.TOKENIZED_TYPES:
            cleaned[field.name] = _token(settings, field, text)
        else:
            cleaned[field.name] = _clean(field, text)
    return cleaned


def _token(settings: Settings, field: InputField, text: str) -> str | None:
    """A personal input's token, as the data holds it for the same value."""
    try:
        return subject_tokens.subject_token(text, field.type, settings=settings)
    except subject_tokens.IdentifierInvalid as invalid:
        if invalid.reason == "empty" and not field.required:
            return None
        key = "product.input.missing" if invalid.reason == "empty" else "product.input.malformed"
        raise _invalid(key, field) from None


def _text(field: InputField, raw: object) -> str | None:
    """The input as the text a source file would hold, or ``None`` for an optional input
    left out."""
    if isinstance(raw, bool):
        text: str | None = ("true" if raw else "false") if field.type == "bool" else None
        if text is None:
            raise _invalid("product.input.malformed", field)
    elif isinstance(raw, int | str):
        text = str(raw)
    elif isinstance(raw, float | Decimal):
        text = format(Decimal(str(raw)), "f") if field.type == "decimal" else str(raw)
    elif raw is None:
        text = ""
    else:
        raise _invalid("product.input.not_text", field)
    limit = MAX_ADDRESS_CHARS if field.type == "address" else MAX_INPUT_CHARS
    if len(text) > limit:
        raise _invalid("product.input.too_long", field, limit=limit)
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        raise _invalid("product.input.not_unicode", field) from None
    if not text.strip():
        if field.required:
            raise _invalid("product.input.missing", field)
        return None
    return text


def _clean(field: InputField, text: str) -> Bound | None:
    """Any other input cleaned and typed as ingestion cleans its field's column."""
    spec = _field_spec(field.name, field.type, tuple(field.values) if field.values else None)
    cleaned = clean_column(pa.array([text], pa.string()), spec)
    if not cleaned.text.is_valid()[0].as_py():
        if field.required:
            raise _invalid("product.input.missing", field)
        return None
    passes = type_check(spec, cleaned.text, cleaned.value)
    if passes is not None and not bool(passes[0]):
        raise _invalid("product.input.malformed", field)
    value: Bound = cleaned.value[0].as_py()
    if spec.values is not None and value not in spec.values:
        raise _invalid("product.input.not_allowed", field, values="、".join(spec.values))
    return value


@lru_cache(maxsize=1024)
def _field_spec(name: str, kind: str, values: tuple[str, ...] | None) -> FieldSpec:
    if kind not in FIELD_TYPES or kind in IDENTIFIER_TYPES:
        raise ValueError(f"input {name!r} has type {kind!r}, not a catalog value type")
    return FieldSpec(name=name, type=kind, field_class="internal", values=values)


def _invalid(key: str, field: InputField, **params: object) -> InputInvalid:
    return InputInvalid(
        key,
        input=field.name,
        title=field.title,
        type=MessageRef(f"vocab.field_type.{field.type}"),
        **params,
    )


add_messages(
    {
        "product.input.not_unicode": (
            "输入 {input}（{title}）含有无法以 UTF-8 编码的字符（如单独的代理码位）。",
            "Input {input} ({title}) holds characters that cannot be encoded as UTF-8 (such "
            "as a lone surrogate).",
        ),
    }
)
