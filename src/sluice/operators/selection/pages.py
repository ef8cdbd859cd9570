"""Pages of competitive consultations: the bureau's rounds, the panel's score sheets and the
public result."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy.orm import Session

from sluice.core.clock import Clock
from sluice.core.database import undo_keeping_refusal
from sluice.core.errors import InvalidInput, NotFound, SluiceError
from sluice.core.i18n import MessageRef, add_messages, translate
from sluice.core.paging import ListQuery
from sluice.core.permissions import Permission as P
from sluice.core.principal import Principal
from sluice.core.settings import Settings
from sluice.operators.selection import api as reads
from sluice.operators.selection import service
from sluice.operators.selection.ranking import two_decimals
from sluice.operators.selection.repository import ROUND_SORTS
from sluice.operators.selection.schemas import CriterionIn, RoundCreate, ScoreIn
from sluice.operators.selection.states import PREPARING, ROUND, SCORING
from sluice.web.deps import AppClock, AppSettings, DbSession, Locale, MaybePrincipal, Requires
from sluice.web.forms import parse_form
from sluice.web.listing import ListSpec, render_list
from sluice.web.templating import NavItem, add_nav, render

router = APIRouter(tags=["console"])
Manager = Annotated[Principal, Depends(Requires(P.SELECTION_MANAGE))]
Scorer = Annotated[Principal, Depends(Requires(P.SELECTION_SCORE))]

#: Offered on a new round: the city plan's usual weighting, to be edited.
DEFAULT_CRITERIA = "技术方案,40\n运营方案,30\n安全保障,20\n报价/收益分配,10"

add_nav(
    NavItem("nav.selections", "/console/selections", P.SELECTION_MANAGE, order=60),
    NavItem("nav.scoring", "/console/scoring", P.SELECTION_SCORE, order=60),
)
add_messages(
    {
        "nav.selections": ("竞争性磋商", "Operator selection"),
        "nav.scoring": ("磋商评分", "Consultation scoring"),
        "selection.title": ("竞争性磋商", "Competitive consultation"),
        "selection.lead": (
            "按场景遴选运营机构：资格审核通过的机构参加磋商，评审专家按评分因素打分，"
            "数据局依排名选定运营机构并公布结果；不选排名第一的须书面说明理由。",
            "Operators are chosen per scenario: qualified companies take part, the panel "
            "scores them on weighted criteria, and the bureau selects from the ranking and "
            "publishes the result; choosing anyone but the top-ranked needs a written reason.",
        ),
        "selection.new": ("新建磋商", "New consultation"),
        "selection.none": (
            "还没有竞争性磋商。在下方“新建磋商”中填写磋商公告和评分因素即可开始。",
            "No consultations yet. Start one below under “New consultation” with its "
            "announcement and criteria.",
        ),
        "selection.search": ("搜索磋商名称或场景", "Search titles and scenarios"),
        "selection.form_problems": (
            "表单有需要修改的地方，见各项下方的提示。",
            "Some fields need attention; see the notes under them.",
        ),
        "selection.round_title": ("磋商名称", "Title"),
        "selection.scenario": ("授权场景", "Scenario"),
        "selection.description": ("磋商公告内容", "Announcement"),
        "selection.announced_on": ("公告日期", "Announced on"),
        "selection.status": ("状态", "Status"),
        "selection.criteria": ("评分因素和权重", "Criteria and weights"),
        "selection.criteria_lines": (
            "每行一项：名称,权重（整数百分比，合计 100）",
            "One per line: name,weight (integer percent, totalling 100)",
        ),
        "selection.criteria_line_invalid": (
            "第 {line} 行应为“名称,权重”，权重为 1–100 的整数。",
            "Line {line} should read 'name,weight' with a whole weight from 1 to 100.",
        ),
        "selection.criteria_problems": ("{problems}", "{problems}"),
        "selection.save_criteria": ("保存评分因素", "Save the criteria"),
        "selection.criterion": ("评分因素", "Criterion"),
        "selection.weight": ("权重", "Weight"),
        "selection.candidates": ("候选机构", "Candidates"),
        "selection.credit_code": ("统一社会信用代码", "Credit code"),
        "selection.registered_at": ("登记时间", "Registered"),
        "selection.named_at": ("指定时间", "Named"),
        "selection.add_candidate": ("登记候选机构", "Register a candidate"),
        "selection.qualified": ("资格审核已通过", "Qualified"),
        "selection.unqualified": ("未通过资格审核", "Not qualified"),
        "selection.panel": ("评审专家", "Panel"),
        "selection.add_member": ("指定评审专家", "Name a panel member"),
        "selection.remove": ("移除", "Remove"),
        "selection.min_candidates": (
            "开始评分至少需要 {count} 家候选机构。",
            "Scoring needs at least {count} candidates.",
        ),
        "selection.actions": ("下一步", "Next steps"),
        "selection.cancel_reason": ("终止理由", "Why the round is cancelled"),
        "selection.cancel_reason_required": (
            "请写明终止磋商的理由。",
            "Please write down why the round is cancelled.",
        ),
        "selection.missing": ("尚未提交的评分", "Scores still missing"),
        "selection.missing_none": (
            "所有评审专家已完成全部评分。",
            "Every panel member has scored everything.",
        ),
        "selection.member": ("评审专家", "Panel member"),
        "selection.ranking": ("排名", "Ranking"),
        "selection.rank": ("名次", "Rank"),
        "selection.weighted": ("加权得分", "Weighted score"),
        "selection.tied": ("并列", "Tied"),
        "selection.tiebreak_note": (
            "加权得分相同时，按权重最高的评分因素“{name}”的平均分排序；仍相同则并列。",
            "Equal weighted scores are ordered by the mean on the highest-weighted criterion, "
            "'{name}'; candidates still equal are tied.",
        ),
        "selection.separated": ("同分，按“{name}”排序", "Equal score, ordered by '{name}'"),
        "selection.tie_at_top": (
            "{names} 并列第一：请选定其中一家并写明理由。",
            "{names} are tied for first place: choose one and write down why.",
        ),
        "selection.sheets": ("各评审专家评分表（仅数据局可见）", "Score sheets (bureau only)"),
        "selection.select": ("选定运营机构", "Select the operator"),
        "selection.select_reason": (
            "理由（不选排名第一的候选机构时必填）",
            "Reason (required unless you choose the top-ranked candidate)",
        ),
        "selection.selected": ("选定的运营机构", "Selected operator"),
        "selection.selected_reason": ("选定理由", "Reason for the choice"),
        "selection.top_ranked": ("排名第一", "Top-ranked"),
        "selection.not_top_ranked": ("非排名第一，已说明理由", "Not top-ranked; reason given"),
        "selection.public_link": ("公开结果页", "Public result page"),
        "selection.done": ("已完成：{action}。", "Done: {action}."),
        "selection.saved": ("已保存。", "Saved."),
        "selection.back": ("返回磋商列表", "Back to the consultations"),
        "selection.lifecycle": ("磋商流程", "How a round moves"),
        "selection.from": ("从", "From"),
        "selection.to": ("到", "To"),
        "selection.by": ("所需权限", "Permission"),
        "selection.cancelled_because": ("终止理由：{reason}", "Cancelled because: {reason}"),
        "selection.scoring_lead": (
            "您被指定为以下竞争性磋商的评审专家。评分阶段内可随时修改，评分结束后不能再改。",
            "You sit on the panels below. You may revise your scores until scoring closes.",
        ),
        "selection.assigned_none": (
            "您当前没有需要评分的磋商。数据局将您指定为评审专家后，磋商会出现在这里。",
            "No consultation awaits your scores. When the bureau names you to a panel, the "
            "round appears here.",
        ),
        "selection.sheet": ("评分表", "Score sheet"),
        "selection.sheet_lead": (
            "请对每家候选机构的每项评分因素打分（0–100 的整数）。可分次保存。",
            "Score every candidate on every criterion (a whole number from 0 to 100). "
            "You may save part of the sheet and come back.",
        ),
        "selection.sheet_closed": (
            "本次磋商当前不在评分阶段，评分表只读。",
            "This round is not being scored; the sheet is read-only.",
        ),
        "selection.sheet_missing": ("尚有 {count} 项未评分。", "{count} score(s) still to give."),
        "selection.sheet_complete": ("您已完成全部评分。", "You have scored everything."),
        "selection.save_scores": ("保存评分", "Save the scores"),
        "selection.score_invalid": (
            "分数须为 0–100 的整数：{where}。",
            "Scores are whole numbers from 0 to 100: {where}.",
        ),
        "selection.results": ("运营机构遴选结果公示", "Operator selection results"),
        "selection.results_lead": (
            "数据局通过竞争性磋商按场景遴选授权运营机构，结果在此公示。",
            "The data bureau selects authorized operators per scenario by competitive "
            "consultation; the results are published here.",
        ),
        "selection.results_none": ("暂无公示的遴选结果。", "No results published yet."),
        "selection.published_at": ("公示日期", "Published"),
        "selection.selected_on": ("选定日期", "Selected on"),
        "selection.panel_list": ("评审专家名单", "Panel"),
        "selection.public_note": (
            "加权得分 = Σ 权重 × 评审专家在该因素上的平均分，保留两位小数。"
            "各专家的逐项评分由数据局存档。",
            "Weighted score = Σ weight × the panel's mean on the criterion, to two decimals. "
            "The individual members' score sheets are kept by the data bureau.",
        ),
    }
)


# --- the public ---------------------------------------------------------------------------


@router.get("/portal/selections", response_class=HTMLResponse)
def results_page(request: Request, principal: MaybePrincipal, session: DbSession) -> HTMLResponse:
    return render(
        request, "operators/selection_results.html", {"results": reads.public_summaries(session)}
    )


@router.get("/portal/selections/{round_id}", response_class=HTMLResponse)
def result_page(
    request: Request, round_id: uuid.UUID, principal: MaybePrincipal, session: DbSession
) -> HTMLResponse:
    return render(
        request, "operators/selection_result.html", {"r": reads.public_result(session, round_id)}
    )


# --- the bureau ---------------------------------------------------------------------------


def parse_criteria(text: str, locale: str) -> tuple[list[CriterionIn], list[str]]:
    """`name,weight` per line, as people type them (full-width commas too)."""
    items, problems = [], []
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        name, _, weight = line.replace("，", ",").rpartition(",")
        item, _ = parse_form(CriterionIn, {"name": name.strip(), "weight": weight.strip()}, locale)
        if item is None or not name.strip():
            problems.append(translate("selection.criteria_line_invalid", locale, line=number))
        else:
            items.append(item)
    return items, problems


#: The bureau's rounds, and a panel member's: 50 a page, the latest announcement first.
ROUNDS = ListSpec(sorts=tuple(ROUND_SORTS), filters=("status",), default_sort="-announced")


def _status_filter(locale: str) -> list[tuple[str, str, list[tuple[str, str]]]]:
    return [
        (
            "status",
            translate("selection.status", locale),
            [(s, translate(f"state.selection_round.{s}", locale)) for s in ROUND.states],
        )
    ]


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
    page = service.round_page(session, actor=actor, query=listing)
    context = {
        "selected": service.organization_names(
            session, [r.selected_organization_id for r in page.items if r.selected_organization_id]
        ),
        "filters": _status_filter(locale),
        "form": form or {"criteria": DEFAULT_CRITERIA},
        "errors": errors or {},
    }
    if status_code != 200:
        return render(
            request,
            "operators/selections.html",
            {"listing": page.query, "page_of_rows": page, "list_id": "list", **context},
            status_code=status_code,
        )
    return render_list(
        request,
        "operators/selections.html",
        context,
        page=page,
        rows_template="operators/_selection_rows.html",
    )


@router.get("/console/selections", response_class=HTMLResponse)
def selections_page(
    request: Request,
    actor: Manager,
    session: DbSession,
    locale: Locale,
    listing: Annotated[ListQuery, Depends(ROUNDS)],
) -> HTMLResponse:
    return _list_page(request, actor, session, locale, listing)


@router.post("/console/selections", response_class=HTMLResponse)
async def create_round(
    request: Request, actor: Manager, session: DbSession, clock: AppClock, locale: Locale
) -> Response:
    submitted = await request.form()
    fields = ("title", "scenario", "description", "announced_on", "criteria")
    raw = {k: str(submitted.get(k, "")).strip() for k in fields}
    items, problems = parse_criteria(raw["criteria"], locale)
    values: dict[str, Any] = {k: v for k, v in raw.items() if v and k != "criteria"}
    values["criteria"] = [i.model_dump() for i in items]
    data, errors = parse_form(RoundCreate, values, locale)
    if problems:
        errors["criteria"] = " ".join(problems)
    else:
        try:  # the weights with the other fields, not on a second submit
            service.check_criteria(items)
        except InvalidInput as error:
            errors["criteria"] = error.detail(locale)
    if data is not None and not errors:
        try:
            created = service.create_round(session, actor=actor, clock=clock, data=data)
        except InvalidInput as error:
            undo_keeping_refusal(session, error)
            errors = {"criteria": error.detail(locale)}
        else:
            return RedirectResponse(f"/console/selections/{created.id}", status_code=303)
    first = ListQuery(size=ROUNDS.size, sort="announced", descending=True)
    return _list_page(
        request, actor, session, locale, first, form=raw, errors=errors, status_code=422
    )


def _detail_page(
    request: Request,
    actor: Principal,
    session: Session,
    settings: Settings,
    locale: str,
    round_id: uuid.UUID,
    *,
    message: str | None = None,
    error: str | None = None,
    form: dict[str, str] | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    r = service.get(session, actor=actor, round_id=round_id)
    crits = service.criteria(session, r.id)
    cands = service.candidates(session, r.id)
    members = service.panel(session, r.id)
    result = service.ranking(session, r)
    chart = (
        [{"name": e.name, "score": float(two_decimals(e.weighted))} for e in result.entries]
        if result
        else []
    )
    breaker = next((c for c in crits if result and c.id == result.tiebreak_criterion_id), None)
    return render(
        request,
        "operators/selection.html",
        {
            "r": r,
            "criteria": crits,
            "criteria_text": "\n".join(f"{c.name},{c.weight}" for c in crits) or DEFAULT_CRITERIA,
            "weight_total": sum(c.weight for c in crits),
            "candidates": cands,
            "panel": members,
            "candidate_choices": service.candidate_choices(session, r),
            "panel_choices": service.panel_choices(session, r),
            "preparing": r.status in PREPARING,
            "min_candidates": settings.selection_min_candidates,
            "missing": service.missing_scores(session, r) if r.status == SCORING else [],
            "ranking": result,
            "breaker": breaker,
            "chart": chart,
            "sheets": service.score_sheets(session, actor=actor, round_id=r.id) if result else [],
            "selection": reads.selection_read(session, r, result),
            "actions": service.allowed_actions(actor, r),
            "lifecycle": ROUND.table(locale),
            "two_decimals": two_decimals,
            "message": message,
            "error": error,
            "form": form or {},
        },
        status_code=status_code,
    )


@router.get("/console/selections/{round_id}", response_class=HTMLResponse)
def selection_page(
    request: Request,
    round_id: uuid.UUID,
    actor: Manager,
    session: DbSession,
    settings: AppSettings,
    locale: Locale,
    done: str | None = None,
) -> HTMLResponse:
    message = None
    if done in {t.name for t in ROUND.transitions}:
        action = MessageRef(f"transition.{ROUND.entity}.{done}")
        message = translate("selection.done", locale, action=action)
    elif done:
        message = translate("selection.saved", locale)
    return _detail_page(request, actor, session, settings, locale, round_id, message=message)


async def _act(
    request: Request,
    actor: Principal,
    session: Session,
    settings: Settings,
    locale: str,
    round_id: uuid.UUID,
    done: str,
    operation: Callable[[dict[str, str]], object],
) -> Response:
    submitted = await request.form()
    form = {k: str(v).strip() for k, v in submitted.items() if k != "csrf_token"}
    try:
        operation(form)
    except SluiceError as error:
        if error.status == 404 and not isinstance(error, InvalidInput):
            raise
        undo_keeping_refusal(session, error)
        return _detail_page(
            request,
            actor,
            session,
            settings,
            locale,
            round_id,
            error=error.detail(locale),
            form={**form, "action": done},
            status_code=error.status,
        )
    return RedirectResponse(f"/console/selections/{round_id}?done={done}", status_code=303)


@router.post("/console/selections/{round_id}/criteria", response_class=HTMLResponse)
async def save_criteria(
    request: Request,
    round_id: uuid.UUID,
    actor: Manager,
    session: DbSession,
    clock: AppClock,
    settings: AppSettings,
    locale: Locale,
) -> Response:
    def operation(form: dict[str, str]) -> object:
        items, problems = parse_criteria(form.get("criteria", ""), locale)
        if problems:
            raise InvalidInput("selection.criteria_problems", problems=" ".join(problems))
        return service.set_criteria(
            session, actor=actor, clock=clock, round_id=round_id, items=items
        )

    return await _act(request, actor, session, settings, locale, round_id, "criteria", operation)


def _uuid(value: str | None) -> uuid.UUID:
    try:
        return uuid.UUID(value or "")
    except ValueError:
        raise InvalidInput("form.choice") from None


@router.post("/console/selections/{round_id}/candidates", response_class=HTMLResponse)
async def add_candidate(
    request: Request,
    round_id: uuid.UUID,
    actor: Manager,
    session: DbSession,
    clock: AppClock,
    settings: AppSettings,
    locale: Locale,
) -> Response:
    def operation(form: dict[str, str]) -> object:
        return service.add_candidate(
            session,
            actor=actor,
            clock=clock,
            round_id=round_id,
            organization_id=_uuid(form.get("organization_id")),
        )

    return await _act(request, actor, session, settings, locale, round_id, "candidate", operation)


@router.post(
    "/console/selections/{round_id}/candidates/{organization_id}/remove",
    response_class=HTMLResponse,
)
async def remove_candidate(
    request: Request,
    round_id: uuid.UUID,
    organization_id: uuid.UUID,
    actor: Manager,
    session: DbSession,
    clock: AppClock,
    settings: AppSettings,
    locale: Locale,
) -> Response:
    def operation(form: dict[str, str]) -> object:
        service.remove_candidate(
            session, actor=actor, clock=clock, round_id=round_id, organization_id=organization_id
        )
        return None

    return await _act(request, actor, session, settings, locale, round_id, "candidate", operation)


@router.post("/console/selections/{round_id}/panel", response_class=HTMLResponse)
async def name_member(
    request: Request,
    round_id: uuid.UUID,
    actor: Manager,
    session: DbSession,
    clock: AppClock,
    settings: AppSettings,
    locale: Locale,
) -> Response:
    def operation(form: dict[str, str]) -> object:
        return service.name_panel_member(
            session,
            actor=actor,
            clock=clock,
            round_id=round_id,
            user_id=_uuid(form.get("user_id")),
        )

    return await _act(request, actor, session, settings, locale, round_id, "panel", operation)


@router.post("/console/selections/{round_id}/panel/{user_id}/remove", response_class=HTMLResponse)
async def remove_member(
    request: Request,
    round_id: uuid.UUID,
    user_id: uuid.UUID,
    actor: Manager,
    session: DbSession,
    clock: AppClock,
    settings: AppSettings,
    locale: Locale,
) -> Response:
    def operation(form: dict[str, str]) -> object:
        service.remove_panel_member(
            session, actor=actor, clock=clock, round_id=round_id, user_id=user_id
        )
        return None

    return await _act(request, actor, session, settings, locale, round_id, "panel", operation)


@router.post("/console/selections/{round_id}/select", response_class=HTMLResponse)
async def select_operator(
    request: Request,
    round_id: uuid.UUID,
    actor: Manager,
    session: DbSession,
    clock: AppClock,
    settings: AppSettings,
    locale: Locale,
) -> Response:
    def operation(form: dict[str, str]) -> object:
        return service.select_operator(
            session,
            actor=actor,
            clock=clock,
            round_id=round_id,
            organization_id=_uuid(form.get("organization_id")),
            reason=form.get("reason") or None,
        )

    return await _act(request, actor, session, settings, locale, round_id, "select", operation)


def _transition(
    name: str, session: Session, actor: Principal, clock: Clock, settings: Settings
) -> Callable[[uuid.UUID, dict[str, str]], object]:
    def fire(round_id: uuid.UUID, form: dict[str, str]) -> object:
        common: dict[str, Any] = {"actor": actor, "clock": clock, "round_id": round_id}
        if name == "open":
            return service.open_round(session, **common)
        if name == "start_scoring":
            return service.start_scoring(session, settings=settings, **common)
        if name == "close_scoring":
            return service.close_scoring(session, **common)
        if name == "publish":
            return service.publish(session, **common)
        reason = form.get("reason", "")
        if len(reason) < 2:
            raise InvalidInput("selection.cancel_reason_required")
        return service.cancel(session, reason=reason, **common)

    return fire


@router.post("/console/selections/{round_id}/{transition}", response_class=HTMLResponse)
async def change_round(
    request: Request,
    round_id: uuid.UUID,
    transition: str,
    actor: Manager,
    session: DbSession,
    clock: AppClock,
    settings: AppSettings,
    locale: Locale,
) -> Response:
    if transition not in {t.name for t in ROUND.transitions}:
        raise NotFound()
    fire = _transition(transition, session, actor, clock, settings)
    return await _act(
        request,
        actor,
        session,
        settings,
        locale,
        round_id,
        transition,
        lambda form: fire(round_id, form),
    )


# --- the panel ----------------------------------------------------------------------------


@router.get("/console/scoring", response_class=HTMLResponse)
def assigned_page(
    request: Request,
    actor: Scorer,
    session: DbSession,
    locale: Locale,
    listing: Annotated[ListQuery, Depends(ROUNDS)],
) -> HTMLResponse:
    page = service.my_round_page(session, actor=actor, query=listing)
    sheets = {r.id: service.my_sheet(session, actor=actor, round_id=r.id) for r in page.items}
    return render_list(
        request,
        "operators/selection_assigned.html",
        {"sheets": sheets, "filters": _status_filter(locale)},
        page=page,
        rows_template="operators/_assigned_rows.html",
    )


def _sheet_page(
    request: Request,
    actor: Principal,
    session: Session,
    round_id: uuid.UUID,
    *,
    message: str | None = None,
    error: str | None = None,
    typed: dict[str, str] | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    sheet = service.my_sheet(session, actor=actor, round_id=round_id)
    return render(
        request,
        "operators/selection_sheet.html",
        {"sheet": sheet, "message": message, "error": error, "typed": typed or {}},
        status_code=status_code,
    )


@router.get("/console/scoring/{round_id}", response_class=HTMLResponse)
def sheet_page(
    request: Request,
    round_id: uuid.UUID,
    actor: Scorer,
    session: DbSession,
    locale: Locale,
    saved: str | None = None,
) -> HTMLResponse:
    message = translate("selection.saved", locale) if saved else None
    return _sheet_page(request, actor, session, round_id, message=message)


def parse_scores(form: dict[str, str], locale: str) -> tuple[list[ScoreIn], list[str]]:
    """Fields ``score:<organization id>:<criterion id>``; blank ones are not yet scored."""
    scores, bad = [], []
    for key, value in form.items():
        if not key.startswith("score:") or not value:
            continue
        _, organization_id, criterion_id = [*key.split(":"), "", ""][:3]
        try:
            scores.append(
                ScoreIn(
                    organization_id=uuid.UUID(organization_id),
                    criterion_id=uuid.UUID(criterion_id),
                    score=int(value),
                )
            )
        except ValueError:
            bad.append(value)
    return scores, bad


@router.post("/console/scoring/{round_id}", response_class=HTMLResponse)
async def save_scores(
    request: Request,
    round_id: uuid.UUID,
    actor: Scorer,
    session: DbSession,
    clock: AppClock,
    locale: Locale,
) -> Response:
    submitted = await request.form()
    typed = {k: str(v).strip() for k, v in submitted.items() if k.startswith("score:")}
    scores, bad = parse_scores(typed, locale)
    try:
        if bad:
            raise InvalidInput("selection.score_invalid", where="、".join(bad))
        if scores:
            service.submit_scores(
                session, actor=actor, clock=clock, round_id=round_id, scores=scores
            )
    except SluiceError as error:
        if error.status in (403, 404):
            raise
        undo_keeping_refusal(session, error)
        return _sheet_page(
            request,
            actor,
            session,
            round_id,
            error=error.detail(locale),
            typed=typed,
            status_code=error.status,
        )
    return RedirectResponse(f"/console/scoring/{round_id}?saved=1", status_code=303)
