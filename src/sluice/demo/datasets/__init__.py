"""The synthetic 营口: each provider department's own source data, as raw Parquet files.

``build_datasets`` writes one file per dataset at ``<sources_dir>/<provider>/<dataset>.parquet``:
what the departments' systems hold before the platform ingests anything. The files are

- **linked**: the same people and enterprises appear across departments under the same
  resident ID number and credit code (a legal representative is a registered resident, an
  employer is a registered enterprise, a student's guardian is a resident of the same
  district, and so on);
- **valid**: every resident ID passes ``stdnum.cn.ric.validate`` (region code in force in
  the birth year, real birth date, check character, gender in digit 17), every credit code
  passes ``stdnum.cn.uscc.validate`` and its embedded organization code its GB 11714 check;
- **deterministic**: a function of ``seed`` and ``scale`` only, byte for byte;
- **vectorized**: numpy and Arrow over whole columns, loops only per dataset, batch,
  column or category, so scale 100 (about 100M rows) is a matter of minutes;
- **clean on purpose**: no defect is planted. ``INTENDED_QUARANTINE_SHARE`` says so as
  data: the share of each dataset's rows the platform is meant to quarantine is 0, and
  the demo prints the share it actually quarantined next to it. Values the platform's
  cleaning has to normalise still occur as the departments' systems write them (the
  full-width brackets and commas of ``有限责任公司（自然人独资）`` or ``吊销，未注销``).

The files stand for the departments' own systems, outside the platform: the demo builds
them in a private temporary directory, never under ``SLUICE_HOME`` (``city.DemoSources``).

Money is integer fen, dates are ``date32``, areas and loads are ``decimal128(12, 2)``.
Everything is dated as of ``AS_OF``, not today, so a build never changes with the clock.

One module per department holds its dataset (fields and generator, ``SPEC``); ``people``,
``enterprises`` and ``city`` are the population they all draw from, ``bills`` the form the
water and power companies share, ``shared`` the helpers.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Final

import pyarrow as pa
import pyarrow.parquet as pq

from sluice.demo.datasets import (
    bdc,
    gaj,
    gjj,
    jtj,
    jyj,
    mzj,
    power,
    rsj,
    scjgj,
    shared,
    swj,
    water,
    wjw,
)
from sluice.demo.datasets.city import DatasetSpec, make_city
from sluice.demo.datasets.shared import ARROW_TYPES, AS_OF, MIN_SCALE, Columns, DemoDataset

PROVIDERS: Final[tuple[tuple[str, str, str], ...]] = (
    ("gaj", "营口市公安局", "Yingkou Municipal Public Security Bureau"),
    ("scjgj", "营口市市场监督管理局", "Yingkou Administration for Market Regulation"),
    ("rsj", "营口市人力资源和社会保障局", "Yingkou Human Resources and Social Security Bureau"),
    ("gjj", "营口市住房公积金管理中心", "Yingkou Housing Provident Fund Management Center"),
    ("bdc", "营口市不动产登记中心", "Yingkou Real Estate Registration Center"),
    ("swj", "国家税务总局营口市税务局", "Yingkou Taxation Bureau, State Taxation Administration"),
    ("mzj", "营口市民政局", "Yingkou Civil Affairs Bureau"),
    ("wjw", "营口市卫生健康委员会", "Yingkou Health Commission"),
    ("jyj", "营口市教育局", "Yingkou Education Bureau"),
    ("jtj", "营口市交通运输局", "Yingkou Transportation Bureau"),
    ("water", "营口市水务集团", "Yingkou Water Group"),
    ("power", "国网营口供电公司", "State Grid Yingkou Power Supply Company"),
)


#: The share of each dataset's rows (0 to 1) the generator means the platform to
#: quarantine when the dataset is ingested with its catalog fields. The generator plants
#: no defect, so every share is 0: a quarantined row of the demo is a defect of the
#: platform's cleaning or validation, not of the data.
INTENDED_QUARANTINE_SHARE: Final[dict[str, float]] = {
    "residents": 0.0,
    "enterprises": 0.0,
    "social_insurance": 0.0,
    "provident_fund_accounts": 0.0,
    "property_registrations": 0.0,
    "tax_credit_ratings": 0.0,
    "subsistence_allowance": 0.0,
    "vaccinations": 0.0,
    "student_enrolment": 0.0,
    "operating_vehicles": 0.0,
    "water_bills": 0.0,
    "electricity_bills": 0.0,
}

#: The datasets in build order (each draws from its own random stream, in this order).
SPECS: Final[tuple[DatasetSpec, ...]] = (
    gaj.SPEC,
    scjgj.SPEC,
    rsj.SPEC,
    gjj.SPEC,
    bdc.SPEC,
    swj.SPEC,
    mzj.SPEC,
    wjw.SPEC,
    jyj.SPEC,
    jtj.SPEC,
    water.SPEC,
    power.SPEC,
)


def _schema(spec: DatasetSpec, *, seed: int, scale: float) -> pa.Schema:
    fields = [
        pa.field(
            f.name,
            ARROW_TYPES[f.type],
            metadata={"title_zh": f.title_zh, "type": f.type, "field_class": f.field_class},
        )
        for f in spec.fields
    ]
    metadata = {
        "provider_code": spec.provider_code,
        "dataset_code": spec.code,
        "title_zh": spec.title_zh,
        "as_of": AS_OF.isoformat(),
        "seed": str(seed),
        "scale": repr(scale),
    }
    return pa.schema(fields, metadata=metadata)


def _write(path: Path, schema: pa.Schema, batches: Iterator[Columns]) -> int:
    """Stream batches into one Parquet file, renamed into place only once complete."""
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(path.name + ".partial")
    rows = 0
    with pq.ParquetWriter(partial, schema, compression="zstd") as writer:
        for columns in batches:
            arrays = [columns[field.name].cast(field.type) for field in schema]
            table = pa.Table.from_arrays(arrays, schema=schema)
            writer.write_table(table, row_group_size=shared.BATCH_ROWS)
            rows += table.num_rows
    partial.replace(path)
    return rows


def build_datasets(
    *, sources_dir: Path, seed: int = 20261126, scale: float = 1
) -> list[DemoDataset]:
    """Write every provider dataset of the demo city under ``sources_dir``.

    ``scale`` multiplies the row counts (1 is about a million rows in all, 100 about a
    hundred million); it may be fractional, down to ``MIN_SCALE``, for quick builds.
    """
    if not scale >= MIN_SCALE:
        raise ValueError(f"scale must be at least {MIN_SCALE}")
    city = make_city(seed, scale)
    built = []
    # Streams 1-9 made the city; each dataset draws from its own stream after that.
    for stream, spec in enumerate(SPECS, start=10):
        path = sources_dir / spec.provider_code / f"{spec.code}.parquet"
        rows = _write(path, _schema(spec, seed=seed, scale=scale), spec.rows(city, stream))
        built.append(
            DemoDataset(
                provider_code=spec.provider_code,
                code=spec.code,
                title_zh=spec.title_zh,
                title_en=spec.title_en,
                description_zh=spec.description_zh,
                update_frequency=spec.update_frequency,
                rows=rows,
                path=path,
                fields=spec.fields,
                intended_quarantine_share=INTENDED_QUARANTINE_SHARE[spec.code],
            )
        )
    return built
