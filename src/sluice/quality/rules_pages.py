"""Console pages of the data-quality management rules (数据质量管理规则): the version in force
with every earlier one listed, one version by its number, and the bureau's form to publish
the next."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Request
from fastapi.responses import HTMLResponse, Response

from sluice.core.clock import local
from sluice.core.database import undo_keeping_refusal
from sluice.core.errors import SluiceError
from sluice.core.i18n import add_messages, translate
from sluice.core.permissions import Permission as P
from sluice.core.principal import Principal
from sluice.quality import rules
from sluice.quality.models import QualityRulesVersion
from sluice.quality.schemas import RulesCreate
from sluice.web.deps import AppClock, DbSession, Locale, Requires
from sluice.web.forms import FORM, FormErrors, see_other
from sluice.web.templating import render

router = APIRouter(tags=["console"])
QualityReader = Annotated[Principal, Depends(Requires(P.QUALITY_READ))]
Publisher = Annotated[Principal, Depends(Requires(P.QUALITY_RULES_PUBLISH))]
Number = Annotated[int, Path(ge=1, le=1_000_000)]

add_messages(
    {
        "rules.title": ("数据质量管理规则", "Data-quality management rules"),
        "rules.lead": (
            "数据局制定的数据质量管理制度：数据提供部门对数据质量负责，质量评分和纠错工单依此执行。"
            "每次修订发布为新的版本，历次版本均可查阅。",
            "The bureau's data-quality management system: providers answer for their data's "
            "quality, and scores and correction tickets follow it. Each revision is published "
            "as a new version; every earlier version stays readable.",
        ),
        "rules.in_force": ("现行版本", "In force"),
        "rules.none": (
            "尚未发布数据质量管理规则。",
            "No data-quality management rules have been published yet.",
        ),
        "rules.version_heading": (
            "《{title}》第 {number} 版",
            "{title}, version {number}",
        ),
        "rules.meta": (
            "{effective} 起施行 · {by} 于 {at} 发布",
            "In force from {effective} · published by {by} on {at}",
        ),
        "rules.versions": ("历次版本", "Every version"),
        "rules.number": ("版本", "Version"),
        "rules.doc_title": ("标题", "Title"),
        "rules.effective_on": ("施行日期", "Effective from"),
        "rules.published_at": ("发布时间", "Published"),
        "rules.state": ("状态", "Status"),
        "rules.state.in_force": ("现行", "In force"),
        "rules.state.superseded": ("已被新版本取代", "Superseded"),
        "rules.state.pending": ("待施行", "Not yet in force"),
        "rules.superseded_notice": (
            "此版本已不再施行，现行版本为第 {number} 版。",
            "This version is no longer in force; version {number} is.",
        ),
        "rules.pending_notice": (
            "此版本将于 {effective} 起施行，在此之前施行的是此前的版本。",
            "This version takes effect on {effective}; until then the earlier version applies.",
        ),
        "rules.published": (
            "已发布第 {number} 版，{effective} 起施行。",
            "Version {number} published, in force from {effective}.",
        ),
        "rules.publish": ("发布新版本", "Publish a new version"),
        "rules.publish_help": (
            "发布后不可修改；修订请再发布新版本。施行日期不早于今天，也不早于上一版的施行日期。",
            "A published version never changes; to revise it, publish another. The effective "
            "date is today or later, and not before the previous version's.",
        ),
        "rules.body": ("正文", "Text"),
        "rules.back": ("返回数据质量管理规则", "Back to the rules"),
        "rules.scores": ("质量评分", "Quality scores"),
    }
)


def _states(
    versions: list[QualityRulesVersion], current: QualityRulesVersion | None
) -> dict[int, str]:
    """Each version's standing today: in force, superseded (before the one in force) or
    pending (published, its effective day still to come)."""
    number = current.number if current else 0
    return {
        v.number: "in_force"
        if v.number == number
        else ("superseded" if v.number < number else "pending")
        for v in versions
    }


def _page(
    request: Request,
    actor: Principal,
    session: DbSession,
    clock: AppClock,
    *,
    form: dict[str, str] | None = None,
    errors: dict[str, str] | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    today = local(clock.now()).date()
    versions = rules.versions(session, actor=actor)
    current = rules.in_force(session, actor=actor, today=today)
    context: dict[str, Any] = {
        "current": current,
        "versions": versions,
        "states": _states(versions, current),
        "form": form or {"effective_on": today.isoformat()},
        "errors": errors or {},
        "can_publish": actor.has(P.QUALITY_RULES_PUBLISH),
    }
    return render(request, "quality/rules.html", context, status_code=status_code)


@router.get("/console/quality/rules", response_class=HTMLResponse)
def rules_page(
    request: Request, actor: QualityReader, session: DbSession, clock: AppClock
) -> HTMLResponse:
    return _page(request, actor, session, clock)


@router.post("/console/quality/rules", response_class=HTMLResponse)
async def publish_rules(
    request: Request, actor: Publisher, session: DbSession, clock: AppClock, locale: Locale
) -> Response:
    submitted = await request.form()
    raw = {k: str(submitted.get(k, "")).strip() for k in ("title", "body", "effective_on")}
    errors = FormErrors(locale)
    effective = errors.date(raw["effective_on"], "effective_on", required=True)
    values: dict[str, Any] = {"title": raw["title"], "body": raw["body"]}
    if effective is not None:
        values["effective_on"] = effective
    data = errors.parse(RulesCreate, values)
    if data is not None and not errors:
        try:
            published = rules.publish(session, actor=actor, clock=clock, data=data)
        except SluiceError as error:
            if error.status in (403, 404):
                raise
            undo_keeping_refusal(session, error)
            errors.refusal(error)
        else:
            return see_other(f"/console/quality/rules/{published.number}?published=1")
    if FORM not in errors:
        errors.add(FORM, "form.problems")
    return _page(request, actor, session, clock, form=raw, errors=errors.as_dict(), status_code=422)


@router.get("/console/quality/rules/{number}", response_class=HTMLResponse)
def version_page(
    request: Request,
    number: Number,
    actor: QualityReader,
    session: DbSession,
    clock: AppClock,
    locale: Locale,
    published: str | None = None,
) -> HTMLResponse:
    version = rules.version(session, actor=actor, number=number)
    current = rules.in_force(session, actor=actor, today=local(clock.now()).date())
    state = _states([version], current)[version.number]
    message = (
        translate(
            "rules.published",
            locale,
            number=version.number,
            effective=version.effective_on.isoformat(),
        )
        if published
        else None
    )
    return render(
        request,
        "quality/rules_version.html",
        {"v": version, "state": state, "current": current, "message": message},
    )
