"""Masked display forms of identifiers, from declarative profiles, over whole columns.

Chinese practice varies between departments, so masking is data: a profile says what to
keep and how to hide the rest, and the deployment can override or add profiles (they
are settings). A field picks a profile by name (its ``masking`` key), else the default
profile of its type (``TYPE_PROFILES``), else ``"default"``.

Defaults (``DEFAULT_PROFILES``):

=============== ======================================== =========================
profile         rule                                     example
=============== ======================================== =========================
``person_name`` keep the surname (a compound surname     ``张*``, ``张**``,
                such as 欧阳 whole when the name has 3+  ``欧阳**``
                characters), one ``*`` per other char
``id_number``   keep the first 6 and last 4              ``210802********1234``
``mobile``      keep the first 3 and last 4              ``138****5678``
``bank_card``   keep the first 6 and last 4              ``622202*********1234``
``uscc``        keep the first 8 (registration           ``91210800**********``
                authority, entity type, region)
``plate``       keep the first 2 (province, city) and    ``辽H***45``
                the last 2
``address``     keep down to the street (or district)    ``辽宁省营口市站前区建设街道****``
                level, then ``****``
``full``        hide everything                          ``****``
``default``     keep the first and the last character    ``a****z``
=============== ======================================== =========================

A masked form never shows the whole value: where a value is too short to hide at least
one character after keeping what the profile keeps (or an address has nothing below the
levels kept), every character is hidden.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Final

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from sluice.dataplane.cleaning import fixed_width_bytes, string_buffers, valid_mask
from sluice.dataplane.schema import FieldSpec

#: Compound (two-character) surnames kept whole; from the Hundred Family Surnames and
#: those common in registries today.
COMPOUND_SURNAMES: Final = (
    "欧阳",
    "太史",
    "端木",
    "上官",
    "司马",
    "东方",
    "独孤",
    "南宫",
    "万俟",
    "闻人",
    "夏侯",
    "诸葛",
    "尉迟",
    "公羊",
    "赫连",
    "澹台",
    "皇甫",
    "宗政",
    "濮阳",
    "公冶",
    "太叔",
    "申屠",
    "公孙",
    "慕容",
    "仲孙",
    "钟离",
    "长孙",
    "宇文",
    "司徒",
    "鲜于",
    "司空",
    "闾丘",
    "子车",
    "亓官",
    "司寇",
    "巫马",
    "公西",
    "颛孙",
    "壤驷",
    "公良",
    "漆雕",
    "乐正",
    "宰父",
    "谷梁",
    "拓跋",
    "夹谷",
    "轩辕",
    "令狐",
    "段干",
    "百里",
    "呼延",
    "东郭",
    "南门",
    "羊舌",
    "微生",
    "梁丘",
    "左丘",
    "东门",
    "西门",
    "第五",
    "单于",
    "淳于",
    "范姜",
)

#: Administrative levels kept by the ``address`` profile: province (or autonomous region,
#: or municipality), prefecture, county-level (a ``区`` that is not a 小区/社区), township.
ADDRESS_KEEP_PATTERN: Final = (
    r"^(?P<keep>"
    r"(?:[^省]{2,7}省|[^区]{2,12}自治区|北京市|天津市|上海市|重庆市)?"
    r"(?:[^市州盟省]{1,12}(?:市|自治州|州|盟|地区))?"
    r"(?:[^区县旗市]{0,12}(?:[^小社区县旗市]区|县|自治县|旗|市))?"
    r"(?:[^街镇乡道]{1,12}(?:街道|镇|乡|苏木))?"
    r")(?P<rest>.+)$"
)


@dataclass(frozen=True, slots=True)
class MaskingProfile:
    """How to mask one kind of value.

    ``keep_first``/``keep_last`` characters stay; the hidden part becomes ``mask_char``
    once per hidden character, or exactly ``mask_width`` times if set (which also hides
    the length). ``keep_surname`` keeps the surname instead of ``keep_first``.
    ``keep_pattern`` is an RE2 expression with groups ``keep`` and ``rest``: ``keep`` is
    shown, ``rest`` hidden; a value it does not match is hidden entirely.
    """

    keep_first: int = 0
    keep_last: int = 0
    mask_char: str = "*"
    mask_width: int | None = None
    keep_surname: bool = False
    keep_pattern: str | None = None

    def __post_init__(self) -> None:
        if self.keep_first < 0 or self.keep_last < 0:
            raise ValueError("keep_first and keep_last must not be negative")
        if len(self.mask_char) != 1:
            raise ValueError("mask_char is one character")
        if self.mask_width is not None and self.mask_width < 1:
            raise ValueError("mask_width must be at least 1")
        if self.keep_pattern is not None and not (
            "(?P<keep>" in self.keep_pattern and "(?P<rest>" in self.keep_pattern
        ):
            raise ValueError("keep_pattern needs the named groups 'keep' and 'rest'")

    @classmethod
    def from_json(cls, document: Mapping[str, Any]) -> MaskingProfile:
        """A profile from settings: the same keys as the fields of this class."""
        allowed = set(cls.__dataclass_fields__)
        unknown = set(document) - allowed
        if unknown:
            raise ValueError(f"unknown masking profile keys: {', '.join(sorted(unknown))}")
        return cls(**document)


_COMPOUND: Final = pa.array(COMPOUND_SURNAMES, pa.string())
# Rows masked at a time: bounds the byte-level temporaries.
_SLICE_ROWS: Final = 1 << 18
# Whether a code point below U+10000 starts a compound surname.
_COMPOUND_FIRST: Final = np.zeros(1 << 16, dtype=bool)
_COMPOUND_FIRST[[ord(name[0]) for name in COMPOUND_SURNAMES]] = True

DEFAULT_PROFILES: Final[Mapping[str, MaskingProfile]] = {
    "person_name": MaskingProfile(keep_first=1, keep_surname=True),
    "id_number": MaskingProfile(keep_first=6, keep_last=4),
    "mobile": MaskingProfile(keep_first=3, keep_last=4),
    "bank_card": MaskingProfile(keep_first=6, keep_last=4),
    "uscc": MaskingProfile(keep_first=8),
    "plate": MaskingProfile(keep_first=2, keep_last=2),
    "address": MaskingProfile(mask_width=4, keep_pattern=ADDRESS_KEEP_PATTERN),
    "full": MaskingProfile(mask_width=4),
    "default": MaskingProfile(keep_first=1, keep_last=1),
}

#: The profile a field of each type gets when it names none.
TYPE_PROFILES: Final[Mapping[str, str]] = {
    "person_name": "person_name",
    "id_number": "id_number",
    "mobile": "mobile",
    "uscc": "uscc",
    "plate": "plate",
    "address": "address",
}


def profile_name(spec: FieldSpec) -> str:
    return spec.masking or TYPE_PROFILES.get(spec.type, "default")


def resolve(
    spec_or_name: FieldSpec | str, profiles: Mapping[str, MaskingProfile] | None = None
) -> MaskingProfile:
    """The profile for a field or a profile name; deployment ``profiles`` override and
    extend the defaults. An unknown name raises ``KeyError`` naming it."""
    name = spec_or_name if isinstance(spec_or_name, str) else profile_name(spec_or_name)
    merged = {**DEFAULT_PROFILES, **(profiles or {})}
    try:
        return merged[name]
    except KeyError:
        raise KeyError(f"unknown masking profile {name!r}") from None


def mask(
    values: pa.Array | pa.ChunkedArray,
    profile: MaskingProfile | str,
    profiles: Mapping[str, MaskingProfile] | None = None,
) -> Any:
    """The masked form of each value (null stays null), chunk by chunk."""
    rule = profile if isinstance(profile, MaskingProfile) else resolve(profile, profiles)
    if isinstance(values, pa.ChunkedArray):
        return pa.chunked_array([_mask(c, rule) for c in values.chunks], pa.string())
    return _mask(values, rule)


def _mask(arr: pa.Array, rule: MaskingProfile) -> pa.Array:
    if not pa.types.is_string(arr.type):
        arr = arr.cast(pa.string())
    if len(arr) == 0:
        return arr
    if rule.keep_pattern is not None:
        return _mask_by_pattern(arr, rule)
    if not rule.keep_surname:
        fast = _mask_fixed_ascii(arr, rule)
        if fast is not None:
            return fast
    if len(rule.mask_char.encode()) != 1:
        return _mask_kept(arr, rule, rule.keep_first)  # pragma: no cover - exotic profiles
    pieces = []
    for start in range(0, len(arr), _SLICE_ROWS):
        part = arr.slice(start, _SLICE_ROWS)
        first: Any = 1 + _compound_surnames(part) if rule.keep_surname else rule.keep_first
        pieces.append(_mask_characters(part, first, rule))
    return pieces[0] if len(pieces) == 1 else pa.concat_arrays(pieces)


def _mask_characters(arr: pa.Array, first: Any, rule: MaskingProfile) -> pa.Array:
    """Keep ``first`` (a number, or one per row) and ``rule.keep_last`` characters and
    hide the rest, over the UTF-8 bytes: characters are found by their lead bytes, and
    the kept bytes copied into a buffer prefilled with the mask character."""
    n = len(arr)
    offsets, data = string_buffers(arr)
    base = int(offsets[0])
    body = data[base : int(offsets[-1])]
    starts = offsets[:-1].astype(np.int64) - base
    ends = offsets[1:].astype(np.int64) - base
    valid = valid_mask(arr)
    lengths = ends - starts
    # Characters per row: its bytes minus its continuation bytes (10xxxxxx).
    lead = np.append((body & 0xC0) != 0x80, False).view(np.uint8)
    chars = np.where(lengths > 0, np.add.reduceat(lead, starts, dtype=np.int64), 0)
    keep_first = np.broadcast_to(np.asarray(first, dtype=np.int64), (n,))
    hidden = chars - keep_first - rule.keep_last
    everything = hidden < 1  # too short to keep anything: hide every character
    keep_first = np.where(everything, 0, keep_first)
    keep_last = np.where(everything, 0, rule.keep_last)
    if rule.mask_width is None:
        masked = np.where(everything, chars, hidden)
    else:
        masked = np.full(n, rule.mask_width, dtype=np.int64)
    padded = np.append(body, np.zeros(4, dtype=np.uint8))
    # Walk forward over the kept leading characters, by the length their lead byte gives.
    head_end = starts.copy()
    for step in range(int(keep_first.max(initial=0))):
        walking = keep_first > step
        byte = padded[head_end[walking]]
        head_end[walking] += 1 + (byte >= 0xC0) + (byte >= 0xE0) + (byte >= 0xF0)
    # Walk back over the kept trailing characters, skipping continuation bytes.
    tail_start = ends.copy()
    for step in range(int(keep_last.max(initial=0))):
        walking = keep_last > step
        tail_start[walking] -= 1
        for _ in range(3):
            inside = walking & ((padded[np.maximum(tail_start, 0)] & 0xC0) == 0x80)
            tail_start[inside] -= 1
    head = head_end - starts
    tail = ends - tail_start
    lengths = np.where(valid, head + masked + tail, 0)
    out_offsets = np.concatenate([[0], np.cumsum(lengths)])
    out = np.full(int(out_offsets[-1]), ord(rule.mask_char), dtype=np.uint8)
    rows = out_offsets[:-1]
    _copy_segments(out, rows, body, starts, np.where(valid, head, 0))
    _copy_segments(out, rows + head + masked, body, tail_start, np.where(valid, tail, 0))
    nulls = int(n - np.count_nonzero(valid))
    return pa.StringArray.from_buffers(
        n,
        pa.py_buffer(out_offsets.astype(np.int32)),
        pa.py_buffer(out),
        pa.py_buffer(np.packbits(valid, bitorder="little")) if nulls else None,
        nulls,
    )


def _copy_segments(
    out: Any, out_starts: Any, source: Any, source_starts: Any, lengths: Any
) -> None:
    """``out[out_starts[i] : +lengths[i]] = source[source_starts[i] : +lengths[i]]`` for
    every i, as one gather and one scatter."""
    total = int(lengths.sum())
    if not total:
        return
    within = np.arange(total, dtype=np.int64) - np.repeat(np.cumsum(lengths) - lengths, lengths)
    out[np.repeat(out_starts, lengths) + within] = source[
        np.repeat(source_starts, lengths) + within
    ]


def _compound_surnames(arr: pa.Array) -> Any:
    """Which names start with a compound surname and have three or more characters
    (欧阳 alone is 欧 + 阳). A table of first characters, looked up from each name's
    first three bytes, picks the few candidates; only those are compared as text."""
    offsets, data = string_buffers(arr)
    starts = offsets[:-1].astype(np.int64)
    # Two three-byte characters and at least one more byte.
    long_enough = valid_mask(arr) & (np.diff(offsets) >= 7)
    rows = np.flatnonzero(long_enough)
    compound = np.zeros(len(arr), dtype=bool)
    if not rows.size:
        return compound
    b0, b1, b2 = (data[starts[rows] + i].astype(np.uint32) for i in range(3))
    point = ((b0 & 0x0F) << 12) | ((b1 & 0x3F) << 6) | (b2 & 0x3F)
    candidates = rows[((b0 & 0xF0) == 0xE0) & _COMPOUND_FIRST[point]]
    if not candidates.size:
        return compound
    subset = arr.take(pa.array(candidates))
    exact = _bools(pc.is_in(pc.utf8_slice_codeunits(subset, 0, 2), value_set=_COMPOUND))
    exact &= _bools(pc.greater_equal(pc.utf8_length(subset), 3))
    compound[candidates[exact]] = True
    return compound


def _hidden(rule: MaskingProfile, counts: Any) -> Any:
    """The mask for ``counts`` hidden characters."""
    if rule.mask_width is not None:
        return pa.scalar(rule.mask_char * rule.mask_width)
    return pc.binary_repeat(rule.mask_char, counts)


def _mask_kept(arr: pa.Array, rule: MaskingProfile, first: int) -> pa.Array:
    """Keep ``first`` and ``rule.keep_last`` characters, hide the rest (nulls stay null:
    joining with a null gives null)."""
    last = rule.keep_last
    length = pc.utf8_length(arr)
    hidden = pc.subtract(length, first + last)
    fewest = pc.min(hidden).as_py()
    if fewest is not None and fewest < 1:
        hidden = pc.max_element_wise(hidden, 0)
    parts = [pc.utf8_slice_codeunits(arr, 0, first), _hidden(rule, hidden)]
    if last:
        parts.append(pc.utf8_slice_codeunits(arr, -last))
    kept = pc.binary_join_element_wise(*parts, "")
    if fewest is None or fewest >= 1:
        return kept
    # Too short to hide anything after keeping: hide every character instead.
    return pc.if_else(pc.less(pc.subtract(length, first + last), 1), _hidden(rule, length), kept)


def _mask_fixed_ascii(arr: pa.Array, rule: MaskingProfile) -> pa.Array | None:
    """The common case of IDs and mobiles: equal-length ASCII values, masked in place in
    a copy of their bytes. ``None`` when the column is not like that."""
    if rule.mask_width is not None or len(rule.mask_char.encode()) != 1:
        return None
    valid = valid_mask(arr)
    if not valid.any():
        return None
    offsets, _ = string_buffers(arr)
    width = int(np.diff(offsets)[valid][0])
    if width < rule.keep_first + rule.keep_last + 1:
        return None
    matrix, selected = fixed_width_bytes(arr, width)
    if not np.array_equal(selected, valid) or (matrix.size and matrix.max() >= 0x80):
        return None
    masked = matrix.copy()
    masked[:, rule.keep_first : width - rule.keep_last] = ord(rule.mask_char)
    n = len(arr)
    nulls = int(n - np.count_nonzero(valid))
    if nulls:
        lengths = np.where(valid, width, 0)
        new_offsets = np.concatenate([[0], lengths.cumsum()]).astype(np.int32)
    else:
        new_offsets = np.arange(0, width * (n + 1), width, dtype=np.int32)
    return pa.StringArray.from_buffers(
        n,
        pa.py_buffer(new_offsets),
        pa.py_buffer(masked.reshape(-1)),
        pa.py_buffer(np.packbits(valid, bitorder="little")) if nulls else None,
        nulls,
    )


def _mask_by_pattern(arr: pa.Array, rule: MaskingProfile) -> pa.Array:
    assert rule.keep_pattern is not None
    parts = pc.extract_regex(arr, pattern=rule.keep_pattern)
    kept = pc.struct_field(parts, "keep")
    rest = pc.struct_field(parts, "rest")
    shown = _bools(pc.fill_null(pc.greater(pc.utf8_length(kept), 0), False))
    masked = pc.binary_join_element_wise(kept, _hidden(rule, pc.utf8_length(rest)), "")
    everything = _hidden(rule, pc.utf8_length(arr))
    result = pc.if_else(pa.array(shown), masked, everything)
    return pc.if_else(pc.is_null(arr), pa.scalar(None, pa.string()), result)


def _bools(arr: Any) -> Any:
    return np.asarray(pc.fill_null(arr, False).to_numpy(zero_copy_only=False), dtype=bool)
