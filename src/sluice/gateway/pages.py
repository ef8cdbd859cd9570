"""Console pages of the gateway.

* A buyer's subscriptions (``/console/subscriptions``): what it subscribes to, each quota's
  use in the current period, cancel; the market's listed products with a subscribe form.
* A buyer's call settings (``/console/gateway/keys``): each API key's state (suspended by
  the bureau, with the reason) and its request-signing secret, made (shown once) or removed.
* The call log (``/console/gateway/calls``): a buyer its own calls, the bureau all.
* Metering (``/console/gateway/metering``): billed calls per product and buyer, by month.
* The bureau's trace (``/console/gateway/trace``): hand back a leaked file, learn its buyer.

Thin: the services decide and refuse; a refusal is shown on the page in the reader's
language.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, Any, Final

from fastapi import APIRouter, Depends, Query, Request, UploadFile
from fastapi.responses import HTMLResponse, Response
from sqlalchemy.orm import Session

from sluice.core.clock import local
from sluice.core.database import undo_keeping_refusal
from sluice.core.errors import NotFound, SluiceError
from sluice.core.i18n import add_messages, has_message, translate
from sluice.core.ids import sm3_hex
from sluice.core.paging import ListQuery
from sluice.core.permissions import Permission as P
from sluice.core.principal import Principal
from sluice.core.settings import Settings
from sluice.gateway import quotas, service
from sluice.gateway.api import CALLS
from sluice.gateway.states import ACTIVE, CANCELLED, ENDED
from sluice.identity import service as identity
from sluice.products import service as products
from sluice.web.deps import SESSION_COOKIE, AppClock, AppSettings, DbSession, Locale, Requires
from sluice.web.forms import see_other
from sluice.web.listing import render_list
from sluice.web.templating import NavItem, add_nav, render

router = APIRouter(tags=["console"])
Subscriber = Annotated[Principal, Depends(Requires(P.SUBSCRIPTIONS_MANAGE))]
KeyManager = Annotated[Principal, Depends(Requires(P.API_KEYS_MANAGE))]
CallReader = Annotated[Principal, Depends(Requires(P.GATEWAY_CALLS_READ))]
Tracer = Annotated[Principal, Depends(Requires(P.GATEWAY_TRACE))]

SUBSCRIPTIONS_PAGE: Final = "/console/subscriptions"
KEYS_PAGE: Final = "/console/gateway/keys"
CALLS_PAGE: Final = "/console/gateway/calls"
METERING_PAGE: Final = "/console/gateway/metering"
TRACE_PAGE: Final = "/console/gateway/trace"
#: The consents data subjects granted the buyer (the consent module's page).
CONSENTS_GRANTED_PAGE: Final = "/console/consents/granted"
_NEW_SECRET: Final = "gateway.signing_secret"  # noqa: S105 (a notice kind)
_DONE: Final = ("subscribed", "cancelled", "secret_removed")

add_nav(
    NavItem("nav.subscriptions", SUBSCRIPTIONS_PAGE, P.SUBSCRIPTIONS_MANAGE, order=55),
    NavItem("nav.gateway_keys", KEYS_PAGE, P.API_KEYS_MANAGE, order=56),
    NavItem("nav.gateway_calls", CALLS_PAGE, P.GATEWAY_CALLS_READ, order=57),
    NavItem("nav.gateway_metering", METERING_PAGE, P.GATEWAY_CALLS_READ, order=58),
    NavItem("nav.gateway_trace", TRACE_PAGE, P.GATEWAY_TRACE, order=78),
)
add_messages(
    {
        "nav.subscriptions": ("产品订阅", "Subscriptions"),
        "nav.gateway_keys": ("调用设置", "Call settings"),
        "nav.gateway_calls": ("调用记录", "Call log"),
        "nav.gateway_metering": ("调用计量", "Metering"),
        "nav.gateway_trace": ("泄露溯源", "Trace a leak"),
        "subs.title": ("产品订阅", "Product subscriptions"),
        "subs.lead": (
            "订阅后即可用 API 密钥调用产品：POST /gateway/v1/products/{code}/invoke（数据集为 "
            "GET …/download）。每个订阅有调用配额（每天或每月）和频率上限（每秒或每分钟），"
            "超出时调用被拒绝（quota_exceeded、rate_limited）。",
            "Once subscribed, call a product with an API key: POST "
            "/gateway/v1/products/{code}/invoke (datasets: GET …/download). Each subscription "
            "has a quota (a day or a month) and a rate limit (a second or a minute); calls "
            "beyond them are refused (quota_exceeded, rate_limited).",
        ),
        "subs.consents_link": (
            "信息主体授予本单位的同意",
            "Consents data subjects granted your organization",
        ),
        "subs.calls_link": ("查看调用记录", "See the call log"),
        "subs.mine": ("本单位的订阅", "Your subscriptions"),
        "subs.product": ("产品", "Product"),
        "subs.status": ("状态", "Status"),
        "subs.quota": ("配额", "Quota"),
        "subs.quota_use": (
            "每{period} {limit} 次：已用 {used}，剩余 {left}（{reset} 重置）",
            "{limit} a {period}: {used} used, {left} left (resets {reset})",
        ),
        "subs.rate": ("频率上限", "Rate limit"),
        "subs.rate_text": ("每{period} {limit} 次", "{limit} a {period}"),
        "subs.since": ("订阅时间", "Subscribed"),
        "subs.cancel": ("退订", "Cancel"),
        "subs.cancel_confirm": (
            "退订后使用该产品的调用将被拒绝（not_subscribed），确定退订吗？",
            "Calls to this product will be refused (not_subscribed). Cancel the subscription?",
        ),
        "subs.ended_reason": ("结束原因：{reason}", "Ended: {reason}"),
        "subs.empty": (
            "还没有订阅。从下方的上架产品中选择并订阅。",
            "No subscriptions yet. Choose a listed product below and subscribe.",
        ),
        "subs.market": ("可订阅的上架产品", "Listed products you can subscribe to"),
        "subs.market_empty": (
            "没有尚未订阅的上架产品。",
            "There is no listed product you do not subscribe to yet.",
        ),
        "subs.operator": ("运营机构", "Operator"),
        "subs.price": ("价格", "Price"),
        "subs.price_text": ("{yuan} 元 / {unit}", "CNY {yuan} per {unit}"),
        "subs.free": ("免费（公共治理、公益）", "Free (public governance, welfare)"),
        "subs.consent": ("需信息主体同意", "Needs the subject's consent"),
        "subs.subscribe": ("订阅", "Subscribe"),
        "subs.quota_limit": (
            "配额（空为平台上限 {cap}/天）",
            "Quota (empty: the cap, {cap} a day)",
        ),
        "subs.rate_limit": (
            "频率（空为平台上限 {cap}/秒）",
            "Rate (empty: the cap, {cap} a second)",
        ),
        "subs.per": ("每", "per"),
        "subs.done.subscribed": ("已订阅。", "Subscribed."),
        "subs.done.cancelled": ("已退订。", "Subscription cancelled."),
        "subs.refused": ("未能订阅", "Not subscribed"),
        "gwkeys.title": ("调用设置：密钥与请求签名", "Call settings: keys and request signing"),
        "gwkeys.lead": (
            "为密钥生成签名密钥后，使用该密钥的每次调用都必须签名：以签名密钥计算 HMAC-SM3，"
            "覆盖方法、路径、时间戳（X-Sluice-Timestamp，与平台时间相差不超过 {window} 秒）、"
            "随机数（X-Sluice-Nonce，不可重复使用）和请求体的 SM3，放在 X-Sluice-Signature 中。"
            "签名密钥只在生成时显示一次。",
            "Once a key has a signing secret, every call with it must be signed: HMAC-SM3 with "
            "the secret over the method, the path, the timestamp (X-Sluice-Timestamp, within "
            "{window} seconds of the platform's clock), a nonce (X-Sluice-Nonce, never used "
            "twice) and the SM3 of the body, sent as X-Sluice-Signature. The secret is shown "
            "only once, when it is made.",
        ),
        "gwkeys.keys_link": ("创建或吊销 API 密钥", "Create or revoke API keys"),
        "gwkeys.key": ("密钥", "Key"),
        "gwkeys.state": ("状态", "State"),
        "gwkeys.signing": ("请求签名", "Request signing"),
        "gwkeys.signing_on": (
            "已启用（{when} 由 {who} 生成）",
            "Required (secret made {when} by {who})",
        ),
        "gwkeys.signing_off": ("未启用", "Not required"),
        "gwkeys.make": ("生成签名密钥", "Make a signing secret"),
        "gwkeys.rotate": ("更换签名密钥", "Replace the signing secret"),
        "gwkeys.rotate_confirm": (
            "更换后原签名密钥立即失效，确定更换吗？",
            "The current secret stops working at once. Replace it?",
        ),
        "gwkeys.remove": ("停用请求签名", "Stop requiring signatures"),
        "gwkeys.new_secret": ("密钥“{name}”的新签名密钥", "New signing secret of key '{name}'"),
        "gwkeys.shown_once": (
            "请立即复制并妥善保存；离开或刷新本页后将无法再次查看：",
            "Copy and keep it now; once you leave or reload this page it cannot be shown again:",
        ),
        "gwkeys.empty": (
            "还没有有效的 API 密钥。",
            "No live API keys yet.",
        ),
        "gwkeys.done.secret_removed": (
            "已停用请求签名。",
            "Signatures are no longer required for that key.",
        ),
        "calls.title": ("数据产品调用记录", "Data product calls"),
        "calls.lead_buyer": (
            "本单位每一次调用和下载：时间、产品、用途、结果和计费金额。",
            "Every call and download of your organization: time, product, purpose, outcome "
            "and amount.",
        ),
        "calls.lead_bureau": (
            "所有数据需求方的每一次调用和下载，含被拒绝的调用及其原因代码。",
            "Every call and download of every buyer, refused ones with their codes.",
        ),
        "calls.search": ("搜索产品、用途或需求方", "Search products, purposes or buyers"),
        "calls.at": ("时间", "Time"),
        "calls.buyer": ("需求方", "Buyer"),
        "calls.product": ("产品", "Product"),
        "calls.kind": ("方式", "Kind"),
        "calls.kind.call": ("调用", "Call"),
        "calls.kind.download": ("下载", "Download"),
        "calls.purpose": ("用途", "Purpose"),
        "calls.outcome": ("结果", "Outcome"),
        "calls.outcome.answered": ("已应答", "Answered"),
        "calls.outcome.refused": ("被拒绝", "Refused"),
        "calls.latency": ("耗时", "Latency"),
        "calls.latency_ms": ("{ms} 毫秒", "{ms} ms"),
        "calls.amount": ("金额", "Amount"),
        "calls.empty": ("还没有调用记录。", "No calls yet."),
        "metering.title": ("调用计量", "Metering"),
        "metering.lead": (
            "{month} 计量的调用和下载，按产品和需求方汇总，金额为分（元）。"
            "公共治理和公益产品计量为 0。",
            "Calls and downloads metered in {month}, per product and buyer, in fen (yuan). "
            "Public governance and welfare products meter at 0.",
        ),
        "metering.month": ("月份", "Month"),
        "metering.show": ("查看", "Show"),
        "metering.events": ("次数", "Events"),
        "metering.quantity": ("计费数量", "Billed units"),
        "metering.amount": ("金额", "Amount"),
        "metering.total": ("合计", "Total"),
        "metering.empty": ("本月还没有计量记录。", "Nothing metered this month yet."),
        "trace.title": ("泄露数据文件溯源", "Trace a leaked data file"),
        "trace.lead": (
            "每次数据集下载都嵌入了该次下载独有的指纹。上传在平台外发现的数据文件（CSV），"
            "平台识别其指纹，指出是哪个需求方、哪次下载泄露的。即使行被重排、删去部分行或重新保存，"
            "仍可识别。",
            "Every dataset download carries a fingerprint of its own. Upload a data file "
            "(CSV) found outside the platform and the platform reads its fingerprint and names "
            "the buyer and the download it leaked from, even after rows were re-ordered, some "
            "dropped, or the file re-saved.",
        ),
        "trace.file": ("数据文件", "Data file"),
        "trace.product": (
            "产品代码（可选，缩小范围）",
            "Product code (optional, narrows the search)",
        ),
        "trace.submit": ("溯源", "Trace"),
        "trace.found": ("溯源结果：该文件来自以下下载", "Traced: the file came from this download"),
        "trace.not_found": (
            "未能在任何下载中识别出该文件的指纹（文件 SM3 {sm3}）。",
            "The file's fingerprint matches no download (file SM3 {sm3}).",
        ),
        "trace.buyer": ("需求方", "Buyer"),
        "trace.download": ("下载编号", "Download"),
        "trace.when": ("下载时间", "Downloaded"),
        "trace.key": ("所用 API 密钥", "API key used"),
        "trace.sm3": ("所传文件 SM3", "SM3 of the file handed back"),
        "trace.no_file": ("请选择文件。", "Choose a file."),
    }
)


def _token(request: Request) -> str:
    return request.cookies.get(SESSION_COOKIE, "")


def _done(locale: str, prefix: str, done: str | None) -> str | None:
    return translate(f"{prefix}.done.{done}", locale) if done in _DONE else None


def _yuan(fen: int) -> str:
    return f"{fen // 100}.{fen % 100:02d}"


# -- subscriptions --------------------------------------------------------------------------


def _subscriptions_page(
    request: Request,
    session: Session,
    actor: Principal,
    settings: Settings,
    at: datetime,
    *,
    notice: str | None = None,
    error: str | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    mine = service.subscriptions(session, actor=actor)
    usage = service.usage(session, [s for s in mine if s.status == ACTIVE], at=at)
    subscribed = {s.product_id for s in mine if s.status == ACTIVE}
    market = [row for row in products.market(session) if row.product.id not in subscribed]
    return render(
        request,
        "gateway/subscriptions.html",
        {
            "subscriptions": mine,
            "titles": {s.product_id: products.product_title(session, s.product_id) for s in mine},
            "usage": usage,
            "market": market,
            "yuan": _yuan,
            "free_domains": ("governance", "welfare"),
            "quota_cap": settings.gateway_quota_per_day,
            "rate_cap": settings.gateway_rate_per_second,
            "notice": notice,
            "error": error,
            "consents_page": CONSENTS_GRANTED_PAGE,
            "states": (ACTIVE, CANCELLED, ENDED),
        },
        status_code=status_code,
    )


@router.get(SUBSCRIPTIONS_PAGE, response_class=HTMLResponse)
def subscriptions_page(
    request: Request,
    actor: Subscriber,
    session: DbSession,
    clock: AppClock,
    settings: AppSettings,
    locale: Locale,
    done: Annotated[str | None, Query(max_length=30)] = None,
) -> HTMLResponse:
    return _subscriptions_page(
        request, session, actor, settings, clock.now(), notice=_done(locale, "subs", done)
    )


def _optional_int(value: object) -> int | None:
    text = str(value or "").strip()
    if not text:
        return None
    if not text.isascii() or not text.isdigit() or len(text) > 9:
        return -1  # the service names the field and its bounds
    return int(text)


@router.post(SUBSCRIPTIONS_PAGE, response_class=HTMLResponse)
async def subscribe(
    request: Request,
    actor: Subscriber,
    session: DbSession,
    clock: AppClock,
    settings: AppSettings,
    locale: Locale,
) -> Response:
    form = await request.form()
    try:
        service.subscribe(
            session,
            actor=actor,
            settings=settings,
            at=clock.now(),
            product_code=str(form.get("product_code", "")).strip()[:64],
            quota_limit=_optional_int(form.get("quota_limit")),
            quota_period=str(form.get("quota_period", "day")),
            rate_limit=_optional_int(form.get("rate_limit")),
            rate_period=str(form.get("rate_period", "second")),
        )
    except SluiceError as error:
        undo_keeping_refusal(session, error)
        return _subscriptions_page(
            request,
            session,
            actor,
            settings,
            clock.now(),
            error=error.detail(locale),
            status_code=error.status,
        )
    return see_other(f"{SUBSCRIPTIONS_PAGE}?done=subscribed")


@router.post(SUBSCRIPTIONS_PAGE + "/{subscription_id}/cancel", response_class=HTMLResponse)
def cancel(
    subscription_id: uuid.UUID, actor: Subscriber, session: DbSession, clock: AppClock
) -> Response:
    service.cancel(session, actor=actor, at=clock.now(), subscription_id=subscription_id)
    return see_other(f"{SUBSCRIPTIONS_PAGE}?done=cancelled")


# -- keys and signing secrets ---------------------------------------------------------------


@router.get(KEYS_PAGE, response_class=HTMLResponse)
def keys_page(
    request: Request,
    actor: KeyManager,
    session: DbSession,
    clock: AppClock,
    settings: AppSettings,
    locale: Locale,
    done: Annotated[str | None, Query(max_length=30)] = None,
) -> HTMLResponse:
    new_secret = identity.take_flash(
        session, actor=actor, clock=clock, token=_token(request), kind=_NEW_SECRET
    )
    found = [(k, s) for k, s in service.keys(session, actor=actor) if k.revoked_at is None]
    response = render(
        request,
        "gateway/keys.html",
        {
            "keys": found,
            "new_secret": new_secret,
            "window": settings.gateway_signature_window_seconds,
            "notice": _done(locale, "gwkeys", done),
        },
    )
    if new_secret is not None:
        response.headers["Cache-Control"] = "no-store"
    return response


@router.post(KEYS_PAGE + "/{key_id}/signing-secret", response_class=HTMLResponse)
def make_signing_secret(
    request: Request,
    key_id: uuid.UUID,
    actor: KeyManager,
    session: DbSession,
    clock: AppClock,
    settings: AppSettings,
) -> Response:
    secret = service.make_signing_secret(
        session, actor=actor, settings=settings, at=clock.now(), key_id=key_id
    )
    name = next((k.name for k, _ in service.keys(session, actor=actor) if k.id == key_id), "")
    shown = {"secret": secret, "name": name}
    if not identity.leave_flash(
        session, actor=actor, clock=clock, token=_token(request), kind=_NEW_SECRET, payload=shown
    ):
        # No console session to keep it in (a script with a token): this answer is the once.
        found = [(k, s) for k, s in service.keys(session, actor=actor) if k.revoked_at is None]
        return render(
            request,
            "gateway/keys.html",
            {
                "keys": found,
                "new_secret": shown,
                "window": settings.gateway_signature_window_seconds,
                "notice": None,
            },
        )
    return see_other(KEYS_PAGE)


@router.post(KEYS_PAGE + "/{key_id}/signing-secret/remove", response_class=HTMLResponse)
def remove_signing_secret(
    key_id: uuid.UUID, actor: KeyManager, session: DbSession, clock: AppClock
) -> Response:
    service.remove_signing_secret(session, actor=actor, at=clock.now(), key_id=key_id)
    return see_other(f"{KEYS_PAGE}?done=secret_removed")


# -- the call log ---------------------------------------------------------------------------


def _call_filters(locale: str) -> list[tuple[str, str, list[tuple[str, str]]]]:
    return [
        (
            "outcome",
            translate("calls.outcome", locale),
            [(o, translate(f"calls.outcome.{o}", locale)) for o in ("answered", "refused")],
        ),
        (
            "kind",
            translate("calls.kind", locale),
            [(k, translate(f"calls.kind.{k}", locale)) for k in ("call", "download")],
        ),
    ]


def _outcome(code: str, locale: str) -> str:
    """A refusal's code in words (its problem title), or the code itself."""
    key = f"problem.{code}"
    return translate(key, locale) if has_message(key) else code


@router.get(CALLS_PAGE, response_class=HTMLResponse)
def calls_page(
    request: Request,
    actor: CallReader,
    session: DbSession,
    locale: Locale,
    listing: Annotated[ListQuery, Depends(CALLS)],
) -> HTMLResponse:
    page = service.call_page(session, actor=actor, query=listing)
    return render_list(
        request,
        "gateway/calls.html",
        {
            "filters": _call_filters(locale),
            "outcome_label": lambda code: _outcome(code, locale),
            "all_buyers": actor.has(P.GATEWAY_TRACE),
            "yuan": _yuan,
            "consents_page": CONSENTS_GRANTED_PAGE if actor.has(P.SUBSCRIPTIONS_MANAGE) else None,
        },
        page=page,
        rows_template="gateway/_call_rows.html",
    )


# -- metering -------------------------------------------------------------------------------


def _month(value: str | None, at: datetime) -> datetime:
    """The first moment of the month ``YYYY-MM`` (Beijing time), default this month."""
    if not value:
        return quotas.window_start("month", at)
    try:
        year, month = (int(part) for part in value.split("-"))
        first = local(at).replace(year=year, month=month, day=1)
    except ValueError:
        raise NotFound("error.page_not_found") from None
    return quotas.window_start("month", first)


@router.get(METERING_PAGE, response_class=HTMLResponse)
def metering_page(
    request: Request,
    actor: CallReader,
    session: DbSession,
    clock: AppClock,
    month: Annotated[str | None, Query(max_length=7, pattern=r"^\d{4}-\d{2}$")] = None,
) -> HTMLResponse:
    since = _month(month, clock.now())
    until = quotas.window_end("month", since)
    rows = service.metering(session, actor=actor, since=since, until=until)
    return render(
        request,
        "gateway/metering.html",
        {
            "rows": rows,
            "month": local(since).strftime("%Y-%m"),
            "total_fen": sum(r.amount_fen for r in rows),
            "total_events": sum(r.events for r in rows),
            "yuan": _yuan,
            "all_buyers": actor.has(P.GATEWAY_TRACE),
        },
    )


# -- tracing a leaked file ------------------------------------------------------------------


@router.get(TRACE_PAGE, response_class=HTMLResponse)
def trace_page(request: Request, actor: Tracer) -> HTMLResponse:
    return render(request, "gateway/trace.html", {"result": None, "searched": False})


@router.post(TRACE_PAGE, response_class=HTMLResponse)
async def trace(
    request: Request,
    file: UploadFile,
    actor: Tracer,
    session: DbSession,
    clock: AppClock,
    locale: Locale,
) -> HTMLResponse:
    form = await request.form()
    product = str(form.get("product", "")).strip()[:64] or None
    context: dict[str, Any] = {"result": None, "searched": False, "product": product or ""}
    if not file.filename:
        context["error"] = translate("trace.no_file", locale)
        return render(request, "gateway/trace.html", context, status_code=422)
    content = await file.read()
    try:
        found = service.trace(
            session, actor=actor, at=clock.now(), content=content, product_code=product
        )
    except SluiceError as error:
        undo_keeping_refusal(session, error)
        context["error"] = error.detail(locale)
        return render(request, "gateway/trace.html", context, status_code=error.status)
    context.update(result=found, searched=True, file_sm3=sm3_hex(content))
    return render(request, "gateway/trace.html", context)
