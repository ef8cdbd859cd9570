"""The destruction certificate (数据销毁证明) as a document: printable HTML and a PDF.

``certificate_service`` fills a ``CertificateDocument`` from the signed certificate; this
module only lays it out, and reads nothing. The page carries what a reader needs to check
it without trusting the platform: the signed content itself, its SM3 digest, the bureau's
SM2 signature and public key, the steps to verify them, and a QR code that opens the public
verification page. Set like the agreement (``document_render``): one HTML for screen and
PDF, Noto CJK, and ``pdf_fonts_missing`` rather than a page of empty boxes.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, Final
from urllib.parse import unquote

from sluice.authorizations.document_render import TEMPLATES, page_footer_content
from sluice.core.i18n import ZH, add_messages, normalize_locale, translate
from sluice.core.printing import environment, format_time, hex_lines, pdf_of, qr_svg

#: A file's SM3 sits in a table column: four groups of eight digits a line, two lines.
FILE_HEX_GROUPS: Final = 4
#: SM2 signer ID the bureau signs with (GB/T 32918 / GM/T 0009 default), for the steps.
SIGNER_ID: Final = "1234567812345678"


@dataclass(frozen=True)
class CertificateFile:
    name: str
    size: int  # bytes
    sm3: str


@dataclass(frozen=True)
class CertificateDocument:
    number: str  # e.g. "营数销〔2026〕1号"
    issued_at: datetime
    issuer: str
    issuer_credit_code: str | None
    agreement_number: str
    #: Every agreement of the renewal chain whose data this was, first first.
    renewal_chain: list[str]
    operator: str
    scenario: str
    ended_at: datetime | None
    end_reason: str | None
    files: list[CertificateFile]
    #: The authorization's data key, destroyed so that nothing it encrypted can be read.
    key_scope: str
    #: The signed content in its canonical form (UTF-8 JSON), and its SM3 hex.
    canonical_text: str
    digest: str
    algorithm: str
    public_key_hex: str
    signature_hex: str
    #: The public page that checks this certificate, and where the bureau's keys are listed.
    verify_url: str
    public_keys_url: str
    locale: str = ZH

    def __post_init__(self) -> None:
        # A naive time would be read in the server's zone and printed as the wrong hour.
        if self.issued_at.tzinfo is None:
            raise ValueError("CertificateDocument.issued_at must be timezone-aware")


_environment = environment(TEMPLATES)


def render_html(doc: CertificateDocument) -> str:
    """A complete, printable A4 page for the certificate, in the document's locale."""
    locale = normalize_locale(doc.locale) or ZH

    def _(key: str, **params: object) -> str:
        return translate(f"certificate_document.{key}", locale, **params)

    context: dict[str, Any] = {
        "doc": doc,
        "locale": locale,
        "_": _,
        "fmt_time": lambda value: format_time(value, locale),
        "hex_lines": hex_lines,
        "file_hex_groups": FILE_HEX_GROUPS,
        "signer_id": SIGNER_ID,
        "qr": qr_svg(doc.verify_url),
        # The address as people read and type it (the link and the QR code carry it encoded).
        "verify_shown": unquote(doc.verify_url),
        "page_footer": page_footer_content(locale),
    }
    return _environment.get_template("certificate.html").render(context)


def render_pdf(doc: CertificateDocument) -> bytes:
    """The same page as a PDF, numbered 第 N 页 共 M 页, with the certificate number on top;
    the QR code and the verification address are links in it too."""
    return pdf_of(render_html(doc))


add_messages(
    {
        "certificate_document.title": ("数据销毁证明", "Certificate of data destruction"),
        "certificate_document.colon": ("：", ": "),
        "certificate_document.number": ("证明编号", "Certificate no."),
        "certificate_document.statement": (
            "{issuer}证明：授权运营协议{agreement}已结束，该授权下形成的派生数据已全部销毁，"
            "授权数据密钥已销毁（密钥销毁后，以其加密的数据无法再被解密），数据访问已关闭。",
            "{issuer} certifies that authorization agreement {agreement} has ended, that all "
            "data derived under it has been destroyed, and that the authorization's data key "
            "has been destroyed (without the key, nothing it encrypted can be decrypted again); "
            "access to the data is closed.",
        ),
        "certificate_document.agreement.title": ("授权运营协议", "The authorization"),
        "certificate_document.agreement": ("协议编号", "Agreement no."),
        "certificate_document.chain": ("续签协议", "Renewal chain"),
        "certificate_document.operator": ("被授权运营方", "Authorized operator"),
        "certificate_document.scenario": ("应用场景", "Scenario"),
        "certificate_document.ended_at": ("终止时间（北京时间）", "Ended (Beijing time)"),
        "certificate_document.reason": ("终止原因", "Reason"),
        "certificate_document.none": ("—", "—"),
        "certificate_document.files.title": ("已销毁的派生数据", "Derived data destroyed"),
        "certificate_document.files.intro": (
            "共 {count} 个文件。每个文件在销毁前计算了 SM3 摘要，据此可确认销毁的正是哪一个文件。",
            "{count} files. The SM3 digest of each was taken before it was destroyed, so "
            "exactly which file was destroyed can be told.",
        ),
        "certificate_document.files.none": (
            "该授权下没有形成派生数据文件。",
            "No derived data files were made under this authorization.",
        ),
        "certificate_document.files.index": ("序号", "No."),
        "certificate_document.files.name": ("文件", "File"),
        "certificate_document.files.size": ("大小（字节）", "Size (bytes)"),
        "certificate_document.files.sm3": ("SM3 摘要", "SM3 digest"),
        "certificate_document.key.title": ("授权数据密钥", "The authorization's data key"),
        "certificate_document.key.text": (
            "密钥 {scope} 已销毁（密码学擦除）。",
            "Key {scope} has been destroyed (crypto-shredded).",
        ),
        "certificate_document.signature.title": ("签发与签名", "Issue and signature"),
        "certificate_document.issuer": ("签发机构", "Issued by"),
        "certificate_document.credit_code": ("统一社会信用代码", "Unified social credit code"),
        "certificate_document.issued_at": ("签发时间（北京时间）", "Issued at (Beijing time)"),
        "certificate_document.algorithm": ("签名算法", "Algorithm"),
        "certificate_document.digest": ("内容摘要（SM3）", "Content digest (SM3)"),
        "certificate_document.public_key": ("签名公钥", "Public key"),
        "certificate_document.signature": ("签名值", "Signature"),
        "certificate_document.qr": ("扫码核验", "Scan to verify"),
        "certificate_document.verify.title": ("如何核验本证明", "How to check this certificate"),
        "certificate_document.verify.online": (
            "扫描右上角二维码或访问 {url}，平台将核验本证明是否由数据局签发、内容是否被改动。",
            "Scan the QR code at the top or open {url}: the platform checks that the bureau "
            "issued this certificate and that its content is unchanged.",
        ),
        "certificate_document.verify.offline": (
            "不依赖本平台，也可自行核验：",
            "Or check it yourself, without relying on the platform:",
        ),
        "certificate_document.verify.digest": (
            "对附录中的规范化内容（UTF-8 编码的 JSON，复制时去掉换行）计算 SM3，"
            "结果应与上面的“内容摘要”一致。",
            "Compute the SM3 of the canonical content in the appendix (JSON in UTF-8; remove "
            "line breaks when copying it): it must equal the content digest above.",
        ),
        "certificate_document.verify.key": (
            "在 {url} 查到“{issuer}”的 SM2 公钥，应与上面的“签名公钥”一致。",
            "Look up the SM2 public key of {issuer} at {url}: it must equal the public key above.",
        ),
        "certificate_document.verify.signature": (
            "用该公钥和签名者 ID {signer_id}（GB/T 32918）验证“签名值”（r‖s，各 32 字节）"
            "是对内容摘要 32 字节的 SM2 签名。",
            "With that key and signer ID {signer_id} (GB/T 32918), verify that the signature "
            "(r‖s, 32 bytes each) is an SM2 signature of the digest's 32 bytes.",
        ),
        "certificate_document.verify.result": (
            "三项都相符，即证明本证明由数据局签发且未被改动。",
            "If all three match, the bureau issued this certificate and it has not been changed.",
        ),
        "certificate_document.appendix": (
            "附录：签名所针对的规范化内容",
            "Appendix: the canonical content that was signed",
        ),
    }
)
