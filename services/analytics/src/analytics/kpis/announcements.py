"""`kpi.updated`: the outbox events that tell consumers (scoring) a partner's KPIs may have changed, written in
the transaction of the change. Sales, survey answers and closed deal registrations name each month they
fall in (one event per partner and month); an input stored for a period (a target, a spend, a market size)
names every month of that period in one event per partner, so a yearly market size of a busy region is one
event per partner, not twelve."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from uuid import UUID

from prm_contracts.kpis import KPI_UPDATED, KpiUpdated
from prm_contracts.periods import Period, month_labels
from prm_kit.outbox import add_events
from sqlalchemy.ext.asyncio import AsyncSession

EVENT_SOURCE = "analytics"


def per_month(changes: Iterable[tuple[UUID, date]]) -> list[KpiUpdated]:
    """One event per (partner, month) among the days changed, by partner then month."""
    keys = sorted(
        {(partner_id, f"{day:%Y-%m}") for partner_id, day in changes}, key=lambda k: (str(k[0]), k[1])
    )
    return [KpiUpdated(partner_id=partner_id, months=[month]) for partner_id, month in keys]


def per_period(partner_ids: Iterable[UUID], period: Period) -> list[KpiUpdated]:
    """One event per partner naming every month of the period an input was stored for."""
    months = month_labels(period.first_day, period.last_day)
    return [
        KpiUpdated(partner_id=partner_id, months=months) for partner_id in sorted(set(partner_ids), key=str)
    ]


async def announce(session: AsyncSession, updates: Iterable[KpiUpdated]) -> None:
    """Write the events to the outbox, all in one statement."""
    await add_events(session, type=KPI_UPDATED, source=EVENT_SOURCE, data=updates)
