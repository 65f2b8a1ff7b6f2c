"""`prm up`: the whole platform on one machine — migrations, five processes, an admin key, demo data.

A process that dies is restarted while the others serve on (see `prm_cli.processes` for the backoff
and when it gives up); the supervisor's view is kept in `<data_dir>/supervisor.json`. A first admin
key is printed, and kept in `<data_dir>/first-admin-key.txt`, the moment it exists (see `prm_cli.keys`).
"""

from __future__ import annotations

import asyncio
import importlib.util
import os
import sys
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

import httpx
from rich.markup import escape
from rich.panel import Panel
from rich.table import Table

from prm_cli import demo, keys
from prm_cli.config import CliSettings, internal_secret
from prm_cli.console import console
from prm_cli.migrations import migrate_and_report
from prm_cli.processes import START_LIMIT_SECONDS, ChildFailed, ChildSpec, StopRequested, Supervisor
from prm_cli.services import ALL, BACKENDS, GATEWAY, Service, by_name, event_subscriptions, ports

# uvicorn's own graceful-shutdown bound stays below the supervisor's, so a clean stop never needs SIGKILL.
UVICORN_SHUTDOWN_SECONDS = 5
STOP_GRACE_SECONDS = 10.0
STATE_FILE = "supervisor.json"
PYCACHE_DIR = "pycache"


@dataclass(frozen=True)
class UpOptions:
    host: str
    gateway_port: int
    base_port: int
    start_timeout_seconds: float
    demo: bool


def reachable_host(host: str) -> str:
    """Where a client on this machine reaches a server bound to `host` (wildcards mean loopback)."""
    if host in {"", "0.0.0.0"}:  # noqa: S104 - a comparison, not a bind
        return "127.0.0.1"
    if host == "::":
        return "[::1]"
    return f"[{host}]" if ":" in host else host


def base_urls(options: UpOptions) -> dict[str, str]:
    """Service name -> the URL its process answers at."""
    chosen = ports(options.gateway_port, options.base_port)
    return {name: f"http://{reachable_host(options.host)}:{port}" for name, port in chosen.items()}


def child_specs(options: UpOptions, settings: CliSettings, secret: str) -> list[ChildSpec]:
    chosen = ports(options.gateway_port, options.base_port)
    urls = base_urls(options)
    environment = child_environment(os.environ, settings, secret, urls)
    return [
        ChildSpec(
            name=service.name,
            command=server_command(service, options.host, chosen[service.name]),
            environment=environment,
            ready_url=f"{urls[service.name]}/readyz",
        )
        for service in ALL
    ]


def server_command(service: Service, host: str, port: int) -> list[str]:
    """How a process is started: uvicorn on the service's app factory; the gateway through its own
    launcher, which adds request-receipt deadlines and a connection cap to uvicorn (`gateway.serve`)."""
    if service == GATEWAY:
        launcher = [sys.executable, "-m", "gateway.serve", service.app_factory]
    else:
        launcher = [sys.executable, "-m", "uvicorn", service.app_factory, "--factory"]
    return [
        *launcher,
        "--host",
        host,
        "--port",
        str(port),
        "--timeout-graceful-shutdown",
        str(UVICORN_SHUTDOWN_SECONDS),
    ]


def child_environment(
    inherited: Mapping[str, str], settings: CliSettings, secret: str, urls: Mapping[str, str]
) -> dict[str, str]:
    """The parent's environment (database URLs and the like pass through) plus what binds the processes together:
    where each one is, and where each publisher's events go (`services.event_subscriptions`)."""
    environment = dict(inherited)
    environment.setdefault("PRM_LOG_FORMAT", "console")
    environment["PRM_INTERNAL_SECRET"] = secret
    environment["PRM_DATA_DIR"] = str(settings.data_path)
    environment["PYTHONUNBUFFERED"] = "1"  # logs reach `prm up` line by line, not in 8 KiB blocks
    for service in BACKENDS:
        assert service.url_env is not None
        environment[service.url_env] = urls[service.name]
    # Problem types become absolute URIs at the gateway, which serves a page for each (RFC 9457 §3.1.1).
    environment.setdefault("PRM_PROBLEM_BASE_URI", f"{urls[GATEWAY.name]}/problems/")
    for publisher, subscribers in event_subscriptions().items():
        # a subscriber list the user set wins, as the database URLs do
        environment.setdefault(
            by_name(publisher).event_subscribers_env, ",".join(urls[name] for name in subscribers)
        )
    if _compiles_every_start(environment):
        # Each start would compile ~1200 modules again, half its import time. A cache in the data
        # folder keeps the source tree free of .pyc files all the same.
        del environment["PYTHONDONTWRITEBYTECODE"]
        environment["PYTHONPYCACHEPREFIX"] = str(settings.data_path / PYCACHE_DIR)
    return environment


def _compiles_every_start(environment: Mapping[str, str]) -> bool:
    """Whether Python may write no bytecode and the installed libraries came without any
    (`uv sync --compile-bytecode` adds it)."""
    return (
        bool(environment.get("PYTHONDONTWRITEBYTECODE"))
        and not environment.get("PYTHONPYCACHEPREFIX")
        and not Path(importlib.util.cache_from_source(httpx.__file__)).exists()
    )


def run(options: UpOptions, settings: CliSettings) -> int:
    """Start everything, stream logs until a signal (exit code 0) or a child that keeps dying (1)."""
    secret = internal_secret(settings)
    console.print(f"[bold]PRM[/] data folder: {settings.data_path}")
    migrate_and_report(ALL, settings)
    new_admin_key = None if settings.bootstrap_admin_key else asyncio.run(keys.first_admin_key(settings))
    admin_key = new_admin_key or asyncio.run(keys.remembered_first_admin_key(settings))
    if admin_key:
        _print_admin_key(admin_key, settings, created=bool(new_admin_key))

    specs = child_specs(options, settings, secret)
    supervisor = Supervisor(
        console, grace_seconds=STOP_GRACE_SECONDS, state_file=settings.data_path / STATE_FILE
    )
    supervisor.install_signal_handlers()
    try:
        supervisor.spawn(specs)
        supervisor.wait_ready(options.start_timeout_seconds, limit_seconds=START_LIMIT_SECONDS)
        urls = base_urls(options)
        gateway_url = urls.pop(GATEWAY.name)
        _print_welcome(gateway_url, urls, admin_key, settings)
        if options.demo:
            _load_demo(settings, gateway_url, admin_key)
        console.print("[bold green]PRM is running.[/] Press Ctrl-C to stop.")
        supervisor.run_until_stopped()
    except StopRequested:
        pass
    except ChildFailed as failure:
        console.print(f"[bold red]{failure}[/]; its last log lines:")
        for line in failure.tail or ["(no output)"]:
            console.print(f"  [red]│[/] {escape(line)}", soft_wrap=True)
        console.print("[red]Stopping every other process.[/]")
        return 1
    finally:
        console.print("Stopping PRM…")
        supervisor.stop()
        console.print("PRM stopped.")
    return 0


def _print_admin_key(admin_key: str, settings: CliSettings, *, created: bool) -> None:
    """Show the first admin key at once, before anything else can fail or scroll it away."""
    path = keys.first_admin_key_path(settings)
    if created:
        console.print(
            f"[bold yellow]Admin API key created[/] (the gateway stores it only hashed; a copy is in {path}, "
            "readable by you only, until `prm keys forget-first` deletes it):",
            soft_wrap=True,
        )
    else:
        console.print(
            f"[bold yellow]First admin API key[/], shown again while {path} exists "
            "(once you have stored the key elsewhere, `prm keys forget-first` deletes that file):",
            soft_wrap=True,
        )
    # A plain line, not a panel: a key cut at the terminal's edge would be useless.
    console.print(f"  [bold]{admin_key}[/]", soft_wrap=True)


def _print_welcome(
    gateway_url: str, service_urls: dict[str, str], admin_key: str | None, settings: CliSettings
) -> None:
    table = Table(show_header=False, box=None, padding=(0, 2))
    table.add_row("gateway", gateway_url)
    table.add_row("API docs", f"{gateway_url}/docs")
    table.add_row("ReDoc", f"{gateway_url}/redoc")
    table.add_row("OpenAPI", f"{gateway_url}/openapi.json")
    for name, url in service_urls.items():
        table.add_row(name, f"{url}  (internal)")
    console.print(Panel(table, title="[bold green]PRM is up[/]", expand=False))
    if admin_key:
        console.print(f"Admin API key (also in {keys.first_admin_key_path(settings)}):", soft_wrap=True)
        console.print(f"  [bold]{admin_key}[/]", soft_wrap=True)
        console.print(
            f"  curl -H 'Authorization: Bearer {admin_key}' {gateway_url}/v1/status", soft_wrap=True
        )
    elif settings.bootstrap_admin_key:
        console.print("Admin API key: the one in PRM_BOOTSTRAP_ADMIN_KEY.")
    else:
        console.print("API keys exist already: `prm keys list` shows them, `prm keys create` adds one.")


def _load_demo(settings: CliSettings, gateway_url: str, admin_key: str | None) -> None:
    bootstrap = settings.bootstrap_admin_key.get_secret_value() if settings.bootstrap_admin_key else None
    try:
        outcome = asyncio.run(demo.load(settings, gateway_url=gateway_url, key=admin_key or bootstrap))
    except httpx.HTTPError as error:
        # The platform itself is fine: keep it running and say what went wrong.
        console.print(
            f"[red]Loading demo data failed:[/] {escape(str(error))}; `prm demo` retries what is missing.",
            soft_wrap=True,
        )
        return
    report_demo(outcome)


def report_demo(outcome: demo.DemoOutcome) -> None:
    if not demo.LOADERS:
        console.print(
            "[yellow]Demo data: no loaders exist yet[/] — each feature adds its own to "
            "prm_cli/demo.py once its endpoints exist.",
            soft_wrap=True,
        )
        return
    for name in outcome.already_loaded:
        console.print(f"  demo data [dim]{name}[/]: loaded before")
    for name in outcome.loaded:
        console.print(f"  demo data [green]{name}[/]: loaded")
