"""What a product's spec says, read for the declaration, the market and N2.

The spec itself is ``guard.product_specs`` (the contract between declaring a product here
and running it in the guard). This module parses a declared spec, derives what a buyer
sees of it (the inputs and the output schema, a JSON Schema) and whose data a call is
about (the subject input and its kind), and normalises it for N2: the ``fingerprint`` is
the SM3 of what the product *does* (type, resources read, the normalised spec and output)
with what only names it left out (titles, labels, blanks and case in SQL), so the same
product under another name or with its inputs retitled is still the same product.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Final

from pydantic import TypeAdapter, ValidationError

from sluice.core.canonical import canonical_digest
from sluice.core.errors import InvalidInput
from sluice.core.i18n import add_messages
from sluice.guard.product_specs import (
    DatasetSpec,
    InputField,
    ProductSpec,
    ScoreSpec,
    StatisticsSpec,
    SubjectKind,
    VerificationSpec,
)

Spec = VerificationSpec | StatisticsSpec | ScoreSpec | DatasetSpec

#: The input types that name a data subject, and whose subject they name.
SUBJECT_TYPES: Final[dict[str, SubjectKind]] = {"id_number": "person", "uscc": "enterprise"}

_ADAPTER: Final = TypeAdapter[Spec](ProductSpec)

add_messages(
    {
        "products.spec.invalid": (
            "产品规格不符合“{type}”类型的要求：{problem}",
            "The spec is not a valid “{type}” spec: {problem}",
        ),
        "products.spec.kind": (
            "产品规格的类型“{kind}”与产品类型“{type}”不一致。",
            "The spec is of kind “{kind}” but the product is of type “{type}”.",
        ),
        "products.spec.subject": (
            "主体输入“{input}”的类型应为身份证号（id_number）或统一社会信用代码（uscc），"
            "不能是“{field_type}”。",
            "The subject input “{input}” must be of type id_number or uscc, not “{field_type}”.",
        ),
        "products.spec.subject_unknown": (
            "主体输入“{input}”不在输入项中。",
            "The subject input “{input}” is not one of the inputs.",
        ),
        "problem.spec_invalid": ("产品定义无法执行", "Product definition invalid"),
    }
)


def parse(product_type: str, raw: Mapping[str, Any] | Spec) -> Spec:
    """The spec as its type's model (``spec_invalid`` naming the first problem); a spec
    without ``kind`` takes the product's type."""
    if isinstance(raw, VerificationSpec | StatisticsSpec | ScoreSpec | DatasetSpec):
        spec: Spec = raw
    else:
        data = dict(raw)
        data.setdefault("kind", product_type)
        try:
            spec = _ADAPTER.validate_python(data)
        except ValidationError as error:
            first = error.errors()[0]
            where = ".".join(str(part) for part in first["loc"][1:]) or "spec"
            raise InvalidInput(
                "products.spec.invalid",
                problem_code="spec_invalid",
                type=product_type,
                problem=f"{where}: {first['msg']}",
                errors=[{"field": "spec", "loc": list(first["loc"]), "msg": first["msg"]}],
            ) from None
    if spec.kind != product_type:
        raise InvalidInput(
            "products.spec.kind", problem_code="spec_invalid", kind=spec.kind, type=product_type
        )
    subject(spec)  # a subject of the wrong type is refused here already
    return spec


def inputs(spec: Spec) -> list[InputField]:
    """What a buyer sends."""
    if isinstance(spec, VerificationSpec):
        return list(spec.inputs)
    if isinstance(spec, StatisticsSpec):
        return list(spec.parameters)
    if isinstance(spec, ScoreSpec):
        return [spec.subject]
    return []


@dataclass(frozen=True)
class Subject:
    input: str
    kind: SubjectKind


def subject(spec: Spec) -> Subject | None:
    """The input naming the data subject and its kind; None for a product about no one."""
    field: InputField | None
    if isinstance(spec, VerificationSpec):
        field = next((i for i in spec.inputs if i.name == spec.subject), None)
        if field is None:
            raise InvalidInput(
                "products.spec.subject_unknown", problem_code="spec_invalid", input=spec.subject
            )
    elif isinstance(spec, ScoreSpec):
        field = spec.subject
    else:
        return None
    kind = SUBJECT_TYPES.get(field.type)
    if kind is None:
        raise InvalidInput(
            "products.spec.subject",
            problem_code="spec_invalid",
            input=field.name,
            field_type=field.type,
        )
    return Subject(field.name, kind)


def output_schema(spec: Spec, *, columns: Sequence[Mapping[str, str]] = ()) -> dict[str, Any]:
    """What a buyer gets back, as a JSON Schema (``columns``: a dataset's, from its export)."""
    if isinstance(spec, VerificationSpec):
        answers = [*(spec.answer_values or []), "no_match"] if spec.answer_column else None
        return {
            "type": "object",
            "properties": {
                "result": {"type": "string", "enum": answers or ["match", "no_match"]},
            },
            "required": ["result"],
            "additionalProperties": False,
        }
    if isinstance(spec, StatisticsSpec):
        return {
            "type": "object",
            "properties": {
                "columns": {"type": "array", "items": {"type": "string"}},
                "rows": {"type": "array", "items": {"type": "array"}},
                "suppressed": {"type": "integer", "minimum": 0},
            },
            "required": ["columns", "rows", "suppressed"],
            "additionalProperties": False,
            "dimensions": list(spec.dimensions),
        }
    if isinstance(spec, ScoreSpec):
        low, high = spec.score_range
        return {
            "type": "object",
            "properties": {
                "score": {"type": "integer", "minimum": low, "maximum": high},
                "reasons": {
                    "type": "array",
                    "items": {
                        "type": "object",
                        "properties": {
                            "code": {"type": "string", "enum": sorted(spec.reasons)},
                            "label": {"type": "string"},
                        },
                        "required": ["code", "label"],
                    },
                },
            },
            "required": ["score", "reasons"],
            "additionalProperties": False,
        }
    return {
        "type": "string",
        "contentMediaType": "text/csv",
        "columns": [{"name": c["name"], "type": c["type"]} for c in columns],
    }


def _sql(text: str) -> str:
    """SQL as N2 compares it: blanks collapsed, case folded (a different layout or case of
    the same query is the same query)."""
    return " ".join(text.split()).casefold()


def _normal(spec: Spec, dataset_query: str | None) -> dict[str, Any]:
    if isinstance(spec, VerificationSpec):
        types = {i.name: i.type for i in spec.inputs}
        return {
            "view": spec.view,
            "subject": types.get(spec.subject),
            "match": sorted([types.get(name, "?"), column] for name, column in spec.match.items()),
            "answer_column": spec.answer_column,
            "answer_values": sorted(spec.answer_values or []),
        }
    if isinstance(spec, StatisticsSpec):
        return {
            "sql": _sql(spec.sql),
            "parameters": sorted(p.type for p in spec.parameters),
            "dimensions": sorted(spec.dimensions),
        }
    if isinstance(spec, ScoreSpec):
        return {
            "sql": _sql(spec.sql),
            "subject": spec.subject.type,
            "reasons": sorted(spec.reasons),
            "range": list(spec.score_range),
        }
    return {"query": dataset_query}


def fingerprint(
    spec: Spec,
    *,
    resource_ids: Iterable[uuid.UUID],
    output: Mapping[str, Any],
    dataset_query: str | None = None,
) -> str:
    """SM3 of what the product does (``dataset_query``: the SM3 of a dataset's export SQL,
    so another export of the same query is the same dataset)."""
    return canonical_digest(
        {
            "type": spec.kind,
            "resources": sorted(str(r) for r in resource_ids),
            "spec": _normal(spec, dataset_query),
            "output": dict(output),
        }
    )
