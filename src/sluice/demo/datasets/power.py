"""国网营口供电公司 (power): electricity bills and payments."""

from __future__ import annotations

from typing import Final

import numpy as np
import numpy.typing as npt

from sluice.demo.datasets.bills import _bills, _Utility
from sluice.demo.datasets.city import DatasetSpec
from sluice.demo.datasets.shared import ID, Ints, _f


def _power_tariff(usage: Ints, home: npt.NDArray[np.bool_]) -> Ints:
    # Homes pay by monthly tier (0.50 / 0.55 / 0.80 yuan per kWh), business 0.68 flat.
    tiered = (
        50 * np.minimum(usage, 180)
        + 55 * np.clip(usage - 180, 0, 100)
        + 80 * np.maximum(usage - 280, 0)
    )
    return np.asarray(np.where(home, tiered, 68 * usage), dtype=np.int64)


# Electric heaters in winter, air conditioning in July and August.
_POWER: Final = _Utility(
    accounts="power_accounts",
    account_prefix="08",
    usage_field="usage_kwh",
    home_median=150.0,
    firm_median=2_500.0,
    seasonal=(0.95, 1.0, 1.15, 1.15, 1.1, 0.95, 0.85, 0.85, 1.0, 1.3, 1.35, 1.05),
    tariff=_power_tariff,
)


SPEC: Final = DatasetSpec(
    "power",
    "electricity_bills",
    "用电缴费记录",
    "Electricity bills and payments",
    "居民（阶梯电价）和一般工商业用户按月用电量、应缴电费、缴费期限、缴费日期和是否按时缴费。",
    "monthly",
    (
        _f("account_no", "text", "identifier", "用户编号"),
        _f("customer_type", "enum", "internal", "用户类型"),
        _f(ID, "id_number", "identifier", "户主身份证号码"),
        _f("uscc", "uscc", "identifier", "单位统一社会信用代码"),
        _f("address", "address", "identifier", "用电地址"),
        _f("billing_month", "date", "internal", "账期"),
        _f("usage_kwh", "int", "internal", "用电量（千瓦时）"),
        _f("amount_fen", "int", "sensitive", "应缴金额（分）"),
        _f("due_date", "date", "internal", "缴费截止日期"),
        _f("paid_on", "date", "sensitive", "缴费日期"),
        _f("on_time", "bool", "sensitive", "是否按时缴费"),
    ),
    _bills(_POWER),
)
