"""Envelope encryption keys: one master key, and data keys wrapped by it, per scope.

A *scope* names what a data key protects: ``dataset-<uuid>`` (a dataset's raw uploads
and quarantines), ``authorization-<uuid>`` (what one authorization may decrypt),
``tokenization`` (the key behind identifier tokens, shared so tokens join across
datasets). Scopes are letters, digits, ``.``, ``_`` and ``-`` (at most 128, not starting
with a dot); anything else is refused rather than rewritten, so two scopes never share
a file.

Layout of the key directory (mode 0700; every file mode 0600)::

    master.key        16 random bytes: the master key (SM4 keys are 128 bits)
    <scope>.key       b"SLKEY" | version 1 | nonce (12) | wrapped data key (16) | tag (16)
    <scope>.destroyed when the scope's key was destroyed (ISO 8601, UTC)

A data key is 16 random bytes sealed with SM4-GCM under the master key, the scope bound
in as associated data (a key file copied to another scope's name does not open). The
master key never leaves this class: it is read from disk when needed and not kept,
logged or returned; in production the file lives on a separate, access-controlled volume
(or is replaced by a KMS/HSM behind the same three methods), never next to the data.

``destroy`` is crypto-shredding: the key file is overwritten with random bytes, synced,
and unlinked, and a tombstone makes every later use raise ``KeyDestroyed`` instead of
silently creating a fresh key. Overwriting does not reach copies a filesystem or backup
keeps elsewhere; what makes the data unreadable is that no copy of the wrapped key stays
valid once the backups holding it expire.
"""

from __future__ import annotations

import contextlib
import os
import re
import stat
from datetime import UTC, datetime
from pathlib import Path
from typing import Final

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

KEY_BYTES: Final = 16
MASTER_FILE: Final = "master.key"
_MAGIC: Final = b"SLKEY\x01"
_NONCE: Final = 12
_TAG: Final = 16
_WRAPPED_BYTES: Final = len(_MAGIC) + _NONCE + KEY_BYTES + _TAG
_SCOPE = re.compile(r"[A-Za-z0-9_-][A-Za-z0-9._-]{0,127}")
_RESERVED: Final = frozenset({"master"})


class KeyStoreError(Exception):
    """The key store cannot serve a key (missing, unreadable or tampered files)."""


class KeyDestroyed(KeyStoreError):
    """The scope's key was destroyed; what it protected can no longer be decrypted."""

    def __init__(self, scope: str, when: str) -> None:
        self.scope = scope
        super().__init__(f"the key of scope {scope!r} was destroyed at {when}")


class KeyStore:
    def __init__(self, directory: Path) -> None:
        self.directory = Path(directory)

    def __repr__(self) -> str:
        return f"KeyStore({str(self.directory)!r})"

    # -- public ---------------------------------------------------------------------------

    def data_key(self, scope: str) -> bytes:
        """The scope's data key, created (and stored wrapped) on first use.

        Raises ``KeyDestroyed`` if the scope's key was destroyed.
        """
        path = self._key_path(scope)
        self._refuse_destroyed(scope)
        if not path.exists():
            self._create(scope, path)
        return self._unwrap(scope, path)

    def exists(self, scope: str) -> bool:
        """Whether the scope has a usable key (created and not destroyed)."""
        return self._key_path(scope).exists() and not self._tombstone(scope).exists()

    def destroyed(self, scope: str) -> bool:
        return self._tombstone(scope).exists()

    def destroy(self, scope: str) -> None:
        """Crypto-shred the scope's key (see the module docstring). Idempotent; destroying a
        scope that never had a key still records that it may not get one."""
        path = self._key_path(scope)
        self._prepare()
        tombstone = self._tombstone(scope)
        if not tombstone.exists():
            _write_new(tombstone, datetime.now(UTC).isoformat(timespec="seconds").encode())
        if path.exists():
            size = path.stat().st_size
            with path.open("r+b") as handle:
                handle.write(os.urandom(max(size, _WRAPPED_BYTES)))
                handle.flush()
                os.fsync(handle.fileno())
            path.unlink()
            _sync_directory(self.directory)

    # -- internals ------------------------------------------------------------------------

    def _key_path(self, scope: str) -> Path:
        if not isinstance(scope, str) or not _SCOPE.fullmatch(scope) or scope in _RESERVED:
            raise ValueError(
                f"invalid key scope {scope!r}: use letters, digits, '.', '_' and '-' "
                "(at most 128, not starting with '.')"
            )
        return self.directory / f"{scope}.key"

    def _tombstone(self, scope: str) -> Path:
        return self.directory / f"{scope}.destroyed"

    def _refuse_destroyed(self, scope: str) -> None:
        tombstone = self._tombstone(scope)
        if tombstone.exists():
            raise KeyDestroyed(scope, tombstone.read_text().strip())

    def _prepare(self) -> None:
        self.directory.mkdir(mode=0o700, parents=True, exist_ok=True)

    def _master(self) -> bytes:
        self._prepare()
        path = self.directory / MASTER_FILE
        if not path.exists():
            # Another process may create it first: then everyone uses theirs.
            with contextlib.suppress(FileExistsError):
                _write_new(path, os.urandom(KEY_BYTES))
        mode = path.stat().st_mode
        if mode & (stat.S_IRWXG | stat.S_IRWXO):
            raise KeyStoreError(
                f"{path} is readable by other users (mode {stat.S_IMODE(mode):o}); it must be 0600"
            )
        master = path.read_bytes()
        if len(master) != KEY_BYTES:
            raise KeyStoreError(f"{path} is not a {KEY_BYTES}-byte master key")
        return master

    def _create(self, scope: str, path: Path) -> None:
        nonce = os.urandom(_NONCE)
        encryptor = Cipher(algorithms.SM4(self._master()), modes.GCM(nonce)).encryptor()
        encryptor.authenticate_additional_data(_aad(scope))
        wrapped = encryptor.update(os.urandom(KEY_BYTES)) + encryptor.finalize()
        # Created concurrently: every caller then uses the one that won.
        with contextlib.suppress(FileExistsError):
            _write_new(path, _MAGIC + nonce + wrapped + encryptor.tag)
        # A destroy() that raced with this creation wins: its tombstone is checked again.
        self._refuse_destroyed(scope)

    def _unwrap(self, scope: str, path: Path) -> bytes:
        try:
            blob = path.read_bytes()
        except FileNotFoundError:
            self._refuse_destroyed(scope)
            raise KeyStoreError(f"the key of scope {scope!r} disappeared") from None
        if len(blob) != _WRAPPED_BYTES or not blob.startswith(_MAGIC):
            raise KeyStoreError(f"the key file of scope {scope!r} is damaged")
        body = blob[len(_MAGIC) :]
        nonce, wrapped, tag = body[:_NONCE], body[_NONCE:-_TAG], body[-_TAG:]
        decryptor = Cipher(algorithms.SM4(self._master()), modes.GCM(nonce, tag)).decryptor()
        decryptor.authenticate_additional_data(_aad(scope))
        try:
            return decryptor.update(wrapped) + decryptor.finalize()
        except InvalidTag:
            raise KeyStoreError(
                f"the key file of scope {scope!r} does not open with this master key "
                "(altered, copied from another scope, or another master key)"
            ) from None


def _aad(scope: str) -> bytes:
    return b"sluice data key\x00" + scope.encode()


def _write_new(path: Path, content: bytes) -> None:
    """Create ``path`` with mode 0600 atomically: a temporary file hard-linked into place,
    so a reader never sees a half-written file and an existing file is never replaced
    (``FileExistsError``)."""
    temporary = path.with_name(f".{path.name}.{os.getpid()}.{os.urandom(4).hex()}")
    descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with os.fdopen(descriptor, "wb") as handle:
            handle.write(content)
            handle.flush()
            os.fsync(handle.fileno())
        os.link(temporary, path)
    finally:
        temporary.unlink(missing_ok=True)
    _sync_directory(path.parent)


def _sync_directory(directory: Path) -> None:
    descriptor = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(descriptor)
    finally:
        os.close(descriptor)
