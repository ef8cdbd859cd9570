"""Hand-built source files with known defects, and exactly what a check must find in them.

Residents (16 data rows) and enterprises (6 data rows), written as UTF-8 CSV (with or
without a byte-order mark), GB18030 CSV, Excel and Parquet. Each defect is placed by hand
on a known row; the rest are clean, some only once cleaned (full-width digits, a lower-case
``x`` check character, ``+86``/``0086`` mobiles, Chinese and slashed dates, full-width
spaces inside a name).

Resident ID numbers are built from 17-digit bodies with python-stdnum's check character,
so the oracle here is independent of the code under test.
"""

from __future__ import annotations

import csv
import io
from pathlib import Path
from typing import Any, Final

import pyarrow as pa
import pyarrow.parquet as pq
from stdnum.cn import ric

from sluice.core.checksums import USCC_ALPHABET


def resident_id(body: str) -> str:
    """A valid resident ID number for a 17-digit body (check character from stdnum)."""
    return body + ric.calc_check_digit(body + "0")  # stdnum ignores the last character


def uscc(body: str) -> str:
    """A valid credit code for a 17-character body (GB 32100, computed here by hand)."""
    weights = [pow(3, i, 31) for i in range(17)]
    total = sum(USCC_ALPHABET.index(c) * w for c, w in zip(body, weights, strict=True))
    return body + USCC_ALPHABET[(31 - total % 31) % 31]


def _wrong_check(code: str) -> str:
    return code[:-1] + ("0" if code[-1] != "0" else "1")


_FULL_WIDTH = {ord(c): ord(c) + 0xFEE0 for c in "0123456789"}

ID1 = resident_id("21080219900101000")
ID2 = resident_id("21080219900101001")
ID3 = resident_id("21080219900101003")  # check character X
ID4 = resident_id("21080219900101002")
ID5 = resident_id("21080219900101004")
ID6 = resident_id("21080219900101005")
ID7 = resident_id("21080219900101006")
ID8 = resident_id("21080219900101007")
ID9 = resident_id("21080219900101008")
ID10 = resident_id("21080219900101009")
ID11 = resident_id("21080219900101010")
ID12 = resident_id("21080219900101011")  # check character X
ID13 = resident_id("21080219900101012")
BAD_CHECK_ID = _wrong_check(ID5)
BAD_BIRTH_ID = resident_id("21080219900230001")  # right check character, 30 February
NOT_A_RESIDENT = resident_id("21080319850612002")
assert ID3.endswith("X") and ID12.endswith("X")

RESIDENTS_SCHEMA: Final[dict[str, Any]] = {
    "fields": [
        {
            "name": "id_number",
            "type": "id_number",
            "class": "identifier",
            "required": True,
            "unique": True,
        },
        {"name": "name", "type": "person_name", "class": "identifier", "required": True},
        {"name": "mobile", "type": "mobile", "class": "identifier"},
        {"name": "birth_date", "type": "date", "class": "sensitive", "required": True},
        {"name": "registered_on", "type": "date", "class": "internal"},
        {
            "name": "district",
            "type": "enum",
            "class": "public",
            "values": ["210802", "210803", "210804", "210811"],
        },
        {"name": "gender", "type": "enum", "class": "internal", "values": ["1", "2"]},
    ]
}
RESIDENTS_HEADER: Final = [f["name"] for f in RESIDENTS_SCHEMA["fields"]]

#: Data rows in order (row number = position + 1); a string is a raw, broken line.
RESIDENTS_ROWS: Final[list[list[str] | str]] = [
    # 1: clean
    [ID1, "张伟", "13800138000", "1990-01-01", "2020-05-01", "210802", "1"],
    # 2: clean once cleaned: full-width digits, a slashed date
    [ID2.translate(_FULL_WIDTH), "李娜", "13900139000", "1990/1/1", "2020-05-02", "210803", "2"],
    # 3: clean once cleaned: lower-case x, a Chinese date, a compact date
    [ID3.lower(), "王芳", "15000150000", "1990年1月1日", "20200503", "210804", "2"],
    # 4: clean once cleaned: +86 and spaces in the mobile, a compact date
    [ID4, "刘洋", "+86 186 0018 6000", "19900101", "2020-05-04", "210811", "1"],
    # 5: wrong check character
    [BAD_CHECK_ID, "陈静", "13700137000", "1990-01-01", "", "210802", "2"],
    # 6: mobile starting with 12
    [ID6, "杨磊", "12345678901", "1990-01-01", "2020-05-06", "210802", "1"],
    # 7: the ID of row 1 again (with spaces around it)
    [f" {ID1} ", "赵敏", "13800138001", "1990-01-01", "2020-05-07", "210803", "2"],
    # 8: name missing
    [ID7, "", "13800138002", "1990-01-01", "2020-05-08", "210804", "1"],
    # 9: optional mobile missing: not a failure
    [ID8, "黄强", "", "1990-01-01", "2020-05-09", "210811", "1"],
    # 10: a date that does not exist
    [ID9, "周杰", "13800138003", "1990-02-30", "2020-05-10", "210802", "1"],
    # 11: a broken row (three fields)
    "210802199001010993,吴刚,13800138004",
    # 12: district not among the allowed codes
    [ID10, "徐丽", "13800138005", "1990-01-01", "2020-05-12", "999999", "2"],
    # 13: two defects: name missing and a 10-digit mobile
    [ID11, "", "1380013800", "1990-01-01", "2020-05-13", "210802", "1"],
    # 14: clean once cleaned: 0086 and dashes, a dotted date, a compound surname
    [ID12, "欧阳娜娜", "0086 138-0013-8006", "1990-01-01", "2020.05.14", "210803", "2"],
    # 15: clean once cleaned: full-width spaces inside and around the name
    [ID13, "\u3000孙\u3000丽 ", "13800138007", "1990-01-01", "2020-05-15", "210804", "1"],
    # 16: right check character, impossible birth date (30 February)
    [BAD_BIRTH_ID, "郑爽", "13800138008", "1990-01-01", "2020-05-16", "210811", "2"],
]

RESIDENTS_EXPECTED: Final[dict[str, Any]] = {
    "rows_total": 16,
    "rows_rejected": 9,
    "failures": {
        "id_number": {"id_number": 2, "unique": 1},
        "name": {"required": 2},
        "mobile": {"mobile": 2},
        "birth_date": {"date": 1},
        "district": {"enum": 1},
        "_row": {"malformed_row": 1},
    },
}
RESIDENTS_REASONS: Final[dict[int, list[str]]] = {
    5: ["id_number:id_number"],
    6: ["mobile:mobile"],
    7: ["id_number:unique"],
    8: ["name:required"],
    10: ["birth_date:date"],
    11: ["_row:malformed_row"],
    12: ["district:enum"],
    13: ["name:required", "mobile:mobile"],
    16: ["id_number:id_number"],
}
RESIDENTS_ACCEPTED: Final = [1, 2, 3, 4, 9, 14, 15]
#: The accepted residents' ID numbers, as the tokens must represent them (cleaned).
RESIDENTS_ACCEPTED_IDS: Final = [ID1, ID2, ID3, ID4, ID8, ID12, ID13]

ENTERPRISES_SCHEMA: Final[dict[str, Any]] = {
    "fields": [
        {"name": "uscc", "type": "uscc", "class": "identifier", "required": True, "unique": True},
        {"name": "company", "type": "text", "class": "public", "required": True},
        {"name": "legal_rep_id", "type": "id_number", "class": "identifier", "required": True},
        {"name": "legal_rep", "type": "person_name", "class": "identifier"},
        {"name": "address", "type": "address", "class": "identifier"},
        {"name": "capital", "type": "decimal", "class": "public", "scale": 2, "min": 0},
        {"name": "established_on", "type": "date", "class": "public"},
    ]
}
ENTERPRISES_HEADER: Final = [f["name"] for f in ENTERPRISES_SCHEMA["fields"]]
USCC1 = uscc("91210800MA0QABC12")
USCC2 = uscc("91210800MA0QABC34")
USCC3 = uscc("91210800MA0QABD56")
USCC4 = uscc("91210800MA0QABE78")
USCC5 = uscc("92210800MA0QABF90")
BAD_USCC = _wrong_check(uscc("91210800MA0QABG11"))

ENTERPRISES_ROWS: Final[list[list[str] | str]] = [
    # 1: clean; its legal representative is resident row 1
    [USCC1, "营口港务集团有限公司", ID1, "张伟", "辽宁省营口市站前区建设街道渤海大街12号",
     "1000000.00", "2001-03-15"],
    # 2: wrong credit-code check character
    [BAD_USCC, "营口渤海机械有限公司", ID2, "李娜", "辽宁省营口市西市区胜利街道辽河大街8号",
     "500000", "2010-06-01"],
    # 3: clean once upper-cased; legal representative not among the residents
    [USCC3.lower(), "营口鲅鱼圈物流有限公司", NOT_A_RESIDENT, "钱进",
     "辽宁省营口市鲅鱼圈区海星街道平安路3号", "200000.5", "2015-09-09"],
    # 4: negative registered capital
    [USCC4, "营口老边农机合作社", ID4, "刘洋", "辽宁省营口市老边区柳树镇柳树村",
     "-5", "2018-01-20"],
    # 5: clean (thousands separators); legal representative's resident row was rejected
    [USCC5, "营口盖州果业有限公司", ID5, "陈静", "辽宁省盖州市西城街道果园路1号",
     "1,234,567.89", "2019-04-04"],
    # 6: the credit code of row 1 again
    [USCC1, "营口港务集团有限公司（重复）", ID1, "张伟", "辽宁省营口市站前区建设街道渤海大街12号",
     "1000000.00", "2001-03-15"],
]  # fmt: skip

ENTERPRISES_EXPECTED: Final[dict[str, Any]] = {
    "rows_total": 6,
    "rows_rejected": 3,
    "failures": {"uscc": {"uscc": 1, "unique": 1}, "capital": {"range": 1}},
}
ENTERPRISES_REASONS: Final[dict[int, list[str]]] = {
    2: ["uscc:uscc"],
    4: ["capital:range"],
    6: ["uscc:unique"],
}
#: Accepted enterprise rows whose legal representative is not an accepted resident.
ENTERPRISES_INCONSISTENT: Final = [3, 5]


def csv_bytes(header: list[str], rows: list[list[str] | str], encoding: str = "utf-8") -> bytes:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(header)
    for row in rows:
        if isinstance(row, str):
            out.write(row + "\n")
        else:
            writer.writerow(row)
    return out.getvalue().encode(encoding)


def write_csv(
    path: Path,
    header: list[str],
    rows: list[list[str] | str],
    *,
    encoding: str = "utf-8",
    bom: bool = False,
) -> Path:
    data = csv_bytes(header, rows, encoding)
    path.write_bytes((b"\xef\xbb\xbf" if bom else b"") + data)
    return path


def write_xlsx(path: Path, header: list[str], rows: list[list[str] | str]) -> Path:
    """The rows as a sheet; a broken row becomes a row with a value beyond the header."""
    import openpyxl

    workbook = openpyxl.Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet.append(header)
    for row in rows:
        if isinstance(row, str):
            cells: list[Any] = row.split(",")
            cells += [""] * (len(header) - len(cells)) + ["stray value"]
            sheet.append(cells)
        else:
            sheet.append(row)
    workbook.save(path)
    return path


def write_parquet(path: Path, header: list[str], rows: list[list[str] | str]) -> Path:
    """The well-formed rows as a Parquet file of strings (Parquet has no broken rows)."""
    good = [row for row in rows if not isinstance(row, str)]
    pq.write_table(pa.table({name: [r[i] for r in good] for i, name in enumerate(header)}), path)
    return path


def identifier_values(
    header: list[str], rows: list[list[str] | str], schema: dict[str, Any]
) -> set[str]:
    """Every identifier value of the source, as written and as cleaned (trimmed, half-width,
    upper-cased, mobiles without separators and country code)."""
    names = [f["name"] for f in schema["fields"] if f.get("class") == "identifier"]
    values: set[str] = set()
    for row in rows:
        cells = row.split(",") if isinstance(row, str) else row
        for name in names:
            index = header.index(name)
            if index >= len(cells) or not cells[index].strip():
                continue
            raw = cells[index]
            values.add(raw)
            plain = raw.translate({o + 0xFEE0: o for o in range(0x21, 0x7F)})
            plain = plain.replace("\u3000", " ").strip()
            values.add(plain)
            values.add(plain.upper())
            compact = "".join(ch for ch in plain if ch not in " -")
            values.add(compact)
            for prefix in ("+86", "0086", "86"):
                if compact.startswith(prefix) and len(compact) - len(prefix) == 11:
                    values.add(compact[len(prefix) :])
            values.add("".join(plain.split()))
    return {v for v in values if len(v) >= 2}
