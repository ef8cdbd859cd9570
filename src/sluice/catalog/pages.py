"""Catalog pages: the public catalog search, providers' resources, the bureau's batches.

A resource's console page shows what other modules hold about it (the data plane's uploads
and runs) through panels those modules add (``add_resource_panel``): the catalog imports
none of them.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Annotated, Any, cast

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy.orm import Session

from sluice.approvals import service as approvals
from sluice.approvals import states as approval_states
from sluice.catalog import dcat, dcat_http, reads, repository, service, themes
from sluice.catalog.dcat_national import national_values
from sluice.catalog.schemas import (
    BatchCreate,
    BatchEntries,
    BatchWithdraw,
    FieldRead,
    FieldSpecIn,
    ResourceCreate,
    ResourceRead,
)
from sluice.catalog.states import BATCH, ENTRY
from sluice.catalog.vocabulary import (
    CLASSIFICATIONS,
    DOMAINS,
    FIELD_CLASSES,
    FIELD_TYPES,
    GRADES,
    OPEN_LEVELS,
    ORIGINS,
    UPDATE_FREQUENCIES,
    batch_title,
)
from sluice.core.database import undo_keeping_refusal
from sluice.core.errors import NotFound, SluiceError
from sluice.core.i18n import add_messages, translate
from sluice.core.paging import ListQuery
from sluice.core.permissions import OrgKind
from sluice.core.permissions import Permission as P
from sluice.core.principal import Principal
from sluice.dataplane.column_rules import (
    RULES_HEADERS,
    FieldClass,
    RuleInvalid,
    RuleLoosened,
    default_rule,
    field_rule,
    rule_cells,
)
from sluice.web.deps import AppClock, AppSettings, DbSession, Locale, MaybePrincipal, Requires
from sluice.web.forms import parse_form, see_other
from sluice.web.listing import ListSpec, render_list
from sluice.web.params import VersionNumber
from sluice.web.picker import PickItem, PickResult, add_picker
from sluice.web.templating import NavItem, add_nav, render

router = APIRouter(tags=["catalog"])
ResourceManager = Annotated[Principal, Depends(Requires(P.RESOURCES_MANAGE))]
ResourceReader = Annotated[Principal, Depends(Requires(P.RESOURCES_READ))]
Compiler = Annotated[Principal, Depends(Requires(P.CATALOG_COMPILE))]

add_nav(
    NavItem("nav.resources", "/console/resources", P.RESOURCES_READ, order=20),
    NavItem("nav.batches", "/console/catalog/batches", P.CATALOG_COMPILE, "nav.section.admin", 30),
)
add_messages(
    {
        "nav.resources": ("数据资源", "Data resources"),
        "nav.batches": ("目录编制", "Catalog batches"),
        "nav.catalog": ("资源目录", "Catalog"),
        "catalog.title": ("可授权公共数据资源目录", "Authorizable public data catalog"),
        "catalog.search": ("搜索", "Search"),
        "catalog.placeholder": (
            "输入关键词，如 企业、社保、不动产",
            "Keywords, e.g. 企业, 社保, 不动产",
        ),
        "catalog.found": ("共 {total} 条目录", "{total} entries"),
        "catalog.none": ("没有找到匹配的目录条目。", "No catalog entry matches."),
        "catalog.facet.provider": ("提供部门", "Provider"),
        "catalog.facet.domain": ("领域", "Domain"),
        "catalog.facet.open_level": ("开放属性", "Open level"),
        "catalog.facet.batch": ("批次", "Batch"),
        "catalog.clear": ("清除筛选", "Clear filters"),
        "catalog.fields": ("数据项", "Fields"),
        "catalog.versions": ("版本记录", "Versions"),
        "catalog.change.published": ("发布", "Published"),
        "catalog.change.updated": ("变更", "Changed"),
        "catalog.change.withdrawn": ("撤回", "Withdrawn"),
        "catalog.change.withdraw": ("撤回", "Withdrawn"),
        "catalog.change.republish": ("重新发布", "Published again"),
        "catalog.has_data": ("已汇聚数据", "Data on the platform"),
        "catalog.field_type": ("类型", "Type"),
        "catalog.field_class": ("分类", "Class"),
        "catalog.rules": ("校验规则", "Rules"),
        "catalog.column_rules": ("沙箱中的列规则", "Column rules in the sandbox"),
        "catalog.column_rules_help": (
            "获授权的运营单位只能在平台沙箱中按下表使用各数据项：身份标识只以令牌或脱敏形式出现，"
            "敏感值只能参与聚合。标注“已收紧”的规则由提供部门在登记时收紧。",
            "An authorized operator may use each field in the platform's sandbox only as this "
            "table says: identifiers appear only as tokens or masked, sensitive values only "
            "inside aggregates. Rules marked tightened were tightened by the provider when it "
            "registered the resource.",
        ),
        "catalog.field_form": ("形式", "Form"),
        "catalog.rule_tightened": ("已收紧", "Tightened"),
        "catalog.metadata_only": ("仅目录", "Metadata only"),
        "catalog.prev": ("上一页", "Previous"),
        "catalog.next": ("下一页", "Next"),
        "catalog.dcat": ("DCAT-AP 机读目录", "Machine-readable catalog (DCAT-AP)"),
        "catalog.themes": ("主题词表", "Theme schemes"),
        "catalog.access": ("如何使用", "How the data is used"),
        "catalog.access_help": (
            "目录所列数据不提供下载。运营机构经数据局授权后，在授权运营协议约定的范围和期限内于平台内使用；"
            "每一次使用都先经访问控制判定并留痕。",
            "Nothing in the catalog is a download. An operator the data bureau has authorized "
            "uses the data on the platform, within the scope and term of its agreement; every "
            "use is decided by the access guard first and recorded.",
        ),
        "themes.title": ("目录主题词表", "Catalog theme schemes"),
        "themes.lead": (
            "目录条目的领域、资源分类和资源格式所用的概念体系（SKOS）。每个概念都有固定地址，"
            "以 JSON-LD、Turtle 或 RDF/XML 请求该地址即得到机读描述。",
            "The concept schemes (SKOS) behind the entries' domains, resource "
            "classifications and resource formats. Every concept has a fixed address; ask it "
            "for JSON-LD, Turtle or RDF/XML to get its machine-readable description.",
        ),
        "themes.code": ("代码", "Code"),
        "themes.zh": ("中文名称", "Chinese label"),
        "themes.en": ("英文名称", "English label"),
        "themes.iri": ("地址", "Address"),
        "themes.browse": ("查看条目", "Browse entries"),
        "themes.machine": (
            "机读格式：请求时在 Accept 头中指明 application/ld+json、text/turtle 或 "
            "application/rdf+xml。",
            "Machine-readable: send Accept: application/ld+json, text/turtle or "
            "application/rdf+xml.",
        ),
        "resource.provider": ("提供部门", "Provider"),
        "resource.code": ("资源代码", "Code"),
        "resource.name": ("资源名称", "Name"),
        "resource.description": ("资源摘要", "Description"),
        "resource.domain": ("领域", "Domain"),
        "resource.update_frequency": ("更新频率", "Update frequency"),
        "resource.open_level": ("开放属性", "Open level"),
        "resource.classification": ("数据分类", "Classification"),
        "resource.grade": ("数据分级", "Grade"),
        "resource.origin": ("数据来源", "Origin"),
        "resource.shared_from": ("共享来源单位", "Obtained from"),
        "resource.consent": ("共享单位同意", "Sharing unit's consent"),
        "resource.consent_missing": ("待记录", "Not yet recorded"),
        "resource.consent_evidence": (
            "同意依据（文号、函件等）",
            "Evidence (document number, letter …)",
        ),
        "resource.record_consent": ("记录同意", "Record consent"),
        "resource.version": ("版本", "Version"),
        "resource.fields": (
            "数据项（每行一个：字段名,类型,分类,中文名[,必填][,唯一]）",
            "Fields (one per line: name,type,class,title[,required][,unique])",
        ),
        "resource.fields_help": (
            "类型：{types}；分类：{classes}",
            "Types: {types}; classes: {classes}",
        ),
        "resource.register": ("登记数据资源", "Register a data resource"),
        "resource.registered": ("已登记“{name}”。", "'{name}' registered."),
        "resource.field_line": ("第 {line} 行：{problem}", "Line {line}: {problem}"),
        "resource.listed_in": ("已编入{batch}", "Listed in {batch}"),
        "resource.unlisted": ("未编入目录", "Not listed"),
        "resource.listed": ("已编入目录", "Listed"),
        "resource.no_data": ("尚无数据", "No data yet"),
        "resource.filter.listed": ("是否编入目录", "In the catalog"),
        "resource.filter.data": ("是否已汇聚数据", "Data on the platform"),
        "resource.catalog": ("目录", "Catalog"),
        "resource.updated_at": ("更新时间", "Updated"),
        "resource.search": ("搜索资源名称、代码或摘要", "Search names, codes and descriptions"),
        "resource.empty_provider": (
            "本部门还没有登记数据资源。请在下方“登记数据资源”中登记第一项。",
            "Your department has not registered a resource yet. Register the first one "
            "below, under “Register a data resource”.",
        ),
        "resource.empty_bureau": (
            "还没有数据资源。各数据提供部门登记后，资源会出现在这里。",
            "No resources yet. They appear here once provider departments register them.",
        ),
        "batch.search": ("搜索批次名称", "Search batch titles"),
        "batch.empty": (
            "还没有目录批次。请在上方新建第一个批次。",
            "No catalog batch yet. Create the first one above.",
        ),
        "batch.entries_empty": (
            "本批次还没有条目。请点击“编入资源”挑选要编入的数据资源。",
            "This batch has no entries yet. Choose “Add resources” to pick some.",
        ),
        "batch.entries_search": ("搜索条目名称或资源代码", "Search entry titles and codes"),
        "batch.add_resources": ("编入资源", "Add resources"),
        "batch.candidates_count": (
            "有 {total} 项数据资源可编入本批次。",
            "{total} resources can be added to this batch.",
        ),
        "batch.candidates_help": (
            "勾选要编入本批次的数据资源（可先搜索或筛选），然后点击页面下方的按钮。"
            "每页的勾选分别提交。不予开放的资源和已编入目录的资源不会出现在这里。",
            "Tick the resources to add to this batch (search or filter first if you like), "
            "then press the button below the list. Each page's ticks are sent on their own. "
            "Resources that are not open, or already listed, do not appear here.",
        ),
        "batch.candidates_empty": (
            "没有可编入的数据资源：全部资源都已编入目录或不予开放。",
            "No resource can be added: every one is listed already or not open.",
        ),
        "batch.not_draft_anymore": (
            "本批次已不在编制中，不能再编入资源。",
            "This batch is no longer a draft; resources can no longer be added.",
        ),
        "batch.back": ("返回批次", "Back to the batch"),
        "catalog.no_versions": ("还没有版本记录。", "No versions yet."),
        "batch.title": ("目录编制", "Catalog batches"),
        "batch.new": ("新建批次", "New batch"),
        "batch.name": ("批次名称（可留空）", "Title (optional)"),
        "batch.entries": ("条目数", "Entries"),
        "batch.status": ("状态", "Status"),
        "batch.add": ("编入所选资源", "Add the selected resources"),
        "batch.publish": ("发布本批次", "Publish this batch"),
        "batch.withdraw": ("撤回本批次", "Withdraw this batch"),
        "batch.candidates": ("可编入的资源", "Resources that can be added"),
        "batch.in_batch": ("本批次条目", "Entries in this batch"),
        "batch.withdraw_entry": ("撤回", "Withdraw"),
        "batch.republish_entry": ("重新发布", "Publish again"),
        "batch.withdraw_reason": ("撤回理由", "Why withdraw"),
        "batch.withdraw_help": (
            "整批撤回会使本批次全部条目退出目录（已授权的也随之不可用），须由另一名数据局工作人员"
            "在“待审批事项”中批准后才执行。",
            "Withdrawing the whole batch takes all its entries out of the catalog (and out of "
            "use under agreements); it is carried out only when another member of the bureau "
            "approves it under “Approvals”.",
        ),
        "batch.withdraw_requested": (
            "撤回申请已提交，须由另一名数据局工作人员批准后执行；在此之前本批次照常发布。",
            "The request to withdraw has been filed; it is carried out when another member "
            "of the bureau approves it. Until then the batch stays published.",
        ),
        "batch.withdraw_pending": (
            "本批次有一项撤回申请在等待审批（{who}，{at}）。",
            "A request to withdraw this batch awaits approval ({who}, {at}).",
        ),
        "batch.choose_resources": (
            "请至少勾选一项数据资源。",
            "Tick at least one resource.",
        ),
        "batch.resources_invalid": (
            "提交的资源选择无效，请刷新页面后重新勾选。",
            "The resources chosen are not valid; reload the page and tick them again.",
        ),
        "batch.form_problem": ("{field}：{message}", "{field}: {message}"),
    }
)


@dataclass(frozen=True)
class ResourcePanel:
    """A section of a resource's console page: a template and what it shows."""

    template: str
    context: dict[str, Any] = field(default_factory=dict)


#: Given the reader, the unit of work and the resource (one the reader may see), a panel or
#: None. Registered by the modules that hold something about resources, in page order.
PanelSource = Callable[[Principal, DbSession, ResourceRead], ResourcePanel | None]
_panels: list[PanelSource] = []


def add_resource_panel(source: PanelSource) -> None:
    _panels.append(source)


def _vocab(locale: str) -> dict[str, dict[str, str]]:
    vocabularies = {
        "domain": DOMAINS,
        "update_frequency": UPDATE_FREQUENCIES,
        "open_level": OPEN_LEVELS,
        "classification": CLASSIFICATIONS,
        "grade": GRADES,
        "origin": ORIGINS,
        "field_type": FIELD_TYPES,
        "field_class": FIELD_CLASSES,
    }
    index = 0 if locale == "zh-CN" else 1
    return {name: {k: v[index] for k, v in values.items()} for name, values in vocabularies.items()}


# --- public -----------------------------------------------------------------------------


@router.get("/catalog", response_class=HTMLResponse)
def catalog_page(
    request: Request,
    principal: MaybePrincipal,
    session: DbSession,
    settings: AppSettings,
    locale: Locale,
    q: Annotated[str, Query(max_length=100)] = "",
    provider: str | None = None,
    domain: str | None = None,
    open_level: str | None = None,
    batch: VersionNumber = None,
    page: Annotated[int, Query(ge=1, le=10000)] = 1,
) -> Response:
    """The catalog for people; asked for JSON-LD, Turtle or RDF/XML, the DCAT page of that
    number, whose Hydra links come back here (so the three formats are one graph). The
    search filters are the page's alone: the DCAT catalog is always all of it."""
    extension = dcat_http.negotiate(request.headers.get("accept"))
    if extension is not None:
        document = dcat.catalog_page(
            session, base_url=settings.base_url, page=page, view_path="/catalog"
        )
        return dcat_http.rdf_response(request, document, extension, negotiated=True)
    result = reads.search_catalog(
        session,
        locale=locale,
        q=q,
        provider=provider,
        domain=domain,
        open_level=open_level,
        batch=batch,
        page=page,
        page_size=20,
    )
    chosen = {"provider": provider, "domain": domain, "open_level": open_level, "batch": batch}
    response = render(
        request,
        "catalog/search.html",
        {
            "q": q,
            "result": result,
            "chosen": {k: v for k, v in chosen.items() if v not in (None, "")},
            "vocab": _vocab(locale),
            "pages": max(1, -(-result.total // result.page_size)),
        },
    )
    response.headers["Vary"] = "Accept"
    return response


#: An entry's version history grows with every change: paged, newest first.
VERSIONS = ListSpec(sorts=("version",), default_sort="-version", size=20, searchable=False)


def _themes_response(
    request: Request, base_url: str, locale: str, scheme: str | None, concept: str | None
) -> Response:
    """The theme schemes (all, one, or one concept) as a page or, asked for, as RDF."""
    if not themes.known(scheme, concept):
        raise NotFound()
    base = base_url.rstrip("/")
    extension = dcat_http.negotiate(request.headers.get("accept"))
    if extension is not None:
        graph = themes.themes_graph(base, scheme, concept)
        document = dcat.Document(graph, themes.roots(base, scheme, concept), None)
        return dcat_http.rdf_response(request, document, extension, negotiated=True)
    response = render(
        request,
        "catalog/themes.html",
        {"schemes": themes.views(base, locale, scheme, concept), "single": scheme is not None},
    )
    response.headers["Vary"] = "Accept"
    return response


# Declared before ``/catalog/{entry_id}``, which would take ``themes`` for an entry id.
@router.get("/catalog/themes", response_class=HTMLResponse)
def themes_page(
    request: Request, principal: MaybePrincipal, settings: AppSettings, locale: Locale
) -> Response:
    """The platform's concept schemes: domains, resource classifications, resource formats."""
    return _themes_response(request, settings.base_url, locale, None, None)


@router.get("/catalog/themes/{scheme}", response_class=HTMLResponse)
def theme_scheme_page(
    request: Request, scheme: str, principal: MaybePrincipal, settings: AppSettings, locale: Locale
) -> Response:
    return _themes_response(request, settings.base_url, locale, scheme, None)


@router.get("/catalog/themes/{scheme}/{concept}", response_class=HTMLResponse)
def theme_concept_page(
    request: Request,
    scheme: str,
    concept: str,
    principal: MaybePrincipal,
    settings: AppSettings,
    locale: Locale,
) -> Response:
    return _themes_response(request, settings.base_url, locale, scheme, concept)


@dataclass(frozen=True)
class FieldRuleRow:
    """One field in one form, as the sandbox's column rules let a query use it."""

    field: FieldRead
    form_label: str
    cells: tuple[str, str, str, str]
    tightened: bool


def _column_rules(fields: list[FieldRead]) -> list[FieldRuleRow]:
    rows = []
    for spec in fields:
        field_class = cast(FieldClass, spec.field_class)
        try:
            rules = field_rule(field_class, spec.rules.get("column_rule"))
        except (RuleInvalid, RuleLoosened):
            rules = field_rule(field_class, None)  # as the guard applies it: never looser
        for form, rule in rules.items():
            rows.append(
                FieldRuleRow(
                    field=spec,
                    form_label=f"vocab.column_form.{form}",
                    cells=rule_cells(rule),
                    tightened=rule != default_rule(field_class, form),
                )
            )
    return rows


@router.get("/catalog/{entry_id}", response_class=HTMLResponse)
def entry_page(
    request: Request,
    entry_id: uuid.UUID,
    principal: MaybePrincipal,
    session: DbSession,
    settings: AppSettings,
    locale: Locale,
    listing: Annotated[ListQuery, Depends(VERSIONS)],
) -> Response:
    """An entry for people, with the national catalog's core fields; asked for JSON-LD,
    Turtle or RDF/XML, its DCAT-AP dataset (410 once withdrawn)."""
    extension = dcat_http.negotiate(request.headers.get("accept"))
    if extension is not None:
        document = dcat.entry_document(session, base_url=settings.base_url, entry_id=entry_id)
        return dcat_http.rdf_response(request, document, extension, negotiated=True)
    entry = reads.public_entry(session, entry_id=entry_id, locale=locale)
    versions = reads.entry_versions_page(session, entry_id=entry_id, query=listing)
    response = render_list(
        request,
        "catalog/entry.html",
        {
            "entry": entry,
            "national": national_values(entry, locale),
            "rules_headers": RULES_HEADERS,
            "column_rules": _column_rules(entry.fields or []),
        },
        page=versions,
        list_id="versions",
        rows_template="catalog/_version_rows.html",
    )
    response.headers["Vary"] = "Accept"
    return response


# --- providers' resources -------------------------------------------------------------


def parse_field_lines(text: str, locale: str) -> tuple[list[FieldSpecIn], list[str]]:
    """`name,type,class,title[,required][,unique]` per line, as people type them."""
    fields, problems = [], []
    for number, line in enumerate(text.splitlines(), start=1):
        parts = [p.strip() for p in line.replace("，", ",").split(",")]
        if not any(parts):
            continue
        flags = {p.lower() for p in parts[4:]}
        values: dict[str, Any] = {
            "name": parts[0],
            "type": parts[1] if len(parts) > 1 else "",
            "class": parts[2] if len(parts) > 2 and parts[2] else None,
            "title": parts[3] if len(parts) > 3 else "",
            "required": bool(flags & {"required", "必填"}),
            "unique": bool(flags & {"unique", "唯一"}),
        }
        spec, errors = parse_form(FieldSpecIn, values, locale)
        if spec is None:
            problem = "; ".join(v if k == "__all__" else f"{k}: {v}" for k, v in errors.items())
            problems.append(translate("resource.field_line", locale, line=number, problem=problem))
        else:
            fields.append(spec)
    return fields, problems


#: The resources list: 50 a page, the most recently changed first.
RESOURCES = ListSpec(
    sorts=tuple(repository.RESOURCE_SORTS),
    filters=("provider", "grade", "listed", "data"),
    default_sort="-updated",
)


def _resource_filters(
    session: DbSession, actor: Principal, locale: str, *, providers: bool = True
) -> list[tuple[str, str, list[tuple[str, str]]]]:
    """The resources list's filters; a provider, who sees only its own, gets no provider
    filter (its options would name only itself)."""
    yes_no = {
        "listed": [("yes", "resource.listed"), ("no", "resource.unlisted")],
        "data": [("yes", "catalog.has_data"), ("no", "resource.no_data")],
    }
    filters: list[tuple[str, str, list[tuple[str, str]]]] = []
    if providers and actor.organization_kind is not OrgKind.PROVIDER:
        options = [(o.code, o.name) for o in service.resource_providers(session, actor=actor)]
        filters.append(("provider", translate("resource.provider", locale), options))
    filters.append(
        (
            "grade",
            translate("resource.grade", locale),
            [(code, translate(f"vocab.grade.{code}", locale)) for code in GRADES],
        )
    )
    for name, options in yes_no.items():
        filters.append(
            (
                name,
                translate(f"resource.filter.{name}", locale),
                [(value, translate(key, locale)) for value, key in options],
            )
        )
    return filters


def _resources_page(
    request: Request,
    actor: Principal,
    session: DbSession,
    locale: str,
    listing: ListQuery,
    *,
    form: dict[str, str] | None = None,
    errors: dict[str, str] | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    page = service.resource_page(session, actor=actor, query=listing)
    can_register = actor.has(P.RESOURCES_MANAGE) and actor.organization_kind is OrgKind.PROVIDER
    context = {
        "filters": _resource_filters(session, actor, locale),
        "vocab": _vocab(locale),
        "form": form or {},
        "errors": errors or {},
        "can_register": can_register,
        "batch_names": {
            r.batch_number: batch_title(r.batch_number, locale)
            for r in page.items
            if r.batch_number is not None
        },
    }
    if status_code != 200:
        return render(
            request,
            "catalog/resources.html",
            {"listing": page.query, "page_of_rows": page, "list_id": "list", **context},
            status_code=status_code,
        )
    return render_list(
        request,
        "catalog/resources.html",
        context,
        page=page,
        rows_template="catalog/_resource_rows.html",
    )


@router.get("/console/resources", response_class=HTMLResponse)
def resources_page(
    request: Request,
    actor: ResourceReader,
    session: DbSession,
    locale: Locale,
    listing: Annotated[ListQuery, Depends(RESOURCES)],
) -> HTMLResponse:
    return _resources_page(request, actor, session, locale, listing)


@router.post("/console/resources", response_class=HTMLResponse)
async def register_resource(
    request: Request, actor: ResourceManager, session: DbSession, clock: AppClock, locale: Locale
) -> Response:
    raw = {k: str(v) for k, v in (await request.form()).items() if k != "csrf_token"}
    fields, problems = parse_field_lines(raw.get("fields", ""), locale)
    values: dict[str, Any] = {k: v.strip() for k, v in raw.items() if k != "fields" and v.strip()}
    data, errors = parse_form(ResourceCreate, {**values, "fields": fields}, locale)
    if problems:
        errors["fields"] = " ".join(problems)
    first_page = RESOURCES(request)
    if data is None or problems:
        return _resources_page(
            request, actor, session, locale, first_page, form=raw, errors=errors, status_code=422
        )
    try:
        resource = service.register_resource(session, actor=actor, clock=clock, data=data)
    except SluiceError as error:
        undo_keeping_refusal(session, error)
        return _resources_page(
            request,
            actor,
            session,
            locale,
            first_page,
            form=raw,
            errors={"__all__": error.detail(locale)},
            status_code=error.status,
        )
    # Post/redirect/get: reloading the resource's page registers nothing again.
    return see_other(f"/console/resources/{resource.id}?done=registered")


@router.get("/console/resources/{resource_id}", response_class=HTMLResponse)
def resource_page(
    request: Request,
    resource_id: uuid.UUID,
    actor: ResourceReader,
    session: DbSession,
    locale: Locale,
    done: Annotated[str | None, Query(max_length=30)] = None,
) -> HTMLResponse:
    found = service.get_resource(session, actor=actor, resource_id=resource_id)
    resource = reads.resource_read(session, found)
    panels = [panel for source in _panels if (panel := source(actor, session, resource))]
    return render(
        request,
        "catalog/resource.html",
        {
            "resource": resource,
            "panels": panels,
            "own": resource.provider.id == actor.organization_id,
            "message": (
                translate("resource.registered", locale, name=resource.name)
                if done == "registered"
                else None
            ),
        },
    )


@router.post("/console/resources/{resource_id}/sharing-consent")
async def record_consent(
    request: Request,
    resource_id: uuid.UUID,
    actor: ResourceManager,
    session: DbSession,
    clock: AppClock,
) -> Response:
    evidence = str((await request.form()).get("evidence", ""))
    service.record_sharing_consent(
        session, actor=actor, clock=clock, resource_id=resource_id, evidence=evidence
    )
    return RedirectResponse(f"/console/resources/{resource_id}", status_code=303)


# --- the bureau's batches -----------------------------------------------------------------

BATCHES = ListSpec(sorts=tuple(repository.BATCH_SORTS), filters=("status",), default_sort="-number")
BATCH_ENTRIES = ListSpec(
    sorts=tuple(repository.ENTRY_SORTS), filters=("status",), default_sort="title"
)
CANDIDATES = ListSpec(
    sorts=tuple(repository.RESOURCE_SORTS),
    filters=("provider", "grade", "data"),
    default_sort="provider",
)


def _state_filter(machine: Any, locale: str) -> tuple[str, str, list[tuple[str, str]]]:
    return (
        "status",
        translate("batch.status", locale),
        [(code, translate(f"state.{machine.entity}.{code}", locale)) for code in machine.states],
    )


def _batches_page(
    request: Request,
    actor: Principal,
    session: DbSession,
    locale: str,
    listing: ListQuery,
    *,
    form: dict[str, str] | None = None,
    errors: dict[str, str] | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    page = service.batch_page(session, actor=actor, query=listing)
    context = {
        "form": form or {},
        "errors": errors or {},
        "filters": [_state_filter(BATCH, locale)],
    }
    if status_code != 200:
        return render(
            request,
            "catalog/batches.html",
            {"listing": page.query, "page_of_rows": page, "list_id": "list", **context},
            status_code=status_code,
        )
    return render_list(
        request,
        "catalog/batches.html",
        context,
        page=page,
        rows_template="catalog/_batch_rows.html",
    )


@router.get("/console/catalog/batches", response_class=HTMLResponse)
def batches_page(
    request: Request,
    actor: Compiler,
    session: DbSession,
    locale: Locale,
    listing: Annotated[ListQuery, Depends(BATCHES)],
) -> HTMLResponse:
    return _batches_page(request, actor, session, locale, listing)


@router.post("/console/catalog/batches", response_class=HTMLResponse)
async def create_batch(
    request: Request, actor: Compiler, session: DbSession, clock: AppClock, locale: Locale
) -> Response:
    typed = {"title": str((await request.form()).get("title", "")).strip()}
    data, errors = parse_form(BatchCreate, {"title": typed["title"] or None}, locale)
    if data is None:
        return _batches_page(
            request,
            actor,
            session,
            locale,
            BATCHES(request),
            form=typed,
            errors=errors,
            status_code=422,
        )
    batch = service.create_batch(session, actor=actor, clock=clock, data=data)
    return RedirectResponse(f"/console/catalog/batches/{batch.id}", status_code=303)


def _batch_page(
    request: Request,
    actor: Principal,
    session: DbSession,
    batch_id: uuid.UUID,
    locale: str,
    listing: ListQuery,
    *,
    error: str | None = None,
    notice: str | None = None,
    form: dict[str, str] | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    batch = service.get_batch(session, actor=actor, batch_id=batch_id)
    waiting = [
        r for r in approvals.pending_for(session, [batch.id]) if r.act == service.WITHDRAW_BATCH
    ]
    entries = service.batch_entries(session, actor=actor, batch_id=batch.id, query=listing)
    everything = ListQuery(size=1)
    entry_total = entries.total
    if listing.q or listing.filters:
        entry_total = service.batch_entries(
            session, actor=actor, batch_id=batch.id, query=everything
        ).total
    candidates = None
    if batch.status == "draft":
        candidates = service.batch_candidates(session, actor=actor, query=everything).total
    context = {
        "batch": batch,
        "batch_name": batch_title(batch.number, locale),
        "candidates": candidates,
        "entry_total": entry_total,
        "filters": [_state_filter(ENTRY, locale)],
        "error": error,
        "notice": notice,
        "form": form or {},
        "withdraw_pending": waiting[0] if waiting else None,
    }
    if status_code != 200:
        return render(
            request,
            "catalog/batch.html",
            {"listing": entries.query, "page_of_rows": entries, "list_id": "list", **context},
            status_code=status_code,
        )
    return render_list(
        request,
        "catalog/batch.html",
        context,
        page=entries,
        rows_template="catalog/_entry_rows.html",
    )


@router.get("/console/catalog/batches/{batch_id}", response_class=HTMLResponse)
def batch_page(
    request: Request,
    batch_id: uuid.UUID,
    actor: Compiler,
    session: DbSession,
    locale: Locale,
    listing: Annotated[ListQuery, Depends(BATCH_ENTRIES)],
    done: Annotated[str | None, Query(max_length=30)] = None,
) -> HTMLResponse:
    notice = translate("batch.withdraw_requested", locale) if done == "withdraw" else None
    return _batch_page(request, actor, session, batch_id, locale, listing, notice=notice)


def _candidates_page(
    request: Request,
    actor: Principal,
    session: DbSession,
    batch_id: uuid.UUID,
    locale: str,
    listing: ListQuery,
    *,
    error: str | None = None,
    ticked: list[str] | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    batch = service.get_batch(session, actor=actor, batch_id=batch_id)
    page = service.batch_candidates(session, actor=actor, query=listing)
    filters = _resource_filters(session, actor, locale)
    context = {
        "batch": batch,
        "filters": [f for f in filters if f[0] in CANDIDATES.filters],
        "error": error,
        "ticked": set(ticked or ()),
        "batch_names": {},
    }
    if status_code != 200:
        return render(
            request,
            "catalog/candidates.html",
            {"listing": page.query, "page_of_rows": page, "list_id": "list", **context},
            status_code=status_code,
        )
    return render_list(
        request,
        "catalog/candidates.html",
        context,
        page=page,
        rows_template="catalog/_candidate_rows.html",
    )


@router.get("/console/catalog/batches/{batch_id}/candidates", response_class=HTMLResponse)
def candidates_page(
    request: Request,
    batch_id: uuid.UUID,
    actor: Compiler,
    session: DbSession,
    locale: Locale,
    listing: Annotated[ListQuery, Depends(CANDIDATES)],
) -> HTMLResponse:
    """The resources that may still be listed, a page at a time, to tick and add."""
    return _candidates_page(request, actor, session, batch_id, locale, listing)


@router.post("/console/catalog/batches/{batch_id}/entries", response_class=HTMLResponse)
async def add_entries(
    request: Request,
    batch_id: uuid.UUID,
    actor: Compiler,
    session: DbSession,
    clock: AppClock,
    locale: Locale,
) -> Response:
    ticked = [str(v).strip() for v in (await request.form()).getlist("resource_ids")]
    data, _ = parse_form(BatchEntries, {"resource_ids": [v for v in ticked if v]}, locale)
    listing = CANDIDATES(request)
    if data is None:
        key = "batch.choose_resources" if not any(ticked) else "batch.resources_invalid"
        return _candidates_page(
            request,
            actor,
            session,
            batch_id,
            locale,
            listing,
            error=translate(key, locale),
            status_code=422,
        )
    try:
        service.add_to_batch(
            session, actor=actor, clock=clock, batch_id=batch_id, resource_ids=data.resource_ids
        )
    except SluiceError as error:
        if error.status == 404 and repository.batch(session, batch_id) is None:
            raise
        undo_keeping_refusal(session, error)
        return _candidates_page(
            request,
            actor,
            session,
            batch_id,
            locale,
            listing,
            error=error.detail(locale),
            ticked=ticked,
            status_code=422 if error.status == 404 else error.status,
        )
    return RedirectResponse(f"/console/catalog/batches/{batch_id}", status_code=303)


@router.post("/console/catalog/batches/{batch_id}/{action}", response_class=HTMLResponse)
async def change_batch(
    request: Request,
    batch_id: uuid.UUID,
    action: str,
    actor: Compiler,
    session: DbSession,
    clock: AppClock,
    settings: AppSettings,
    locale: Locale,
) -> Response:
    """Publish a draft batch; or ask to withdraw a published one (a second person decides)."""
    if action not in ("publish", "withdraw"):
        raise NotFound()
    form = await request.form()
    typed = {k: str(v).strip() for k, v in form.items() if k in ("reason", "decision_id")}
    done = ""
    try:
        if action == "publish":
            service.publish_batch(session, actor=actor, clock=clock, batch_id=batch_id)
        else:
            data, errors = parse_form(BatchWithdraw, {k: v for k, v in typed.items() if v}, locale)
            if data is None:
                labels = {"reason": "batch.withdraw_reason"}
                problems = [
                    translate(
                        "batch.form_problem",
                        locale,
                        field=translate(labels.get(k, "form.invalid"), locale),
                        message=v,
                    )
                    for k, v in errors.items()
                ]
                return _batch_page(
                    request,
                    actor,
                    session,
                    batch_id,
                    locale,
                    BATCH_ENTRIES(request),
                    error=" ".join(problems),
                    form=typed,
                    status_code=422,
                )
            filed = service.withdraw_batch(
                session,
                actor=actor,
                clock=clock,
                settings=settings,
                batch_id=batch_id,
                reason=data.reason,
                decision_id=data.decision_id,
            )
            done = "" if filed.status == approval_states.APPROVED else "?done=withdraw"
    except SluiceError as error:
        if error.status == 404:
            raise
        undo_keeping_refusal(session, error)
        return _batch_page(
            request,
            actor,
            session,
            batch_id,
            locale,
            BATCH_ENTRIES(request),
            error=error.detail(locale),
            form=typed,
            status_code=error.status,
        )
    return RedirectResponse(f"/console/catalog/batches/{batch_id}{done}", status_code=303)


@router.post("/console/catalog/entries/{entry_id}/{transition}")
def change_entry(
    entry_id: uuid.UUID, transition: str, actor: Compiler, session: DbSession, clock: AppClock
) -> Response:
    if transition not in ("withdraw", "republish"):
        raise NotFound()
    entry = service.change_entry(
        session, actor=actor, clock=clock, entry_id=entry_id, transition=transition
    )
    return RedirectResponse(f"/console/catalog/batches/{entry.batch_id}", status_code=303)


# --- pickers ---------------------------------------------------------------------------------


def _pick_resources(
    session: Session, actor: Principal, q: str, limit: int, locale: str
) -> PickResult:
    """Resources as the resources list shows them to the actor: a provider its own."""
    total, found = service.pick_resources(session, actor=actor, q=q, limit=limit)
    return PickResult(
        total, [PickItem(str(r.id), f"{r.provider.name} · {r.code} · {r.name}") for r in found]
    )


def _pick_entries(
    session: Session, actor: Principal, q: str, limit: int, locale: str
) -> PickResult:
    """Published catalog entries: what anyone reads on the public catalog."""
    total, found = service.pick_entries(session, q=q, limit=limit)
    return PickResult(
        total, [PickItem(str(e.id), f"{e.provider.name} · {e.code} · {e.title}") for e in found]
    )


add_picker("resources", P.RESOURCES_READ, _pick_resources)
add_picker("entries", P.CONSOLE_VIEW, _pick_entries)
