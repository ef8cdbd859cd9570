"""The demo city's register of existing public-data operation channels (R3.7).

Before the platform, a department, a district and two parks had each built a way of
serving public data outside: the bureau registers them with their plans for moving onto the
platform: one already moved (ahead of its date), one moving, two planned. Dates count from
the day the demo is built, so the register always reads as current. Idempotent: a channel
already registered (by name) is left as it is.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy.orm import Session

from sluice.channels import repository, service
from sluice.channels.schemas import ChannelIn, OwnerKind
from sluice.channels.states import MOVED, MOVING, PLANNED
from sluice.core.clock import Clock, local
from sluice.core.principal import Principal

BUREAU = Principal.system("demo")


@dataclass(frozen=True)
class DemoChannel:
    name: str
    owner_kind: OwnerKind
    owner_name: str
    description: str
    plan: str
    #: Days from the demo's day to the planned move.
    days: int
    status: str


CHANNELS = (
    DemoChannel(
        "住房公积金缴存证明核验接口",
        OwnerKind.DEPARTMENT,
        "营口市住房公积金管理中心",
        "向合作银行提供职工公积金缴存证明的在线核验。",
        "核验接口停止对外直连，改由平台上的授权运营场景以核验结果方式提供。",
        20,
        MOVED,
    ),
    DemoChannel(
        "营运车辆信息查询服务",
        OwnerKind.DEPARTMENT,
        "营口市交通运输局",
        "向保险机构和物流企业提供营运车辆和道路运输证查询。",
        "查询服务迁入平台，车辆数据列入授权运营目录，原查询服务在迁移完成后关停。",
        90,
        MOVING,
    ),
    DemoChannel(
        "鲅鱼圈区政务数据开放门户",
        OwnerKind.COUNTY,
        "鲅鱼圈区",
        "发布区内企业登记、招商项目等数据集，供企业下载。",
        "可开放数据并入全市公共数据资源目录，门户改为链接至本平台，不再单独对外提供数据。",
        180,
        PLANNED,
    ),
    DemoChannel(
        "高新区企业服务数据平台",
        OwnerKind.PARK,
        "营口高新技术产业开发区",
        "为园区企业提供用水用电、政策兑现等数据查询和融资对接。",
        "数据按目录汇聚至本平台，融资对接场景经授权后由运营机构在平台内开展。",
        270,
        PLANNED,
    ),
)


def seed_channels(session: Session, *, clock: Clock) -> int:
    """Register the demo channels that are missing and record how far each has moved;
    returns how many were registered."""
    today = local(clock.now()).date()
    added = 0
    for demo in CHANNELS:
        if repository.named(session, demo.name) is not None:
            continue
        move_by = today + timedelta(days=demo.days)
        channel = service.register(
            session,
            actor=BUREAU,
            clock=clock,
            data=ChannelIn(
                name=demo.name,
                owner_kind=demo.owner_kind,
                owner_name=demo.owner_name,
                description=demo.description,
                plan=demo.plan,
                move_by=move_by,
            ),
        )
        if demo.status in (MOVING, MOVED):
            service.advance(
                session, actor=BUREAU, clock=clock, channel_id=channel.id, transition="start"
            )
        if demo.status == MOVED:
            service.advance(
                session, actor=BUREAU, clock=clock, channel_id=channel.id, transition="complete"
            )
        added += 1
    return added
