"""The lifecycle of a request for an irreversible act.

```
pending --approve--> approved   (a second bureau user, or a decision someone else recorded;
   |                             the act is carried out in the same transaction)
   +----reject-----> rejected   (nothing happens)
   +----lapse------> lapsed     (``approval_hours`` passed; nothing happens)
```
"""

from __future__ import annotations

from typing import Final

from sluice.audit.lifecycles import StateMachine, Transition
from sluice.core.permissions import Permission

PENDING: Final = "pending"
APPROVED: Final = "approved"
REJECTED: Final = "rejected"
LAPSED: Final = "lapsed"

_DECIDE = Permission.APPROVALS_DECIDE

APPROVAL = StateMachine(
    entity="approval",
    entity_labels=("不可逆操作审批", "Approval of an irreversible act"),
    states={
        PENDING: ("待第二人审批", "Awaiting a second approver"),
        APPROVED: ("已批准并执行", "Approved and carried out"),
        REJECTED: ("已驳回", "Rejected"),
        LAPSED: ("超时失效", "Lapsed"),
    },
    initial=PENDING,
    transitions=(
        Transition("approve", (PENDING,), APPROVED, _DECIDE, "批准并执行", "Approve, carry out"),
        Transition("reject", (PENDING,), REJECTED, _DECIDE, "驳回", "Reject"),
        Transition("lapse", (PENDING,), LAPSED, _DECIDE, "超时未审批，失效", "Lapse unapproved"),
    ),
)
