"""Keyed, deterministic tokens for identifiers, computed over whole Arrow columns.

A token is a function of the value's text and the key only: equal values give equal
tokens in every dataset tokenized with the same key (the key store's ``tokenization``
scope), so joins, lookups and verification work on tokens; without the key a token says
nothing about its value. A token is 32 lower-case hex digits (128 bits). (Base64 would
be a third shorter, but its 16-byte rows do not align with base64's 3-byte groups, and
re-aligning them costs more than the bytes it saves.)

Each value is first encoded, injectively, as one or more 16-byte SM4 blocks:

- a **resident ID shape** (17 ASCII digits then a digit or ``X``) as one block: the 17
  digits as a 64-bit big-endian integer, the check character, six zero bytes, ``0xFE``;
- a value of at most **15 bytes** of UTF-8 (names, mobiles, plates …) as one block: its
  bytes, zero padding, and its length in the last byte (0–15);
- any **longer** value as a header block (its byte length as a 64-bit integer, seven zero
  bytes, ``0xFF``) followed by its bytes zero-padded to whole blocks.

The token is the SM4 CBC-MAC of those blocks, which for a one-block value is simply the
value's block encrypted with SM4. Why this is sound:

- *One-block values are ECB, on purpose.* ECB's weakness is that equal plaintext blocks
  give equal ciphertext blocks, which leaks structure when a message spans several
  blocks that repeat or share a prefix. Here each value is exactly one block, so ECB is a
  pseudo-random permutation applied to the value as a whole: equal values give equal
  tokens (what joins need) and nothing else is shared. Splitting an 18-character ID into
  two blocks instead would give equal first blocks to everyone born on the same day in
  the same district.
- *Longer values use CBC-MAC, a pseudo-random function on prefix-free messages.* The
  header block's length makes the encodings of different lengths differ in their first
  block, and the last byte (0–15, 0xFE or 0xFF) keeps the three kinds apart, so no
  encoding is a prefix of another.
- *Only the key holder can go back.* A one-block token is an SM4 encryption, so whoever
  holds the ``tokenization`` key can recover the value (deterministic SM4, as DESIGN §4
  allows): the key lives in the key store, never next to the data, and re-identification
  is a decision of the platform, not of a data user.

The work is vectorized: every row's first block is built with numpy from the Arrow data
buffer and encrypted in one ``update()`` call per chunk; a long value's further blocks
are XOR-ed and encrypted position by position, one call per block position.
"""

from __future__ import annotations

import binascii
from dataclasses import dataclass
from typing import Any, Final

import numpy as np
import numpy.typing as npt
import pyarrow as pa
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
from numpy.lib.stride_tricks import sliding_window_view

from sluice.dataplane.cleaning import fixed_width_bytes, string_buffers, valid_mask

TOKEN_SCOPE: Final = "tokenization"  # noqa: S105  # a key scope name, not a secret
TOKEN_CHARS: Final = 32
_BLOCK: Final = 16
_SHORT_MAX: Final = 15
_ID_MARK: Final = 0xFE
_LONG_MARK: Final = 0xFF
_COLUMNS = np.arange(_BLOCK)
_PAD = np.zeros(_BLOCK, dtype=np.uint8)

Bytes = npt.NDArray[np.uint8]
Bools = npt.NDArray[np.bool_]


def tokenize(values: pa.Array | pa.ChunkedArray, key: bytes) -> Any:
    """The token of each value (null stays null), chunk by chunk for a chunked column."""
    _check_key(key)
    if isinstance(values, pa.ChunkedArray):
        return pa.chunked_array([_tokenize(c, key) for c in values.chunks], pa.string())
    return _tokenize(values, key)


def token_of(value: str, key: bytes) -> str:
    """The token of one value (to look a value up among tokens): the column path's blocks,
    built for one value without Arrow (a gateway call tokenizes its inputs one at a time,
    and a one-row column cost more in setting up than in SM4). The CBC-MAC of the blocks
    is the last block of their CBC encryption under a zero IV; for one block, its ECB."""
    _check_key(key)
    encrypt = Cipher(algorithms.SM4(key), modes.CBC(bytes(_BLOCK))).encryptor()
    return str(encrypt.update(_value_blocks(value.encode()))[-_BLOCK:].hex())


def _value_blocks(data: bytes) -> bytes:
    """One value's encoding (the module docstring), as ``_pack`` builds it for a row."""
    if len(data) == 18 and data[:17].isdigit() and (data[17:].isdigit() or data[17:] == b"X"):
        return int(data[:17]).to_bytes(8, "big") + data[17:] + bytes(6) + bytes([_ID_MARK])
    if len(data) <= _SHORT_MAX:
        return data + bytes(_SHORT_MAX - len(data)) + bytes([len(data)])
    header = len(data).to_bytes(8, "big") + bytes(7) + bytes([_LONG_MARK])
    return header + data + bytes(-len(data) % _BLOCK)


def token_blocks(values: pa.Array, key: bytes) -> Bytes:
    """The tokens of a column as an ``(n, 16)`` byte matrix (rows of nulls are zero)."""
    _check_key(key)
    arr = _text(values)
    packed = _pack(arr)
    encrypt = _encryptor(key)
    state = _ecb(encrypt, packed.blocks)
    _mac_long_values(encrypt, packed, state)
    if not packed.valid.all():
        state[~packed.valid] = 0
    return state


def fingerprints(values: pa.Array, key: bytes) -> Bytes:
    """An ``(n, 16)`` byte matrix that is equal for two rows exactly when their values are
    (nulls are all zero bytes): a value's one-block encoding, or for a longer value its
    CBC-MAC under ``key`` with the last byte set to ``0xFF`` (which no one-block
    encoding ends with). Cheaper than tokens (one-block values skip SM4): for
    uniqueness checks, with a random key per check."""
    _check_key(key)
    arr = _text(values)
    packed = _pack(arr)
    blocks = packed.blocks
    if packed.long_rows.size:
        encrypt = _encryptor(key)
        state = _ecb(encrypt, blocks[packed.long_rows])
        sub = _Packed(
            blocks=state,
            valid=np.ones(len(packed.long_rows), dtype=bool),
            long_rows=np.arange(len(packed.long_rows)),
            starts=packed.starts,
            lengths=packed.lengths,
            windows=packed.windows,
        )
        _mac_long_values(encrypt, sub, state)
        state[:, _BLOCK - 1] = _LONG_MARK
        blocks[packed.long_rows] = state
    if not packed.valid.all():
        blocks[~packed.valid] = 0
    return blocks


def token_strings(blocks: Bytes, valid: Bools) -> pa.Array:
    """Token strings from an ``(n, 16)`` matrix of tokens (null where not ``valid``):
    the whole matrix hex-encoded in one call, each row's text 32 characters long."""
    n = blocks.shape[0]
    text = binascii.hexlify(np.ascontiguousarray(blocks).data)
    offsets = np.arange(0, TOKEN_CHARS * (n + 1), TOKEN_CHARS, dtype=np.int32)
    nulls = int(n - np.count_nonzero(valid))
    bitmap = pa.py_buffer(np.packbits(valid, bitorder="little")) if nulls else None
    return pa.StringArray.from_buffers(n, pa.py_buffer(offsets), pa.py_buffer(text), bitmap, nulls)


def _tokenize(arr: pa.Array, key: bytes) -> pa.Array:
    arr = _text(arr)
    if len(arr) == 0:
        return pa.array([], pa.string())
    return token_strings(token_blocks(arr, key), valid_mask(arr))


@dataclass(frozen=True, slots=True)
class _Packed:
    """First blocks of all rows; where the longer values continue."""

    blocks: Bytes
    valid: Bools
    long_rows: npt.NDArray[np.intp]
    starts: npt.NDArray[np.int64]
    lengths: npt.NDArray[np.int64]
    #: 16-byte windows over the column's bytes: ``windows[i]`` starts at byte ``i``.
    windows: Bytes


def _pack(arr: pa.Array) -> _Packed:
    """Every row's first block (see the module docstring); nulls get a zero block."""
    n = len(arr)
    offsets, data = string_buffers(arr)
    starts = offsets[:-1].astype(np.int64)
    lengths = np.diff(offsets).astype(np.int64)
    valid = valid_mask(arr)
    blocks = np.zeros((n, _BLOCK), dtype=np.uint8)
    id_rows = _pack_ids(arr, blocks)
    short = valid & (lengths <= _SHORT_MAX) & ~id_rows
    long_rows = np.flatnonzero(valid & (lengths > _SHORT_MAX) & ~id_rows)
    windows = _PAD[None, :0]
    uniform = bool(n and short.all() and (lengths == lengths[0]).all())
    if (short.any() and not uniform) or long_rows.size:
        # 16-byte windows over the rows' bytes (a view, zero-padded at the end): row i's
        # first block is window[start_i], masked to its length.
        base = int(offsets[0])
        windows = sliding_window_view(np.concatenate([data[base : int(offsets[-1])], _PAD]), _BLOCK)
        starts -= base
    if uniform:
        # The usual code column (mobiles): one length, the bytes already a matrix.
        width = int(lengths[0])
        if width:
            blocks[:, :width], _ = fixed_width_bytes(arr, width)
        blocks[:, _SHORT_MAX] = width
    elif short.any():
        everyone = bool(short.all())
        rows: Any = slice(None) if everyone else np.flatnonzero(short)
        head = windows[starts[rows]]
        head *= lengths[rows, None] > _COLUMNS
        head[:, _SHORT_MAX] = lengths[rows]
        if everyone:
            blocks = head
        else:
            blocks[rows] = head
    if long_rows.size:
        blocks[long_rows, :8] = lengths[long_rows].astype(">u8").view(np.uint8).reshape(-1, 8)
        blocks[long_rows, _BLOCK - 1] = _LONG_MARK
    return _Packed(blocks, valid, long_rows, starts[long_rows], lengths[long_rows], windows)


def _mac_long_values(encrypt: Any, packed: _Packed, state: Bytes) -> None:
    """CBC-MAC over the rest of each long value, one block position at a time."""
    rows = packed.long_rows
    if not rows.size:
        return
    count = (packed.lengths + _BLOCK - 1) // _BLOCK
    for position in range(int(count.max())):
        active = count > position
        offset = packed.starts[active] + position * _BLOCK
        remaining = packed.lengths[active] - position * _BLOCK
        chunk = packed.windows[offset] * (remaining[:, None] > _COLUMNS)
        state[rows[active]] = _ecb(encrypt, state[rows[active]] ^ chunk)


def _pack_ids(arr: pa.Array, blocks: Bytes) -> Bools:
    """Pack the rows shaped like resident IDs into their one-block encoding.

    The 17 digits are read eight bytes at a time as 64-bit words (SWAR: a few integer
    operations check and convert eight ASCII digits at once), not digit by digit.
    """
    matrix, selected = fixed_width_bytes(arr, 18)
    is_id = np.zeros(len(arr), dtype=bool)
    m = matrix.shape[0]
    if not m:
        return is_id
    flat = np.ascontiguousarray(matrix).reshape(-1)
    high_ok, high = _eight_digits(_words(flat, m, 0))
    low_ok, low = _eight_digits(_words(flat, m, 8))
    digit16 = matrix[:, 16] - np.uint8(ord("0"))
    last = matrix[:, 17]
    check_ok = ((last >= ord("0")) & (last <= ord("9"))) | (last == ord("X"))
    shaped = high_ok & low_ok & (digit16 <= 9) & check_ok
    if not shaped.all():
        high, low, digit16, last = high[shaped], low[shaped], digit16[shaped], last[shaped]
    with np.errstate(over="ignore"):
        body = high * np.uint64(10**9) + low * np.uint64(10) + digit16  # < 10**17
    packed = body.astype(">u8").view(np.uint8).reshape(-1, 8)
    # Every row an ID (the usual identifier column): slices, not an index per row.
    rows: Any = slice(None) if m == len(arr) and shaped.all() else np.flatnonzero(selected)[shaped]
    blocks[rows, :8] = packed
    blocks[rows, 8] = last
    blocks[rows, _BLOCK - 1] = _ID_MARK
    is_id[rows] = True
    return is_id


def _words(flat: Bytes, rows: int, offset: int) -> npt.NDArray[np.uint64]:
    """Eight bytes at ``offset`` of each 18-byte row, as little-endian 64-bit words."""
    return np.ndarray((rows,), dtype="<u8", buffer=flat, offset=offset, strides=(18,)).astype(
        np.uint64
    )


def _eight_digits(word: npt.NDArray[np.uint64]) -> tuple[Bools, npt.NDArray[np.uint64]]:
    """Whether all eight bytes of each word are ASCII digits, and their value (the first
    byte most significant). The classic SWAR steps: bytes to nibbles, pairs, quads."""
    nibbles = np.uint64(0xF0F0F0F0F0F0F0F0)
    with np.errstate(over="ignore"):
        ok = (
            (word & nibbles) | (((word + np.uint64(0x0606060606060606)) & nibbles) >> np.uint64(4))
        ) == np.uint64(0x3333333333333333)
        value = ((word & np.uint64(0x0F0F0F0F0F0F0F0F)) * np.uint64(2561)) >> np.uint64(8)
        value = ((value & np.uint64(0x00FF00FF00FF00FF)) * np.uint64(6553601)) >> np.uint64(16)
        value = ((value & np.uint64(0x0000FFFF0000FFFF)) * np.uint64(42949672960001)) >> np.uint64(
            32
        )
    return ok, value


def _encryptor(key: bytes) -> Any:
    # ECB over single blocks is the design (see the module docstring), not an oversight.
    return Cipher(algorithms.SM4(key), modes.ECB()).encryptor()  # noqa: S305


def _ecb(encryptor: Any, blocks: Bytes) -> Bytes:
    """All rows through SM4 in one call (each row is one independent block)."""
    size = blocks.shape[0] * _BLOCK
    # update_into wants room for one more partial block than it will write.
    out = np.empty(size + _BLOCK - 1, dtype=np.uint8)
    if size:
        written = encryptor.update_into(np.ascontiguousarray(blocks), out)
        if written != size:
            raise AssertionError("SM4-ECB returned a partial block")  # never expected
    return out[:size].reshape(-1, _BLOCK)


def _text(values: pa.Array | pa.ChunkedArray) -> Any:
    arr = values.combine_chunks() if isinstance(values, pa.ChunkedArray) else values
    return arr if pa.types.is_string(arr.type) else arr.cast(pa.string())


def _check_key(key: bytes) -> None:
    if not isinstance(key, bytes) or len(key) != 16:
        raise ValueError("a tokenization key is a 16-byte SM4 key")
