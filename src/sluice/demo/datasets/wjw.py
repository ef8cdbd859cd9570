"""营口市卫生健康委员会 (wjw): childhood vaccinations."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Final

import numpy as np

from sluice.demo import regions
from sluice.demo.datasets.city import City, DatasetSpec
from sluice.demo.datasets.people import _STREET_DISTRICT, _STREETS
from sluice.demo.datasets.shared import (
    _AS_OF_DAY,
    ID,
    Columns,
    _chunks,
    _dates,
    _digits,
    _f,
    _ints,
    _join,
    _pool,
    _rng,
    _take,
    _ymd,
)

# The national immunization programme schedule for children (2021 edition): vaccine
# code, name, dose, age in days, manufacturers.
_KANGTAI, _JINTAN = "深圳康泰生物制品股份有限公司", "华北制药金坦生物技术股份有限公司"
_IMBCAMS, _BEIJING = "中国医学科学院医学生物学研究所", "北京生物制品研究所有限责任公司"
_CHENGDU, _WUHAN = "成都生物制品研究所有限责任公司", "武汉生物制品研究所有限责任公司"
_SHANGHAI, _LANZHOU = "上海生物制品研究所有限责任公司", "兰州生物制品研究所有限责任公司"
_WALVAX, _PUKANG = "玉溪沃森生物技术有限公司", "浙江普康生物技术股份有限公司"
_SCHEDULE: Final = (
    ("HepB", "乙肝疫苗", 1, 0, (_KANGTAI, _JINTAN)),
    ("BCG", "卡介苗", 1, 0, (_SHANGHAI, _CHENGDU)),
    ("HepB", "乙肝疫苗", 2, 30, (_KANGTAI, _JINTAN)),
    ("IPV", "脊灰灭活疫苗", 1, 61, (_IMBCAMS, _BEIJING)),
    ("IPV", "脊灰灭活疫苗", 2, 91, (_IMBCAMS, _BEIJING)),
    ("DTaP", "百白破疫苗", 1, 91, (_WUHAN, _CHENGDU)),
    ("bOPV", "脊灰减毒活疫苗", 1, 122, (_IMBCAMS, _BEIJING)),
    ("DTaP", "百白破疫苗", 2, 122, (_WUHAN, _CHENGDU)),
    ("DTaP", "百白破疫苗", 3, 152, (_WUHAN, _CHENGDU)),
    ("HepB", "乙肝疫苗", 3, 183, (_KANGTAI, _JINTAN)),
    ("MPSV-A", "A群流脑多糖疫苗", 1, 183, (_LANZHOU, _WALVAX)),
    ("MMR", "麻腮风疫苗", 1, 243, (_BEIJING, _SHANGHAI)),
    ("JE-L", "乙脑减毒活疫苗", 1, 243, (_CHENGDU,)),
    ("MPSV-A", "A群流脑多糖疫苗", 2, 274, (_LANZHOU, _WALVAX)),
    ("DTaP", "百白破疫苗", 4, 548, (_WUHAN, _CHENGDU)),
    ("MMR", "麻腮风疫苗", 2, 548, (_BEIJING, _SHANGHAI)),
    ("HepA-L", "甲肝减毒活疫苗", 1, 548, (_PUKANG, _IMBCAMS)),
    ("JE-L", "乙脑减毒活疫苗", 2, 730, (_CHENGDU,)),
    ("MPSV-AC", "A群C群流脑多糖疫苗", 1, 1096, (_WALVAX, _LANZHOU)),
    ("bOPV", "脊灰减毒活疫苗", 2, 1461, (_IMBCAMS, _BEIJING)),
    ("DT", "白破疫苗", 1, 2192, (_WUHAN,)),
    ("MPSV-AC", "A群C群流脑多糖疫苗", 2, 2192, (_WALVAX, _LANZHOU)),
)


def _vaccinations(city: City, stream: int) -> Iterator[Columns]:
    people = city.people
    children = people.aged(0, 6)
    doses = len(_SCHEDULE)
    manufacturers = sorted({m for entry in _SCHEDULE for m in entry[4]})
    maker_choices = np.array(
        [
            [manufacturers.index(entry[4][i % len(entry[4])]) for i in range(2)]
            for entry in _SCHEDULE
        ]
    )
    district_names = [d.name_zh for d in regions.DISTRICTS]
    clinics = _pool(
        [
            f"{district_names[_STREET_DISTRICT[i]]}{s.name_zh}"
            + ("社区卫生服务中心预防接种门诊" if s.kind == "subdistrict" else "卫生院预防接种门诊")
            for i, s in enumerate(_STREETS)
        ]
        + [f"{name}妇幼保健院产科接种室" for name in district_names]
    )
    written = 0
    for number, part in _chunks(children.shape[0], rows_each=doses):
        rng = _rng(city.seed, stream, number)
        child = np.repeat(children[part], doses)
        dose = np.tile(np.arange(doses), part.stop - part.start)
        due = people.birth[child] + np.array([entry[3] for entry in _SCHEDULE])[dose]
        at_birth = np.array([entry[3] == 0 for entry in _SCHEDULE])[dose]
        delay = np.where(
            at_birth,
            rng.integers(0, 2, size=dose.shape[0]),
            np.round(rng.exponential(8, size=dose.shape[0])),
        )
        given = (due + delay).astype(np.int64)
        keep = (given <= _AS_OF_DAY) & (rng.random(dose.shape[0]) > 0.015)
        child, dose, given, at_birth = child[keep], dose[keep], given[keep], at_birth[keep]
        rows = child.shape[0]
        clinic = np.where(at_birth, len(_STREETS) + people.district[child], people.street[child])
        maker = maker_choices[dose, rng.integers(0, 2, size=rows)]
        year, month, _ = _ymd(given - rng.integers(60, 400, size=rows))
        lot = _join(
            _digits(year, 4), _digits(month, 2), _digits(rng.integers(1, 300, size=rows), 3)
        )
        yield {
            "record_id": _join("YM", _digits(written + np.arange(1, rows + 1), 12)),
            "id_number": people.ids(child),
            "name": people.names(child),
            "vaccine_code": _take(_pool([e[0] for e in _SCHEDULE]), dose),
            "vaccine_name": _take(_pool([e[1] for e in _SCHEDULE]), dose),
            "dose_no": _ints(np.array([e[2] for e in _SCHEDULE])[dose]),
            "vaccinated_on": _dates(given),
            "clinic_name": _take(clinics, clinic),
            "manufacturer": _take(_pool(manufacturers), maker),
            "lot_no": lot,
        }
        written += rows


SPEC: Final = DatasetSpec(
    "wjw",
    "vaccinations",
    "儿童预防接种记录",
    "Childhood vaccinations",
    "国家免疫规划疫苗的儿童接种记录：受种者、疫苗、剂次、接种日期、接种单位、生产企业和批号。",
    "daily",
    (
        _f("record_id", "text", "internal", "接种记录编号"),
        _f(ID, "id_number", "identifier", "受种者身份证号码"),
        _f("name", "person_name", "identifier", "受种者姓名"),
        _f("vaccine_code", "enum", "sensitive", "疫苗代码"),
        _f("vaccine_name", "enum", "sensitive", "疫苗名称"),
        _f("dose_no", "int", "sensitive", "剂次"),
        _f("vaccinated_on", "date", "sensitive", "接种日期"),
        _f("clinic_name", "text", "internal", "接种单位"),
        _f("manufacturer", "enum", "internal", "生产企业"),
        _f("lot_no", "text", "internal", "疫苗批号"),
    ),
    _vaccinations,
)
