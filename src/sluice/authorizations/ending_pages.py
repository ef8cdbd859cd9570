"""Console actions on what an agreement's ending settles, from its detail page: the bureau
registers the software and hardware used under it with their owners (R5.7); once it has
ended, the operator files its signed attestation that its copies outside the platform are
deleted, and the bureau reads the document and accepts or returns it (R5.6).

Thin, like the agreement pages: each action is one service call, and the detail page
(``agreement_pages.act``) shows the outcome or the refusal.
"""

from __future__ import annotations

import uuid
from typing import Annotated
from urllib.parse import quote

from fastapi import APIRouter, Depends, Request, UploadFile
from fastapi.responses import HTMLResponse, Response
from starlette.datastructures import FormData

from sluice.authorizations import agreement_pages, assets, attestations
from sluice.authorizations import shared_pages as forms
from sluice.authorizations.shared_pages import Manager, Reader
from sluice.core.i18n import add_messages, translate
from sluice.core.permissions import Permission as P
from sluice.core.principal import Principal
from sluice.web.deps import AppClock, AppSettings, DbSession, Locale, Requires

router = APIRouter(tags=["console"])

AttestationFiler = Annotated[Principal, Depends(Requires(P.ATTESTATIONS_FILE))]
AttestationChecker = Annotated[Principal, Depends(Requires(P.ATTESTATIONS_CHECK))]

_PATH = "/console/authorizations/{authorization_id}"

add_messages(
    {
        "ending_page.how": ("终止方式", "How it ends"),
        "ending_page.liability": ("依法追究责任", "Liability pursued"),
        "ending_page.refuse": ("拒绝整改", "Refuse to rectify"),
        "ending_page.refusal": ("拒绝整改的理由", "Why you refuse"),
        "ending_page.refuse_help": (
            "拒不整改将立即终止本协议（强制退出、销毁数据），数据局将依法追究责任，并重新遴选"
            "运营机构。",
            "Refusing to rectify ends this agreement at once (forced exit, data destroyed); the "
            "bureau pursues liability and selects a new operator.",
        ),
        "ending_page.force_exit": ("直接强制退出", "Force the exit directly"),
        "ending_page.force_help": (
            "运营机构有重大违约、违法违规或发生重大安全事件的，数据局可不经整改直接强制其退出："
            "协议终止、数据销毁，并为该场景重新遴选运营机构。强制退出不可撤销，须由另一名数据局"
            "工作人员批准后执行。",
            "For a major breach, a violation or a major security incident the bureau may force "
            "the operator out without rectification: the agreement ends, its data is destroyed "
            "and a new operator is selected for the scenario. It cannot be undone, so another "
            "member of the bureau must approve it first.",
        ),
        "ending_page.facts": ("事实和依据", "Facts and grounds"),
        "ending_page.force_submit": ("申请强制退出", "Ask to force the exit"),
        "ending_page.register": ("软硬件资产归属", "Software and hardware ownership"),
        "ending_page.register_help": (
            "按协议约定登记本场景使用的软硬件及其归属；协议期满、终止或退出时按此处置。",
            "The software and hardware used under the agreement and their owners as it sets "
            "them; they are disposed of accordingly when it expires, ends or is exited.",
        ),
        "ending_page.owner": ("归属", "Owner"),
        "ending_page.register_submit": ("登记", "Register"),
        "ending_page.disposals": ("资产处置", "Asset disposal"),
        "ending_page.attestation": (
            "平台外数据副本删除销毁承诺",
            "Deletion of copies outside the platform",
        ),
        "ending_page.attestation_help": (
            "协议终止后，运营机构须删除销毁其在平台外留存的数据副本，并于 {due} 前上传经其签名"
            "的删除销毁承诺；数据局核验通过即为完成。",
            "Once the agreement has ended the operator must delete any copy it holds outside "
            "the platform and upload its signed attestation by {due}; the bureau's acceptance "
            "completes it.",
        ),
        "ending_page.statement": ("承诺内容", "Statement"),
        "ending_page.document": ("承诺书文件", "Document"),
        "ending_page.attested": ("提交", "Filed"),
        "ending_page.checked": ("核验", "Checked"),
        "ending_page.signature_valid": (
            "签名有效：运营机构公钥验证通过",
            "Signature valid under the operator's key",
        ),
        "ending_page.signature_invalid": (
            "验证失败：内容或签名与运营机构公钥不符",
            "Check failed: the content or signature does not match the operator's key",
        ),
        "ending_page.attest_help": (
            "上传删除销毁记录（加盖公章的承诺书等）；平台以贵单位的 SM2 密钥对承诺内容及文件的 "
            "SM3 摘要签名。",
            "Upload your deletion record (the stamped letter of attestation); the platform signs "
            "what you attest, with the document's SM3, with your organization's SM2 key.",
        ),
        "ending_page.attest_submit": ("签名并提交", "Sign and file"),
        "ending_page.accept": ("核验通过，删除销毁完成", "Accept: deletion complete"),
        "ending_page.return": ("退回，要求重新提交", "Return for a new attestation"),
        "ending_page.reselection": ("重新遴选运营机构", "New selection of an operator"),
    }
)


@router.post(_PATH + "/assets", response_class=HTMLResponse)
async def register_asset(
    request: Request,
    authorization_id: uuid.UUID,
    actor: Manager,
    session: DbSession,
    clock: AppClock,
    settings: AppSettings,
    locale: Locale,
) -> Response:
    def run(form: FormData) -> None:
        name = forms.text(form, "register_name")
        if not name:
            raise forms.FormInvalid({"register_name": translate("form.required", locale)})
        assets.register(
            session,
            actor=actor,
            at=clock.now(),
            authorization_id=authorization_id,
            name=name[:200],
            kind=forms.text(form, "register_kind"),
            owner=forms.text(form, "register_owner"),
            description=forms.text(form, "register_description")[:2000],
        )

    return await agreement_pages.act(
        request, session, actor, settings, clock, locale, authorization_id, "asset_registered", run
    )


@router.post(_PATH + "/attestation", response_class=HTMLResponse)
async def attest(
    request: Request,
    authorization_id: uuid.UUID,
    file: UploadFile,
    actor: AttestationFiler,
    session: DbSession,
    clock: AppClock,
    settings: AppSettings,
    locale: Locale,
) -> Response:
    def run(form: FormData) -> None:
        statement = forms.long_enough(form, "statement", locale, min_length=10)
        attestations.attest(
            session,
            actor=actor,
            settings=settings,
            at=clock.now(),
            authorization_id=authorization_id,
            statement=statement[:8000],
            stream=file.file,
            filename=file.filename or "attestation",
        )

    return await agreement_pages.act(
        request, session, actor, settings, clock, locale, authorization_id, "attested", run
    )


@router.post(_PATH + "/attestation/check", response_class=HTMLResponse)
async def check_attestation(
    request: Request,
    authorization_id: uuid.UUID,
    actor: AttestationChecker,
    session: DbSession,
    clock: AppClock,
    settings: AppSettings,
    locale: Locale,
) -> Response:
    def run(form: FormData) -> None:
        note = forms.long_enough(form, "attestation_note", locale)
        attestations.check(
            session,
            actor=actor,
            at=clock.now(),
            authorization_id=authorization_id,
            accept=forms.text(form, "accept") == "1",
            note=note[:2000],
        )

    return await agreement_pages.act(
        request, session, actor, settings, clock, locale, authorization_id, "attestation", run
    )


@router.get(_PATH + "/attestation/document")
def attestation_document(
    authorization_id: uuid.UUID, actor: Reader, session: DbSession, settings: AppSettings
) -> Response:
    row, content = attestations.document(
        session, actor=actor, settings=settings, authorization_id=authorization_id
    )
    return Response(
        content,
        media_type="application/octet-stream",
        headers={
            "Content-Disposition": f"attachment; filename*=UTF-8''{quote(row.file_name or '')}",
            "X-Content-SM3": row.file_sm3 or "",
            "X-Content-Type-Options": "nosniff",
        },
    )
