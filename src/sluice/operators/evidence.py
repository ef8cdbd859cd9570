"""Evidence files: stored once under ``<home>/evidence/<SM3 hex>``, SM4-encrypted, kept.

An applicant's evidence (licences, audit reports, contracts, ID cards of principals) is as
sensitive as any upload, so it is kept like one: sealed with the data plane's chunked
SM4-GCM format (``dataplane.crypto``) under the key store's ``evidence`` data key, never in
plaintext on disk. The name stays the SM3 digest of the *plaintext*: the same document
uploaded twice is stored once, and every read decrypts and checks the content still hashes
to its name (a file altered, swapped, cut short or sealed under another key is refused).

Files written before encryption (plaintext named by their SM3) still read, after the same
check, and are sealed in place the first time they are read or uploaded again.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO, Final

from cryptography.hazmat.primitives import hashes

from sluice.core.crypto import MAGIC, DecryptionError, decrypt_bytes, encrypt_stream
from sluice.core.errors import InvalidInput, SluiceError
from sluice.core.i18n import add_messages
from sluice.core.ids import sm3_hex
from sluice.core.keystore import KeyStore

_CHUNK: Final = 1 << 20
_MB: Final = 1 << 20
#: The key store scope whose data key seals evidence files.
KEY_SCOPE: Final = "evidence"


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


def _key(keys: Path) -> bytes:
    return KeyStore(keys).data_key(KEY_SCOPE)


def store(stream: BinaryIO, *, home: Path, keys: Path, limit_mb: int) -> Stored:
    """Hash the plaintext while sealing it to a scratch name, then move the sealed file into
    place under the digest. The plaintext never touches the disk."""
    directory = directory_of(home)
    directory.mkdir(parents=True, exist_ok=True, mode=0o700)
    scratch = directory / f".upload-{uuid.uuid4().hex}"
    digest = hashes.Hash(hashes.SM3())
    size = 0

    def pieces() -> Iterator[bytes]:
        nonlocal size
        while chunk := stream.read(_CHUNK):
            size += len(chunk)
            if size > limit_mb * _MB:
                raise InvalidInput("operators.evidence.too_large", limit=limit_mb)
            digest.update(chunk)
            yield chunk

    try:
        encrypt_stream(pieces(), scratch, _key(keys))
        if size == 0:
            raise InvalidInput("operators.evidence.empty")
        sm3 = digest.finalize().hex()
        target = directory / sm3
        if target.exists() and _is_sealed(target):
            scratch.unlink()  # the same content is already kept
        else:
            # New, or kept in plaintext from before encryption: the sealed copy replaces it.
            scratch.chmod(0o400)
            scratch.replace(target)
        return Stored(sm3, size, target)
    finally:
        scratch.unlink(missing_ok=True)


def read(home: Path, sm3: str, *, keys: Path) -> bytes:
    """The file's content, decrypted and checked to still hash to its name."""
    path = directory_of(home) / sm3
    if not path.is_file():
        raise EvidenceCorrupted()
    key = _key(keys)
    if _is_sealed(path):
        try:
            content = decrypt_bytes(path, key)
        except DecryptionError:
            content = None
        if content is not None and sm3_hex(content) == sm3:
            return content
    # Kept in plaintext before encryption (or a plaintext that happens to begin with the
    # sealed files' magic bytes): good only if it is exactly what was uploaded.
    plain = path.read_bytes()
    if sm3_hex(plain) != sm3:
        raise EvidenceCorrupted()
    _seal_in_place(path, plain, key)
    return plain


def _is_sealed(path: Path) -> bool:
    with path.open("rb") as handle:
        return handle.read(len(MAGIC)) == MAGIC


def _seal_in_place(path: Path, plain: bytes, key: bytes) -> None:
    """Replace a plaintext evidence file by its sealed form (same name, same content)."""
    scratch = path.with_name(f".seal-{uuid.uuid4().hex}")
    try:
        encrypt_stream([plain], scratch, key)
        scratch.chmod(0o400)
        scratch.replace(path)
    finally:
        scratch.unlink(missing_ok=True)
