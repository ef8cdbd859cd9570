"""营口市水务集团 (water): water bills and payments."""

from __future__ import annotations

from typing import Final

import numpy as np
import numpy.typing as npt

from sluice.demo.datasets.bills import _bills, _Utility
from sluice.demo.datasets.city import DatasetSpec
from sluice.demo.datasets.shared import ID, Ints, _f


def _water_tariff(usage: Ints, home: npt.NDArray[np.bool_]) -> Ints:
    # Yuan per m³ including the sewage charge: 3.50 for homes, 5.90 for business.
    return np.asarray(usage * np.where(home, 350, 590), dtype=np.int64)


_WATER: Final = _Utility(
    accounts="water_accounts",
    account_prefix="01",
    usage_field="usage_m3",
    home_median=6.0,
    firm_median=60.0,
    seasonal=(1.0, 0.95, 0.9, 0.9, 0.9, 0.9, 0.95, 1.0, 1.1, 1.2, 1.2, 1.1),
    tariff=_water_tariff,
)


SPEC: Final = DatasetSpec(
    "water",
    "water_bills",
    "用水缴费记录",
    "Water bills and payments",
    "居民和非居民用户按月用水量、应缴水费（含污水处理费）、缴费期限、缴费日期和是否按时缴费。",
    "monthly",
    (
        _f("account_no", "text", "identifier", "用户号"),
        _f("customer_type", "enum", "internal", "用户类型"),
        _f(ID, "id_number", "identifier", "户主身份证号码"),
        _f("uscc", "uscc", "identifier", "单位统一社会信用代码"),
        _f("address", "address", "identifier", "用水地址"),
        _f("billing_month", "date", "internal", "账期"),
        _f("usage_m3", "int", "internal", "用水量（立方米）"),
        _f("amount_fen", "int", "sensitive", "应缴金额（分）"),
        _f("due_date", "date", "internal", "缴费截止日期"),
        _f("paid_on", "date", "sensitive", "缴费日期"),
        _f("on_time", "bool", "sensitive", "是否按时缴费"),
    ),
    _bills(_WATER),
)
