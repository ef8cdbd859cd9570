"""The gateway's rules outside the call itself: subscriptions, signing secrets, suspending
keys, the call log and metering as people read them, and tracing a leaked file. Keyword-only,
no HTTP, no commit. The call pipeline is ``calls``."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Final

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from sluice.audit import service as audit
from sluice.authorizations import destruction, endings
from sluice.authorizations import states as authorization_states
from sluice.core.errors import Conflict, InvalidInput, NotFound
from sluice.core.i18n import MessageRef, add_messages
from sluice.core.ids import sm3_hex
from sluice.core.paging import ListQuery, Page
from sluice.core.permissions import Permission
from sluice.core.principal import Principal
from sluice.core.settings import Settings
from sluice.gateway import quotas, repository, signing
from sluice.gateway.models import Call, MeteredEvent, SigningSecret, Subscription
from sluice.gateway.states import ACTIVE, SUBSCRIPTION
from sluice.guard import product_calls
from sluice.identity import service as identity
from sluice.identity.models import ApiKey
from sluice.products import service as products

SUBSCRIBED: Final = "subscription.subscribed"
SECRET_MADE: Final = "gateway.signing_secret.created"  # noqa: S105 (an action name)
SECRET_REMOVED: Final = "gateway.signing_secret.removed"  # noqa: S105
TRACED: Final = "gateway.download.traced"

audit.declare_actions(
    {
        SUBSCRIBED: ("订阅数据产品", "Product subscribed"),
        SECRET_MADE: ("生成请求签名密钥", "Request-signing secret made"),
        SECRET_REMOVED: ("删除请求签名密钥", "Request-signing secret removed"),
        TRACED: ("追溯泄露文件", "Leaked file traced"),
    }
)
audit.declare_target_types({"download": ("数据集下载", "Dataset download")})
audit.declare_detail_labels(
    {
        "product_code": ("产品代码", "Product code"),
        "subscription_quota": ("配额", "Quota"),
        "subscription_rate": ("频率上限", "Rate limit"),
        "secret_rotated": ("替换原签名密钥", "Replaced an earlier signing secret"),
        "leaked_file_sm3": ("所传文件的 SM3", "SM3 of the file handed back"),
        "download_found": ("追溯到的下载", "Download identified"),
        "buyer_name": ("数据需求方", "Buyer"),
    }
)
add_messages(
    {
        "gateway.product_unknown": (
            "没有代码为 {code} 的数据产品。",
            "There is no data product with code {code}.",
        ),
        "gateway.already_subscribed": (
            "本单位已订阅产品 {code}，无需重复订阅。",
            "Your organization already subscribes to product {code}.",
        ),
        "gateway.subscription_unknown": ("订阅不存在。", "The subscription does not exist."),
        "gateway.limit_too_high": (
            "{field} 最多为每{period} {cap} 次。",
            "{field} may be at most {cap} a {period}.",
        ),
        "gateway.limit_period": (
            "{field} 的周期只能是：{allowed}。",
            "The period of {field} must be one of: {allowed}.",
        ),
        "gateway.field.quota": ("调用配额", "The quota"),
        "gateway.field.rate": ("调用频率", "The rate"),
    }
)


# -- subscriptions --------------------------------------------------------------------------


def _limit(
    field: str,
    value: int | None,
    period: str,
    allowed: tuple[str, ...],
    per_base: int,
) -> int:
    if period not in allowed:
        raise InvalidInput(
            "gateway.limit_period",
            field=MessageRef(f"gateway.field.{field}"),
            allowed=", ".join(allowed),
        )
    cap = per_base * quotas.PERIOD_FACTOR[period]
    if value is None:
        return cap
    if value < 1 or value > cap:
        raise InvalidInput(
            "gateway.limit_too_high",
            field=MessageRef(f"gateway.field.{field}"),
            period=MessageRef(f"gateway.period.{period}"),
            cap=cap,
        )
    return value


def subscribe(
    session: Session,
    *,
    actor: Principal,
    settings: Settings,
    at: datetime,
    product_code: str,
    quota_limit: int | None = None,
    quota_period: str = "day",
    rate_limit: int | None = None,
    rate_period: str = "second",
) -> Subscription:
    """The actor's organization subscribes to a listed product. The quota and rate default
    to the platform's caps (``gateway_quota_per_day``, ``gateway_rate_per_second``); a buyer
    may choose lower ones, never higher."""
    actor.require(Permission.SUBSCRIPTIONS_MANAGE)
    assert actor.organization_id is not None  # buyers always belong to an organization
    quota = _limit("quota", quota_limit, quota_period, quotas.QUOTA_PERIODS, _quota_cap(settings))
    rate = _limit("rate", rate_limit, rate_period, quotas.RATE_PERIODS, _rate_cap(settings))
    product = products.find_product(session, code=product_code)
    if product is None:
        raise NotFound("gateway.product_unknown", code=product_code)
    products.callable_product(session, code=product_code, at=at, settings=settings)
    if repository.active_subscription(
        session, buyer_id=actor.organization_id, product_id=product.id
    ):
        raise Conflict("gateway.already_subscribed", code=product.code)
    subscription = Subscription(
        buyer_id=actor.organization_id,
        product_id=product.id,
        product_code=product.code,
        owner_id=product.owner_id,
        status=ACTIVE,
        quota_limit=quota,
        quota_period=quota_period,
        rate_limit=rate,
        rate_period=rate_period,
        subscribed_by=actor.username,
        subscribed_at=at,
    )
    try:
        with session.begin_nested():
            session.add(subscription)
    except IntegrityError:
        # Someone of the same organization subscribed a moment ago on another worker.
        raise Conflict("gateway.already_subscribed", code=product.code) from None
    audit.record(
        session,
        actor=actor,
        action=SUBSCRIBED,
        target_type="subscription",
        target_id=subscription.id,
        at=at,
        detail={
            "product_code": product.code,
            "subscription_quota": f"{quota}/{quota_period}",
            "subscription_rate": f"{rate}/{rate_period}",
        },
    )
    return subscription


def _quota_cap(settings: Settings) -> int:
    return settings.gateway_quota_per_day


def _rate_cap(settings: Settings) -> int:
    return settings.gateway_rate_per_second


def cancel(
    session: Session, *, actor: Principal, at: datetime, subscription_id: uuid.UUID
) -> Subscription:
    """The buyer cancels a subscription: its next call is refused with ``not_subscribed``."""
    actor.require(Permission.SUBSCRIPTIONS_MANAGE)
    subscription = repository.subscription(session, actor, subscription_id)
    if subscription is None:
        raise NotFound("gateway.subscription_unknown")
    SUBSCRIPTION.fire(subscription, "cancel", session=session, actor=actor, at=at)
    subscription.ended_at = at
    return subscription


def subscriptions(
    session: Session, *, actor: Principal, status: str | None = None
) -> list[Subscription]:
    actor.require(Permission.SUBSCRIPTIONS_MANAGE)
    return repository.subscriptions(session, actor, status=status)


def subscription_page(
    session: Session, *, actor: Principal, query: ListQuery
) -> Page[tuple[Subscription, str]]:
    actor.require(Permission.SUBSCRIPTIONS_MANAGE)
    return repository.subscription_page(session, actor, query)


@dataclass(frozen=True)
class Usage:
    """What a subscription's quota used in the current period, and when it starts again."""

    used: int
    left: int
    resets_at: datetime


def usage(
    session: Session, subscriptions: list[Subscription], *, at: datetime
) -> dict[uuid.UUID, Usage]:
    scopes = {s.id: quotas.quota_scope(s.buyer_id, s.product_id) for s in subscriptions}
    found = repository.counters(session, list(scopes.values()))
    result = {}
    for subscription in subscriptions:
        period = quotas.period_of(subscription.quota_period)
        start = quotas.window_start(period, at)
        row = found.get(scopes[subscription.id])
        used = row[1] if row is not None and row[0] >= start else 0
        result[subscription.id] = Usage(
            used, max(0, subscription.quota_limit - used), quotas.window_end(period, start)
        )
    return result


def _end_with(session: Session, ending: endings.Ending) -> None:
    """The endings hook: once nothing of an agreement chain is left, the subscriptions to
    its products end (a renewal carries its products, and their subscriptions, on)."""
    owner = destruction.chain(session, ending.authorization)[0]
    chain = destruction.chain(session, owner)
    if any(m.status not in authorization_states.ENDED for m in chain):
        return
    for subscription in repository.active_of_chain(session, owner.id):
        SUBSCRIPTION.fire(
            subscription,
            "end",
            session=session,
            actor=ending.actor,
            at=ending.at,
            detail={"reason": ending.reason},
        )
        subscription.ended_at = ending.at
        subscription.end_reason = ending.reason


endings.register_ending_hook("subscriptions", _end_with)


# -- keys: signing secrets and suspension ---------------------------------------------------


def keys(session: Session, *, actor: Principal) -> list[tuple[ApiKey, SigningSecret | None]]:
    """The actor's organization's keys, each with its signing secret's record if it has one
    (never the secret)."""
    found = identity.own_api_keys(session, actor=actor)
    secrets = repository.signing_secrets(session, [k.id for k in found])
    return [(k, secrets.get(k.id)) for k in found]


def make_signing_secret(
    session: Session, *, actor: Principal, settings: Settings, at: datetime, key_id: uuid.UUID
) -> str:
    """A new signing secret for one of the actor's keys, replacing any it had; returned only
    here (the platform keeps it sealed). From now on every call with the key must be signed."""
    api_key = identity.own_api_key(session, actor=actor, key_id=key_id)
    rotated = repository.signing_secret(session, api_key.id) is not None
    secret = signing.new_secret()
    repository.replace_signing_secret(
        session,
        SigningSecret(
            api_key_id=api_key.id,
            sealed=signing.seal(settings, api_key.id, secret),
            created_by=actor.username,
            created_at=at,
        ),
    )
    audit.record(
        session,
        actor=actor,
        action=SECRET_MADE,
        target_type="api_key",
        target_id=api_key.id,
        at=at,
        detail={"prefix": api_key.prefix, "secret_rotated": rotated},
    )
    return secret


def remove_signing_secret(
    session: Session, *, actor: Principal, at: datetime, key_id: uuid.UUID
) -> ApiKey:
    """The key's calls need no signature any more."""
    api_key = identity.own_api_key(session, actor=actor, key_id=key_id)
    if repository.delete_signing_secret(session, api_key.id):
        audit.record(
            session,
            actor=actor,
            action=SECRET_REMOVED,
            target_type="api_key",
            target_id=api_key.id,
            at=at,
            detail={"prefix": api_key.prefix},
        )
    return api_key


def suspend_key(
    session: Session, *, key_id: uuid.UUID, reason: str, actor: Principal, at: datetime
) -> None:
    """Suspend an API key with a reason (the bureau, or the platform's monitoring acting as
    the system): its calls are refused with ``key_suspended`` until the bureau resumes it."""
    identity.suspend_api_key(session, actor=actor, key_id=key_id, reason=reason, at=at)


# -- the call log and metering --------------------------------------------------------------


def call_page(
    session: Session, *, actor: Principal, query: ListQuery
) -> Page[tuple[Call, str, MeteredEvent | None]]:
    """The calls the actor may read (a buyer its own, the bureau all), newest first."""
    actor.require(Permission.GATEWAY_CALLS_READ)
    return repository.call_page(session, actor, query)


@dataclass(frozen=True)
class MeteringRow:
    product_id: uuid.UUID
    product: str
    buyer_id: uuid.UUID
    buyer: str
    events: int
    quantity: int
    amount_fen: int


def metering(
    session: Session, *, actor: Principal, since: datetime, until: datetime
) -> list[MeteringRow]:
    """Metered events from ``since`` to before ``until``, totalled per product and buyer (a
    buyer sees its own)."""
    actor.require(Permission.GATEWAY_CALLS_READ)
    rows = repository.metering_totals(session, actor, since=since, until=until)
    titles: dict[uuid.UUID, str] = {}
    for product_id, *_ in rows:
        if product_id not in titles:
            titles[product_id] = products.product_title(session, product_id)
    return [
        MeteringRow(product_id, titles[product_id], buyer_id, buyer, events, quantity, amount)
        for product_id, buyer_id, buyer, events, quantity, amount in rows
    ]


def calls_since(session: Session, *, actor: Principal, since: datetime) -> tuple[int, int]:
    actor.require(Permission.GATEWAY_CALLS_READ)
    return repository.calls_since(session, actor, since=since)


def active_subscriptions(session: Session, *, actor: Principal) -> int:
    actor.require(Permission.SUBSCRIPTIONS_MANAGE)
    return repository.active_count(session, actor)


# -- tracing a leaked file ------------------------------------------------------------------


@dataclass(frozen=True)
class Traced:
    """Whose download a leaked file came from."""

    download_id: uuid.UUID
    buyer_id: uuid.UUID
    buyer: str
    product_id: uuid.UUID
    product: str
    downloaded_at: datetime
    api_key_id: uuid.UUID
    file_sm3: str


def trace(
    session: Session,
    *,
    actor: Principal,
    at: datetime,
    content: bytes,
    product_code: str | None = None,
) -> Traced | None:
    """Hand back a leaked copy of a dataset: the download its fingerprint names, and so its
    buyer (None if it matches no download). The search is audited with the file's SM3."""
    actor.require(Permission.GATEWAY_TRACE)
    product_id = None
    if product_code:
        product = products.find_product(session, code=product_code)
        if product is None:
            raise NotFound("gateway.product_unknown", code=product_code)
        product_id = product.id
    candidates = repository.download_candidates(session, product_id=product_id)
    found_id = product_calls.identify(content, candidates) if candidates else None
    found = repository.download(session, found_id) if found_id is not None else None
    file_sm3 = sm3_hex(content)
    audit.record(
        session,
        actor=actor,
        action=TRACED,
        target_type="download",
        target_id=str(found_id) if found_id else "-",
        at=at,
        outcome="ok" if found else "failed",
        detail={
            "leaked_file_sm3": file_sm3,
            "download_found": str(found_id) if found_id else None,
            "buyer_name": found[1].name if found else None,
        },
    )
    if found is None:
        return None
    download, buyer = found
    return Traced(
        download_id=download.id,
        buyer_id=buyer.id,
        buyer=buyer.name,
        product_id=download.product_id,
        product=products.product_title(session, download.product_id),
        downloaded_at=download.at,
        api_key_id=download.api_key_id,
        file_sm3=file_sm3,
    )
