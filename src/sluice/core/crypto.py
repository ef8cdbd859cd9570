"""SM4-GCM encryption of files at rest, and SM3 content hashes.

Raw uploads and quarantines are encrypted in chunks, so a file of any size is encrypted
and decrypted in constant memory, and each chunk is authenticated on its own.

File format (all integers big-endian)::

    header = b"SLSM4GCM" | version (1 byte, 1) | chunk size (4 bytes) | file id (16 bytes)
    chunk  = nonce (12 bytes) | ciphertext (chunk size bytes; the last chunk may be
             shorter, even empty) | GCM tag (16 bytes)

Chunk *i* is sealed under a fresh random 96-bit nonce with the associated data
``header | i (8 bytes) | final (1 byte: 1 for the last chunk, else 0)``. So a chunk
cannot be altered, moved to another position or another file (the random file id), and
the file cannot be cut short at a chunk boundary (the new last chunk was not sealed as
final) or extended; an empty file is one empty final chunk. Any of these, or a wrong
key, raises ``DecryptionError``. Random nonces stay far below GCM's limit of 2**32
messages per key: a dataset key seals one chunk per MiB its raw uploads ever hold.
"""

from __future__ import annotations

import os
import struct
import threading
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import BinaryIO, Final

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

MAGIC: Final = b"SLSM4GCM"
VERSION: Final = 1
CHUNK_BYTES: Final = 1 << 20
KEY_BYTES: Final = 16  # SM4 has 128-bit keys
NONCE_BYTES: Final = 12
TAG_BYTES: Final = 16
_HEADER = struct.Struct(">8sBI16s")
HASH_READ_BYTES: Final = 8 << 20


class EncryptionCancelled(Exception):
    """An encryption stopped on request (its output was removed)."""


class DecryptionError(ValueError):
    """The file is not ours, was altered or cut short, or the key is not its key."""


# ---------------------------------------------------------------------------------------
# SM3


def sm3_file(path: Path) -> str:
    """The SM3 hash of a file's bytes, read in 8 MiB pieces, as 64 hex digits."""
    digest = hashes.Hash(hashes.SM3())
    buffer = bytearray(HASH_READ_BYTES)
    view = memoryview(buffer)
    with path.open("rb", buffering=0) as handle:
        while size := handle.readinto(buffer):
            digest.update(view[:size])
    return digest.finalize().hex()


# ---------------------------------------------------------------------------------------
# SM4-GCM files


def encrypt_file(
    src: Path,
    dst: Path,
    key: bytes,
    *,
    chunk_bytes: int = CHUNK_BYTES,
    cancel: threading.Event | None = None,
) -> int:
    """Encrypt ``src`` into ``dst`` (written whole or not at all); returns bytes written."""
    with src.open("rb") as handle:
        pieces = _read_pieces(handle, chunk_bytes)
        return encrypt_stream(pieces, dst, key, chunk_bytes=chunk_bytes, cancel=cancel)


def encrypt_stream(
    pieces: Iterable[bytes],
    dst: Path,
    key: bytes,
    *,
    chunk_bytes: int = CHUNK_BYTES,
    cancel: threading.Event | None = None,
) -> int:
    """Encrypt the concatenation of ``pieces`` into ``dst``; returns bytes written.

    The file appears under its name only once complete (written to a ``.partial``
    sibling first and renamed). Setting ``cancel`` stops the work between two chunks
    with ``EncryptionCancelled``, leaving nothing behind.
    """
    _check_key(key)
    if not 1 <= chunk_bytes < 2**32:
        raise ValueError("chunk_bytes must be positive and below 2**32")
    header = _HEADER.pack(MAGIC, VERSION, chunk_bytes, os.urandom(16))
    partial = dst.with_name(dst.name + ".partial")
    written = 0
    try:
        with partial.open("wb") as out:
            out.write(header)
            written += len(header)
            chunks = _rechunk(pieces, chunk_bytes)
            current = next(chunks, b"")
            index = 0
            sealed = bytearray(chunk_bytes + 15)  # room update_into asks for
            while True:
                if cancel is not None and cancel.is_set():
                    raise EncryptionCancelled(str(dst))
                following = next(chunks, None)
                final = following is None
                written += _seal_into(out, sealed, key, header, index, final, current)
                if following is None:
                    break
                current, index = following, index + 1
            out.flush()
            os.fsync(out.fileno())
        partial.replace(dst)
    finally:
        partial.unlink(missing_ok=True)
    return written


def decrypt_chunks(src: Path, key: bytes) -> Iterator[bytes]:
    """The plaintext of an encrypted file, chunk by chunk, each verified before it is
    yielded. A consumer that stops early has read only verified bytes."""
    _check_key(key)
    with src.open("rb") as handle:
        header = handle.read(_HEADER.size)
        if len(header) != _HEADER.size:
            raise DecryptionError("not a Sluice encrypted file (too short)")
        magic, version, chunk_bytes, _ = _HEADER.unpack(header)
        if magic != MAGIC:
            raise DecryptionError("not a Sluice encrypted file")
        if version != VERSION:
            raise DecryptionError(f"unknown encrypted file version {version}")
        sealed_size = NONCE_BYTES + chunk_bytes + TAG_BYTES
        current = handle.read(sealed_size)
        index = 0
        while True:
            following = handle.read(sealed_size)
            final = not following
            if len(current) < NONCE_BYTES + TAG_BYTES or (
                not final and len(current) != sealed_size
            ):
                raise DecryptionError("the encrypted file is truncated")
            yield _open(key, header, index, final, current)
            if final:
                return
            current, index = following, index + 1


def decrypt_file(src: Path, dst: Path, key: bytes) -> int:
    """Decrypt ``src`` into ``dst``; ``dst`` appears only if every chunk verified."""
    partial = dst.with_name(dst.name + ".partial")
    written = 0
    try:
        with partial.open("wb") as out:
            for plain in decrypt_chunks(src, key):
                out.write(plain)
                written += len(plain)
        partial.replace(dst)
    finally:
        partial.unlink(missing_ok=True)
    return written


def decrypt_bytes(src: Path, key: bytes) -> bytes:
    """The whole plaintext in memory (for small files such as quarantines)."""
    return b"".join(decrypt_chunks(src, key))


def seal(key: bytes, plain: bytes, aad: bytes) -> bytes:
    """One small value sealed with SM4-GCM: nonce (12) | ciphertext | tag (16)."""
    _check_key(key)
    nonce = os.urandom(NONCE_BYTES)
    encryptor = Cipher(algorithms.SM4(key), modes.GCM(nonce)).encryptor()
    encryptor.authenticate_additional_data(aad)
    return nonce + encryptor.update(plain) + encryptor.finalize() + encryptor.tag


def unseal(key: bytes, sealed: bytes, aad: bytes) -> bytes:
    """The value ``seal`` sealed; ``DecryptionError`` if it or its associated data changed."""
    _check_key(key)
    nonce, body, tag = sealed[:NONCE_BYTES], sealed[NONCE_BYTES:-TAG_BYTES], sealed[-TAG_BYTES:]
    decryptor = Cipher(algorithms.SM4(key), modes.GCM(nonce, tag)).decryptor()
    decryptor.authenticate_additional_data(aad)
    try:
        return decryptor.update(body) + decryptor.finalize()
    except InvalidTag:
        raise DecryptionError("the sealed value does not open: altered, or not its key") from None


def _seal_into(
    out: BinaryIO,
    buffer: bytearray,
    key: bytes,
    header: bytes,
    index: int,
    final: bool,
    plain: bytes,
) -> int:
    """Write one sealed chunk (nonce, ciphertext, tag); the ciphertext goes through a
    reused buffer rather than new bytes objects. Returns the bytes written."""
    nonce = os.urandom(NONCE_BYTES)
    encryptor = Cipher(algorithms.SM4(key), modes.GCM(nonce)).encryptor()
    encryptor.authenticate_additional_data(_aad(header, index, final))
    size = encryptor.update_into(plain, buffer) if plain else 0
    encryptor.finalize()
    out.write(nonce)
    out.write(memoryview(buffer)[:size])
    out.write(encryptor.tag)
    return NONCE_BYTES + size + TAG_BYTES


def _open(key: bytes, header: bytes, index: int, final: bool, sealed: bytes) -> bytes:
    nonce, body, tag = sealed[:NONCE_BYTES], sealed[NONCE_BYTES:-TAG_BYTES], sealed[-TAG_BYTES:]
    decryptor = Cipher(algorithms.SM4(key), modes.GCM(nonce, tag)).decryptor()
    decryptor.authenticate_additional_data(_aad(header, index, final))
    try:
        return decryptor.update(body) + decryptor.finalize()
    except InvalidTag:
        raise DecryptionError(
            f"chunk {index} failed authentication: the file was altered, reordered or "
            "truncated, or this is not its key"
        ) from None


def _aad(header: bytes, index: int, final: bool) -> bytes:
    return header + struct.pack(">QB", index, 1 if final else 0)


def _read_pieces(handle: BinaryIO, size: int) -> Iterator[bytes]:
    while piece := handle.read(size):
        yield piece


def _rechunk(pieces: Iterable[bytes], size: int) -> Iterator[bytes]:
    """Exactly ``size``-byte chunks (the last one shorter, never empty)."""
    buffer = bytearray()
    for piece in pieces:
        if not buffer and len(piece) == size:
            yield piece  # the common case when reading a file: no copy
            continue
        buffer += piece
        while len(buffer) >= size:
            yield bytes(buffer[:size])
            del buffer[:size]
    if buffer:
        yield bytes(buffer)


def _check_key(key: bytes) -> None:
    if not isinstance(key, bytes) or len(key) != KEY_BYTES:
        raise ValueError(f"an SM4 key is {KEY_BYTES} bytes")
