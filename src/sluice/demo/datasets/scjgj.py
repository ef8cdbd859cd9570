"""营口市市场监督管理局 (scjgj): registered enterprises."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Final

import numpy as np

from sluice.demo.datasets.city import City, DatasetSpec
from sluice.demo.datasets.enterprises import _ENTERPRISE_TYPES, _INDUSTRIES, _STATUSES
from sluice.demo.datasets.shared import Columns, _chunks, _dates, _f, _ints, _pool, _take


def _enterprise_rows(city: City, stream: int) -> Iterator[Columns]:
    firms, people = city.firms, city.people
    types = _pool([t[0] for t in _ENTERPRISE_TYPES])
    for _, part in _chunks(firms.count):
        rows = np.arange(part.start, part.stop, dtype=np.int64)
        reps = firms.legal_rep[rows]
        yield {
            "uscc": firms.uscc.slice(part.start, rows.shape[0]),
            "name": firms.name.slice(part.start, rows.shape[0]),
            "enterprise_type": _take(types, firms.kind[rows]),
            "legal_rep_name": people.names(reps),
            "legal_rep_id_number": people.ids(reps),
            "registered_capital_fen": _ints(firms.capital_fen[rows]),
            "established_on": _dates(firms.established[rows]),
            "status": _take(_pool(_STATUSES), firms.status[rows]),
            "industry_code": _take(_pool([i[0] for i in _INDUSTRIES]), firms.industry[rows]),
            "industry_name": _take(_pool([i[1] for i in _INDUSTRIES]), firms.industry[rows]),
            "registrar_code": firms.registrar.slice(part.start, rows.shape[0]),
            "address": firms.addresses(rows),
        }


SPEC: Final = DatasetSpec(
    "scjgj",
    "enterprises",
    "企业登记信息",
    "Registered enterprises",
    "在营口登记的企业：统一社会信用代码、名称、类型、法定代表人、注册资本、成立日期、登记状态、行业和住所。",
    "daily",
    (
        _f("uscc", "uscc", "identifier", "统一社会信用代码"),
        _f("name", "text", "public", "企业名称"),
        _f("enterprise_type", "enum", "public", "企业类型"),
        _f("legal_rep_name", "person_name", "identifier", "法定代表人"),
        _f("legal_rep_id_number", "id_number", "identifier", "法定代表人身份证号码"),
        _f("registered_capital_fen", "int", "public", "注册资本（分）"),
        _f("established_on", "date", "public", "成立日期"),
        _f("status", "enum", "public", "登记状态"),
        _f("industry_code", "enum", "public", "行业门类代码"),
        _f("industry_name", "enum", "public", "行业门类"),
        _f("registrar_code", "enum", "public", "登记机关区划代码"),
        _f("address", "address", "identifier", "住所"),
    ),
    _enterprise_rows,
)
