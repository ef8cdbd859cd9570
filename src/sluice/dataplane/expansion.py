"""How far an uploaded workbook expands, measured as a stream before anything opens it.

An .xlsx is a zip of XML parts. Deflate packs repetitive XML a thousandfold, and the
spreadsheet reader (calamine) lays a sheet out as a dense grid of 32-byte cells from its
first to its last used row and column: a 1.5 KB file with one cell in A1 and another in
ZZ200000 asks for 4.5 GB. So before the reader runs, ``check_workbook`` decompresses
every part in 1 MB chunks (never whole), counts the bytes, and measures each XML part's
grid as calamine will lay it out:

- a ``row`` start tag with ``r="N"`` moves to row N, the end of a row to the next row and
  back to the first column;
- a ``c`` start tag with ``r="B7"`` is that cell; without ``r`` it is one column to the
  right of the previous cell, on the current row.

Element names match by local name (any namespace prefix), as calamine matches them. The
bound only ever over-counts: positions move forward only (a reference pointing back, or
a self-closing tag calamine skips, cannot shrink it), a ``r`` inside an attribute value
counts as a reference, and a part holding markup that can hide tags (a CDATA section, a
comment, a processing instruction) is bounded more crudely still: its highest reference
plus every row end and every cell without a reference. A reference calamine could not
read (more than three column letters, more than seven digits, row 0, anything else) is
refused outright: a workbook Excel wrote never has one.

Tags are found by a vectorized scan of each chunk (numpy over the bytes, no loop per row
or cell), and the scan stops at the first limit passed, so a bomb is refused after its
first megabytes, not after its last.
"""

from __future__ import annotations

import re
import zipfile
import zlib
from dataclasses import dataclass
from pathlib import Path
from typing import Final

import numpy as np
import numpy.typing as npt

from sluice.dataplane.limits import (
    EXCEL_MAX_ROWS,
    ExpandsTooFar,
    ReadLimits,
    SourceError,
    TooManyRows,
)

#: Bytes of one cell of calamine's grid (its ``Data`` enum), and of one shared string's
#: bookkeeping.
CELL_BYTES: Final = 32
#: Excel's own column limit (XFD).
EXCEL_MAX_COLUMNS: Final = 16_384
#: Decompressed bytes read at a time.
CHUNK_BYTES: Final = 1 << 20
#: The longest single tag or text run between two tags; Excel's longest cell is 32,767
#: characters, so anything near this is not a workbook Excel wrote.
MAX_RUN_BYTES: Final = 16 << 20
_NEG: Final = np.iinfo(np.int64).min // 4
_SEGMENT: Final = np.int64(1) << 40
_REF_WINDOW: Final = 12
_NAME_WINDOW: Final = 16
_NAME_END: Final = re.compile(rb"[\s/>]")
_SPACES: Final = frozenset(b" \t\r\n")

Ints = npt.NDArray[np.int64]
Bools = npt.NDArray[np.bool_]


@dataclass(frozen=True, slots=True)
class Grid:
    """The most rows and columns a part's cells can span (0 when it has none)."""

    rows: int
    columns: int


def check_workbook(path: Path, limits: ReadLimits) -> None:
    """Refuse an .xlsx whose parts, or whose sheets laid out as grids, would pass the limits.

    Raises ``ExpandsTooFar``, ``TooManyRows`` or ``SourceError`` (not an .xlsx, damaged).
    """
    try:
        archive = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, OSError, ValueError):
        raise SourceError(
            "the workbook is not a valid zip container", key="source.bad_workbook"
        ) from None
    with archive:
        infos = archive.infolist()
        names = {info.filename for info in infos}
        if "xl/workbook.xml" not in names:
            raise SourceError(
                "a zip container that is not an .xlsx workbook", key="source.format_unsupported"
            )
        declared = sum(info.file_size for info in infos)
        if declared > limits.max_bytes:
            raise ExpandsTooFar(limits, f"the parts declare {declared} bytes")
        seen = 0
        strings = 0
        for info in infos:
            if info.is_dir():
                continue
            part = _Part(limits) if info.filename.lower().endswith((".xml", ".rels")) else None
            try:
                with archive.open(info) as stream:
                    while chunk := stream.read(CHUNK_BYTES):
                        seen += len(chunk)
                        if seen > limits.max_bytes:
                            raise ExpandsTooFar(limits, f"{info.filename}: over {seen} bytes")
                        if part is not None:
                            part.feed(chunk)
            except (zipfile.BadZipFile, zlib.error, EOFError, OSError, NotImplementedError):
                raise SourceError(
                    f"{info.filename} cannot be decompressed", key="source.bad_workbook"
                ) from None
            except RuntimeError:  # an encrypted member
                raise SourceError(
                    f"{info.filename} is encrypted", key="source.bad_workbook"
                ) from None
            if part is not None:
                part.close()
                strings += part.strings
        if strings * CELL_BYTES > limits.max_bytes:
            raise ExpandsTooFar(limits, f"{strings} shared strings")


def measure(xml: bytes) -> Grid:
    """The grid one XML part spans, with no limits (for tests and diagnostics)."""
    part = _Part(ReadLimits(max_rows=1 << 62, max_bytes=1 << 62))
    part.feed(xml)
    part.close()
    return part.grid


class _Part:
    """The streaming measurement of one XML part (see the module docstring)."""

    def __init__(self, limits: ReadLimits) -> None:
        self._limits = limits
        self._pending = b""
        self._first = True
        self.coarse = False
        # calamine's cursor between chunks: the row it is on and the next free column.
        self._row = 0
        self._col = 0
        self._max_row = -1  # over cells, 0-based
        self._max_col = -1
        # What the crude bound needs: the highest references and the counts.
        self._ref_row = -1
        self._ref_col = -1
        self._row_ends = 0
        self._bare_cells = 0
        self.strings = 0

    @property
    def grid(self) -> Grid:
        if self.coarse:
            if self._max_row < 0 and self._bare_cells == 0:
                return Grid(0, 0)
            return Grid(
                max(self._ref_row, 0) + self._row_ends + 1,
                max(self._ref_col, 0) + self._bare_cells + 1,
            )
        return Grid(self._max_row + 1, self._max_col + 1)

    def feed(self, chunk: bytes) -> None:
        pending = self._pending + chunk
        cut = pending.rfind(b"<")
        if cut < 0:  # text only: no tag can start here
            self._pending = b""
            return
        if cut == 0:
            if len(pending) > MAX_RUN_BYTES:
                raise SourceError("an element longer than 16 MB", key="source.bad_workbook")
            self._pending = pending
            return
        self._pending = pending[cut:]
        self._scan(pending[:cut])

    def close(self) -> None:
        if self._pending:
            self._scan(self._pending)
            self._pending = b""

    # -----------------------------------------------------------------------------------

    def _scan(self, block: bytes) -> None:
        if self._first:
            self._first = False
            head = block.lstrip(b"\xef\xbb\xbf \t\r\n")
            skip = len(block) - len(head)
            if head.startswith(b"<?xml"):
                end = block.find(b"?>", skip)
                skip = end + 2 if end >= 0 else len(block)
            hidden = b"<!" in block or b"<?" in block[skip:]
        else:
            hidden = b"<!" in block or b"<?" in block
        if hidden:
            self.coarse = True
        data = np.frombuffer(block, dtype=np.uint8)
        n = data.size
        lt = every_lt = np.flatnonzero(data == 0x3C)
        if lt.size == 0:
            return
        padded = np.concatenate([data, np.zeros(_NAME_WINDOW + 2, dtype=np.uint8)])
        if not any(name in block for name in (b":c", b":row", b":si")):
            # No prefixed names: only tags starting "<c", "<r", "<s" or "</r" can matter.
            first, second = padded[lt + 1], padded[lt + 2]
            lt = lt[
                (first == 0x63)
                | (first == 0x72)
                | (first == 0x73)
                | ((first == 0x2F) & (second == 0x72))
            ]
            if lt.size == 0:
                return
        # Each tag's name from a small window after its '<': whether it closes an element,
        # and where the name ends (the first space, '/' or '>').
        window = padded[lt[:, None] + 1 + np.arange(_NAME_WINDOW)]
        closing = window[:, 0] == 0x2F
        stops = _is_space(window) | (window == 0x2F) | (window == 0x3E)
        stops[:, 0] &= ~closing
        stop = np.argmax(stops, axis=1)
        name_start = 1 + closing.astype(np.int64)  # within the window
        long_names = ~stops.any(axis=1)
        if long_names.any():  # a long prefix: found one tag at a time (Excel writes none)
            stop = stop.astype(np.int64)
            for index in np.flatnonzero(long_names):
                found = _NAME_END.search(block, int(lt[index]) + 1 + int(name_start[index]) - 1)
                stop[index] = (found.start() if found else n) - int(lt[index]) - 1
        name_end = lt + 1 + stop  # absolute
        name_first = lt + name_start

        def named(local: bytes) -> Bools:
            start = name_end - len(local)
            ok = start >= name_first
            for offset, char in enumerate(local):
                ok &= padded[np.maximum(start + offset, 0)] == char
            result: Bools = ok & (
                (start == name_first) | (padded[np.maximum(start - 1, 0)] == 0x3A)
            )
            return result

        cell = named(b"c") & ~closing
        row_start = named(b"row") & ~closing
        row_end = named(b"row") & closing
        self.strings += int((named(b"si") & ~closing).sum())
        if not (cell.any() or row_start.any() or row_end.any()):
            return

        # The r attributes and the tag each belongs to (the last '<' before it: no '<' can
        # occur inside a tag).
        refs_at, ref_row, ref_col = _references(block, padded, n)
        owner = (
            every_lt[np.searchsorted(every_lt, refs_at, side="right") - 1]
            if refs_at.size
            else refs_at
        )
        tags = np.flatnonzero(cell | row_start)  # indexes into lt
        tag_pos = lt[tags]
        has_ref = np.zeros(lt.size, dtype=bool)
        tag_row = np.full(lt.size, -1, dtype=np.int64)
        tag_col = np.full(lt.size, -1, dtype=np.int64)
        if refs_at.size:
            where: Ints = np.asarray(np.searchsorted(tag_pos, owner), dtype=np.int64)
            hit: Bools = where < tag_pos.size
            hit[hit] = tag_pos[where[hit]] == owner[hit]
            tagged = tags[where[hit]]
            bad = (ref_row[hit] < 0) | (cell[tagged] & (ref_col[hit] < 0))
            if bad.any():
                raise SourceError(
                    "a cell reference calamine cannot read", key="source.bad_workbook"
                )
            has_ref[tagged] = True
            np.maximum.at(tag_row, tagged, ref_row[hit])
            np.maximum.at(tag_col, tagged, ref_col[hit])
            self._ref_row = max(self._ref_row, int(tag_row.max()))
            self._ref_col = max(self._ref_col, int(tag_col.max()))

        events = np.flatnonzero(cell | row_start | row_end)
        is_cell = cell[events]
        is_end = row_end[events]
        explicit = has_ref[events]
        self._row_ends += int(is_end.sum())
        self._bare_cells += int((is_cell & ~explicit).sum())
        self._advance(is_cell, is_end & ~is_cell, row_start[events] & explicit,
                      explicit, tag_row[events], tag_col[events])  # fmt: skip
        self._check()

    def _advance(
        self,
        is_cell: Bools,
        is_end: Bools,
        resets: Bools,
        explicit: Bools,
        ref_row: Ints,
        ref_col: Ints,
    ) -> None:
        """Move calamine's cursor over one chunk's events, forward only (module docstring)."""
        ends = np.cumsum(is_end, dtype=np.int64)
        ends_before = ends - is_end
        # Row: ends so far, plus the best (reference - ends before it) of any reset so far.
        offset = np.where(resets, ref_row - ends_before, _NEG)
        offset = np.maximum.accumulate(np.maximum(offset, self._row))
        row_here = ends_before + offset
        # Column: cells so far in the row, plus the best anchor of the row (a row's end
        # anchors 0; a referenced cell anchors its column + 1).
        cells = np.cumsum(is_cell, dtype=np.int64)
        anchor_cell = is_cell & explicit
        value = np.where(is_end, -cells, np.where(anchor_cell, ref_col + 1 - cells, _NEG)).astype(
            np.int64
        )
        segment = ends.astype(np.int64)
        value = np.where(value > _NEG, value + segment * _SEGMENT, _NEG)
        start = np.int64(self._col)  # the carried column, in segment 0
        running = np.maximum.accumulate(np.maximum(value, np.where(segment == 0, start, _NEG)))
        col_after_anchor = running - segment * _SEGMENT + cells
        # A cell without a reference sits where the cursor is: one past the last column.
        bare = is_cell & ~explicit
        if bare.any():
            self._max_row = max(self._max_row, int(row_here[bare].max()))
            self._max_col = max(self._max_col, int((col_after_anchor[bare] - 1).max()))
        if anchor_cell.any():
            self._max_row = max(self._max_row, int(ref_row[anchor_cell].max()))
            self._max_col = max(self._max_col, int(ref_col[anchor_cell].max()))
        self._row = int(ends[-1] + offset[-1])
        self._col = int(col_after_anchor[-1])

    def _check(self) -> None:
        grid = self.grid
        if grid.rows > EXCEL_MAX_ROWS:
            raise TooManyRows(EXCEL_MAX_ROWS, f"a sheet reaches row {grid.rows}")
        if grid.rows - 1 > self._limits.max_rows:
            raise TooManyRows(self._limits.max_rows, f"a sheet reaches row {grid.rows}")
        if grid.columns > EXCEL_MAX_COLUMNS:
            raise ExpandsTooFar(self._limits, f"a sheet reaches column {grid.columns}")
        if grid.rows * grid.columns * CELL_BYTES > self._limits.max_bytes:
            raise ExpandsTooFar(self._limits, f"a {grid.rows} x {grid.columns} grid")


def _is_space(values: npt.NDArray[np.uint8]) -> Bools:
    result: Bools = (values == 0x20) | (values == 0x09) | (values == 0x0A) | (values == 0x0D)
    return result


def _references(block: bytes, padded: npt.NDArray[np.uint8], n: int) -> tuple[Ints, Ints, Ints]:
    """Every ``r="…"`` attribute in a chunk: its position (the ``r``) and its 0-based row
    and column (-1 where absent, -2 where unreadable).

    Almost every attribute is written ``r="…"``; the rare ``r = "…"`` (spaces around the
    ``=``, which Excel never writes) is looked at one ``=`` sign at a time.
    """
    empty = np.zeros(0, dtype=np.int64)
    equals = np.flatnonzero(padded[:n] == 0x3D)
    if equals.size == 0:
        return empty, empty, empty
    before = padded[np.maximum(equals - 1, 0)]
    after = padded[equals + 1]
    spaced = (_is_space(before) | _is_space(after)) & (equals > 0)
    name_at = equals - 1
    quote_at = equals + 1
    if spaced.any():
        name_at = name_at.copy()
        quote_at = quote_at.copy()
        for index in np.flatnonzero(spaced):
            left = int(equals[index]) - 1
            while left > 0 and block[left] in _SPACES:
                left -= 1
            right = int(equals[index]) + 1
            while right < n and block[right] in _SPACES:
                right += 1
            name_at[index], quote_at[index] = left, right
    name = padded[np.maximum(name_at, 0)]
    lead = padded[np.maximum(name_at - 1, 0)]
    quote = padded[quote_at]
    keep = (name_at > 0) & (name == 0x72) & ((lead == 0x3A) | _is_space(lead))
    keep &= (quote_at < n) & ((quote == 0x22) | (quote == 0x27))
    if not keep.any():
        return empty, empty, empty
    at, quote_at, quote = name_at[keep], quote_at[keep], quote[keep]
    tail = np.concatenate([padded[:n], np.zeros(_REF_WINDOW + 1, dtype=np.uint8)])
    chars = tail[quote_at[:, None] + 1 + np.arange(_REF_WINDOW, dtype=np.int64)]
    upper = np.where((chars >= 0x61) & (chars <= 0x7A), chars - 0x20, chars)
    letter = (upper >= 0x41) & (upper <= 0x5A)
    digit = (chars >= 0x30) & (chars <= 0x39)
    # Leading letters, then digits, then the closing quote: first mismatch of each kind.
    letters = np.where(letter.all(axis=1), _REF_WINDOW, np.argmin(letter, axis=1))
    positions = np.arange(_REF_WINDOW)[None, :]
    digit_run = digit | (positions < letters[:, None])
    ends = np.where(digit_run.all(axis=1), _REF_WINDOW, np.argmin(digit_run, axis=1))
    digits = ends - letters
    rows_idx = np.arange(at.size)
    closing = chars[rows_idx, np.minimum(ends, _REF_WINDOW - 1)]
    readable = (ends < _REF_WINDOW) & (closing == quote)
    readable &= (letters <= 3) & (digits >= 1) & (digits <= 7)
    values = upper.astype(np.int64)
    column = np.zeros(at.size, dtype=np.int64)
    for place in range(3):  # at most three letters: A..XFD
        column = np.where(letters > place, column * 26 + (values[:, place] - 0x40), column)
    row = np.zeros(at.size, dtype=np.int64)
    for place in range(7):
        index = np.minimum(letters + place, _REF_WINDOW - 1)
        row = np.where(place < digits, row * 10 + (values[rows_idx, index] - 0x30), row)
    readable &= row >= 1
    out_row = np.where(readable, row - 1, -2)
    out_col = np.where(readable, np.where(letters > 0, column - 1, -1), -2)
    return at.astype(np.int64), out_row, out_col
