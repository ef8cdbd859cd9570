"""Every query of the data plane's control-plane records: ingestion runs and dataset versions.

Who may see a run is decided here, once (``_visible``): the department whose upload it was;
every other organization (the bureau's side: the permission to read quality at all is the
service's to check) and the platform itself see them all. Another department's run is
simply not there. Every list and get of runs for a principal goes through it.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Final

from sqlalchemy import ColumnElement, func, select, true
from sqlalchemy.orm import Session

from sluice.core.paging import ListQuery, Page, contains, paginate
from sluice.core.permissions import OrgKind
from sluice.core.principal import Principal
from sluice.ingestion import states
from sluice.ingestion.models import DatasetVersion, IngestionRun


def _visible(actor: Principal) -> ColumnElement[bool]:
    if actor.is_system or actor.organization_kind is not OrgKind.PROVIDER:
        return true()
    return IngestionRun.provider_id == actor.organization_id


def run(session: Session, *, actor: Principal, run_id: uuid.UUID) -> IngestionRun | None:
    """A run the actor may see."""
    return session.scalar(select(IngestionRun).where(IngestionRun.id == run_id, _visible(actor)))


def runs(session: Session, *, actor: Principal, resource_id: uuid.UUID) -> list[IngestionRun]:
    """A resource's runs the actor may see, newest first."""
    query = (
        select(IngestionRun)
        .where(IngestionRun.resource_id == resource_id, _visible(actor))
        .order_by(IngestionRun.started_at.desc())
    )
    return list(session.scalars(query))


#: A resource's runs list's sortable columns.
RUN_SORTS: Final = {
    "started": IngestionRun.started_at,
    "version": IngestionRun.version,
    "status": IngestionRun.status,
    "rows": IngestionRun.rows_total,
}


def run_page(
    session: Session, *, actor: Principal, resource_id: uuid.UUID, query: ListQuery
) -> Page[IngestionRun]:
    """One page of a resource's runs the actor may see, newest first unless asked otherwise;
    ``status`` filters, the search text looks in file names."""
    statement = select(IngestionRun).where(IngestionRun.resource_id == resource_id, _visible(actor))
    if status := query.filter("status"):
        statement = statement.where(IngestionRun.status == status)
    if query.q:
        statement = statement.where(contains(query.q, IngestionRun.source_name))
    return paginate(
        session,
        statement,
        query,
        sorts=RUN_SORTS,
        default="-started",
        tiebreak=IngestionRun.id,
    )


def waiting_hold(
    session: Session, *, actor: Principal, resource_id: uuid.UUID
) -> IngestionRun | None:
    """The resource's newest held run still waiting for a decision, if the actor may see it."""
    query = (
        select(IngestionRun)
        .where(
            IngestionRun.resource_id == resource_id,
            IngestionRun.status == states.HELD,
            _visible(actor),
        )
        .order_by(IngestionRun.started_at.desc())
        .limit(1)
    )
    return session.scalar(query)


def current_version(session: Session, resource_id: uuid.UUID) -> DatasetVersion | None:
    """The resource's current (newest) version, if it has data."""
    return session.scalar(
        select(DatasetVersion)
        .where(DatasetVersion.resource_id == resource_id)
        .order_by(DatasetVersion.version.desc())
        .limit(1)
    )


def run_of(session: Session, version: DatasetVersion) -> IngestionRun | None:
    """The run that made a version."""
    return session.get(IngestionRun, version.run_id)


def newest_version_with_content(
    session: Session, *, resource_id: uuid.UUID, content_hash: str
) -> int | None:
    """The number of the resource's newest version with exactly this content, if any."""
    found: int | None = session.scalar(
        select(func.max(DatasetVersion.version)).where(
            DatasetVersion.resource_id == resource_id,
            DatasetVersion.content_hash == content_hash,
        )
    )
    return found


def waiting_holds(
    session: Session, *, resource_id: uuid.UUID, but: uuid.UUID
) -> list[IngestionRun]:
    """The resource's held runs still waiting for a decision, other than ``but``."""
    query = select(IngestionRun).where(
        IngestionRun.resource_id == resource_id,
        IngestionRun.status == states.HELD,
        IngestionRun.id != but,
    )
    return list(session.scalars(query))


def kept_runs_with_content(session: Session, run: IngestionRun) -> int:
    """How many other runs of the resource with the same content are kept (a version, or a
    hold still waiting)."""
    query = (
        select(func.count())
        .select_from(IngestionRun)
        .where(
            IngestionRun.resource_id == run.resource_id,
            IngestionRun.content_hash == run.content_hash,
            IngestionRun.id != run.id,
            IngestionRun.status.in_((states.INGESTED, states.HELD)),
        )
    )
    return session.scalar(query) or 0


def latest_reports(session: Session) -> list[IngestionRun]:
    """The run behind the current version of every resource that has data."""
    newest = (
        select(DatasetVersion.resource_id, func.max(DatasetVersion.version).label("number"))
        .group_by(DatasetVersion.resource_id)
        .subquery()
    )
    return list(
        session.scalars(
            select(IngestionRun)
            .join(DatasetVersion, DatasetVersion.run_id == IngestionRun.id)
            .join(
                newest,
                (newest.c.resource_id == DatasetVersion.resource_id)
                & (newest.c.number == DatasetVersion.version),
            )
        )
    )


def newest_version_times(session: Session) -> dict[uuid.UUID, datetime]:
    """When each resource with data last got a version."""
    query = select(DatasetVersion.resource_id, func.max(DatasetVersion.created_at)).group_by(
        DatasetVersion.resource_id
    )
    return {row[0]: row[1] for row in session.execute(query)}
