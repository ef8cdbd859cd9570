"""An alert's lifecycle.

```
open --acknowledge--> acknowledged
open, acknowledged --dismiss--> dismissed
open, acknowledged --escalate--> escalated
```

``acknowledge`` and ``dismiss`` are the bureau's, with a reason; ``escalate`` is fired when an
incident is opened from the alert (``service.mark_escalated``). A containment the alert
took stays until the bureau lifts it, whatever the alert's state.
"""

from __future__ import annotations

from typing import Final

from sluice.audit.lifecycles import StateMachine, Transition
from sluice.core.permissions import Permission

OPEN: Final = "open"
ACKNOWLEDGED: Final = "acknowledged"
DISMISSED: Final = "dismissed"
ESCALATED: Final = "escalated"

ALERT = StateMachine(
    entity="alert",
    entity_labels=("安全告警", "Security alert"),
    states={
        OPEN: ("待处理", "Open"),
        ACKNOWLEDGED: ("已确认", "Acknowledged"),
        DISMISSED: ("已驳回", "Dismissed"),
        ESCALATED: ("已转为事件", "Escalated to an incident"),
    },
    initial=OPEN,
    transitions=(
        Transition(
            "acknowledge", (OPEN,), ACKNOWLEDGED, Permission.ALERTS_HANDLE, "确认", "Acknowledge"
        ),
        Transition(
            "dismiss",
            (OPEN, ACKNOWLEDGED),
            DISMISSED,
            Permission.ALERTS_HANDLE,
            "驳回（误报）",
            "Dismiss (false alarm)",
        ),
        Transition(
            "escalate",
            (OPEN, ACKNOWLEDGED),
            ESCALATED,
            Permission.ALERTS_HANDLE,
            "转为安全事件",
            "Escalate to an incident",
        ),
    ),
)
