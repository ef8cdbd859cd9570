"""The lifecycle of a correction ticket, declared once.

```
open --acknowledge--> acknowledged --fix-----> fixed ----close--> closed
                                   \\--reject--> rejected --/
```

The permission in the table says which role may fire an edge; the service adds who in
that role: only the providing department of the dataset acknowledges, fixes or rejects,
and only the filing organization (or the bureau) closes. It adds what an edge needs too:
``fix`` a dataset version made after the ticket was filed (the repair), ``close`` a ticket
so answered or rejected with its reason (``service.close``).
"""

from __future__ import annotations

from typing import Final

from sluice.audit.lifecycles import StateMachine, Transition
from sluice.core.permissions import Permission

OPEN: Final = "open"
ACKNOWLEDGED: Final = "acknowledged"
FIXED: Final = "fixed"
REJECTED: Final = "rejected"
CLOSED: Final = "closed"

#: States in which the provider still owes an answer; past ``due_date`` they are overdue.
AWAITING_ANSWER: Final = (OPEN, ACKNOWLEDGED)
#: Transitions the provider fires (the rest are fired by the filer or the bureau).
PROVIDER_TRANSITIONS: Final = frozenset({"acknowledge", "fix", "reject"})

TICKET = StateMachine(
    entity="correction_ticket",
    entity_labels=("纠错工单", "Correction ticket"),
    states={
        OPEN: ("待受理", "Open"),
        ACKNOWLEDGED: ("已受理", "Acknowledged"),
        FIXED: ("已更正", "Fixed"),
        REJECTED: ("不予更正", "Rejected"),
        CLOSED: ("已关闭", "Closed"),
    },
    initial=OPEN,
    transitions=(
        Transition(
            "acknowledge", (OPEN,), ACKNOWLEDGED, Permission.TICKETS_ANSWER, "受理", "Acknowledge"
        ),
        Transition(
            "fix", (ACKNOWLEDGED,), FIXED, Permission.TICKETS_ANSWER, "标记已更正", "Mark fixed"
        ),
        Transition(
            "reject", (ACKNOWLEDGED,), REJECTED, Permission.TICKETS_ANSWER, "不予更正", "Reject"
        ),
        Transition("close", (FIXED, REJECTED), CLOSED, Permission.TICKETS_CLOSE, "关闭", "Close"),
    ),
)
