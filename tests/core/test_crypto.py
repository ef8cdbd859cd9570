"""SM3 hashes and chunked SM4-GCM files: known answers, round trips, tampering."""

from __future__ import annotations

import os
import struct
import threading
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

from sluice.core import crypto
from sluice.core.crypto import (
    DecryptionError,
    EncryptionCancelled,
    decrypt_bytes,
    decrypt_chunks,
    decrypt_file,
    encrypt_file,
    encrypt_stream,
    sm3_file,
)
from sluice.core.ids import sm3_hex

KEY = bytes.fromhex("0123456789abcdeffedcba9876543210")
HEADER = 29
SEALED_OVERHEAD = 12 + 16


def test_sm3_known_answers_gb_t_32905() -> None:
    assert sm3_hex(b"abc") == "66c7f0f462eeedd9d1f2d46bdc10e4e24167c4875cf2f7a2297da02b8f4ba8e0"
    assert (
        sm3_hex(b"abcd" * 16) == "debe9ff92275b8a138604889c18e5a4d6fdb70e5387e5765293dcba39c0c5732"
    )


def test_sm3_of_a_file_is_streamed_and_equals_sm3_of_its_bytes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    data = os.urandom(100_003)
    path = tmp_path / "f"
    path.write_bytes(data)
    monkeypatch.setattr(crypto, "HASH_READ_BYTES", 4096)  # many pieces
    assert sm3_file(path) == sm3_hex(data)


def test_sm4_gcm_known_answer_rfc_8998() -> None:
    # The primitive the file format rests on: RFC 8998, appendix A.1.
    nonce = bytes.fromhex("00001234567800000000ABCD")
    aad = bytes.fromhex("FEEDFACEDEADBEEFFEEDFACEDEADBEEFABADDAD2")
    plain = bytes.fromhex(
        "AAAAAAAAAAAAAAAABBBBBBBBBBBBBBBBCCCCCCCCCCCCCCCCDDDDDDDDDDDDDDDD"
        "EEEEEEEEEEEEEEEEFFFFFFFFFFFFFFFFEEEEEEEEEEEEEEEEAAAAAAAAAAAAAAAA"
    )
    encryptor = Cipher(algorithms.SM4(KEY), modes.GCM(nonce)).encryptor()
    encryptor.authenticate_additional_data(aad)
    sealed = encryptor.update(plain) + encryptor.finalize()
    assert sealed.hex().upper() == (
        "17F399F08C67D5EE19D0DC9969C4BB7D5FD46FD3756489069157B282BB200735"
        "D82710CA5C22F0CCFA7CBF93D496AC15A56834CBCF98C397B4024A2691233B8D"
    )
    assert encryptor.tag.hex().upper() == "83DE3541E4C2B58177E065A9BF7B62EC"


@pytest.mark.parametrize("size", [0, 1, 63, 64, 65, 64 * 5, 1000])
def test_round_trip_of_any_size(tmp_path: Path, size: int) -> None:
    data = os.urandom(size)
    src, sealed, back = tmp_path / "src", tmp_path / "sealed", tmp_path / "back"
    src.write_bytes(data)

    written = encrypt_file(src, sealed, KEY, chunk_bytes=64)

    chunks = max(1, -(-size // 64))
    assert written == sealed.stat().st_size == HEADER + size + chunks * SEALED_OVERHEAD
    assert decrypt_file(sealed, back, KEY) == size
    assert back.read_bytes() == data
    assert all(len(c) <= 64 for c in decrypt_chunks(sealed, KEY))
    assert not list(tmp_path.glob("*.partial"))


def test_the_same_file_never_encrypts_the_same_way_and_shows_no_plaintext(tmp_path: Path) -> None:
    secret = "身份证 210802199001011234 张三 13800138000\n".encode() * 50
    src = tmp_path / "src"
    src.write_bytes(secret)
    encrypt_file(src, tmp_path / "a", KEY)
    encrypt_file(src, tmp_path / "b", KEY)
    a, b = (tmp_path / "a").read_bytes(), (tmp_path / "b").read_bytes()
    assert a != b
    assert b"210802199001011234" not in a and "张三".encode() not in a


def _sealed(tmp_path: Path, data: bytes, chunk: int = 64) -> bytes:
    src, sealed = tmp_path / "src", tmp_path / "sealed"
    src.write_bytes(data)
    encrypt_file(src, sealed, KEY, chunk_bytes=chunk)
    return sealed.read_bytes()


def _refused(tmp_path: Path, blob: bytes, key: bytes = KEY) -> None:
    path = tmp_path / "tampered"
    path.write_bytes(blob)
    with pytest.raises(DecryptionError):
        decrypt_bytes(path, key)
    with pytest.raises(DecryptionError):
        decrypt_file(path, tmp_path / "out", key)
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize("where", [0, 10, HEADER + 3, HEADER + 20, HEADER + 12 + 64 + 5, -1])
def test_any_flipped_byte_is_detected(tmp_path: Path, where: int) -> None:
    blob = bytearray(_sealed(tmp_path, os.urandom(200)))
    blob[where] ^= 0x01
    _refused(tmp_path, bytes(blob))


def test_cutting_reordering_splicing_and_extending_are_detected(tmp_path: Path) -> None:
    blob = _sealed(tmp_path, os.urandom(64 * 3))
    size = SEALED_OVERHEAD + 64
    header, chunks = (
        blob[:HEADER],
        [blob[HEADER + i * size : HEADER + (i + 1) * size] for i in range(3)],
    )

    _refused(tmp_path, header + chunks[0] + chunks[1])  # last chunk dropped
    _refused(tmp_path, header + chunks[1] + chunks[0] + chunks[2])  # reordered
    _refused(tmp_path, header + chunks[0] + chunks[1] + chunks[2] + chunks[2])  # extended
    _refused(tmp_path, blob[:-5])  # cut inside a chunk
    _refused(tmp_path, header)  # no chunk at all
    other = _sealed(tmp_path, os.urandom(64 * 3))  # same key, another file
    _refused(tmp_path, header + other[HEADER : HEADER + size] + chunks[1] + chunks[2])
    _refused(tmp_path, blob, key=os.urandom(16))  # wrong key
    _refused(tmp_path, b"NOTSLUICE" + blob[9:])  # not our format


def test_the_header_binds_version_and_chunk_size(tmp_path: Path) -> None:
    blob = _sealed(tmp_path, os.urandom(100))
    magic, version, chunk, file_id = struct.unpack(">8sBI16s", blob[:HEADER])
    assert (magic, version, chunk) == (b"SLSM4GCM", 1, 64)
    _refused(tmp_path, struct.pack(">8sBI16s", magic, 2, chunk, file_id) + blob[HEADER:])


def test_a_cancelled_encryption_leaves_nothing(tmp_path: Path) -> None:
    stop = threading.Event()
    stop.set()
    with pytest.raises(EncryptionCancelled):
        encrypt_stream([b"x" * 1000], tmp_path / "out", KEY, chunk_bytes=64, cancel=stop)
    assert list(tmp_path.iterdir()) == []


def test_streams_encrypt_like_files(tmp_path: Path) -> None:
    pieces = [os.urandom(n) for n in (0, 10, 100, 1, 300)]
    path = tmp_path / "stream"
    encrypt_stream(pieces, path, KEY, chunk_bytes=64)
    assert decrypt_bytes(path, KEY) == b"".join(pieces)
    with pytest.raises(ValueError, match="16 bytes"):
        encrypt_stream([b"x"], path, b"short")
