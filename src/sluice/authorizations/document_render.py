"""The authorization agreement (授权运营协议) as a document: printable HTML and a PDF.

``document_service`` fills an ``AgreementDocument`` from the database; this module only
lays it out, and reads nothing.
Both outputs come from the same HTML, so the PDF a party downloads says exactly what the
page shows. The PDF is set in Noto CJK through fontconfig; if the server lacks those fonts
rendering refuses with ``pdf_fonts_missing`` instead of handing out a page of empty boxes.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any, Final

from markupsafe import Markup

from sluice.core.i18n import EN, ZH, add_messages, normalize_locale, translate
from sluice.core.printing import (
    environment,
    format_date,
    format_time,
    hex_lines,
    page_footer,
    pdf_of,
)

TEMPLATES: Final = Path(__file__).parent / "templates"

#: Articles before the agreement's own clauses: mode and scenario, rights, term, scope.
FIXED_ARTICLES: Final = 4

_CHINESE_DIGITS: Final = "零一二三四五六七八九"


@dataclass(frozen=True)
class DocumentParty:
    role: str  # "bureau" | "operator"
    name: str
    credit_code: str | None


@dataclass(frozen=True)
class DocumentScopeItem:
    entry_code: str
    title: str
    provider: str
    open_level: str
    grade: str


@dataclass(frozen=True)
class DocumentClause:
    """One of the agreement's own clauses (N1), in the order they appear."""

    key: str
    title: str
    text: str


@dataclass(frozen=True)
class DocumentSignature:
    party_role: str
    party_name: str
    signer: str
    signed_at: datetime
    algorithm: str  # "SM2-with-SM3"
    public_key_hex: str
    signature_hex: str

    def __post_init__(self) -> None:
        # A naive time would be read in the server's zone and printed as the wrong hour.
        if self.signed_at.tzinfo is None:
            raise ValueError("DocumentSignature.signed_at must be timezone-aware")


@dataclass(frozen=True)
class AgreementDocument:
    number: str  # e.g. "营数授〔2026〕1号"
    version: int
    title: str
    bureau: DocumentParty
    operator: DocumentParty
    mode_label: str
    scenario: str
    purpose: str
    domain_label: str | None
    rights: list[str]
    #: R3.4: what is granted is never ownership or holding of the data.
    rights_excluded_note: str
    #: None until the agreement takes effect: the term then counts from the signing day.
    term_start: date | None
    term_end: date | None
    term_years: int
    scope: list[DocumentScopeItem]
    clauses: list[DocumentClause]
    #: SM3 hex of the canonical form that was signed.
    canonical_digest: str
    signatures: list[DocumentSignature]
    #: The collective decision behind it, e.g. "2026年第12次局务会（三重一大）".
    approved_by: str | None
    #: What differs from the previous version, in words; empty for version 1.
    changes: list[str]
    locale: str = ZH


def chinese_number(n: int) -> str:
    """1 → 一, 10 → 十, 15 → 十五, 21 → 二十一, 105 → 一百零五 (as in 第二十一条)."""
    if not 0 < n < 1000:
        raise ValueError(f"no article number for {n}")
    hundreds, rest = divmod(n, 100)
    tens, ones = divmod(rest, 10)
    parts = []
    if hundreds:
        parts.append(_CHINESE_DIGITS[hundreds] + "百")
    if tens:
        parts.append(("" if tens == 1 and not hundreds else _CHINESE_DIGITS[tens]) + "十")
    elif hundreds and ones:
        parts.append("零")
    if ones:
        parts.append(_CHINESE_DIGITS[ones])
    return "".join(parts)


def article_label(n: int, locale: str) -> str:
    number = str(n) if locale == EN else chinese_number(n)
    return translate("agreement_document.article", locale, number=number)


def page_footer_content(locale: str) -> Markup:
    """The footer as CSS ``content``: the sentence's words around the two page counters."""
    return page_footer("agreement_document.page", locale)


_environment = environment(TEMPLATES)


def render_html(doc: AgreementDocument) -> str:
    """A complete, printable A4 page for the agreement, in the document's locale."""
    locale = normalize_locale(doc.locale) or ZH

    def _(key: str, **params: object) -> str:
        return translate(f"agreement_document.{key}", locale, **params)

    def signatures_of(party: DocumentParty) -> list[DocumentSignature]:
        return [s for s in doc.signatures if s.party_role == party.role]

    context: dict[str, Any] = {
        "doc": doc,
        "locale": locale,
        "_": _,
        "article": lambda n: article_label(n, locale),
        "fixed_articles": FIXED_ARTICLES,
        "fmt_date": lambda value: format_date(value, locale),
        "fmt_time": lambda value: format_time(value, locale),
        "hex_lines": hex_lines,
        "signatures_of": signatures_of,
        "page_footer": page_footer_content(locale),
    }
    return _environment.get_template("agreement.html").render(context)


def render_pdf(doc: AgreementDocument) -> bytes:
    """The same page as a PDF, numbered 第 N 页 共 M 页, with the agreement number on top."""
    return pdf_of(render_html(doc))


add_messages(
    {
        "agreement_document.article": ("第{number}条", "Article {number}"),
        "agreement_document.page": ("第 {page} 页 共 {pages} 页", "Page {page} of {pages}"),
        "agreement_document.colon": ("：", ": "),
        "agreement_document.number": ("协议编号", "Agreement no."),
        "agreement_document.version": ("第 {version} 版", "Version {version}"),
        "agreement_document.approved_by": ("决策依据", "Collective decision"),
        "agreement_document.party.bureau": ("授权方（甲方）", "Authorizing party (Party A)"),
        "agreement_document.party.operator": (
            "被授权运营方（乙方）",
            "Authorized operator (Party B)",
        ),
        "agreement_document.credit_code": ("统一社会信用代码", "Unified social credit code"),
        "agreement_document.none": ("—", "—"),
        "agreement_document.mode.title": ("授权方式与应用场景", "Mode and scenario"),
        "agreement_document.mode": ("授权方式", "Mode"),
        "agreement_document.domain": ("授权领域", "Domain"),
        "agreement_document.scenario": ("应用场景", "Scenario"),
        "agreement_document.purpose": ("使用目的", "Purpose"),
        "agreement_document.rights.title": ("授予的权利", "Rights granted"),
        "agreement_document.rights.intro": (
            "甲方授予乙方下列权利：",
            "Party A grants Party B the following rights:",
        ),
        "agreement_document.term.title": ("授权期限", "Term"),
        "agreement_document.term.text": (
            "自{start}起至{end}止，期限{years}年。",
            "From {start} to {end} ({years}-year term).",
        ),
        "agreement_document.term.from_signing": (
            "自双方签署之日起{years}年。",
            "{years} years from the day both parties have signed.",
        ),
        "agreement_document.scope.title": ("数据资源范围和目录", "Resource scope and catalog"),
        "agreement_document.scope.intro": (
            "本协议授权的数据资源共 {count} 项，以公共数据资源目录为准：",
            "The agreement covers {count} data resources, as listed in the public data "
            "resource catalog:",
        ),
        "agreement_document.scope.index": ("序号", "No."),
        "agreement_document.scope.entry_code": ("目录编码", "Catalog code"),
        "agreement_document.scope.resource": ("资源名称", "Resource"),
        "agreement_document.scope.provider": ("提供部门", "Provider"),
        "agreement_document.scope.open_level": ("开放属性", "Openness"),
        "agreement_document.scope.grade": ("分级", "Grade"),
        "agreement_document.changes.title": ("版本变更", "Changes in this version"),
        "agreement_document.changes.intro": (
            "本版（第 {version} 版）相对上一版的变更：",
            "Version {version} differs from the previous version as follows:",
        ),
        "agreement_document.signatures.title": ("签署", "Signatures"),
        "agreement_document.signer": ("签署人", "Signed by"),
        "agreement_document.signed_at": ("签署时间（北京时间）", "Signed at (Beijing time)"),
        "agreement_document.algorithm": ("签名算法", "Algorithm"),
        "agreement_document.public_key": ("公钥", "Public key"),
        "agreement_document.signature": ("签名值", "Signature"),
        "agreement_document.unsigned": ("（未签署）", "(not signed)"),
        "agreement_document.digest": (
            "签署文本摘要（SM3）",
            "Digest of the signed text (SM3)",
        ),
        "agreement_document.digest.note": (
            "各方签名针对上述摘要所对应的规范化协议文本，可使用该方公钥验证。",
            "Each signature covers the canonical text of the agreement with the digest "
            "above and can be verified with that party's public key.",
        ),
    }
)
