"""An existing public-data operation channel (已有的公共数据运营渠道) the bureau tracks until
it is brought onto the platform (R3.7)."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import String, Text
from sqlalchemy.orm import Mapped, mapped_column

from sluice.core.database import Base, UUIDPrimaryKey


class OperationChannel(UUIDPrimaryKey, Base):
    """``status`` only changes through ``states.CHANNEL.fire``."""

    __tablename__ = "operation_channels"

    name: Mapped[str] = mapped_column(String(200), unique=True)
    #: ``schemas.OwnerKind``: a department, a county (district) or a park.
    owner_kind: Mapped[str] = mapped_column(String(20), index=True)
    #: Who runs it (营口市交通运输局, 鲅鱼圈区, 营口高新技术产业开发区 …). Counties and parks
    #: are not organizations on the platform, so this is a name, not a link.
    owner_name: Mapped[str] = mapped_column(String(200))
    #: What it offers today and to whom.
    description: Mapped[str] = mapped_column(Text, default="")
    #: How it is brought onto the platform (统一对外服务).
    plan: Mapped[str] = mapped_column(Text)
    #: The day by which it is to be on the platform.
    move_by: Mapped[date]
    status: Mapped[str] = mapped_column(String(20), index=True)
    #: The day it was recorded as moved.
    moved_on: Mapped[date | None]
    created_by: Mapped[str] = mapped_column(String(150))
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]
