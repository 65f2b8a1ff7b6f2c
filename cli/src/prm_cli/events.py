"""`prm events`: the dead letters of each service's outbox — events a subscriber refused for good, which the
relay parked so later events flow on — listed and replayed through the gateway (`/v1/event-dead-letters/…`,
admin keys only; see prm_kit.dead_letters). Without `--key`, an admin key is made on the local gateway
database for the command and revoked after.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from contextlib import AbstractAsyncContextManager, nullcontext
from dataclasses import dataclass
from typing import Annotated
from uuid import UUID

import httpx
import typer
from prm_contracts.clients.base import ServiceClient
from prm_contracts.pagination import Page
from prm_contracts.problem import AppError
from prm_kit.dead_letters import DeadLetterState, EventDeadLetterOut, EventReplayIn, EventReplayOut
from rich.console import Console
from rich.markup import escape
from rich.table import Column, Table

from prm_cli.config import CliSettings
from prm_cli.console import console
from prm_cli.errors import reported_errors
from prm_cli.keys import temporary_admin_key
from prm_cli.services import BACKENDS, GATEWAY

PAGE_SIZE = 200
BACKEND_NAMES = tuple(service.name for service in BACKENDS)
DEFAULT_GATEWAY = f"http://127.0.0.1:{GATEWAY.default_port}"

events_app = typer.Typer(help="Events between the services: dead letters of their outboxes, and replays.")

GatewayOption = Annotated[str, typer.Option(envvar="PRM_GATEWAY_URL", help="The running gateway.")]
KeyOption = Annotated[
    str | None,
    typer.Option(
        envvar="PRM_API_KEY",
        help="An admin API key; without one, a temporary admin key is made on the local gateway database.",
    ),
]


class DeadLettersClient(ServiceClient):
    """Every service's dead letters, through the gateway."""

    service = "the gateway"

    async def dead_letters(self, service: str, state: DeadLetterState) -> list[EventDeadLetterOut]:
        letters: list[EventDeadLetterOut] = []
        cursor: str | None = None
        while True:
            params = {"state": state.value, "limit": str(PAGE_SIZE)} | ({"cursor": cursor} if cursor else {})
            page = await self._json(
                "GET", f"/v1/event-dead-letters/{service}", Page[EventDeadLetterOut], params=params
            )
            letters.extend(page.items)
            if page.next_cursor is None:
                return letters
            cursor = page.next_cursor

    async def replay(self, service: str, event_id: UUID, subscriber: str | None) -> EventReplayOut:
        body = EventReplayIn(subscriber=subscriber).model_dump(exclude_none=True)
        return await self._json(
            "POST", f"/v1/event-dead-letters/{service}/{event_id}/replays", EventReplayOut, json=body
        )


@dataclass(frozen=True)
class ServiceDeadLetters:
    service: str
    letters: list[EventDeadLetterOut]
    error: str | None = None  # the service could not be asked


def _credential(key: str | None, settings: CliSettings, name: str) -> AbstractAsyncContextManager[str]:
    return nullcontext(key) if key else temporary_admin_key(settings, name=name)


def _client(gateway_url: str, bearer: str, transport: httpx.AsyncBaseTransport | None) -> httpx.AsyncClient:
    return httpx.AsyncClient(
        base_url=gateway_url.rstrip("/"),
        headers={"Authorization": f"Bearer {bearer}"},
        timeout=30.0,
        transport=transport,
    )


async def list_dead_letters(
    *,
    gateway_url: str,
    key: str | None,
    services: Sequence[str],
    state: DeadLetterState,
    settings: CliSettings | None = None,
    transport: httpx.AsyncBaseTransport | None = None,
) -> list[ServiceDeadLetters]:
    """Each service's dead letters; a service that cannot answer is reported, the others still listed. A
    refusal of the key (401, 403) is raised: it would be the same for every service."""
    found = []
    async with (
        _credential(key, settings or CliSettings(), "events:dead-letters") as bearer,
        _client(gateway_url, bearer, transport) as http,
    ):
        client = DeadLettersClient(http)
        for service in services:
            try:
                found.append(ServiceDeadLetters(service, await client.dead_letters(service, state)))
            except AppError as error:
                if error.status in {401, 403}:
                    raise
                found.append(ServiceDeadLetters(service, [], error=str(error)))
    return found


async def replay_dead_letter(
    *,
    gateway_url: str,
    key: str | None,
    service: str,
    event_id: UUID,
    subscriber: str | None,
    settings: CliSettings | None = None,
    transport: httpx.AsyncBaseTransport | None = None,
) -> EventReplayOut:
    async with (
        _credential(key, settings or CliSettings(), f"events:replay:{event_id}") as bearer,
        _client(gateway_url, bearer, transport) as http,
    ):
        return await DeadLettersClient(http).replay(service, event_id, subscriber)


def _checked_service(service: str | None) -> str | None:
    if service is not None and service not in BACKEND_NAMES:
        raise typer.BadParameter(f"choose one of {', '.join(BACKEND_NAMES)}", param_hint="--service")
    return service


@events_app.command(name="dead-letters")
def dead_letters_command(
    service: Annotated[
        str | None, typer.Option("--service", help=f"Only this one: {', '.join(BACKEND_NAMES)}.")
    ] = None,
    state: Annotated[
        DeadLetterState, typer.Option(help="parked (not replayed yet), replayed, or all.")
    ] = DeadLetterState.parked,
    gateway: GatewayOption = DEFAULT_GATEWAY,
    key: KeyOption = None,
) -> None:
    """List the events subscribers refused for good, per service (newest parked first)."""
    chosen = _checked_service(service)
    with reported_errors():
        found = asyncio.run(
            list_dead_letters(
                gateway_url=gateway,
                key=key,
                services=[chosen] if chosen else BACKEND_NAMES,
                state=state,
            )
        )
    print_dead_letters(found)
    if any(entry.error for entry in found):
        raise typer.Exit(1)


def print_dead_letters(found: Sequence[ServiceDeadLetters]) -> None:
    for entry in found:
        if entry.error:
            console.print(f"[red]{entry.service}: {escape(entry.error)}[/]", soft_wrap=True)
    letters = [letter for entry in found for letter in entry.letters]
    if not letters:
        if not any(entry.error for entry in found):
            console.print("No dead letters: every event reached every subscriber.")
        return
    # Ids are for copying into `prm events replay`: never cut them short.
    table = Table(
        "service",
        Column("event", no_wrap=True, min_width=36),
        "type",
        "subscriber",
        "status",
        "attempts",
        "parked",
        "replayed",
        "detail",
    )
    for letter in letters:
        table.add_row(
            letter.service,
            str(letter.event_id),
            letter.event_type,
            letter.subscriber,
            str(letter.status_code),
            str(letter.attempts),
            letter.parked_at.isoformat(timespec="seconds"),
            letter.replayed_at.isoformat(timespec="seconds") if letter.replayed_at else "—",
            escape(letter.detail or ""),
        )
    # A pipe or a file has no width of its own: do not squeeze the table into rich's default 80 columns.
    wide = console if console.is_terminal else Console(file=console.file, width=240, highlight=False)
    wide.print(table)


@events_app.command(name="replay")
def replay_command(
    event_id: Annotated[UUID, typer.Argument(help="The event id `prm events dead-letters` shows.")],
    service: Annotated[str, typer.Option("--service", help=f"Whose event: {', '.join(BACKEND_NAMES)}.")],
    subscriber: Annotated[
        str | None,
        typer.Option(help="Only to this subscriber (base URL); default: each that has the event parked."),
    ] = None,
    gateway: GatewayOption = DEFAULT_GATEWAY,
    key: KeyOption = None,
) -> None:
    """Send a parked event again, now and once; exit code 1 unless every subscriber took it."""
    chosen = _checked_service(service)
    assert chosen is not None
    with reported_errors():
        outcome = asyncio.run(
            replay_dead_letter(
                gateway_url=gateway, key=key, service=chosen, event_id=event_id, subscriber=subscriber
            )
        )
    for letter in outcome.dead_letters:
        if letter.replayed_at is not None:
            console.print(f"[green]Replayed[/] {event_id} to {escape(letter.subscriber)}.", soft_wrap=True)
        else:
            console.print(
                f"[red]Still parked:[/] {escape(letter.subscriber)} answered {letter.status_code}: "
                f"{escape(letter.detail or '')}",
                soft_wrap=True,
            )
    if not outcome.replayed:
        raise typer.Exit(1)
