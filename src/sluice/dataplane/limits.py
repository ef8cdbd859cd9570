"""How far one source may go: its caps, and the refusals that say a source went past them.

Shared by the readers and the streamed workbook check (``expansion``), which both stop a
source the moment it passes a cap, before the rest of it is read.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar, Final

#: Excel's own limit of rows per sheet (the header row included).
EXCEL_MAX_ROWS: Final = 1_048_576


@dataclass(frozen=True, slots=True)
class ReadLimits:
    """Caps on one source: its data rows, and the bytes it may expand to once unpacked
    (a Parquet file's decoded columns, a workbook's XML and its grid of cells)."""

    max_rows: int = 50_000_000
    max_bytes: int = 8192 << 20


class SourceError(ValueError):
    """A source that cannot be read as a table at all (as opposed to a broken row).

    ``str(error)`` is the technical detail for the server's log (it may quote a library's
    message); ``key`` and ``params`` name a message (``source.*``) that tells the file's
    owner what is wrong with *their file*, in their language, and never names a path.
    """

    code: ClassVar[str] = "upload_unreadable"

    def __init__(self, detail: str, *, key: str = "source.unreadable", **params: Any) -> None:
        super().__init__(detail)
        self.key = key
        self.params = params


class TooManyRows(SourceError):
    """More rows than a cap allows: refused before the rest is read."""

    code: ClassVar[str] = "upload_too_many_rows"

    def __init__(self, limit: int, detail: str = "") -> None:
        super().__init__(
            f"more than {limit} rows ({detail})", key="source.too_many_rows", limit=f"{limit:,}"
        )


class ExpandsTooFar(SourceError):
    """More bytes once unpacked than a cap allows (a decompression bomb, or just too big)."""

    code: ClassVar[str] = "upload_expands_too_far"

    def __init__(self, limits: ReadLimits, detail: str = "") -> None:
        megabytes = limits.max_bytes / (1 << 20)
        shown = f"{megabytes:,.0f}" if megabytes >= 10 else f"{megabytes:.2g}"
        super().__init__(
            f"over {limits.max_bytes} bytes once unpacked ({detail})",
            key="source.expands_too_far",
            limit=shown,
        )
