"""Data an operator derives under one authorization, and its destruction.

Everything a sandbox, a product build or an export produces for an authorization lives in
``<data dir>/authorizations/<authorization id>/``, SM4-GCM encrypted under that
authorization's own data key (scope ``authorization-<id>``). Ending the authorization
destroys both: each file is hashed (SM3, so the certificate can name exactly what was
destroyed), deleted, and then the key is crypto-shredded, which also makes any copy a
backup may still hold unreadable.
"""

from __future__ import annotations

import shutil
import uuid
from dataclasses import dataclass
from pathlib import Path

from sluice.core.crypto import decrypt_bytes, encrypt_stream, sm3_file
from sluice.core.keystore import KeyStore
from sluice.core.settings import Settings


@dataclass(frozen=True)
class DestroyedFile:
    name: str
    bytes: int
    sm3: str


@dataclass(frozen=True)
class Destruction:
    files: tuple[DestroyedFile, ...]
    key_scope: str
    #: Whether a key existed and was shredded now (False: there never was one, or it was
    #: already destroyed; either way no key remains).
    key_shredded: bool


def key_scope(authorization_id: uuid.UUID) -> str:
    return f"authorization-{authorization_id}"


def derived_dir(settings: Settings, authorization_id: uuid.UUID) -> Path:
    return settings.data_dir / "authorizations" / str(authorization_id)


def _keys(settings: Settings) -> KeyStore:
    return KeyStore(settings.keys_path)


def _safe_name(name: str) -> str:
    if not name or "/" in name or "\\" in name or name.startswith(".") or len(name) > 200:
        raise ValueError(f"invalid derived file name {name!r}")
    return name


def write(settings: Settings, authorization_id: uuid.UUID, name: str, data: bytes) -> Path:
    """Store one derived file, encrypted under the authorization's key."""
    directory = derived_dir(settings, authorization_id)
    directory.mkdir(parents=True, exist_ok=True)
    target = directory / f"{_safe_name(name)}.sm4"
    key = _keys(settings).data_key(key_scope(authorization_id))
    encrypt_stream([data], target, key)
    return target


def read(settings: Settings, authorization_id: uuid.UUID, name: str) -> bytes:
    """Raises ``KeyDestroyed`` once the authorization's data was destroyed."""
    key = _keys(settings).data_key(key_scope(authorization_id))
    return decrypt_bytes(derived_dir(settings, authorization_id) / f"{_safe_name(name)}.sm4", key)


def delete(settings: Settings, authorization_id: uuid.UUID, name: str) -> bool:
    """Delete one derived file (a rejected export's candidate); whether it was there."""
    target = derived_dir(settings, authorization_id) / f"{_safe_name(name)}.sm4"
    if not target.exists():
        return False
    target.unlink()
    return True


def files(settings: Settings, authorization_id: uuid.UUID) -> list[Path]:
    directory = derived_dir(settings, authorization_id)
    if not directory.exists():
        return []
    return sorted(p for p in directory.rglob("*") if p.is_file())


def describe(settings: Settings, authorization_id: uuid.UUID) -> tuple[DestroyedFile, ...]:
    """Every derived file with its size and SM3, as a certificate lists them."""
    directory = derived_dir(settings, authorization_id)
    return tuple(
        DestroyedFile(
            name=str(path.relative_to(directory)), bytes=path.stat().st_size, sm3=sm3_file(path)
        )
        for path in files(settings, authorization_id)
    )


def remains(settings: Settings, authorization_id: uuid.UUID) -> bool:
    """Whether anything of the authorization's data is left: files, or a usable key."""
    scope = key_scope(authorization_id)
    keys = _keys(settings)
    return bool(files(settings, authorization_id)) or not keys.destroyed(scope)


def destroy(settings: Settings, authorization_id: uuid.UUID) -> Destruction:
    """Hash and delete every derived file, then shred the authorization's key. Idempotent."""
    directory = derived_dir(settings, authorization_id)
    destroyed = describe(settings, authorization_id)
    if directory.exists():
        shutil.rmtree(directory)
    keys = _keys(settings)
    scope = key_scope(authorization_id)
    had_key = keys.exists(scope)
    keys.destroy(scope)
    return Destruction(files=destroyed, key_scope=scope, key_shredded=had_key)
