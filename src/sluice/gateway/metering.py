"""What one billable call or download costs, by the product's billing unit (N5).

* ``call``: one unit a call;
* ``item``: one unit per subject or row answered (a download: its rows);
* ``volume``: one unit per thousand rows answered, begun thousands counted whole;
* ``period``: one unit for the first billable call of the subscription in a calendar
  month (Beijing time), none for the others of that month.

Public governance and welfare products are free: their events carry price and amount 0
(they are still metered, so the bureau sees their use). The price and the pricing rule are
the ones in force at the call (``CallableProduct.price_fen`` and ``pricing_rule``, never
above the class's cap in force then: ``products.service.charged_price``), so a later price
change never reprices an event.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Final

from sluice.guard.product_specs import CallableProduct

FREE_DOMAINS: Final = frozenset({"governance", "welfare"})
ROWS_PER_VOLUME: Final = 1000


@dataclass(frozen=True)
class Charge:
    unit: str
    quantity: int
    unit_price_fen: int
    amount_fen: int
    pricing_rule: str


def is_free(product: CallableProduct) -> bool:
    return product.domain in FREE_DOMAINS


def charge(
    product: CallableProduct,
    *,
    items: int,
    first_of_period: bool,
    in_force: tuple[int, str] | None = None,
) -> Charge:
    """The call's charge; ``in_force`` is the unit price and rule in force at the call
    (``products.service.charged_price``: never above the cap then), else the product's."""
    unit = product.billing_unit
    if unit == "item":
        quantity = max(0, items)
    elif unit == "volume":
        quantity = max(1, math.ceil(max(0, items) / ROWS_PER_VOLUME))
    elif unit == "period":
        quantity = 1 if first_of_period else 0
    else:
        quantity = 1
    price, rule = in_force or (product.price_fen, product.pricing_rule)
    price = 0 if is_free(product) else max(0, price)
    return Charge(unit, quantity, price, quantity * price, rule)
