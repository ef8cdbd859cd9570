"""An export request's lifecycle: the bureau approves or rejects it, or its agreement ends.

```
pending --approve--> approved
pending --reject---> rejected
pending --lapse----> lapsed      (the agreement's chain ended while it waited)
```

``lapse`` is fired by the ending (the endings hook ``"exports"``), in the ending's
transaction and by whoever ended the agreement, like the workspace's ``close``.
"""

from __future__ import annotations

from typing import Final

from sluice.audit.lifecycles import StateMachine, Transition
from sluice.core.permissions import Permission

PENDING: Final = "pending"
APPROVED: Final = "approved"
REJECTED: Final = "rejected"
LAPSED: Final = "lapsed"

EXPORT = StateMachine(
    entity="sandbox_export",
    entity_labels=("出域申请", "Export request"),
    states={
        PENDING: ("待审核", "Awaiting review"),
        APPROVED: ("已批准", "Approved"),
        REJECTED: ("已驳回", "Rejected"),
        LAPSED: ("已失效", "Lapsed"),
    },
    initial=PENDING,
    transitions=(
        Transition(
            "approve",
            (PENDING,),
            APPROVED,
            Permission.SANDBOX_EXPORT_REVIEW,
            "批准出域",
            "Approve the export",
        ),
        Transition(
            "reject",
            (PENDING,),
            REJECTED,
            Permission.SANDBOX_EXPORT_REVIEW,
            "驳回出域",
            "Reject the export",
        ),
        Transition(
            "lapse",
            (PENDING,),
            LAPSED,
            Permission.AUTHORIZATIONS_MANAGE,
            "随授权终止而失效",
            "Lapse with its agreement",
        ),
    ),
)
