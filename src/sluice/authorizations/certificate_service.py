"""The destruction certificate as its readers get it: the printable document for those who
may see the ended agreement, and the public check for anyone holding the paper.

The document is filled from the content that was hashed and signed (``destruction``), so
the page and the signature can never describe different destructions. The public check
shows only what the paper already shows about the certificate itself (its number, the
agreement's number, the day, the issuer and the digest) and whether it is genuine: no
operator, no files, no reasons.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from urllib.parse import quote

from sqlalchemy.orm import Session

from sluice.authorizations import destruction, parties, repository
from sluice.authorizations.certificate_render import (
    CertificateDocument,
    CertificateFile,
    render_html,
    render_pdf,
)
from sluice.core.canonical import canonical_bytes
from sluice.core.errors import NotFound
from sluice.core.i18n import add_messages
from sluice.core.principal import Principal
from sluice.identity.signing import ALGORITHM

#: Where anyone checks a certificate by its number; printed as a QR code on the certificate.
VERIFY_PATH = "/verify/certificates/"
PUBLIC_KEYS_PATH = "/api/v1/public-keys"

add_messages(
    {
        "certificate_check.unknown": (
            "没有这个编号的数据销毁证明。请核对证明上的编号，或扫描证明上的二维码。",
            "There is no destruction certificate with this number. Check the number printed "
            "on the certificate, or scan its QR code.",
        ),
    }
)


def verification_url(base_url: str, number: str) -> str:
    """The public page that checks certificate ``number`` (营数销〔2026〕1号, percent-encoded)."""
    return f"{base_url.rstrip('/')}{VERIFY_PATH}{quote(number, safe='')}"


def _stored_time(value: Any) -> datetime | None:
    """A time as the canonical form keeps it (ISO 8601 with its offset)."""
    return datetime.fromisoformat(value) if isinstance(value, str) else None


def document_for(
    session: Session, actor: Principal, authorization_id: uuid.UUID, *, base_url: str, locale: str
) -> CertificateDocument:
    """The certificate of an agreement the actor sees; 404 when they may not see it or its
    data has not been destroyed yet."""
    certificate = destruction.certificate(session, actor, authorization_id)
    content = certificate.content
    agreement = content["authorization"]
    return CertificateDocument(
        number=certificate.number,
        issued_at=certificate.issued_at,
        issuer=content["issuer"]["name"],
        issuer_credit_code=content["issuer"].get("credit_code"),
        agreement_number=agreement["number"],
        renewal_chain=list(agreement.get("renewal_chain", [agreement["number"]])),
        operator=agreement["operator"],
        scenario=agreement["scenario"],
        ended_at=_stored_time(agreement.get("ended_at")),
        end_reason=agreement.get("reason"),
        files=[
            CertificateFile(name=item["name"], size=item["bytes"], sm3=item["sm3"])
            for item in content["items"]
        ],
        key_scope=content["key"]["scope"],
        canonical_text=canonical_bytes(content).decode("utf-8"),
        digest=certificate.digest,
        algorithm=ALGORITHM,
        public_key_hex=certificate.public_key_hex,
        signature_hex=certificate.signature_hex,
        verify_url=verification_url(base_url, certificate.number),
        public_keys_url=f"{base_url.rstrip('/')}{PUBLIC_KEYS_PATH}",
        locale=locale,
    )


def html(
    session: Session, actor: Principal, authorization_id: uuid.UUID, *, base_url: str, locale: str
) -> str:
    return render_html(
        document_for(session, actor, authorization_id, base_url=base_url, locale=locale)
    )


def pdf(
    session: Session, actor: Principal, authorization_id: uuid.UUID, *, base_url: str, locale: str
) -> bytes:
    return render_pdf(
        document_for(session, actor, authorization_id, base_url=base_url, locale=locale)
    )


@dataclass(frozen=True)
class PublicCheck:
    """What the public verification page shows of a certificate, and nothing more."""

    number: str
    agreement_number: str
    issued_at: datetime
    issuer: str
    digest: str
    #: The content hashes to the digest and the issuing bureau's own key verifies the signature.
    valid: bool


def public_check(session: Session, number: str) -> PublicCheck:
    """Check the certificate printed with ``number``; 404 when there is none."""
    certificate = repository.certificate_by_number(session, number)
    if certificate is None:
        raise NotFound("certificate_check.unknown")
    agreement = repository.authorization(session, certificate.authorization_id)
    issuer = parties.organization(session, certificate.signer_organization_id)
    return PublicCheck(
        number=certificate.number,
        agreement_number=agreement.number if agreement else "",
        issued_at=certificate.issued_at,
        issuer=issuer.name if issuer else "",
        digest=certificate.digest,
        valid=destruction.verify_issued(session, certificate),
    )
