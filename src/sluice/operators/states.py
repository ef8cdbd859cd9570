"""The lifecycle of an operator qualification application, declared once.

```
draft --submit--> submitted --qualify--> qualified
  ^                  |   \\---reject---> rejected
  \\--revise-- returned <--return--/
```

The applicant edits only in ``draft``. Submitting runs the automated checks; the reviewer
may run them again, judges the checklist and decides with a reason. A returned application
goes back to draft when the applicant revises it, and is submitted again.
"""

from __future__ import annotations

from typing import Final

from sluice.audit.lifecycles import StateMachine, Transition
from sluice.core.permissions import Permission

DRAFT: Final = "draft"
SUBMITTED: Final = "submitted"
RETURNED: Final = "returned"
QUALIFIED: Final = "qualified"
REJECTED: Final = "rejected"

#: An organization has at most one application in these states at a time.
OPEN: Final = frozenset({DRAFT, SUBMITTED, RETURNED})
#: Transitions the reviewer decides, each with a reason.
DECISIONS: Final = ("qualify", "reject", "return")

_APPLY = Permission.OPERATORS_APPLY
_REVIEW = Permission.OPERATORS_REVIEW

APPLICATION = StateMachine(
    entity="operator_application",
    entity_labels=("运营机构资格申请", "Operator qualification application"),
    states={
        DRAFT: ("填写中", "Draft"),
        SUBMITTED: ("待审核", "Submitted"),
        RETURNED: ("已退回补正", "Returned for changes"),
        QUALIFIED: ("资格审核通过", "Qualified"),
        REJECTED: ("资格审核未通过", "Rejected"),
    },
    initial=DRAFT,
    transitions=(
        Transition("submit", (DRAFT,), SUBMITTED, _APPLY, "提交申请", "Submit"),
        Transition("return", (SUBMITTED,), RETURNED, _REVIEW, "退回补正", "Return for changes"),
        Transition("revise", (RETURNED,), DRAFT, _APPLY, "修改申请", "Revise"),
        Transition("qualify", (SUBMITTED,), QUALIFIED, _REVIEW, "认定合格", "Qualify"),
        Transition("reject", (SUBMITTED,), REJECTED, _REVIEW, "认定不合格", "Reject"),
    ),
)
