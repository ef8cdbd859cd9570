"""N5 pricing: what a product may charge, and the bureau's caps.

* Public governance and public welfare products are free: a price is refused
  (``price_not_allowed``).
* An industry product's price, in integer fen per billing unit, is at or under the bureau's
  cap for its class, the product type and the domain (``score`` × ``industry:finance``):
  over it is ``price_over_cap`` and the product cannot be listed. A priced product of a
  class with no cap yet cannot be listed either (``price_cap_missing``); a free one can.
* The bureau sets a class's cap as a new version (``set_cap``); the newest version in effect
  is the one in force. A listed product keeps the cap it was listed under, named in its
  pricing rule (``cap:score:industry:finance@v2``), while its price stays at or under the
  cap in force. A cap set lower than a listed product's price suspends that product at once
  (the lifecycle's ``suspend``, audited, reason ``price_over_cap``): the operator re-prices
  and the bureau resumes it, which checks the price against the cap in force again. The
  gateway never charges above the cap in force at the call either (``charged``).

Prices are shown as the market marks them (明码标价): ``免费`` / ``Free``, or
``¥12.00 / 次`` / ``¥12.00 / call`` from the integer fen.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Final

from sqlalchemy.orm import Session

from sluice.audit import service as audit
from sluice.catalog.vocabulary import DOMAINS
from sluice.core.change_stamps import Memo, Stamps, detached
from sluice.core.errors import InvalidInput, SluiceError
from sluice.core.i18n import MessageRef, add_messages, translate
from sluice.core.permissions import Permission
from sluice.core.principal import Principal
from sluice.guard.product_specs import BILLING_UNITS, PRODUCT_TYPES
from sluice.products import repository
from sluice.products.models import PriceCap
from sluice.products.states import PRODUCT

#: N5: these domains' products are free.
FREE_DOMAINS: Final = ("governance", "welfare")
INDUSTRY: Final = "industry:"
#: The largest price or cap one may type: ¥100,000,000.00 per unit.
MAX_FEN: Final = 10_000_000_000
CAP_SET: Final = "price_cap.set"
#: The recorded reason of a product suspended because a cap was lowered under its price.
OVER_CAP: Final = "price_over_cap"

audit.declare_actions({CAP_SET: ("制定产品分类价格上限", "Price cap set")})
audit.declare_target_types({"price_cap": ("价格上限", "Price cap")})
add_messages(
    {
        "billing_unit.call": ("次", "call"),
        "billing_unit.item": ("条", "item"),
        "billing_unit.period": ("月", "month"),
        "billing_unit.volume": ("千行", "thousand rows"),
        "vocab.billing_unit.call": ("按次", "Per call"),
        "vocab.billing_unit.item": ("按条", "Per item"),
        "vocab.billing_unit.period": ("按期（月）", "Per period (month)"),
        "vocab.billing_unit.volume": ("按量（千行）", "Per volume (thousand rows)"),
        "vocab.product_type.verification": ("核验", "Verification"),
        "vocab.product_type.statistics": ("统计", "Statistics"),
        "vocab.product_type.score": ("评分", "Score"),
        "vocab.product_type.dataset": ("数据集", "Dataset"),
        "price.free": ("免费", "Free"),
        "price.per_unit": ("¥{amount} / {unit}", "¥{amount} / {unit}"),
        "pricing.not_allowed": (
            "{domain}类数据产品依规免费提供，不能定价（当前 {price}）。",
            "{domain} products are free by rule (N5) and cannot carry a price ({price} given).",
        ),
        "pricing.over_cap": (
            "价格 {price} 超过数据局为“{type} × {domain}”类产品规定的上限 {cap}"
            "（第 {version} 版），不能上架。",
            "The price {price} is over the bureau's cap of {cap} for “{type} × {domain}” "
            "products (version {version}); the product cannot be listed.",
        ),
        "pricing.cap_missing": (
            "数据局尚未为“{type} × {domain}”类产品制定价格上限，收费产品暂不能上架；可先免费提供。",
            "The bureau has set no price cap for “{type} × {domain}” products yet, so a priced "
            "one cannot be listed; it may be offered free.",
        ),
        "pricing.price_invalid": (
            "价格应为 0 到 {max} 分之间的整数。",
            "The price must be a whole number of fen from 0 to {max}.",
        ),
        "pricing.cap.domain": (
            "价格上限只适用于行业领域（industry:…）的产品；公共治理和公益事业产品免费。",
            "Caps apply to industry products (industry:…) only; governance and welfare "
            "products are free.",
        ),
        "pricing.cap.type": ("产品类型“{type}”不存在。", "There is no product type “{type}”."),
        "pricing.cap.amount": (
            "价格上限应为 0 到 {max} 分之间的整数。",
            "The cap must be a whole number of fen from 0 to {max}.",
        ),
        "pricing.cap.reason": (
            "请写明制定或调整上限的依据（至少 2 个字）。",
            "Give the grounds for the cap (at least 2 characters).",
        ),
        "problem.price_not_allowed": ("该类产品不能收费", "Price not allowed"),
        "problem.price_over_cap": ("价格超过上限", "Price over the cap"),
        "problem.price_cap_missing": ("尚无价格上限", "No price cap"),
    }
)


class PriceNotAllowed(SluiceError):
    status = 422
    code = "price_not_allowed"


class PriceOverCap(SluiceError):
    status = 422
    code = "price_over_cap"


class PriceCapMissing(SluiceError):
    status = 422
    code = "price_cap_missing"


def amount(fen: int) -> str:
    """Integer fen as yuan with two decimals and thousands separators: 1200 → ``12.00``."""
    return f"{fen // 100:,}.{fen % 100:02d}"


def price_text(price_fen: int, billing_unit: str, locale: str) -> str:
    """The price as the market marks it: ``免费``, or ``¥12.00 / 次``."""
    if price_fen == 0:
        return translate("price.free", locale)
    unit = translate(f"billing_unit.{billing_unit}", locale)
    return translate("price.per_unit", locale, amount=amount(price_fen), unit=unit)


def is_free_domain(domain: str) -> bool:
    return domain in FREE_DOMAINS


def rule_of(cap: PriceCap) -> str:
    return f"cap:{cap.product_type}:{cap.domain}@v{cap.version}"


@dataclass(frozen=True)
class Pricing:
    """What the price was checked against: the cap (industry products) and the rule."""

    cap: PriceCap | None
    rule: str


def check_amount(price_fen: int) -> int:
    if not 0 <= price_fen <= MAX_FEN:
        raise InvalidInput(
            "pricing.price_invalid",
            max=MAX_FEN,
            errors=[{"field": "price_fen", "msg": "out of range"}],
        )
    return price_fen


def check(
    session: Session, *, product_type: str, domain: str, price_fen: int, at: datetime
) -> Pricing:
    """The price under N5 at ``at``, or the refusal naming the rule it breaks."""
    check_amount(price_fen)
    if is_free_domain(domain):
        if price_fen:
            raise PriceNotAllowed(
                "pricing.not_allowed",
                domain=MessageRef(f"vocab.domain.{domain}"),
                price=f"¥{amount(price_fen)}",
            )
        return Pricing(None, f"free:{domain}")
    cap = _cap_in_force(repository.caps_of(session, product_type, domain), at)
    if cap is None:
        if price_fen:
            raise PriceCapMissing(
                "pricing.cap_missing",
                type=MessageRef(f"vocab.product_type.{product_type}"),
                domain=MessageRef(f"vocab.domain.{domain}"),
            )
        return Pricing(None, f"free:{domain}")
    if price_fen > cap.cap_fen:
        raise PriceOverCap(
            "pricing.over_cap",
            price=f"¥{amount(price_fen)}",
            cap=f"¥{amount(cap.cap_fen)}",
            version=cap.version,
            type=MessageRef(f"vocab.product_type.{product_type}"),
            domain=MessageRef(f"vocab.domain.{domain}"),
        )
    return Pricing(cap, rule_of(cap))


# -- the bureau's caps ------------------------------------------------------------------------


def caps(session: Session, *, actor: Principal) -> list[PriceCap]:
    """Every version of every class's cap (newest first within a class)."""
    actor.require(Permission.PRODUCTS_READ)
    return repository.caps(session)


def in_force(session: Session, *, at: datetime) -> list[PriceCap]:
    """The cap in force for each class that has one (public: N5 caps are disclosed)."""
    seen: set[tuple[str, str]] = set()
    found = []
    for cap in repository.caps(session):
        key = (cap.product_type, cap.domain)
        if key in seen or cap.effective_from > at:
            continue
        seen.add(key)
        found.append(cap)
    return found


def industry_domains() -> list[str]:
    return [d for d in DOMAINS if d.startswith(INDUSTRY)]


def set_cap(
    session: Session,
    *,
    actor: Principal,
    at: datetime,
    product_type: str,
    domain: str,
    cap_fen: int,
    reason: str,
) -> PriceCap:
    """A new version of the class's cap, in force from now."""
    actor.require(Permission.PRICE_CAPS_MANAGE)
    if product_type not in PRODUCT_TYPES:
        raise InvalidInput(
            "pricing.cap.type",
            type=product_type,
            errors=[{"field": "product_type", "msg": "unknown"}],
        )
    if domain not in DOMAINS or not domain.startswith(INDUSTRY):
        raise InvalidInput("pricing.cap.domain", errors=[{"field": "domain", "msg": "industry"}])
    if not 0 <= cap_fen <= MAX_FEN:
        raise InvalidInput(
            "pricing.cap.amount", max=MAX_FEN, errors=[{"field": "cap_fen", "msg": "range"}]
        )
    reason = " ".join(reason.split())
    if len(reason) < 2:
        raise InvalidInput("pricing.cap.reason", errors=[{"field": "reason", "msg": "short"}])
    cap = PriceCap(
        product_type=product_type,
        domain=domain,
        version=repository.last_version(session, product_type, domain) + 1,
        cap_fen=cap_fen,
        effective_from=at,
        reason=reason[:2000],
        set_by=actor.username,
        set_at=at,
    )
    session.add(cap)
    session.flush()
    audit.record(
        session,
        actor=actor,
        action=CAP_SET,
        target_type="price_cap",
        target_id=cap.id,
        at=at,
        detail={
            "product_type": product_type,
            "domain": domain,
            "version": cap.version,
            "cap_fen": cap_fen,
            "reason": cap.reason,
        },
    )
    _suspend_over(session, actor=actor, at=at, cap=cap)
    return cap


def over_cap_reason(price_fen: int, cap: PriceCap) -> str:
    """The suspension reason of a product priced over a newly lowered cap."""
    return (
        f"{OVER_CAP}：价格 ¥{amount(price_fen)} 超过数据局第 {cap.version} 版上限 "
        f"¥{amount(cap.cap_fen)}，待运营机构调价后由数据局恢复上架"
    )


def _suspend_over(session: Session, *, actor: Principal, at: datetime, cap: PriceCap) -> None:
    """Suspend every listed product of the cap's class priced over it (N5): calls are
    refused from the next one on, and the market no longer shows them."""
    for product in repository.listed_products(session):
        if (product.type, product.domain) != (cap.product_type, cap.domain):
            continue
        if product.price_fen <= cap.cap_fen:
            continue
        reason = over_cap_reason(product.price_fen, cap)
        PRODUCT.fire(
            product,
            "suspend",
            session=session,
            actor=actor,
            at=at,
            detail={
                "reason": reason,
                "code": OVER_CAP,
                "price_fen": product.price_fen,
                "cap_fen": cap.cap_fen,
                "pricing_rule": rule_of(cap),
            },
        )
        product.suspended_reason = reason
        product.revision += 1
        product.updated_at = at


#: Each class's caps, newest version first (``change_stamps``).
_caps: Memo[tuple[str, str], tuple[PriceCap, ...]] = Memo("pricing.caps")


def _cap_in_force(caps: Sequence[PriceCap], at: datetime) -> PriceCap | None:
    """The cap in force at ``at`` among a class's caps, newest version first: the newest that
    has taken effect."""
    return next((cap for cap in caps if cap.effective_from <= at), None)


def charged(
    session: Session,
    *,
    product_type: str,
    domain: str,
    price_fen: int,
    rule: str,
    at: datetime,
    stamps: Stamps | None = None,
) -> tuple[int, str]:
    """What one unit is charged at ``at`` and under which rule: the product's price, never
    above the cap of its class in force then (the rule names that cap); free products 0.
    With ``stamps`` (``change_stamps.read``) the class's caps are read once while they
    stay the same."""
    if is_free_domain(domain):
        return 0, f"free:{domain}"
    if price_fen <= 0:
        return 0, rule
    caps = _caps.get(
        stamps,
        (product_type, domain),
        lambda: tuple(detached(c) for c in repository.caps_of(session, product_type, domain)),
    )
    cap = _cap_in_force(caps, at)
    if cap is None:
        return price_fen, rule
    return min(price_fen, cap.cap_fen), rule_of(cap)


__all__ = ["BILLING_UNITS", "FREE_DOMAINS", "Pricing", "check", "price_text", "set_cap"]
