"""The public face of a catalog publisher: the address DCAT names as ``dct:publisher``.

A department (or the bureau) that publishes entries has a page anyone may read: its names,
how many entries it publishes, in which domains. Other organizations (operators, buyers)
have no public page here, so their codes answer 404 like codes that do not exist.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.orm import Session

from sluice.catalog import repository
from sluice.core.permissions import OrgKind
from sluice.identity import repository as identity_repository

_PUBLISHING_KINDS = frozenset({OrgKind.PROVIDER.value, OrgKind.BUREAU.value})


@dataclass(frozen=True)
class Publisher:
    code: str
    name: str
    name_en: str | None
    kind: str
    entries: int
    domains: list[tuple[str, int]]
    #: An organization authorized by law to manage public affairs (R4.1), and on what law.
    authorized_by_law: bool = False
    legal_basis: str | None = None


def publisher(session: Session, code: str) -> Publisher | None:
    org = identity_repository.organization_by_code(session, code)
    if org is None or not org.active or org.kind not in _PUBLISHING_KINDS:
        return None
    counted = repository.published_domains(session, org.id)
    return Publisher(
        org.code,
        org.name,
        org.name_en,
        org.kind,
        sum(n for _, n in counted),
        counted,
        org.authorized_by_law,
        org.legal_basis,
    )
