"""The application factory: one place that wires settings, database, clock and routes."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable, Coroutine
from contextlib import asynccontextmanager, suppress
from pathlib import Path
from typing import Any

from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles

from sluice import __version__
from sluice.alerts import api as alerts_api
from sluice.alerts import pages as alerts_pages
from sluice.alerts import schedule as alerts_schedule
from sluice.alerts import workbench as alerts_workbench
from sluice.approvals import api as approvals_api
from sluice.approvals import pages as approvals_pages
from sluice.approvals import workbench as approvals_workbench
from sluice.audit import api as audit_api
from sluice.audit import pages as audit_pages
from sluice.authorizations import (
    agreement_pages,
    attestation_workbench,
    certificate_pages,
    comment_pages,
    comment_workbench,
    document_pages,
    ending_pages,
    exit_pages,
    operator_rule_pages,
    operator_rule_workbench,
    plan_pages,
)
from sluice.authorizations import api as authorizations_api
from sluice.authorizations import workbench as authorizations_workbench
from sluice.catalog import api as catalog_api
from sluice.catalog import pages as catalog_pages
from sluice.catalog import workbench as catalog_workbench
from sluice.channels import pages as channels_pages
from sluice.consent import api as consent_api
from sluice.consent import pages as consent_pages
from sluice.consent import workbench as consent_workbench
from sluice.core.clock import Clock, SystemClock, set_display_zone
from sluice.core.database import Database
from sluice.core.home import prepare_home
from sluice.core.settings import Settings, get_settings
from sluice.gateway import api as gateway_api
from sluice.gateway import pages as gateway_pages
from sluice.gateway import workbench as gateway_workbench
from sluice.guard import api as guard_api
from sluice.identity import api as identity_api
from sluice.identity import pages as identity_pages
from sluice.identity import workbench as identity_workbench
from sluice.incidents import pages as incidents_pages
from sluice.incidents import plan_pages as incidents_plan_pages
from sluice.incidents import workbench as incidents_workbench
from sluice.ingestion import api as ingestion_api
from sluice.ingestion import pages as ingestion_pages
from sluice.ingestion import workbench as ingestion_workbench
from sluice.operators import api as operators_api
from sluice.operators import application_pages as operator_application_pages
from sluice.operators import review_pages as operator_review_pages
from sluice.operators import workbench as operators_workbench
from sluice.operators.selection import api as selection_api
from sluice.operators.selection import pages as selection_pages
from sluice.products import api as products_api
from sluice.products import market_pages as products_market
from sluice.products import pages as products_pages
from sluice.products import registration_kind as product_registration_kind
from sluice.products import workbench as products_workbench
from sluice.quality import api as quality_api
from sluice.quality import pages as quality_pages
from sluice.quality import rules_pages as quality_rules_pages
from sluice.quality import workbench as quality_workbench
from sluice.quality.tickets import api as tickets_api
from sluice.quality.tickets import pages as tickets_pages
from sluice.registration import api as registration_api
from sluice.registration import pages as registration_pages
from sluice.registration import workbench as registration_workbench
from sluice.sandbox import api as sandbox_api
from sluice.sandbox import export_api as sandbox_export_api
from sluice.sandbox import export_pages as sandbox_export_pages
from sluice.sandbox import export_workbench as sandbox_export_workbench
from sluice.sandbox import pages as sandbox_pages
from sluice.sandbox import workbench as sandbox_workbench
from sluice.transparency import api as transparency_api
from sluice.transparency import pages as transparency_pages
from sluice.transparency import schedule as transparency_schedule
from sluice.usage import pages as usage_pages
from sluice.usage import workbench as usage_workbench
from sluice.web import errors
from sluice.web.admission import Admission
from sluice.web.edge import Edge
from sluice.web.pages import console, picker, portal

STATIC = Path(__file__).parent / "static"

#: Console and portal pages (HTML) and machine routes (in the OpenAPI document).
PAGE_ROUTERS = (
    portal.router,
    console.router,
    picker.router,
    identity_pages.router,
    audit_pages.router,
    catalog_pages.router,
    tickets_pages.router,
    ingestion_pages.router,
    quality_pages.router,
    quality_rules_pages.router,
    agreement_pages.router,
    comment_pages.router,
    exit_pages.router,
    ending_pages.router,
    document_pages.router,
    certificate_pages.router,
    plan_pages.router,
    operator_rule_pages.router,
    operator_application_pages.router,
    operator_review_pages.router,
    selection_pages.router,
    approvals_pages.router,
    channels_pages.router,
    sandbox_pages.router,
    sandbox_export_pages.router,
    gateway_pages.router,
    products_pages.router,
    products_market.router,
    registration_pages.router,
    consent_pages.router,
    usage_pages.router,
    incidents_pages.router,
    incidents_plan_pages.router,
    alerts_pages.router,
    transparency_pages.router,
)
#: The modules with panels on the console home (each registers them when imported).
WORKBENCH_PANELS = (
    approvals_workbench,
    attestation_workbench,
    authorizations_workbench,
    catalog_workbench,
    comment_workbench,
    identity_workbench,
    ingestion_workbench,
    operator_rule_workbench,
    operators_workbench,
    quality_workbench,
    sandbox_workbench,
    sandbox_export_workbench,
    gateway_workbench,
    products_workbench,
    registration_workbench,
    consent_workbench,
    usage_workbench,
    incidents_workbench,
    alerts_workbench,
)
#: What the registration workflow registers (each kind registers itself when imported).
REGISTRABLE_KINDS = (product_registration_kind,)
#: The buyers' gateway comes first: routes are matched in order and a gateway call is the
#: request the platform serves most.
API_ROUTERS = (
    gateway_api.router,
    identity_api.router,
    audit_api.router,
    gateway_api.rest,
    catalog_api.router,
    tickets_api.router,
    ingestion_api.router,
    quality_api.router,
    authorizations_api.router,
    guard_api.router,
    operators_api.router,
    selection_api.router,
    approvals_api.router,
    sandbox_api.router,
    sandbox_export_api.router,
    products_api.router,
    registration_api.router,
    consent_api.router,
    alerts_api.router,
    transparency_api.router,
)


#: Jobs the served application runs in the background for as long as it lives, each given
#: the database, the settings and the clock (each returns at once if its setting turns it off).
BACKGROUND: tuple[Callable[..., Coroutine[Any, Any, None]], ...] = (
    alerts_schedule.periodic,
    transparency_schedule.periodic,
)


@asynccontextmanager
async def _lifespan(app: FastAPI) -> AsyncIterator[None]:
    state = app.state
    tasks = [
        asyncio.create_task(job(state.database, settings=state.settings, clock=state.clock))
        for job in BACKGROUND
    ]
    try:
        yield
    finally:
        for task in tasks:
            task.cancel()
        for task in tasks:
            with suppress(asyncio.CancelledError):
                await task


def create_app(
    settings: Settings | None = None,
    *,
    database: Database | None = None,
    clock: Clock | None = None,
) -> FastAPI:
    settings = settings or get_settings()
    prepare_home(settings)
    set_display_zone(settings.display_timezone)
    app = FastAPI(
        title="Sluice",
        version=__version__,
        summary="公共数据授权运营平台 / Public data authorized-operation platform",
        # Swagger UI and ReDoc load from a CDN; the spec itself is served locally.
        docs_url=None,
        redoc_url=None,
        lifespan=_lifespan,
    )
    app.state.settings = settings
    app.state.database = database or Database(
        settings.resolved_database_url, pool_size=settings.database_pool_size
    )
    app.state.admission = Admission(app.state.database.pool_size)
    app.state.clock = clock or SystemClock()
    errors.install(app)
    app.add_middleware(Edge, fastapi_app=app, settings=settings)
    # Machine routes before pages: their paths (/api/…, /gateway/…) are their own, so
    # matching them before a hundred console pages changes nothing but the time.
    for router in API_ROUTERS:
        app.include_router(router)
    app.mount("/static", StaticFiles(directory=STATIC), name="static")
    for router in PAGE_ROUTERS:
        app.include_router(router, include_in_schema=False)
    return app
