"""The declared shape of a dataset: its fields, their types, classes and rules.

The catalog declares a resource's fields (DESIGN §4: field classes are set in the catalog)
and checks on registration that the data plane can store them; the data plane reads the
declaration to clean, validate, tokenize and mask. So the language lives here, and the
data plane builds on the catalog, never the other way round.

A schema comes from JSON (the catalog, or a file given to ``sluice quality check``)::

    {"fields": [
        {"name": "id_number", "type": "id_number", "class": "identifier",
         "required": true, "unique": true},
        {"name": "gender", "type": "enum", "class": "internal", "values": ["1", "2"]},
        {"name": "area", "type": "decimal", "class": "public", "scale": 2,
         "min": "0", "max": "100000"},
        {"name": "opened_on", "type": "date", "class": "public", "format": "%d/%m/%Y"}
    ]}

Keys per field: ``name`` and ``type`` are required; ``class`` defaults to ``identifier``
for the personal and enterprise identifier types (``id_number``, ``uscc``, ``mobile``,
``plate``, ``address``, ``person_name``) and to ``internal`` otherwise, so a forgotten
class never puts an identifier in the queryable zone in plaintext; a weaker class for
those types is refused. ``required`` and
``unique`` default to false; ``values`` (the allowed values of an ``enum``, or of any
field), ``min``/``max`` (inclusive bounds of an ``int``, ``decimal``, ``date`` or
``datetime``), ``pattern`` (an RE2 regular expression the whole cleaned value must
match), ``masking`` (a masking profile name), ``format`` (an extra ``strptime`` format
tried before the built-in date forms), ``precision``/``scale`` (of a ``decimal``,
default 18 and 2). Other keys (titles, descriptions) are allowed and kept in ``extra``.
Unknown types and classes, malformed bounds and invalid patterns are refused with a
``SchemaError`` that names the field.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any, Final, Literal, TypeAlias, cast, get_args

import pyarrow as pa
import pyarrow.compute as pc

FieldType = Literal[
    "text",
    "int",
    "decimal",
    "date",
    "datetime",
    "bool",
    "enum",
    "id_number",
    "uscc",
    "mobile",
    "plate",
    "address",
    "person_name",
]
FieldClass = Literal["public", "internal", "sensitive", "identifier"]

FIELD_TYPES: Final[tuple[FieldType, ...]] = get_args(FieldType)
FIELD_CLASSES: Final[tuple[FieldClass, ...]] = get_args(FieldClass)

#: Types that name a person or an enterprise; their class defaults to ``identifier``.
IDENTIFIER_TYPES: Final[frozenset[FieldType]] = frozenset(
    {"id_number", "uscc", "mobile", "plate", "address", "person_name"}
)
#: Types whose values are kept as text after cleaning.
TEXT_TYPES: Final[frozenset[FieldType]] = frozenset(
    {"text", "enum", "id_number", "uscc", "mobile", "plate", "address", "person_name"}
)
RANGE_TYPES: Final[frozenset[FieldType]] = frozenset({"int", "decimal", "date", "datetime"})

DEFAULT_PRECISION: Final = 18
DEFAULT_SCALE: Final = 2
MAX_PRECISION: Final = 38

# A bound as parsed for its field's type.
Bound: TypeAlias = int | Decimal | date | datetime

_KNOWN_KEYS: Final = frozenset(
    {
        "name",
        "type",
        "class",
        "required",
        "unique",
        "values",
        "min",
        "max",
        "pattern",
        "masking",
        "format",
        "precision",
        "scale",
    }
)
_NAME = re.compile(r"[^\x00-\x1f]{1,128}")


class SchemaError(ValueError):
    """A schema document that cannot be used; the message names the field and the key."""


@dataclass(frozen=True, slots=True)
class FieldSpec:
    name: str
    type: FieldType
    field_class: FieldClass
    required: bool = False
    unique: bool = False
    values: tuple[str, ...] | None = None
    min: Bound | None = None
    max: Bound | None = None
    pattern: str | None = None
    masking: str | None = None
    format: str | None = None
    precision: int = DEFAULT_PRECISION
    scale: int = DEFAULT_SCALE
    extra: Mapping[str, Any] = field(default_factory=dict, compare=False, hash=False)

    @property
    def is_identifier(self) -> bool:
        return self.field_class == "identifier"

    @property
    def arrow_type(self) -> pa.DataType:
        """The type of the cleaned, validated column (before tokenization)."""
        return arrow_type(self.type, precision=self.precision, scale=self.scale)

    @classmethod
    def from_json(cls, document: Mapping[str, Any], *, position: int = 0) -> FieldSpec:
        if not isinstance(document, Mapping):
            raise SchemaError(f"field #{position + 1}: expected an object")
        name = document.get("name")
        if not isinstance(name, str) or not _NAME.fullmatch(name) or name != name.strip():
            raise SchemaError(f"field #{position + 1}: 'name' must be a non-empty string")
        where = f"field {name!r}"
        kind = document.get("type")
        if kind not in FIELD_TYPES:
            raise SchemaError(
                f"{where}: unknown type {kind!r} (expected one of: {', '.join(FIELD_TYPES)})"
            )
        field_type = cast(FieldType, kind)
        default_class: FieldClass = "identifier" if field_type in IDENTIFIER_TYPES else "internal"
        klass = document.get("class", default_class)
        if klass not in FIELD_CLASSES:
            raise SchemaError(
                f"{where}: unknown class {klass!r} (expected one of: {', '.join(FIELD_CLASSES)})"
            )
        if field_type in IDENTIFIER_TYPES and klass != "identifier":
            # The class follows the type: a personal field is never stored in plaintext.
            raise SchemaError(
                f"{where}: the personal type {field_type} must have class 'identifier', "
                f"not {klass!r}"
            )
        required = _flag(document, "required", where)
        unique = _flag(document, "unique", where)

        values = document.get("values")
        if values is not None:
            if (
                isinstance(values, str | bytes)
                or not isinstance(values, Sequence)
                or not values
                or not all(isinstance(v, str) and v for v in values)
            ):
                raise SchemaError(f"{where}: 'values' must be a non-empty list of strings")
            values = tuple(values)
        elif field_type == "enum":
            raise SchemaError(f"{where}: an enum needs its allowed 'values'")

        precision = _small_int(document, "precision", DEFAULT_PRECISION, where, 1, MAX_PRECISION)
        scale = _small_int(document, "scale", DEFAULT_SCALE, where, 0, precision)

        bounds: dict[str, Bound | None] = {}
        for key in ("min", "max"):
            raw = document.get(key)
            if raw is None:
                bounds[key] = None
            elif field_type not in RANGE_TYPES:
                raise SchemaError(f"{where}: '{key}' applies to int, decimal, date, datetime")
            else:
                bounds[key] = _bound(raw, field_type, f"{where}: '{key}'")
        low, high = bounds["min"], bounds["max"]
        if low is not None and high is not None and low > high:  # type: ignore[operator]
            raise SchemaError(f"{where}: 'min' is greater than 'max'")

        pattern = _optional_str(document, "pattern", where)
        if pattern is not None:
            _check_pattern(pattern, where)
        extra = {k: v for k, v in document.items() if k not in _KNOWN_KEYS}
        return cls(
            name=name,
            type=field_type,
            field_class=cast(FieldClass, klass),
            required=required,
            unique=unique,
            values=values,
            min=low,
            max=high,
            pattern=pattern,
            masking=_optional_str(document, "masking", where),
            format=_optional_str(document, "format", where),
            precision=precision,
            scale=scale,
            extra=extra,
        )

    def to_json(self) -> dict[str, Any]:
        document: dict[str, Any] = {
            "name": self.name,
            "type": self.type,
            "class": self.field_class,
            "required": self.required,
            "unique": self.unique,
        }
        if self.values is not None:
            document["values"] = list(self.values)
        for key, bound in (("min", self.min), ("max", self.max)):
            if bound is not None:
                document[key] = bound.isoformat() if isinstance(bound, date) else str(bound)
        for key, value in (
            ("pattern", self.pattern),
            ("masking", self.masking),
            ("format", self.format),
        ):
            if value is not None:
                document[key] = value
        if self.type == "decimal":
            document["precision"] = self.precision
            document["scale"] = self.scale
        return {**self.extra, **document}


@dataclass(frozen=True, slots=True)
class DatasetSchema:
    fields: tuple[FieldSpec, ...]
    extra: Mapping[str, Any] = field(default_factory=dict, compare=False, hash=False)

    def __post_init__(self) -> None:
        if not self.fields:
            raise SchemaError("a schema needs at least one field")
        seen: set[str] = set()
        for spec in self.fields:
            if spec.name in seen:
                raise SchemaError(f"field {spec.name!r} is declared twice")
            seen.add(spec.name)

    @classmethod
    def from_json(cls, document: Mapping[str, Any]) -> DatasetSchema:
        if not isinstance(document, Mapping):
            raise SchemaError("a schema is a JSON object with a 'fields' list")
        fields = document.get("fields")
        if isinstance(fields, str | bytes) or not isinstance(fields, Sequence):
            raise SchemaError("a schema is a JSON object with a 'fields' list")
        specs = tuple(FieldSpec.from_json(f, position=i) for i, f in enumerate(fields))
        extra = {k: v for k, v in document.items() if k != "fields"}
        return cls(fields=specs, extra=extra)

    @classmethod
    def from_arrow(cls, schema: pa.Schema) -> DatasetSchema:
        """A schema from Arrow field metadata ``type`` and ``field_class``, as the demo
        city's source files carry; a field without metadata is internal text."""
        specs = []
        for position, arrow_field in enumerate(schema):
            meta = {k.decode(): v.decode() for k, v in (arrow_field.metadata or {}).items()}
            document: dict[str, Any] = {"name": arrow_field.name, "type": "text"}
            if "type" in meta:
                document["type"] = meta["type"]
            if "field_class" in meta:
                document["class"] = meta["field_class"]
            if document["type"] == "enum":
                document["type"] = "text"  # the allowed values are not in the metadata
            if pa.types.is_decimal(arrow_field.type):
                document["precision"] = arrow_field.type.precision
                document["scale"] = arrow_field.type.scale
            specs.append(FieldSpec.from_json(document, position=position))
        return cls(fields=tuple(specs))

    def to_json(self) -> dict[str, Any]:
        return {**self.extra, "fields": [f.to_json() for f in self.fields]}

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(f.name for f in self.fields)

    def field(self, name: str) -> FieldSpec:
        for spec in self.fields:
            if spec.name == name:
                return spec
        raise KeyError(name)


def arrow_type(
    field_type: FieldType, *, precision: int = DEFAULT_PRECISION, scale: int = DEFAULT_SCALE
) -> pa.DataType:
    """The Arrow type a cleaned value of this field type is stored as."""
    if field_type == "int":
        return pa.int64()
    if field_type == "decimal":
        return pa.decimal128(precision, scale)
    if field_type == "date":
        return pa.date32()
    if field_type == "datetime":
        return pa.timestamp("ms", tz="UTC")
    if field_type == "bool":
        return pa.bool_()
    return pa.string()


def _flag(document: Mapping[str, Any], key: str, where: str) -> bool:
    value = document.get(key, False)
    if not isinstance(value, bool):
        raise SchemaError(f"{where}: '{key}' must be true or false")
    return value


def _optional_str(document: Mapping[str, Any], key: str, where: str) -> str | None:
    value = document.get(key)
    if value is not None and (not isinstance(value, str) or not value):
        raise SchemaError(f"{where}: '{key}' must be a non-empty string")
    return value


def _small_int(
    document: Mapping[str, Any], key: str, default: int, where: str, low: int, high: int
) -> int:
    value = document.get(key, default)
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise SchemaError(f"{where}: '{key}' must be an integer from {low} to {high}")
    return value


def _bound(raw: Any, field_type: FieldType, where: str) -> Bound:
    """A min/max bound parsed for its type; JSON numbers and strings are both accepted."""
    try:
        if field_type == "int":
            if isinstance(raw, bool) or not isinstance(raw, int | str):
                raise ValueError
            return int(raw)
        if field_type == "decimal":
            if isinstance(raw, bool) or not isinstance(raw, int | float | str):
                raise ValueError
            number = Decimal(str(raw))
            if not number.is_finite():
                raise ValueError
            return number
        if not isinstance(raw, str):
            raise ValueError
        if field_type == "date":
            return date.fromisoformat(raw)
        moment = datetime.fromisoformat(raw)
        if moment.tzinfo is None:
            raise SchemaError(f"{where} must carry a time zone offset, e.g. +08:00")
        return moment.astimezone(UTC)
    except (ValueError, InvalidOperation) as error:
        if isinstance(error, SchemaError):
            raise
        raise SchemaError(f"{where} is not a valid {field_type}: {raw!r}") from None


def _check_pattern(pattern: str, where: str) -> None:
    """Compile the pattern with the engine that runs it (RE2, through Arrow)."""
    try:
        pc.match_substring_regex(pa.array([""], pa.string()), pattern=pattern)
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError) as error:
        raise SchemaError(f"{where}: 'pattern' is not a valid RE2 expression: {error}") from None
