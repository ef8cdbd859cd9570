"""Request signing with HMAC-SM3 (optional, per API key).

A buyer may give an API key a signing secret (``sls_`` and 43 characters), shown once. From
then on every gateway call with that key must be signed, and a call that carries signature
headers is checked even when its key has no secret (it is refused then: nothing to check
it against). The signature is the lower-case hex HMAC-SM3, keyed with the secret's UTF-8
text, of five lines joined by ``\\n``::

    POST                                      the method, upper case
    /gateway/v1/products/ent_score/invoke     the path, with ``?`` and the query if any
    1796371200                                X-Sluice-Timestamp: Unix seconds
    2b9f0c6e8d4a4c1f                          X-Sluice-Nonce: 8 to 64 of [A-Za-z0-9_-]
    1ab21d8355cfa17f8e61194831e81a8f...       SM3 of the body bytes, hex (of b"" if none)

sent as ``X-Sluice-Signature``. A timestamp further than
``gateway_signature_window_seconds`` from the server's clock is refused (``replay``), and so
is a nonce the key already used while its timestamp could still be accepted: nonces are
kept in ``gateway_nonces`` under a unique key, so the second use fails on every worker.

The secret is sealed (SM4-GCM, the key id as associated data) under the key store's
``gateway-signing`` data key; HMAC needs the secret itself, so it cannot be kept as a
digest like the API key.
"""

from __future__ import annotations

import hmac
import re
import secrets
import uuid
from datetime import datetime
from pathlib import Path
from typing import Final

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives import hmac as crypto_hmac

from sluice.core import crypto
from sluice.core.errors import SluiceError
from sluice.core.i18n import MessageRef, add_messages
from sluice.core.ids import sm3_hex
from sluice.core.keystore import KeyStore
from sluice.core.settings import Settings

SECRET_PREFIX: Final = "sls_"  # noqa: S105 (how a secret starts, not one)
KEY_SCOPE: Final = "gateway-signing"
TIMESTAMP_HEADER: Final = "X-Sluice-Timestamp"
NONCE_HEADER: Final = "X-Sluice-Nonce"
SIGNATURE_HEADER: Final = "X-Sluice-Signature"
HEADERS: Final = (TIMESTAMP_HEADER, NONCE_HEADER, SIGNATURE_HEADER)
NONCE: Final = re.compile(r"[A-Za-z0-9_-]{8,64}")
_TIMESTAMP: Final = re.compile(r"\d{1,12}")
_SIGNATURE: Final = re.compile(r"[0-9a-fA-F]{64}")


class SignatureInvalid(SluiceError):
    """A signed request whose signature is missing, malformed or wrong."""

    status = 401
    code = "signature_invalid"


class Replay(SluiceError):
    """A signed request seen before (its nonce) or too far from now (its timestamp)."""

    status = 401
    code = "replay"


add_messages(
    {
        "problem.signature_invalid": ("请求签名无效", "Invalid request signature"),
        "error.signature_invalid": (
            "请求签名与请求内容不符：请用该密钥的签名密钥对方法、路径、时间戳、随机数和请求体的 "
            "SM3 计算 HMAC-SM3。",
            "The request signature does not match the request: compute HMAC-SM3 with the "
            "key's signing secret over the method, path, timestamp, nonce and the SM3 of the "
            "body.",
        ),
        "gateway.signature.missing": (
            "该 API 密钥要求请求签名，但缺少请求头 {header}。",
            "This API key requires signed requests, and the {header} header is missing.",
        ),
        "gateway.signature.malformed": (
            "请求头 {header} 格式不正确：{expected}。",
            "The {header} header is malformed: {expected}.",
        ),
        "gateway.signature.no_secret": (
            "请求带有签名请求头，但该 API 密钥没有签名密钥，无法验证："
            "请先在控制台为其生成签名密钥，或去掉签名请求头。",
            "The request carries signature headers, but this API key has no signing secret to "
            "check them with: make one in the console first, or drop the headers.",
        ),
        "gateway.signature.expected.timestamp": (
            "应为 Unix 时间戳（秒）",
            "Unix time in seconds",
        ),
        "gateway.signature.expected.nonce": (
            "应为 8 至 64 个字母、数字、下划线或连字符",
            "8 to 64 letters, digits, underscores or hyphens",
        ),
        "gateway.signature.expected.signature": (
            "应为 64 位十六进制 HMAC-SM3",
            "64 hexadecimal digits of HMAC-SM3",
        ),
        "problem.replay": ("重放的请求", "Replayed request"),
        "error.replay": (
            "该请求的随机数 {nonce} 已被该密钥使用过：每个签名请求须使用新的随机数。",
            "The nonce {nonce} was already used with this key: every signed request needs a "
            "new nonce.",
        ),
        "gateway.replay.stale": (
            "请求时间戳 {timestamp} 与平台时间相差 {seconds} 秒，超过允许的 {window} 秒："
            "请校准时钟并重新签名。",
            "The request timestamp {timestamp} is {seconds} seconds away from the platform's "
            "clock, more than the {window} seconds allowed: correct the clock and sign again.",
        ),
    }
)


def new_secret() -> str:
    """A fresh signing secret, as the buyer sees it once."""
    return f"{SECRET_PREFIX}{secrets.token_urlsafe(32)}"


_data_keys: dict[Path, bytes] = {}


def _data_key(settings: Settings) -> bytes:
    """The ``gateway-signing`` data key, read once per process (every signed call needs it)."""
    path = settings.keys_path
    found = _data_keys.get(path)
    if found is None:
        found = _data_keys[path] = KeyStore(path).data_key(KEY_SCOPE)
    return found


def _aad(api_key_id: uuid.UUID) -> bytes:
    return b"sluice signing secret\x00" + api_key_id.bytes


def seal(settings: Settings, api_key_id: uuid.UUID, secret: str) -> bytes:
    return crypto.seal(_data_key(settings), secret.encode(), _aad(api_key_id))


def unseal(settings: Settings, api_key_id: uuid.UUID, sealed: bytes) -> str:
    return crypto.unseal(_data_key(settings), sealed, _aad(api_key_id)).decode()


def string_to_sign(method: str, target: str, timestamp: str, nonce: str, body: bytes) -> bytes:
    """What is signed: method, path (and query), timestamp, nonce and the body's SM3."""
    return "\n".join((method.upper(), target, timestamp, nonce, sm3_hex(body))).encode()


def sign(secret: str, method: str, target: str, timestamp: str, nonce: str, body: bytes) -> str:
    """The ``X-Sluice-Signature`` of a request (what a client computes; the server too)."""
    mac = crypto_hmac.HMAC(secret.encode(), hashes.SM3())
    mac.update(string_to_sign(method, target, timestamp, nonce, body))
    return mac.finalize().hex()


def parse(timestamp: str | None, nonce: str | None, signature: str | None) -> tuple[int, str, str]:
    """The three headers, checked for presence and form (``SignatureInvalid`` naming the
    header at fault)."""
    for header, value, pattern, expected in (
        (TIMESTAMP_HEADER, timestamp, _TIMESTAMP, "timestamp"),
        (NONCE_HEADER, nonce, NONCE, "nonce"),
        (SIGNATURE_HEADER, signature, _SIGNATURE, "signature"),
    ):
        if not value:
            raise SignatureInvalid("gateway.signature.missing", header=header)
        if not pattern.fullmatch(value):
            raise SignatureInvalid(
                "gateway.signature.malformed",
                header=header,
                expected=MessageRef(f"gateway.signature.expected.{expected}"),
            )
    assert timestamp is not None and nonce is not None and signature is not None
    return int(timestamp), nonce, signature.lower()


def verify(
    secret: str,
    *,
    method: str,
    target: str,
    timestamp: str,
    nonce: str,
    body: bytes,
    signature: str,
) -> None:
    expected = sign(secret, method, target, timestamp, nonce, body)
    if not hmac.compare_digest(expected, signature):
        raise SignatureInvalid()


def check_fresh(timestamp: int, *, now: datetime, window: int) -> None:
    """The timestamp is within ``window`` seconds of ``now``, either way (else ``Replay``)."""
    seconds = abs(int(now.timestamp()) - timestamp)
    if seconds > window:
        raise Replay("gateway.replay.stale", timestamp=timestamp, seconds=seconds, window=window)
