"""Workbooks are measured as a stream before they are opened: the grid calamine would lay
out, the bytes they unpack to, and a bomb refused after its first chunks (R8.3)."""

from __future__ import annotations

import zipfile
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from python_calamine import CalamineWorkbook

from sluice.dataplane import expansion
from sluice.dataplane.expansion import Grid, check_workbook, measure
from sluice.dataplane.readers import (
    EXCEL_MAX_ROWS,
    ExpandsTooFar,
    ReadLimits,
    SourceError,
    TooManyRows,
    read_source,
)

_PARTS = {
    "[Content_Types].xml": (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
        '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
        '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.'
        'relationships+xml"/><Default Extension="xml" ContentType="application/xml"/>'
        '<Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-'
        'officedocument.spreadsheetml.sheet.main+xml"/><Override PartName="/xl/worksheets/'
        'sheet1.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.'
        'worksheet+xml"/></Types>'
    ),
    "_rels/.rels": (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
        '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
        '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/'
        'relationships/officeDocument" Target="xl/workbook.xml"/></Relationships>'
    ),
    "xl/workbook.xml": (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
        '<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" '
        'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships">'
        '<sheets><sheet name="Sheet1" sheetId="1" r:id="rId1"/></sheets></workbook>'
    ),
    "xl/_rels/workbook.xml.rels": (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
        '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
        '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/'
        'relationships/worksheet" Target="worksheets/sheet1.xml"/></Relationships>'
    ),
}
SHEET_HEAD = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
    '<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>'
)
SHEET_TAIL = "</sheetData></worksheet>"


def xlsx(path: Path, rows: str | bytes) -> Path:
    """A minimal .xlsx whose only sheet holds ``rows`` (the XML inside ``sheetData``)."""
    body = rows.encode() if isinstance(rows, str) else rows
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as archive:
        for name, text in _PARTS.items():
            archive.writestr(name, text)
        archive.writestr(
            "xl/worksheets/sheet1.xml", SHEET_HEAD.encode() + body + SHEET_TAIL.encode()
        )
    return path


def cell(ref: str | None, value: str) -> str:
    at = f' r="{ref}"' if ref else ""
    return f'<c{at} t="inlineStr"><is><t>{value}</t></is></c>'


def _calamine_grid(path: Path) -> Grid:
    sheet = CalamineWorkbook.from_path(str(path)).get_sheet_by_index(0)
    if sheet.height == 0:
        return Grid(0, 0)
    end_row, end_col = sheet.end
    return Grid(end_row + 1, end_col + 1)


def test_the_grid_is_the_one_calamine_lays_out(tmp_path: Path) -> None:
    rows = (
        '<row r="1">' + cell("A1", "a") + cell(None, "b") + "</row>"  # B1 follows A1
        "<row>" + cell(None, "c") + cell("D2", "d") + cell(None, "e") + "</row>"  # row 2
        '<row r="7" spans="1:3">' + cell("b7", "f") + "</row>"  # lower-case column letters
    )
    path = xlsx(tmp_path / "book.xlsx", rows)
    assert measure((SHEET_HEAD + rows + SHEET_TAIL).encode()) == Grid(7, 5)
    assert _calamine_grid(path) == Grid(7, 5)


@st.composite
def _layouts(draw: Any) -> str:
    """Sheets written the way real tools write them (rows and cells in order), with and
    without ``r`` attributes, namespace prefixes and attribute orders mixed."""
    prefix = draw(st.sampled_from(["", "x:"]))
    out, row = [], 0
    for _ in range(draw(st.integers(1, 6))):
        row += draw(st.integers(1, 4))
        attrs = f' r="{row}"' if draw(st.booleans()) else ""
        column, cells = 0, []
        for _ in range(draw(st.integers(0, 5))):
            column += draw(st.integers(1, 3))
            letters = ""
            number = column
            while number:
                number, rest = divmod(number - 1, 26)
                letters = chr(65 + rest) + letters
            if draw(st.booleans()):
                order = draw(st.booleans())
                attrs_c = (
                    f' r="{letters}{row}" t="inlineStr"'
                    if order
                    else f' t="inlineStr" r="{letters}{row}"'
                )
            else:
                attrs_c = ' t="inlineStr"'
            cells.append(
                f"<{prefix}c{attrs_c}><{prefix}is><{prefix}t>v</{prefix}t></{prefix}is></{prefix}c>"
            )
        out.append(f"<{prefix}row{attrs}>{''.join(cells)}</{prefix}row>")
    return "".join(out)


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(rows=_layouts())
def test_the_measured_grid_is_calamines_for_sheets_written_in_order(
    tmp_path: Path, rows: str
) -> None:
    path = xlsx(tmp_path / "drawn.xlsx", rows)
    assert measure((SHEET_HEAD + rows + SHEET_TAIL).encode()) == _calamine_grid(path)


def test_a_small_workbook_that_claims_three_million_rows_is_refused_unopened(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The kind of file that grew the server by 1.85 GB: a few hundred bytes claiming a
    sheet of 3,000,000 rows. Refused at Excel's own limit, with the default caps, without
    calamine ever opening it."""
    path = xlsx(tmp_path / "claims.xlsx", '<row r="1">' + cell("A1", "id") + "</row>"
                '<row r="3000000">' + cell("A3000000", "x") + "</row>")  # fmt: skip
    assert path.stat().st_size < 2_000

    def never(*_: Any, **__: Any) -> None:
        raise AssertionError("calamine must not open a refused workbook")

    monkeypatch.setattr(CalamineWorkbook, "from_path", never)
    with pytest.raises(TooManyRows) as refused:
        read_source(path)
    assert refused.value.code == "upload_too_many_rows"
    assert refused.value.params == {"limit": f"{EXCEL_MAX_ROWS:,}"}


def test_a_sheet_over_the_row_cap_is_refused_after_its_first_chunks(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    rows = "".join(f'<row r="{n}">{cell(f"A{n}", str(n))}</row>' for n in range(1, 40_001))
    path = xlsx(tmp_path / "long.xlsx", rows)
    sheet_bytes = zipfile.ZipFile(path).getinfo("xl/worksheets/sheet1.xml").file_size
    read: list[int] = []
    real_read = zipfile.ZipExtFile.read

    def counting(self: zipfile.ZipExtFile, n: int = -1) -> bytes:
        data = real_read(self, n)
        read.append(len(data))
        return data

    monkeypatch.setattr(zipfile.ZipExtFile, "read", counting)
    monkeypatch.setattr(expansion, "CHUNK_BYTES", 1 << 16)

    with pytest.raises(TooManyRows) as refused:
        check_workbook(path, ReadLimits(max_rows=100))

    assert refused.value.params == {"limit": "100"}
    assert sum(read) < sheet_bytes / 10  # stopped long before the end of the sheet


@pytest.mark.parametrize(
    ("far", "rows", "columns"),
    [
        ("XFD1", 1, 16_384),  # 16,384 cells of 32 bytes: 0.5 MB, over the 0.25 MB cap
        ("ZZ200000", 200_000, 702),  # 140 million cells: 4.5 GB once laid out
    ],
)
def test_two_cells_far_apart_are_refused_for_the_grid_they_span(
    tmp_path: Path, far: str, rows: int, columns: int
) -> None:
    far_row = f'<row r="{rows}">{cell(far, "b")}</row>'
    path = xlsx(tmp_path / "sparse.xlsx", '<row r="1">' + cell("A1", "a") + "</row>" + far_row)
    assert path.stat().st_size < 2_000
    with pytest.raises(ExpandsTooFar) as refused:
        check_workbook(path, ReadLimits(max_rows=1 << 30, max_bytes=1 << 18))
    assert refused.value.code == "upload_expands_too_far"
    assert f"a {rows} x {columns} grid" in str(refused.value)


def test_unpacked_bytes_are_counted_as_they_come_not_as_declared(tmp_path: Path) -> None:
    text = "x" * 300_000  # one cell: 300 KB of XML, a few hundred bytes packed
    path = xlsx(tmp_path / "fat.xlsx", '<row r="1">' + cell("A1", text) + "</row>")
    with pytest.raises(ExpandsTooFar):
        check_workbook(path, ReadLimits(max_bytes=200_000))
    check_workbook(path, ReadLimits(max_bytes=400_000))  # under the cap: fine


@pytest.mark.parametrize(
    "rows",
    [
        '<row r="1"><c r="AAAA1"><v>1</v></c></row>',  # four column letters
        '<row r="1"><c r="A0"><v>1</v></c></row>',  # row 0
        '<row r="1"><c r="A12345678"><v>1</v></c></row>',  # eight digits
        '<row r="1"><c r="&#65;1"><v>1</v></c></row>',  # an entity calamine would not read
    ],
)
def test_references_no_spreadsheet_writes_are_refused(tmp_path: Path, rows: str) -> None:
    with pytest.raises(SourceError) as refused:
        check_workbook(xlsx(tmp_path / "odd.xlsx", rows), ReadLimits())
    assert refused.value.key in {"source.bad_workbook", "source.too_many_rows"}


def test_hidden_markup_only_makes_the_bound_cruder(tmp_path: Path) -> None:
    """A comment could hide a row's end from the scan; the part is then bounded by its
    highest reference plus every row end and every cell without a reference."""
    rows = (
        '<row r="1">' + cell("A1", "a") + "</row><!-- </row> -->"
        "<row>" + cell(None, "b") + cell(None, "c") + "</row>"
    )
    grid = measure((SHEET_HEAD + rows + SHEET_TAIL).encode())
    path = xlsx(tmp_path / "commented.xlsx", rows)
    theirs = _calamine_grid(path)
    assert grid.rows >= theirs.rows and grid.columns >= theirs.columns
