"""`prm`: run, migrate and administer PRM on one machine. Each command's work lives in its own module."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Annotated
from uuid import UUID

import typer
from rich.console import Console
from rich.table import Column, Table

from prm_cli import demo, keys, openapi, services, up
from prm_cli.analytics_admin import analytics_app
from prm_cli.config import CliSettings
from prm_cli.console import console
from prm_cli.errors import reported_errors
from prm_cli.events import events_app
from prm_cli.imports import import_app
from prm_cli.migrations import migrate_and_report

app = typer.Typer(
    name="prm",
    help="PRM, the channel partner management platform: run it, migrate it, manage its API keys.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)
keys_app = typer.Typer(help="API keys of the gateway (stored hashed; the plaintext is shown once).")
app.add_typer(keys_app, name="keys")
app.add_typer(events_app, name="events")
app.add_typer(import_app, name="import")
app.add_typer(analytics_app, name="analytics")


@app.command(name="migrate")
def migrate_command(
    service: Annotated[
        str | None, typer.Option("--service", help=f"Only this one: {', '.join(services.NAMES)}.")
    ] = None,
) -> None:
    """Create each service's database if missing and upgrade it to the latest migration."""
    if service is not None and service not in services.NAMES:
        raise typer.BadParameter(f"choose one of {', '.join(services.NAMES)}", param_hint="--service")
    chosen = services.ALL if service is None else (services.by_name(service),)
    with reported_errors():
        migrate_and_report(chosen, CliSettings())


@app.command(name="up")
def up_command(
    demo_data: Annotated[bool, typer.Option("--demo", help="Load demo data through the API once.")] = False,
    host: Annotated[
        str, typer.Option(envvar="PRM_HOST", help="Interface every process binds.")
    ] = "127.0.0.1",
    gateway_port: Annotated[
        int, typer.Option(envvar="PRM_GATEWAY_PORT", help="The public port.")
    ] = services.GATEWAY.default_port,
    base_port: Annotated[
        int,
        typer.Option(
            envvar="PRM_BASE_PORT",
            help="First of four consecutive ports: registry, scoring, incentives, analytics.",
        ),
    ] = services.BACKENDS[0].default_port,
    start_timeout: Annotated[
        float,
        typer.Option(
            envvar="PRM_START_TIMEOUT",
            help="Seconds a starting process may go without progress (a log line, CPU time) before it "
            "counts as stuck; 10 minutes at most however busy it is.",
        ),
    ] = 60.0,
) -> None:
    """Run the whole platform: migrate, start the four services and the gateway, stream their logs."""
    options = up.UpOptions(
        host=host,
        gateway_port=gateway_port,
        base_port=base_port,
        start_timeout_seconds=start_timeout,
        demo=demo_data,
    )
    with reported_errors():
        code = up.run(options, CliSettings())
    raise typer.Exit(code)


@app.command(name="demo")
def demo_command(
    gateway: Annotated[
        str, typer.Option(envvar="PRM_GATEWAY_URL", help="The running gateway.")
    ] = f"http://127.0.0.1:{services.GATEWAY.default_port}",
    key: Annotated[
        str | None,
        typer.Option(
            envvar="PRM_API_KEY",
            help="An admin key; without one, a temporary key is made on the local gateway database.",
        ),
    ] = None,
) -> None:
    """Load demo data through the public API (each loader once per data folder)."""
    with reported_errors():
        outcome = asyncio.run(demo.load(CliSettings(), gateway_url=gateway.rstrip("/"), key=key))
    up.report_demo(outcome)


@keys_app.command(name="create")
def keys_create(
    name: Annotated[str, typer.Option(help="What the key is for, e.g. 'partner-portal'.")],
    scope: Annotated[list[str], typer.Option(help="Repeat for several; 'admin' allows everything.")],
    partner_id: Annotated[
        UUID | None, typer.Option(help="Bind the key to one partner: it then sees only that partner.")
    ] = None,
) -> None:
    """Create an API key and print it, once."""
    with reported_errors():
        key, plaintext = asyncio.run(
            keys.create(CliSettings(), name=name, scopes=scope, partner_id=partner_id)
        )
    bound = f", partner {key.partner_id}" if key.partner_id else ""
    console.print(
        f"Created API key [bold]{key.name}[/] ({key.id}), scopes {', '.join(key.scopes)}{bound}.",
        soft_wrap=True,
    )
    console.print("Copy it now, it is not shown again:")
    console.print(plaintext, soft_wrap=True)


@keys_app.command(name="list")
def keys_list() -> None:
    """List the API keys (never their secret part)."""
    with reported_errors():
        found = asyncio.run(keys.list_all(CliSettings()))
    table = Table("key", "name", "scopes", "partner", "created", "last used", "status")
    # Ids are for copying: never cut them short, whatever the terminal's width.
    table.columns.insert(0, Column("id", no_wrap=True, min_width=36))
    for key in found:
        table.add_row(
            str(key.id),
            f"{key.prefix}_…",
            key.name,
            ", ".join(key.scopes),
            str(key.partner_id) if key.partner_id else "—",
            key.created_at.isoformat(timespec="seconds"),
            key.last_used_at.isoformat(timespec="seconds") if key.last_used_at else "never",
            f"revoked {key.revoked_at.isoformat(timespec='seconds')}" if key.revoked_at else "active",
        )
    if not found:
        console.print("No API keys yet: `prm keys create --name NAME --scope admin`.")
        return
    # A pipe or a file has no width of its own: do not squeeze the table into rich's default 80 columns.
    wide = console if console.is_terminal else Console(file=console.file, width=200, highlight=False)
    wide.print(table)


@keys_app.command(name="revoke")
def keys_revoke(key_id: Annotated[UUID, typer.Argument(help="The id `prm keys list` shows.")]) -> None:
    """Revoke an API key: it stops working at once."""
    with reported_errors():
        key = asyncio.run(keys.revoke(CliSettings(), key_id))
    console.print(f"Revoked API key [bold]{key.name}[/] ({key.id}).", soft_wrap=True)


@keys_app.command(name="forget-first")
def keys_forget_first() -> None:
    """Delete the copy of the first admin key `prm up` keeps in the data folder; the key keeps working."""
    settings = CliSettings()
    if keys.forget_first_admin_key(settings):
        console.print(
            f"Deleted {keys.first_admin_key_path(settings)}; the key itself still works.", soft_wrap=True
        )
    else:
        console.print("No copy of a first admin key is kept; nothing to delete.")


@app.command(name="openapi")
def openapi_command(
    output: Annotated[Path, typer.Option(help="Where the merged document goes.")] = openapi.DEFAULT_OUTPUT,
    check: Annotated[
        bool, typer.Option("--check", help="Write nothing; exit 1 if the file is not up to date.")
    ] = False,
) -> None:
    """Write the gateway's merged OpenAPI document (or check that the committed one is current)."""
    if check:
        if not openapi.is_current(output):
            console.print(f"[red]{output} is out of date:[/] run `make openapi` (or `prm openapi`).")
            raise typer.Exit(1)
        console.print(f"{output} is up to date.")
        return
    openapi.write(output)
    console.print(f"Wrote {output}.")
