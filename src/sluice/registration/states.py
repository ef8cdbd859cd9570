"""The registration lifecycles (N4), declared as data; every transition is audited.

An application:
```
applied --accept----> accepted --publish--> in_notice --issue--> registered
   |                     |                      |
   +--not_accept-->      +--approve---------------------------> registered
   |  not_accepted       +--refuse--> refused   +--uphold--> refused
   +------------------ withdraw (applied, accepted, in_notice) --> withdrawn
```
The registry (``registrations.decide``) accepts or does not accept within 3 working days,
decides the formal review within 20 working days of acceptance, and for a first
registration or a change puts the application in public notice (``publish``) for 10
working days; after the notice, with every objection decided and none upheld, it
``issue``s the registration. A correction, renewal or cancellation needs no notice: passing
the review carries it out (``approve``). An upheld objection refuses the application
(``uphold``). The applicant may withdraw an application not yet decided.

A registration: ``registered --cancel--> cancelled`` (a cancellation application carried
out). Expiry is not a transition: a registration past its ``valid_until`` is read as expired.

An objection: ``pending --uphold--> upheld``, ``--dismiss--> dismissed``, and ``--lapse-->
lapsed`` when its application ends another way (withdrawn, or another objection upheld).
"""

from __future__ import annotations

from typing import Final

from sluice.audit.lifecycles import StateMachine, Transition
from sluice.core.permissions import Permission

APPLIED: Final = "applied"
ACCEPTED: Final = "accepted"
IN_NOTICE: Final = "in_notice"
REGISTERED: Final = "registered"
NOT_ACCEPTED: Final = "not_accepted"
REFUSED: Final = "refused"
WITHDRAWN: Final = "withdrawn"

#: Applications still waiting for the registry (one at a time per subject).
OPEN: Final = (APPLIED, ACCEPTED, IN_NOTICE)

_DECIDE = Permission.REGISTRATIONS_DECIDE

APPLICATION = StateMachine(
    entity="registration_application",
    entity_labels=("登记申请", "Registration application"),
    states={
        APPLIED: ("待受理", "Awaiting acceptance"),
        ACCEPTED: ("已受理，形式审查中", "Accepted, in formal review"),
        IN_NOTICE: ("公示中", "In public notice"),
        REGISTERED: ("已登记", "Registered"),
        NOT_ACCEPTED: ("不予受理", "Not accepted"),
        REFUSED: ("不予登记", "Refused"),
        WITHDRAWN: ("已撤回", "Withdrawn"),
    },
    initial=APPLIED,
    transitions=(
        Transition("accept", (APPLIED,), ACCEPTED, _DECIDE, "受理", "Accept"),
        Transition("not_accept", (APPLIED,), NOT_ACCEPTED, _DECIDE, "不予受理", "Do not accept"),
        Transition(
            "publish",
            (ACCEPTED,),
            IN_NOTICE,
            _DECIDE,
            "形式审查通过，进入公示",
            "Pass the review and give public notice",
        ),
        Transition(
            "approve",
            (ACCEPTED,),
            REGISTERED,
            _DECIDE,
            "形式审查通过，予以办理",
            "Pass the review and carry it out",
        ),
        Transition(
            "refuse",
            (ACCEPTED,),
            REFUSED,
            _DECIDE,
            "形式审查不通过，不予登记",
            "Refuse after the review",
        ),
        Transition(
            "uphold",
            (IN_NOTICE,),
            REFUSED,
            _DECIDE,
            "异议成立，不予登记",
            "Objection upheld: refuse",
        ),
        Transition(
            "issue",
            (IN_NOTICE,),
            REGISTERED,
            _DECIDE,
            "公示期满，予以登记并发证",
            "Notice over: register and issue the certificate",
        ),
        Transition(
            "withdraw",
            (APPLIED, ACCEPTED, IN_NOTICE),
            WITHDRAWN,
            Permission.REGISTRATIONS_APPLY,
            "撤回申请",
            "Withdraw",
        ),
    ),
)

CANCELLED: Final = "cancelled"

REGISTRATION = StateMachine(
    entity="registration",
    entity_labels=("登记", "Registration"),
    states={
        REGISTERED: ("已登记", "Registered"),
        CANCELLED: ("已注销", "Cancelled"),
    },
    initial=REGISTERED,
    transitions=(Transition("cancel", (REGISTERED,), CANCELLED, _DECIDE, "注销登记", "Cancel"),),
)

PENDING: Final = "pending"
UPHELD: Final = "upheld"
DISMISSED: Final = "dismissed"
LAPSED: Final = "lapsed"

OBJECTION = StateMachine(
    entity="registration_objection",
    entity_labels=("登记异议", "Registration objection"),
    states={
        PENDING: ("待处理", "Pending"),
        UPHELD: ("异议成立", "Upheld"),
        DISMISSED: ("异议不成立", "Dismissed"),
        LAPSED: ("随申请终结", "Lapsed with its application"),
    },
    initial=PENDING,
    transitions=(
        Transition("uphold", (PENDING,), UPHELD, _DECIDE, "认定异议成立", "Uphold"),
        Transition("dismiss", (PENDING,), DISMISSED, _DECIDE, "认定异议不成立", "Dismiss"),
        Transition(
            "lapse",
            (PENDING,),
            LAPSED,
            Permission.REGISTRATIONS_READ,
            "随申请终结",
            "Lapse with the application",
        ),
    ),
)
