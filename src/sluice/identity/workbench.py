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
            "数据产品的订阅和接口网关尚未开放。开放后，您可以在这里订阅运营机构上架的数据产品，"
            "用 API 密钥调用，并归档信息主体的授权同意；现在可以先创建密钥。",
            "Subscribing to data products and the API gateway are not open yet. Once they are, "
            "you subscribe here to the products operators offer, call them with an API key "
            "and archive the data subjects' consents; you can create keys now.",
        ),
        "workbench.keys.idle": (
            "待清理：{n} 个密钥已 {days} 天以上未使用，不需要的请撤销",
            "To tidy: {n} keys unused for over {days} days; revoke those not needed",
        ),
        "workbench.keys.never": ("从未使用", "never used"),
        "workbench.keys.last": ("最近使用 {at}", "last used {at}"),
        "workbench.keys.none": (
            "还没有 API 密钥。接口网关开放前即可在“API 密钥”页创建。",
            "No API key yet. You can create one on the API keys page before the gateway opens.",
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
