"""Evidence files: stored once under ``<home>/evidence/<SM3 hex>``, never changed, kept.

The name is the content's SM3 digest, so the same document uploaded twice is stored once,
and anyone can check that a file is still what was uploaded by hashing it again.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO, Final

from cryptography.hazmat.primitives import hashes

from sluice.core.errors import InvalidInput, SluiceError
from sluice.core.i18n import add_messages
from sluice.core.ids import sm3_hex

_CHUNK: Final = 1 << 20
_MB: Final = 1 << 20


class EvidenceCorrupted(SluiceError):
    status = 409
    code = "evidence_corrupted"


add_messages(
    {
        "operators.evidence.too_large": (
            "文件超过 {limit} MB 的上传上限。",
            "The file is larger than the {limit} MB upload limit.",
        ),
        "operators.evidence.empty": ("上传的文件是空的。", "The uploaded file is empty."),
        "problem.evidence_corrupted": ("证明材料已损坏", "Evidence file damaged"),
        "error.evidence_corrupted": (
            "证明材料文件的 SM3 摘要与上传时不一致，文件可能已被改动或丢失。",
            "The evidence file's SM3 digest no longer matches the one taken at upload; the "
            "file may have been changed or lost.",
        ),
    }
)


@dataclass(frozen=True)
class Stored:
    sm3: str
    size_bytes: int
    path: Path


def directory_of(home: Path) -> Path:
    return home / "evidence"


def store(stream: BinaryIO, *, home: Path, limit_mb: int) -> Stored:
    """Hash while writing to a scratch name, then move into place under the digest."""
    directory = directory_of(home)
    directory.mkdir(parents=True, exist_ok=True, mode=0o700)
    scratch = directory / f".upload-{uuid.uuid4().hex}"
    digest = hashes.Hash(hashes.SM3())
    size = 0
    try:
        with scratch.open("wb") as out:
            while chunk := stream.read(_CHUNK):
                size += len(chunk)
                if size > limit_mb * _MB:
                    raise InvalidInput("operators.evidence.too_large", limit=limit_mb)
                digest.update(chunk)
                out.write(chunk)
        if size == 0:
            raise InvalidInput("operators.evidence.empty")
        sm3 = digest.finalize().hex()
        target = directory / sm3
        if target.exists():
            scratch.unlink()  # the same content is already kept
        else:
            scratch.chmod(0o400)
            scratch.replace(target)
        return Stored(sm3, size, target)
    finally:
        scratch.unlink(missing_ok=True)


def read(home: Path, sm3: str) -> bytes:
    """The file's content, after checking it still hashes to its name."""
    path = directory_of(home) / sm3
    if not path.is_file():
        raise EvidenceCorrupted()
    content = path.read_bytes()
    if sm3_hex(content) != sm3:
        raise EvidenceCorrupted()
    return content
