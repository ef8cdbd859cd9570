"""The lifecycle of a competitive consultation round (竞争性磋商, R5.2a), declared once.

```
draft --open--> open --start_scoring--> scoring --close_scoring--> ranked --publish--> published
  \\______________\\_______________________\\--cancel--> cancelled
```

* draft: the bureau writes the announcement and fixes the criteria and their weights.
* open: the announcement is out and the criteria can no longer change; the bureau
  registers qualified candidates and names the panel.
* scoring: the panel scores every candidate on every criterion and may revise.
* ranked: scoring is closed; the ranking is computed and the bureau selects the operator.
* published: the result is public.
"""

from __future__ import annotations

from typing import Final

from sluice.audit.lifecycles import StateMachine, Transition
from sluice.core.permissions import Permission

DRAFT: Final = "draft"
OPEN: Final = "open"
SCORING: Final = "scoring"
RANKED: Final = "ranked"
PUBLISHED: Final = "published"
CANCELLED: Final = "cancelled"

#: States in which the bureau still registers candidates and names the panel.
PREPARING: Final = (DRAFT, OPEN)

_MANAGE = Permission.SELECTION_MANAGE

ROUND = StateMachine(
    entity="selection_round",
    entity_labels=("竞争性磋商", "Competitive consultation"),
    states={
        DRAFT: ("筹备中", "Draft"),
        OPEN: ("候选登记中", "Open"),
        SCORING: ("评分中", "Scoring"),
        RANKED: ("已排名", "Ranked"),
        PUBLISHED: ("结果已公布", "Published"),
        CANCELLED: ("已终止", "Cancelled"),
    },
    initial=DRAFT,
    transitions=(
        Transition("open", (DRAFT,), OPEN, _MANAGE, "发布磋商公告", "Open the round"),
        Transition("start_scoring", (OPEN,), SCORING, _MANAGE, "开始评分", "Start scoring"),
        Transition(
            "close_scoring", (SCORING,), RANKED, _MANAGE, "结束评分并排名", "Close scoring and rank"
        ),
        Transition("publish", (RANKED,), PUBLISHED, _MANAGE, "公布磋商结果", "Publish the result"),
        Transition(
            "cancel", (DRAFT, OPEN, SCORING), CANCELLED, _MANAGE, "终止磋商", "Cancel the round"
        ),
    ),
)
