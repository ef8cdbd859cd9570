"""A registrable kind of the tests' own (``test_asset``, codes ``YK-TA-…``): subjects held in
memory, so the generic workflow is proven without any module above registration."""

from __future__ import annotations

import itertools
import uuid
from datetime import datetime

from sqlalchemy.orm import Session

from sluice.core.i18n import add_messages
from sluice.registration import kinds, service
from sluice.registration.kinds import RegistrableKind, Subject
from sluice.registration.models import Registration

KIND = "test_asset"
SUBJECTS: dict[uuid.UUID, Subject] = {}
#: Subjects the kind says may not be registered now.
BLOCKED: set[uuid.UUID] = set()
#: (event, registration code) for every hook call.
CALLS: list[tuple[str, str]] = []
_counter = itertools.count(1)

add_messages(
    {"test_asset.not_ready": ("“{title}”尚未审核通过。", "'{title}' is not approved yet.")}
)


def subject(owner_id: uuid.UUID, title: str = "城市交通拥堵指数") -> Subject:
    made = Subject(
        id=uuid.uuid4(),
        reference=f"TA-{next(_counter):04d}",
        title=title,
        owner_id=owner_id,
        summary=f"{title}：按区县和小时统计的指数。",
    )
    SUBJECTS[made.id] = made
    return made


def rename(found: Subject, title: str) -> Subject:
    changed = Subject(found.id, found.reference, title, found.owner_id, found.summary)
    SUBJECTS[found.id] = changed
    return changed


def _describe(session: Session, subject_id: uuid.UUID) -> Subject | None:
    return SUBJECTS.get(subject_id)


def _lookup(session: Session, reference: str) -> uuid.UUID | None:
    return next((s.id for s in SUBJECTS.values() if s.reference == reference), None)


def _may_register(session: Session, found: Subject, at: datetime) -> str | None:
    return "test_asset.not_ready" if found.id in BLOCKED else None


def _registered(session: Session, registration: Registration, at: datetime) -> None:
    CALLS.append(("registered", registration.code))


def _cancelled(session: Session, registration: Registration, at: datetime) -> None:
    CALLS.append(("cancelled", registration.code))


SPEC = RegistrableKind(
    code_prefix="TA",
    labels=("测试资产", "Test asset"),
    describe=_describe,
    lookup=_lookup,
    may_register=_may_register,
    on_registered=_registered,
    on_cancelled=_cancelled,
)

if KIND not in kinds.registered_kinds():
    service.register_kind(KIND, SPEC)
