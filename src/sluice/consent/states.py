"""A consent's lifecycle: granted by its subject, revoked by its subject at any time.

```
(grant) --> granted --revoke--> revoked
```

Being in force is read from the dates as well: a granted consent is *pending* before its
first day and *expired* after its last (``standing``); neither is a transition, so nothing
has to run at midnight for a consent to lapse.
"""

from __future__ import annotations

from datetime import date
from typing import Final, Literal

from sluice.audit.lifecycles import StateMachine, Transition
from sluice.core.i18n import add_messages
from sluice.core.permissions import Permission

GRANTED: Final = "granted"
REVOKED: Final = "revoked"

CONSENT = StateMachine(
    entity="consent",
    entity_labels=("数据使用同意", "Consent"),
    states={GRANTED: ("已授予", "Granted"), REVOKED: ("已撤回", "Revoked")},
    initial=GRANTED,
    transitions=(
        Transition(
            "revoke",
            (GRANTED,),
            REVOKED,
            Permission.CONSENTS_GRANT,
            "撤回同意",
            "Revoke consent",
        ),
    ),
)

#: Where a consent stands on a day: what pages show and the ledger filters on.
Standing = Literal["active", "pending", "expired", "revoked"]
STANDINGS: Final[tuple[Standing, ...]] = ("active", "pending", "expired", "revoked")
add_messages(
    {
        "consent.standing.active": ("有效", "In force"),
        "consent.standing.pending": ("尚未生效", "Not yet in force"),
        "consent.standing.expired": ("已过期", "Expired"),
        "consent.standing.revoked": ("已撤回", "Revoked"),
    }
)


def standing(status: str, valid_from: date, valid_until: date, today: date) -> Standing:
    if status == REVOKED:
        return "revoked"
    if today < valid_from:
        return "pending"
    if today > valid_until:
        return "expired"
    return "active"
