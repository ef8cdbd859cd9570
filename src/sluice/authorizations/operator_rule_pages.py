"""Console pages of the operators' filed rules (R5.2): an operator's overview of its three
kinds of rules with the form to file a version, the list of filed versions (the bureau
sees every operator's), one version with its text or PDF and digest, and the bureau's
acknowledgement or return. Thin: each action is one call of ``operator_rules``."""

from __future__ import annotations

import uuid
from typing import Annotated, Any, Final
from urllib.parse import quote

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import HTMLResponse, Response
from sqlalchemy.orm import Session
from starlette.datastructures import UploadFile

from sluice.authorizations import operator_rules
from sluice.authorizations import shared_pages as forms
from sluice.core.database import undo_keeping_refusal
from sluice.core.errors import InvalidInput, SluiceError
from sluice.core.i18n import add_messages, translate
from sluice.core.paging import ListQuery
from sluice.core.permissions import Permission as P
from sluice.core.principal import Principal
from sluice.web.deps import AppClock, AppSettings, DbSession, Locale, Requires
from sluice.web.forms import FORM, see_other
from sluice.web.listing import ListSpec, render_list
from sluice.web.templating import NavItem, add_nav, render

router = APIRouter(tags=["console"])

RuleReader = Annotated[Principal, Depends(Requires(P.OPERATOR_RULES_READ))]
RuleFiler = Annotated[Principal, Depends(Requires(P.OPERATOR_RULES_FILE))]
RuleReviewer = Annotated[Principal, Depends(Requires(P.OPERATOR_RULES_ACKNOWLEDGE))]

LIST: Final = "/console/operator-rules"
RULES = ListSpec(
    sorts=("filed", "operator", "kind", "status"),
    filters=("status", "kind", "current"),
    default_sort="-filed",
)
_DONE: Final = ("filed", "acknowledged", "returned")

add_nav(NavItem("nav.operator_rules", LIST, P.OPERATOR_RULES_READ, order=67))
add_messages(
    {
        "nav.operator_rules": ("运营机构管理制度", "Operators' rules"),
        "rules_page.title": ("运营机构管理制度报备", "Operators' rules filed"),
        "rules_page.lead_bureau": (
            "运营机构在授权运营中完善并报备数据治理、数据交易和数据安全管理制度；数据局逐份确认，"
            "或说明理由退回修改。每次修订报备为新版本，历次版本均可查阅。",
            "Operators improve and file their data-governance, data-trading and data-security "
            "rules; the bureau acknowledges each filing or returns it with the reason. Each "
            "revision is filed as a new version, and every version stays readable.",
        ),
        "rules_page.lead_operator": (
            "授权运营协议批准后，贵单位须报备数据治理、数据交易和数据安全管理制度，并在修订后重新报备；"
            "可填写正文或上传 PDF。数据局确认后即为已报备。",
            "Once your agreement is approved, file your data-governance, data-trading and "
            "data-security rules, and file again after each revision; type the text or upload "
            "a PDF. A filing is complete when the bureau acknowledges it.",
        ),
        "rules_page.search": ("制度标题或运营机构", "Title or operator"),
        "rules_page.empty": ("还没有报备的制度。", "Nothing filed yet."),
        "rules_page.operator": ("运营机构", "Operator"),
        "rules_page.kind": ("类别", "Kind"),
        "rules_page.doc_title": ("标题", "Title"),
        "rules_page.version": ("版本", "Version"),
        "rules_page.version_n": ("第 {version} 版", "Version {version}"),
        "rules_page.filed": ("报备时间", "Filed"),
        "rules_page.status": ("状态", "Status"),
        "rules_page.superseded": ("已有新版本", "Superseded"),
        "rules_page.current": ("只看各类最新版本", "Newest version of each kind only"),
        "rules_page.current_yes": ("是", "Yes"),
        "rules_page.overview": ("本单位制度", "Your rules"),
        "rules_page.not_filed": ("尚未报备", "Not filed yet"),
        "rules_page.file_new": ("报备制度", "File rules"),
        "rules_page.file_help": (
            "报备后不可修改；修订后请再次报备，版本号自动递增。正文和 PDF 至少提供一项。",
            "A filing never changes; after a revision, file again and the version number goes "
            "up. Give the text, a PDF, or both.",
        ),
        "rules_page.body": ("正文", "Text"),
        "rules_page.file": ("PDF 文件", "PDF document"),
        "rules_page.submit": ("报备", "File"),
        "rules_page.heading": ("《{title}》{version}", "{title}, {version}"),
        "rules_page.filed_by": ("报备", "Filed by"),
        "rules_page.digest": ("报备内容摘要（SM3）", "Digest of what was filed (SM3)"),
        "rules_page.document": ("文件", "Document"),
        "rules_page.download": ("下载 {name}（{kb} KB）", "Download {name} ({kb} KB)"),
        "rules_page.file_sm3": ("文件 SM3", "File SM3"),
        "rules_page.review": ("数据局意见", "The bureau's review"),
        "rules_page.note": ("说明（退回须写明理由）", "Note (the reason, when returning)"),
        "rules_page.acknowledge": ("确认报备", "Acknowledge"),
        "rules_page.return": ("退回修改", "Return for revision"),
        "rules_page.superseded_notice": (
            "这一版已被第 {version} 版取代。",
            "This version has been superseded by version {version}.",
        ),
        "rules_page.back": ("返回制度报备", "Back to the filed rules"),
        "rules_page.done.filed": (
            "已报备，待数据局确认。",
            "Filed; the bureau will acknowledge it.",
        ),
        "rules_page.done.acknowledged": ("已确认报备。", "Acknowledged."),
        "rules_page.done.returned": ("已退回运营机构修改。", "Returned to the operator."),
    }
)


def _filters(locale: str) -> list[tuple[str, str, list[tuple[str, str]]]]:
    machine = operator_rules.RULE
    return [
        (
            "status",
            translate("rules_page.status", locale),
            [(s, translate(f"state.{machine.entity}.{s}", locale)) for s in machine.states],
        ),
        (
            "kind",
            translate("rules_page.kind", locale),
            [(k, translate(f"rule_kind.{k}", locale)) for k in operator_rules.KINDS],
        ),
        (
            "current",
            translate("rules_page.current", locale),
            [("1", translate("rules_page.current_yes", locale))],
        ),
    ]


def _list_page(
    request: Request,
    actor: Principal,
    session: Session,
    locale: str,
    listing: ListQuery,
    *,
    done: str | None = None,
    form: dict[str, str] | None = None,
    errors: dict[str, str] | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    page = operator_rules.page(session, actor, listing)
    context: dict[str, Any] = {
        "filters": _filters(locale),
        "kinds": operator_rules.KINDS,
        "current": operator_rules.current(session, actor),
        "can_file": actor.has(P.OPERATOR_RULES_FILE),
        "notice": translate(f"rules_page.done.{done}", locale) if done in _DONE else None,
        "form": form or {},
        "errors": errors or {},
    }
    if status_code != 200:
        full = {"listing": page.query, "page_of_rows": page, "list_id": "list", **context}
        return render(request, "authorizations/operator_rules.html", full, status_code=status_code)
    return render_list(
        request,
        "authorizations/operator_rules.html",
        context,
        page=page,
        rows_template="authorizations/_operator_rule_rows.html",
    )


@router.get(LIST, response_class=HTMLResponse)
def rules_page(
    request: Request,
    actor: RuleReader,
    session: DbSession,
    locale: Locale,
    listing: Annotated[ListQuery, Depends(RULES)],
    done: Annotated[str | None, Query(max_length=20)] = None,
) -> HTMLResponse:
    return _list_page(request, actor, session, locale, listing, done=done)


def _refusal_errors(error: SluiceError, locale: str) -> dict[str, str]:
    fields = [e.get("field") for e in error.errors] if isinstance(error, InvalidInput) else []
    name = next((f for f in fields if isinstance(f, str) and f), FORM)
    return {name: error.detail(locale)}


@router.post(LIST, response_class=HTMLResponse)
async def file_rules(
    request: Request,
    actor: RuleFiler,
    session: DbSession,
    clock: AppClock,
    settings: AppSettings,
    locale: Locale,
) -> Response:
    submitted = await request.form()
    raw = {k: forms.text(submitted, k) for k in ("kind", "title", "body")}
    upload = submitted.get("file")
    has_file = isinstance(upload, UploadFile) and bool(upload.filename) and (upload.size or 0) > 0
    try:
        filed = operator_rules.file(
            session,
            actor=actor,
            settings=settings,
            at=clock.now(),
            kind=raw["kind"],
            title=raw["title"],
            body=raw["body"],
            stream=upload.file if has_file and isinstance(upload, UploadFile) else None,
            filename=upload.filename if has_file and isinstance(upload, UploadFile) else None,
        )
    except SluiceError as error:
        if error.status in (403, 404):
            raise
        undo_keeping_refusal(session, error)
        return _list_page(
            request,
            actor,
            session,
            locale,
            RULES(request),
            form=raw,
            errors=_refusal_errors(error, locale),
            status_code=error.status,
        )
    return see_other(f"{LIST}/{filed.id}?done=filed")


def _rule_page(
    request: Request,
    actor: Principal,
    session: Session,
    locale: str,
    rule_id: uuid.UUID,
    *,
    done: str | None = None,
    errors: dict[str, str] | None = None,
    form: dict[str, str] | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    rule = operator_rules.rule(session, actor, rule_id)
    newest = operator_rules.newest_version(session, rule)
    context: dict[str, Any] = {
        "rule": rule,
        "version_text": translate("rules_page.version_n", locale, version=rule.version),
        "operator": operator_rules.operator_name(session, rule),
        "newest": newest,
        "can_review": actor.has(P.OPERATOR_RULES_ACKNOWLEDGE)
        and rule.status == operator_rules.FILED
        and newest == rule.version,
        "notice": translate(f"rules_page.done.{done}", locale) if done in _DONE else None,
        "errors": errors or {},
        "form": form or {},
    }
    return render(request, "authorizations/operator_rule.html", context, status_code=status_code)


@router.get(LIST + "/{rule_id}", response_class=HTMLResponse)
def rule_page(
    request: Request,
    rule_id: uuid.UUID,
    actor: RuleReader,
    session: DbSession,
    locale: Locale,
    done: Annotated[str | None, Query(max_length=20)] = None,
) -> HTMLResponse:
    return _rule_page(request, actor, session, locale, rule_id, done=done)


@router.get(LIST + "/{rule_id}/document.pdf")
def rule_document(
    rule_id: uuid.UUID, actor: RuleReader, session: DbSession, settings: AppSettings
) -> Response:
    rule, content = operator_rules.document(
        session, actor=actor, settings=settings, rule_id=rule_id
    )
    return Response(
        content,
        media_type="application/pdf",
        headers={
            "Content-Disposition": f"attachment; filename*=UTF-8''{quote(rule.file_name or '')}",
            "X-Content-SM3": rule.file_sm3 or "",
            "X-Content-Type-Options": "nosniff",
        },
    )


@router.post(LIST + "/{rule_id}/review", response_class=HTMLResponse)
async def review_rule(
    request: Request,
    rule_id: uuid.UUID,
    actor: RuleReviewer,
    session: DbSession,
    clock: AppClock,
    locale: Locale,
) -> Response:
    submitted = await request.form()
    acknowledge = forms.text(submitted, "decision") == "acknowledge"
    note = forms.text(submitted, "note")
    try:
        operator_rules.review(
            session,
            actor=actor,
            at=clock.now(),
            rule_id=rule_id,
            acknowledge=acknowledge,
            note=note,
        )
    except SluiceError as error:
        if error.status in (403, 404):
            raise
        undo_keeping_refusal(session, error)
        return _rule_page(
            request,
            actor,
            session,
            locale,
            rule_id,
            errors=_refusal_errors(error, locale),
            form={"note": note},
            status_code=error.status,
        )
    done = "acknowledged" if acknowledge else "returned"
    return see_other(f"{LIST}/{rule_id}?done={done}")
