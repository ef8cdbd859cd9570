"""Organizations' SM2 signing keys: made on first use, private half sealed, public half public.

The bureau signs agreements and destruction certificates with its key; operators sign
agreements with theirs. A signature is made over a digest's bytes (the SM3 of a
canonical form, ``core.canonical``) with the GB/T 32918 signer ID, so anyone holding the
document, the digest and the public key can check it without the platform.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.orm import Session

from sluice.core import sm2
from sluice.core.crypto import DecryptionError, seal, unseal
from sluice.core.keystore import KeyStore
from sluice.core.settings import Settings
from sluice.identity import repository
from sluice.identity.models import Organization, SigningKey

ALGORITHM = "SM2-with-SM3"


@dataclass(frozen=True)
class Signature:
    organization_id: uuid.UUID
    public_key_hex: str
    signature_hex: str
    algorithm: str = ALGORITHM


def _keystore(settings: Settings) -> KeyStore:
    return KeyStore(settings.keys_path)


def _scope(organization_id: uuid.UUID) -> str:
    return f"signing-{organization_id}"


def _seal(key: bytes, organization_id: uuid.UUID, private_key: bytes) -> bytes:
    # The organization id is bound in: a sealed key copied to another organization's row
    # does not open.
    return seal(key, private_key, organization_id.bytes)


def _open(key: bytes, organization_id: uuid.UUID, sealed: bytes) -> bytes:
    try:
        return unseal(key, sealed, organization_id.bytes)
    except DecryptionError as error:  # pragma: no cover - only a tampered database gets here
        raise ValueError("the sealed signing key does not open; it was altered") from error


def current_key(session: Session, organization_id: uuid.UUID) -> SigningKey | None:
    return repository.current_signing_key(session, organization_id)


def ensure_key(
    session: Session, *, organization_id: uuid.UUID, settings: Settings, at: datetime
) -> SigningKey:
    """The organization's current key, made on first use."""
    existing = current_key(session, organization_id)
    if existing is not None:
        return existing
    pair = sm2.generate_keypair()
    data_key = _keystore(settings).data_key(_scope(organization_id))
    key = SigningKey(
        organization_id=organization_id,
        public_key_hex=pair.public_key.hex(),
        sealed_private_key=_seal(data_key, organization_id, pair.private_key),
        created_at=at,
    )
    session.add(key)
    session.flush()
    return key


def sign(
    session: Session,
    *,
    organization_id: uuid.UUID,
    message: bytes,
    settings: Settings,
    at: datetime,
) -> Signature:
    key = ensure_key(session, organization_id=organization_id, settings=settings, at=at)
    data_key = _keystore(settings).data_key(_scope(organization_id))
    private_key = _open(data_key, organization_id, key.sealed_private_key)
    return Signature(
        organization_id=organization_id,
        public_key_hex=key.public_key_hex,
        signature_hex=sm2.sign(private_key, message).hex(),
    )


def verify(public_key_hex: str, message: bytes, signature_hex: str) -> bool:
    try:
        public_key = bytes.fromhex(public_key_hex)
        signature = bytes.fromhex(signature_hex)
    except ValueError:
        return False
    try:
        return sm2.verify(public_key, message, signature)
    except ValueError:
        return False


def published_keys(session: Session) -> list[tuple[SigningKey, Organization]]:
    return repository.signing_keys_with_organizations(session)


def is_key_of(session: Session, organization_id: uuid.UUID, public_key_hex: str) -> bool:
    """Whether the public key is (or was) one of the organization's signing keys."""
    return repository.signing_key_exists(session, organization_id, public_key_hex)
