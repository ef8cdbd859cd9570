"""营口市住房公积金管理中心 (gjj): housing provident fund accounts."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from typing import Final

import numpy as np

from sluice.demo.datasets.city import City, DatasetSpec
from sluice.demo.datasets.enterprises import _EARLIEST_ENTERPRISE
from sluice.demo.datasets.rsj import _yearly_bases
from sluice.demo.datasets.shared import (
    _AS_OF_DAY,
    ID,
    Columns,
    _between,
    _choice,
    _chunks,
    _dates,
    _day,
    _digits,
    _f,
    _from_ymd,
    _ints,
    _join,
    _plus_years,
    _pool,
    _rng,
    _sample,
    _take,
    _unique_ints,
    _ymd,
)

_FUND_STATUSES: Final = _pool(["正常", "封存", "销户"])


def _provident_fund(city: City, stream: int) -> Iterator[Columns]:
    rng = _rng(city.seed, stream)
    jobs, people, firms = city.jobs, city.people, city.firms
    # Four in five workers have an account with their employer; others kept a sealed or
    # closed account from an earlier job.
    covered = np.flatnonzero(rng.random(jobs.person.shape[0]) < 0.8)
    extra = city.count("fund_extra")
    holders = np.concatenate([jobs.person[covered], _sample(rng, people.aged(25, 60), extra)])
    employer = np.concatenate([jobs.employer[covered], rng.integers(0, firms.count, size=extra)])
    status = np.concatenate(
        [np.zeros(covered.shape[0], dtype=np.int64), _choice(rng, extra, (0, 0.8, 0.2))]
    )
    n = holders.shape[0]
    opened = _between(
        rng,
        np.maximum.reduce(
            [
                firms.established[employer],
                _plus_years(people.birth[holders], 18),
                np.full(n, _EARLIEST_ENTERPRISE),
            ]
        ),
        np.full(n, _AS_OF_DAY - 31),
    )
    base = np.concatenate(
        [
            _yearly_bases(jobs.base_fen[covered])[:, -1],
            np.round(np.exp(rng.normal(np.log(4_500), 0.4, size=extra))) * 100,
        ]
    ).astype(np.int64)
    rate = np.asarray(rng.integers(5, 13, size=n), dtype=np.int64)
    monthly = base * rate * 2 // 100
    months_open = (_AS_OF_DAY - opened) // 30
    balance = (monthly * months_open * rng.uniform(0.15, 0.9, size=n)).astype(np.int64)
    balance[status == 2] = 0
    last_month = np.where(
        status == 0,
        _day(date(2026, 10, 1)),
        _between(rng, opened, np.full(n, _AS_OF_DAY - 60)),
    )
    year, month, _ = _ymd(last_month)
    last_month = _from_ymd(year, month, np.ones(n, dtype=np.int64))
    accounts = _join("2108", _digits(_unique_ints(rng, 10**10, n), 10))
    for _, part in _chunks(n):
        rows = holders[part]
        yield {
            "account_no": accounts.slice(part.start, part.stop - part.start),
            "id_number": people.ids(rows),
            "name": people.names(rows),
            "employer_uscc": _take(firms.uscc, employer[part]),
            "opened_on": _dates(opened[part]),
            "status": _take(_FUND_STATUSES, status[part]),
            "deposit_base_fen": _ints(base[part]),
            "deposit_rate_pct": _ints(rate[part]),
            "monthly_deposit_fen": _ints(monthly[part]),
            "balance_fen": _ints(balance[part]),
            "last_deposit_month": _dates(last_month[part]),
        }


SPEC: Final = DatasetSpec(
    "gjj",
    "provident_fund_accounts",
    "住房公积金个人账户",
    "Housing provident fund accounts",
    "住房公积金个人账户：缴存单位、开户日期、账户状态、缴存基数和比例、月缴存额、余额。",
    "monthly",
    (
        _f("account_no", "text", "identifier", "个人账号"),
        _f(ID, "id_number", "identifier", "公民身份号码"),
        _f("name", "person_name", "identifier", "姓名"),
        _f("employer_uscc", "uscc", "identifier", "缴存单位统一社会信用代码"),
        _f("opened_on", "date", "internal", "开户日期"),
        _f("status", "enum", "internal", "账户状态"),
        _f("deposit_base_fen", "int", "sensitive", "缴存基数（分）"),
        _f("deposit_rate_pct", "int", "internal", "单位和个人缴存比例（%）"),
        _f("monthly_deposit_fen", "int", "sensitive", "月缴存额（分）"),
        _f("balance_fen", "int", "sensitive", "账户余额（分）"),
        _f("last_deposit_month", "date", "internal", "最后缴存月份"),
    ),
    _provident_fund,
)
