"""`kpi.updated`: the outbox events that tell consumers (scoring) a partner's KPIs may have changed, written in
the transaction of the change. Sales, survey answers and closed deal registrations name each month they
fall in (one event per partner and month); an input stored for a period (a target, a spend, a market size)
names every month of that period in one event per partner, so a yearly market size of a busy region is one
event per partner, not twelve."""

from __future__ import annotations

import json
from collections.abc import Iterable
from datetime import date
from uuid import UUID

import sqlalchemy as sa
from prm_contracts.kpis import KPI_UPDATED, KpiUpdated
from prm_contracts.periods import Period
from prm_kit.outbox import outbox_event, outbox_row
from sqlalchemy.ext.asyncio import AsyncSession

EVENT_SOURCE = "analytics"


def month_label(day: date) -> str:
    return f"{day:%Y-%m}"


def months_of(period: Period) -> list[str]:
    """The labels of the months a period spans (a year: twelve), oldest first."""
    labels, year, month = [], period.first_day.year, period.first_day.month
    while (year, month) <= (period.last_day.year, period.last_day.month):
        labels.append(f"{year:04d}-{month:02d}")
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return labels


def per_month(changes: Iterable[tuple[UUID, date]]) -> list[KpiUpdated]:
    """One event per (partner, month) among the days changed, by partner then month."""
    keys = sorted(
        {(partner_id, month_label(day)) for partner_id, day in changes}, key=lambda k: (str(k[0]), k[1])
    )
    return [KpiUpdated(partner_id=partner_id, months=[month]) for partner_id, month in keys]


def per_period(partner_ids: Iterable[UUID], period: Period) -> list[KpiUpdated]:
    """One event per partner naming every month of the period an input was stored for."""
    months = months_of(period)
    return [
        KpiUpdated(partner_id=partner_id, months=months) for partner_id in sorted(set(partner_ids), key=str)
    ]


async def announce(session: AsyncSession, updates: Iterable[KpiUpdated]) -> None:
    """Write the events to the outbox, all in one statement."""
    rows = [outbox_row(type=KPI_UPDATED, source=EVENT_SOURCE, data=update) for update in updates]
    if not rows:
        return
    # `outbox_row` makes the envelope (id, time, source) as the kit does and gives the payload as JSON text
    # for a statement that casts it; this insert goes through the JSON column, which wants the document
    await session.execute(
        sa.insert(outbox_event), [row | {"payload": json.loads(row["payload"])} for row in rows]
    )
