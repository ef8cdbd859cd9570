"""营口市教育局 (jyj): school enrolment."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from typing import Final

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from sluice.demo import regions
from sluice.demo.datasets.city import City, DatasetSpec
from sluice.demo.datasets.people import _STREET_DISTRICT, _STREETS, SURNAMES, People
from sluice.demo.datasets.shared import (
    _GENDERS,
    ID,
    Columns,
    Ints,
    _age,
    _chunks,
    _dates,
    _day,
    _f,
    _from_ymd,
    _ints,
    _join,
    _pool,
    _rng,
    _take,
)

_SCHOOL_YEAR_START: Final = date(2026, 9, 1)
_ORDINALS: Final = ("一", "二", "三", "四")
# (stage, first grade, age at the start of the school year of the first grade)
_STAGES: Final = (("小学", 1, 6), ("初中", 7, 12), ("高中", 10, 15))


def _guardians(rng: np.random.Generator, people: People, children: Ints) -> Ints:
    """A parent for each child: an adult of the same district 20 to 45 years older, with
    the child's surname when there is one close to a drawn age gap of 24 to 36 years."""
    youngest, oldest = round(20 * 365.25), round(45 * 365.25)
    adults = people.aged(22, 70)
    born = people.birth[children]
    # Same district and surname, born nearest the target date: sort adults by that key.
    surnames = len(SURNAMES)
    offset = 10**6  # larger than any span of day numbers here
    adult_key = (people.district[adults] * surnames + people.surname[adults]) * offset
    adult_key = adult_key + people.birth[adults] + offset // 2
    order = np.argsort(adult_key)
    adults, adult_key = adults[order], adult_key[order]
    target = born - np.round(rng.uniform(24, 36, size=children.shape[0]) * 365.25).astype(np.int64)
    child_key = (people.district[children] * surnames + people.surname[children]) * offset
    child_key = child_key + target + offset // 2
    after = np.clip(np.searchsorted(adult_key, child_key), 0, adults.shape[0] - 1)
    before = np.maximum(after - 1, 0)
    nearest = np.where(
        np.abs(adult_key[before] - child_key) < np.abs(adult_key[after] - child_key), before, after
    )
    guardian: Ints = adults[nearest]
    gap = born - people.birth[guardian]
    ok = (adult_key[nearest] // offset == child_key // offset) & (gap >= youngest) & (gap <= oldest)
    # Otherwise anyone of the district in the age range.
    for index in range(len(regions.DISTRICTS)):
        missing = np.flatnonzero(~ok & (people.district[children] == index))
        pool = adults[people.district[adults] == index]
        if missing.shape[0] == 0 or pool.shape[0] == 0:
            continue
        pool = pool[np.argsort(people.birth[pool], kind="stable")]
        births = people.birth[pool]
        low = np.searchsorted(births, born[missing] - oldest)
        high = np.searchsorted(births, born[missing] - youngest, side="right")
        pick = low + np.floor(rng.random(missing.shape[0]) * (high - low)).astype(np.int64)
        guardian[missing] = pool[np.where(high > low, pick, np.maximum(high - 1, 0))]
    return guardian


def _students(city: City, stream: int) -> Iterator[Columns]:
    rng = _rng(city.seed, stream)
    people = city.people
    start = _day(_SCHOOL_YEAR_START)
    age = _age(people.birth, start - 1)
    stage = np.select(
        [(age >= 6) & (age <= 11), (age >= 12) & (age <= 14), (age >= 15) & (age <= 17)],
        [0, 1, 2],
        -1,
    )
    # Most 15-17-year-olds are in senior high school; the rest go to vocational schools.
    stage[(stage == 2) & (rng.random(people.count) > 0.85)] = -1
    students = np.flatnonzero(stage >= 0).astype(np.int64)
    stage = stage[students]
    grade = (
        np.array([s[1] for s in _STAGES])[stage]
        + age[students]
        - np.array([s[2] for s in _STAGES])[stage]
    )
    entry_year = _SCHOOL_YEAR_START.year - (grade - np.array([s[1] for s in _STAGES])[stage])
    enrolled = _from_ymd(entry_year, np.full_like(entry_year, 9), np.ones_like(entry_year))
    district_names = [d.name_zh for d in regions.DISTRICTS]
    primary = _pool(
        [
            f"{district_names[_STREET_DISTRICT[i]]}{s.name_zh.removesuffix('街道')}小学"
            if s.kind == "subdistrict"
            else f"{district_names[_STREET_DISTRICT[i]]}{s.name_zh}中心小学"
            for i, s in enumerate(_STREETS)
        ]
    )
    secondary = _pool(
        [f"{name}第{o}初级中学" for name in district_names for o in _ORDINALS[:3]]
        + [f"{name}第{o}高级中学" for name in district_names for o in _ORDINALS[:2]]
    )
    district = people.district[students]
    which = rng.integers(0, 6, size=students.shape[0])
    secondary_index = np.where(
        stage == 1, district * 3 + which % 3, len(district_names) * 3 + district * 2 + which % 2
    )
    guardian = _guardians(rng, people, students)
    class_no = rng.integers(1, 9, size=students.shape[0])
    for _, part in _chunks(students.shape[0]):
        rows = students[part]
        ids = people.ids(rows)
        school = pc.if_else(
            pa.array(stage[part] == 0),
            _take(primary, people.street[rows]),
            _take(secondary, secondary_index[part]),
        )
        yield {
            "student_no": _join("G", ids),
            "id_number": ids,
            "name": people.names(rows),
            "gender": _take(_GENDERS, people.male[rows]),
            "school_name": school,
            "school_stage": _take(_pool([s[0] for s in _STAGES]), stage[part]),
            "grade": _ints(grade[part]),
            "class_no": _ints(class_no[part]),
            "enrolled_on": _dates(enrolled[part]),
            "guardian_id_number": people.ids(guardian[part]),
            "guardian_name": people.names(guardian[part]),
            "guardian_mobile": people.mobiles(guardian[part]),
        }


SPEC: Final = DatasetSpec(
    "jyj",
    "student_enrolment",
    "中小学生学籍信息",
    "School enrolment",
    "2026 学年中小学在籍学生：全国学籍号、学校、学段、年级、班级、入学日期和监护人。",
    "quarterly",
    (
        _f("student_no", "text", "identifier", "全国学籍号"),
        _f(ID, "id_number", "identifier", "学生身份证号码"),
        _f("name", "person_name", "identifier", "学生姓名"),
        _f("gender", "enum", "internal", "性别"),
        _f("school_name", "text", "internal", "学校名称"),
        _f("school_stage", "enum", "internal", "学段"),
        _f("grade", "int", "internal", "年级"),
        _f("class_no", "int", "internal", "班级"),
        _f("enrolled_on", "date", "internal", "入学日期"),
        _f("guardian_id_number", "id_number", "identifier", "监护人身份证号码"),
        _f("guardian_name", "person_name", "identifier", "监护人姓名"),
        _f("guardian_mobile", "mobile", "identifier", "监护人联系电话"),
    ),
    _students,
)
