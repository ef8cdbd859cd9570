"""What a call costs by billing unit (N5), and where the quota and rate windows begin and
end (Beijing days and months; Retry-After in whole seconds). Pure functions: no database."""

from __future__ import annotations

import uuid
from dataclasses import replace
from datetime import UTC, datetime

import pytest

from sluice.core.clock import SHANGHAI
from sluice.gateway import quotas
from sluice.gateway.metering import charge
from sluice.guard.product_specs import CallableProduct, DatasetSpec

PRODUCT = CallableProduct(
    id=uuid.uuid4(),
    code="names",
    name="企业名录",
    type="dataset",
    operator_id=uuid.uuid4(),
    authorization_id=uuid.uuid4(),
    spec=DatasetSpec(export_id=uuid.uuid4()),
    resource_ids=(),
    domain="industry:finance",
    consent_required=False,
    subject_input=None,
    subject_kind=None,
    billing_unit="call",
    price_fen=250,
    pricing_rule="cap:dataset:industry:finance@v1",
    purposes=("市场分析",),
)


@pytest.mark.parametrize(
    ("unit", "items", "first", "quantity"),
    [
        ("call", 12, False, 1),
        ("item", 12, False, 12),
        ("item", 0, False, 0),
        ("volume", 1, False, 1),
        ("volume", 1000, False, 1),
        ("volume", 1001, False, 2),
        ("period", 5, True, 1),
        ("period", 5, False, 0),
    ],
)
def test_each_billing_unit_counts_what_it_says(
    unit: str, items: int, first: bool, quantity: int
) -> None:
    product = replace(PRODUCT, billing_unit=unit)  # type: ignore[arg-type]
    billed = charge(product, items=items, first_of_period=first)
    assert (billed.unit, billed.quantity, billed.unit_price_fen) == (unit, quantity, 250)
    assert billed.amount_fen == 250 * quantity
    assert billed.pricing_rule == "cap:dataset:industry:finance@v1"


@pytest.mark.parametrize("domain", ["governance", "welfare"])
def test_public_governance_and_welfare_are_metered_free(domain: str) -> None:
    billed = charge(replace(PRODUCT, domain=domain), items=3, first_of_period=False)
    assert (billed.quantity, billed.unit_price_fen, billed.amount_fen) == (1, 0, 0)


def test_quota_windows_are_beijing_days_and_months_and_rates_fixed_seconds_and_minutes() -> None:
    at = datetime(2026, 12, 31, 23, 59, 59, 500_000, tzinfo=SHANGHAI)
    day = quotas.window_start("day", at)
    assert day == datetime(2026, 12, 31, tzinfo=SHANGHAI)
    assert quotas.window_end("day", day) == datetime(2027, 1, 1, tzinfo=SHANGHAI)
    month = quotas.window_start("month", at)
    assert month == datetime(2026, 12, 1, tzinfo=SHANGHAI)
    assert quotas.window_end("month", month) == datetime(2027, 1, 1, tzinfo=SHANGHAI)
    february = quotas.window_start("month", datetime(2028, 2, 10, tzinfo=SHANGHAI))
    assert quotas.window_end("month", february) == datetime(2028, 3, 1, tzinfo=SHANGHAI)
    assert quotas.window_start("second", at) == at.replace(microsecond=0).astimezone(UTC)
    assert quotas.window_start("minute", at) == datetime(2026, 12, 31, 23, 59, tzinfo=SHANGHAI)
    assert quotas.seconds_left("second", at) == 1
    assert quotas.seconds_left("minute", at) == 1
    assert quotas.seconds_left("day", datetime(2026, 12, 31, 10, 0, tzinfo=SHANGHAI)) == 14 * 3600


def test_a_call_is_never_charged_above_the_cap_in_force_and_names_it() -> None:
    billed = charge(
        replace(PRODUCT, billing_unit="item"),
        items=3,
        first_of_period=False,
        in_force=(200, "cap:dataset:industry:finance@v2"),
    )
    assert (billed.unit_price_fen, billed.amount_fen) == (200, 600)
    assert billed.pricing_rule == "cap:dataset:industry:finance@v2"
