"""Every query of the channel register. The register is public (R3.7 asks the portal to
show it), so nothing here is scoped to a reader; changing it is the bureau's alone, which the
services check."""

from __future__ import annotations

import uuid

from sqlalchemy import case, select
from sqlalchemy.orm import Session

from sluice.channels.models import OperationChannel
from sluice.channels.states import MOVED, MOVING, PLANNED
from sluice.core.paging import Column, ListQuery, Page, contains, paginate

#: Channels still to move come first, the one moving now before those only planned.
_STATUS_ORDER = case({MOVING: 0, PLANNED: 1, MOVED: 2}, value=OperationChannel.status, else_=3)

SORTS: dict[str, Column] = {
    "name": OperationChannel.name,
    "owner": OperationChannel.owner_name,
    "move_by": OperationChannel.move_by,
    "status": _STATUS_ORDER,
}


def add(session: Session, channel: OperationChannel) -> None:
    session.add(channel)


def get(session: Session, channel_id: uuid.UUID) -> OperationChannel | None:
    return session.get(OperationChannel, channel_id)


def named(session: Session, name: str) -> OperationChannel | None:
    return session.scalar(select(OperationChannel).where(OperationChannel.name == name))


def page(session: Session, query: ListQuery) -> Page[OperationChannel]:
    statement = select(OperationChannel)
    if query.q:
        statement = statement.where(
            contains(query.q, OperationChannel.name, OperationChannel.owner_name)
        )
    if status := query.filter("status"):
        statement = statement.where(OperationChannel.status == status)
    if owner_kind := query.filter("owner_kind"):
        statement = statement.where(OperationChannel.owner_kind == owner_kind)
    return paginate(
        session, statement, query, sorts=SORTS, default="status", tiebreak=OperationChannel.id
    )


def register(session: Session) -> list[OperationChannel]:
    """The whole register as the portal shows it: those still to move first, by date."""
    return list(
        session.scalars(
            select(OperationChannel).order_by(
                _STATUS_ORDER, OperationChannel.move_by, OperationChannel.name
            )
        )
    )
