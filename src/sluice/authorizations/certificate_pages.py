"""The destruction certificate as pages: its printable HTML and PDF in the console, for
those who may see the ended agreement, and the public page its QR code opens, where anyone
holding the paper checks that it is genuine without logging in."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Path, Request
from fastapi.responses import HTMLResponse, Response

from sluice.authorizations import certificate_service
from sluice.authorizations.shared_pages import Reader
from sluice.core.database import undo_keeping_refusal
from sluice.core.i18n import add_messages
from sluice.core.printing import PdfFontsMissing
from sluice.web.deps import AppSettings, DbSession, Locale, MaybePrincipal
from sluice.web.templating import render

router = APIRouter()

#: Longer than any number the platform issues (营数销〔2026〕123456号); a longer one names none.
NUMBER_MAX = 60

add_messages(
    {
        "certificate_page.pdf_unavailable": (
            "服务器缺少中文字体，无法生成数据销毁证明的 PDF 版本。证明本身不受影响，请先查看或"
            "打印网页版；请联系平台运维人员安装 fonts-noto-cjk。",
            "The server lacks Chinese fonts, so the certificate's PDF cannot be made. The "
            "certificate itself is unaffected: read or print the HTML version meanwhile, and "
            "ask the platform's operators to install fonts-noto-cjk.",
        ),
        "certificate_page.open_html": ("打开网页版证明", "Open the HTML version"),
        "certificate_page.back": ("返回协议", "Back to the agreement"),
        "certificate_page.html": ("打印版证明（网页）", "Printable certificate (HTML)"),
        "certificate_page.pdf": ("证明 PDF", "Certificate PDF"),
        "certificate_page.public_check": ("公开核验页", "Public check page"),
        "certificate_check.title": ("数据销毁证明核验", "Destruction certificate check"),
        "certificate_check.lead": (
            "本页核验市数据局出具的数据销毁证明：证明内容是否与签名时一致，签名是否出自数据局的"
            "SM2 密钥。证明的详细内容只向协议各方提供，此处不予显示。",
            "This page checks a destruction certificate issued by the city data bureau: that "
            "its content is what was signed and that the signature is the bureau's SM2 key's. "
            "The certificate's details are given to the agreement's parties only and are not "
            "shown here.",
        ),
        "certificate_check.number": ("证明编号", "Certificate no."),
        "certificate_check.agreement": ("授权运营协议编号", "Agreement no."),
        "certificate_check.issued_on": ("签发日期", "Issued on"),
        "certificate_check.issuer": ("签发机构", "Issued by"),
        "certificate_check.digest": ("内容摘要（SM3）", "Content digest (SM3)"),
        "certificate_check.valid": (
            "核验通过：本证明由数据局签发，内容未被改动。",
            "Genuine: the bureau issued this certificate and its content is unchanged.",
        ),
        "certificate_check.invalid": (
            "核验未通过：证明内容或签名与数据局的公钥不符，请勿采信，并联系市数据局。",
            "Not genuine: the content or the signature does not match the bureau's key. Do "
            "not rely on it; contact the city data bureau.",
        ),
        "certificate_check.compare": (
            "请将上面的编号和内容摘要与纸面证明核对。",
            "Compare the number and the digest above with the printed certificate.",
        ),
    }
)


@router.get(
    "/console/authorizations/{authorization_id}/certificate.html",
    response_class=HTMLResponse,
    tags=["console"],
)
def certificate_html(
    authorization_id: uuid.UUID,
    actor: Reader,
    session: DbSession,
    settings: AppSettings,
    locale: Locale,
) -> HTMLResponse:
    """The printable certificate of an ended agreement the reader sees (404 otherwise)."""
    return HTMLResponse(
        certificate_service.html(
            session, actor, authorization_id, base_url=settings.base_url, locale=locale
        )
    )


@router.get("/console/authorizations/{authorization_id}/certificate.pdf", tags=["console"])
def certificate_pdf(
    request: Request,
    authorization_id: uuid.UUID,
    actor: Reader,
    session: DbSession,
    settings: AppSettings,
    locale: Locale,
) -> Response:
    """The PDF, or, when this server cannot set Chinese text, a page that says so and
    links to the HTML version."""
    try:
        pdf = certificate_service.pdf(
            session, actor, authorization_id, base_url=settings.base_url, locale=locale
        )
    except PdfFontsMissing as missing:
        undo_keeping_refusal(session, missing)
        return render(
            request,
            "authorizations/certificate_pdf_unavailable.html",
            {
                "authorization_id": authorization_id,
                "html_link": f"/console/authorizations/{authorization_id}/certificate.html",
                "detail": missing.detail(locale),
            },
            status_code=missing.status,
        )
    return Response(
        pdf,
        media_type="application/pdf",
        headers={"Content-Disposition": f'inline; filename="certificate-{authorization_id}.pdf"'},
    )


@router.get("/verify/certificates/{number}", response_class=HTMLResponse, tags=["portal"])
def certificate_check(
    request: Request,
    number: Annotated[str, Path(max_length=NUMBER_MAX)],
    principal: MaybePrincipal,
    session: DbSession,
) -> HTMLResponse:
    """Anyone: whether the certificate with this number exists and its signature verifies."""
    check = certificate_service.public_check(session, number)
    return render(request, "authorizations/certificate_check.html", {"check": check})
