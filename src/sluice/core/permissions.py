"""Roles, organization kinds and the one table of permissions (deny by default).

A permission not granted here to a role is refused. Every route names exactly one
permission (or is declared public), and a test walks the routes to prove it.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Final

from sluice.core.i18n import add_messages


class OrgKind(StrEnum):
    BUREAU = "bureau"  # 市数据局, the implementing agency
    REGISTRY = "registry"  # 市数据中心, registration agency
    FINANCE = "finance"  # 市财政局
    PROVIDER = "provider"  # 数据提供部门
    OPERATOR = "operator"  # 运营机构
    BUYER = "buyer"  # 数据需求方
    PANEL = "panel"  # 评价专家组


class Role(StrEnum):
    BUREAU = "bureau"
    REGISTRY = "registry"
    FINANCE = "finance"
    PROVIDER = "provider"
    OPERATOR = "operator"
    BUYER = "buyer"
    PANEL = "panel"
    SUBJECT = "subject"  # 信息主体: a person, no organization


#: Which organization kind a role is held in; a data subject acts for themselves.
ROLE_ORG_KIND: Final[dict[Role, OrgKind | None]] = {
    Role.BUREAU: OrgKind.BUREAU,
    Role.REGISTRY: OrgKind.REGISTRY,
    Role.FINANCE: OrgKind.FINANCE,
    Role.PROVIDER: OrgKind.PROVIDER,
    Role.OPERATOR: OrgKind.OPERATOR,
    Role.BUYER: OrgKind.BUYER,
    Role.PANEL: OrgKind.PANEL,
    Role.SUBJECT: None,
}


class Permission(StrEnum):
    PUBLIC = "public"  # marker for routes anyone may call; never granted or checked
    CONSOLE_VIEW = "console.view"
    PROFILE_READ = "profile.read"
    OWN_ACCOUNT = "account.own"
    IDENTITY_READ = "identity.read"
    IDENTITY_MANAGE = "identity.manage"
    API_KEYS_MANAGE = "api_keys.manage"
    AUDIT_READ = "audit.read"
    DATA_USAGE_READ = "usage.read"
    GATEWAY_INVOKE = "gateway.invoke"
    TICKETS_READ = "tickets.read"
    TICKETS_FILE = "tickets.file"
    TICKETS_ANSWER = "tickets.answer"
    TICKETS_CLOSE = "tickets.close"
    TICKETS_SUPERVISE = "tickets.supervise"
    RESOURCES_MANAGE = "catalog.resources.manage"
    RESOURCES_READ = "catalog.resources.read"
    CATALOG_COMPILE = "catalog.compile"
    DATA_INGEST = "data.ingest"
    QUALITY_READ = "quality.read"
    QUALITY_ASSESS = "quality.assess"
    QUALITY_RULES_PUBLISH = "quality.rules.publish"
    OPERATORS_APPLY = "operators.apply"
    OPERATORS_READ = "operators.read"
    OPERATORS_REVIEW = "operators.review"
    SELECTION_MANAGE = "selection.manage"
    SELECTION_SCORE = "selection.score"
    PLANS_MANAGE = "plans.manage"
    AUTHORIZATIONS_READ = "authorizations.read"
    AUTHORIZATIONS_MANAGE = "authorizations.manage"
    AUTHORIZATIONS_SIGN = "authorizations.sign"
    AGREEMENT_COMMENTS_READ = "agreement_comments.read"
    AGREEMENT_COMMENTS_FILE = "agreement_comments.file"
    OPERATOR_RULES_READ = "operator_rules.read"
    OPERATOR_RULES_FILE = "operator_rules.file"
    OPERATOR_RULES_ACKNOWLEDGE = "operator_rules.acknowledge"
    AUTHORIZED_DATA_USE = "authorized_data.use"
    SANDBOX_READ = "sandbox.read"
    SANDBOX_QUERY = "sandbox.query"
    SANDBOX_EXPORT_REVIEW = "sandbox.export_review"
    EXITS_REQUEST = "exits.request"
    EXITS_DECIDE = "exits.decide"
    RECTIFICATIONS_ISSUE = "rectifications.issue"
    RECTIFICATIONS_RESPOND = "rectifications.respond"
    ATTESTATIONS_FILE = "attestations.file"
    ATTESTATIONS_CHECK = "attestations.check"
    APPROVALS_READ = "approvals.read"
    APPROVALS_DECIDE = "approvals.decide"
    CHANNELS_MANAGE = "channels.manage"
    SUBSCRIPTIONS_MANAGE = "subscriptions.manage"
    GATEWAY_CALLS_READ = "gateway.calls.read"
    KEYS_SUSPEND = "keys.suspend"
    GATEWAY_TRACE = "gateway.trace"
    ALERTS_READ = "alerts.read"
    ALERTS_HANDLE = "alerts.handle"
    EMERGENCY_PLANS_READ = "emergency_plans.read"
    EMERGENCY_PLANS_MANAGE = "emergency_plans.manage"
    INCIDENTS_READ = "incidents.read"
    INCIDENTS_RESPOND = "incidents.respond"
    INCIDENTS_HANDLE = "incidents.handle"
    REGISTRATIONS_READ = "registrations.read"
    REGISTRATIONS_APPLY = "registrations.apply"
    REGISTRATIONS_DECIDE = "registrations.decide"
    REGISTRATIONS_OBJECT = "registrations.object"
    PRODUCTS_READ = "products.read"
    PRODUCTS_DECLARE = "products.declare"
    PRODUCTS_REVIEW = "products.review"
    PRICE_CAPS_MANAGE = "price_caps.manage"
    CONSENTS_GRANT = "consents.grant"
    CONSENTS_READ_GRANTED = "consents.read_granted"
    CONSENTS_INSPECT = "consents.inspect"
    SUBJECT_USES_READ = "subject_uses.read"


@dataclass(frozen=True)
class PermissionSpec:
    roles: frozenset[Role]
    title_zh: str
    title_en: str


_EVERY_ROLE = frozenset(Role)

PERMISSIONS: Final[dict[Permission, PermissionSpec]] = {
    Permission.CONSOLE_VIEW: PermissionSpec(_EVERY_ROLE, "进入工作台", "Open the console"),
    Permission.PROFILE_READ: PermissionSpec(_EVERY_ROLE, "查看本人信息", "Read own profile"),
    Permission.OWN_ACCOUNT: PermissionSpec(
        _EVERY_ROLE,
        "管理本人账户（修改密码、退出登录）",
        "Manage own account (change password, log out)",
    ),
    Permission.IDENTITY_READ: PermissionSpec(
        frozenset({Role.BUREAU}), "查看机构和用户", "Read organizations and users"
    ),
    Permission.IDENTITY_MANAGE: PermissionSpec(
        frozenset({Role.BUREAU}), "管理机构和用户", "Manage organizations and users"
    ),
    Permission.API_KEYS_MANAGE: PermissionSpec(
        frozenset({Role.BUYER}), "管理本单位 API 密钥", "Manage own organization's API keys"
    ),
    Permission.AUDIT_READ: PermissionSpec(
        frozenset({Role.BUREAU}), "查阅审计日志", "Read the audit log"
    ),
    Permission.DATA_USAGE_READ: PermissionSpec(
        frozenset({Role.PROVIDER}),
        "查看本部门数据被如何使用（来自审计日志）",
        "See how own department's data is used (from the audit log)",
    ),
    Permission.GATEWAY_INVOKE: PermissionSpec(
        frozenset({Role.BUYER}), "调用数据产品接口", "Call data product APIs"
    ),
    Permission.TICKETS_READ: PermissionSpec(
        frozenset({Role.BUREAU, Role.OPERATOR, Role.PROVIDER}),
        "查看纠错工单",
        "Read correction tickets",
    ),
    Permission.TICKETS_FILE: PermissionSpec(
        frozenset({Role.BUREAU, Role.OPERATOR, Role.PROVIDER}),
        "提交纠错工单",
        "File correction tickets",
    ),
    Permission.TICKETS_ANSWER: PermissionSpec(
        frozenset({Role.PROVIDER}), "答复本部门数据的纠错工单", "Answer tickets on own data"
    ),
    Permission.TICKETS_CLOSE: PermissionSpec(
        frozenset({Role.BUREAU, Role.OPERATOR, Role.PROVIDER}),
        "关闭纠错工单（提交方或数据局）",
        "Close correction tickets (filer or bureau)",
    ),
    Permission.TICKETS_SUPERVISE: PermissionSpec(
        frozenset({Role.BUREAU}), "督办逾期纠错工单", "Chase overdue correction tickets"
    ),
    Permission.RESOURCES_MANAGE: PermissionSpec(
        frozenset({Role.PROVIDER}), "登记本部门数据资源", "Register own department's resources"
    ),
    Permission.RESOURCES_READ: PermissionSpec(
        frozenset({Role.PROVIDER, Role.BUREAU, Role.REGISTRY}),
        "查看数据资源（含未发布）",
        "Read data resources (unpublished too)",
    ),
    Permission.CATALOG_COMPILE: PermissionSpec(
        frozenset({Role.BUREAU}), "编制和发布资源目录", "Compile and publish the catalog"
    ),
    Permission.DATA_INGEST: PermissionSpec(
        frozenset({Role.PROVIDER}), "上传和汇聚本部门数据", "Upload own department's data"
    ),
    Permission.QUALITY_ASSESS: PermissionSpec(
        frozenset({Role.BUREAU}), "组织数据质量评估", "Run quality assessments"
    ),
    Permission.QUALITY_READ: PermissionSpec(
        frozenset({Role.PROVIDER, Role.BUREAU}), "查看数据质量报告", "Read data quality reports"
    ),
    Permission.QUALITY_RULES_PUBLISH: PermissionSpec(
        frozenset({Role.BUREAU}),
        "发布数据质量管理规则",
        "Publish the data-quality management rules",
    ),
    Permission.OPERATORS_APPLY: PermissionSpec(
        frozenset({Role.OPERATOR}),
        "申请成为运营机构（本单位）",
        "Apply to become an operator (own company)",
    ),
    Permission.OPERATORS_READ: PermissionSpec(
        frozenset({Role.BUREAU}), "查看运营机构申请", "Read operator applications"
    ),
    Permission.OPERATORS_REVIEW: PermissionSpec(
        frozenset({Role.BUREAU}), "审核运营机构资格", "Review operator qualification"
    ),
    Permission.SELECTION_MANAGE: PermissionSpec(
        frozenset({Role.BUREAU}), "组织竞争性磋商", "Run competitive consultations"
    ),
    Permission.SELECTION_SCORE: PermissionSpec(
        frozenset({Role.PANEL}), "磋商评分", "Score consultation candidates"
    ),
    Permission.PLANS_MANAGE: PermissionSpec(
        frozenset({Role.BUREAU}),
        "编制实施方案和集体决策记录",
        "Manage implementation plans and collective decisions",
    ),
    Permission.AUTHORIZATIONS_READ: PermissionSpec(
        frozenset({Role.BUREAU, Role.REGISTRY, Role.OPERATOR}),
        "查看授权（运营机构仅本单位）",
        "Read authorizations (operators: own only)",
    ),
    Permission.AUTHORIZATIONS_MANAGE: PermissionSpec(
        frozenset({Role.BUREAU}), "起草、审批和变更授权", "Draft, approve and change authorizations"
    ),
    Permission.AUTHORIZATIONS_SIGN: PermissionSpec(
        frozenset({Role.BUREAU, Role.OPERATOR}), "签署授权运营协议", "Sign authorization agreements"
    ),
    Permission.AGREEMENT_COMMENTS_READ: PermissionSpec(
        frozenset({Role.BUREAU, Role.PROVIDER, Role.OPERATOR, Role.FINANCE}),
        "查看协议草案征求意见（本单位受邀的）",
        "Read rounds of comments on draft agreements (those one's organization is asked in)",
    ),
    Permission.AGREEMENT_COMMENTS_FILE: PermissionSpec(
        frozenset({Role.PROVIDER, Role.OPERATOR, Role.FINANCE}),
        "对协议草案提出本单位意见",
        "Comment on a draft agreement for one's organization",
    ),
    Permission.OPERATOR_RULES_READ: PermissionSpec(
        frozenset({Role.BUREAU, Role.OPERATOR}),
        "查看运营机构报备的管理制度（运营机构仅本单位）",
        "Read operators' filed rules (operators: own only)",
    ),
    Permission.OPERATOR_RULES_FILE: PermissionSpec(
        frozenset({Role.OPERATOR}),
        "报备本单位数据治理、交易和安全管理制度",
        "File one's data-governance, trading and security rules",
    ),
    Permission.OPERATOR_RULES_ACKNOWLEDGE: PermissionSpec(
        frozenset({Role.BUREAU}),
        "确认或退回运营机构报备的制度",
        "Acknowledge or return operators' filed rules",
    ),
    Permission.AUTHORIZED_DATA_USE: PermissionSpec(
        frozenset({Role.OPERATOR}), "在授权范围内使用数据", "Use data within an authorization"
    ),
    Permission.SANDBOX_READ: PermissionSpec(
        frozenset({Role.BUREAU, Role.OPERATOR}),
        "查看沙箱工作区及其视图（运营机构仅本单位）",
        "Read sandbox workspaces and their views (operators: own only)",
    ),
    Permission.SANDBOX_QUERY: PermissionSpec(
        frozenset({Role.OPERATOR}),
        "在沙箱工作区中查询授权数据",
        "Query authorized data in a sandbox workspace",
    ),
    Permission.SANDBOX_EXPORT_REVIEW: PermissionSpec(
        frozenset({Role.BUREAU}),
        "审核沙箱结果出域申请",
        "Review requests to export sandbox results",
    ),
    Permission.EXITS_REQUEST: PermissionSpec(
        frozenset({Role.OPERATOR}), "申请退出授权运营", "Request exit from an authorization"
    ),
    Permission.EXITS_DECIDE: PermissionSpec(
        frozenset({Role.BUREAU}), "审批退出和资产处置", "Decide exits and asset disposal"
    ),
    Permission.RECTIFICATIONS_ISSUE: PermissionSpec(
        frozenset({Role.BUREAU}), "下达和验收整改", "Issue and check rectification orders"
    ),
    Permission.RECTIFICATIONS_RESPOND: PermissionSpec(
        frozenset({Role.OPERATOR}), "提交整改报告", "Report on rectification"
    ),
    Permission.ATTESTATIONS_FILE: PermissionSpec(
        frozenset({Role.OPERATOR}),
        "提交平台外数据副本删除销毁的签名承诺",
        "File the signed attestation that copies outside the platform are deleted",
    ),
    Permission.ATTESTATIONS_CHECK: PermissionSpec(
        frozenset({Role.BUREAU}),
        "督促和核验运营机构删除销毁数据副本",
        "Track and check operators' deletion of their copies",
    ),
    Permission.APPROVALS_READ: PermissionSpec(
        frozenset({Role.BUREAU}),
        "查看不可逆操作的审批申请",
        "Read requests for irreversible acts",
    ),
    Permission.APPROVALS_DECIDE: PermissionSpec(
        frozenset({Role.BUREAU}),
        "审批他人提出的不可逆操作（第二人）",
        "Approve or reject another person's irreversible act (second approver)",
    ),
    Permission.CHANNELS_MANAGE: PermissionSpec(
        frozenset({Role.BUREAU}),
        "登记和跟踪已有公共数据运营渠道的整合",
        "Keep the register of existing operation channels and their move to the platform",
    ),
    Permission.SUBSCRIPTIONS_MANAGE: PermissionSpec(
        frozenset({Role.BUYER}),
        "订阅和退订数据产品（本单位）",
        "Subscribe to and cancel data products (own organization)",
    ),
    Permission.GATEWAY_CALLS_READ: PermissionSpec(
        frozenset({Role.BUYER, Role.BUREAU}),
        "查看数据产品调用记录和计量（数据需求方仅本单位）",
        "Read data product calls and metering (buyers: own only)",
    ),
    Permission.KEYS_SUSPEND: PermissionSpec(
        frozenset({Role.BUREAU}),
        "暂停和恢复数据需求方的 API 密钥",
        "Suspend and resume buyers' API keys",
    ),
    Permission.GATEWAY_TRACE: PermissionSpec(
        frozenset({Role.BUREAU}),
        "追溯泄露数据文件的下载方",
        "Trace a leaked data file to the buyer who downloaded it",
    ),
    Permission.ALERTS_READ: PermissionSpec(
        frozenset({Role.BUREAU}),
        "查看安全告警",
        "Read security alerts",
    ),
    Permission.ALERTS_HANDLE: PermissionSpec(
        frozenset({Role.BUREAU}),
        "处理安全告警（确认、驳回、解除自动处置）",
        "Handle security alerts (acknowledge, dismiss, lift a containment)",
    ),
    Permission.EMERGENCY_PLANS_READ: PermissionSpec(
        frozenset({Role.BUREAU, Role.OPERATOR}),
        "查看应急预案和演练记录（运营机构仅本单位）",
        "Read emergency plans and drill records (operators: own only)",
    ),
    Permission.EMERGENCY_PLANS_MANAGE: PermissionSpec(
        frozenset({Role.BUREAU, Role.OPERATOR}),
        "编制本单位应急预案、记录演练",
        "Keep one's own emergency plan and record its drills",
    ),
    Permission.INCIDENTS_READ: PermissionSpec(
        frozenset({Role.BUREAU, Role.OPERATOR}),
        "查看安全事件（运营机构仅本单位）",
        "Read security incidents (operators: own only)",
    ),
    Permission.INCIDENTS_RESPOND: PermissionSpec(
        frozenset({Role.BUREAU, Role.OPERATOR}),
        "报告和处置安全事件（隔离数据、暂停操作、专项报告；运营机构仅本单位）",
        "Report and contain security incidents (isolate data, suspend operations, special "
        "report; operators: own only)",
    ),
    Permission.INCIDENTS_HANDLE: PermissionSpec(
        frozenset({Role.BUREAU}),
        "处置安全事件（溯源排查、上报、复盘结案、下达整改）",
        "Handle security incidents (investigate, report upward, close with a review, order "
        "rectification)",
    ),
    Permission.PRODUCTS_READ: PermissionSpec(
        frozenset({Role.BUREAU, Role.REGISTRY, Role.OPERATOR}),
        "查看数据产品（运营机构仅本单位）",
        "Read data products (operators: own only)",
    ),
    Permission.PRODUCTS_DECLARE: PermissionSpec(
        frozenset({Role.OPERATOR}),
        "申报、提交和上架本单位的数据产品",
        "Declare, submit and list one's own data products",
    ),
    Permission.PRODUCTS_REVIEW: PermissionSpec(
        frozenset({Role.BUREAU}),
        "数据产品安全合规审查、暂停和下架",
        "Review data products for security and compliance, suspend and delist them",
    ),
    Permission.PRICE_CAPS_MANAGE: PermissionSpec(
        frozenset({Role.BUREAU}),
        "制定数据产品分类价格上限",
        "Set the price caps of product classes",
    ),
    Permission.CONSENTS_GRANT: PermissionSpec(
        frozenset({Role.SUBJECT}),
        "授予和撤回本人数据的使用同意",
        "Grant and revoke consent to the use of one's own data",
    ),
    Permission.CONSENTS_READ_GRANTED: PermissionSpec(
        frozenset({Role.BUYER}),
        "查看信息主体授予本单位的同意",
        "Read the consents data subjects granted one's organization",
    ),
    Permission.CONSENTS_INSPECT: PermissionSpec(
        frozenset({Role.BUREAU}),
        "查验授权同意台账及其证明材料",
        "Inspect the consent ledger and its evidence",
    ),
    Permission.SUBJECT_USES_READ: PermissionSpec(
        frozenset({Role.SUBJECT}),
        "查看谁用了本人的数据",
        "See who used one's own data",
    ),
    Permission.REGISTRATIONS_READ: PermissionSpec(
        frozenset({Role.REGISTRY, Role.BUREAU, Role.OPERATOR}),
        "查看数据资源登记（运营机构仅本单位）",
        "Read data registrations (operators: own only)",
    ),
    Permission.REGISTRATIONS_APPLY: PermissionSpec(
        frozenset({Role.OPERATOR}),
        "为本单位的数据产品申请登记、变更、续期和注销",
        "Apply to register, change, renew or cancel one's own data products' registrations",
    ),
    Permission.REGISTRATIONS_DECIDE: PermissionSpec(
        frozenset({Role.REGISTRY}),
        "受理、审查登记申请，处理异议，发放登记证书",
        "Accept and review registration applications, decide objections, issue certificates",
    ),
    Permission.REGISTRATIONS_OBJECT: PermissionSpec(
        _EVERY_ROLE,
        "对公示中的登记申请提出实名异议",
        "Object, under one's real name, to a registration in public notice",
    ),
}


def roles_granting(permission: Permission) -> frozenset[Role]:
    spec = PERMISSIONS.get(permission)
    return spec.roles if spec else frozenset()


add_messages({f"permission.{p.value}": (s.title_zh, s.title_en) for p, s in PERMISSIONS.items()})
add_messages(
    {
        "role.bureau": ("数据局", "Data bureau"),
        "role.registry": ("数据中心（登记）", "Data centre (registry)"),
        "role.finance": ("财政局", "Finance bureau"),
        "role.provider": ("数据提供部门", "Data provider"),
        "role.operator": ("运营机构", "Operator"),
        "role.buyer": ("数据需求方", "Buyer"),
        "role.panel": ("评价专家", "Evaluation panel"),
        "role.subject": ("信息主体", "Data subject"),
        "org_kind.bureau": ("数据主管部门", "Data bureau"),
        "org_kind.registry": ("登记机构", "Registration agency"),
        "org_kind.finance": ("财政部门", "Finance bureau"),
        "org_kind.provider": ("数据提供部门", "Data provider"),
        "org_kind.operator": ("运营机构", "Operator"),
        "org_kind.buyer": ("数据需求方", "Buyer"),
        "org_kind.panel": ("评价专家组", "Evaluation panel"),
    }
)
