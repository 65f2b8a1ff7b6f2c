"""What an ingestion changes for KPIs, inside its transaction: the partner x customer x month rollup and one
`kpi.updated` event per (partner, month) the delivery touched — not one per line."""

from __future__ import annotations

from collections.abc import Sequence
from uuid import UUID

from prm_contracts.kpis import KPI_UPDATED, KpiUpdated
from prm_contracts.sales import SalesTransaction
from prm_kit.outbox import add_event
from sqlalchemy.ext.asyncio import AsyncSession

from analytics.kpis import repository
from analytics.kpis.rollups import customer_month_rollup_rows, months_touched

EVENT_SOURCE = "analytics"


def kpi_updates(partner_id: UUID, lines: Sequence[SalesTransaction]) -> list[KpiUpdated]:
    """The `kpi.updated` events of the lines: one per month they touch."""
    return [KpiUpdated(partner_id=partner_id, months=[month]) for month in months_touched(lines)]


async def record_sales_for_kpis(
    session: AsyncSession, partner_id: UUID, lines: Sequence[SalesTransaction]
) -> None:
    if not lines:
        return
    await repository.add_to_customer_month_rollups(session, customer_month_rollup_rows(partner_id, lines))
    for update in kpi_updates(partner_id, lines):
        await add_event(session, type=KPI_UPDATED, source=EVENT_SOURCE, data=update)
