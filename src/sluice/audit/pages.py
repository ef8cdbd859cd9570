"""The bureau's audit log: filter it, read it in words, export what was filtered.

Filters are query parameters (so a filtered view is an address to share): ``action``,
``actor`` (a username), ``organization`` (an organization's code), ``target_type``,
``target_id`` (its start), ``outcome``, ``from`` and ``to`` (days in the display zone,
both included) and the search box ``q``. ``/console/audit.csv`` takes the same parameters
and streams the filtered set, at most :data:`EXPORT_LIMIT` rows; the export is on the log.
"""

from __future__ import annotations

import csv
import io
import re
import uuid
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import date, datetime
from typing import Annotated, Any, Final

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, StreamingResponse
from sqlalchemy.orm import Session

from sluice.audit import details, service
from sluice.audit.lifecycles import MACHINES
from sluice.audit.models import AuditEvent
from sluice.audit.repository import EventFilter, OrganizationName
from sluice.core.clock import local
from sluice.core.database import Database
from sluice.core.dates import EARLIEST, LATEST
from sluice.core.errors import InvalidInput
from sluice.core.i18n import ZH, add_messages, has_message, translate
from sluice.core.paging import ListQuery, Page
from sluice.core.permissions import Permission
from sluice.core.principal import Principal
from sluice.web.deps import AppClock, DbSession, Locale, Requires
from sluice.web.listing import ListSpec, link, render_list
from sluice.web.picker import PickItem, PickResult, add_picker
from sluice.web.templating import NavItem, add_nav

router = APIRouter(tags=["console"])
AuditReader = Annotated[Principal, Depends(Requires(Permission.AUDIT_READ))]

#: Rows one export holds at most; the page says so when the filter matches more.
EXPORT_LIMIT: Final = 100_000
#: Rows an export reads from the database at a time.
EXPORT_BATCH: Final = 1_000
OUTCOMES: Final = ("ok", "refused", "failed")
_DAY: Final = re.compile(r"\d{4}-\d{2}-\d{2}")
FILTERS: Final = (
    "action",
    "actor",
    "organization",
    "target_type",
    "target_id",
    "outcome",
    "from",
    "to",
    "reason",
    "purpose",
    "resource",
)
AUDIT_LIST = ListSpec(sorts=("time", "id"), filters=FILTERS, default_sort="-time", size=50)
Listing = Annotated[ListQuery, Depends(AUDIT_LIST)]

add_nav(NavItem("nav.audit", "/console/audit", Permission.AUDIT_READ, "nav.section.admin", 90))
add_messages(
    {
        "audit.title": ("审计日志", "Audit log"),
        "audit.lead": (
            "平台上每一次状态变更和数据访问都在同一事务中记入本日志，只追加、不修改。",
            "Every state change and data access is written here in the same transaction; the "
            "log is append-only.",
        ),
        "audit.time": ("时间", "Time"),
        "audit.id": ("编号", "No."),
        "audit.action": ("事件", "Event"),
        "audit.action_code": ("事件代码", "Event code"),
        "audit.actor": ("操作者", "Actor"),
        "audit.actor_username": ("用户名", "Username"),
        "audit.organization": ("机构", "Organization"),
        "audit.target": ("对象", "Target"),
        "audit.target_type": ("对象类型", "Target type"),
        "audit.target_id": ("对象编号", "Target id"),
        "audit.target_id_placeholder": ("粘贴编号或其开头", "Paste an id or its start"),
        "audit.outcome": ("结果", "Outcome"),
        "audit.reason": ("原因代码", "Reason code"),
        "audit.reason_placeholder": ("如 out_of_scope", "e.g. out_of_scope"),
        "audit.purpose": ("用途", "Purpose"),
        "audit.resource": ("数据资源", "Data resource"),
        "audit.resource_placeholder": ("数据资源编号", "A data resource's id"),
        "audit.authorization": ("授权", "Authorization"),
        "audit.consent": ("知情同意", "Consent"),
        "audit.client_address": ("客户端地址", "Client address"),
        "audit.request_id": ("请求编号", "Request id"),
        "audit.events_of_resource": (
            "只看使用此数据资源的记录",
            "Only events that used this resource",
        ),
        "audit.bad_resource": (
            "“{value}”不是数据资源编号（形如 3f0c…-…的 36 位编号）。",
            "“{value}” is not a data resource's id (36 characters like 3f0c…-…).",
        ),
        "audit.detail": ("详情", "Details"),
        "audit.date_from": ("开始日期", "From"),
        "audit.date_to": ("结束日期", "To"),
        "audit.search_placeholder": (
            "搜索事件、操作者、机构或对象编号",
            "Search events, actors, organizations or ids",
        ),
        "audit.actor.system": ("系统（{name}）", "System ({name})"),
        "audit.pick_actor": ("输入用户名或姓名", "Type a username or name"),
        "audit.pick_organization": ("输入机构名称或编码", "Type an organization's name or code"),
        "audit.pick.system": ("平台自动操作", "The platform itself"),
        "audit.filtered_by": ("筛选条件：", "Filtered by: "),
        "audit.remove_filter": ("去掉此条件", "Remove this filter"),
        "audit.history_of": ("只看此对象的记录", "Only this object's events"),
        "audit.events_of_actor": ("只看此操作者的记录", "Only this actor's events"),
        "audit.export_csv": ("导出 CSV（{rows} 条）", "Export CSV ({rows} rows)"),
        "audit.export_capped": (
            "符合条件的记录共 {total} 条，一次最多导出 {limit} 条（按当前排序的前 {limit} 条）；"
            "请缩小日期范围或增加筛选条件，分次导出。",
            "{total} events match; one export holds at most {limit} (the first {limit} in "
            "the current order). Narrow the dates or add filters and export in parts.",
        ),
        "audit.export_note": (
            "导出本身也记入审计日志。时间为北京时间（UTC+8）。",
            "Exports are themselves logged. Times are Beijing time (UTC+8).",
        ),
        "audit.fix_dates": (
            "请更正日期后再查询。",
            "Correct the dates to see the events.",
        ),
        "audit.csv.time": ("时间（北京时间）", "Time (Beijing, UTC+8)"),
        "audit.group.audit": ("审计日志", "Audit log"),
        "audit.group.catalog": ("数据资源目录", "Resource catalog"),
        "audit.group.collective_decision": ("集体决策", "Collective decisions"),
        "audit.group.data": ("数据汇聚", "Data ingestion"),
        "audit.group.guard": ("数据访问", "Data access"),
        "audit.group.identity": ("机构、用户与登录", "Organizations, users, logins"),
        "audit.group.operator_checklist_item": ("资格审核清单", "Qualification checklist"),
        "audit.group.quality": ("数据质量", "Data quality"),
        "error.audit_dates": ("日期有误：{problems}", "Dates not valid: {problems}"),
        "error.audit_filters": ("筛选条件有误：{problems}", "Filters not valid: {problems}"),
        "audit.fix_filters": ("请更正筛选条件后再查询。", "Correct the filters to see the events."),
    }
)


# -- Reading the request ---------------------------------------------------------------------


def _day(raw: str | None, locale: str) -> tuple[date | None, str | None]:
    if not raw:
        return None, None
    try:
        # Only year-month-day: fromisoformat also reads 20261126 and 2026-W48-4.
        day = date.fromisoformat(raw) if _DAY.fullmatch(raw) else None
    except ValueError:
        day = None
    if day is None:
        return None, translate("audit.bad_date", locale, value=raw)
    if not EARLIEST <= day <= LATEST:
        return None, translate(
            "audit.date_out_of_range",
            locale,
            earliest=EARLIEST.isoformat(),
            latest=LATEST.isoformat(),
        )
    return day, None


@dataclass(frozen=True)
class Asked:
    """What the reader asked for: the filter, and for each bad date why it is bad."""

    wanted: EventFilter
    errors: Mapping[str, str]


def read_filters(listing: ListQuery, locale: str) -> Asked:
    """The list's parameters as an :class:`EventFilter`; days become UTC bounds of days in
    the display zone (``to`` included)."""
    first, first_error = _day(listing.filter("from"), locale)
    last, last_error = _day(listing.filter("to"), locale)
    errors = {name: error for name, error in (("from", first_error), ("to", last_error)) if error}
    resource_id = None
    if raw_resource := listing.filter("resource"):
        try:
            resource_id = uuid.UUID(raw_resource)
        except ValueError:
            errors["resource"] = translate("audit.bad_resource", locale, value=raw_resource[:40])
    if first and last and first > last:
        errors["to"] = translate("audit.dates_reversed", locale)
    since, before = service.day_bounds(first, last)
    wanted = EventFilter(
        action=listing.filter("action"),
        actor=listing.filter("actor"),
        organization=listing.filter("organization"),
        target_type=listing.filter("target_type"),
        target_id=listing.filter("target_id"),
        outcome=listing.filter("outcome"),
        since=since,
        before=before,
        text=listing.q,
        text_actions=service.actions_labelled(listing.q),
        reason=listing.filter("reason"),
        purpose=listing.filter("purpose"),
        resource_id=resource_id,
    )
    return Asked(wanted, errors)


# -- Events in words ---------------------------------------------------------------------------


@dataclass(frozen=True)
class EventRow:
    """One event as a person reads it (the page and the export show the same words)."""

    id: int
    occurred_at: datetime
    action: str
    action_label: str
    actor: str
    actor_username: str
    organization: str
    organization_code: str
    target_type: str
    target_label: str
    target_id: str
    outcome: str
    outcome_label: str
    details: list[details.DetailLine]
    details_text: str
    #: The entry's fields beyond its target (``record``'s keyword fields), as read.
    reason: str | None = None
    reason_label: str = ""
    purpose: str | None = None
    authorization_id: str = ""
    consent_id: str = ""
    resources: tuple[str, ...] = ()
    client_address: str = ""
    request_id: str = ""


def _organization_name(found: OrganizationName | None, locale: str) -> str:
    if found is None:
        return ""
    return found.name_en if locale != ZH and found.name_en else found.name


def event_rows(
    events: list[AuditEvent],
    names: service.Names,
    locale: str,
    resources: Mapping[int, list[uuid.UUID]] | None = None,
) -> list[EventRow]:
    rows = []
    for event in events:
        user = names.users.get(event.actor_user_id) if event.actor_user_id else None
        if user is not None:
            actor = user.display_name or user.username
        elif event.actor_via == "system":
            actor = translate("audit.actor.system", locale, name=event.actor_username)
        else:
            actor = event.actor_username
        organization_id = event.actor_organization_id or (user.organization_id if user else None)
        organization = names.organizations.get(organization_id) if organization_id else None
        rows.append(
            EventRow(
                id=event.id,
                occurred_at=event.occurred_at,
                action=event.action,
                action_label=details.action_label(event.action, locale),
                actor=actor,
                actor_username=event.actor_username,
                organization=_organization_name(organization, locale),
                organization_code=organization.code if organization else "",
                target_type=event.target_type,
                target_label=details.target_label(event.target_type, locale),
                target_id=event.target_id,
                outcome=event.outcome,
                outcome_label=details.outcome_label(event.outcome, locale),
                details=details.describe(event, locale),
                details_text=details.as_text(event, locale),
                reason=(reason := service.reason_of(event)),
                reason_label=details.reason_label(reason, locale) if reason else "",
                purpose=event.purpose,
                authorization_id=str(event.authorization_id or ""),
                consent_id=str(event.consent_id or ""),
                resources=tuple(str(r) for r in (resources or {}).get(event.id, ())),
                client_address=event.client_address or "",
                request_id=str(event.request_id or ""),
            )
        )
    return rows


def _group_label(prefix: str, locale: str) -> str:
    for key in (f"audit.group.{prefix}", f"entity.{prefix}", f"audit.target.{prefix}"):
        if has_message(key):
            return translate(key, locale)
    return prefix


def action_groups(locale: str) -> list[tuple[str, list[tuple[str, str]]]]:
    """Declared actions by what they act on, each group and its actions by label."""
    groups: dict[str, list[tuple[str, str]]] = {}
    for action in service.declared_actions():
        groups.setdefault(action.split(".", 1)[0], []).append(
            (action, details.action_label(action, locale))
        )
    return sorted(
        (
            (_group_label(prefix, locale), sorted(actions, key=lambda a: a[1]))
            for prefix, actions in groups.items()
        ),
        key=lambda group: group[0],
    )


def target_options(locale: str) -> list[tuple[str, str]]:
    kinds = details.declared_target_types() | set(MACHINES)
    return sorted(
        ((kind, details.target_label(kind, locale)) for kind in kinds), key=lambda o: o[1]
    )


@dataclass(frozen=True)
class Chip:
    """One active filter as the reader sees it, with the address that drops it."""

    label: str
    text: str
    without: str


def _chosen(session: Session, actor: Principal, listing: ListQuery, locale: str) -> dict[str, str]:
    """The actor and organization filters by name (their values are a username, a code)."""
    chosen = {}
    username, code = listing.filter("actor"), listing.filter("organization")
    if username:
        user = service.actor_named(session, actor=actor, username=username)
        chosen["actor"] = f"{user.display_name} · {user.username}" if user else username
    if code:
        organization = service.organization_coded(session, actor=actor, code=code)
        chosen["organization"] = _organization_name(organization, locale) or code
    return chosen


def _chips(listing: ListQuery, locale: str, chosen: Mapping[str, str]) -> list[Chip]:
    texts: dict[str, str] = {}
    for name, value in listing.filters.items():
        if name == "action":
            texts[name] = details.action_label(value, locale)
        elif name == "target_type":
            texts[name] = details.target_label(value, locale)
        elif name == "outcome":
            texts[name] = details.outcome_label(value, locale)
        else:
            texts[name] = chosen.get(name) or value
    labels = {
        "action": "audit.action",
        "actor": "audit.actor",
        "organization": "audit.organization",
        "target_type": "audit.target_type",
        "target_id": "audit.target_id",
        "outcome": "audit.outcome",
        "from": "audit.date_from",
        "to": "audit.date_to",
        "reason": "audit.reason",
        "purpose": "audit.purpose",
        "resource": "audit.resource",
    }
    return [
        Chip(translate(labels[name], locale), text, link(listing, **{name: None, "page": None}))
        for name, text in texts.items()
        if name in labels
    ]


# -- Pages -------------------------------------------------------------------------------------


@router.get("/console/audit", response_class=HTMLResponse)
def audit_page(
    request: Request,
    actor: AuditReader,
    session: DbSession,
    listing: Listing,
    locale: Locale,
) -> HTMLResponse:
    asked = read_filters(listing, locale)
    chosen = _chosen(session, actor, listing, locale)
    context: dict[str, Any] = {
        "errors": asked.errors,
        "chosen": chosen,
        "chips": _chips(listing, locale, chosen),
        "action_groups": action_groups(locale),
        "target_options": target_options(locale),
        "outcomes": [(o, details.outcome_label(o, locale)) for o in OUTCOMES],
        "export_limit": EXPORT_LIMIT,
        "rows": [],
    }
    if asked.errors:
        # Nothing is listed for a date that does not exist: a count would mislead.
        page: Page[AuditEvent] = Page([], 0, listing)
    else:
        page = service.event_page(session, actor=actor, wanted=asked.wanted, query=listing)
        names = service.names_of(session, actor=actor, events=page.items)
        used = service.resources_of(session, actor=actor, events=page.items)
        context["rows"] = event_rows(list(page.items), names, locale, used)
    context["export_url"] = "/console/audit.csv" + link(listing, page=None).rstrip("?")
    return render_list(
        request, "audit/events.html", context, page=page, rows_template="audit/_rows.html"
    )


@router.get("/console/audit.csv")
def audit_export(
    request: Request,
    actor: AuditReader,
    session: DbSession,
    listing: Listing,
    locale: Locale,
    clock: AppClock,
) -> StreamingResponse:
    asked = read_filters(listing, locale)
    if asked.errors:
        key = "error.audit_filters" if "resource" in asked.errors else "error.audit_dates"
        raise InvalidInput(key, problems="；".join(asked.errors.values()))
    export = service.start_export(
        session,
        actor=actor,
        wanted=asked.wanted,
        at=clock.now(),
        limit=EXPORT_LIMIT,
        filters=_as_detail(listing),
    )
    database: Database = request.app.state.database
    stamp = local(clock.now()).strftime("%Y%m%d-%H%M")
    return StreamingResponse(
        _csv_lines(database, actor, asked.wanted, export, listing, locale),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="audit-log-{stamp}.csv"'},
    )


def _as_detail(listing: ListQuery) -> dict[str, str]:
    """The export's filters as its audit detail (``from``/``to`` are days, not states)."""
    renamed = {"from": "date_from", "to": "date_to"}
    found = {renamed.get(name, name): value for name, value in listing.filters.items()}
    return {**found, **({"q": listing.q} if listing.q else {})}


def _cell(value: object) -> str:
    """A cell as text; one a spreadsheet would run as a formula starts with an apostrophe."""
    text = "" if value is None else str(value)
    return f"'{text}" if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


def _csv_lines(
    database: Database,
    actor: Principal,
    wanted: EventFilter,
    export: service.Export,
    listing: ListQuery,
    locale: str,
) -> Iterator[str]:
    """The export, a batch at a time, each batch read in a short transaction of its own
    (the request's transaction has committed the export's audit event by now)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    header = [
        "audit.id",
        "audit.csv.time",
        "audit.action_code",
        "audit.action",
        "audit.actor",
        "audit.actor_username",
        "audit.organization",
        "audit.target_type",
        "audit.target_id",
        "audit.outcome",
        "audit.detail",
        "audit.reason",
        "audit.purpose",
        "audit.authorization",
        "audit.consent",
        "audit.resource",
        "audit.client_address",
        "audit.request_id",
    ]
    writer.writerow([translate(key, locale) for key in header])
    yield "\ufeff" + buffer.getvalue()
    sent, after = 0, None
    while sent < export.rows:
        with database.unit_of_work() as session:
            batch = service.export_batch(
                session,
                actor=actor,
                wanted=wanted,
                export=export,
                sort=listing.sort,
                descending=listing.descending,
                after=after,
                size=min(EXPORT_BATCH, export.rows - sent),
            )
            names = service.names_of(session, actor=actor, events=batch)
            used = service.resources_of(session, actor=actor, events=batch)
        if not batch:
            return
        buffer.seek(0)
        buffer.truncate()
        for row in event_rows(batch, names, locale, used):
            writer.writerow(
                [
                    row.id,
                    local(row.occurred_at).isoformat(sep=" ", timespec="seconds"),
                    row.action,
                    _cell(row.action_label),
                    _cell(row.actor),
                    _cell(row.actor_username),
                    _cell(row.organization),
                    _cell(row.target_label),
                    _cell(row.target_id),
                    row.outcome_label,
                    _cell(row.details_text),
                    _cell(row.reason),
                    _cell(row.purpose),
                    row.authorization_id,
                    row.consent_id,
                    " ".join(row.resources),
                    _cell(row.client_address),
                    row.request_id,
                ]
            )
        yield buffer.getvalue()
        sent += len(batch)
        after = batch[-1]


# -- Pickers for the actor and organization filters -------------------------------------------


def _pick_actors(
    session: Session, principal: Principal, q: str, limit: int, locale: str
) -> PickResult:
    """Console users (the bureau reads everyone's events) and the names the platform itself
    acted under (``demo``, ``sweep``…), by username or name."""
    total, users, systems = service.search_actors(session, actor=principal, text=q, limit=limit)
    items = [
        PickItem(user.username, user.display_name, " · ".join(filter(None, [user.username, org])))
        for user, org in users
    ]
    items += [PickItem(name, name, translate("audit.pick.system", locale)) for name in systems]
    return PickResult(total, items)


def _pick_organizations(
    session: Session, principal: Principal, q: str, limit: int, locale: str
) -> PickResult:
    total, found = service.search_organizations(session, actor=principal, text=q, limit=limit)
    return PickResult(
        total,
        [
            PickItem(o.code, o.name, f"{o.code} · {translate(f'org_kind.{o.kind}', locale)}")
            for o in found
        ],
    )


add_picker("audit_actors", Permission.AUDIT_READ, _pick_actors)
add_picker("audit_organizations", Permission.AUDIT_READ, _pick_organizations)
