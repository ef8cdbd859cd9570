"""营口市 (Yingkou, Liaoning): the real administrative divisions the demo city is built on.

District codes and the years each was in force follow the GB/T 2260 history as bundled with
python-stdnum (``stdnum/cn/loc.dat``), because ``stdnum.cn.ric.validate`` refuses a
resident ID whose region code did not exist in the holder's birth year. Someone born in
盖县 in 1980 and living in today's 盖州市 therefore carries 210824, not 210881. Street
and township names and their 9-digit codes are the statistical division codes (统计用区划代码).
Population shares are rounded from the 2020 census and only steer the synthetic data.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final, Literal

PROVINCE_ZH: Final = "辽宁省"
CITY_ZH: Final = "营口市"
CITY_EN: Final = "Yingkou"
CITY_CODE: Final = "210800"
# Vehicle plates registered in Yingkou start 辽H.
PLATE_PREFIX: Final = "辽H"

StreetKind = Literal["subdistrict", "town", "township"]


@dataclass(frozen=True, slots=True)
class DivisionCode:
    """One GB/T 2260 county-level code and the years it was in force (both inclusive)."""

    code: str
    name_zh: str
    first_year: int | None
    last_year: int | None

    def in_force(self, year: int) -> bool:
        return (self.first_year is None or year >= self.first_year) and (
            self.last_year is None or year <= self.last_year
        )


@dataclass(frozen=True, slots=True)
class Street:
    """A township-level division: 街道 (subdistrict), 镇 (town) or 乡 (township)."""

    code: str
    name_zh: str
    kind: StreetKind


@dataclass(frozen=True, slots=True)
class District:
    """A county-level division of today's 营口市."""

    code: str
    name_zh: str
    name_en: str
    population_share: float
    streets: tuple[Street, ...]
    # (first birth year, code) pairs, oldest first: the region code a resident of this
    # district born in that year or later carries, until the next pair takes over.
    id_codes: tuple[tuple[int, str], ...]

    def id_region_code(self, birth_year: int) -> str:
        """The region code of an ID issued to someone of this district born that year."""
        code = self.id_codes[0][1]
        for first_year, later_code in self.id_codes:
            if birth_year >= first_year:
                code = later_code
        return code


# Every 2108xx code python-stdnum knows, with its years (loc.dat: "[1983-]站前区").
DIVISION_CODES: Final[tuple[DivisionCode, ...]] = (
    DivisionCode("210802", "站前区", 1983, None),
    DivisionCode("210803", "西市区", 1983, None),
    DivisionCode("210804", "鲅鱼圈区", 1986, None),
    DivisionCode("210811", "郊区", 1983, 1983),
    DivisionCode("210811", "老边区", 1984, None),
    DivisionCode("210812", "鲅鱼圈区", 1984, 1986),
    DivisionCode("210820", "市区", None, 1983),
    DivisionCode("210821", "营口县", None, 1992),
    DivisionCode("210822", "盘山县", None, 1984),
    DivisionCode("210823", "大洼县", None, 1984),
    DivisionCode("210824", "盖县", None, 1992),
    DivisionCode("210881", "盖州市", 1992, None),
    DivisionCode("210882", "大石桥市", 1992, None),
)


def _streets(district_code: str, entries: str) -> tuple[Street, ...]:
    """Parse ``"001八田地街道 002建丰街道 …"``: 3-digit suffix, then the name."""
    kinds: dict[str, StreetKind] = {"街道": "subdistrict", "镇": "town", "乡": "township"}
    streets = []
    for entry in entries.split():
        suffix, name = entry[:3], entry[3:]
        kind = next(k for ending, k in kinds.items() if name.endswith(ending))
        streets.append(Street(district_code + suffix, name, kind))
    return tuple(streets)


DISTRICTS: Final[tuple[District, ...]] = (
    District(
        "210802",
        "站前区",
        "Zhanqian District",
        0.116,
        _streets(
            "210802", "001八田地街道 002建丰街道 003建设街道 004跃进街道 007新建街道 008东兴街道"
        ),
        # Before 1983 the city's urban area was one code, 市区.
        ((0, "210820"), (1983, "210802")),
    ),
    District(
        "210803",
        "西市区",
        "Xishi District",
        0.085,
        _streets("210803", "002清华街道 003滨海街道 004得胜街道 005五台子街道 006渔市街道"),
        ((0, "210820"), (1983, "210803")),
    ),
    District(
        "210804",
        "鲅鱼圈区",
        "Bayuquan District",
        0.208,
        _streets("210804", "001红海街道 002海星街道 003望海街道 100熊岳镇 101芦屯镇 102红旗镇"),
        # Carved out of 盖县 in 1984 as 210812, renumbered 210804 in 1986.
        ((0, "210824"), (1984, "210812"), (1986, "210804")),
    ),
    District(
        "210811",
        "老边区",
        "Laobian District",
        0.073,
        _streets("210811", "001老边街道 101路南镇 102柳树镇 103边城镇"),
        # 210811 was 郊区 in 1983 and 老边区 from 1984; earlier it was part of 市区.
        ((0, "210820"), (1983, "210811")),
    ),
    District(
        "210881",
        "盖州市",
        "Gaizhou City",
        0.243,
        _streets(
            "210881",
            "001鼓楼街道 002西城街道 003东城街道 004太阳升街道 005团山街道 006西海街道"
            " 007九垄地街道 008归州街道 102高屯镇 105沙岗镇 109九寨镇 110万福镇"
            " 111卧龙泉镇 112青石岭镇 113暖泉镇 116榜式堡镇 117团甸镇 118双台镇"
            " 119杨运镇 120徐屯镇 121什字街镇 122矿洞沟镇 123陈屯镇 124梁屯镇"
            " 216小石棚乡 217果园乡 218二台乡",
        ),
        # 盖县 became the county-level city 盖州市 in 1992.
        ((0, "210824"), (1992, "210881")),
    ),
    District(
        "210882",
        "大石桥市",
        "Dashiqiao City",
        0.275,
        _streets(
            "210882",
            "003金桥街道 004钢都街道 005百寨街道 006镁都街道 101水源镇 102沟沿镇"
            " 103石佛镇 104高坎镇 105旗口镇 106虎庄镇 107官屯镇 112博洛铺镇"
            " 113永安镇 114汤池镇 115建一镇 116黄土岭镇 117周家镇",
        ),
        # 营口县 became the county-level city 大石桥市 in 1992.
        ((0, "210821"), (1992, "210882")),
    ),
)

DISTRICT_BY_CODE: Final = {d.code: d for d in DISTRICTS}

# Roads for street addresses in subdistricts; villages (村) for towns and townships are
# made from the two lists after them, the way names in the Liaohe plain are formed
# (王家屯, 大岭, 前高丽城子 …).
ROADS_ZH: Final = (
    "渤海大街",
    "辽河大街",
    "金牛山大街",
    "学府路",
    "市府路",
    "新华路",
    "英华路",
    "盼盼路",
    "民主路",
    "东升路",
    "平安路",
    "繁荣路",
    "胜利街",
    "团结路",
    "建设街",
    "跃进街",
    "永远街",
    "公园路",
    "滨海路",
    "清华路",
    "得胜路",
    "海星路",
    "红海路",
    "望海路",
    "昆仑大街",
    "黄河路",
    "长江路",
    "泰山路",
    "熊岳大街",
    "鼓楼路",
    "西海路",
    "团山路",
    "钢都大街",
    "镁都路",
    "石桥大街",
    "青花大街",
    "哈大路",
    "沈大路",
    "站前路",
    "港湾路",
)
VILLAGE_HEADS_ZH: Final = (
    "王家",
    "李家",
    "张家",
    "刘家",
    "赵家",
    "孙家",
    "于家",
    "高家",
    "杨家",
    "徐家",
    "马家",
    "董家",
    "前",
    "后",
    "东",
    "西",
    "南",
    "北",
    "大",
    "小",
    "新",
    "老",
    "三道",
    "二道",
)
VILLAGE_TAILS_ZH: Final = (
    "屯",
    "堡",
    "沟",
    "岭",
    "台",
    "窝棚",
    "甸子",
    "岗",
    "房",
    "营",
    "寨",
    "坎",
    "山",
    "河",
    "泡子",
    "店",
)


def id_region_code(district_code: str, birth_year: int) -> str:
    """The ID region code of a resident of today's district born in ``birth_year``."""
    return DISTRICT_BY_CODE[district_code].id_region_code(birth_year)


def division_code_in_force(code: str, year: int) -> bool:
    """Whether ``code`` was a 营口 county-level code in ``year`` (per python-stdnum)."""
    return any(d.code == code and d.in_force(year) for d in DIVISION_CODES)
