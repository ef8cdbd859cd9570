"""The canonical form of a record that gets hashed or signed.

JSON with sorted keys, no insignificant whitespace, UTF-8 (Chinese text kept as text, not
``\\u`` escapes), dates and times in ISO 8601, UUIDs as strings. Floats are refused: a
signed agreement or certificate carries amounts as integer fen and ratios as integers, so
that two machines always produce the same bytes for the same record.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Mapping, Sequence
from datetime import date, datetime
from typing import Any

from sluice.core.ids import sm3_hex


def _normalize(value: Any) -> Any:
    if value is None or isinstance(value, bool | int | str):
        return value
    if isinstance(value, float):
        raise TypeError("floats have no canonical form here; use integers (fen, basis points)")
    if isinstance(value, datetime):
        if value.tzinfo is None:
            raise TypeError("naive datetimes have no canonical form; pass an aware datetime")
        return value.isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, uuid.UUID):
        return str(value)
    if isinstance(value, Mapping):
        return {str(k): _normalize(v) for k, v in value.items()}
    if isinstance(value, Sequence):
        return [_normalize(v) for v in value]
    raise TypeError(f"{type(value).__name__} has no canonical form")


def canonical_bytes(record: Mapping[str, Any]) -> bytes:
    return json.dumps(
        _normalize(record), ensure_ascii=False, sort_keys=True, separators=(",", ":")
    ).encode("utf-8")


def canonical_digest(record: Mapping[str, Any]) -> str:
    """SM3 of the canonical form, as hex: what a signature or a certificate names."""
    return sm3_hex(canonical_bytes(record))
