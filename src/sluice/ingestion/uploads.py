"""Receiving an uploaded file: streamed to a private scratch file, size-limited, then gone.

The pipeline keeps the raw upload only SM4-encrypted; the plaintext scratch copy lives
just as long as the ingestion that reads it.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import BinaryIO

from sluice.core.errors import InvalidInput
from sluice.core.i18n import add_messages

_CHUNK = 1 << 20
_SAFE = re.compile(r"[^A-Za-z0-9._-]+")

add_messages(
    {
        "upload.too_large": (
            "文件超过 {limit} MB 的上传上限。",
            "The file is larger than the {limit} MB upload limit.",
        ),
        "upload.empty": ("上传的文件是空的。", "The uploaded file is empty."),
    }
)


@contextmanager
def received(stream: BinaryIO, *, filename: str, scratch: Path, limit_mb: int) -> Iterator[Path]:
    scratch.mkdir(parents=True, exist_ok=True, mode=0o700)
    suffix = Path(filename).suffix.lower()
    target = scratch / f"{uuid.uuid4().hex}{_SAFE.sub('', suffix)[:10]}"
    written = 0
    try:
        with target.open("wb") as out:
            target.chmod(0o600)
            while chunk := stream.read(_CHUNK):
                written += len(chunk)
                if written > limit_mb * _CHUNK:
                    raise InvalidInput("upload.too_large", limit=limit_mb)
                out.write(chunk)
        if written == 0:
            raise InvalidInput("upload.empty")
        yield target
    finally:
        target.unlink(missing_ok=True)
