"""The agreement as a document: what the HTML page and the PDF show, and the font refusal."""

from __future__ import annotations

import dataclasses
import hashlib
import io
import os
import re
import subprocess
import sys
import textwrap
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pypdf
import pytest

from sluice.authorizations.document_render import (
    AgreementDocument,
    DocumentClause,
    DocumentParty,
    DocumentScopeItem,
    DocumentSignature,
    chinese_number,
    render_html,
    render_pdf,
)
from sluice.core.printing import hex_lines
from tests.authorizations import layout

BUREAU = DocumentParty("bureau", "营口市数据局", "11210800MB0000001X")
OPERATOR = DocumentParty("operator", "营口城市数据运营有限公司", "91210800MA0OPER01Y")
#: Distinct, realistic-length values (SM2 public key 65 bytes, signature 64 bytes).
BUREAU_KEY = "04" + hashlib.sha512(b"bureau key").hexdigest()
BUREAU_SIGNATURE = hashlib.sha512(b"bureau signature").hexdigest()
OPERATOR_KEY = "04" + hashlib.sha512(b"operator key").hexdigest()
OPERATOR_SIGNATURE = hashlib.sha512(b"operator signature").hexdigest()
DIGEST = hashlib.sha256(b"canonical form").hexdigest()

CLAUSES = [
    DocumentClause(
        "security",
        "安全管理与风险监测",
        "乙方应当建立数据安全管理制度，对数据加工使用全过程进行风险监测。\n发生安全事件的，"
        "乙方应当在二小时内报告甲方。",
    ),
    DocumentClause("revenue", "核算与收益分配", "授权运营收益按年度核算，分配比例为百分之三十。"),
    DocumentClause("disputes", "争议解决", "因本协议产生的争议，双方协商解决。"),
]


def bureau_signature() -> DocumentSignature:
    return DocumentSignature(
        party_role="bureau",
        party_name=BUREAU.name,
        signer="张明",
        signed_at=datetime(2026, 11, 27, 2, 30, tzinfo=UTC),  # 10:30 in Yingkou
        algorithm="SM2-with-SM3",
        public_key_hex=BUREAU_KEY,
        signature_hex=BUREAU_SIGNATURE,
    )


def operator_signature() -> DocumentSignature:
    return DocumentSignature(
        party_role="operator",
        party_name=OPERATOR.name,
        signer="李华",
        signed_at=datetime(2026, 11, 28, 1, 5, tzinfo=UTC),
        algorithm="SM2-with-SM3",
        public_key_hex=OPERATOR_KEY,
        signature_hex=OPERATOR_SIGNATURE,
    )


def scope_items(count: int) -> list[DocumentScopeItem]:
    return [
        DocumentScopeItem(
            entry_code=f"YK-SCJG-{n:04d}",
            title=f"企业登记信息第{n}批",
            provider="营口市市场监督管理局",
            open_level="有条件开放",
            grade="第二级",
        )
        for n in range(1, count + 1)
    ]


def agreement(**changes: object) -> AgreementDocument:
    document = AgreementDocument(
        number="营数授〔2026〕1号",
        version=1,
        title="公共数据授权运营协议",
        bureau=BUREAU,
        operator=OPERATOR,
        mode_label="依场景授权",
        scenario="中小企业信用画像",
        purpose="为本市金融机构提供中小企业信用评估服务",
        domain_label="市场监管",
        rights=["数据加工使用权", "数据产品经营权"],
        rights_excluded_note="本协议不转让公共数据的所有权，也不授予数据资源持有权。",
        term_start=date(2026, 12, 1),
        term_end=date(2029, 11, 30),
        term_years=3,
        scope=scope_items(3),
        clauses=CLAUSES,
        canonical_digest=DIGEST,
        signatures=[bureau_signature(), operator_signature()],
        approved_by="2026年第12次局务会（三重一大）",
        changes=[],
    )
    return dataclasses.replace(document, **changes)  # type: ignore[arg-type]


def compact(text: str) -> str:
    """Text without tags or whitespace, so grouped hex reads as one value again."""
    return re.sub(r"\s+", "", re.sub(r"<[^>]+>", "", text))


# --- HTML ---------------------------------------------------------------------------------


def test_user_text_is_shown_as_text_never_as_markup() -> None:
    html = render_html(agreement(scenario="<script>alert('x')</script>信用画像"))

    assert "<script>" not in html
    assert "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;信用画像" in html


def test_the_page_names_both_parties_with_their_credit_codes() -> None:
    html = render_html(agreement())

    for party in (BUREAU, OPERATOR):
        assert party.name in html
        assert party.credit_code is not None
        assert party.credit_code in html
    assert "授权方（甲方）" in html
    assert "被授权运营方（乙方）" in html
    assert "营数授〔2026〕1号" in html
    assert "决策依据：2026年第12次局务会（三重一大）" in html


def test_articles_are_numbered_in_chinese_and_clauses_follow_the_fixed_articles() -> None:
    text = compact(render_html(agreement()))

    assert "第一条授权方式与应用场景" in text
    assert "应用场景中小企业信用画像" in text
    assert "第二条授予的权利" in text
    assert "数据加工使用权数据产品经营权本协议不转让公共数据的所有权" in text
    assert "第三条授权期限自2026年12月1日起至2029年11月30日止，期限3年。" in text
    assert "第四条数据资源范围" in text
    assert "第五条安全管理与风险监测" in text
    assert "第六条核算与收益分配" in text
    assert "第七条争议解决因本协议产生的争议，双方协商解决。" in text
    assert "第八条" not in text


def test_every_clause_title_and_text_and_every_scope_entry_is_on_the_page() -> None:
    scope = scope_items(12)
    html = render_html(agreement(scope=scope))

    for clause in CLAUSES:
        assert clause.title in html
        assert clause.text in html
    for item in scope:
        assert f'<td class="code">{item.entry_code}</td>' in html
        assert f"<td>{item.title}</td>" in html
    assert "本协议授权的数据资源共 12 项" in html


@pytest.mark.parametrize(
    ("n", "words"),
    [
        (1, "一"),
        (10, "十"),
        (11, "十一"),
        (20, "二十"),
        (21, "二十一"),
        (99, "九十九"),
        (100, "一百"),
        (105, "一百零五"),
        (110, "一百一十"),
    ],
)
def test_chinese_article_numbers(n: int, words: str) -> None:
    assert chinese_number(n) == words


def test_hex_is_grouped_in_eights_eight_groups_a_line() -> None:
    first, second = (
        " ".join(BUREAU_KEY[i : i + 8] for i in range(start, start + 64, 8)) for start in (0, 64)
    )
    assert hex_lines(BUREAU_KEY) == [first, second, BUREAU_KEY[128:]]
    assert first.count(" ") == 7 and len(first) == 71
    assert hex_lines("ab cd\nef") == ["abcdef"]


def signature_blocks(html: str) -> tuple[str, str]:
    """The bureau's and the operator's signature blocks, in that order."""
    bureau_start = html.index(f"授权方（甲方）：{BUREAU.name}</h3>")
    operator_start = html.index(f"被授权运营方（乙方）：{OPERATOR.name}</h3>")
    digest_start = html.index('<div class="digest">')
    return html[bureau_start:operator_start], html[operator_start:digest_start]


def hex_shown(block: str) -> list[str]:
    return re.findall(r'<span class="hex-line">([^<]*)</span>', block)


def test_signatures_show_signer_time_algorithm_key_and_value_per_party() -> None:
    html = render_html(agreement())
    bureau_block, operator_block = signature_blocks(html)

    assert "签署人</dt><dd>张明" in bureau_block
    assert "2026年11月27日 10:30" in bureau_block  # 02:30 UTC read in Asia/Shanghai
    assert "签署人</dt><dd>李华" in operator_block
    assert "2026年11月28日 09:05" in operator_block
    assert "SM2-with-SM3" in bureau_block and "SM2-with-SM3" in operator_block
    assert hex_shown(bureau_block) == hex_lines(BUREAU_KEY) + hex_lines(BUREAU_SIGNATURE)
    assert hex_shown(operator_block) == hex_lines(OPERATOR_KEY) + hex_lines(OPERATOR_SIGNATURE)
    assert DIGEST in compact(html[html.index('<div class="digest">') :])
    assert "（未签署）" not in html


def test_a_party_that_has_not_signed_shows_an_empty_signature_line() -> None:
    html = render_html(agreement(signatures=[bureau_signature()]))
    bureau_block, operator_block = signature_blocks(html)

    assert html.count("（未签署）") == 1
    assert '<span class="signature-line"></span>（未签署）' in operator_block
    assert hex_shown(operator_block) == []
    assert BUREAU_SIGNATURE in compact(bureau_block)


def test_changes_section_appears_only_when_there_are_changes() -> None:
    first = render_html(agreement())
    second = render_html(
        agreement(version=2, changes=["新增数据资源 2 项", "授权期限延长至2030年11月30日"])
    )

    assert "版本变更" not in first
    assert "第 1 版" in first
    text = compact(second)
    assert "版本变更本版（第2版）相对上一版的变更：" in text
    assert "新增数据资源2项授权期限延长至2030年11月30日" in text
    assert text.index("第七条") < text.index("版本变更") < text.index("签署授权方（甲方）")


def test_english_locale_uses_english_headings_and_keeps_clause_texts() -> None:
    html = render_html(agreement(locale="en"))
    text = compact(html)

    assert '<html lang="en">' in html
    assert "Article1Modeandscenario" in text
    assert "Article5安全管理与风险监测" in text
    assert "Authorizedoperator(PartyB):营口城市数据运营有限公司" in text
    assert "From2026-12-01to2029-11-30(3-yearterm)." in text
    assert "Signedby张明" in text
    assert "Signedat(Beijingtime)2026-11-2710:30" in text
    assert CLAUSES[0].text in html
    assert "第一条" not in html and "签署人" not in html
    assert '"Page\\000020" counter(page) "\\000020of\\000020" counter(pages)' in html


def test_a_signing_time_without_a_zone_is_refused() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        dataclasses.replace(bureau_signature(), signed_at=datetime(2026, 11, 27, 10, 30))


# --- PDF ----------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def pdf() -> pypdf.PdfReader:
    """One 60-resource agreement with the operator not yet signed, rendered once."""
    document = agreement(
        version=2,
        scope=scope_items(60),
        signatures=[bureau_signature()],
        changes=["新增数据资源 57 项"],
    )
    return pypdf.PdfReader(io.BytesIO(render_pdf(document)))


def pdf_text(reader: pypdf.PdfReader) -> str:
    return "\n".join(page.extract_text() for page in reader.pages)


def test_the_pdf_shows_the_chinese_text_and_the_signature(pdf: pypdf.PdfReader) -> None:
    text = pdf_text(pdf)
    flat = re.sub(r"\s+", "", text)

    assert OPERATOR.name in text
    assert "第五条" in text
    assert re.sub(r"\s+", "", CLAUSES[0].text) in flat
    assert "YK-SCJG-0060" in text
    assert BUREAU_SIGNATURE in flat
    assert BUREAU_KEY in flat
    assert DIGEST in flat
    assert "2026年11月27日 10:30" in text
    assert "（未签署）" in text


def test_every_pdf_page_carries_the_number_and_page_n_of_m(pdf: pypdf.PdfReader) -> None:
    total = len(pdf.pages)

    assert total >= 2  # sixty resources do not fit on one A4 page
    for n, page in enumerate(pdf.pages, start=1):
        text = page.extract_text()
        assert f"第 {n} 页 共 {total} 页" in text
        assert "营数授〔2026〕1号" in text


def test_the_pdf_embeds_noto_cjk_fonts(pdf: pypdf.PdfReader) -> None:
    embedded = set()
    for page in pdf.pages:
        resources: Any = page["/Resources"]
        fonts = resources["/Font"]
        for reference in fonts.values():
            font = reference.get_object()
            descriptor = font["/DescendantFonts"][0].get_object()["/FontDescriptor"]
            if {"/FontFile", "/FontFile2", "/FontFile3"} & set(descriptor.get_object()):
                embedded.add(str(font["/BaseFont"]).split("+", 1)[1])

    assert "Noto-Serif-CJK-SC" in embedded
    assert "Noto-Serif-CJK-SC-Bold" in embedded


def test_without_chinese_fonts_the_pdf_is_refused_not_printed_as_tofu(tmp_path: Path) -> None:
    # Pango reads fontconfig once per process, so the font-less server runs in a child.
    dejavu_only = tmp_path / "fonts.conf"
    dejavu_only.write_text(
        '<?xml version="1.0"?><fontconfig>'
        "<dir>/usr/share/fonts/truetype/dejavu</dir>"
        f"<cachedir>{tmp_path / 'cache'}</cachedir></fontconfig>"
    )
    script = textwrap.dedent(
        """
        from tests.authorizations.test_document_render import agreement
        from sluice.authorizations.document_render import render_pdf
        from sluice.core.printing import PdfFontsMissing
        try:
            render_pdf(agreement())
        except PdfFontsMissing as error:
            print(error.code)
            print(error.detail("zh-CN"))
            print(error.detail("en"))
        """
    )
    result = subprocess.run(
        [sys.executable, "-c", script],
        env={**os.environ, "FONTCONFIG_FILE": str(dejavu_only)},
        cwd=Path(__file__).parents[2],
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )

    code, zh, en = result.stdout.splitlines()
    assert code == "pdf_fonts_missing"
    assert zh == (
        "服务器未安装中文字体（Noto Serif CJK SC / Noto Sans CJK SC），无法生成 PDF。"
        "请安装 fonts-noto-cjk 后重试。"
    )
    assert en.startswith("The server has no Chinese font (Noto Serif CJK SC / Noto Sans CJK SC)")


# --- layout: nothing crosses a column, the margin or the signature box ---------------------

#: A catalog code is "<provider code>/<resource code>": long and without a space to break at.
LONG_CODE = "shrsj/social_insurance_contribution_records_by_month_and_employer_detail"


def long_scope() -> list[DocumentScopeItem]:
    return [
        DocumentScopeItem(
            entry_code=LONG_CODE,
            title="社会保险缴费记录（按月、按参保单位汇总的缴费基数、缴费金额与补缴、退费明细）",
            provider="营口市人力资源和社会保障局（营口市社会保险事业服务中心）",
            open_level="有条件开放",
            grade="三级（敏感）",
        ),
        *scope_items(2),
    ]


def test_the_scope_table_has_fixed_column_widths_that_add_up_to_the_page() -> None:
    html = render_html(agreement(scope=long_scope()))

    assert '<table class="scope fixed">' in html
    assert re.search(r"table\.fixed \{[^}]*table-layout: fixed;", html)
    columns = re.findall(r'<col class="(col-[a-z]+)">', html)
    assert columns == [
        "col-index",
        "col-code",
        "col-title",
        "col-provider",
        "col-level",
        "col-grade",
    ]
    widths = [
        int(re.search(rf"col\.{name} \{{\s*width: (\d+)%;", html).group(1))  # type: ignore[union-attr]
        for name in columns
    ]
    assert sum(widths) == 100


@pytest.fixture(scope="module", params=["zh-CN", "en"])
def laid_out(request: pytest.FixtureRequest) -> list[Any]:
    """A two-party agreement with a long code and title, as the PDF lays it out; English too,
    whose longer labels leave less room for the hex values."""
    return layout.pages(render_html(agreement(scope=long_scope(), locale=request.param)))


def test_no_text_crosses_the_page_margins(laid_out: list[Any]) -> None:
    tables = []
    for page in laid_out:
        margins = layout.page_content(page)
        outside = [t.text for t in layout.texts(page) if not margins.holds(t.span)]
        assert outside == []
        for table in layout.elements_of_type(page, "TableBox"):
            tables.append(table)
            assert margins.holds(layout.border_span(table))
    assert tables


def test_a_long_code_wraps_inside_its_column_and_never_over_the_resource_name(
    laid_out: list[Any],
) -> None:
    rows = [r for page in laid_out for r in layout.elements_of_type(page, "TableRowBox")]
    code_cells = [c for r in rows for c in r.children if layout.has_class(c, "code")]
    first = code_cells[0]
    first_code = list(layout.texts(first))

    assert len(code_cells) == 3  # one a resource, on whichever page its row fell
    assert len(first_code) > 1  # it wrapped
    assert "".join(t.text for t in first_code) == LONG_CODE
    for cell in code_cells:
        for text in layout.texts(cell):
            assert layout.content_span(cell).holds(text.span), text.text
    (row,) = [r for r in rows if first in r.children]
    title_cell = row.children[row.children.index(first) + 1]
    assert "".join(t.text for t in layout.texts(title_cell)).startswith("社会保险缴费记录")
    assert max(t.span.right for t in first_code) <= layout.border_span(title_cell).left


def test_keys_and_signatures_stay_inside_the_signature_box(laid_out: list[Any]) -> None:
    blocks = [b for page in laid_out for b in layout.elements(page, "signature-block")]
    hex_shown = []
    for page in laid_out:
        for text in layout.texts(page):
            block = text.within("signature-block")
            if block is None:
                continue
            assert layout.content_span(block).holds(text.span), text.text
            if text.within("hex-line") is not None:
                hex_shown.append(text.text)

    assert len(blocks) == 2
    shown = "".join(hex_shown).replace(" ", "")
    for value in (BUREAU_KEY, BUREAU_SIGNATURE, OPERATOR_KEY, OPERATOR_SIGNATURE):
        assert value in shown
