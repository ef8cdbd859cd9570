"""The certificate as its readers get it: the printable document, filled from the content
that was hashed and signed (so the page and the signature can never say different things),
for those who may see the registration."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any, Final
from urllib.parse import quote

from sqlalchemy.orm import Session

from sluice.core.canonical import canonical_bytes
from sluice.core.i18n import translate
from sluice.core.principal import Principal
from sluice.identity.signing import ALGORITHM
from sluice.registration import service
from sluice.registration.certificate_render import CertificateDocument

#: Where anyone checks a registration by its code; printed as a QR code on the certificate.
VERIFY_PATH: Final = "/registry/verify/"
PUBLIC_KEYS_PATH: Final = "/api/v1/public-keys"


def verification_url(base_url: str, code: str) -> str:
    return f"{base_url.rstrip('/')}{VERIFY_PATH}{quote(code, safe='')}"


def _time(value: Any) -> datetime:
    return datetime.fromisoformat(str(value))


def document_for(
    session: Session,
    actor: Principal,
    registration_id: uuid.UUID,
    *,
    base_url: str,
    locale: str,
) -> CertificateDocument:
    """The certificate in force of a registration the actor sees (404 otherwise)."""
    registration = service.registration(session, actor=actor, registration_id=registration_id)
    issued = service.certificate(session, registration)
    content = issued.content
    kind = content["kind"]
    return CertificateDocument(
        code=content["code"],
        version=int(content["version"]),
        kind_label=kind["en"] if locale == "en" else kind["zh"],
        title=content["subject"]["title"],
        reference=content["subject"]["reference"],
        summary=content["subject"]["summary"],
        holder=content["holder"]["name"],
        holder_credit_code=content["holder"].get("credit_code"),
        registered_at=_time(content["registered_at"]),
        valid_from=_time(content["valid_from"]),
        valid_until=_time(content["valid_until"]),
        application_type=translate(f"registration.type.{content['application']['type']}", locale),
        evidence_sm3=content["application"]["evidence_sm3"],
        issuer=content["issuer"]["name"],
        issuer_credit_code=content["issuer"].get("credit_code"),
        issued_at=issued.issued_at,
        canonical_text=canonical_bytes(content).decode("utf-8"),
        digest=issued.digest,
        algorithm=ALGORITHM,
        public_key_hex=issued.public_key_hex,
        signature_hex=issued.signature_hex,
        verify_url=verification_url(base_url, registration.code),
        public_keys_url=f"{base_url.rstrip('/')}{PUBLIC_KEYS_PATH}",
        locale=locale,
    )
