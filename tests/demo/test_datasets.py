"""The synthetic 营口: valid identifiers, linked datasets, reproducible files."""

from __future__ import annotations

import hashlib
import re
from collections import Counter
from datetime import date, timedelta
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
import pytest
from stdnum import numdb
from stdnum.cn import ric, uscc

from sluice.core.checksums import valid_ric, valid_uscc
from sluice.demo import regions
from sluice.demo.datasets import PROVIDERS, build_datasets, shared
from sluice.demo.datasets.shared import ARROW_TYPES, AS_OF, DemoDataset

IDENTIFIER_TYPES = {"id_number", "uscc", "mobile", "plate", "address", "person_name"}


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> list[DemoDataset]:
    return build_datasets(sources_dir=tmp_path_factory.mktemp("sources"), scale=1)


@pytest.fixture(scope="module")
def tables(built: list[DemoDataset]) -> dict[str, pa.Table]:
    return {d.code: pq.read_table(d.path) for d in built}


def columns_of_type(tables: dict[str, pa.Table], kind: str) -> list[tuple[str, str]]:
    return [
        (code, field.name)
        for code, table in tables.items()
        for field in table.schema
        if field.metadata[b"type"] == kind.encode()
    ]


def values(table: pa.Table, column: str) -> list[str]:
    return [v for v in table[column].to_pylist() if v is not None]


def on_as_of(born: date) -> int:
    return AS_OF.year - born.year - ((AS_OF.month, AS_OF.day) < (born.month, born.day))


# -- the catalogue ------------------------------------------------------------------------


def test_every_provider_has_a_dataset_at_its_own_path(built: list[DemoDataset]) -> None:
    assert {code for code, _, _ in PROVIDERS} == {d.provider_code for d in built}
    assert len(PROVIDERS) == 12
    for dataset in built:
        assert dataset.path.name == f"{dataset.code}.parquet"
        assert dataset.path.parent.name == dataset.provider_code
        assert pq.ParquetFile(dataset.path).metadata.num_rows == dataset.rows > 0


def test_scale_one_is_about_a_million_rows(
    built: list[DemoDataset], tables: dict[str, pa.Table]
) -> None:
    rows = {d.code: d.rows for d in built}
    assert 900_000 <= sum(rows.values()) <= 1_200_000
    # One row per registered resident and per registered enterprise.
    assert rows["residents"] == len(set(values(tables["residents"], "id_number")))
    assert rows["enterprises"] == len(set(values(tables["enterprises"], "uscc")))
    # Twelve monthly bills per account.
    for code in ("water_bills", "electricity_bills"):
        accounts = set(values(tables[code], "account_no"))
        assert rows[code] == 12 * len(accounts) > 0


def test_declared_fields_are_the_file_columns_with_their_types(built: list[DemoDataset]) -> None:
    for dataset in built:
        schema = pq.read_schema(dataset.path)
        assert [f.name for f in dataset.fields] == schema.names
        for field in dataset.fields:
            arrow = schema.field(field.name)
            assert arrow.type == ARROW_TYPES[field.type]
            assert arrow.metadata[b"field_class"] == field.field_class.encode()
            assert arrow.metadata[b"title_zh"].decode() == field.title_zh
            if field.type in IDENTIFIER_TYPES:
                assert field.field_class == "identifier", (dataset.code, field.name)


def test_money_is_integer_fen_and_nothing_is_a_float(tables: dict[str, pa.Table]) -> None:
    for code, table in tables.items():
        for field in table.schema:
            assert not pa.types.is_floating(field.type), (code, field.name)
            if field.name.endswith("_fen"):
                assert field.type == pa.int64(), (code, field.name)
                assert pc.min(table[field.name]).as_py() >= 0
            if field.metadata[b"type"] == b"date":
                assert field.type == pa.date32()


# -- identifiers --------------------------------------------------------------------------


def test_every_resident_id_passes_stdnum(tables: dict[str, pa.Table]) -> None:
    unique: set[str] = set()
    for code, column in columns_of_type(tables, "id_number"):
        ids = tables[code][column].drop_null()
        assert valid_ric(ids).all(), (code, column)
        unique.update(ids.to_pylist())
    assert len(unique) > 150_000
    # The check character and the date of every one are valid_ric's (above); what only
    # python-stdnum knows, whether the region code was in force in the birth year, depends
    # on those two alone: one number of each region and year stands for all of them.
    by_region_and_year = {value[:10]: value for value in sorted(unique)}
    assert len(by_region_and_year) > 100
    assert [v for v in by_region_and_year.values() if not ric.is_valid(v)] == []


def test_every_credit_code_passes_stdnum_and_is_registered_in_yingkou(
    tables: dict[str, pa.Table],
) -> None:
    unique: set[str] = set()
    for code, column in columns_of_type(tables, "uscc"):
        codes = tables[code][column].drop_null()
        assert valid_uscc(codes, check_org_code=True).all(), (code, column)
        unique.update(codes.to_pylist())
    assert [v for v in sorted(unique) if not uscc.is_valid(v)] == []
    assert {v[:2] for v in unique} == {"91"}
    assert {v[2:8] for v in unique} <= {regions.CITY_CODE} | {d.code for d in regions.DISTRICTS}


def test_identifiers_are_unique_where_they_are_keys(tables: dict[str, pa.Table]) -> None:
    for code, column in [
        ("residents", "id_number"),
        ("enterprises", "uscc"),
        ("enterprises", "name"),
        ("provident_fund_accounts", "account_no"),
        ("property_registrations", "certificate_no"),
        ("operating_vehicles", "plate"),
        ("operating_vehicles", "transport_permit_no"),
        ("subsistence_allowance", "case_no"),
        ("vaccinations", "record_id"),
        ("student_enrolment", "student_no"),
    ]:
        column_values = tables[code][column]
        assert pc.count_distinct(column_values).as_py() == len(column_values), (code, column)
    mobiles = values(tables["residents"], "mobile")
    assert len(set(mobiles)) == len(mobiles)


def test_resident_ids_agree_with_gender_birth_date_and_district(
    tables: dict[str, pa.Table],
) -> None:
    residents = tables["residents"].to_pydict()
    rows = zip(
        residents["id_number"],
        residents["gender"],
        residents["birth_date"],
        residents["district_code"],
        strict=True,
    )
    for id_number, gender, born, district in rows:
        assert (int(id_number[16]) % 2 == 1) == (gender == "男")
        assert id_number[6:14] == born.strftime("%Y%m%d")
        # The ID carries the code the district had in the birth year (盖县 before 盖州市).
        assert id_number[:6] == regions.id_region_code(district, born.year)
        assert 0 <= on_as_of(born) <= 95
    ages = Counter(on_as_of(born) // 10 for born in residents["birth_date"])
    assert set(ages) == set(range(10))  # every decade of life from 0 to 95
    assert 0.45 < residents["gender"].count("男") / len(residents["gender"]) < 0.55


def test_names_mobiles_and_plates_look_local(tables: dict[str, pa.Table]) -> None:
    residents = tables["residents"]
    names = values(residents, "name")
    surnames = Counter(name[0] for name in names)
    assert [s for s, _ in surnames.most_common(4)] == ["王", "李", "张", "刘"]
    assert all(2 <= len(name) <= 3 for name in names)
    prefixes = {m[:3] for m in values(residents, "mobile")}
    assert all(re.fullmatch(r"1[3-9]\d", p) for p in prefixes)
    assert all(re.fullmatch(r"1\d{10}", m) for m in values(residents, "mobile"))
    plates = values(tables["operating_vehicles"], "plate")
    pattern = r"辽H·([A-HJ-NP-Z0-9]{5}|[DF][A-HJ-NP-Z0-9]\d{4}|\d{5}[DF])"
    assert all(re.fullmatch(pattern, p) for p in plates)
    assert all(a.startswith("辽宁省营口市") for a in values(residents, "address"))


# -- linkage ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("code", "column"),
    [
        ("enterprises", "legal_rep_id_number"),
        ("social_insurance", "id_number"),
        ("provident_fund_accounts", "id_number"),
        ("property_registrations", "owner_id_number"),
        ("subsistence_allowance", "id_number"),
        ("vaccinations", "id_number"),
        ("student_enrolment", "id_number"),
        ("student_enrolment", "guardian_id_number"),
        ("operating_vehicles", "owner_id_number"),
        ("water_bills", "id_number"),
        ("electricity_bills", "id_number"),
    ],
)
def test_people_in_every_dataset_are_registered_residents(
    tables: dict[str, pa.Table], code: str, column: str
) -> None:
    residents = set(tables["residents"]["id_number"].to_pylist())
    linked = set(values(tables[code], column))
    assert linked
    assert linked <= residents


@pytest.mark.parametrize(
    ("code", "column"),
    [
        ("social_insurance", "employer_uscc"),
        ("provident_fund_accounts", "employer_uscc"),
        ("tax_credit_ratings", "uscc"),
        ("operating_vehicles", "owner_uscc"),
        ("water_bills", "uscc"),
        ("electricity_bills", "uscc"),
    ],
)
def test_enterprises_in_every_dataset_are_registered(
    tables: dict[str, pa.Table], code: str, column: str
) -> None:
    registered = set(tables["enterprises"]["uscc"].to_pylist())
    linked = set(values(tables[code], column))
    assert linked
    assert linked <= registered


@pytest.mark.parametrize(
    ("code", "id_column", "name_column"),
    [
        ("enterprises", "legal_rep_id_number", "legal_rep_name"),
        ("social_insurance", "id_number", "name"),
        ("property_registrations", "owner_id_number", "owner_name"),
        ("student_enrolment", "guardian_id_number", "guardian_name"),
        ("vaccinations", "id_number", "name"),
    ],
)
def test_a_person_has_the_same_name_everywhere(
    tables: dict[str, pa.Table], code: str, id_column: str, name_column: str
) -> None:
    registered = dict(
        zip(
            tables["residents"]["id_number"].to_pylist(),
            tables["residents"]["name"].to_pylist(),
            strict=True,
        )
    )
    pairs = set(
        zip(tables[code][id_column].to_pylist(), tables[code][name_column].to_pylist(), strict=True)
    )
    assert {name for id_number, name in pairs if registered[id_number] != name} == set()


def test_taxpayer_names_are_the_registered_enterprise_names(tables: dict[str, pa.Table]) -> None:
    registered = dict(
        zip(
            tables["enterprises"]["uscc"].to_pylist(),
            tables["enterprises"]["name"].to_pylist(),
            strict=True,
        )
    )
    ratings = tables["tax_credit_ratings"]
    for code, name in zip(
        ratings["uscc"].to_pylist(), ratings["taxpayer_name"].to_pylist(), strict=True
    ):
        assert registered[code] == name


# -- the facts hang together ----------------------------------------------------------------


def birth_dates(tables: dict[str, pa.Table]) -> dict[str, date]:
    residents = tables["residents"]
    return dict(
        zip(residents["id_number"].to_pylist(), residents["birth_date"].to_pylist(), strict=True)
    )


def test_legal_representatives_were_adults_when_their_company_was_set_up(
    tables: dict[str, pa.Table],
) -> None:
    born = birth_dates(tables)
    firms = tables["enterprises"].to_pydict()
    for rep, established in zip(firms["legal_rep_id_number"], firms["established_on"], strict=True):
        assert established.year - born[rep].year >= 18
        assert date(1992, 1, 1) <= established <= AS_OF


def test_children_and_students_are_the_right_age_with_older_guardians(
    tables: dict[str, pa.Table],
) -> None:
    born = birth_dates(tables)
    shots = tables["vaccinations"].to_pydict()
    for id_number, given in zip(shots["id_number"], shots["vaccinated_on"], strict=True):
        assert born[id_number] <= given <= AS_OF
        assert on_as_of(born[id_number]) <= 6
    students = tables["student_enrolment"].to_pydict()
    for id_number, guardian, grade, stage in zip(
        students["id_number"],
        students["guardian_id_number"],
        students["grade"],
        students["school_stage"],
        strict=True,
    ):
        assert born[guardian] <= born[id_number] - timedelta(days=18 * 365)
        grades = {"小学": range(1, 7), "初中": range(7, 10), "高中": range(10, 13)}
        assert grade in grades[stage]


def test_insurance_contributions_follow_the_rates(tables: dict[str, pa.Table]) -> None:
    rows = tables["social_insurance"].to_pydict()
    rates = {"企业职工基本养老保险": (800, 1600), "职工基本医疗保险": (200, 750)}
    for kind, base, months, personal, employer in zip(
        rows["insurance_type"],
        rows["contribution_base_fen"],
        rows["months_paid"],
        rows["personal_amount_fen"],
        rows["employer_amount_fen"],
        strict=True,
    ):
        assert 1 <= months <= 12
        assert personal == base * rates[kind][0] // 10_000 * months
        assert employer == base * rates[kind][1] // 10_000 * months


def test_bills_are_charged_and_flagged_consistently(tables: dict[str, pa.Table]) -> None:
    water = tables["water_bills"].to_pydict()
    for kind, used, amount in zip(
        water["customer_type"], water["usage_m3"], water["amount_fen"], strict=True
    ):
        assert amount == used * (350 if kind == "居民" else 590)
    for code in ("water_bills", "electricity_bills"):
        bills = tables[code].to_pydict()
        for paid, due, on_time, month in zip(
            bills["paid_on"],
            bills["due_date"],
            bills["on_time"],
            bills["billing_month"],
            strict=True,
        ):
            assert on_time == (paid is not None and paid <= due)
            assert month.day == 1 and due > month
            assert paid is None or month < paid <= AS_OF
        assert 0.7 < sum(bills["on_time"]) / len(bills["on_time"]) < 0.99


def test_tax_ratings_match_scores_and_new_enterprises_get_m(tables: dict[str, pa.Table]) -> None:
    established = dict(
        zip(
            tables["enterprises"]["uscc"].to_pylist(),
            tables["enterprises"]["established_on"].to_pylist(),
            strict=True,
        )
    )
    ratings = tables["tax_credit_ratings"].to_pydict()
    seen = Counter(ratings["rating"])
    assert set(seen) == {"A", "B", "M", "C", "D"}
    for code, year, rating, score in zip(
        ratings["uscc"], ratings["rating_year"], ratings["rating"], ratings["score"], strict=True
    ):
        assert established[code].year <= year
        if rating == "M":
            assert established[code].year == year and score >= 70
        else:
            low, high = {"A": (90, 100), "B": (70, 89), "C": (40, 69), "D": (0, 39)}[rating]
            assert low <= score <= high


# -- reproducibility and scale -------------------------------------------------------------


def digests(built: list[DemoDataset]) -> dict[str, str]:
    return {d.code: hashlib.sha256(d.path.read_bytes()).hexdigest() for d in built}


def test_same_seed_same_bytes_other_seed_other_data(tmp_path: Path) -> None:
    first = build_datasets(sources_dir=tmp_path / "a", seed=7, scale=0.02)
    again = build_datasets(sources_dir=tmp_path / "b", seed=7, scale=0.02)
    other = build_datasets(sources_dir=tmp_path / "c", seed=8, scale=0.02)
    assert digests(first) == digests(again)
    # Compare the data, not the files: the seed is also in each file's metadata.
    for a, b in zip(first, other, strict=True):
        assert not pq.read_table(a.path).equals(pq.read_table(b.path)), a.code
    ids_7 = set(pq.read_table(first[0].path)["id_number"].to_pylist())
    ids_8 = set(pq.read_table(other[0].path)["id_number"].to_pylist())
    assert len(ids_7 & ids_8) < len(ids_7) // 10


def test_rows_grow_linearly_with_scale(tmp_path: Path, built: list[DemoDataset]) -> None:
    small = build_datasets(sources_dir=tmp_path, scale=0.1)
    for full, tenth in zip(built, small, strict=True):
        assert abs(tenth.rows * 10 - full.rows) <= full.rows * 0.15, full.code


def test_scale_below_the_minimum_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="scale"):
        build_datasets(sources_dir=tmp_path, scale=0.001)


def test_batches_become_bounded_row_groups_and_still_link(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(shared, "BATCH_ROWS", 700)
    built = build_datasets(sources_dir=tmp_path, scale=0.02)
    by_code = {d.code: d for d in built}
    for dataset in built:
        metadata = pq.ParquetFile(dataset.path).metadata
        sizes = [metadata.row_group(i).num_rows for i in range(metadata.num_row_groups)]
        assert max(sizes) <= 700 and sum(sizes) == dataset.rows
    assert pq.ParquetFile(by_code["residents"].path).metadata.num_row_groups >= 5
    residents = set(pq.read_table(by_code["residents"].path)["id_number"].to_pylist())
    for code, column in [("vaccinations", "id_number"), ("social_insurance", "id_number")]:
        linked = pq.read_table(by_code[code].path)[column]
        assert valid_ric(linked).all()
        assert set(linked.to_pylist()) <= residents


# -- the regions behind it -----------------------------------------------------------------


def stdnum_history() -> set[tuple[str, str, int | None, int | None]]:
    """Every 2108xx county-level code python-stdnum knows, with its years."""
    history = set()
    for code in (f"2108{n:02d}" for n in range(2, 100)):
        info = dict(numdb.get("cn/loc").info(code)[-1][1])
        for entry in filter(None, info.get("county", "").split(",")):
            found = re.fullmatch(r"\[(\d*)-(\d*)\](.+)", entry)
            assert found, entry
            first, last, name = found.groups()
            history.add((code, name, int(first) if first else None, int(last) if last else None))
    return history


def test_division_history_is_python_stdnum_history() -> None:
    ours = {(d.code, d.name_zh, d.first_year, d.last_year) for d in regions.DIVISION_CODES}
    assert ours == stdnum_history()


def test_today_districts_carry_their_current_codes_and_names() -> None:
    current = {(c, n) for c, n, first, last in stdnum_history() if last is None}
    assert {(d.code, d.name_zh) for d in regions.DISTRICTS} == current
    assert abs(sum(d.population_share for d in regions.DISTRICTS) - 1) < 1e-9
    for district in regions.DISTRICTS:
        codes = [s.code for s in district.streets]
        assert len(set(codes)) == len(codes)
        assert all(len(c) == 9 and c.startswith(district.code) for c in codes)


@pytest.mark.parametrize("district", regions.DISTRICTS, ids=lambda d: d.name_zh)
def test_id_region_codes_were_in_force_in_every_birth_year(district: regions.District) -> None:
    for year in range(1925, AS_OF.year + 1):
        code = district.id_region_code(year)
        assert regions.division_code_in_force(code, year)
        body = f"{code}{year}0615001"
        assert ric.is_valid(body + ric.calc_check_digit(body + "0")), (code, year)


def test_people_are_spread_over_districts_like_the_census(tables: dict[str, pa.Table]) -> None:
    counts = Counter(tables["residents"]["district_code"].to_pylist())
    total = sum(counts.values())
    for district in regions.DISTRICTS:
        assert abs(counts[district.code] / total - district.population_share) < 0.01
    assert total == tables["residents"].num_rows  # every resident is registered in a district
