"""A subscription's lifecycle: the buyer cancels it, or the product's agreement ends.

```
active --cancel--> cancelled   (the buyer)
active --end-----> ended       (the product's agreement ended: the endings hook)
```

``end`` is fired by the endings hook ``"subscriptions"``, in the ending's transaction and by
whoever ended the agreement, like a workspace's ``close``. A buyer may subscribe again to a
product after cancelling: that is a new subscription.
"""

from __future__ import annotations

from typing import Final

from sluice.audit.lifecycles import StateMachine, Transition
from sluice.core.permissions import Permission

ACTIVE: Final = "active"
CANCELLED: Final = "cancelled"
ENDED: Final = "ended"

SUBSCRIPTION = StateMachine(
    entity="subscription",
    entity_labels=("产品订阅", "Product subscription"),
    states={
        ACTIVE: ("订阅中", "Active"),
        CANCELLED: ("已退订", "Cancelled"),
        ENDED: ("随协议终止", "Ended with its agreement"),
    },
    initial=ACTIVE,
    transitions=(
        Transition(
            "cancel",
            (ACTIVE,),
            CANCELLED,
            Permission.SUBSCRIPTIONS_MANAGE,
            "退订",
            "Cancel the subscription",
        ),
        Transition(
            "end",
            (ACTIVE,),
            ENDED,
            Permission.AUTHORIZATIONS_MANAGE,
            "随授权终止而结束",
            "End with the product's agreement",
        ),
    ),
)
