"""Console pages of the emergency plans and drills (R8.12, R8.13): the plans (the bureau
sees every organization's, an operator its own) with the form to file the next version of
one's own, one version with its text or PDF, its other versions and the drills recorded,
and the form to record a drill. Thin: each action is one call of ``plans``."""

from __future__ import annotations

import uuid
from datetime import date
from typing import Annotated, Any, Final
from urllib.parse import quote

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import HTMLResponse, Response
from sqlalchemy.orm import Session
from starlette.datastructures import UploadFile

from sluice.core.database import undo_keeping_refusal
from sluice.core.errors import InvalidInput, SluiceError
from sluice.core.i18n import add_messages, translate
from sluice.core.paging import ListQuery
from sluice.core.permissions import OrgKind
from sluice.core.permissions import Permission as P
from sluice.core.principal import Principal
from sluice.incidents import plans
from sluice.web.deps import AppClock, AppSettings, DbSession, Locale, Requires
from sluice.web.forms import FORM, FieldProblem, parse_date, see_other
from sluice.web.listing import ListSpec, render_list
from sluice.web.templating import NavItem, add_nav, render

router = APIRouter(tags=["console"])

Reader = Annotated[Principal, Depends(Requires(P.EMERGENCY_PLANS_READ))]
Keeper = Annotated[Principal, Depends(Requires(P.EMERGENCY_PLANS_MANAGE))]

LIST: Final = "/console/emergency-plans"
PLANS = ListSpec(
    sorts=("filed", "owner", "approved"), filters=("all", "owner_kind"), default_sort="-filed"
)
_DONE: Final = ("filed", "drill")

add_nav(NavItem("nav.emergency_plans", LIST, P.EMERGENCY_PLANS_READ, order=74))
add_messages(
    {
        "nav.emergency_plans": ("应急预案与演练", "Emergency plans and drills"),
        "plan_page.title": ("应急预案与演练", "Emergency plans and drills"),
        "plan_page.lead_bureau": (
            "数据局制定数据安全和信息泄露应急响应预案，明确跨部门处置流程和责任分工，定期组织联合演练并动态更新；"
            "各运营机构据此制定本单位专项应急预案并定期内部演练。这里可查阅各单位预案的历次版本和演练记录。",
            "The bureau keeps the emergency plan for data-security incidents and leaks, with "
            "the procedures across departments and who does what, holds joint drills regularly "
            "and updates the plan; each operator keeps its own plan after it and drills it. "
            "Every version of every plan and every drill record is here.",
        ),
        "plan_page.lead_operator": (
            "根据数据局的应急预案制定本单位专项应急预案，定期开展内部演练并在此记录。修订预案即报备新版本，历次版本均可查阅。",
            "Keep your company's own emergency plan, made after the bureau's, drill it "
            "regularly and record each drill here. A revision is filed as a new version; every "
            "version stays readable.",
        ),
        "plan_page.search": ("预案标题或单位", "Title or organization"),
        "plan_page.empty": ("还没有应急预案。", "No emergency plan yet."),
        "plan_page.owner": ("单位", "Organization"),
        "plan_page.owner_kind": ("单位类别", "Kind of organization"),
        "plan_page.all": ("历次版本", "Every version"),
        "plan_page.all_yes": ("显示", "Show"),
        "plan_page.plan_title": ("预案名称", "Title"),
        "plan_page.version": ("版本", "Version"),
        "plan_page.version_n": ("第 {version} 版", "Version {version}"),
        "plan_page.approved": ("批准", "Approved"),
        "plan_page.approved_by": (
            "批准人（姓名、职务或会议）",
            "Approved by (name, post or meeting)",
        ),
        "plan_page.approved_on": ("批准日期", "Approved on"),
        "plan_page.filed": ("报备时间", "Filed"),
        "plan_page.drills": ("演练", "Drills"),
        "plan_page.own": ("本单位预案", "Your plan"),
        "plan_page.own_none": (
            "本单位尚未编制应急预案。",
            "Your organization has no emergency plan yet.",
        ),
        "plan_page.file_new": ("编制或修订预案", "File the plan or its revision"),
        "plan_page.file_help": (
            "报备后不可修改；修订后再次报备，版本号自动递增。正文和 PDF 至少提供一项。",
            "A filed version never changes; file the revision again and the version number "
            "goes up. Give the text, a PDF, or both.",
        ),
        "plan_page.body": ("正文", "Text"),
        "plan_page.file": ("PDF 文件", "PDF document"),
        "plan_page.submit": ("报备预案", "File the plan"),
        "plan_page.heading": ("{title}（{version}）", "{title} ({version})"),
        "plan_page.filed_by": ("报备", "Filed by"),
        "plan_page.digest": ("报备内容摘要（SM3）", "Digest of what was filed (SM3)"),
        "plan_page.document": ("文件", "Document"),
        "plan_page.download": ("下载 {name}（{kb} KB）", "Download {name} ({kb} KB)"),
        "plan_page.versions": ("历次版本", "Versions"),
        "plan_page.superseded": ("已被第 {version} 版取代。", "Superseded by version {version}."),
        "plan_page.drill_records": ("演练记录", "Drill records"),
        "plan_page.drills_none": ("还没有演练记录。", "No drill recorded yet."),
        "plan_page.held_on": ("演练日期", "Held on"),
        "plan_page.scenario": ("演练场景", "Scenario"),
        "plan_page.participants": ("参加单位和人员", "Who took part"),
        "plan_page.findings": ("发现的问题", "Findings"),
        "plan_page.follow_up": ("后续改进", "Follow-up"),
        "plan_page.under_version": ("依据版本", "Under version"),
        "plan_page.record_drill": ("记录演练", "Record a drill"),
        "plan_page.back": ("返回应急预案", "Back to the emergency plans"),
        "plan_page.done.filed": ("预案已报备。", "The plan is filed."),
        "plan_page.done.drill": ("演练已记录。", "The drill is recorded."),
    }
)


def _filters(locale: str) -> list[tuple[str, str, list[tuple[str, str]]]]:
    return [
        (
            "owner_kind",
            translate("plan_page.owner_kind", locale),
            [(k.value, translate(f"org_kind.{k.value}", locale)) for k in plans.OWNER_KINDS],
        ),
        (
            "all",
            translate("plan_page.all", locale),
            [("1", translate("plan_page.all_yes", locale))],
        ),
    ]


def _errors(error: SluiceError, locale: str) -> dict[str, str]:
    fields = [e.get("field") for e in error.errors] if isinstance(error, InvalidInput) else []
    name = next((f for f in fields if isinstance(f, str) and f), FORM)
    return {name: error.detail(locale)}


def _date(value: str, field: str) -> date:
    try:
        return parse_date(value, field)
    except FieldProblem as problem:
        raise InvalidInput(
            problem.key, errors=[{"field": field, "type": "date"}], **problem.params
        ) from None


def _list_page(
    request: Request,
    actor: Principal,
    session: Session,
    locale: str,
    listing: ListQuery,
    *,
    form: dict[str, str] | None = None,
    errors: dict[str, str] | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    page = plans.page(session, actor, listing)
    can_file = actor.has(P.EMERGENCY_PLANS_MANAGE) and actor.organization_kind in plans.OWNER_KINDS
    context: dict[str, Any] = {
        "filters": _filters(locale),
        "own": plans.own_latest(session, actor),
        "can_file": can_file,
        "sees_all": actor.organization_kind != OrgKind.OPERATOR,
        "form": form or {},
        "errors": errors or {},
    }
    if status_code != 200:
        full = {"listing": page.query, "page_of_rows": page, "list_id": "list", **context}
        return render(request, "incidents/plans.html", full, status_code=status_code)
    return render_list(
        request,
        "incidents/plans.html",
        context,
        page=page,
        rows_template="incidents/_plan_rows.html",
    )


@router.get(LIST, response_class=HTMLResponse)
def plans_page(
    request: Request,
    actor: Reader,
    session: DbSession,
    locale: Locale,
    listing: Annotated[ListQuery, Depends(PLANS)],
) -> HTMLResponse:
    return _list_page(request, actor, session, locale, listing)


@router.post(LIST, response_class=HTMLResponse)
async def file_plan(
    request: Request,
    actor: Keeper,
    session: DbSession,
    clock: AppClock,
    settings: AppSettings,
    locale: Locale,
) -> Response:
    submitted = await request.form()
    raw = {
        k: str(submitted.get(k) or "").strip()
        for k in ("title", "approved_by", "approved_on", "body")
    }
    upload = submitted.get("file")
    has_file = isinstance(upload, UploadFile) and bool(upload.filename) and (upload.size or 0) > 0
    try:
        filed = plans.file_plan(
            session,
            actor=actor,
            settings=settings,
            at=clock.now(),
            title=raw["title"],
            approved_by=raw["approved_by"],
            approved_on=_date(raw["approved_on"], "approved_on"),
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
            PLANS(request),
            form=raw,
            errors=_errors(error, locale),
            status_code=error.status,
        )
    return see_other(f"{LIST}/{filed.id}?done=filed")


def _plan_page(
    request: Request,
    actor: Principal,
    session: Session,
    locale: str,
    plan_id: uuid.UUID,
    *,
    done: str | None = None,
    errors: dict[str, str] | None = None,
    form: dict[str, str] | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    plan = plans.plan(session, actor, plan_id)
    versions = plans.versions(session, actor, plan)
    by_id = {v.id: v.version for v in versions}
    context: dict[str, Any] = {
        "plan": plan,
        "version_text": translate("plan_page.version_n", locale, version=plan.version),
        "owner": plans.owner_name(session, plan),
        "versions": versions,
        "newest": versions[0].version if versions else plan.version,
        "drills": [(d, by_id.get(d.plan_id)) for d in plans.drills(session, actor, plan)],
        "can_drill": actor.has(P.EMERGENCY_PLANS_MANAGE) and actor.organization_id == plan.owner_id,
        "notice": translate(f"plan_page.done.{done}", locale) if done in _DONE else None,
        "errors": errors or {},
        "form": form or {},
    }
    return render(request, "incidents/plan.html", context, status_code=status_code)


@router.get(LIST + "/{plan_id}", response_class=HTMLResponse)
def plan_page(
    request: Request,
    plan_id: uuid.UUID,
    actor: Reader,
    session: DbSession,
    locale: Locale,
    done: Annotated[str | None, Query(max_length=20)] = None,
) -> HTMLResponse:
    return _plan_page(request, actor, session, locale, plan_id, done=done)


@router.get(LIST + "/{plan_id}/document.pdf")
def plan_document(
    plan_id: uuid.UUID, actor: Reader, session: DbSession, settings: AppSettings
) -> Response:
    plan, content = plans.document(session, actor=actor, settings=settings, plan_id=plan_id)
    return Response(
        content,
        media_type="application/pdf",
        headers={
            "Content-Disposition": f"attachment; filename*=UTF-8''{quote(plan.file_name or '')}",
            "X-Content-SM3": plan.file_sm3 or "",
            "X-Content-Type-Options": "nosniff",
        },
    )


@router.post(LIST + "/{plan_id}/drills", response_class=HTMLResponse)
async def record_drill(
    request: Request,
    plan_id: uuid.UUID,
    actor: Keeper,
    session: DbSession,
    clock: AppClock,
    locale: Locale,
) -> Response:
    submitted = await request.form()
    raw = {
        k: str(submitted.get(k) or "").strip()
        for k in ("held_on", "scenario", "participants", "findings", "follow_up")
    }
    try:
        plans.record_drill(
            session,
            actor=actor,
            at=clock.now(),
            plan_id=plan_id,
            held_on=_date(raw["held_on"], "held_on"),
            scenario=raw["scenario"],
            participants=raw["participants"],
            findings=raw["findings"],
            follow_up=raw["follow_up"],
        )
    except SluiceError as error:
        if error.status in (403, 404):
            raise
        undo_keeping_refusal(session, error)
        return _plan_page(
            request,
            actor,
            session,
            locale,
            plan_id,
            errors=_errors(error, locale),
            form=raw,
            status_code=error.status,
        )
    return see_other(f"{LIST}/{plan_id}?done=drill")
