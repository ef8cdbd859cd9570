"""A product's lifecycle, from the operator's draft to the market and off it.

```
draft --submit--> submitted --approve--> approved --list--> listed <--resume-- suspended
  ^                   |                                       |  \\--suspend--^    |
  +------reject-------+                                       |                    |
                             approved / listed / suspended --delist--> delisted (second approver)
draft / submitted / approved / listed / suspended --lapse--> unavailable (the agreement ended)
```

``approve`` and ``reject`` are the bureau's security and compliance review (R9.1), each
with its reason; ``list`` is the operator putting an approved product on the market, at a
price the pricing rules allow (N5); ``suspend`` and ``resume`` are the bureau's, with a
reason; ``delist`` is irreversible and carried out only when a second bureau user approves
the request (``approvals``). ``lapse`` is fired by the ending of the product's agreement
chain (the endings hook ``"products"``), in the ending's transaction and by whoever ended
it, like the workspace's ``close``.
"""

from __future__ import annotations

from typing import Final

from sluice.audit.lifecycles import StateMachine, Transition
from sluice.core.permissions import Permission

DRAFT: Final = "draft"
SUBMITTED: Final = "submitted"
APPROVED: Final = "approved"
LISTED: Final = "listed"
SUSPENDED: Final = "suspended"
DELISTED: Final = "delisted"
UNAVAILABLE: Final = "unavailable"

#: States a product of an ending agreement leaves for ``unavailable``.
LIVE: Final = (DRAFT, SUBMITTED, APPROVED, LISTED, SUSPENDED)
#: States from which the bureau may delist (with a second approver).
DELISTABLE: Final = (APPROVED, LISTED, SUSPENDED)
#: States in which the operator may still change what it declared.
EDITABLE: Final = (DRAFT,)

_DECLARE = Permission.PRODUCTS_DECLARE
_REVIEW = Permission.PRODUCTS_REVIEW

PRODUCT = StateMachine(
    entity="product",
    entity_labels=("数据产品", "Data product"),
    states={
        DRAFT: ("草稿", "Draft"),
        SUBMITTED: ("待审查", "Awaiting review"),
        APPROVED: ("审查通过", "Approved"),
        LISTED: ("已上架", "Listed"),
        SUSPENDED: ("已暂停", "Suspended"),
        DELISTED: ("已下架", "Delisted"),
        UNAVAILABLE: ("已停用（协议终止）", "Unavailable (agreement ended)"),
    },
    initial=DRAFT,
    transitions=(
        Transition("submit", (DRAFT,), SUBMITTED, _DECLARE, "提交审查", "Submit for review"),
        Transition(
            "approve",
            (SUBMITTED,),
            APPROVED,
            _REVIEW,
            "安全合规审查通过",
            "Pass the security and compliance review",
        ),
        Transition("reject", (SUBMITTED,), DRAFT, _REVIEW, "审查退回", "Reject in review"),
        Transition("list", (APPROVED,), LISTED, _DECLARE, "上架", "List on the market"),
        Transition("suspend", (LISTED,), SUSPENDED, _REVIEW, "暂停", "Suspend"),
        Transition("resume", (SUSPENDED,), LISTED, _REVIEW, "恢复上架", "Resume"),
        Transition("delist", DELISTABLE, DELISTED, _REVIEW, "下架", "Delist"),
        Transition(
            "lapse",
            LIVE,
            UNAVAILABLE,
            Permission.AUTHORIZATIONS_MANAGE,
            "随授权终止而停用",
            "Become unavailable with its agreement",
        ),
    ),
)
