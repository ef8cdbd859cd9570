"""Destruction of an ended authorization's data, and the certificate that proves it (R5.6).

The certificate lists every derived file destroyed with its size and SM3 hash, names the
authorization's data key that was crypto-shredded, and is signed by the bureau with SM2
over the SM3 of its canonical form. Anyone with the bureau's public key can check it.
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from sluice.audit import service as audit
from sluice.authorizations import repository
from sluice.authorizations.models import Authorization, DestructionCertificate
from sluice.core.canonical import canonical_bytes, canonical_digest
from sluice.core.clock import local
from sluice.core.settings import Settings
from sluice.dataplane import derived
from sluice.identity import repository as identity
from sluice.identity import signing
from sluice.identity.principal import Principal

DESTROYED = "authorization.data_destroyed"

audit.declare_actions(
    {DESTROYED: ("销毁授权数据并出具证明", "Authorization data destroyed, certificate issued")}
)


def _number(session: Session, at: datetime) -> str:
    prefix = f"营数销〔{local(at).year}〕"
    return f"{prefix}{repository.count_certificates(session, prefix) + 1}号"


def destroy(
    session: Session, *, authorization: Authorization, settings: Settings, at: datetime
) -> DestructionCertificate:
    """Destroy what the authorization derived and its key; issue the signed certificate.

    Idempotent: an authorization that already has a certificate gets the same one back.
    """
    from sluice.authorizations.service import bureau_organization

    existing = repository.certificate(session, authorization.id)
    if existing is not None:
        return existing
    done = derived.destroy(settings, authorization.id)
    operator = identity.organization(session, authorization.operator_id)
    bureau = bureau_organization(session)
    number = _number(session, at)
    content: dict[str, Any] = {
        "certificate": number,
        "issued_at": at,
        "issuer": {"name": bureau.name, "credit_code": bureau.credit_code},
        "authorization": {
            "id": authorization.id,
            "number": authorization.number,
            "operator": operator.name if operator else str(authorization.operator_id),
            "scenario": authorization.scenario,
            "status": authorization.status,
            "ended_at": authorization.ended_at,
            "reason": authorization.end_reason,
        },
        "items": [
            {"kind": "derived_file", "name": f.name, "bytes": f.bytes, "sm3": f.sm3}
            for f in done.files
        ],
        "key": {"scope": done.key_scope, "destroyed": True, "shredded_now": done.key_shredded},
        "access": "closed",
    }
    digest = canonical_digest(content)
    made = signing.sign(
        session, organization_id=bureau.id, message=bytes.fromhex(digest), settings=settings, at=at
    )
    certificate = DestructionCertificate(
        authorization_id=authorization.id,
        number=number,
        issued_at=at,
        content=_stored(content),
        digest=digest,
        signer_organization_id=bureau.id,
        public_key_hex=made.public_key_hex,
        signature_hex=made.signature_hex,
    )
    session.add(certificate)
    session.flush()
    audit.record(
        session,
        actor=Principal.system("destruction"),
        action=DESTROYED,
        target_type="authorization",
        target_id=authorization.id,
        at=at,
        detail={"certificate": number, "files": len(done.files), "digest": digest},
    )
    return certificate


def _stored(content: dict[str, Any]) -> dict[str, Any]:
    """The content as JSON keeps it: the canonical form's normalization, decoded again."""
    stored: dict[str, Any] = json.loads(canonical_bytes(content))
    return stored


def verify(certificate: DestructionCertificate, public_key_hex: str) -> bool:
    """The certificate's content hashes to its digest and the signature checks under the key."""
    return canonical_digest(certificate.content) == certificate.digest and signing.verify(
        public_key_hex, bytes.fromhex(certificate.digest), certificate.signature_hex
    )
