"""Monthly partitions of `sales_line` on PostgreSQL: create the upcoming ones, detach (or drop) the expired.

Migration analytics0002 creates a window of monthly partitions (`sales_line_partitions.sales_line_YYYY_MM`)
and a DEFAULT one that takes any other date. `prm analytics partitions` (run it monthly, e.g. from cron or a
Kubernetes CronJob) keeps the window moving:

- every month from the current one to `months_ahead` later gets its partition. Lines already stored for such
  a month sit in the DEFAULT partition, and PostgreSQL refuses a partition whose range has rows there: they
  are moved into the new table first (in the same transaction), then it is attached.
- with `retention_months`, every monthly partition wholly before the first day of the month that many months
  ago is detached: its lines leave every read of `sales_line` (lists, exports) but stay in their table in
  `sales_line_partitions` for archiving; with `drop`, the table is dropped instead. Rollups, KPIs and the
  de-duplication keys are untouched (a line re-sent later is still a duplicate). Lines of such months in the
  DEFAULT partition are left where they are.

Everything runs in the caller's transaction, under an advisory lock so two runs do not interleave. On SQLite
`sales_line` is a plain table and there is nothing to do.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from analytics.sales.models import PARTITION_SCHEMA

_MONTHLY = re.compile(r"^sales_line_(\d{4})_(\d{2})$")
_LOCK_KEY = 0x5A1E5  # pg_advisory_xact_lock key of this job


@dataclass
class PartitionReport:
    created: list[str] = field(default_factory=list)
    moved_rows: dict[str, int] = field(default_factory=dict)  # rows moved out of DEFAULT, per new partition
    detached: list[str] = field(default_factory=list)
    dropped: list[str] = field(default_factory=list)
    note: str | None = None


def _month_start(day: date, months: int = 0) -> date:
    index = day.year * 12 + day.month - 1 + months
    return date(index // 12, index % 12 + 1, 1)


def partition_name(month: date) -> str:
    return f"sales_line_{month:%Y_%m}"


async def maintain_partitions(
    connection: AsyncConnection,
    *,
    today: date,
    months_ahead: int,
    retention_months: int | None = None,
    drop: bool = False,
) -> PartitionReport:
    """Create the partitions of this month to `months_ahead` later, detach (or drop) those that end before
    the month `retention_months` ago; see the module."""
    if months_ahead < 0 or (retention_months is not None and retention_months < 1):
        raise ValueError("months_ahead must be 0 or more, retention_months 1 or more")
    if connection.dialect.name != "postgresql":
        return PartitionReport(
            note="sales_line is a plain table on SQLite: there are no partitions to maintain"
        )
    await connection.execute(sa.text("SELECT pg_advisory_xact_lock(:key)"), {"key": _LOCK_KEY})
    existing = await _monthly_partitions(connection)
    report = PartitionReport()
    for offset in range(months_ahead + 1):
        month = _month_start(today, offset)
        if month not in existing:
            await _create(connection, month, report)
    if retention_months is not None:
        cutoff = _month_start(today, -retention_months)
        for month in sorted(existing):
            if month < cutoff:
                await _retire(connection, partition_name(month), drop=drop, report=report)
    return report


async def _monthly_partitions(connection: AsyncConnection) -> set[date]:
    """The months that have an attached partition."""
    rows = await connection.execute(
        sa.text(
            "SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid "
            "WHERE i.inhparent = 'sales_line'::regclass"
        )
    )
    months = set()
    for (name,) in rows:
        found = _MONTHLY.match(name)
        if found:
            months.add(date(int(found[1]), int(found[2]), 1))
    return months


async def _create(connection: AsyncConnection, month: date, report: PartitionReport) -> None:
    name = partition_name(month)
    table = f"{PARTITION_SCHEMA}.{name}"
    start, end = month.isoformat(), _month_start(month, 1).isoformat()
    await connection.execute(
        sa.text(f"CREATE TABLE {table} (LIKE sales_line INCLUDING DEFAULTS INCLUDING CONSTRAINTS)")
    )
    # PostgreSQL refuses a partition whose range has rows in DEFAULT: those rows move in first.
    # names made from dates only, values bound
    move = (
        f"WITH moved AS (DELETE FROM {PARTITION_SCHEMA}.sales_line_default "  # noqa: S608
        "WHERE occurred_on >= :start AND occurred_on < :end RETURNING *) "
        f"INSERT INTO {table} SELECT * FROM moved"
    )
    moved = await connection.execute(sa.text(move), {"start": month, "end": _month_start(month, 1)})
    await connection.execute(
        sa.text(f"ALTER TABLE sales_line ATTACH PARTITION {table} FOR VALUES FROM ('{start}') TO ('{end}')")
    )
    report.created.append(name)
    if moved.rowcount:
        report.moved_rows[name] = moved.rowcount


async def _retire(connection: AsyncConnection, name: str, *, drop: bool, report: PartitionReport) -> None:
    table = f"{PARTITION_SCHEMA}.{name}"
    await connection.execute(sa.text(f"ALTER TABLE sales_line DETACH PARTITION {table}"))
    if drop:
        await connection.execute(sa.text(f"DROP TABLE {table}"))
        report.dropped.append(name)
    else:
        report.detached.append(name)
