"""The lifecycle of an existing operation channel as it is brought onto the platform.

```
planned --start--> moving --complete--> moved
   +-------------complete-------------^
```
"""

from __future__ import annotations

from typing import Final

from sluice.audit.lifecycles import StateMachine, Transition
from sluice.core.permissions import Permission

PLANNED: Final = "planned"
MOVING: Final = "moving"
MOVED: Final = "moved"

_MANAGE = Permission.CHANNELS_MANAGE

CHANNEL = StateMachine(
    entity="operation_channel",
    entity_labels=("公共数据运营渠道", "Public-data operation channel"),
    states={
        PLANNED: ("待迁移", "Planned"),
        MOVING: ("迁移中", "Moving"),
        MOVED: ("已纳入平台", "Moved onto the platform"),
    },
    initial=PLANNED,
    transitions=(
        Transition("start", (PLANNED,), MOVING, _MANAGE, "开始迁移", "Start moving"),
        Transition(
            "complete",
            (PLANNED, MOVING),
            MOVED,
            _MANAGE,
            "完成迁移，纳入平台统一对外服务",
            "Moved: served through the platform",
        ),
    ),
)
