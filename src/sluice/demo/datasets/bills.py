"""Monthly utility bills and payments, the form the water and power companies share."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Final

import numpy as np
import numpy.typing as npt
import pyarrow as pa
import pyarrow.compute as pc

from sluice.demo.datasets.city import City
from sluice.demo.datasets.shared import (
    _AS_OF_DAY,
    Columns,
    Ints,
    _between,
    _chunks,
    _dates,
    _digits,
    _ints,
    _join,
    _nullable,
    _pool,
    _rng,
    _sample,
    _take,
    _unique_ints,
)


@dataclass(frozen=True, slots=True)
class _Utility:
    accounts: str  # key of _BASE_COUNTS
    account_prefix: str
    usage_field: str
    home_median: float
    firm_median: float
    # Usage relative to the yearly mean, October 2025 to September 2026.
    seasonal: tuple[float, ...]
    tariff: Callable[[Ints, npt.NDArray[np.bool_]], Ints]


_BILL_MONTHS: Final = np.arange("2025-10", "2026-10", dtype="datetime64[M]")


def _bills(utility: _Utility) -> Callable[[City, int], Iterator[Columns]]:
    def rows(city: City, stream: int) -> Iterator[Columns]:
        rng = _rng(city.seed, stream)
        people, firms = city.people, city.firms
        n = city.count(utility.accounts)
        firm_count = min(round(n * 0.1), firms.active().shape[0])
        homes = _sample(rng, people.aged(25, 95), n - firm_count)
        companies = (
            _sample(rng, firms.active(), firm_count) if firm_count else np.zeros(0, np.int64)
        )
        holder = np.concatenate([homes, companies])
        home = np.arange(n) < homes.shape[0]
        numbers = _join(utility.account_prefix, _digits(_unique_ints(rng, 10**8, n), 8))
        mean = np.exp(rng.normal(0, 0.5, size=n)) * np.where(
            home, utility.home_median, utility.firm_median
        )
        # Some households pay late now and then; a few rarely pay on time.
        lateness = rng.beta(0.7, 9, size=n)
        months = len(_BILL_MONTHS)
        month_start = _BILL_MONTHS.astype("datetime64[D]").astype(np.int64)
        next_month = (_BILL_MONTHS + 1).astype("datetime64[D]").astype(np.int64)
        issued, due = next_month + 4, next_month + 24
        for number, part in _chunks(n, rows_each=months):
            chunk_rng = _rng(city.seed, stream, number + 1)
            accounts = np.arange(part.start, part.stop)
            account = np.repeat(accounts, months)
            month = np.tile(np.arange(months), accounts.shape[0])
            is_home = home[account]
            usage = chunk_rng.poisson(mean[account] * np.array(utility.seasonal)[month]).astype(
                np.int64
            )
            late = chunk_rng.random(account.shape[0]) < lateness[account]
            unpaid = late & (chunk_rng.random(account.shape[0]) < 0.2)
            paid = np.where(
                late,
                due[month] + 1 + chunk_rng.geometric(1 / 20, size=account.shape[0]),
                _between(chunk_rng, issued[month], due[month]),
            )
            paid_valid = ~unpaid & (paid <= _AS_OF_DAY)
            holder_rows = holder[account]
            address = pc.if_else(
                pa.array(is_home),
                people.addresses(np.where(is_home, holder_rows, 0)),
                firms.addresses(np.where(is_home, 0, holder_rows)),
            )
            yield {
                "account_no": _take(numbers, account),
                "customer_type": _take(_pool(["非居民", "居民"]), is_home),
                "id_number": _nullable(people.ids(np.where(is_home, holder_rows, 0)), is_home),
                "uscc": _nullable(_take(firms.uscc, np.where(is_home, 0, holder_rows)), ~is_home),
                "address": address,
                "billing_month": _dates(month_start[month]),
                utility.usage_field: _ints(usage),
                "amount_fen": _ints(utility.tariff(usage, is_home)),
                "due_date": _dates(due[month]),
                "paid_on": _dates(paid, paid_valid),
                "on_time": pa.array(paid_valid & (paid <= due[month])),
            }

    return rows
