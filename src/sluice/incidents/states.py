"""A security incident's lifecycle: the bureau's emergency response (R8.12) and the
operator's (R8.13).

```
reported --contain--> contained --investigate--> investigated --report_upward--> reported_upward
                                                                                    |
                                                                         close (with a review)
                                                                                    v
                                                                                  closed
```

``contain`` records the emergency measures (the data isolated, the operations suspended,
the loss stopped) and is the operator's as much as the bureau's: an operator contains its
own incident and reports it; ``investigate`` (tracing the cause and what it reached),
``report_upward`` (to the supervising authorities) and ``close`` (with the review, 复盘)
are the bureau's. Each transition is a step of the incident's timeline and an audit event.
"""

from __future__ import annotations

from typing import Final

from sluice.audit.lifecycles import StateMachine, Transition
from sluice.core.permissions import Permission

REPORTED: Final = "reported"
CONTAINED: Final = "contained"
INVESTIGATED: Final = "investigated"
REPORTED_UPWARD: Final = "reported_upward"
CLOSED: Final = "closed"

#: States in which the incident is still being handled.
OPEN: Final = (REPORTED, CONTAINED, INVESTIGATED, REPORTED_UPWARD)

_RESPOND = Permission.INCIDENTS_RESPOND
_HANDLE = Permission.INCIDENTS_HANDLE

INCIDENT = StateMachine(
    entity="security_incident",
    entity_labels=("安全事件", "Security incident"),
    states={
        REPORTED: ("已报告", "Reported"),
        CONTAINED: ("已控制", "Contained"),
        INVESTIGATED: ("已查明", "Investigated"),
        REPORTED_UPWARD: ("已上报", "Reported upward"),
        CLOSED: ("已结案", "Closed"),
    },
    initial=REPORTED,
    transitions=(
        Transition(
            "contain",
            (REPORTED,),
            CONTAINED,
            _RESPOND,
            "采取处置措施（隔离数据、暂停操作）",
            "Contain (isolate data, suspend operations)",
        ),
        Transition(
            "investigate",
            (CONTAINED,),
            INVESTIGATED,
            _HANDLE,
            "溯源排查完成",
            "Record the investigation",
        ),
        Transition(
            "report_upward",
            (INVESTIGATED,),
            REPORTED_UPWARD,
            _HANDLE,
            "上报上级监管部门",
            "Report to the supervising authorities",
        ),
        Transition("close", (REPORTED_UPWARD,), CLOSED, _HANDLE, "复盘结案", "Close with a review"),
    ),
)
