"""Signed tree heads: the bureau's SM2 signature over the audit log's size and root.

:func:`current_head` sequences what was committed since the last run, then answers the
latest signed head, signing a new one first when the tree has grown since. It runs on
demand (the API, the page, ``sluice audit sequence``) and on the served application's
schedule (:func:`run_scheduled`). Signing a head is not itself an audit event: an entry
for it would grow the tree it just signed.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from sluice.audit import sequencer
from sluice.audit.log_models import AuditTreeHead
from sluice.audit.verify_proof import ALGORITHM, head_message
from sluice.core.clock import Clock
from sluice.core.database import Database
from sluice.core.errors import Conflict, SluiceError
from sluice.core.i18n import add_messages
from sluice.core.permissions import OrgKind
from sluice.core.settings import Settings
from sluice.identity import repository as identity
from sluice.identity import signing
from sluice.identity.models import Organization

log = logging.getLogger(__name__)

add_messages(
    {
        "audit.tree.no_bureau": (
            "平台尚未设立数据主管部门，无法签署审计日志树头。",
            "The platform has no data bureau yet to sign the audit log's tree head.",
        ),
    }
)


def bureau(session: Session) -> Organization | None:
    _, found = identity.organizations(session, kind=OrgKind.BUREAU.value, limit=1)
    return found[0] if found else None


def latest_head(session: Session) -> AuditTreeHead | None:
    return session.scalars(
        select(AuditTreeHead).order_by(AuditTreeHead.tree_size.desc()).limit(1)
    ).first()


def timestamp_text(at: datetime) -> str:
    """A head's time as signed: UTC, to the second, ISO 8601 with ``Z``."""
    return at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def current_head(
    session: Session, *, settings: Settings, at: datetime, full: bool = False
) -> AuditTreeHead:
    """Sequence, then the latest signed head, signing one for the tree as it now stands if
    none covers it yet. ``Conflict`` (``audit.tree.no_bureau``) before a bureau exists."""
    done = sequencer.sequence(session, full=full)
    latest = latest_head(session)
    if latest is not None and latest.tree_size >= done.tree_size:
        return latest
    signer = bureau(session)
    if signer is None:
        raise Conflict("audit.tree.no_bureau")
    root = sequencer.StoredTree(session, done.tree_size).root().hex()
    timestamp = timestamp_text(at)
    message = head_message(
        tree_size=done.tree_size, root_hash=root, timestamp=timestamp, algorithm=ALGORITHM
    )
    signature = signing.sign(
        session, organization_id=signer.id, message=message, settings=settings, at=at
    )
    head = AuditTreeHead(
        tree_size=done.tree_size,
        root_hash=root,
        timestamp=timestamp,
        algorithm=ALGORITHM,
        signature_hex=signature.signature_hex,
        public_key_hex=signature.public_key_hex,
        organization_id=signer.id,
    )
    session.add(head)
    session.flush()
    return head


def run_scheduled(database: Database, *, settings: Settings, clock: Clock) -> AuditTreeHead | None:
    """One scheduled run: sequence the whole log's stragglers too, sign a head if it grew."""
    try:
        with database.unit_of_work() as session:
            return current_head(session, settings=settings, at=clock.now(), full=True)
    except SluiceError as refusal:  # no bureau yet: nothing to sign with
        log.info("audit tree head not signed: %s", refusal)
        return None


def as_dict(head: AuditTreeHead) -> dict[str, int | str]:
    return {
        "tree_size": head.tree_size,
        "root_hash": head.root_hash,
        "timestamp": head.timestamp,
        "algorithm": head.algorithm,
        "signature_hex": head.signature_hex,
        "public_key_hex": head.public_key_hex,
    }


def verify_log(session: Session) -> sequencer.Verification:
    """``audit.sequencer.verify`` with the bureau's keys as the only ones a head may carry
    (a head signed with any other key is a finding, however well it verifies)."""
    signer = bureau(session)

    def trusted(public_key_hex: str) -> bool:
        return signer is not None and signing.is_key_of(session, signer.id, public_key_hex)

    return sequencer.verify(session, trusted_key=trusted)
