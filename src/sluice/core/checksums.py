"""Vectorized check characters for resident ID numbers and unified social credit codes.

Bulk validation runs over whole columns (millions of rows). The values become one
``(rows, 18)`` byte matrix, taken straight from the Arrow data buffer when every value has
the right length, and each step is a numpy operation over a block of rows, never a Python
loop per value. python-stdnum is the reference these functions are tested against; it is
about two hundred times slower.

- GB 11643 resident ID (居民身份证号码): 17 digits, then ``'10X98765432'[sum % 11]`` where
  digit *i* (from 0) is weighted ``2**(17 - i) % 11``.
- GB 32100 unified social credit code (统一社会信用代码): 18 characters over
  ``0123456789ABCDEFGHJKLMNPQRTUWXY``; character *i* counts as its index in that alphabet,
  weighted ``3**i % 31``, and the check is ``(31 - sum % 31) % 31``. Characters 9–17 are
  the GB 11714 organization code, whose last character is its own check.

Validators accept the canonical form only (upper case, no spaces or separators) and return
``False`` for nulls, wrong lengths, lower-case ``x`` and values that are not text; they
never raise. Upper-case and trim a column first (``pyarrow.compute.utf8_upper``,
``utf8_trim_whitespace``) to accept hand-typed values.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, Final, TypeAlias

import numpy as np
import numpy.typing as npt
import pyarrow as pa

RIC_CHECK_CHARS: Final = "10X98765432"
RIC_WEIGHTS: Final = np.array([pow(2, 17 - i, 11) for i in range(17)], dtype=np.int32)

USCC_ALPHABET: Final = "0123456789ABCDEFGHJKLMNPQRTUWXY"
USCC_WEIGHTS: Final = np.array([pow(3, i, 31) for i in range(17)], dtype=np.int32)

ORG_CODE_WEIGHTS: Final = np.array([3, 7, 9, 10, 5, 8, 4, 2], dtype=np.int32)

# A column of codes: Arrow (plain, chunked or dictionary), numpy, or a list of str / None.
CodeArray: TypeAlias = "pa.Array | pa.ChunkedArray | np.ndarray[Any, Any] | Sequence[str | None]"

Bools: TypeAlias = npt.NDArray[np.bool_]
Bytes: TypeAlias = npt.NDArray[np.uint8]

# Rows per block: small enough that a block's temporaries stay in cache (measured ~2x
# faster on 10M IDs than one pass over the whole matrix).
_BLOCK_ROWS = 1 << 18

_RIC_CHECK_ASCII = np.frombuffer(RIC_CHECK_CHARS.encode(), dtype=np.uint8)
_USCC_ASCII = np.frombuffer(USCC_ALPHABET.encode(), dtype=np.uint8)
_DAYS_IN_MONTH = np.array([0, 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31], dtype=np.int16)
_TEXT_TYPES = (
    pa.types.is_string,
    pa.types.is_large_string,
    pa.types.is_binary,
    pa.types.is_large_binary,
)


def _lookup(pairs: dict[str, int]) -> npt.NDArray[np.int8]:
    """A 256-entry byte -> value table; -1 marks bytes outside the character set."""
    table = np.full(256, -1, dtype=np.int8)
    for char, value in pairs.items():
        table[ord(char)] = value
    return table


_USCC_VALUE = _lookup({char: i for i, char in enumerate(USCC_ALPHABET)})
# GB 11714 counts a letter by its place in the Latin alphabet (A=10 … Z=35), not by its
# index in the USCC alphabet: 'J' is 19 here but 18 in the credit-code sum.
_ORG_VALUE = _lookup(
    {str(d): d for d in range(10)} | {chr(65 + i): 10 + i for i in range(26)},
)


def _to_arrow(values: CodeArray) -> Any:
    """Any accepted input as one Arrow array; items that are not text become null."""
    if isinstance(values, pa.ChunkedArray):
        values = values.combine_chunks() if values.num_chunks != 1 else values.chunk(0)
    if isinstance(values, pa.Array):
        arr = values
    else:
        try:
            arr = pa.array(values)
        except (pa.ArrowException, TypeError, ValueError):
            # Mixed objects (ints, floats, str): only the strings can be codes. This loop
            # runs only on malformed input that Arrow itself refused to convert.
            flat = np.asarray(values, dtype=object).ravel()
            arr = pa.array([v if isinstance(v, str) else None for v in flat], type=pa.string())
    if pa.types.is_dictionary(arr.type):
        arr = arr.dictionary_decode()
    if pa.types.is_string_view(arr.type) or pa.types.is_binary_view(arr.type):
        arr = arr.cast(pa.large_binary())
    return arr


def _fixed_width_bytes(values: CodeArray, width: int) -> tuple[Bytes, Bools]:
    """The bytes of the values that are exactly ``width`` bytes long, as a matrix.

    Returns ``(matrix, selected)``: ``selected`` marks each input row that is non-null text
    of that byte length, and ``matrix`` has one row per selected row. Counting bytes rather
    than characters loses nothing: a multi-byte UTF-8 character is never a code character.
    """
    arr = _to_arrow(values)
    n = len(arr)
    kind = arr.type
    if n == 0:
        return np.empty((0, width), dtype=np.uint8), np.zeros(0, dtype=bool)
    if pa.types.is_fixed_size_binary(kind):
        if kind.byte_width != width:
            return np.empty((0, width), dtype=np.uint8), np.zeros(n, dtype=bool)
        selected = np.asarray(arr.is_valid().to_numpy(zero_copy_only=False), dtype=bool)
        start = arr.offset * width
    elif any(is_type(kind) for is_type in _TEXT_TYPES):
        large = pa.types.is_large_string(kind) or pa.types.is_large_binary(kind)
        offsets_type = np.int64 if large else np.int32
        offsets = np.frombuffer(arr.buffers()[1], dtype=offsets_type)[arr.offset :][: n + 1]
        selected = np.diff(offsets) == width
        if arr.null_count:
            selected &= np.asarray(arr.is_valid().to_numpy(zero_copy_only=False), dtype=bool)
        start = int(offsets[0])
    else:
        return np.empty((0, width), dtype=np.uint8), np.zeros(n, dtype=bool)

    if not selected.all():
        # Some rows are null or the wrong length: copy out the others so that the rest are
        # contiguous. Arrow does the copy; this path is for dirty columns only.
        arr = arr.cast(pa.large_binary()) if not pa.types.is_fixed_size_binary(kind) else arr
        arr = arr.filter(pa.array(selected)).cast(pa.binary(width))
        start = arr.offset * width
    rows = int(selected.sum())
    if rows == 0:
        return np.empty((0, width), dtype=np.uint8), selected
    data_index = 1 if pa.types.is_fixed_size_binary(arr.type) else 2
    data = np.frombuffer(arr.buffers()[data_index], dtype=np.uint8)
    return data[start : start + rows * width].reshape(rows, width), selected


def _by_blocks(kernel: Callable[[Bytes], Bools], matrix: Bytes, selected: Bools) -> Bools:
    """Apply a row kernel block by block and spread its answers over all input rows."""
    ok = np.empty(matrix.shape[0], dtype=bool)
    for start in range(0, matrix.shape[0], _BLOCK_ROWS):
        ok[start : start + _BLOCK_ROWS] = kernel(matrix[start : start + _BLOCK_ROWS])
    out = np.zeros(selected.shape[0], dtype=bool)
    out[selected] = ok
    return out


def _weighted_sums(
    values: npt.NDArray[Any], weights: npt.NDArray[np.int32]
) -> npt.NDArray[np.int32]:
    sums: npt.NDArray[np.int32] = np.einsum(
        "ij,j->i", values, weights.astype(values.dtype), dtype=np.int32
    )
    return sums


def _ric_digits(block: Bytes) -> tuple[Bytes, Bools]:
    """The first 17 characters as digit values, and whether all of them are digits."""
    digits = block[:, :17] - np.uint8(ord("0"))  # non-digits wrap to values above 9
    return digits, digits.max(axis=1) <= 9


def _ric_kernel(block: Bytes, *, check_birth_date: bool) -> Bools:
    digits, ok = _ric_digits(block)
    ok &= block[:, 17] == _RIC_CHECK_ASCII[_weighted_sums(digits, RIC_WEIGHTS) % 11]
    if check_birth_date:
        wide = digits[:, 6:14].astype(np.int16)
        year = wide[:, 0] * 1000 + wide[:, 1] * 100 + wide[:, 2] * 10 + wide[:, 3]
        month = wide[:, 4] * 10 + wide[:, 5]
        day = wide[:, 6] * 10 + wide[:, 7]
        leap = ((year % 4 == 0) & (year % 100 != 0)) | (year % 400 == 0)
        month_ok = (month >= 1) & (month <= 12)
        last_day = _DAYS_IN_MONTH[np.where(month_ok, month, 0)] + ((month == 2) & leap)
        ok &= (year >= 1) & month_ok & (day >= 1) & (day <= last_day)
    return ok


def _org_check_ascii(block8: Bytes) -> Bytes:
    check = (11 - _weighted_sums(_ORG_VALUE[block8], ORG_CODE_WEIGHTS) % 11) % 11
    # 10 is written 'X'; 11 (a sum divisible by 11) has wrapped to 0 above.
    return np.where(check == 10, ord("X"), check + ord("0")).astype(np.uint8)


def _uscc_kernel(block: Bytes, *, check_org_code: bool) -> Bools:
    coded = _USCC_VALUE[block]
    ok: Bools = (coded.min(axis=1) >= 0) & (coded[:, 2:8].max(axis=1) <= 9)
    expected = (31 - _weighted_sums(coded[:, :17], USCC_WEIGHTS) % 31) % 31
    ok &= coded[:, 17] == expected
    if check_org_code:
        ok &= block[:, 16] == _org_check_ascii(block[:, 8:16])
    return ok


def _ascii_strings(matrix: Bytes) -> Any:
    """Arrow strings over the rows of an ASCII byte matrix, without copying it again."""
    rows, width = matrix.shape
    large = rows * width >= 2**31
    offsets = np.arange(0, width * (rows + 1), width, dtype=np.int64 if large else np.int32)
    kind = pa.LargeStringArray if large else pa.StringArray
    data = np.ascontiguousarray(matrix)
    return kind.from_buffers(rows, pa.py_buffer(offsets), pa.py_buffer(data))


def _ric_bodies(body17: CodeArray) -> Bytes:
    """An ``(n, 18)`` ASCII matrix with the 17 body digits filled in, column 17 left 0."""
    if isinstance(body17, np.ndarray) and body17.dtype.kind in "iu":
        bodies = body17.astype(np.int64, copy=False).ravel()
        if bodies.size and (bodies.min() < 0 or bodies.max() >= 10**17):
            raise ValueError("resident ID bodies must be in [0, 10**17)")
        matrix = np.zeros((bodies.shape[0], 18), dtype=np.uint8)
        for start in range(0, bodies.shape[0], _BLOCK_ROWS):
            block = matrix[start : start + _BLOCK_ROWS]
            chunk = bodies[start : start + _BLOCK_ROWS]
            # Split into 8 + 9 digits so the digit loop runs on int32, about twice as fast.
            high = (chunk // 10**9).astype(np.int32)
            low = (chunk % 10**9).astype(np.int32)
            for column in range(16, 7, -1):
                low, digit = np.divmod(low, 10)
                block[:, column] = digit + ord("0")
            for column in range(7, -1, -1):
                high, digit = np.divmod(high, 10)
                block[:, column] = digit + ord("0")
        return matrix
    digits, selected = _fixed_width_bytes(body17, 17)
    if not selected.all() or (digits.size and not (_ric_digits(digits)[1]).all()):
        raise ValueError("resident ID bodies must be 17 ASCII digits")
    return np.concatenate([digits, np.zeros((digits.shape[0], 1), dtype=np.uint8)], axis=1)


def _fill_ric_checks(matrix: Bytes) -> Bytes:
    for start in range(0, matrix.shape[0], _BLOCK_ROWS):
        block = matrix[start : start + _BLOCK_ROWS]
        digits, _ = _ric_digits(block)
        block[:, 17] = _RIC_CHECK_ASCII[_weighted_sums(digits, RIC_WEIGHTS) % 11]
    return matrix


def ric_check_chars(body17: CodeArray) -> npt.NDArray[np.str_]:
    """The GB 11643 check character for each 17-digit resident ID body.

    ``body17`` holds integers (``0 <= body < 10**17``: the first 17 digits read as one
    number) or 17-character digit strings. Raises ``ValueError`` if any body is malformed:
    this makes check characters for new values, it does not validate input.
    """
    checks = _fill_ric_checks(_ric_bodies(body17))[:, 17]
    return checks.copy().view("S1").astype(np.str_)


def ric_from_bodies(body17: CodeArray) -> Any:
    """Complete resident ID numbers (body + check character) as an Arrow string array.

    Takes the same bodies as :func:`ric_check_chars`.
    """
    return _ascii_strings(_fill_ric_checks(_ric_bodies(body17)))


def valid_ric(values: CodeArray, *, check_birth_date: bool = True) -> Bools:
    """Whether each value is a well-formed 18-character resident ID number.

    Checks 17 ASCII digits, then the check character (``0``–``9`` or upper-case ``X``),
    and, unless ``check_birth_date`` is false, that characters 7–14 are a real calendar
    date, as python-stdnum does. Whether the region code existed in the birth year is left
    to python-stdnum's ``cn.ric.validate``, which knows the region history.
    """
    matrix, selected = _fixed_width_bytes(values, 18)

    def kernel(block: Bytes) -> Bools:
        return _ric_kernel(block, check_birth_date=check_birth_date)

    return _by_blocks(kernel, matrix, selected)


def _uscc_checks(body17: CodeArray) -> tuple[Bytes, Bytes]:
    """The bodies as a byte matrix, and the ASCII check character of each."""
    matrix, selected = _fixed_width_bytes(body17, 17)
    coded = _USCC_VALUE[matrix]
    if not selected.all() or (coded.size and coded.min() < 0):
        raise ValueError(f"credit code bodies must be 17 characters of {USCC_ALPHABET}")
    checks = _USCC_ASCII[(31 - _weighted_sums(coded, USCC_WEIGHTS) % 31) % 31]
    return matrix, checks


def uscc_check_chars(body17: CodeArray) -> npt.NDArray[np.str_]:
    """The GB 32100 check character for each 17-character credit-code body.

    Raises ``ValueError`` if any body is not 17 characters of the USCC alphabet.
    """
    return _uscc_checks(body17)[1].view("S1").astype(np.str_)


def uscc_from_bodies(body17: CodeArray) -> Any:
    """Complete credit codes (body + check character) as an Arrow string array."""
    matrix, checks = _uscc_checks(body17)
    return _ascii_strings(np.concatenate([matrix, checks[:, None]], axis=1))


def org_code_check_chars(body8: CodeArray) -> npt.NDArray[np.str_]:
    """The GB 11714 check character for each 8-character organization code body.

    Raises ``ValueError`` if any body is not 8 digits or upper-case letters.
    """
    matrix, selected = _fixed_width_bytes(body8, 8)
    if not selected.all() or (matrix.size and _ORG_VALUE[matrix].min() < 0):
        raise ValueError("organization code bodies must be 8 digits or upper-case letters")
    return _org_check_ascii(matrix).view("S1").astype(np.str_)


def valid_uscc(values: CodeArray, *, check_org_code: bool = False) -> Bools:
    """Whether each value is a well-formed 18-character unified social credit code.

    Checks that every character is in the USCC alphabet, that characters 3–8 (the region
    code) are digits, and the check character; with ``check_org_code``, also the GB 11714
    check character of the embedded organization code (character 17).

    Characters 1–2 (registration authority, entity type) may be letters, as GB 32100
    allows (``N`` agricultural bodies, ``Y`` others); python-stdnum 2.2 requires digits
    there. On every other input this agrees with its ``cn.uscc.validate``.
    """
    matrix, selected = _fixed_width_bytes(values, 18)

    def kernel(block: Bytes) -> Bools:
        return _uscc_kernel(block, check_org_code=check_org_code)

    return _by_blocks(kernel, matrix, selected)
