"""Vectorized cleaning: each source column becomes canonical text and a typed value.

Every step runs over whole Arrow arrays (pyarrow.compute kernels, or numpy over the
UTF-8 data buffer); nothing loops over rows in Python.

For every type, in this order:

1. full-width ASCII (U+FF01–U+FF5E) becomes half-width and the ideographic space
   (U+3000) an ordinary space;
2. surrounding whitespace is trimmed;
3. an empty string becomes null.

Then, by type:

- ``id_number``: spaces removed, lower-case ``x`` upper-cased;
- ``uscc``: spaces removed, upper-cased;
- ``mobile``: spaces, dashes and brackets removed, then a ``+86``, ``0086`` or ``86``
  prefix in front of an 11-digit number starting with 1 removed;
- ``plate``: upper-cased, spaces and the separators ``·•-.`` removed;
- ``person_name``: spaces between Chinese characters removed, ``•``/``・`` made ``·``
  (the separator of transliterated names), other runs of whitespace made one space;
- ``address``: runs of whitespace become one space;
- ``int``, ``decimal``: thousands separators (``1,234,567.8``) removed; parsed into
  ``int64`` and ``decimal128(precision, scale)`` (a value with more decimals than the
  scale is not rounded: it does not parse, and validation reports it);
- ``bool``: ``true/false``, ``t/f``, ``yes/no``, ``y/n``, ``1/0``, ``是/否``, ``√/×``
  (case-insensitive);
- ``date``: ``2024-01-05``, ``2024/1/5``, ``2024.01.05``, ``20240105``, ``2024年1月5日``
  (and the field's own ``format`` if it has one, tried first) into ``date32``; a midnight
  time after the date (``2024-01-05 00:00:00``, as spreadsheets and timestamp columns
  write dates) is accepted, any other time is not; impossible dates such as 2023-02-29
  do not parse;
- ``datetime``: a date as above, then ``T`` or spaces, ``HH:MM[:SS[.fraction]]`` and an
  optional ``Z`` or ``±HH:MM`` offset (also ``YYYYMMDDHHMMSS``); times without an offset
  are China Standard Time (UTC+8). Stored as ``timestamp[ms, UTC]``.

A field with allowed ``values`` (an enum's vocabulary) has them cleaned by the same
steps, and a value equal to one of them once both are cleaned is written as the
vocabulary spells it (``declared_spelling``).

A value that does not parse keeps its cleaned text and has a null typed value; that is
how validation tells a type failure (text present, value null) from an empty cell.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any, Final

import numpy as np
import numpy.typing as npt
import pyarrow as pa
import pyarrow.compute as pc

from sluice.dataplane.schema import FieldSpec

TRUE_WORDS: Final = ("true", "t", "yes", "y", "1", "是", "√")
FALSE_WORDS: Final = ("false", "f", "no", "n", "0", "否", "×")
#: Offset of naive local times: China Standard Time.
LOCAL_UTC_OFFSET_MINUTES: Final = 8 * 60

# A date may carry a midnight time, as spreadsheets and timestamp columns write dates.
_MIDNIGHT: Final = r"(?:(?:T|\s+)0?0:00(?::00(?:[.,]0+)?)?Z?)?"
_DATE_PATTERN: Final = (
    r"^(?P<y>\d{4})\s*(?:[-/.]|年)\s*(?P<m>\d{1,2})\s*(?:[-/.]|月)\s*(?P<d>\d{1,2})\s*日?"
    + _MIDNIGHT
    + "$"
)
_COMPACT_DATE_PATTERN: Final = r"^(?P<y>\d{4})(?P<m>\d{2})(?P<d>\d{2})$"
_DATETIME_PATTERN: Final = (
    r"^(?P<date>[^T\s]+|\d{4}\s*年\s*\d{1,2}\s*月\s*\d{1,2}\s*日)(?:(?:T|\s+)"
    r"(?P<h>\d{1,2}):(?P<mi>\d{2})(?::(?P<s>\d{2})(?:[.,](?P<f>\d{1,9}))?)?"
    r"\s*(?P<tz>Z|[+-]\d{2}(?::?\d{2})?)?)?$"
)
_COMPACT_DATETIME_PATTERN: Final = (
    r"^(?P<y>\d{4})(?P<m>\d{2})(?P<d>\d{2})(?P<h>\d{2})(?P<mi>\d{2})(?P<s>\d{2})$"
)
_THOUSANDS: Final = r"^[+-]?\d{1,3}(?:,\d{3})+(?:\.\d*)?$"
# Days since 1970-01-01 of the first of every month from 0001-01 to 10000-01.
_MONTH_STARTS: Final = (
    np.arange("0001-01", "10000-02", dtype="datetime64[M]").astype("datetime64[D]").astype(np.int64)
)
_MS_PER_DAY: Final = 86_400_000

Bools = npt.NDArray[np.bool_]
Ints = npt.NDArray[np.int64]


@dataclass(frozen=True, slots=True)
class Cleaned:
    """One cleaned column: its canonical text and its typed value.

    ``text`` is null where the cell is empty; ``value`` is null where the cell is empty or
    does not parse as the field's type (for text types ``value`` is ``text``).
    """

    text: pa.Array
    value: pa.Array


def clean_column(values: pa.Array | pa.ChunkedArray, spec: FieldSpec) -> Cleaned:
    """Clean one source column of strings for its field (see the module docstring).

    Each step first looks at the column's bytes (a few numpy comparisons) and is skipped
    when it cannot change anything: most columns are already clean, and a regular
    expression over ten million values costs seconds.
    """
    base = text = clean_text(values)
    kind = spec.type
    if kind in ("id_number", "uscc"):
        text = _upper(_remove(text, r"\s+", _has_space))
    elif kind == "mobile":
        text = clean_mobile(text)
    elif kind == "plate":
        text = _upper(_remove(text, r"[\s·•\-.]+", _has_plate_separator))
    elif kind == "person_name":
        text = clean_name(text)
    elif kind == "address":
        text = _collapse(text)
    elif kind in ("int", "decimal") and _has_bytes(text, b","):
        grouped = pc.fill_null(pc.match_substring_regex(text, pattern=_THOUSANDS), False)
        text = pc.if_else(grouped, pc.replace_substring(text, pattern=",", replacement=""), text)
    if text is not base:  # a type's own cleaning may have emptied a value
        text = _empty_to_null(text)
    if spec.values is not None:
        text = declared_spelling(text, spec)
    if kind == "int":
        value = parse_int(text)
    elif kind == "decimal":
        value = parse_decimal(text, precision=spec.precision, scale=spec.scale)
    elif kind == "bool":
        value = parse_bool(text)
    elif kind == "date":
        value = parse_date(text, spec.format)
    elif kind == "datetime":
        value = parse_datetime(text, spec.format)
    else:
        value = text
    target = spec.arrow_type
    return Cleaned(text=text, value=value if value.type == target else value.cast(target))


def declared_spelling(text: pa.Array, spec: FieldSpec) -> pa.Array:
    """Values that match an allowed value once both are cleaned, spelled as declared.

    The allowed values (``values``: an enum's vocabulary) go through the very cleaning
    the data goes through, so ``有限责任公司（自然人独资）`` in the vocabulary and
    ``有限责任公司(自然人独资)`` in a file are the same value, stored as the vocabulary
    spells it. Text matching no allowed value is left as cleaned (validation reports it).
    """
    assert spec.values is not None
    if len(text) == 0:
        return text
    declared = pa.array(spec.values, pa.string())
    normalized = clean_column(declared, dataclasses.replace(spec, values=None)).text
    if normalized.equals(declared):
        return text  # the vocabulary is clean already: a match is already spelled as declared
    usable = pc.is_valid(normalized)
    declared, normalized = declared.filter(usable), normalized.filter(usable)
    found = pc.index_in(text, value_set=normalized)
    if found.null_count == len(found):
        return text
    spelled: pa.Array = pc.if_else(pc.is_valid(found), pc.take(declared, found), text)
    return spelled


# ---------------------------------------------------------------------------------------
# Text


def clean_text(values: pa.Array | pa.ChunkedArray) -> pa.Array:
    """Half-width, trimmed text with empty strings as nulls."""
    arr = _single(values)
    if pa.types.is_large_string(arr.type) or pa.types.is_string_view(arr.type):
        arr = arr.cast(pa.string())
    arr = halfwidth(arr)
    if _may_need_trim(arr):
        arr = pc.utf8_trim_whitespace(arr)
    return _empty_to_null(arr)


def halfwidth(values: pa.Array) -> pa.Array:
    """Full-width ASCII (U+FF01–U+FF5E) to ASCII and U+3000 to a space, over the bytes.

    In UTF-8 these are the three-byte sequences ``EF BC 81``–``EF BD 9E`` and ``E3 80 80``:
    each becomes one byte, and the offsets shift by the bytes removed before them.
    """
    arr = _single(values)
    if len(arr) == 0:
        return arr
    offsets, data = string_buffers(arr)
    base = int(offsets[0])
    body = data[base : int(offsets[-1])]
    if body.size < 3 or body.max() < 0xE3:
        return arr
    # Lead bytes first (rare in Chinese text, whose characters start with E4–E9), then
    # the two bytes after each.
    leads = np.flatnonzero((body[:-2] == 0xEF) | (body[:-2] == 0xE3))
    if leads.size == 0:
        return arr
    lead, second, third = body[leads], body[leads + 1], body[leads + 2]
    low = (lead == 0xEF) & (second == 0xBC) & (third >= 0x81) & (third <= 0xBF)
    high = (lead == 0xEF) & (second == 0xBD) & (third >= 0x80) & (third <= 0x9E)
    space = (lead == 0xE3) & (second == 0x80) & (third == 0x80)
    found = low | high | space
    hits = leads[found]
    if hits.size == 0:
        return arr
    low, high, space, third = low[found], high[found], space[found], third[found]
    out = body.copy()
    shift = np.where(low, 0x60, np.where(high, 0x20, 0))
    out[hits] = np.where(space, 0x20, third - shift).astype(np.uint8)
    keep = np.ones(body.size, dtype=bool)
    keep[hits + 1] = False
    keep[hits + 2] = False
    removed = np.concatenate([[0], np.cumsum(~keep, dtype=np.int64)])
    relative = offsets.astype(np.int64) - base
    new_offsets = (relative - removed[relative]).astype(np.int32)
    return pa.StringArray.from_buffers(
        len(arr),
        pa.py_buffer(new_offsets),
        pa.py_buffer(out[keep]),
        _validity(arr),
        arr.null_count,
    )


def clean_mobile(text: pa.Array) -> pa.Array:
    """Separators and the country code removed: ``+86 138-0013-8000`` -> ``13800138000``."""
    bare = _remove(text, r"[\s\-()（）]+", _has_phone_separator)
    offsets, _ = string_buffers(bare)
    lengths = np.diff(offsets)
    if not ((lengths > 11) & valid_mask(bare)).any():
        return bare  # a prefix makes a number longer than 11 characters
    return pc.replace_substring_regex(
        bare, pattern=r"^(?:\+86|0086|86)(1\d{10})$", replacement=r"\1"
    )


def clean_name(text: pa.Array) -> pa.Array:
    """Spaces between Chinese characters removed (``张 三`` -> ``张三``; two passes reach
    every gap), other runs of whitespace made one space, ``•``/``・`` made ``·``."""
    if not _has_space(text) and not _has_lead_bytes(text, (0xE2, 0xE3)):
        return text  # no whitespace, no U+2022 bullet, no U+30FB katakana dot
    joined = _collapse(text)
    for _ in range(2):
        joined = pc.replace_substring_regex(
            joined, pattern=r"(\p{Han})\s+(\p{Han})", replacement=r"\1\2"
        )
    return pc.replace_substring_regex(joined, pattern="[•・]", replacement="·")


def _upper(text: pa.Array) -> pa.Array:
    body = _body(text)
    if not ((body >= ord("a")) & (body <= ord("z"))).any() and body.max(initial=0) < 0x80:
        return text
    return pc.ascii_upper(text) if body.max(initial=0) < 0x80 else pc.utf8_upper(text)


def _remove(text: pa.Array, pattern: str, needed: Any = None) -> pa.Array:
    if needed is not None and not needed(text):
        return text
    return pc.replace_substring_regex(text, pattern=pattern, replacement="")


def _collapse(text: pa.Array) -> pa.Array:
    if not _has_space(text):
        return text
    return pc.replace_substring_regex(text, pattern=r"\s{2,}|[\t\r\n\f\v]", replacement=" ")


def _body(arr: pa.Array) -> npt.NDArray[np.uint8]:
    """The data bytes the array's rows use."""
    if len(arr) == 0:
        return np.zeros(0, dtype=np.uint8)
    offsets, data = string_buffers(arr)
    return data[int(offsets[0]) : int(offsets[-1])]


def _has_bytes(arr: pa.Array, chars: bytes) -> bool:
    body = _body(arr)
    return any(bool((body == c).any()) for c in chars)


def _has_lead_bytes(arr: pa.Array, leads: tuple[int, ...]) -> bool:
    body = _body(arr)
    return any(bool((body == c).any()) for c in leads)


def _has_space(arr: pa.Array) -> bool:
    """Whether any whitespace may occur: an ASCII control or space byte, or the lead byte
    of a multi-byte Unicode space (U+0085, U+00A0, U+1680, U+2000–U+205F, U+3000)."""
    body = _body(arr)
    if not body.size:
        return False
    if (body <= 0x20).any():
        return True
    return body.max() >= 0x80 and _has_lead_bytes(arr, (0xC2, 0xE1, 0xE2, 0xE3))


def _has_plate_separator(arr: pa.Array) -> bool:
    return _has_space(arr) or _has_bytes(arr, b"-.")


def _has_phone_separator(arr: pa.Array) -> bool:
    return _has_space(arr) or _has_bytes(arr, b"-()") or _body(arr).max(initial=0) >= 0x80


def _may_need_trim(arr: pa.Array) -> bool:
    """Whether any value starts or ends with whitespace, from its first and last bytes.

    Whitespace is an ASCII byte up to 0x20 or one of the multi-byte Unicode spaces (NBSP
    ``C2 A0``, ``C2 85``, ``E1 9A 80``, ``E2 80 80``–``E2 80 8A``, ``E2 80 A8/A9/AF``,
    ``E2 81 9F``, ``E3 80 80``). Most columns need no trimming, and this is far cheaper
    than the copy that trimming makes.
    """
    if len(arr) == 0:
        return False
    offsets, data = string_buffers(arr)
    starts, ends = offsets[:-1], offsets[1:]
    filled = ends > starts
    if not filled.all():
        starts, ends = starts[filled], ends[filled]
    if not starts.size:
        return False
    first, last = data[starts], data[ends - 1]
    if (first <= 0x20).any() or (last <= 0x20).any():
        return True
    if first.max() < 0x80 and last.max() < 0x80:
        return False  # ASCII at both ends: no Unicode space there
    top = max(data.size - 1, 0)

    def at(positions: Any) -> npt.NDArray[np.uint8]:
        picked: npt.NDArray[np.uint8] = data[np.clip(positions.astype(np.int64), 0, top)]
        return picked

    head = (first, at(starts + 1), at(starts + 2))
    tail = (at(ends - 3), at(ends - 2), last)
    return bool(_unicode_space(*head).any() or _unicode_space(*tail, ending=True).any())


def _unicode_space(
    b0: npt.NDArray[np.uint8],
    b1: npt.NDArray[np.uint8],
    b2: npt.NDArray[np.uint8],
    *,
    ending: bool = False,
) -> Bools:
    """Whether three bytes start (or, with ``ending``, end) with a Unicode space."""
    two = (
        (b1 == 0xC2) & ((b2 == 0x85) | (b2 == 0xA0))
        if ending
        else ((b0 == 0xC2) & ((b1 == 0x85) | (b1 == 0xA0)))
    )
    three = (
        ((b0 == 0xE1) & (b1 == 0x9A) & (b2 == 0x80))
        | (
            (b0 == 0xE2)
            & (b1 == 0x80)
            & (((b2 >= 0x80) & (b2 <= 0x8A)) | np.isin(b2, (0xA8, 0xA9, 0xAF)))
        )
        | ((b0 == 0xE2) & (b1 == 0x81) & (b2 == 0x9F))
        | ((b0 == 0xE3) & (b1 == 0x80) & (b2 == 0x80))
    )
    result: Bools = two | three
    return result


def _empty_to_null(arr: pa.Array) -> pa.Array:
    if len(arr) == 0:
        return arr
    offsets, _ = string_buffers(arr)
    filled = np.diff(offsets) > 0
    if filled.all():
        return arr
    valid = filled & valid_mask(arr)
    return pa.StringArray.from_buffers(
        len(arr),
        arr.buffers()[1],
        arr.buffers()[2],
        pa.py_buffer(np.packbits(valid, bitorder="little")),
        int((~valid).sum()),
        arr.offset,
    )


# ---------------------------------------------------------------------------------------
# Numbers and booleans


def parse_int(text: pa.Array) -> pa.Array:
    """``int64``; null where not an integer or outside the int64 range."""
    shape = pc.fill_null(pc.match_substring_regex(text, pattern=r"^[+-]?\d{1,19}$"), False)
    candidates = pc.if_else(shape, text, pa.scalar(None, pa.string()))
    wide = pc.cast(candidates, pa.decimal128(20, 0))
    low, high = (
        pa.scalar(-(2**63), pa.decimal128(20, 0)),
        pa.scalar(2**63 - 1, pa.decimal128(20, 0)),
    )
    fits = pc.and_(pc.greater_equal(wide, low), pc.less_equal(wide, high))
    return pc.cast(pc.if_else(fits, wide, pa.scalar(None, wide.type)), pa.int64())


def parse_decimal(text: pa.Array, *, precision: int, scale: int) -> pa.Array:
    """``decimal128(precision, scale)``; null where not a plain decimal number that fits
    without rounding (at most ``precision - scale`` integer and ``scale`` decimal digits)."""
    whole = precision - scale
    integer = rf"\d{{1,{whole}}}" if whole else "0"
    if scale:
        number = (
            rf"(?:{integer}(?:\.\d{{0,{scale}}})?|{integer if not whole else ''}\.\d{{1,{scale}}})"
        )
    else:
        number = rf"{integer}\.?"
    shape = pc.fill_null(pc.match_substring_regex(text, pattern=rf"^[+-]?{number}$"), False)
    candidates = pc.if_else(shape, text, pa.scalar(None, pa.string()))
    return pc.cast(candidates, pa.decimal128(precision, scale))


def parse_bool(text: pa.Array) -> pa.Array:
    lowered = pc.utf8_lower(text)
    words = pa.array([*TRUE_WORDS, *FALSE_WORDS])
    position = pc.index_in(lowered, value_set=words)
    return pc.less(position, len(TRUE_WORDS))


# ---------------------------------------------------------------------------------------
# Dates and times


def parse_date(text: pa.Array, format: str | None = None) -> pa.Array:
    """``date32``; null where the text is not one of the accepted date forms or names a
    day that does not exist."""
    n = len(text)
    days = np.zeros(n, dtype=np.int64)
    done = np.zeros(n, dtype=bool)
    if format is not None:
        parsed = _strptime_days(text, format)
        found = valid_mask(parsed)
        days[found] = pc.fill_null(parsed, 0).to_numpy(zero_copy_only=False)[found]
        done |= found
    # Fast path for ISO dates: fixed-width bytes read as integers, no regular expression.
    iso, selected = fixed_width_bytes(text, 10)
    if iso.shape[0]:
        ok, value = _iso_days(iso)
        if ok.all() and selected.all() and not done.any():
            days, done = value, ok  # the usual column: every value an ISO date
        else:
            rows = np.flatnonzero(selected)[ok]
            fresh = ~done[rows]
            days[rows[fresh]] = value[ok][fresh]
            done[rows[fresh]] = True
    rest = ~done & valid_mask(text)
    if rest.any():
        subset = text.filter(pa.array(rest))
        ymd = _extract_ymd(subset)
        if ymd is not None:
            found, value = ymd
            rows = np.flatnonzero(rest)
            days[rows[found]] = value[found]
            done[rows[found]] = True
    return pa.array(days.astype(np.int32), pa.date32(), mask=~done)


def parse_datetime(text: pa.Array, format: str | None = None) -> pa.Array:
    """``timestamp[ms, UTC]``; see the module docstring for the accepted forms."""
    n = len(text)
    millis = np.zeros(n, dtype=np.int64)
    done = np.zeros(n, dtype=bool)
    if format is not None:
        parsed = pc.strptime(text, format=format, unit="ms", error_is_null=True)
        found = valid_mask(parsed) & _roundtrips(text, parsed, format)
        if not pa.types.is_timestamp(parsed.type) or parsed.type.tz is None:
            shift = LOCAL_UTC_OFFSET_MINUTES * 60_000
        else:
            shift = 0
        values = pc.cast(parsed, pa.int64()).to_numpy(zero_copy_only=False)
        millis[found] = values[found] - shift
        done |= found
    rest = ~done & valid_mask(text)
    if rest.any():
        rows = np.flatnonzero(rest)
        subset = text.filter(pa.array(rest))
        found, value = _extract_datetime(subset)
        millis[rows[found]] = value[found]
        done[rows[found]] = True
    return pa.array(millis, pa.timestamp("ms", tz="UTC"), mask=~done)


def _extract_datetime(text: pa.Array) -> tuple[Bools, Ints]:
    n = len(text)
    found = np.zeros(n, dtype=bool)
    millis = np.zeros(n, dtype=np.int64)

    compact = pc.extract_regex(text, pattern=_COMPACT_DATETIME_PATTERN)
    compact_ok = valid_mask(compact)
    if compact_ok.any():
        parts = {k: _field_ints(compact, k) for k in ("y", "m", "d", "h", "mi", "s")}
        good, days = _ymd_days(parts["y"], parts["m"], parts["d"])
        good &= compact_ok & _time_ok(parts["h"], parts["mi"], parts["s"])
        clock = (parts["h"] * 3600 + parts["mi"] * 60 + parts["s"]) * 1000
        local = days * _MS_PER_DAY + clock - LOCAL_UTC_OFFSET_MINUTES * 60_000
        millis[good] = local[good]
        found |= good

    general = pc.extract_regex(text, pattern=_DATETIME_PATTERN)
    matched = valid_mask(general) & ~found
    if not matched.any():
        return found, millis
    date_text = pc.struct_field(general, "date")
    date_days = parse_date(date_text)
    date_ok = valid_mask(date_days)
    days = pc.fill_null(pc.cast(date_days, pa.int32()), 0).to_numpy(zero_copy_only=False)
    hour_text = pc.struct_field(general, "h")
    has_time = pc.fill_null(pc.not_equal(hour_text, ""), False).to_numpy(zero_copy_only=False)
    hour = _field_ints(general, "h")
    minute = _field_ints(general, "mi")
    second = _field_ints(general, "s")
    fraction = pc.struct_field(general, "f")
    frac_ms = _fraction_ms(fraction)
    tz = pc.struct_field(general, "tz")
    offset, tz_ok = _offsets(tz)
    good = matched & date_ok & tz_ok & (~has_time | _time_ok(hour, minute, second))
    clock = ((hour * 3600 + minute * 60 + second) * 1000 + frac_ms) * has_time
    value = days.astype(np.int64) * _MS_PER_DAY + clock - offset * 60_000
    millis[good] = value[good]
    found |= good
    return found, millis


def _fraction_ms(fraction: Any) -> Ints:
    """Milliseconds of a fraction of a second (its first three digits, zero-padded)."""
    three = pc.utf8_slice_codeunits(pc.fill_null(fraction, ""), 0, 3)
    padded = pc.utf8_rpad(three, width=3, padding="0")
    return _ints(pc.cast(padded, pa.int64()))


def _offsets(tz: Any) -> tuple[Ints, Bools]:
    """Minutes east of UTC of each ``Z`` / ``+08:00`` / ``+0800`` / ``+08`` / empty."""
    filled = pc.fill_null(tz, "")
    bare = pc.replace_substring(filled, pattern=":", replacement="")
    is_z = pc.equal(bare, "Z").to_numpy(zero_copy_only=False)
    empty = pc.equal(bare, "").to_numpy(zero_copy_only=False)
    sign = np.where(pc.starts_with(bare, "-").to_numpy(zero_copy_only=False), -1, 1)
    digits = pc.utf8_rpad(pc.utf8_slice_codeunits(bare, 1, 5), width=4, padding="0")
    numeric = pc.if_else(pc.match_substring_regex(digits, r"^\d{4}$"), digits, "0000")
    hhmm = pc.cast(numeric, pa.int64()).to_numpy(zero_copy_only=False)
    hours, minutes = hhmm // 100, hhmm % 100
    ok = is_z | empty | ((hours <= 14) & (minutes < 60))
    offset = np.where(
        is_z, 0, np.where(empty, LOCAL_UTC_OFFSET_MINUTES, sign * (hours * 60 + minutes))
    )
    return offset.astype(np.int64), ok


def _time_ok(hour: Ints, minute: Ints, second: Ints) -> Bools:
    return (hour <= 23) & (minute <= 59) & (second <= 59)


def _extract_ymd(text: pa.Array) -> tuple[Bools, Ints] | None:
    n = len(text)
    found = np.zeros(n, dtype=bool)
    days = np.zeros(n, dtype=np.int64)
    for pattern in (_DATE_PATTERN, _COMPACT_DATE_PATTERN):
        parts = pc.extract_regex(text, pattern=pattern)
        matched = valid_mask(parts) & ~found
        if not matched.any():
            continue
        good, value = _ymd_days(
            _field_ints(parts, "y"), _field_ints(parts, "m"), _field_ints(parts, "d")
        )
        good &= matched
        days[good] = value[good]
        found |= good
    return (found, days) if found.any() else None


def _field_ints(parts: Any, name: str) -> Ints:
    """An all-digits capture group as integers (0 where empty or missing)."""
    group = pc.fill_null(pc.struct_field(parts, name), "")
    group = pc.if_else(pc.equal(group, ""), "0", group)
    return _ints(pc.cast(group, pa.int64()))


def _ymd_days(year: Ints, month: Ints, day: Ints) -> tuple[Bools, Ints]:
    """Whether each (year, month, day) is a real date (years 1–9999), and its days since
    1970-01-01 (0 where it is not), from a table of month starts."""
    ok = (year >= 1) & (year <= 9999) & (month >= 1) & (month <= 12) & (day >= 1)
    index = np.where(ok, (year - 1) * 12 + month - 1, 0)
    first = _MONTH_STARTS[index]
    ok &= day <= _MONTH_STARTS[index + 1] - first
    return ok, np.where(ok, first + day - 1, 0).astype(np.int64)


def _iso_days(matrix: npt.NDArray[np.uint8]) -> tuple[Bools, Ints]:
    """``YYYY-MM-DD`` rows of a 10-byte matrix: which are real dates, and their days.

    The year, month and day are read as 4- and 2-byte little-endian words and converted
    a word at a time (SWAR) rather than digit by digit.
    """
    rows = matrix.shape[0]
    flat = np.ascontiguousarray(matrix).reshape(-1)
    year_word = np.ndarray((rows,), "<u4", flat, 0, (10,)).astype(np.uint32)
    month_word = np.ndarray((rows,), "<u2", flat, 5, (10,)).astype(np.uint32)
    day_word = np.ndarray((rows,), "<u2", flat, 8, (10,)).astype(np.uint32)
    ok = (matrix[:, 4] == ord("-")) & (matrix[:, 7] == ord("-"))
    year_ok, year = _swar_digits(year_word, 4)
    month_ok, month = _swar_digits(month_word, 2)
    day_ok, day = _swar_digits(day_word, 2)
    good, days = _ymd_days(year, month, day)
    return ok & year_ok & month_ok & day_ok & good, days


def _swar_digits(word: npt.NDArray[np.uint32], width: int) -> tuple[Bools, Ints]:
    """Whether the ``width`` (2 or 4) bytes of each word are ASCII digits, and their value
    (first byte most significant)."""
    high = np.uint32(0xF0F0F0F0 if width == 4 else 0xF0F0)
    threes = np.uint32(0x30303030 if width == 4 else 0x3030)
    sixes = np.uint32(0x06060606 if width == 4 else 0x0606)
    ok = ((word & high) == threes) & (((word + sixes) & high) == threes)
    digits = word - threes
    pairs = (digits * np.uint32(10) + (digits >> np.uint32(8))) & np.uint32(0x00FF00FF)
    if width == 2:
        return ok, (pairs & np.uint32(0xFF)).astype(np.int64)
    value = (pairs & np.uint32(0xFFFF)) * np.uint32(100) + (pairs >> np.uint32(16))
    return ok, value.astype(np.int64)


def _strptime_days(text: pa.Array, format: str) -> pa.Array:
    """Days since the epoch by ``strptime``, refusing days that roll over (Feb 30)."""
    parsed = pc.strptime(text, format=format, unit="s", error_is_null=True)
    ok = _roundtrips(text, parsed, format)
    days = pc.cast(pc.divide(pc.cast(parsed, pa.int64()), 86_400), pa.int64())
    return pc.if_else(pa.array(ok), days, pa.scalar(None, pa.int64()))


def _roundtrips(text: pa.Array, parsed: pa.Array, format: str) -> Bools:
    """Whether formatting the parsed value gives the text back, ignoring leading zeros:
    Arrow's strptime rolls 30 February over into March instead of refusing it."""
    back = pc.strftime(pc.cast(parsed, pa.timestamp("s")), format=format)
    strip = r"(^|\D)0+(\d)"
    same = pc.equal(
        pc.replace_substring_regex(back, pattern=strip, replacement=r"\1\2"),
        pc.replace_substring_regex(text, pattern=strip, replacement=r"\1\2"),
    )
    return _bools(pc.fill_null(same, False))


# ---------------------------------------------------------------------------------------
# Arrow buffers


def _ints(arr: Any) -> Ints:
    """A null-free integer Arrow array as int64 numpy."""
    return np.asarray(arr.to_numpy(zero_copy_only=False), dtype=np.int64)


def _bools(arr: Any) -> Bools:
    """A null-free boolean Arrow array as numpy."""
    return np.asarray(arr.to_numpy(zero_copy_only=False), dtype=bool)


def _single(values: pa.Array | pa.ChunkedArray) -> Any:
    if isinstance(values, pa.ChunkedArray):
        return values.combine_chunks() if values.num_chunks != 1 else values.chunk(0)
    return values


def string_buffers(arr: pa.Array) -> tuple[npt.NDArray[np.int32], npt.NDArray[np.uint8]]:
    """The offsets of the array's rows (``len + 1`` of them) and its whole data buffer."""
    n = len(arr)
    offsets = np.frombuffer(arr.buffers()[1], dtype=np.int32)[arr.offset : arr.offset + n + 1]
    data_buffer = arr.buffers()[2]
    data = (
        np.frombuffer(data_buffer, dtype=np.uint8)
        if data_buffer is not None
        else np.zeros(0, np.uint8)
    )
    return offsets, data


def valid_mask(arr: Any) -> Bools:
    if arr.null_count == 0:
        return np.ones(len(arr), dtype=bool)
    return np.asarray(arr.is_valid().to_numpy(zero_copy_only=False), dtype=bool)


def _validity(arr: pa.Array) -> Any:
    """The validity bitmap as a buffer starting at the array's first row."""
    if arr.null_count == 0:
        return None
    return pa.py_buffer(np.packbits(valid_mask(arr), bitorder="little"))


def fixed_width_bytes(
    arr: pa.Array, width: int, rows: Bools | None = None
) -> tuple[npt.NDArray[np.uint8], Bools]:
    """The UTF-8 bytes of the non-null values that are ``width`` bytes long (and among
    ``rows``, if given), as a matrix with one row per such value, and which rows they are.
    A column whose values all qualify is viewed in place, without a copy."""
    n = len(arr)
    if n == 0:
        return np.zeros((0, width), dtype=np.uint8), np.zeros(0, dtype=bool)
    offsets, data = string_buffers(arr)
    selected = (np.diff(offsets) == width) & valid_mask(arr)
    if rows is not None:
        selected &= rows
    if selected.all():
        start = int(offsets[0])
        return data[start : start + n * width].reshape(n, width), selected
    if not selected.any():
        return np.zeros((0, width), dtype=np.uint8), selected
    subset = arr.filter(pa.array(selected)).cast(pa.binary()).cast(pa.binary(width))
    matrix = np.frombuffer(subset.buffers()[1], dtype=np.uint8)
    return matrix[subset.offset * width :][: len(subset) * width].reshape(-1, width), selected
