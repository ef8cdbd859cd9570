"""What can be registered: kinds register themselves from above (``register_kind``).

Registration sits low, beside approvals, and imports none of the modules whose things it
registers. A module that owns something registrable (``products`` its data products, later
``catalog`` its data resources) describes it here once: how to find and describe a subject
(its reference, title, owner and a summary for the public notice), whether it may be
registered now, and what should happen when a registration is issued or cancelled. The
owner (``Subject.owner_id``) is the organization that may apply and holds the registration.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Final

from sqlalchemy.orm import Session

from sluice.core.errors import NotFound
from sluice.core.i18n import add_messages

if TYPE_CHECKING:
    from sluice.registration.models import Registration

_PREFIX: Final = re.compile(r"[A-Z]{2,4}")
_KIND: Final = re.compile(r"[a-z][a-z_]{1,39}")


@dataclass(frozen=True)
class Subject:
    """A registrable thing as its owning module describes it, at one moment."""

    id: uuid.UUID
    #: How people name it (a product's code); shown with the title and searchable.
    reference: str
    title: str
    #: The organization that may apply for it and holds its registration.
    owner_id: uuid.UUID
    #: What the public notice and the certificate say it is.
    summary: str


def _nothing(session: Session, registration: Registration, at: datetime) -> None:
    return None


@dataclass(frozen=True)
class RegistrableKind:
    #: Letters in the registration code, ``YK-<prefix>-2026-000123`` (``DP``: data product).
    code_prefix: str
    #: The kind's name (zh-CN, English): 数据产品 / Data product.
    labels: tuple[str, str]
    #: The subject with this id, ``None`` when there is none.
    describe: Callable[[Session, uuid.UUID], Subject | None]
    #: The id of the subject people call ``reference`` (a product code), if any.
    lookup: Callable[[Session, str], uuid.UUID | None]
    #: ``None`` when the subject may be registered (or have its registration changed or
    #: renewed) at ``at``; otherwise the message key that says why not (e.g. a product not
    #: yet approved). Cancelling is always possible.
    may_register: Callable[[Session, Subject, datetime], str | None]
    #: Called in the transaction that issues the registration, and the one that cancels it.
    on_registered: Callable[[Session, Registration, datetime], None] = _nothing
    on_cancelled: Callable[[Session, Registration, datetime], None] = _nothing
    #: Where the subject's own console page is, for links; ``None``: no page.
    subject_href: Callable[[uuid.UUID], str] | None = None


_kinds: dict[str, RegistrableKind] = {}

add_messages(
    {
        "registration.kind.unknown": (
            "没有“{kind}”这一类登记对象。",
            "There is no registrable kind '{kind}'.",
        ),
    }
)


def register_kind(kind: str, spec: RegistrableKind) -> None:
    """Make ``kind`` registrable; each kind once, each code prefix for one kind."""
    if not _KIND.fullmatch(kind):
        raise ValueError(f"registrable kind {kind!r}: lower-case letters and _ only")
    if not _PREFIX.fullmatch(spec.code_prefix):
        raise ValueError(f"{kind}: code prefix {spec.code_prefix!r} must be 2-4 capital letters")
    existing = _kinds.get(kind)
    if existing is not None and existing is not spec:
        raise ValueError(f"registrable kind {kind!r} registered twice")
    if any(k != kind and s.code_prefix == spec.code_prefix for k, s in _kinds.items()):
        raise ValueError(f"{kind}: code prefix {spec.code_prefix!r} is taken")
    add_messages({f"registration.kind.{kind}": spec.labels})
    _kinds[kind] = spec


def spec_of(kind: str) -> RegistrableKind:
    """The kind's spec; ``not_found`` for a kind nobody registered."""
    spec = _kinds.get(kind)
    if spec is None:
        raise NotFound("registration.kind.unknown", kind=kind)
    return spec


def registered_kinds() -> tuple[str, ...]:
    return tuple(sorted(_kinds))
