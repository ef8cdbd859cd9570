"""SM2 signatures (GB/T 32918.2-2016) on the recommended curve sm2p256v1 (GB/T 32918.5).

What a signature covers
    SM2 never signs the bare message. The signer computes the identity digest
    ``Z = SM3(ENTL || ID || a || b || x_G || y_G || x_A || y_A)`` (the signer ID's length in
    bits as two bytes, the ID, the curve's coefficients and base point, the signer's public
    key) and signs ``e = SM3(Z || M)``. So a signature binds the message to one public key
    and one signer ID: it does not verify under another key or another ID. The default ID
    is ``1234567812345678``, the one GM/T 0009 fixes when the parties agree on no other.

    ``Z`` and ``e`` are computed here (:func:`z_value`, :func:`digest_to_sign`, with the SM3
    of ``cryptography``) and GmSSL signs ``e``. GmSSL can compute ``Z`` itself
    (``gmssl_pyx.sm2_sign`` with a signer ID), but that path rebuilds a precomputation
    table on every call and measured ten times slower here (about 5 ms against 0.5 ms a
    signature). The tests pin ``Z`` and ``e`` to the standard's published example and check
    that GmSSL's own ``Z`` path verifies our signatures and that we verify its signatures.

Formats
    * private key: 32 bytes, the big-endian scalar ``d`` with ``1 <= d <= n - 2``;
    * public key: 64 bytes ``x || y``; where a key is read, the 65-byte uncompressed form
      ``04 || x || y`` is accepted too;
    * signature: 64 bytes ``r || s``, each 32 bytes big-endian. Not DER: a fixed-width value
      fits a fixed-width column (128 hex digits), a printed document or a QR code, has one
      encoding only (DER's 70 to 72 bytes vary with leading zeros), and is the layout of
      GM/T 0018 devices. Where a structure wants DER (GM/T 0009 ``SM2Signature`` in
      certificates and CMS), convert with :func:`signature_to_der` / :func:`signature_from_der`.

Errors
    :func:`verify` answers ``False`` for anything wrong with the signature, the message's
    match or the signer ID, and never raises for them; it raises ``ValueError`` only for a
    malformed public key (wrong length, wrong prefix, not a point on the curve), which is a
    configuration error rather than an attack. :func:`sign` and :func:`public_key_of` raise
    ``ValueError`` for a malformed private key or signer ID. A message that is not bytes is
    a programming error (``TypeError``).

Providers
    The module functions check and normalize their inputs, then delegate to one
    :class:`SM2Provider`; :class:`GmsslPyxProvider` (GmSSL 3 through ``gmssl_pyx``) is the
    default and :func:`use_provider` swaps it. A provider receives only well-formed input.
"""

from __future__ import annotations

import ctypes
from dataclasses import dataclass, field
from typing import Final, Protocol

import gmssl_pyx
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric.utils import (
    decode_dss_signature,
    encode_dss_signature,
)
from gmssl_pyx import gmsslext

DEFAULT_SIGNER_ID: Final = b"1234567812345678"
PRIVATE_KEY_BYTES: Final = 32
PUBLIC_KEY_BYTES: Final = 64
SIGNATURE_BYTES: Final = 64
#: ENTL is the ID's length in bits in two bytes, so an ID holds at most 8191 bytes.
MAX_SIGNER_ID_BYTES: Final = 0xFFFF // 8

# The recommended curve, GB/T 32918.5-2017 (y^2 = x^3 + ax + b over F_p, order n).
P: Final = int("FFFFFFFEFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFF00000000FFFFFFFFFFFFFFFF", 16)
A: Final = int("FFFFFFFEFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFF00000000FFFFFFFFFFFFFFFC", 16)
B: Final = int("28E9FA9E9D9F5E344D5A9E4BCF6509A7F39789F515AB8F92DDBCBD414D940E93", 16)
N: Final = int("FFFFFFFEFFFFFFFFFFFFFFFFFFFFFFFF7203DF6B21C6052B53BBF40939D54123", 16)
GX: Final = int("32C4AE2C1F1981195F9904466A39C9948FE30BBFF2660BE1715A4589334C74C7", 16)
GY: Final = int("BC3736A2F4F6779C59BDCEE36B692153D0A9877CC62A474002DF32E52139F0A0", 16)
_CURVE_BYTES: Final = b"".join(v.to_bytes(32, "big") for v in (A, B, GX, GY))


@dataclass(frozen=True)
class SM2KeyPair:
    private_key: bytes = field(repr=False)
    public_key: bytes

    @property
    def public_key_hex(self) -> str:
        return self.public_key.hex()


class SM2Provider(Protocol):
    """One SM2 implementation. Inputs arrive checked: a private key in range, a 64-byte
    public key on the curve, a 64-byte signature with ``r`` and ``s`` in ``[1, n - 1]``, a
    signer ID of 1 to 8191 bytes. Signatures go in and out as ``r || s``."""

    def generate_keypair(self) -> SM2KeyPair: ...

    def public_key_of(self, private_key: bytes) -> bytes: ...

    def sign(self, private_key: bytes, message: bytes, signer_id: bytes) -> bytes: ...

    def verify(
        self, public_key: bytes, message: bytes, signature: bytes, signer_id: bytes
    ) -> bool: ...


# ---------------------------------------------------------------------------------------
# The digest that is signed


def _sm3(*parts: bytes) -> bytes:
    digest = hashes.Hash(hashes.SM3())
    for part in parts:
        digest.update(part)
    return digest.finalize()


def _z(public_key: bytes, signer_id: bytes) -> bytes:
    entl = (len(signer_id) * 8).to_bytes(2, "big")
    return _sm3(entl, signer_id, _CURVE_BYTES, public_key)


def z_value(public_key: bytes, signer_id: bytes = DEFAULT_SIGNER_ID) -> bytes:
    """The identity digest Z of GB/T 32918.2 §5.5 for this key and signer ID."""
    return _z(_public_key(public_key), _signer_id(signer_id))


def digest_to_sign(
    public_key: bytes, message: bytes, signer_id: bytes = DEFAULT_SIGNER_ID
) -> bytes:
    """``e = SM3(Z || M)``, what the SM2 signature of ``message`` actually signs."""
    return _sm3(z_value(public_key, signer_id), _message(message))


# ---------------------------------------------------------------------------------------
# Input checks shared by every provider


def _as_bytes(value: object) -> bytes | None:
    if isinstance(value, bytes | bytearray | memoryview):
        return bytes(value)
    return None


def _message(message: object) -> bytes:
    data = _as_bytes(message)
    if data is None:
        raise TypeError(f"an SM2 message is bytes, not {type(message).__name__}")
    return data


def _private_key(private_key: object) -> bytes:
    key = _as_bytes(private_key)
    if key is None or len(key) != PRIVATE_KEY_BYTES:
        raise ValueError("an SM2 private key is 32 bytes")
    if not 1 <= int.from_bytes(key, "big") <= N - 2:
        raise ValueError("an SM2 private key lies in [1, n - 2]")
    return key


def _on_curve(x: int, y: int) -> bool:
    return x < P and y < P and (y * y - (x * x * x + A * x + B)) % P == 0


def _public_key(public_key: object) -> bytes:
    key = _as_bytes(public_key)
    if key is not None and len(key) == PUBLIC_KEY_BYTES + 1 and key[0] == 0x04:
        key = key[1:]
    if key is None or len(key) != PUBLIC_KEY_BYTES:
        raise ValueError("an SM2 public key is 64 bytes x || y, or 65 bytes 04 || x || y")
    if not _on_curve(int.from_bytes(key[:32], "big"), int.from_bytes(key[32:], "big")):
        raise ValueError("the SM2 public key is not a point on the curve")
    return key


def _signer_id(signer_id: object) -> bytes:
    identity = _as_bytes(signer_id)
    if identity is None or not 1 <= len(identity) <= MAX_SIGNER_ID_BYTES:
        raise ValueError("an SM2 signer ID is 1 to 8191 bytes")
    return identity


def _signature(signature: object) -> bytes | None:
    raw = _as_bytes(signature)
    if raw is None or len(raw) != SIGNATURE_BYTES:
        return None
    r, s = int.from_bytes(raw[:32], "big"), int.from_bytes(raw[32:], "big")
    return raw if 1 <= r < N and 1 <= s < N else None


# ---------------------------------------------------------------------------------------
# Signature encodings


def signature_to_der(signature: bytes) -> bytes:
    """``r || s`` as the DER ``SEQUENCE { r INTEGER, s INTEGER }`` of GM/T 0009."""
    raw = _signature(signature)
    if raw is None:
        raise ValueError("an SM2 signature is 64 bytes r || s with r, s in [1, n - 1]")
    return encode_dss_signature(int.from_bytes(raw[:32], "big"), int.from_bytes(raw[32:], "big"))


def signature_from_der(der: bytes) -> bytes:
    """The DER ``SEQUENCE { r, s }`` as 64 bytes ``r || s``; ``ValueError`` if malformed."""
    r, s = decode_dss_signature(der)
    if not (1 <= r < N and 1 <= s < N):
        raise ValueError("SM2 signature values lie in [1, n - 1]")
    return r.to_bytes(32, "big") + s.to_bytes(32, "big")


# ---------------------------------------------------------------------------------------
# GmSSL through gmssl_pyx


class GmsslPyxProvider:
    """GmSSL 3 as bundled in ``gmssl_pyx``.

    ``gmssl_pyx`` has no call that derives a public key from a private one, so
    :meth:`public_key_of` calls GmSSL's own key import (``sm2_key_set_private_key``, which
    computes ``d·G``) and public-key encoder (``sm2_public_key_to_der``) in the extension
    module through ``ctypes``. The ``SM2_KEY`` structure stays opaque (an oversized
    buffer); only the scalar's in-memory form (``sm2_z256_t``, made by GmSSL's own
    ``sm2_z256_from_bytes``) is assumed. A self-test at construction (``1·G == G``) refuses
    to run on a build whose interface differs.
    """

    _KEY_BUFFER_BYTES: Final = 1024  # SM2_KEY is 128 bytes in GmSSL 3.1; room to spare
    _DER_PREFIX: Final = bytes.fromhex("03420004")  # BIT STRING, 66 bytes, uncompressed

    def __init__(self) -> None:
        library = ctypes.CDLL(gmsslext.__file__)
        self._from_bytes = library.sm2_z256_from_bytes
        self._from_bytes.argtypes = [ctypes.c_void_p, ctypes.c_char_p]
        self._from_bytes.restype = None
        self._set_private_key = library.sm2_key_set_private_key
        self._set_private_key.argtypes = [ctypes.c_void_p, ctypes.c_void_p]
        self._set_private_key.restype = ctypes.c_int
        self._public_key_to_der = library.sm2_public_key_to_der
        self._public_key_to_der.argtypes = [
            ctypes.c_void_p,
            ctypes.POINTER(ctypes.c_void_p),
            ctypes.POINTER(ctypes.c_size_t),
        ]
        self._public_key_to_der.restype = ctypes.c_int
        generator = GX.to_bytes(32, "big") + GY.to_bytes(32, "big")
        if self.public_key_of((1).to_bytes(32, "big")) != generator:
            raise RuntimeError("gmssl_pyx's GmSSL does not derive SM2 public keys as expected")

    def generate_keypair(self) -> SM2KeyPair:
        public_key, private_key = gmssl_pyx.sm2_key_generate()
        return SM2KeyPair(private_key=bytes(private_key), public_key=bytes(public_key))

    def public_key_of(self, private_key: bytes) -> bytes:
        scalar = (ctypes.c_uint64 * 4)()
        key = ctypes.create_string_buffer(self._KEY_BUFFER_BYTES)
        out = ctypes.create_string_buffer(128)
        cursor = ctypes.c_void_p(ctypes.addressof(out))
        written = ctypes.c_size_t(0)
        try:
            self._from_bytes(scalar, private_key)
            if self._set_private_key(key, scalar) != 1:
                raise ValueError("GmSSL refused the SM2 private key")
            if self._public_key_to_der(key, ctypes.byref(cursor), ctypes.byref(written)) != 1:
                raise RuntimeError("GmSSL could not encode the SM2 public key")
            encoded = out.raw[: written.value]
        finally:
            ctypes.memset(scalar, 0, ctypes.sizeof(scalar))
            ctypes.memset(key, 0, ctypes.sizeof(key))
        if len(encoded) != 68 or not encoded.startswith(self._DER_PREFIX):
            raise RuntimeError("GmSSL encoded the SM2 public key unexpectedly")
        return encoded[4:]

    def sign(self, private_key: bytes, message: bytes, signer_id: bytes) -> bytes:
        e = _sm3(_z(self.public_key_of(private_key), signer_id), message)
        der = gmssl_pyx.sm2_sign_sm3_digest(private_key, e)
        r, s = decode_dss_signature(der)
        return r.to_bytes(32, "big") + s.to_bytes(32, "big")

    def verify(self, public_key: bytes, message: bytes, signature: bytes, signer_id: bytes) -> bool:
        e = _sm3(_z(public_key, signer_id), message)
        der = encode_dss_signature(
            int.from_bytes(signature[:32], "big"), int.from_bytes(signature[32:], "big")
        )
        try:
            return bool(gmssl_pyx.sm2_verify_sm3_digest(public_key, e, der))
        except gmssl_pyx.GmsslInnerError:
            return False


_provider: SM2Provider = GmsslPyxProvider()


def use_provider(provider: SM2Provider) -> SM2Provider:
    """Make ``provider`` the one the module functions use; returns the previous one."""
    global _provider
    previous, _provider = _provider, provider
    return previous


# ---------------------------------------------------------------------------------------
# The interface


def generate_keypair() -> SM2KeyPair:
    return _provider.generate_keypair()


def public_key_of(private_key: bytes) -> bytes:
    """The 64-byte public key ``d·G`` of a private key; ``ValueError`` if malformed."""
    return _provider.public_key_of(_private_key(private_key))


def sign(private_key: bytes, message: bytes, *, signer_id: bytes = DEFAULT_SIGNER_ID) -> bytes:
    """The 64-byte ``r || s`` SM2 signature of ``SM3(Z || message)``; randomized, so two
    signatures of one message differ and both verify."""
    return _provider.sign(_private_key(private_key), _message(message), _signer_id(signer_id))


def verify(
    public_key: bytes,
    message: bytes,
    signature: bytes,
    *,
    signer_id: bytes = DEFAULT_SIGNER_ID,
) -> bool:
    """Whether ``signature`` (``r || s``) is ``public_key``'s signature of ``message`` under
    ``signer_id``. ``False`` for any bad signature or signer ID; ``ValueError`` only for a
    malformed public key."""
    key = _public_key(public_key)
    data = _message(message)
    raw = _signature(signature)
    try:
        identity = _signer_id(signer_id)
    except ValueError:
        return False
    if raw is None:
        return False
    return _provider.verify(key, data, raw, identity)


def public_key_from_hex(text: str) -> bytes:
    """A public key from 128 hex digits (or 130 with the ``04`` prefix), checked."""
    try:
        key = bytes.fromhex(text)
    except (TypeError, ValueError):
        raise ValueError("an SM2 public key in hex is 128 hex digits") from None
    return _public_key(key)


def verify_hex(
    public_key_hex: str,
    message: bytes,
    signature_hex: str,
    *,
    signer_id: bytes = DEFAULT_SIGNER_ID,
) -> bool:
    """:func:`verify` with the key and signature in hex, as they are stored. A signature
    that is not hex is a bad signature (``False``); a key that is not, ``ValueError``."""
    key = public_key_from_hex(public_key_hex)
    data = _message(message)
    try:
        signature = bytes.fromhex(signature_hex)
    except (TypeError, ValueError):
        return False
    return verify(key, data, signature, signer_id=signer_id)
