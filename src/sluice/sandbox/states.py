"""A workspace's lifecycle: open while its agreement's chain lasts, closed when it ends.

```
open --close--> closed
```

``close`` is fired by the ending (``workspaces.close_with``, the endings hook), in the
ending's transaction and by whoever ended the agreement; a workspace whose chain ended
before anyone opened it is written closed at once, by the platform.
"""

from __future__ import annotations

from typing import Final

from sluice.audit.lifecycles import StateMachine, Transition
from sluice.core.permissions import Permission

OPEN: Final = "open"
CLOSED: Final = "closed"

WORKSPACE = StateMachine(
    entity="workspace",
    entity_labels=("沙箱工作区", "Sandbox workspace"),
    states={OPEN: ("开放", "Open"), CLOSED: ("已关闭", "Closed")},
    initial=OPEN,
    transitions=(
        Transition(
            "close",
            (OPEN,),
            CLOSED,
            Permission.AUTHORIZATIONS_MANAGE,
            "随授权终止而关闭",
            "Close with its agreement",
        ),
    ),
)
