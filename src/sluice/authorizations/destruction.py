"""Destruction of an ended authorization's data, and the certificate that proves it (R5.6).

The certificate lists every derived file destroyed with its size and SM3 hash, names the
authorization's data key that was crypto-shredded, and is signed by the bureau with SM2
over the SM3 of its canonical form. Anyone with the bureau's public key can check it.
"""

from __future__ import annotations

import json
import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import event
from sqlalchemy.orm import Session

from sluice.audit import service as audit
from sluice.authorizations import numbering, parties, repository, service
from sluice.authorizations import states as st
from sluice.authorizations.models import Authorization, DestructionCertificate
from sluice.core.canonical import canonical_bytes, canonical_digest
from sluice.core.errors import NotFound
from sluice.core.permissions import Permission
from sluice.core.principal import Principal
from sluice.core.settings import Settings
from sluice.dataplane import derived
from sluice.identity import signing

DESTROYED = "authorization.data_destroyed"
_PENDING = "sluice.pending_destruction"

audit.declare_actions(
    {DESTROYED: ("销毁授权数据并出具证明", "Authorization data destroyed, certificate issued")}
)


def _number(session: Session, at: datetime) -> str:
    return numbering.next_number(session, numbering.CERTIFICATE, at)


def chain(session: Session, authorization: Authorization) -> list[Authorization]:
    """The renewal chain the agreement belongs to, first agreement first. Derived data is
    kept under the first one's id, so a renewal carries it on without copying."""
    first = authorization
    while first.renewed_from_id is not None:
        previous = repository.authorization(session, first.renewed_from_id)
        if previous is None:  # pragma: no cover - a foreign key guarantees it
            break
        first = previous
    members, pending = [], [first]
    while pending:
        current = pending.pop()
        members.append(current)
        pending.extend(repository.successors(session, current.id))
    return members


def data_owner(session: Session, authorization: Authorization) -> uuid.UUID:
    """The id derived data of this agreement is stored under (its chain's first agreement)."""
    return chain(session, authorization)[0].id


def destroy(
    session: Session, *, authorization: Authorization, settings: Settings, at: datetime
) -> DestructionCertificate | None:
    """Certify the destruction of what the agreement derived and of its key, and destroy
    both once the transaction has committed (never before: a rollback must not lose data
    together with the record of what was destroyed).

    Nothing happens while another agreement of the same renewal chain is still in force or
    waiting to start: the data is theirs too. Idempotent: an agreement that already has a
    certificate gets the same one back.
    """
    existing = repository.certificate(session, authorization.id)
    if existing is not None:
        return existing
    members = chain(session, authorization)
    if any(m.status not in st.ENDED for m in members):
        return None
    owner = members[0].id
    files = derived.describe(settings, owner)
    operator = parties.organization(session, authorization.operator_id)
    bureau = parties.bureau_organization(session)
    number = _number(session, at)
    content: dict[str, Any] = {
        "certificate": number,
        "issued_at": at,
        "issuer": {"name": bureau.name, "credit_code": bureau.credit_code},
        "authorization": {
            "id": authorization.id,
            "number": authorization.number,
            "renewal_chain": [m.number for m in members],
            "operator": operator.name if operator else str(authorization.operator_id),
            "scenario": authorization.scenario,
            "status": authorization.status,
            "ended_at": authorization.ended_at,
            "reason": authorization.end_reason,
        },
        "items": [
            {"kind": "derived_file", "name": f.name, "bytes": f.bytes, "sm3": f.sm3} for f in files
        ],
        "key": {"scope": derived.key_scope(owner), "destroyed": True},
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
        detail={"certificate": number, "files": len(files), "digest": digest},
    )
    _after_commit(session, settings, owner)
    return certificate


def _after_commit(session: Session, settings: Settings, owner: uuid.UUID) -> None:
    session.info.setdefault(_PENDING, []).append((settings, owner))
    if not event.contains(session, "after_commit", _destroy_pending):
        event.listen(session, "after_commit", _destroy_pending)
        event.listen(session, "after_rollback", _forget_pending)


def _destroy_pending(session: Session) -> None:
    for settings, owner in session.info.pop(_PENDING, []):
        derived.destroy(settings, owner)


def _forget_pending(session: Session) -> None:
    session.info.pop(_PENDING, None)


def finish_pending(session: Session, *, settings: Settings) -> list[str]:
    """Destroy what certified destructions left behind (a crash between the commit and
    the deletion): ended chains whose key or files still exist. For the daily sweep."""
    finished = []
    # Destructions certified in this transaction wait for its commit like any other.
    waiting = {owner for _, owner in session.info.get(_PENDING, [])}
    for certificate in repository.certificates(session):
        found = repository.authorization(session, certificate.authorization_id)
        if found is None:  # pragma: no cover
            continue
        owner = data_owner(session, found)
        if owner not in waiting and derived.remains(settings, owner):
            derived.destroy(settings, owner)
            finished.append(certificate.number)
    return finished


def certificate(
    session: Session, actor: Principal, authorization_id: uuid.UUID
) -> DestructionCertificate:
    """The certificate of an agreement the actor may see; ``no_certificate`` while its data
    has not been destroyed."""
    actor.require(Permission.AUTHORIZATIONS_READ)
    service.seen(session, actor, authorization_id)
    found = repository.certificate_for(session, actor, authorization_id)
    if found is None:
        raise NotFound("authz.no_certificate")
    return found


def _stored(content: dict[str, Any]) -> dict[str, Any]:
    """The content as JSON keeps it: the canonical form's normalization, decoded again."""
    stored: dict[str, Any] = json.loads(canonical_bytes(content))
    return stored


def verify(certificate: DestructionCertificate, public_key_hex: str) -> bool:
    """The certificate's content hashes to its digest and the signature checks under the key."""
    return canonical_digest(certificate.content) == certificate.digest and signing.verify(
        public_key_hex, bytes.fromhex(certificate.digest), certificate.signature_hex
    )


def verify_issued(session: Session, certificate: DestructionCertificate) -> bool:
    """``verify`` with the key the certificate names, after checking that key is the
    issuing bureau's own (a row with someone else's key and signature does not pass)."""
    return signing.is_key_of(
        session, certificate.signer_organization_id, certificate.public_key_hex
    ) and verify(certificate, certificate.public_key_hex)
