"""The ``sluice`` command: run the platform, the demo city and the jobs operators run by hand."""

from __future__ import annotations

import json
import time
from typing import Annotated

import typer

from sluice.core.clock import SystemClock
from sluice.core.database import Database
from sluice.core.migrate import upgrade
from sluice.core.settings import Settings, get_settings

app = typer.Typer(
    help="Sluice: the public data authorized-operation platform (公共数据授权运营平台).",
    no_args_is_help=True,
    add_completion=False,
)
db_app = typer.Typer(help="Control-plane database.", no_args_is_help=True)
users_app = typer.Typer(help="Console users.", no_args_is_help=True)
app.add_typer(db_app, name="db")
app.add_typer(users_app, name="users")

Host = Annotated[str, typer.Option(help="Address to listen on.")]
Port = Annotated[int, typer.Option(help="Port to listen on.")]


def _settings(host: str | None = None, port: int | None = None) -> Settings:
    settings = get_settings()
    if host is not None and port is not None and "SLUICE_BASE_URL" not in _environ():
        settings = settings.model_copy(update={"base_url": f"http://{host}:{port}"})
    settings.home.mkdir(parents=True, exist_ok=True)
    return settings


def _environ() -> dict[str, str]:
    import os

    return dict(os.environ)


def _serve(settings: Settings, host: str, port: int) -> None:
    import uvicorn

    from sluice.web.app import create_app

    typer.echo(f"Serving the console at http://{host}:{port}  (Ctrl+C to stop)")
    uvicorn.run(create_app(settings), host=host, port=port, log_level="info")


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
    from sluice.demo import catalog as demo_catalog
    from sluice.demo import city

    settings = _settings(host, port)
    database = Database(settings.resolved_database_url)
    upgrade(database.engine)
    with database.unit_of_work() as session:
        created = city.seed_identity(session, clock=SystemClock())
    started = time.perf_counter()
    datasets = city.build_sources(settings, scale=scale)
    with database.unit_of_work() as session:
        entries = demo_catalog.seed_catalog(
            session,
            clock=SystemClock(),
            datasets=datasets,
            seed=city.SEED,
            target=demo_catalog.entries_for_scale(scale),
        )
    seconds = time.perf_counter() - started
    path = city.write_credentials(settings, created=created, datasets=datasets)
    rows = sum(d["rows"] for d in datasets)
    typer.echo(
        f"Demo city ready: {len(datasets)} source datasets, {rows:,} rows, "
        f"{entries:,} catalog entries ({seconds:.1f} s)"
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
    from sluice.identity import repository, service
    from sluice.identity.principal import Principal
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
