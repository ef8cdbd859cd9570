"""The register of existing public-data operation channels (R3.7). Keyword-only, no HTTP,
no commit.

The platform is the single channel for public data: departments, counties and parks may not
build new operation channels, and those already built or being built are brought onto the
platform (不得新建公共数据运营通道，已建或在建的，应当纳入…统一对外服务). The bureau registers
each existing channel with its owner, what it offers, the plan and the day for moving it,
and records the move (planned, moving, moved). Anyone may read the register: the portal
shows it beside the rule.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from dataclasses import field as dc_field
from datetime import date

from sqlalchemy.orm import Session

from sluice.audit import repository as audit_repository
from sluice.audit import service as audit
from sluice.audit.models import AuditEvent
from sluice.channels import repository
from sluice.channels.models import OperationChannel
from sluice.channels.schemas import ChannelIn
from sluice.channels.states import CHANNEL, MOVED
from sluice.core.clock import Clock, local
from sluice.core.errors import Conflict, InvalidInput, NotFound
from sluice.core.i18n import add_messages
from sluice.core.paging import ListQuery, Page
from sluice.core.permissions import Permission
from sluice.core.principal import Principal

ENTITY = CHANNEL.entity
REGISTERED = f"{ENTITY}.registered"
CHANGED = f"{ENTITY}.changed"

audit.declare_actions(
    {
        REGISTERED: ("登记已有运营渠道", "Operation channel registered"),
        CHANGED: ("修改运营渠道整合计划", "Operation channel plan changed"),
    }
)
audit.declare_detail_labels(
    {
        "owner_kind": ("所属类型", "Owner type"),
        "owner_name": ("所属单位", "Owner"),
        "move_by": ("计划纳入平台日期", "To be moved by"),
        "moved_on": ("纳入平台日期", "Moved on"),
    }
)
audit.declare_detail_values("owner_kind", "vocab.channel_owner.{value}")
add_messages(
    {
        "vocab.channel_owner.department": ("市直部门", "City department"),
        "vocab.channel_owner.county": ("县（市、区）", "County or district"),
        "vocab.channel_owner.park": ("园区", "Park"),
        "channels.not_found": ("没有这个运营渠道。", "There is no such operation channel."),
        "channels.name_taken": (
            "已登记名为“{name}”的运营渠道。",
            "An operation channel named '{name}' is already registered.",
        ),
        "channels.move_by_past": (
            "计划纳入平台日期不能早于今天（{today}）。",
            "The day to move it by cannot be before today ({today}).",
        ),
    }
)


def _today(clock: Clock) -> date:
    return local(clock.now()).date()


@dataclass(frozen=True)
class Problem:
    """One rule a channel's values break, on the field it is about (a form shows it there)."""

    field: str
    key: str
    params: Mapping[str, str] = dc_field(default_factory=dict)


def problems(
    session: Session,
    *,
    clock: Clock,
    name: str,
    move_by: date | None,
    channel: OperationChannel | None = None,
) -> list[Problem]:
    """Every rule a channel's values break beyond their schema: a name another channel
    has, a (new) day to move by that has already passed."""
    found = []
    name = name.strip()
    other = repository.named(session, name) if name else None
    if other is not None and other is not channel:
        found.append(Problem("name", "channels.name_taken", {"name": name}))
    today = _today(clock)
    changed = channel is None or move_by != channel.move_by
    if move_by is not None and changed and move_by < today:
        found.append(Problem("move_by", "channels.move_by_past", {"today": today.isoformat()}))
    return found


def _refuse(found: list[Problem]) -> None:
    if not found:
        return
    first = found[0]
    if first.key == "channels.name_taken":
        raise Conflict(first.key, **first.params)
    raise InvalidInput(
        first.key,
        errors=[{"field": p.field, "type": p.key.rsplit(".", 1)[-1]} for p in found],
        **first.params,
    )


def register(
    session: Session, *, actor: Principal, clock: Clock, data: ChannelIn
) -> OperationChannel:
    """Register an existing channel, planned to move onto the platform by ``move_by``."""
    actor.require(Permission.CHANNELS_MANAGE)
    _refuse(problems(session, clock=clock, name=data.name, move_by=data.move_by))
    now = clock.now()
    channel = OperationChannel(
        **data.model_dump(),
        status=CHANNEL.initial,
        created_by=actor.username,
        created_at=now,
        updated_at=now,
    )
    repository.add(session, channel)
    session.flush()
    audit.record(
        session,
        actor=actor,
        action=REGISTERED,
        target_type=ENTITY,
        target_id=channel.id,
        at=now,
        detail={
            "name": channel.name,
            "owner_kind": channel.owner_kind,
            "owner_name": channel.owner_name,
            "move_by": channel.move_by.isoformat(),
        },
    )
    return channel


def get(session: Session, *, actor: Principal, channel_id: uuid.UUID) -> OperationChannel:
    actor.require(Permission.CHANNELS_MANAGE)
    channel = repository.get(session, channel_id)
    if channel is None:
        raise NotFound("channels.not_found")
    return channel


def change(
    session: Session, *, actor: Principal, clock: Clock, channel_id: uuid.UUID, data: ChannelIn
) -> OperationChannel:
    """Change what is registered: the owner, the description, the plan or its day."""
    channel = get(session, actor=actor, channel_id=channel_id)
    _refuse(problems(session, clock=clock, name=data.name, move_by=data.move_by, channel=channel))
    changes = {
        name: value for name, value in data.model_dump().items() if getattr(channel, name) != value
    }
    if not changes:
        return channel
    for name, value in changes.items():
        setattr(channel, name, value)
    now = clock.now()
    channel.updated_at = now
    audit.record(
        session,
        actor=actor,
        action=CHANGED,
        target_type=ENTITY,
        target_id=channel.id,
        at=now,
        detail={k: v.isoformat() if isinstance(v, date) else v for k, v in changes.items()},
    )
    return channel


def advance(
    session: Session, *, actor: Principal, clock: Clock, channel_id: uuid.UUID, transition: str
) -> OperationChannel:
    """Record the move: started, or done (the channel now serves through the platform)."""
    channel = get(session, actor=actor, channel_id=channel_id)
    now = clock.now()
    detail = {}
    if CHANNEL.require(channel, transition).target == MOVED:
        channel.moved_on = _today(clock)
        detail["moved_on"] = channel.moved_on.isoformat()
    CHANNEL.fire(channel, transition, session=session, actor=actor, at=now, detail=detail)
    channel.updated_at = now
    return channel


def page(session: Session, *, actor: Principal, query: ListQuery) -> Page[OperationChannel]:
    actor.require(Permission.CHANNELS_MANAGE)
    return repository.page(session, query)


def history(session: Session, *, actor: Principal, channel_id: uuid.UUID) -> list[AuditEvent]:
    channel = get(session, actor=actor, channel_id=channel_id)
    return audit_repository.events_of(session, target_type=ENTITY, target_id=str(channel.id))


def public_register(session: Session) -> list[OperationChannel]:
    """The register as anyone may read it on the portal."""
    return repository.register(session)


def overdue(channel: OperationChannel, today: date) -> bool:
    """Still not on the platform after the day it was to move by."""
    return channel.status != MOVED and channel.move_by < today
