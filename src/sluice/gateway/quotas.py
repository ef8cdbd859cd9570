"""Quotas and rate limits that never overshoot, on one worker or many.

Each limited thing is one row of ``gateway_counters`` (``models.Counter``): its window's
start and what the window used. A call is counted by one statement for all its limits, an
upsert whose update applies only while the row's window is older than the call's (a new
window starts at 1) or its count is under the limit::

    INSERT INTO gateway_counters (scope, window_start, used, limit_value)
    VALUES (...), (...)
    ON CONFLICT (scope) DO UPDATE SET used = CASE WHEN <older window> THEN 1 ELSE used + 1 END, ...
    WHERE <older window> OR gateway_counters.used < excluded.limit_value
    RETURNING scope, used

On PostgreSQL the conflicting row is locked and the condition re-read on its newest version,
so of concurrent calls past the limit exactly the ones that fit are counted (the rest get no
row back); on SQLite the writer lock serializes them. The rows are named in one sorted
order, so two calls never wait on each other's rows crosswise. A call refused later in the
same transaction rolls its counts back with it.

Before a product runs, ``peek`` reads the rows and refuses a call that is already over a
limit, so a buyer past its quota does not make the platform run queries; the exact count
(``take``) comes last, just before the call's rows are written and committed, so the rows
stay locked for as short a time as possible.

Windows: a quota's day or month starts at midnight Beijing time (``display_timezone``); a
rate's second or minute is fixed, not sliding. ``rate_limited`` says in ``Retry-After``
how many seconds are left of the window.
"""

from __future__ import annotations

import math
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, Final, Literal

from sqlalchemy.orm import Session

from sluice.core.clock import display, local
from sluice.core.errors import SluiceError
from sluice.core.i18n import MessageRef, add_messages
from sluice.core.settings import Settings
from sluice.gateway import repository

QuotaPeriod = Literal["day", "month"]
RatePeriod = Literal["second", "minute"]
Period = Literal["second", "minute", "day", "month"]
QUOTA_PERIODS: Final[tuple[QuotaPeriod, ...]] = ("day", "month")
RATE_PERIODS: Final[tuple[RatePeriod, ...]] = ("second", "minute")
#: How many times the per-day (per-second) cap a month's quota (a minute's rate) may be.
PERIOD_FACTOR: Final[dict[str, int]] = {"day": 1, "month": 31, "second": 1, "minute": 60}
#: A counter that only counts (the first billable call of a period), never refuses.
UNLIMITED: Final = 2**31 - 1


class LimitReached(SluiceError):
    status = 429

    def __init__(
        self, message_key: str | None = None, /, *, retry_after: int, **params: Any
    ) -> None:
        super().__init__(message_key, **params)
        self.retry_after = retry_after


class QuotaExceeded(LimitReached):
    code = "quota_exceeded"


class RateLimited(LimitReached):
    code = "rate_limited"


add_messages(
    {
        "problem.quota_exceeded": ("调用配额已用完", "Quota exceeded"),
        "error.quota_exceeded": (
            "产品 {product} 的订阅配额已用完：每{period} {limit} 次。下一周期开始于 {reset}。",
            "The subscription's quota for product {product} is used up: {limit} calls a "
            "{period}. The next period starts at {reset}.",
        ),
        "problem.rate_limited": ("调用过于频繁", "Rate limited"),
        "error.rate_limited": (
            "调用过于频繁：产品 {product} 的订阅每{period}最多 {limit} 次，请 {seconds} 秒后再试。",
            "Too many calls: the subscription to product {product} allows {limit} a "
            "{period}; try again in {seconds} seconds.",
        ),
        "gateway.rate_limited.key": (
            "调用过于频繁：每个 API 密钥每{period}最多调用 {limit} 次，请 {seconds} 秒后再试。",
            "Too many calls: an API key may make {limit} calls a {period}; try again in "
            "{seconds} seconds.",
        ),
        "gateway.period.second": ("秒", "second"),
        "gateway.period.minute": ("分钟", "minute"),
        "gateway.period.day": ("天", "day"),
        "gateway.period.month": ("月", "month"),
    }
)


def window_start(period: Period, at: datetime) -> datetime:
    """The start of the window ``at`` falls in, in UTC."""
    if period == "second":
        return at.astimezone(UTC).replace(microsecond=0)
    if period == "minute":
        return at.astimezone(UTC).replace(second=0, microsecond=0)
    day = local(at).replace(hour=0, minute=0, second=0, microsecond=0)
    if period == "month":
        day = day.replace(day=1)
    return day.astimezone(UTC)


def window_end(period: Period, start: datetime) -> datetime:
    if period == "second":
        return start + timedelta(seconds=1)
    if period == "minute":
        return start + timedelta(minutes=1)
    begun = local(start)
    if period == "day":
        following = (begun + timedelta(days=1, hours=2)).replace(hour=0)
    else:
        following = (begun.replace(day=28) + timedelta(days=4)).replace(day=1)
    return following.astimezone(UTC)


def seconds_left(period: Period, at: datetime) -> int:
    """Whole seconds until the window ``at`` falls in ends, at least 1 (``Retry-After``)."""
    left = (window_end(period, window_start(period, at)) - at).total_seconds()
    return max(1, math.ceil(left))


@dataclass(frozen=True)
class Limit:
    """One limit a call counts against; ``code`` is its refusal."""

    scope: str
    limit: int
    period: Period
    kind: Literal["quota", "rate", "key", "period"]

    def refusal(self, *, product: str, at: datetime) -> LimitReached:
        period = MessageRef(f"gateway.period.{self.period}")
        retry = seconds_left(self.period, at)
        if self.kind == "quota":
            reset = display(window_end(self.period, window_start(self.period, at)))
            return QuotaExceeded(
                retry_after=retry, product=product, period=period, limit=self.limit, reset=reset
            )
        key = "gateway.rate_limited.key" if self.kind == "key" else None
        return RateLimited(
            key, retry_after=retry, product=product, period=period, limit=self.limit, seconds=retry
        )


def limits(
    *,
    buyer_id: uuid.UUID,
    product_id: uuid.UUID,
    quota_limit: int,
    quota_period: str,
    rate_limit: int,
    rate_period: str,
    api_key_id: uuid.UUID,
    settings: Settings,
) -> tuple[Limit, ...]:
    """A call's limits in the order they refuse: the subscription's quota, its rate, the
    key's rate over all its products.

    The quota and the rate are counted by buyer and product, not by subscription, so a
    buyer that cancels and subscribes again carries on in the window it was in (a new
    subscription never hands back a used-up quota)."""
    return (
        Limit(quota_scope(buyer_id, product_id), quota_limit, period_of(quota_period), "quota"),
        Limit(f"rate:{buyer_id}:{product_id}", rate_limit, period_of(rate_period), "rate"),
        Limit(f"key:{api_key_id}", settings.gateway_key_rate_per_second, "second", "key"),
    )


def quota_scope(buyer_id: uuid.UUID, product_id: uuid.UUID) -> str:
    """The counter of a buyer's quota for a product, whichever subscription it holds."""
    return f"quota:{buyer_id}:{product_id}"


def billing_period(buyer_id: uuid.UUID, product_id: uuid.UUID) -> Limit:
    """Counts a buyer's billable calls of a product by month (Beijing time), never refusing:
    the first of each month is the one a per-period product charges for. Keyed by buyer and
    product, so a new subscription within the month is not charged the period again."""
    return Limit(f"period:{buyer_id}:{product_id}", UNLIMITED, "month", "period")


def period_of(value: str) -> Period:
    if value not in PERIOD_FACTOR:
        raise ValueError(f"unknown period {value!r}")
    return value  # type: ignore[return-value]


def peek(session: Session, checks: tuple[Limit, ...], *, product: str, at: datetime) -> None:
    """Refuse a call that is already over one of its limits (one read; nothing counted)."""
    found = repository.counters(session, [c.scope for c in checks])
    for check in checks:
        row = found.get(check.scope)
        if row is None:
            continue
        start, used = row
        if start >= window_start(check.period, at) and used >= check.limit:
            raise check.refusal(product=product, at=at)


def take(
    session: Session, checks: tuple[Limit, ...], *, product: str, at: datetime
) -> dict[str, int]:
    """Count the call against every limit in one statement; the first limit it does not fit
    refuses it, and the others it was counted against take it back (the transaction may go
    on with other calls: ``gateway.settlement``). Returns each scope's count."""
    counted = repository.count(
        session, [(c.scope, window_start(c.period, at), c.limit) for c in checks]
    )
    for check in checks:
        if check.scope not in counted:
            repository.uncount(session, list(counted))
            raise check.refusal(product=product, at=at)
    return counted
