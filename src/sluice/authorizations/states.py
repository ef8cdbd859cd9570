"""The lifecycles of authorizations, implementation plans, rectification orders and exits.

```
draft --submit--> under_review --approve--> approved --activate--> active
  ^------return------/                                              |  ^
                                                          suspend   v  | resume
                                                                  suspended
active --mark_expiring--> expiring --renew--> renewed
approved --reopen--> under_review   (scope changed after the decision: decide again)
active / suspended / expiring / renewed --expire--> expired
approved / active / suspended / expiring / renewed --terminate--> terminated
                                                    --rescind--> rescinded (解除)
                                                    --revoke--> revoked (撤销)
```

``activate`` is fired by the second signature; ``mark_expiring`` and ``expire`` by the daily
sweep (``sweep.sweep``). An authorization is *in force* in ``IN_FORCE`` states and only
between ``term_start`` and ``term_end``: a renewed agreement stays in force until its own
term ends, while its successor waits for its first day.
"""

from __future__ import annotations

from typing import Final

from sluice.audit.lifecycles import StateMachine, Transition
from sluice.core.permissions import Permission

DRAFT: Final = "draft"
UNDER_REVIEW: Final = "under_review"
APPROVED: Final = "approved"
ACTIVE: Final = "active"
SUSPENDED: Final = "suspended"
EXPIRING: Final = "expiring"
RENEWED: Final = "renewed"
EXPIRED: Final = "expired"
TERMINATED: Final = "terminated"
#: Rescinded (解除): the agreement is undone for cause, by the bureau's decision (R5.6).
RESCINDED: Final = "rescinded"
#: Revoked (撤销): the authorization itself is withdrawn, e.g. granted on false grounds (R5.6).
REVOKED: Final = "revoked"

#: States in which the operator may use the data (within the term).
IN_FORCE: Final = frozenset({ACTIVE, EXPIRING, RENEWED})
#: States from which the agreement can still end by termination (a renewed agreement is
#: still in force until its own term ends, so it can still be terminated).
TERMINABLE: Final = (APPROVED, ACTIVE, SUSPENDED, EXPIRING, RENEWED)
#: States after which nothing more happens; derived data must be destroyed (not RENEWED:
#: its data carries over to the successor).
ENDED: Final = frozenset({EXPIRED, TERMINATED, RESCINDED, REVOKED})
#: States in which a party may sign the current version (the second signature brings an
#: approved agreement into force; later versions are signed while it is in force).
SIGNABLE: Final = frozenset({APPROVED, ACTIVE, SUSPENDED, EXPIRING})
#: States that hold a scenario under the one-scenario-one-authorization rule.
HOLDS_SCENARIO: Final = frozenset(
    {DRAFT, UNDER_REVIEW, APPROVED, ACTIVE, SUSPENDED, EXPIRING, RENEWED}
)

_MANAGE = Permission.AUTHORIZATIONS_MANAGE
_SIGN = Permission.AUTHORIZATIONS_SIGN

AUTHORIZATION = StateMachine(
    entity="authorization",
    entity_labels=("授权", "Authorization"),
    states={
        DRAFT: ("草稿", "Draft"),
        UNDER_REVIEW: ("审核中", "Under review"),
        APPROVED: ("已批准待签署", "Approved, awaiting signatures"),
        ACTIVE: ("生效中", "Active"),
        SUSPENDED: ("已暂停", "Suspended"),
        EXPIRING: ("即将到期", "Expiring"),
        RENEWED: ("已续期", "Renewed"),
        EXPIRED: ("已到期", "Expired"),
        TERMINATED: ("已终止", "Terminated"),
        RESCINDED: ("已解除", "Rescinded"),
        REVOKED: ("已撤销", "Revoked"),
    },
    initial=DRAFT,
    transitions=(
        Transition("submit", (DRAFT,), UNDER_REVIEW, _MANAGE, "提交审核", "Submit for review"),
        Transition("return", (UNDER_REVIEW,), DRAFT, _MANAGE, "退回修改", "Return for changes"),
        Transition(
            "approve", (UNDER_REVIEW,), APPROVED, _MANAGE, "集体决策批准", "Approve by decision"
        ),
        Transition("activate", (APPROVED,), ACTIVE, _SIGN, "双方签署生效", "Take effect"),
        Transition("suspend", (ACTIVE, EXPIRING), SUSPENDED, _MANAGE, "暂停", "Suspend"),
        Transition("resume", (SUSPENDED,), ACTIVE, _MANAGE, "恢复", "Resume"),
        Transition(
            "mark_expiring", (ACTIVE,), EXPIRING, _MANAGE, "进入到期提醒期", "Mark expiring"
        ),
        Transition("renew", (EXPIRING,), RENEWED, _MANAGE, "续期", "Renew"),
        Transition(
            "expire",
            (ACTIVE, SUSPENDED, EXPIRING, RENEWED),
            EXPIRED,
            _MANAGE,
            "期满终止",
            "Expire",
        ),
        Transition(
            "reopen",
            (APPROVED,),
            UNDER_REVIEW,
            _MANAGE,
            "变更后重新审核",
            "Back to review after a change",
        ),
        Transition("terminate", TERMINABLE, TERMINATED, _MANAGE, "终止", "Terminate"),
        Transition("rescind", TERMINABLE, RESCINDED, _MANAGE, "解除", "Rescind"),
        Transition("revoke", TERMINABLE, REVOKED, _MANAGE, "撤销", "Revoke"),
    ),
)

PLAN_DRAFT: Final = "draft"
PLAN_APPROVED: Final = "approved"
PLAN_REJECTED: Final = "rejected"
PLAN_RETIRED: Final = "retired"

PLAN = StateMachine(
    entity="implementation_plan",
    entity_labels=("实施方案", "Implementation plan"),
    states={
        PLAN_DRAFT: ("草稿", "Draft"),
        PLAN_APPROVED: ("已批准", "Approved"),
        PLAN_REJECTED: ("未通过", "Rejected"),
        PLAN_RETIRED: ("已废止", "Retired"),
    },
    initial=PLAN_DRAFT,
    transitions=(
        Transition(
            "approve", (PLAN_DRAFT,), PLAN_APPROVED, Permission.PLANS_MANAGE, "批准", "Approve"
        ),
        Transition(
            "reject", (PLAN_DRAFT,), PLAN_REJECTED, Permission.PLANS_MANAGE, "不予通过", "Reject"
        ),
        Transition(
            "retire", (PLAN_APPROVED,), PLAN_RETIRED, Permission.PLANS_MANAGE, "废止", "Retire"
        ),
    ),
)

RECT_OPEN: Final = "open"
RECT_REPORTED: Final = "reported"
RECT_PASSED: Final = "passed"
RECT_FAILED: Final = "failed"
RECT_OVERDUE: Final = "overdue"
RECT_WITHDRAWN: Final = "withdrawn"
#: The operator refused to rectify (拒不整改): the agreement ends and liability is pursued.
RECT_REFUSED: Final = "refused"
#: Orders still waiting on the operator or the bureau.
RECT_OPEN_STATES: Final = (RECT_OPEN, RECT_REPORTED)

RECTIFICATION = StateMachine(
    entity="rectification",
    entity_labels=("整改通知", "Rectification order"),
    states={
        RECT_OPEN: ("整改中", "Open"),
        RECT_REPORTED: ("已报告待验收", "Reported, awaiting check"),
        RECT_PASSED: ("整改合格", "Passed"),
        RECT_FAILED: ("整改不合格", "Failed"),
        RECT_OVERDUE: ("逾期未整改", "Overdue"),
        RECT_WITHDRAWN: ("授权已终止，整改撤销", "Withdrawn: the authorization ended"),
        RECT_REFUSED: ("拒不整改", "Refused by the operator"),
    },
    initial=RECT_OPEN,
    transitions=(
        Transition(
            "report",
            (RECT_OPEN,),
            RECT_REPORTED,
            Permission.RECTIFICATIONS_RESPOND,
            "提交整改报告",
            "Report",
        ),
        Transition(
            "pass",
            (RECT_REPORTED,),
            RECT_PASSED,
            Permission.RECTIFICATIONS_ISSUE,
            "验收合格",
            "Pass",
        ),
        Transition(
            "fail",
            (RECT_REPORTED,),
            RECT_FAILED,
            Permission.RECTIFICATIONS_ISSUE,
            "验收不合格",
            "Fail",
        ),
        Transition(
            "withdraw",
            (RECT_OPEN, RECT_REPORTED),
            RECT_WITHDRAWN,
            Permission.RECTIFICATIONS_ISSUE,
            "撤销（授权已终止）",
            "Withdraw (authorization ended)",
        ),
        Transition(
            "overdue",
            (RECT_OPEN,),
            RECT_OVERDUE,
            Permission.RECTIFICATIONS_ISSUE,
            "逾期",
            "Deadline missed",
        ),
        Transition(
            "refuse",
            (RECT_OPEN,),
            RECT_REFUSED,
            Permission.RECTIFICATIONS_RESPOND,
            "拒绝整改",
            "Refuse to rectify",
        ),
    ),
)

EXIT_REQUESTED: Final = "requested"
EXIT_REFUSED: Final = "refused"
EXIT_APPROVED: Final = "approved"
EXIT_HANDOVER: Final = "handover"
EXIT_COMPLETED: Final = "completed"
EXIT_SUPERSEDED: Final = "superseded"
#: An exit in progress: at most one per agreement.
EXIT_IN_PROGRESS: Final = (EXIT_REQUESTED, EXIT_APPROVED, EXIT_HANDOVER)

EXIT = StateMachine(
    entity="exit",
    entity_labels=("退出", "Exit"),
    states={
        EXIT_REQUESTED: ("已申请", "Requested"),
        EXIT_REFUSED: ("不予同意", "Refused"),
        EXIT_APPROVED: ("已同意待执行", "Approved, awaiting exit date"),
        EXIT_HANDOVER: ("交接中", "Handing over"),
        EXIT_COMPLETED: ("已完成", "Completed"),
        EXIT_SUPERSEDED: ("授权已另行终止", "Superseded: the authorization ended otherwise"),
    },
    initial=EXIT_REQUESTED,
    transitions=(
        Transition(
            "approve",
            (EXIT_REQUESTED,),
            EXIT_APPROVED,
            Permission.EXITS_DECIDE,
            "同意退出",
            "Approve",
        ),
        Transition(
            "refuse",
            (EXIT_REQUESTED,),
            EXIT_REFUSED,
            Permission.EXITS_DECIDE,
            "不同意退出",
            "Refuse",
        ),
        Transition(
            "execute",
            (EXIT_APPROVED,),
            EXIT_HANDOVER,
            Permission.EXITS_DECIDE,
            "终止授权并开始交接",
            "End the authorization and hand over",
        ),
        Transition(
            "supersede",
            (EXIT_REQUESTED, EXIT_APPROVED),
            EXIT_SUPERSEDED,
            Permission.EXITS_DECIDE,
            "因授权另行终止而关闭",
            "Close: the authorization ended otherwise",
        ),
        Transition(
            "complete",
            (EXIT_HANDOVER,),
            EXIT_COMPLETED,
            Permission.EXITS_DECIDE,
            "交接和资产处置完成",
            "Complete handover and disposal",
        ),
    ),
)

ATT_DUE: Final = "due"
ATT_OVERDUE: Final = "overdue"
ATT_ATTESTED: Final = "attested"
ATT_RETURNED: Final = "returned"
ATT_ACCEPTED: Final = "accepted"
#: Attestations still waiting on the operator.
ATT_WAITING: Final = (ATT_DUE, ATT_OVERDUE, ATT_RETURNED)

#: The operator's signed attestation that copies held outside the platform are deleted
#: (R5.6): due when the agreement ends, filed by the operator, checked by the bureau.
ATTESTATION = StateMachine(
    entity="deletion_attestation",
    entity_labels=("删除销毁承诺", "Deletion attestation"),
    states={
        ATT_DUE: ("待运营机构提交", "Due from the operator"),
        ATT_OVERDUE: ("逾期未提交", "Overdue"),
        ATT_ATTESTED: ("已提交待核验", "Filed, awaiting the bureau's check"),
        ATT_RETURNED: ("已退回待重新提交", "Returned, to be filed again"),
        ATT_ACCEPTED: ("已核验，删除销毁完成", "Checked: deletion complete"),
    },
    initial=ATT_DUE,
    transitions=(
        Transition(
            "attest",
            (ATT_DUE, ATT_OVERDUE, ATT_RETURNED),
            ATT_ATTESTED,
            Permission.ATTESTATIONS_FILE,
            "提交签名的删除销毁承诺",
            "File the signed attestation",
        ),
        Transition(
            "accept",
            (ATT_ATTESTED,),
            ATT_ACCEPTED,
            Permission.ATTESTATIONS_CHECK,
            "核验通过",
            "Accept",
        ),
        Transition(
            "return",
            (ATT_ATTESTED,),
            ATT_RETURNED,
            Permission.ATTESTATIONS_CHECK,
            "退回重新提交",
            "Return for a new attestation",
        ),
        Transition(
            "overdue",
            (ATT_DUE, ATT_RETURNED),
            ATT_OVERDUE,
            Permission.ATTESTATIONS_CHECK,
            "逾期未提交",
            "Deadline missed",
        ),
    ),
)
