"""The lifecycle of an ingestion run, declared once.

```
(upload) --> ingested                     a new current version
         --> duplicate                    the current version's own content: nothing written
         --> held --confirm--> ingested   the provider accepts the shrunken data
                  --discard--> discarded  the provider keeps the current version
                  --supersede--> superseded   a newer upload of the resource came first
```

An upload is held when it would leave the dataset with no rows, or with fewer than
``ingest_hold_share_percent`` of the current version's rows: data is never replaced by
much less data without its provider saying so. Only the providing department confirms or
discards (the service checks who); superseding is what any later upload of the same
resource does to a hold still waiting, so a stale hold can never replace newer data.
"""

from __future__ import annotations

from typing import Final

from sluice.audit.lifecycles import StateMachine, Transition
from sluice.core.permissions import Permission

INGESTED: Final = "ingested"
DUPLICATE: Final = "duplicate"
HELD: Final = "held"
DISCARDED: Final = "discarded"
SUPERSEDED: Final = "superseded"

RUN = StateMachine(
    entity="ingestion_run",
    entity_labels=("数据汇聚记录", "Ingestion run"),
    states={
        INGESTED: ("已入库", "Stored"),
        DUPLICATE: ("与当前版本相同，未重复入库", "Same as the current version"),
        HELD: ("待确认", "Held for confirmation"),
        DISCARDED: ("已放弃", "Discarded"),
        SUPERSEDED: ("已被后续上传取代", "Superseded by a later upload"),
    },
    initial=HELD,
    transitions=(
        Transition(
            "confirm",
            (HELD,),
            INGESTED,
            Permission.DATA_INGEST,
            "确认替换当前版本",
            "Confirm as the new version",
        ),
        Transition(
            "discard",
            (HELD,),
            DISCARDED,
            Permission.DATA_INGEST,
            "放弃此次上传",
            "Discard this upload",
        ),
        Transition(
            "supersede",
            (HELD,),
            SUPERSEDED,
            Permission.DATA_INGEST,
            "被后续上传取代",
            "Superseded by a later upload",
        ),
    ),
)
