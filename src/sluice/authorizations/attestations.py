"""The operator's attestation that the copies it held outside the platform are deleted (R5.6).

The platform destroys what it holds under an ended agreement and certifies it
(``destruction``); what the operator copied out of it (approved exports, product outputs,
its own working files) is out of reach. So the bureau makes the operator delete those
copies (督促其及时删除销毁) and keeps the operator's word for it:

* When an agreement ends and its data is destroyed (``endings.end``), an attestation falls
  due from the operator within ``ATTESTATION_WORKING_DAYS`` working days (``open_for``).
* The operator files it (``attest``): a statement and an uploaded document (its deletion
  record, signed and stamped on paper as it keeps them), stored SM4-sealed in the evidence
  store under its SM3. What it attests (agreement, operator, statement, the document's
  name, size and SM3, who and when) is signed with the operator's SM2 key over the SM3 of
  its canonical form, so anyone with the operator's public key can check it.
* The bureau checks it (``check``): accepted, the deletion is complete; returned with a
  reason, the operator files again. A signature that does not verify cannot be accepted.
* Missed days are marked by the daily sweep (``mark_overdue``); both workbenches show
  what is due and what is late (``attestation_workbench``).
"""

from __future__ import annotations

import json
import uuid
from datetime import datetime
from pathlib import Path
from typing import Any, BinaryIO, Final

from sqlalchemy.orm import Session

from sluice.audit import details as audit_details
from sluice.audit import service as audit
from sluice.authorizations import parties, repository, service
from sluice.authorizations import states as st
from sluice.authorizations.models import Authorization, DeletionAttestation
from sluice.core.canonical import canonical_bytes, canonical_digest
from sluice.core.clock import local
from sluice.core.errors import Conflict, NotFound
from sluice.core.i18n import add_messages
from sluice.core.permissions import Permission
from sluice.core.principal import Principal
from sluice.core.settings import Settings
from sluice.core.workdays import add_working_days
from sluice.identity import signing
from sluice.operators import evidence

#: Working days the operator has, from the day the agreement ends, to file its attestation.
ATTESTATION_WORKING_DAYS: Final = 10
OPENED = "deletion_attestation.opened"
#: What the signed record calls itself.
TITLE: Final = "平台外数据副本删除销毁承诺"

audit.declare_actions({OPENED: ("删除销毁承诺待提交", "Deletion attestation due")})
audit_details.declare_detail_labels(
    {"due_on": ("提交期限", "Due on"), "attestation": ("删除销毁承诺", "Deletion attestation")}
)

add_messages(
    {
        "attest.not_due": (
            "协议仍在履行中：协议终止、数据销毁后，运营机构才需提交平台外数据副本的删除销毁承诺。",
            "The agreement is still running: the attestation that copies outside the platform "
            "are deleted is due only once it has ended and its data is destroyed.",
        ),
        "attest.not_found": (
            "该协议没有待提交的删除销毁承诺。",
            "There is no deletion attestation under this agreement.",
        ),
        "attest.no_file": (
            "尚未上传删除销毁承诺文件。",
            "No attestation document has been uploaded yet.",
        ),
        "attest.signature_invalid": (
            "删除销毁承诺的签名验证不通过（内容或签名与运营机构公钥不符），不能核验通过。",
            "The attestation's signature does not check (its content or signature does not "
            "match the operator's key); it cannot be accepted.",
        ),
    }
)


def open_for(
    session: Session, *, authorization: Authorization, actor: Principal, at: datetime
) -> DeletionAttestation:
    """The attestation due from the operator now the agreement has ended (once only)."""
    existing = repository.attestation(session, authorization.id)
    if existing is not None:
        return existing
    row = DeletionAttestation(
        authorization_id=authorization.id,
        operator_id=authorization.operator_id,
        status=st.ATTESTATION.initial,
        due_on=add_working_days(local(at).date(), ATTESTATION_WORKING_DAYS),
        opened_at=at,
    )
    session.add(row)
    session.flush()
    audit.record(
        session,
        actor=actor,
        action=OPENED,
        target_type="authorization",
        target_id=authorization.id,
        at=at,
        detail={"attestation": str(row.id), "due_on": row.due_on.isoformat()},
    )
    return row


def attestation(
    session: Session, actor: Principal, authorization_id: uuid.UUID
) -> DeletionAttestation | None:
    """The attestation under an agreement the actor may see; None while none is due."""
    actor.require(Permission.AUTHORIZATIONS_READ)
    return repository.attestation(session, service.seen(session, actor, authorization_id).id)


def _own(session: Session, actor: Principal, authorization_id: uuid.UUID) -> Authorization:
    authorization = service.seen(session, actor, authorization_id)
    if authorization.operator_id != actor.organization_id:
        raise NotFound("authz.not_found")
    return authorization


def attest(
    session: Session,
    *,
    actor: Principal,
    settings: Settings,
    at: datetime,
    authorization_id: uuid.UUID,
    statement: str,
    stream: BinaryIO,
    filename: str,
) -> DeletionAttestation:
    """The operator files its attestation: the document is kept sealed under its SM3, and
    what it attests is signed with the operator's SM2 key."""
    actor.require(Permission.ATTESTATIONS_FILE)
    authorization = _own(session, actor, authorization_id)
    row = repository.attestation(session, authorization.id, for_update=True)
    if row is None:
        raise Conflict("attest.not_due")
    st.ATTESTATION.require(row, "attest")
    stored = evidence.store(
        stream, home=settings.home, keys=settings.keys_path, limit_mb=settings.upload_max_mb
    )
    name = Path(filename or "attestation").name[:200] or "attestation"
    operator = parties.organization(session, authorization.operator_id)
    certificate = repository.certificate(session, authorization.id)
    content: dict[str, Any] = {
        "title": TITLE,
        "authorization": {
            "id": authorization.id,
            "number": authorization.number,
            "scenario": authorization.scenario,
            "ended_at": authorization.ended_at,
            "end_kind": authorization.end_kind,
        },
        "destruction_certificate": certificate.number if certificate else None,
        "operator": {
            "id": authorization.operator_id,
            "name": operator.name if operator else None,
            "credit_code": operator.credit_code if operator else None,
        },
        "statement": statement,
        "document": {"name": name, "bytes": stored.size_bytes, "sm3": stored.sm3},
        "attested_by": actor.display_name or actor.username,
        "attested_at": at,
    }
    digest = canonical_digest(content)
    made = signing.sign(
        session,
        organization_id=authorization.operator_id,
        message=bytes.fromhex(digest),
        settings=settings,
        at=at,
    )
    row.statement = statement
    row.file_name = name
    row.file_sm3 = stored.sm3
    row.file_bytes = stored.size_bytes
    row.content = json.loads(canonical_bytes(content))
    row.digest = digest
    row.public_key_hex = made.public_key_hex
    row.signature_hex = made.signature_hex
    row.attested_by = actor.username
    row.attested_at = at
    row.checked_by = row.checked_at = row.check_note = None
    st.ATTESTATION.fire(
        row,
        "attest",
        session=session,
        actor=actor,
        at=at,
        detail={"authorization": authorization.number, "digest": digest, "sm3": stored.sm3},
    )
    return row


def verify(session: Session, row: DeletionAttestation) -> bool:
    """The attested content hashes to its digest, the key is (or was) the operator's, and
    the SM2 signature over the digest checks under it."""
    if not (row.content and row.digest and row.public_key_hex and row.signature_hex):
        return False
    return (
        canonical_digest(row.content) == row.digest
        and signing.is_key_of(session, row.operator_id, row.public_key_hex)
        and signing.verify(row.public_key_hex, bytes.fromhex(row.digest), row.signature_hex)
    )


def check(
    session: Session,
    *,
    actor: Principal,
    at: datetime,
    authorization_id: uuid.UUID,
    accept: bool,
    note: str,
) -> DeletionAttestation:
    """The bureau accepts the attestation (the deletion is complete) or returns it with a
    reason for the operator to file again. One whose signature fails is never accepted."""
    actor.require(Permission.ATTESTATIONS_CHECK)
    authorization = service.seen(session, actor, authorization_id)
    row = repository.attestation(session, authorization.id, for_update=True)
    if row is None:
        raise NotFound("attest.not_found")
    name = "accept" if accept else "return"
    st.ATTESTATION.require(row, name)
    if accept and not verify(session, row):
        raise Conflict("attest.signature_invalid")
    st.ATTESTATION.fire(row, name, session=session, actor=actor, at=at, detail={"note": note})
    row.checked_by = actor.username
    row.checked_at = at
    row.check_note = note
    return row


def document(
    session: Session, *, actor: Principal, settings: Settings, authorization_id: uuid.UUID
) -> tuple[DeletionAttestation, bytes]:
    """The uploaded document, checked against its SM3, for those who see the agreement."""
    row = attestation(session, actor, authorization_id)
    if row is None or row.file_sm3 is None:
        raise NotFound("attest.no_file")
    return row, evidence.read(settings.home, row.file_sm3, keys=settings.keys_path)


def mark_overdue(session: Session, *, actor: Principal, at: datetime) -> list[str]:
    """Mark attestations whose last day has passed (the sweep); the agreements' numbers."""
    marked = []
    for row in repository.attestations_past_due(session, local(at).date()):
        st.ATTESTATION.fire(
            row, "overdue", session=session, actor=actor, at=at, detail={"due_on": str(row.due_on)}
        )
        found = repository.authorization(session, row.authorization_id)
        marked.append(found.number if found else str(row.authorization_id))
    return marked
