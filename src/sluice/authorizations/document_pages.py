"""The agreement as a PDF in the console. When this server cannot set Chinese text the page
says so and links to the HTML version, instead of the API's problem+json."""

from __future__ import annotations

import uuid

from fastapi import APIRouter, Request
from fastapi.responses import Response

from sluice.authorizations import document_service, service
from sluice.authorizations.shared_pages import Reader
from sluice.core.database import undo_keeping_refusal
from sluice.core.i18n import add_messages
from sluice.core.printing import PdfFontsMissing
from sluice.web.deps import DbSession, Locale
from sluice.web.params import VersionNumber
from sluice.web.templating import render

router = APIRouter(tags=["console"])

add_messages(
    {
        "authz_page.pdf_unavailable_title": ("暂时无法生成 PDF", "The PDF cannot be made now"),
        "authz_page.pdf_unavailable": (
            "服务器缺少中文字体，无法生成协议的 PDF 版本。协议内容不受影响，请先查看或打印网页版；"
            "请联系平台运维人员安装 fonts-noto-cjk。",
            "The server lacks Chinese fonts, so the agreement's PDF cannot be made. The "
            "agreement itself is unaffected: read or print the HTML version meanwhile, and ask "
            "the platform's operators to install fonts-noto-cjk.",
        ),
        "authz_page.open_html": ("打开网页版协议", "Open the HTML version"),
    }
)


@router.get("/console/authorizations/{authorization_id}/document.pdf")
def document_pdf(
    request: Request,
    authorization_id: uuid.UUID,
    actor: Reader,
    session: DbSession,
    locale: Locale,
    version: VersionNumber = None,
) -> Response:
    """The PDF, or, when this server cannot set Chinese text, a page that says so and
    links to the HTML version (the API keeps its problem+json)."""
    found = service.visible(session, actor, authorization_id)
    try:
        pdf = document_service.pdf(session, actor, found, version=version, locale=locale)
    except PdfFontsMissing as missing:
        undo_keeping_refusal(session, missing)
        html_link = f"/api/v1/authorizations/{found.id}/document.html"
        if version is not None:
            html_link += f"?version={version}"
        return render(
            request,
            "authorizations/pdf_unavailable.html",
            {"a": found, "html_link": html_link, "detail": missing.detail(locale)},
            status_code=missing.status,
        )
    filename = f"authorization-{found.id}-v{version or found.version}.pdf"
    return Response(
        pdf,
        media_type="application/pdf",
        headers={"Content-Disposition": f'inline; filename="{filename}"'},
    )
