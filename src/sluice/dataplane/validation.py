"""Vectorized validation: for every row, which (field, rule) pairs it fails.

Cleaning comes first (``cleaning.clean_column``), so a value that is valid once cleaned
is not a failure. An empty cell fails only ``required``; in an optional field it fails
nothing. The rules of a field, by name:

- ``required``: the field is required and the cell is empty;
- the **type rule**, named after the type (``int``, ``decimal``, ``date``,
  ``datetime``, ``bool``, ``id_number``, ``uscc``, ``mobile``, ``plate``, ``address``,
  ``person_name``; ``text`` has none and ``enum`` is checked by the ``enum`` rule):
  the value does not parse, or fails its check (GB 11643 check character and birth date,
  GB 32100 check character, ``1[3-9]`` and 9 more digits, a Chinese plate including
  new-energy plates, at least one Chinese character, a Chinese or Latin name);
- ``range``: a parsed ``int``/``decimal``/``date``/``datetime`` below ``min`` or above
  ``max`` (both inclusive);
- ``enum``: the cleaned value is not one of ``values``;
- ``pattern``: the cleaned value does not match ``pattern`` as a whole;
- ``unique``: the value already occurred in an earlier row. The first occurrence passes
  and every later one fails, so removing the failing rows leaves each value once. Values
  are compared after cleaning (and parsing: ``2024/1/5`` repeats ``2024-01-05``); a value
  that fails its type rule is not compared by a parsed type.

A row that fails any rule is rejected, and its reasons are ``"<field>:<rule>"`` strings.
Rows the reader could not parse are rejected with the reason ``_row:malformed_row`` and
counted under the pseudo-field ``"_row"``.
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any, Final

import numpy as np
import numpy.typing as npt
import pyarrow as pa
import pyarrow.compute as pc

from sluice.core.checksums import valid_ric, valid_uscc
from sluice.dataplane.cleaning import (
    Cleaned,
    clean_column,
    fixed_width_bytes,
    string_buffers,
    valid_mask,
)
from sluice.dataplane.readers import MALFORMED_ROW, SourceError, SourceTable
from sluice.dataplane.schema import RANGE_TYPES, DatasetSchema, FieldSpec
from sluice.dataplane.tokens import fingerprints

ROW_FIELD: Final = "_row"
#: Rules in the order they are reported; the type rule sits where ``"type"`` is.
RULE_ORDER: Final = ("required", "type", "range", "enum", "pattern", "unique")
#: Rules that measure completeness and consistency; every other rule measures accuracy.
COMPLETENESS_RULES: Final = frozenset({"required"})
CONSISTENCY_RULES: Final = frozenset({"unique", "consistency"})
SAMPLE_ROWS: Final = 5
#: Rows per chunk of work: bounds temporaries and keeps offsets within 32 bits.
CHUNK_ROWS: Final = 1 << 20
THREADS: Final = 2

_PLATE_PROVINCES: Final = "京津沪渝冀豫云辽黑湘皖鲁新苏浙赣鄂桂甘晋蒙陕吉闽贵粤青藏川宁琼"
_PLATE_LETTER: Final = "A-HJ-NP-Z"  # no I or O on plates
PLATE_PATTERN: Final = (
    rf"^[{_PLATE_PROVINCES}][{_PLATE_LETTER}]"
    rf"(?:[{_PLATE_LETTER}0-9]{{4}}[{_PLATE_LETTER}0-9挂学警港澳]"  # ordinary, 7 characters
    rf"|[DABCEFGHJK][{_PLATE_LETTER}0-9][0-9]{{4}}"  # small new-energy car, 8
    r"|[0-9]{5}[DABCEFGHJK])$"  # large new-energy vehicle, 8
)
NAME_PATTERN: Final = r"^(?:\p{Han}[\p{Han}·]{0,30}\p{Han}|[A-Za-z][A-Za-z .'\-]{0,62}[A-Za-z.])$"
ADDRESS_PATTERN: Final = r"^.{0,199}\p{Han}.{0,199}$"
ADDRESS_MIN_CHARS: Final = 2
_PARSED_TYPES: Final = frozenset({"int", "decimal", "date", "datetime", "bool"})

Bools = npt.NDArray[np.bool_]


class MissingColumns(SourceError):
    """The source lacks columns that required fields need."""

    def __init__(self, missing: Sequence[str]) -> None:
        self.missing = tuple(missing)
        super().__init__(f"the source has no column for required field(s): {', '.join(missing)}")


@dataclass(frozen=True, slots=True)
class FieldStats:
    """Cell counts of one field, over the rows that parsed."""

    present: int = 0
    missing_required: int = 0
    #: Non-empty cells failing the type, range, enum or pattern rule (each cell once).
    accuracy_failed: int = 0
    #: Non-empty cells compared for uniqueness, and those that repeat an earlier one.
    unique_checked: int = 0
    unique_failed: int = 0


@dataclass(frozen=True, slots=True)
class CheckResult:
    """What validation found. ``as_json`` is the CLI's answer; the rest feeds ingestion
    (which rows to keep) and the quality report."""

    rows_total: int
    rows_rejected: int
    failures: dict[str, dict[str, int]]
    samples: dict[str, dict[str, list[int]]]
    stats: dict[str, FieldStats]
    required_fields: tuple[str, ...]
    #: Over the parsed rows, in source order: their row numbers and which are rejected.
    row_numbers: pa.Array = field(repr=False)
    rejected: Bools = field(repr=False)
    #: ``list<string>`` reasons of each rejected parsed row, in source order.
    reasons: pa.Array = field(repr=False)
    #: The reader's malformed rows (``row_number``, ``raw_text``).
    malformed: pa.Table = field(repr=False)

    @property
    def rows_parsed(self) -> int:
        return len(self.rejected)

    @property
    def rows_accepted(self) -> int:
        return self.rows_total - self.rows_rejected

    def as_json(self) -> dict[str, Any]:
        """``{"rows_total", "rows_rejected", "failures": {field: {rule: count}}}``;
        malformed rows appear as ``failures["_row"]["malformed_row"]``."""
        return {
            "rows_total": self.rows_total,
            "rows_rejected": self.rows_rejected,
            "failures": {name: dict(rules) for name, rules in self.failures.items()},
        }


@dataclass(frozen=True, slots=True)
class Validated:
    """A check's result and the cleaned columns it checked (for ingestion)."""

    result: CheckResult
    cleaned: Mapping[str, CleanedColumn]


@dataclass(frozen=True, slots=True)
class CleanedColumn:
    """One field cleaned over all parsed rows, chunk by chunk."""

    text: pa.ChunkedArray
    value: pa.ChunkedArray


def check(
    table: pa.Table,
    schema: DatasetSchema,
    *,
    row_numbers: pa.Array | None = None,
    malformed: pa.Table | None = None,
    threads: int = THREADS,
) -> CheckResult:
    """Clean and validate a table of strings (rows numbered 1..N unless given)."""
    numbers = row_numbers
    if numbers is None:
        numbers = pa.array(np.arange(1, table.num_rows + 1, dtype=np.int64))
    source = SourceTable(
        table=table,
        row_numbers=numbers,
        malformed=malformed if malformed is not None else _no_malformed(),
        format="sql",
    )
    return validate(source, schema, threads=threads).result


def validate(source: SourceTable, schema: DatasetSchema, *, threads: int = THREADS) -> Validated:
    """Clean every field of a source and check it; see the module docstring."""
    table = source.table
    missing = [f.name for f in schema.fields if f.required and f.name not in table.column_names]
    if missing:
        raise MissingColumns(missing)
    rows = table.num_rows
    batches = table.to_batches(max_chunksize=CHUNK_ROWS)

    def column(spec: FieldSpec) -> list[pa.Array]:
        if spec.name not in table.column_names:
            return [pa.nulls(len(b), pa.string()) for b in batches] or [pa.array([], pa.string())]
        index = table.schema.get_field_index(spec.name)
        return [b.column(index) for b in batches] or [pa.array([], pa.string())]

    def work(spec: FieldSpec) -> _FieldOutcome:
        return _check_field(spec, column(spec))

    with ThreadPoolExecutor(max_workers=max(threads, 1)) as pool:
        outcomes = list(pool.map(work, schema.fields))

    numbers = np.asarray(source.row_numbers.to_numpy(zero_copy_only=False), dtype=np.int64)
    failures: dict[str, dict[str, int]] = {}
    samples: dict[str, dict[str, list[int]]] = {}
    labels: list[str] = []
    masks: list[Bools] = []
    for spec, outcome in zip(schema.fields, outcomes, strict=True):
        for rule, mask in outcome.masks.items():
            count = int(mask.sum())
            if not count:
                continue
            failures.setdefault(spec.name, {})[rule] = count
            first = np.flatnonzero(mask)[:SAMPLE_ROWS]
            samples.setdefault(spec.name, {})[rule] = [int(n) for n in numbers[first]]
            labels.append(f"{spec.name}:{rule}")
            masks.append(mask)
    rejected = np.logical_or.reduce(masks) if masks else np.zeros(rows, dtype=bool)
    reasons = _reasons(labels, masks, rejected)
    bad = source.malformed
    if bad.num_rows:
        failures[ROW_FIELD] = {MALFORMED_ROW: int(bad.num_rows)}
        first_bad = bad.column("row_number").to_pylist()[:SAMPLE_ROWS]
        samples[ROW_FIELD] = {MALFORMED_ROW: [int(n) for n in first_bad]}
    result = CheckResult(
        rows_total=source.rows_total,
        rows_rejected=int(rejected.sum()) + int(bad.num_rows),
        failures=failures,
        samples=samples,
        stats={spec.name: o.stats for spec, o in zip(schema.fields, outcomes, strict=True)},
        required_fields=tuple(f.name for f in schema.fields if f.required),
        row_numbers=source.row_numbers,
        rejected=rejected,
        reasons=reasons,
        malformed=bad,
    )
    cleaned = {
        spec.name: CleanedColumn(
            text=pa.chunked_array([c.text for c in o.chunks], pa.string()),
            value=pa.chunked_array([c.value for c in o.chunks], spec.arrow_type),
        )
        for spec, o in zip(schema.fields, outcomes, strict=True)
    }
    return Validated(result=result, cleaned=cleaned)


def _no_malformed() -> pa.Table:
    return pa.table({"row_number": pa.array([], pa.int64()), "raw_text": pa.array([], pa.string())})


@dataclass(frozen=True, slots=True)
class _FieldOutcome:
    chunks: list[Cleaned]
    masks: dict[str, Bools]
    stats: FieldStats


def _check_field(spec: FieldSpec, chunks: Sequence[pa.Array]) -> _FieldOutcome:
    cleaned = [clean_column(chunk, spec) for chunk in chunks]
    parts: dict[str, list[Bools]] = {}
    for item in cleaned:
        for rule, mask in _chunk_masks(spec, item).items():
            parts.setdefault(rule, []).append(mask)
    masks = {rule: np.concatenate(pieces) for rule, pieces in parts.items()}
    present = np.concatenate([valid_mask(c.text) for c in cleaned])
    if spec.unique:
        masks["unique"] = _repeats(spec, cleaned)
    accuracy = [m for rule, m in masks.items() if rule not in ("required", "unique")]
    stats = FieldStats(
        present=int(present.sum()),
        missing_required=int(masks["required"].sum()) if "required" in masks else 0,
        accuracy_failed=int(np.logical_or.reduce(accuracy).sum()) if accuracy else 0,
        unique_checked=int(present.sum()) if spec.unique else 0,
        unique_failed=int(masks["unique"].sum()) if "unique" in masks else 0,
    )
    order = {rule: i for i, rule in enumerate(RULE_ORDER)}
    ordered = dict(sorted(masks.items(), key=lambda item: order.get(item[0], order["type"])))
    return _FieldOutcome(chunks=cleaned, masks=ordered, stats=stats)


def _chunk_masks(spec: FieldSpec, cleaned: Cleaned) -> dict[str, Bools]:
    """The failure masks of one chunk, by rule (absent rules have no entry)."""
    text, value = cleaned.text, cleaned.value
    present = valid_mask(text)
    masks: dict[str, Bools] = {}
    if spec.required:
        masks["required"] = ~present
    type_ok = type_check(spec, text, value)
    if type_ok is not None:
        masks[spec.type] = present & ~type_ok
    if spec.type in RANGE_TYPES and (spec.min is not None or spec.max is not None):
        masks["range"] = _out_of_range(spec, value)
    if spec.values is not None:
        allowed = pc.is_in(text, value_set=pa.array(spec.values, pa.string()))
        masks["enum"] = present & ~_bools(pc.fill_null(allowed, True))
    if spec.pattern is not None:
        matched = pc.match_substring_regex(text, pattern=f"^(?:{spec.pattern})$")
        masks["pattern"] = present & ~_bools(pc.fill_null(matched, True))
    return masks


def type_check(spec: FieldSpec, text: pa.Array, value: pa.Array) -> Bools | None:
    """Whether each non-empty value passes its type rule (``None``: the type has none).

    The result is meaningful only where ``text`` is not null.
    """
    kind = spec.type
    if kind in ("text", "enum"):
        return None
    if kind in _PARSED_TYPES:
        return valid_mask(value)
    if kind == "id_number":
        return valid_ric(text)
    if kind == "uscc":
        return valid_uscc(text)
    if kind == "mobile":
        return valid_mobile(text)
    if kind == "plate":
        return _matches(text, PLATE_PATTERN)
    if kind == "person_name":
        return valid_name(text)
    if kind == "address":
        length = pc.utf8_length(text)
        long_enough = _bools(pc.fill_null(pc.greater_equal(length, ADDRESS_MIN_CHARS), False))
        return long_enough & _matches(text, ADDRESS_PATTERN)
    raise AssertionError(kind)  # pragma: no cover - FIELD_TYPES is closed


def valid_mobile(text: pa.Array) -> Bools:
    """Mainland mobile numbers: 11 digits, ``1`` then ``3``–``9``. Bytes, not a regex:
    the first eight are checked as one 64-bit word (SWAR), the last three one by one."""
    matrix, selected = fixed_width_bytes(text, 11)
    ok = np.zeros(len(text), dtype=bool)
    rows = matrix.shape[0]
    if rows:
        flat = np.ascontiguousarray(matrix).reshape(-1)
        word = np.ndarray((rows,), "<u8", flat, 0, (11,)).astype(np.uint64)
        nibbles, threes = np.uint64(0xF0F0F0F0F0F0F0F0), np.uint64(0x3030303030303030)
        with np.errstate(over="ignore"):
            digits = ((word & nibbles) == threes) & (
                ((word + np.uint64(0x0606060606060606)) & nibbles) == threes
            )
        for column in (8, 9, 10):
            digits &= matrix[:, column] - np.uint8(ord("0")) <= 9
        second = matrix[:, 1]
        ok[selected] = digits & (matrix[:, 0] == ord("1")) & (second >= ord("3"))
    return ok


def valid_name(text: pa.Array) -> Bools:
    """``NAME_PATTERN``, with a byte-level fast path for the usual names: 2 to 32
    characters, all from the main CJK block (U+4E00–U+9FFF, three UTF-8 bytes each).
    Rows the fast path does not settle (a ``·``, Latin letters) go to the regex."""
    n = len(text)
    offsets, data = string_buffers(text)
    lengths = np.diff(offsets).astype(np.int64)
    present = valid_mask(text)
    ok = np.zeros(n, dtype=bool)
    body = data[int(offsets[0]) : int(offsets[-1])] if n else data[:0]
    if n and body.size % 3 == 0 and not (lengths % 3).any():
        # Every row starts at a multiple of 3 in the body, so the body is whole triples.
        triples = body.reshape(-1, 3)
        lead, second, third = triples[:, 0], triples[:, 1], triples[:, 2]
        han = ((lead >= 0xE5) & (lead <= 0xE9)) | ((lead == 0xE4) & (second >= 0xB8))
        han &= (second >= 0x80) & (second <= 0xBF) & (third >= 0x80) & (third <= 0xBF)
        others = np.concatenate([[0], np.cumsum(~han, dtype=np.int64)])
        first = (offsets[:-1].astype(np.int64) - int(offsets[0])) // 3
        chars = lengths // 3
        ok = present & (others[first + chars] == others[first]) & (chars >= 2) & (chars <= 32)
    rest = present & ~ok
    if rest.any():
        matched = _matches(text.filter(pa.array(rest)), NAME_PATTERN)
        ok[np.flatnonzero(rest)] = matched
    return ok


def _matches(text: pa.Array, pattern: str) -> Bools:
    return _bools(pc.fill_null(pc.match_substring_regex(text, pattern=pattern), False))


def _out_of_range(spec: FieldSpec, value: pa.Array) -> Bools:
    kind = spec.arrow_type
    outside = np.zeros(len(value), dtype=bool)
    if spec.min is not None:
        below = pc.less(value, pa.scalar(spec.min, kind))
        outside |= _bools(pc.fill_null(below, False))
    if spec.max is not None:
        above = pc.greater(value, pa.scalar(spec.max, kind))
        outside |= _bools(pc.fill_null(above, False))
    return outside


def _repeats(spec: FieldSpec, cleaned: Sequence[Cleaned]) -> Bools:
    """Rows whose value occurred in an earlier row (first occurrences pass)."""
    key = os.urandom(16)  # a fresh key per check: nobody can aim at a collision
    blocks = [_fingerprint(spec, item, key) for item in cleaned]
    present = np.concatenate(
        [valid_mask(_canonical(spec, item)) for item in cleaned] or [np.zeros(0, dtype=bool)]
    )
    return repeated_rows(blocks, present)


def _canonical(spec: FieldSpec, item: Cleaned) -> pa.Array:
    return item.value if spec.type in _PARSED_TYPES else item.text


def _fingerprint(spec: FieldSpec, item: Cleaned, key: bytes) -> npt.NDArray[np.uint8]:
    """16 bytes per row, equal exactly when the canonical values are equal."""
    value = _canonical(spec, item)
    kind = value.type
    if pa.types.is_string(kind):
        return fingerprints(value, key)
    # Parsed values compare by their fixed-width bytes (date32, int64, decimal128 …).
    if pa.types.is_boolean(kind):
        value = pc.cast(value, pa.int8())
    width = value.type.bit_width // 8
    raw = np.frombuffer(value.buffers()[1], dtype=np.uint8)
    start = value.offset * width
    out = np.zeros((len(value), 16), dtype=np.uint8)
    out[:, :width] = raw[start : start + len(value) * width].reshape(-1, width)
    return out


def repeated_rows(blocks: Sequence[npt.NDArray[np.uint8]], present: Bools) -> Bools:
    """Given 16 bytes per row (in chunks) that are equal exactly when the values are, the
    present rows whose value occurred in an earlier row.

    Each row's bytes are mixed into a 64-bit number whose low bits are replaced by the
    row's index, and the numbers sorted (sorting numbers is far cheaper than hashing
    strings): rows whose mixes share the high bits are the candidates, nearly all true
    repeats. Only the candidates are then compared exactly, ordered by (value, row).
    Temporaries are made chunk by chunk: fresh ten-million-row arrays cost more in page
    faults than the arithmetic on them.
    """
    n = present.shape[0]
    repeats = np.zeros(n, dtype=bool)
    if int(np.count_nonzero(present)) < 2:
        return repeats
    index_bits = np.uint64(max(int(n - 1).bit_length(), 1))
    low_mask = (np.uint64(1) << index_bits) - np.uint64(1)
    tagged = np.empty(n, dtype=np.uint64)
    start = 0
    for chunk in blocks:
        stop = start + chunk.shape[0]
        mixed = _mix(chunk)
        mixed >>= index_bits
        mixed <<= index_bits
        mixed |= np.arange(start, stop, dtype=np.uint64)
        tagged[start:stop] = mixed
        start = stop
    # Absent rows get the largest tags: they sort last and are dropped below.
    if not present.all():
        tagged[~present] = ~low_mask | np.flatnonzero(~present).astype(np.uint64)
    tagged.sort()
    flags = np.zeros(n, dtype=bool)
    for begin in range(0, n - 1, CHUNK_ROWS):
        end = min(begin + CHUNK_ROWS, n - 1)
        same = (tagged[begin + 1 : end + 1] >> index_bits) == (tagged[begin:end] >> index_bits)
        flags[begin + 1 : end + 1] |= same
        flags[begin:end] |= same
    if not flags.any():
        return repeats
    candidates = (tagged[flags] & low_mask).astype(np.int64)
    candidates = candidates[present[candidates]]
    words = _rows_of(blocks, candidates).view(np.uint64)
    high, low = words[:, 0], words[:, 1]
    order = np.lexsort((candidates, low, high))
    equal = (high[order[1:]] == high[order[:-1]]) & (low[order[1:]] == low[order[:-1]])
    repeats[candidates[order[1:]][equal]] = True
    return repeats


def _mix(chunk: npt.NDArray[np.uint8]) -> npt.NDArray[np.uint64]:
    """A 64-bit mix of each 16-byte row (multiply-xorshift; not a secret, just spread)."""
    words = np.ascontiguousarray(chunk).view(np.uint64)
    with np.errstate(over="ignore"):
        mixed = words[:, 0] * np.uint64(0x9E3779B97F4A7C15)
        mixed ^= words[:, 1] * np.uint64(0xC2B2AE3D27D4EB4F)
        mixed ^= mixed >> np.uint64(29)
        mixed *= np.uint64(0xBF58476D1CE4E5B9)
    return mixed


def _rows_of(blocks: Sequence[npt.NDArray[np.uint8]], rows: npt.NDArray[np.int64]) -> Any:
    """The 16-byte rows at global positions ``rows`` of a chunked matrix."""
    bounds = np.cumsum([0, *(chunk.shape[0] for chunk in blocks)])
    which = np.searchsorted(bounds, rows, side="right") - 1
    out = np.empty((rows.shape[0], 16), dtype=np.uint8)
    for chunk_index in np.unique(which):
        here = which == chunk_index
        out[here] = blocks[chunk_index][rows[here] - bounds[chunk_index]]
    return out


def _reasons(labels: Sequence[str], masks: Sequence[Bools], rejected: Bools) -> pa.Array:
    """``list<string>`` of ``field:rule`` for each rejected row, in row order."""
    if not labels or not rejected.any():
        return pa.array([], pa.list_(pa.string()))
    matrix = np.stack([m[rejected] for m in masks], axis=1)
    per_row = matrix.sum(axis=1)
    offsets = np.concatenate([[0], np.cumsum(per_row)]).astype(np.int32)
    which = np.nonzero(matrix)[1]  # row-major: each row's rules in label order
    names = pa.array(labels, pa.string()).take(pa.array(which.astype(np.int32)))
    return pa.ListArray.from_arrays(pa.array(offsets), names)


def _bools(arr: Any) -> Bools:
    return np.asarray(arr.to_numpy(zero_copy_only=False), dtype=bool)
