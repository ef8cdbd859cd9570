"""The registration certificate (登记证书) as a document: printable HTML and a PDF.

``certificate_service`` fills a ``CertificateDocument`` from the signed certificate; this
module only lays it out and reads nothing. The page carries what a reader needs to check it
without trusting the platform: the signed content, its SM3 digest, the registry's SM2
signature and public key, the steps to verify them, and a QR code that opens the public
verification page. It is printed as the agreement and the destruction certificate are,
through ``core/printing.py`` (one HTML for screen and PDF, WeasyPrint, Noto CJK,
``pdf_fonts_missing`` rather than a page of empty boxes).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any, Final
from urllib.parse import unquote

from sluice.core.i18n import ZH, add_messages, normalize_locale, translate
from sluice.core.printing import (
    environment,
    format_date,
    format_time,
    hex_lines,
    page_footer,
    pdf_of,
    qr_svg,
)

TEMPLATES: Final = Path(__file__).parent / "templates"
#: SM2 signer ID the registry signs with (GB/T 32918 / GM/T 0009 default), for the steps.
SIGNER_ID: Final = "1234567812345678"


@dataclass(frozen=True)
class CertificateDocument:
    code: str  # e.g. "YK-DP-2026-000123"
    version: int
    kind_label: str
    title: str
    reference: str
    summary: str
    holder: str
    holder_credit_code: str | None
    registered_at: datetime
    valid_from: datetime
    valid_until: datetime
    #: The application this version carried out, in words (首次登记, 续期 …).
    application_type: str
    evidence_sm3: str
    issuer: str
    issuer_credit_code: str | None
    issued_at: datetime
    #: The signed content in its canonical form (UTF-8 JSON), and its SM3 hex.
    canonical_text: str
    digest: str
    algorithm: str
    public_key_hex: str
    signature_hex: str
    verify_url: str
    public_keys_url: str
    locale: str = ZH

    def __post_init__(self) -> None:
        # A naive time would be read in the server's zone and printed as the wrong day.
        for value in (self.issued_at, self.registered_at, self.valid_from, self.valid_until):
            if value.tzinfo is None:
                raise ValueError("CertificateDocument times must be timezone-aware")


_environment = environment(TEMPLATES)


def render_html(doc: CertificateDocument) -> str:
    """A complete, printable A4 page for the certificate, in the document's locale."""
    locale = normalize_locale(doc.locale) or ZH

    def _(key: str, **params: object) -> str:
        return translate(f"registration_certificate.{key}", locale, **params)

    context: dict[str, Any] = {
        "doc": doc,
        "locale": locale,
        "_": _,
        "fmt_date": lambda value: format_date(value, locale),
        "fmt_time": lambda value: format_time(value, locale),
        "hex_lines": hex_lines,
        "signer_id": SIGNER_ID,
        "qr": qr_svg(doc.verify_url),
        "verify_shown": unquote(doc.verify_url),
        "page_footer": page_footer("registration_certificate.page", locale),
    }
    return _environment.get_template("certificate.html").render(context)


def render_pdf(doc: CertificateDocument) -> bytes:
    """The same page as a PDF; the QR code and the verification address are links in it."""
    return pdf_of(render_html(doc))


add_messages(
    {
        "registration_certificate.page": ("第 {page} 页 共 {pages} 页", "Page {page} of {pages}"),
        "registration_certificate.title": ("数据资源登记证书", "Certificate of registration"),
        "registration_certificate.colon": ("：", ": "),
        "registration_certificate.code": ("登记编号", "Registration code"),
        "registration_certificate.version": (
            "证书第 {version} 版",
            "Certificate version {version}",
        ),
        "registration_certificate.statement": (
            "经审查，{holder}的{kind}“{title}”已在{issuer}登记，登记编号 {code}，特发此证。",
            "Having reviewed it, {issuer} has registered the {kind} '{title}' of {holder} "
            "under code {code}, and issues this certificate.",
        ),
        "registration_certificate.subject.title": ("登记对象", "What is registered"),
        "registration_certificate.kind": ("类别", "Kind"),
        "registration_certificate.name": ("名称", "Name"),
        "registration_certificate.reference": ("编码", "Reference"),
        "registration_certificate.summary": ("简介", "Summary"),
        "registration_certificate.holder": ("登记主体", "Holder"),
        "registration_certificate.credit_code": ("统一社会信用代码", "Unified social credit code"),
        "registration_certificate.none": ("—", "—"),
        "registration_certificate.term.title": ("登记与有效期", "Registration and term"),
        "registration_certificate.registered_at": ("登记日期", "Registered on"),
        "registration_certificate.valid": ("有效期", "Valid"),
        "registration_certificate.valid.range": ("{start} 至 {end}", "{start} to {end}"),
        "registration_certificate.application": ("本版证书依据", "This version carries out"),
        "registration_certificate.evidence": (
            "申请存证摘要（SM3）",
            "Evidence digest of the application (SM3)",
        ),
        "registration_certificate.signature.title": ("签发与签名", "Issue and signature"),
        "registration_certificate.issuer": ("登记机构", "Registration agency"),
        "registration_certificate.issued_at": ("签发时间（北京时间）", "Issued at (Beijing time)"),
        "registration_certificate.algorithm": ("签名算法", "Algorithm"),
        "registration_certificate.digest": ("内容摘要（SM3）", "Content digest (SM3)"),
        "registration_certificate.public_key": ("签名公钥", "Public key"),
        "registration_certificate.signature": ("签名值", "Signature"),
        "registration_certificate.qr": ("扫码核验", "Scan to verify"),
        "registration_certificate.verify.title": (
            "如何核验本证书",
            "How to check this certificate",
        ),
        "registration_certificate.verify.online": (
            "扫描右上角二维码或访问 {url}，可查看该登记的当前状态"
            "（有效、过期或已注销）并核验签名。",
            "Scan the QR code at the top or open {url} to see the registration's current "
            "standing (in force, expired or cancelled) and check the signature.",
        ),
        "registration_certificate.verify.offline": (
            "不依赖本平台，也可自行核验：",
            "Or check it yourself, without relying on the platform:",
        ),
        "registration_certificate.verify.digest": (
            "对附录中的规范化内容（UTF-8 编码的 JSON，复制时去掉换行）计算 SM3，"
            "结果应与上面的“内容摘要”一致。",
            "Compute the SM3 of the canonical content in the appendix (JSON in UTF-8; remove "
            "line breaks when copying it): it must equal the content digest above.",
        ),
        "registration_certificate.verify.key": (
            "在 {url} 查到“{issuer}”的 SM2 公钥，应与上面的“签名公钥”一致。",
            "Look up the SM2 public key of {issuer} at {url}: it must equal the public key above.",
        ),
        "registration_certificate.verify.signature": (
            "用该公钥和签名者 ID {signer_id}（GB/T 32918）验证“签名值”（r‖s，各 32 字节）"
            "是对内容摘要 32 字节的 SM2 签名。",
            "With that key and signer ID {signer_id} (GB/T 32918), verify that the signature "
            "(r‖s, 32 bytes each) is an SM2 signature of the digest's 32 bytes.",
        ),
        "registration_certificate.appendix": (
            "附录：签名所针对的规范化内容",
            "Appendix: the canonical content that was signed",
        ),
    }
)
