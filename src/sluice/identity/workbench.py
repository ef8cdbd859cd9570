"""A buyer's workbench panel: its API keys, and what the gateway will let it do.

Keys never expire on their own; a key older than :data:`IDLE_DAYS` and not used within them
is worth a look (revoke what nobody needs). Only the buyer's own organization's keys count.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Final

from sqlalchemy import func, or_, select

from sluice.core.clock import display
from sluice.core.i18n import add_messages
from sluice.core.permissions import Permission, Role
from sluice.identity.models import ApiKey
from sluice.web.workbench import ROWS, Context, Figure, Panel, PanelContent, Todo, add_panel

KEYS = "/console/api-keys"
#: A live key not used for this long is listed as idle.
IDLE_DAYS: Final = 90

add_messages(
    {
        "workbench.keys": ("API 密钥与数据产品", "API keys and data products"),
        "workbench.keys.lead": (
            "用 API 密钥调用本单位订阅的数据产品（请求头 X-API-Key）；密钥只显示一次，可为密钥设置"
            "请求签名。需要信息主体同意的产品，调用时附上主体授予本单位的同意编号。",
            "Call the products your organization subscribes to with an API key (header "
            "X-API-Key); a key is shown once and may carry a request-signing secret. For "
            "products that need the data subject's consent, send the consent id the subject "
            "granted you with each call.",
        ),
        "workbench.keys.idle": (
            "待清理：{n} 个密钥已 {days} 天以上未使用，不需要的请撤销",
            "To tidy: {n} keys unused for over {days} days; revoke those not needed",
        ),
        "workbench.keys.never": ("从未使用", "never used"),
        "workbench.keys.last": ("最近使用 {at}", "last used {at}"),
        "workbench.keys.none": (
            "还没有 API 密钥：在“API 密钥”页创建后即可调用已订阅的数据产品。",
            "No API key yet: create one on the API keys page to call the products you "
            "subscribe to.",
        ),
        "workbench.keys.ok": (
            "没有需要清理的密钥；超过 {days} 天未使用的密钥会列在这里，提醒您撤销。",
            "No key needs tidying; keys unused for over {days} days are listed here.",
        ),
        "workbench.keys.live": ("有效 API 密钥", "Live API keys"),
        "workbench.keys.unused": ("尚未使用的密钥", "Keys not used yet"),
    }
)


def _load(ctx: Context) -> PanelContent:
    org = ctx.principal.organization_id
    lead = ctx._("workbench.keys.lead")
    if org is None:
        return PanelContent(lead=lead, note=ctx._("workbench.keys.none"))
    live = [ApiKey.organization_id == org, ApiKey.revoked_at.is_(None)]
    total = ctx.session.scalar(select(func.count(ApiKey.id)).where(*live)) or 0
    unused = [*live, ApiKey.last_used_at.is_(None)]
    figures = [
        Figure(ctx._("workbench.keys.live"), str(total), KEYS),
        Figure(
            ctx._("workbench.keys.unused"),
            str(ctx.session.scalar(select(func.count(ApiKey.id)).where(*unused)) or 0),
            KEYS,
        ),
    ]
    if not total:
        return PanelContent(
            lead=lead, figures=figures[:1], note=ctx._("workbench.keys.none"), more_href=KEYS
        )
    since = ctx.clock.now() - timedelta(days=IDLE_DAYS)
    idle = [
        *live,
        ApiKey.created_at < since,
        or_(ApiKey.last_used_at.is_(None), ApiKey.last_used_at < since),
    ]
    n = ctx.session.scalar(select(func.count(ApiKey.id)).where(*idle)) or 0
    todos = []
    if n:
        rows = ctx.session.scalars(
            select(ApiKey).where(*idle).order_by(ApiKey.created_at, ApiKey.id).limit(ROWS)
        )
        todos.append(
            Todo(
                ctx._("workbench.keys.idle", n=n, days=IDLE_DAYS),
                KEYS,
                rows=[
                    Todo(
                        f"{k.name} · {k.prefix}…",
                        KEYS,
                        meta=ctx._("workbench.keys.never")
                        if k.last_used_at is None
                        else ctx._("workbench.keys.last", at=display(k.last_used_at)),
                    )
                    for k in rows
                ],
            )
        )
    return PanelContent(
        todos=todos,
        figures=figures,
        lead=lead,
        note=ctx._("workbench.keys.ok", days=IDLE_DAYS),
        more_href=KEYS,
    )


add_panel(
    Panel(
        "workbench.keys",
        Permission.API_KEYS_MANAGE,
        _load,
        order=10,
        roles=frozenset({Role.BUYER}),
    )
)
