"""The channel register's rules as the services run them (R3.7): registering a channel with
its plan, the move recorded step by step and dated, the refusals in both languages, every
act audited."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import date, timedelta

import pytest
from sqlalchemy.orm import Session

from sluice.audit import repository as audit_repository
from sluice.channels import service
from sluice.channels.schemas import ChannelIn, OwnerKind
from sluice.core.clock import FixedClock
from sluice.core.database import Database
from sluice.core.errors import Conflict, InvalidInput, InvalidTransition, NotFound, PermissionDenied
from sluice.core.paging import ListQuery
from sluice.core.permissions import OrgKind, Role
from sluice.core.principal import Principal

BUREAU = Principal(
    username="wangjg",
    via="session",
    organization_kind=OrgKind.BUREAU,
    roles=frozenset({Role.BUREAU}),
)
PROVIDER = Principal(
    username="liuq",
    via="session",
    organization_kind=OrgKind.PROVIDER,
    roles=frozenset({Role.PROVIDER}),
)


def _channel(**changes: object) -> ChannelIn:
    values: dict[str, object] = {
        "name": "营运车辆信息查询服务",
        "owner_kind": OwnerKind.DEPARTMENT,
        "owner_name": "营口市交通运输局",
        "description": "向保险机构提供营运车辆查询。",
        "plan": "查询服务迁入平台，原服务关停。",
        "move_by": date(2027, 3, 31),
        **changes,
    }
    return ChannelIn.model_validate(values)


@pytest.fixture
def session(database: Database) -> Iterator[Session]:
    with database.sessions() as session:
        yield session


def test_a_channel_is_registered_planned_and_moved_onto_the_platform(
    session: Session, clock: FixedClock
) -> None:
    channel = service.register(session, actor=BUREAU, clock=clock, data=_channel())
    assert (channel.status, channel.moved_on) == ("planned", None)
    changed = service.change(
        session,
        actor=BUREAU,
        clock=clock,
        channel_id=channel.id,
        data=_channel(plan="分两步迁移：先迁查询，再迁核验。", move_by=date(2027, 6, 30)),
    )
    assert (changed.plan, changed.move_by) == (
        "分两步迁移：先迁查询，再迁核验。",
        date(2027, 6, 30),
    )
    service.advance(session, actor=BUREAU, clock=clock, channel_id=channel.id, transition="start")
    assert channel.status == "moving"
    clock.advance(timedelta(days=40))
    service.advance(
        session, actor=BUREAU, clock=clock, channel_id=channel.id, transition="complete"
    )
    assert (channel.status, channel.moved_on) == ("moved", date(2027, 1, 5))
    with pytest.raises(InvalidTransition) as refused:
        service.advance(
            session, actor=BUREAU, clock=clock, channel_id=channel.id, transition="start"
        )
    assert refused.value.detail("zh-CN").startswith("公共数据运营渠道当前为“已纳入平台”")
    events = audit_repository.events_of(
        session, target_type="operation_channel", target_id=str(channel.id)
    )
    assert [e.action for e in events] == [
        "operation_channel.registered",
        "operation_channel.changed",
        "operation_channel.start",
        "operation_channel.complete",
    ]
    assert events[1].detail == {"plan": "分两步迁移：先迁查询，再迁核验。", "move_by": "2027-06-30"}
    assert events[3].detail["moved_on"] == "2027-01-05"
    # The portal reads the register as it is: still moving first, moved last.
    service.register(
        session,
        actor=BUREAU,
        clock=clock,
        data=_channel(
            name="鲅鱼圈区政务数据开放门户", owner_kind=OwnerKind.COUNTY, owner_name="鲅鱼圈区"
        ),
    )
    assert [c.name for c in service.public_register(session)] == [
        "鲅鱼圈区政务数据开放门户",
        "营运车辆信息查询服务",
    ]
    listed = service.page(session, actor=BUREAU, query=ListQuery(filters={"owner_kind": "county"}))
    assert [c.owner_name for c in listed.items] == ["鲅鱼圈区"]


def test_the_register_refuses_a_past_date_a_taken_name_and_anyone_but_the_bureau(
    session: Session, clock: FixedClock
) -> None:
    with pytest.raises(InvalidInput) as past:
        service.register(
            session, actor=BUREAU, clock=clock, data=_channel(move_by=date(2026, 11, 25))
        )
    assert past.value.detail("zh-CN") == "计划纳入平台日期不能早于今天（2026-11-26）。"
    assert past.value.detail("en") == "The day to move it by cannot be before today (2026-11-26)."
    assert past.value.errors == [{"field": "move_by", "type": "move_by_past"}]
    service.register(session, actor=BUREAU, clock=clock, data=_channel())
    with pytest.raises(Conflict) as taken:
        service.register(session, actor=BUREAU, clock=clock, data=_channel())
    assert taken.value.detail("en") == (
        "An operation channel named '营运车辆信息查询服务' is already registered."
    )
    with pytest.raises(PermissionDenied):
        service.register(session, actor=PROVIDER, clock=clock, data=_channel(name="新建渠道"))
    with pytest.raises(NotFound) as unknown:
        service.get(session, actor=BUREAU, channel_id=uuid.uuid4())
    assert unknown.value.detail("zh-CN") == "没有这个运营渠道。"
