"""The ``sluice`` command: run the platform, the demo city and the jobs operators run by hand."""

from __future__ import annotations

import json
import time
from typing import Annotated, Any

import typer

from sluice.core.clock import SystemClock
from sluice.core.database import Database
from sluice.core.home import prepare_home
from sluice.core.migrate import upgrade
from sluice.core.settings import Settings, get_settings

app = typer.Typer(
    help="Sluice: the public data authorized-operation platform (公共数据授权运营平台).",
    no_args_is_help=True,
    add_completion=False,
)
db_app = typer.Typer(help="Control-plane database.", no_args_is_help=True)
quality_app = typer.Typer(help="Data quality: checks and assessments.", no_args_is_help=True)
users_app = typer.Typer(help="Console users.", no_args_is_help=True)
app.add_typer(db_app, name="db")
app.add_typer(users_app, name="users")
app.add_typer(quality_app, name="quality")
authorizations_app = typer.Typer(
    help="Authorizations: the daily sweep (terms, reminders, deadlines, destruction).",
    no_args_is_help=True,
)
app.add_typer(authorizations_app, name="authorizations")
alerts_app = typer.Typer(help="Security alerts: evaluate the rules.", no_args_is_help=True)
app.add_typer(alerts_app, name="alerts")
audit_app = typer.Typer(
    help="The audit log: its Merkle tree, signed tree heads and their verification.",
    no_args_is_help=True,
)
app.add_typer(audit_app, name="audit")

Host = Annotated[str, typer.Option(help="Address to listen on.")]
Port = Annotated[int, typer.Option(help="Port to listen on.")]


def _settings(host: str | None = None, port: int | None = None) -> Settings:
    settings = get_settings()
    if host is not None and port is not None and "SLUICE_BASE_URL" not in _environ():
        settings = settings.model_copy(update={"base_url": f"http://{host}:{port}"})
    prepare_home(settings)
    return settings


def _environ() -> dict[str, str]:
    import os

    return dict(os.environ)


def _serve(settings: Settings, host: str, port: int) -> None:
    import uvicorn

    from sluice.web.app import create_app

    typer.echo(f"Serving the console at http://{host}:{port}  (Ctrl+C to stop)")
    # No proxy headers here: the client is the direct peer unless SLUICE_TRUSTED_PROXIES
    # names the proxy (web.deps.client_address reads X-Forwarded-For then).
    uvicorn.run(create_app(settings), host=host, port=port, log_level="info", proxy_headers=False)


@db_app.command("upgrade")
def db_upgrade() -> None:
    """Bring the control-plane database schema up to date (Alembic migrations)."""
    settings = _settings()
    database = Database(settings.resolved_database_url)
    upgrade(database.engine)
    typer.echo(f"Database is up to date: {database.engine.url.render_as_string()}")


@app.command()
def serve(host: Host = "127.0.0.1", port: Port = 8000) -> None:
    """Serve the web console, the public portal and the REST API."""
    settings = _settings(host, port)
    upgrade(Database(settings.resolved_database_url).engine)
    _serve(settings, host, port)


@app.command()
def demo(
    scale: Annotated[
        float,
        typer.Option(
            min=0.01,
            help="Grow the data: 1 is about 1M rows and 6,900 catalog entries, 100 about "
            "100M rows. Below 1 the catalog shrinks too, for quick trials.",
        ),
    ] = 1.0,
    serve: Annotated[bool, typer.Option("--serve/--no-serve", help="Serve afterwards.")] = True,
    host: Host = "127.0.0.1",
    port: Port = 8000,
) -> None:
    """Build the demo city of 营口 and serve it; logins go to var/demo-credentials.json."""
    from sluice.demo import alerts as demo_alerts
    from sluice.demo import authorizations as demo_authorizations
    from sluice.demo import buyers as demo_buyers
    from sluice.demo import catalog as demo_catalog
    from sluice.demo import channels as demo_channels
    from sluice.demo import city
    from sluice.demo import data as demo_data
    from sluice.demo import incidents as demo_incidents
    from sluice.demo import market as demo_market
    from sluice.demo import operators as demo_operators
    from sluice.demo import sandbox as demo_sandbox
    from sluice.demo import selection as demo_selection

    settings = _settings(host, port)
    database = Database(settings.resolved_database_url)
    upgrade(database.engine)
    with database.unit_of_work() as session:
        created = city.seed_identity(session, clock=SystemClock())
        demo_channels.seed_channels(session, clock=SystemClock())
    started = time.perf_counter()
    # The departments' files live outside SLUICE_HOME, and only until they are ingested.
    with city.DemoSources(settings, scale=scale) as sources:
        datasets = sources.datasets()
        with database.unit_of_work() as session:
            entries = demo_catalog.seed_catalog(
                session,
                clock=SystemClock(),
                datasets=datasets,
                seed=city.SEED,
                target=demo_catalog.entries_for_scale(scale),
            )
        ingested = demo_data.ingest_sources(
            database, settings=settings, clock=SystemClock(), datasets=datasets, sources=sources
        )
    demo_data.seed_quality(database, settings=settings, clock=SystemClock())
    with database.unit_of_work() as session:
        demo_operators.seed_operators(session, clock=SystemClock(), settings=settings)
        rounds = demo_selection.seed_selections(session, clock=SystemClock(), settings=settings)
    agreements = demo_authorizations.seed_authorizations(
        database, settings=settings, now=SystemClock().now(), rounds=rounds
    )
    workspaces = demo_sandbox.seed_workspaces(database, settings=settings, now=SystemClock().now())
    market = demo_market.seed_market(
        database, settings=settings, now=SystemClock().now(), seed=city.SEED, scale=scale
    )
    demo_incidents.seed_incidents(
        database, settings=settings, now=SystemClock().now(), workspaces=workspaces
    )
    if market:
        demo_alerts.seed_alerts(database, settings=settings, now=SystemClock().now())
    seconds = time.perf_counter() - started
    path = city.write_credentials(
        settings, created=created, datasets=datasets, authorizations=agreements
    )
    demo_sandbox.write_credentials(settings, workspaces)
    demo_buyers.write_credentials(settings, market)
    rows = sum(d["rows"] for d in datasets)
    typer.echo(
        f"Demo city ready: {len(datasets)} source datasets, {rows:,} rows, "
        f"{entries:,} catalog entries, {ingested} datasets ingested ({seconds:.1f} s)"
    )
    typer.echo("Quarantine share per dataset (rows set aside for the provider to correct):")
    for share in demo_data.quarantine_shares(database, datasets=datasets):
        typer.echo(
            f"  {share.provider + '/' + share.code:<30} {share.rows_rejected:>9,} of "
            f"{share.rows_total:>11,} rows  {share.share:7.2%}  "
            f"(intended {share.intended:.2%})  {share.title}"
        )
    if market:
        typer.echo(
            f"Data product market: {len(market['products'])} products listed, "
            f"{len(market['buyers'])} buyers with API keys, {len(market['subjects'])} data "
            "subjects (keys, example calls and consents in the credentials file)"
        )
    typer.echo(f"Logins (one per role): {path}")
    if serve:
        _serve(settings, host, port)


@users_app.command("create")
def users_create(
    username: Annotated[str, typer.Argument(help="Login name.")],
    role: Annotated[list[str], typer.Option("--role", help="Role; repeat for several.")],
    organization: Annotated[
        str | None, typer.Option(help="Organization code (none for a data subject).")
    ] = None,
    display_name: Annotated[str | None, typer.Option(help="Name shown in the console.")] = None,
    password: Annotated[
        str, typer.Option(prompt=True, hide_input=True, confirmation_prompt=True)
    ] = "",
) -> None:
    """Create a console user (the first bureau account is made this way)."""
    from pydantic import ValidationError

    from sluice.core.errors import SluiceError
    from sluice.core.principal import Principal
    from sluice.identity import repository, service
    from sluice.identity.schemas import UserCreate

    settings = _settings()
    database = Database(settings.resolved_database_url)
    upgrade(database.engine)
    try:
        with database.unit_of_work() as session:
            org = repository.organization_by_code(session, organization) if organization else None
            if organization and org is None:
                typer.echo(f"No organization with code {organization!r}.", err=True)
                raise typer.Exit(2)
            user = service.create_user(
                session,
                actor=Principal.system("cli"),
                clock=SystemClock(),
                data=UserCreate.model_validate(
                    {
                        "username": username,
                        "display_name": display_name or username,
                        "password": password,
                        "organization_id": org.id if org else None,
                        "roles": role,
                    }
                ),
            )
            typer.echo(json.dumps({"id": str(user.id), "username": user.username}))
    except ValidationError as error:
        for item in error.errors():
            field = ".".join(str(p) for p in item["loc"])
            typer.echo(f"{field}: {item['msg']}", err=True)
        raise typer.Exit(2) from None
    except SluiceError as error:
        typer.echo(error.detail(settings.default_locale), err=True)
        raise typer.Exit(2) from None


@app.command()
def ingest(
    resource: Annotated[str, typer.Argument(help="PROVIDER/RESOURCE codes, e.g. gaj/residents.")],
    source: Annotated[
        str | None, typer.Argument(help="CSV (UTF-8 or GB18030), Excel or Parquet file.")
    ] = None,
    db_url: Annotated[
        str | None, typer.Option(help="Pull from this database (SQLAlchemy URL) instead.")
    ] = None,
    query: Annotated[str | None, typer.Option(help="SQL query to pull (with --db-url).")] = None,
    table: Annotated[str | None, typer.Option(help="Table to pull (with --db-url).")] = None,
) -> None:
    """Ingest a file or a database pull into a resource as a new version; prints the report."""
    from pathlib import Path

    from sluice.core.errors import SluiceError
    from sluice.core.principal import Principal
    from sluice.dataplane.readers import SqlSource
    from sluice.ingestion import service

    settings = _settings()
    database = Database(settings.resolved_database_url)
    upgrade(database.engine)
    if (source is None) == (db_url is None):
        typer.echo("Give either a file or --db-url with --query or --table.", err=True)
        raise typer.Exit(2)
    try:
        pulled = SqlSource(db_url, query=query, table=table) if db_url else None
    except ValueError as error:
        typer.echo(str(error), err=True)
        raise typer.Exit(2) from None
    where = pulled or Path(str(source))
    if isinstance(where, Path) and not where.is_file():
        typer.echo(f"No such file: {where}", err=True)
        raise typer.Exit(2)
    try:
        with database.unit_of_work() as session:
            found = _resource_by_codes(session, resource)
            run = service.ingest(
                session,
                actor=Principal.system("cli"),
                clock=SystemClock(),
                settings=settings,
                resource_id=found,
                source=where,
                source_name=str(source) if source else f"database: {query or table}",
            )
            typer.echo(
                json.dumps(
                    {
                        "run": str(run.id),
                        "status": run.status,
                        "version": run.version,
                        **run.report,
                    },
                    ensure_ascii=False,
                    indent=2,
                )
            )
    except SluiceError as error:
        typer.echo(error.detail(settings.default_locale), err=True)
        raise typer.Exit(2) from None


def _resource_by_codes(session: Any, codes: str) -> Any:
    from sluice.catalog import service as catalog
    from sluice.core.errors import NotFound

    found = catalog.resource_by_codes(session, codes)
    if found is None:
        raise NotFound("catalog.resource_unknown")
    return found.id


@quality_app.command("check")
def quality_check(
    file: Annotated[str, typer.Argument(help="CSV, Excel or Parquet file to check.")],
    schema: Annotated[str, typer.Option(help='Schema JSON file: {"fields": [...]}.')],
    as_json: Annotated[bool, typer.Option("--json", help="Print the result as JSON.")] = False,
) -> None:
    """Clean and validate a file against a schema without ingesting anything."""
    from pathlib import Path

    from sluice.dataplane.check import check_file
    from sluice.dataplane.readers import SourceError
    from sluice.dataplane.schema import DatasetSchema, SchemaError

    try:
        document = json.loads(Path(schema).read_text(encoding="utf-8"))
        parsed = DatasetSchema.from_json(document)
        result = check_file(Path(file), parsed)
    except FileNotFoundError as error:
        typer.echo(f"No such file: {error.filename}", err=True)
        raise typer.Exit(2) from None
    except (json.JSONDecodeError, SchemaError, SourceError) as error:
        typer.echo(f"{type(error).__name__}: {error}", err=True)
        raise typer.Exit(2) from None
    summary = result.as_json()
    if as_json:
        typer.echo(json.dumps(summary, ensure_ascii=False))
        return
    typer.echo(f"rows: {summary['rows_total']:,}  rejected: {summary['rows_rejected']:,}")
    for field, rules in summary["failures"].items():
        for rule, count in rules.items():
            typer.echo(f"  {field:<24} {rule:<16} {count:,}")


@quality_app.command("assess")
def quality_assess() -> None:
    """Score every provider now (run it on a schedule); prints the scoreboard."""
    from sluice.core.principal import Principal
    from sluice.quality import service

    settings = _settings()
    database = Database(settings.resolved_database_url)
    upgrade(database.engine)
    system = Principal.system("cli")
    with database.unit_of_work() as session:
        service.assess(session, actor=system, clock=SystemClock())
        board = service.scoreboard(session, actor=system)
    for row in board["providers"]:
        typer.echo(
            f"{row['score']:6.2f}  {row['provider']}  (overdue tickets: {row['overdue_tickets']})"
        )


@authorizations_app.command("sweep")
def authorizations_sweep() -> None:
    """Move ending terms to expiring or expired, send reminders, end agreements whose
    rectification deadline passed or whose exit date came, and destroy ended agreements'
    data. Idempotent: run it daily (cron or a systemd timer)."""
    from sluice.authorizations.sweep import sweep

    # Modules holding things under an agreement (workspaces, exports) register their ending
    # hooks when imported; the app factory imports them all, so the sweep does the same.
    from sluice.web import app as _every_module  # noqa: F401

    settings = _settings()
    database = Database(settings.resolved_database_url)
    upgrade(database.engine)
    with database.unit_of_work() as session:
        report = sweep(session, settings=settings, at=SystemClock().now())
    for label, items in (
        ("expiring", report.expiring),
        ("expired", report.expired),
        ("reminders", report.reminders),
        ("overdue rectifications", report.overdue_rectifications),
        ("exits carried out", report.exits_executed),
        ("destruction certificates", report.certificates),
        ("destructions finished", report.destructions_finished),
        ("deletion attestations overdue", report.attestations_overdue),
    ):
        typer.echo(f"{label}: {len(items)}" + (f"  ({', '.join(items)})" if items else ""))


@alerts_app.command("evaluate")
def alerts_evaluate() -> None:
    """Evaluate the alert rules now (the served console also runs them every
    alert_evaluate_seconds), contain critical alerts and deliver the webhook. Idempotent."""
    from sluice.alerts import schedule
    from sluice.web import app as _every_module  # noqa: F401  (every module's actions)

    settings = _settings()
    database = Database(settings.resolved_database_url)
    upgrade(database.engine)
    result = schedule.run_once(database, settings=settings, clock=SystemClock())
    typer.echo(
        f"alerts raised: {result.raised} (critical: {result.critical}, contained: "
        f"{result.contained}); webhook deliveries: {result.delivered}"
    )


@audit_app.command("sequence")
def audit_sequence() -> None:
    """Put every committed audit entry not yet in the Merkle tree into it and have the bureau
    sign a tree head if the tree grew (the served console does it every
    audit_tree_head_seconds, and before each tree head or proof it serves)."""
    from sluice.audit import sequencer
    from sluice.core.errors import SluiceError
    from sluice.transparency import heads

    settings = _settings()
    database = Database(settings.resolved_database_url)
    upgrade(database.engine)
    with database.unit_of_work() as session:
        done = sequencer.sequence(session, full=True)
    typer.echo(f"sequenced {done.appended} entries; the tree has {done.tree_size}")
    try:
        with database.unit_of_work() as session:
            head = heads.current_head(session, settings=settings, at=SystemClock().now())
            typer.echo(f"signed tree head: {head.tree_size} entries, root {head.root_hash}")
    except SluiceError as refusal:
        typer.echo(f"no tree head signed: {refusal.detail('en')}")


@audit_app.command("verify")
def audit_verify() -> None:
    """Recompute every leaf of the audit log's Merkle tree from its entry, and the tree from
    the leaves; check every stored subtree and signed tree head (signature, the bureau's key,
    root). Writes nothing. Exits 1 and names the first bad entry or head on any mismatch."""
    from sluice.transparency import heads

    settings = _settings()
    database = Database(settings.resolved_database_url)  # read as it is: no migration
    with database.unit_of_work() as session:
        result = heads.verify_log(session)
    waiting = f"; {result.unsequenced} entries not yet sequenced" if result.unsequenced else ""
    if result.ok:
        typer.echo(f"OK: {result.leaves} entries and {result.heads} signed heads verify{waiting}")
        return
    first = result.findings[0]
    typer.echo(f"FAILED: {first.text}", err=True)
    for finding in result.findings[1:]:
        typer.echo(f"  also: {finding.text}", err=True)
    typer.echo(f"checked {result.leaves} leaves and {result.heads} signed tree heads{waiting}")
    raise typer.Exit(1)


@audit_app.command("archive")
def audit_archive() -> None:
    """Copy the audit entries older than audit_retention_days (six months at least) that no
    archive holds yet to a JSON-lines file under SLUICE_HOME/audit-archive, each with its
    leaf index and inclusion proof against the latest signed tree head (sequenced and
    signed first), and record the archive on the log. No entry is removed."""
    from sluice.audit import archive, sequencer
    from sluice.core.errors import SluiceError
    from sluice.transparency import heads

    settings = _settings()
    database = Database(settings.resolved_database_url)
    upgrade(database.engine)
    now = SystemClock().now()
    with database.unit_of_work() as session:
        sequencer.sequence(session, full=True)
    try:
        with database.unit_of_work() as session:
            heads.current_head(session, settings=settings, at=now)
    except SluiceError as refusal:
        typer.echo(f"no tree head signed ({refusal.detail('en')}): entries go without proofs")
    with database.unit_of_work() as session:
        done = archive.archive(session, settings=settings, at=now)
    if done.path is None:
        typer.echo(f"nothing to archive: no entry before {done.cutoff:%Y-%m-%d} is left")
        return
    proofs = (
        f"with proofs against the signed tree head of {done.tree_size} entries"
        if done.tree_size
        else "without proofs (no signed tree head yet)"
    )
    typer.echo(
        f"archived {done.entries} entries (ids {done.first_id} to {done.last_id}) to "
        f"{done.path}, {proofs}; the entries stay in the log"
    )
