"""`prm import …`: load data from files through the gateway's public API.

Every import streams its file as the request body (constant memory whatever the file's size) with a progress
bar, and reports a refusal line by line from the problem's `errors` (`loc` = ["body", <line>, <column>]).
`upload_csv` is the one way a CSV import is sent; each command only says where it goes and what the answer
means. Without `--key`, an admin key is made on the local gateway database for the import and revoked after.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, nullcontext
from pathlib import Path
from typing import Annotated, Any

import httpx
import typer
from prm_contracts.analytics import FxFrequency
from rich.markup import escape
from rich.progress import BarColumn, DownloadColumn, Progress, TextColumn, TimeRemainingColumn
from rich.table import Table

from prm_cli.config import CliSettings
from prm_cli.console import console
from prm_cli.errors import reported_errors
from prm_cli.keys import temporary_admin_key
from prm_cli.services import GATEWAY

CHUNK_BYTES = 256 * 1024
MAX_LISTED_ERRORS = 50

import_app = typer.Typer(help="Load data from files through the gateway (streamed, with a progress bar).")

GatewayOption = Annotated[str, typer.Option(envvar="PRM_GATEWAY_URL", help="The running gateway.")]
KeyOption = Annotated[
    str | None,
    typer.Option(
        envvar="PRM_API_KEY",
        help="An API key allowed to write the data; without one, a temporary admin key is made on the local "
        "gateway database.",
    ),
]
CsvFile = Annotated[
    Path,
    typer.Argument(exists=True, dir_okay=False, readable=True, help="A UTF-8 CSV file with a header line."),
]
DEFAULT_GATEWAY = f"http://127.0.0.1:{GATEWAY.default_port}"


async def _file_chunks(file: Path, advance: Callable[[int], None]) -> AsyncIterator[bytes]:
    with file.open("rb") as stream:
        while chunk := await asyncio.to_thread(stream.read, CHUNK_BYTES):
            advance(len(chunk))
            yield chunk


async def upload_csv(
    file: Path,
    *,
    gateway_url: str,
    key: str | None,
    path: str,
    params: dict[str, str] | None = None,
    settings: CliSettings | None = None,
    transport: httpx.AsyncBaseTransport | None = None,
) -> httpx.Response:
    """POST `file` as `text/csv` to `path` at the gateway, streamed, with a progress bar; the answer."""
    credential: AbstractAsyncContextManager[str] = (
        nullcontext(key)
        if key
        else temporary_admin_key(settings or CliSettings(), name=f"import:{file.name}")
    )
    progress = Progress(
        TextColumn(escape(file.name)), BarColumn(), DownloadColumn(), TimeRemainingColumn(), console=console
    )
    size = file.stat().st_size  # noqa: ASYNC240 - one stat call before anything is sent
    async with (
        credential as bearer,
        httpx.AsyncClient(
            base_url=gateway_url,
            headers={"Authorization": f"Bearer {bearer}"},
            # a large file takes long to send and to check: no read timeout once it is sent
            timeout=httpx.Timeout(30.0, read=None),
            transport=transport,
        ) as client,
    ):
        with progress:
            task = progress.add_task("upload", total=size)
            try:
                return await client.post(
                    path,
                    params=params,
                    content=_file_chunks(file, lambda n: progress.advance(task, n)),
                    headers={"Content-Type": "text/csv"},
                )
            except httpx.TransportError:
                refusal = await _refusal_before_reading(client, path, params)
                if refusal is None:
                    raise
                return refusal


async def _refusal_before_reading(
    client: httpx.AsyncClient, path: str, params: dict[str, str] | None
) -> httpx.Response | None:
    """Why a file's upload broke off, when the gateway refused it before reading it (a wrong key, a partner
    the registry does not know) and closed the connection while the file was still being sent, so that its
    answer was never read: the same request with an empty file, which nothing stores, gets that refusal.
    None when the empty file is refused only for being empty (422): the upload broke off for another reason."""
    try:
        answer = await client.post(path, params=params, content=b"", headers={"Content-Type": "text/csv"})
    except httpx.TransportError:
        return None
    return answer if answer.is_client_error and answer.status_code != 422 else None


def _where(loc: list[Any]) -> tuple[str, str]:
    """(line, column) of an error location `["body", <line>, <column>…]`."""
    line = next((str(part) for part in loc if isinstance(part, int)), "")
    column = ".".join(str(part) for part in loc[1:] if not isinstance(part, int))
    return line, column


def report_refusal(response: httpx.Response) -> None:
    """The problem of a refused import: its detail, then each reported line (at most 50 are listed)."""
    try:
        problem: dict[str, Any] = response.json()
    except ValueError:
        console.print(f"[red]The gateway answered {response.status_code}:[/] {escape(response.text[:500])}")
        return
    title = problem.get("title", "Refused")
    console.print(
        f"[red]{escape(str(title))} ({response.status_code}).[/] Nothing was stored.", soft_wrap=True
    )
    errors = problem.get("errors") or []
    if not errors:
        console.print(escape(str(problem.get("detail", ""))), soft_wrap=True)
        return
    table = Table("line", "column", "problem")
    for error in errors[:MAX_LISTED_ERRORS]:
        line, column = _where(list(error.get("loc", [])))
        table.add_row(line, column, escape(str(error.get("msg", ""))))
    console.print(table)
    total = int(problem.get("problem_count", len(errors)))
    if total > min(len(errors), MAX_LISTED_ERRORS):
        console.print(f"… {total - min(len(errors), MAX_LISTED_ERRORS)} more problem(s) not listed.")


@import_app.command(name="fx")
def import_fx(
    file: CsvFile,
    frequency: Annotated[
        FxFrequency,
        typer.Option(
            help="Each pair's series must have every day (daily) or every month's first day (monthly)."
        ),
    ] = FxFrequency.DAILY,
    corrections: Annotated[
        bool,
        typer.Option("--corrections", help="Replace stored rates that differ instead of refusing the file."),
    ] = False,
    gateway: GatewayOption = DEFAULT_GATEWAY,
    key: KeyOption = None,
) -> None:
    """Load FX rates from a CSV file with the columns base,quote,rate,effective_on (all or nothing)."""
    params = {"frequency": frequency.value, "corrections": str(corrections).lower()}
    with reported_errors():
        response = asyncio.run(
            upload_csv(
                file, gateway_url=gateway.rstrip("/"), key=key, path="/v1/fx-rates/imports", params=params
            )
        )
    if not response.is_success:
        report_refusal(response)
        raise typer.Exit(1)
    counts = response.json()
    console.print(
        f"Loaded {escape(file.name)}: {counts['created']} new rate(s), {counts['unchanged']} already stored, "
        f"{counts['corrected']} corrected.",
        soft_wrap=True,
    )


def print_sales_report(report: dict[str, Any]) -> None:
    """An import's counts, then its refused lines (at most 50 listed)."""
    counts = report["counts"]
    console.print(
        f"{counts['records']} record(s): {counts['accepted']} stored, {counts['duplicate']} already stored, "
        f"{counts['rejected']} rejected, {counts['invalid']} invalid; {report['chunk_count']} chunk(s) committed "
        f"(through line {report['committed_through_line']}).",
        soft_wrap=True,
    )
    errors = report.get("errors") or []
    if not errors:
        return
    table = Table("line", "external_id", "column", "reason", "detail")
    for error in errors[:MAX_LISTED_ERRORS]:
        table.add_row(
            str(error["line"]),
            escape(str(error.get("external_id") or "")),
            escape(str(error.get("column") or "")),
            str(error["reason"]),
            escape(str(error["detail"])),
        )
    console.print(table)
    more = counts["rejected"] + counts["invalid"] - min(len(errors), MAX_LISTED_ERRORS)
    if more > 0:
        console.print(f"… {more} more refused line(s) not listed.")


@import_app.command(name="sales")
def import_sales(
    file: CsvFile,
    partner: Annotated[
        str, typer.Option("--partner", help="The partner whose sales the file holds (its id).")
    ],
    gateway: GatewayOption = DEFAULT_GATEWAY,
    key: KeyOption = None,
) -> None:
    """Load a partner's sales lines from a CSV file (the webhook line's columns; see the analytics README).
    Stored in chunks of 1,000 lines; running it again with the same file is safe (stored lines are
    duplicates)."""
    with reported_errors():
        response = asyncio.run(
            upload_csv(
                file,
                gateway_url=gateway.rstrip("/"),
                key=key,
                path="/v1/sales/imports",
                params={"partner_id": partner},
            )
        )
    if response.is_success:
        console.print(f"Imported {escape(file.name)}.")
        print_sales_report(response.json())
        return
    report = _problem_report(response)
    if report is None:
        report_refusal(response)
    else:
        console.print(f"[red]{escape(str(response.json().get('detail', '')))}[/]", soft_wrap=True)
        print_sales_report(report)
    raise typer.Exit(1)


def _problem_report(response: httpx.Response) -> dict[str, Any] | None:
    """The import report a problem carries (`sales-import-rejected`, `-stopped`, `-conflict`), if any."""
    try:
        report = response.json().get("report")
    except (ValueError, AttributeError):
        return None
    return report if isinstance(report, dict) and "counts" in report else None
