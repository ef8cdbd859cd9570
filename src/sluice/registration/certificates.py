"""Registration certificates (登记证书): the content, the registry's SM2 signature, the check.

The content is a plain record (code, version, kind, subject, holder, term, issuer, the
application and its evidence digest); its SM3 is that of its canonical JSON
(``core.canonical``) and the registry signs that digest with its organization's SM2 key
(``identity.signing``), as the bureau signs agreements and destruction certificates. Anyone
holding the content, the digest, the signature and the registry's public key (published at
``/api/v1/public-keys``) can check it without the platform; ``verify`` is that check, and
``verify_issued`` adds that the key is really the registry's.
"""

from __future__ import annotations

import json
import uuid
from datetime import datetime
from typing import Any, Final

from sqlalchemy.orm import Session

from sluice.core.canonical import canonical_bytes, canonical_digest
from sluice.core.errors import Conflict
from sluice.core.i18n import add_messages
from sluice.core.permissions import OrgKind
from sluice.core.principal import Principal
from sluice.core.settings import Settings
from sluice.identity import repository as identity
from sluice.identity import signing
from sluice.identity.models import Organization
from sluice.registration.models import (
    Registration,
    RegistrationApplication,
    RegistrationCertificate,
)

FORMAT: Final = "sluice-registration-certificate/1"

add_messages(
    {
        "registration.registry_missing": (
            "平台上没有登记机构（数据中心），无法签发登记证书。",
            "There is no registration agency (data centre) on the platform to issue the "
            "certificate.",
        ),
    }
)


def registry_of(session: Session, actor: Principal) -> Organization:
    """The registration agency that signs: the acting registry user's own organization, or
    (for the platform itself) the platform's registry."""
    if actor.organization_id is not None and actor.organization_kind == OrgKind.REGISTRY:
        own = identity.organization(session, actor.organization_id)
        if own is not None:
            return own
    _, found = identity.organizations(session, kind=OrgKind.REGISTRY.value, limit=1)
    if not found:
        raise Conflict("registration.registry_missing")
    return found[0]


def content_of(
    registration: Registration,
    application: RegistrationApplication,
    *,
    kind_labels: tuple[str, str],
    holder_credit_code: str | None,
    issuer: Organization,
    at: datetime,
) -> dict[str, Any]:
    """What the certificate of ``registration``'s current version says."""
    return {
        "certificate": FORMAT,
        "code": registration.code,
        "version": registration.version,
        "kind": {"code": registration.kind, "zh": kind_labels[0], "en": kind_labels[1]},
        "subject": {
            "id": registration.subject_id,
            "reference": registration.reference,
            "title": registration.title,
            "summary": registration.summary,
        },
        "holder": {
            "id": registration.holder_id,
            "name": registration.holder_name,
            "credit_code": holder_credit_code,
        },
        "registered_at": registration.registered_at,
        "valid_from": registration.valid_from,
        "valid_until": registration.valid_until,
        "application": {
            "id": application.id,
            "type": application.type,
            "evidence_sm3": application.evidence_sm3,
        },
        "issuer": {"id": issuer.id, "name": issuer.name, "credit_code": issuer.credit_code},
        "issued_at": at,
    }


def issue(
    session: Session,
    *,
    settings: Settings,
    registration: Registration,
    application: RegistrationApplication,
    content: dict[str, Any],
    issuer: Organization,
    at: datetime,
) -> RegistrationCertificate:
    """Sign ``content`` with the registry's key and keep it as the registration's current
    version."""
    digest = canonical_digest(content)
    made = signing.sign(
        session, organization_id=issuer.id, message=bytes.fromhex(digest), settings=settings, at=at
    )
    certificate = RegistrationCertificate(
        id=uuid.uuid4(),
        registration_id=registration.id,
        version=registration.version,
        application_id=application.id,
        issued_at=at,
        content=json.loads(canonical_bytes(content)),
        digest=digest,
        signer_organization_id=issuer.id,
        public_key_hex=made.public_key_hex,
        signature_hex=made.signature_hex,
    )
    session.add(certificate)
    return certificate


def verify(content: dict[str, Any], digest: str, public_key_hex: str, signature_hex: str) -> bool:
    """The content hashes to the digest and the signature is the key's over that digest:
    the check anyone can make with the public key alone."""
    try:
        message = bytes.fromhex(digest)
    except ValueError:
        return False
    return canonical_digest(content) == digest and signing.verify(
        public_key_hex, message, signature_hex
    )


def verify_issued(session: Session, certificate: RegistrationCertificate) -> bool:
    """``verify``, after checking the key is (or was) a registration agency's own."""
    signer = identity.organization(session, certificate.signer_organization_id)
    return (
        signer is not None
        and signer.kind == OrgKind.REGISTRY.value
        and signing.is_key_of(session, signer.id, certificate.public_key_hex)
        and verify(
            certificate.content,
            certificate.digest,
            certificate.public_key_hex,
            certificate.signature_hex,
        )
    )


def document(certificate: RegistrationCertificate) -> dict[str, Any]:
    """The signed certificate as it is handed out: content, digest and signature."""
    return {
        "content": certificate.content,
        "digest": certificate.digest,
        "signature": {
            "algorithm": signing.ALGORITHM,
            "public_key_hex": certificate.public_key_hex,
            "signature_hex": certificate.signature_hex,
        },
    }
