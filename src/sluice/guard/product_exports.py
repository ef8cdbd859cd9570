"""What a dataset product serves: an approved export, as the module that keeps exports
says it is.

The export gate's requests and their approval live in ``sandbox`` (``sandbox.exports``),
a layer above the guard, so the guard cannot read them; the sandbox registers a source
here (``register_export_source``), as modules register ending hooks with the agreements,
and a dataset product's download (``product_calls.download``) and declaration
(``product_calls.validate_spec``) ask it. Without a registered source no export is
approved, so nothing is served.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy.orm import Session


@dataclass(frozen=True)
class ApprovedExport:
    """An export request as a dataset product needs it."""

    id: uuid.UUID
    #: ``approved`` is the only status a product serves.
    status: str
    #: The agreement whose derived data holds the file (its chain's first agreement).
    owner_id: uuid.UUID
    #: The derived file (``dataplane.derived``) and the SM3 of its plaintext.
    file_name: str
    file_sm3: str
    rows: int
    #: The resources whose data the export was computed from.
    resource_ids: tuple[uuid.UUID, ...]
    #: The file's columns and their SQL types (which of them hold numbers).
    columns: tuple[tuple[str, str], ...] = ()


#: Finds an export by id (any status), or ``None``.
ExportSource = Callable[[Session, uuid.UUID], ApprovedExport | None]

_sources: list[ExportSource] = []


def register_export_source(source: ExportSource) -> Callable[[], None]:
    """Register the module that keeps exports; returns a function that unregisters it."""
    _sources.append(source)

    def unregister() -> None:
        if source in _sources:
            _sources.remove(source)

    return unregister


def approved_export(session: Session, export_id: uuid.UUID) -> ApprovedExport | None:
    """The export if it exists and is approved; ``None`` otherwise."""
    for source in reversed(_sources):
        found = source(session, export_id)
        if found is not None:
            return found if found.status == "approved" else None
    return None
