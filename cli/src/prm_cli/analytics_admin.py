"""`prm analytics partitions`: keep the monthly partitions of analytics' sales table moving (run it monthly).

Talks to the analytics database directly (the URL `prm migrate` uses), in one transaction; the work is
`analytics.sales_partitions.maintenance`. On SQLite it says there is nothing to do.
"""

from __future__ import annotations

import asyncio
from datetime import date
from typing import TYPE_CHECKING, Annotated

import typer
from prm_kit.db.engine import make_engine
from rich.markup import escape
from sqlalchemy import make_url

from prm_cli.config import CliSettings, service_settings
from prm_cli.console import console
from prm_cli.errors import reported_errors
from prm_cli.migrations import require_head
from prm_cli.services import by_name

if TYPE_CHECKING:
    from analytics.sales_partitions.maintenance import PartitionReport

analytics_app = typer.Typer(help="Maintain analytics' storage.")
ANALYTICS = by_name("analytics")
SQLITE_NOTE = "sales_line is a plain table on SQLite: there are no partitions to maintain"


async def run_maintenance(
    url: str, *, today: date, months_ahead: int, retention_months: int | None, drop: bool
) -> PartitionReport:
    # imported here: every other `prm` command would load analytics' models for nothing
    from analytics.sales_partitions.maintenance import maintain_partitions

    engine = make_engine(url, pooled=False)
    try:
        await require_head(engine, ANALYTICS.name, ANALYTICS.migrations_dir())
        async with engine.begin() as connection:
            return await maintain_partitions(
                connection,
                today=today,
                months_ahead=months_ahead,
                retention_months=retention_months,
                drop=drop,
            )
    finally:
        await engine.dispose()


@analytics_app.command(name="partitions")
def partitions(
    months_ahead: Annotated[
        int, typer.Option(min=0, max=120, help="Create the partitions of this month and this many more.")
    ] = 3,
    retention_months: Annotated[
        int | None,
        typer.Option(
            min=1,
            help="Detach partitions of months before the first day of the month this many months ago "
            "(their lines leave every read; rollups and KPIs keep them). Unset: keep everything.",
        ),
    ] = None,
    drop: Annotated[
        bool, typer.Option("--drop", help="Drop expired partitions instead of only detaching them.")
    ] = False,
) -> None:
    """Create upcoming monthly partitions of the sales table (lines already in the DEFAULT partition for
    those months are moved in) and detach (or drop) expired ones."""
    with reported_errors():
        url = service_settings(ANALYTICS, CliSettings()).effective_database_url
        if make_url(url).get_backend_name() == "sqlite":
            # not even opened: a mistyped folder must not leave an empty database behind
            console.print(SQLITE_NOTE)
            return
        report = asyncio.run(
            run_maintenance(
                url,
                today=date.today(),
                months_ahead=months_ahead,
                retention_months=retention_months,
                drop=drop,
            )
        )
    if report.note:
        console.print(escape(report.note))
        return
    for name in report.created:
        moved = report.moved_rows.get(name, 0)
        console.print(
            f"created {name}" + (f" (moved {moved} line(s) from the default partition)" if moved else "")
        )
    for name in report.detached:
        console.print(f"detached {name} (kept as a table in sales_line_partitions)")
    for name in report.dropped:
        console.print(f"dropped {name}")
    if not (report.created or report.detached or report.dropped):
        console.print("Partitions are up to date.")
