"""What an ingestion changes for KPIs, inside its transaction: the partner x customer x month rollup and one
`kpi.updated` event per (partner, month) the delivery touched — not one per line (kpis/announcements.py)."""

from __future__ import annotations

from collections.abc import Sequence
from uuid import UUID

from prm_contracts.kpis import KpiUpdated
from prm_contracts.sales import SalesTransaction
from sqlalchemy.ext.asyncio import AsyncSession

from analytics.kpis import repository
from analytics.kpis.announcements import announce, per_month
from analytics.kpis.rollups import customer_month_rollup_rows


def kpi_updates(partner_id: UUID, lines: Sequence[SalesTransaction]) -> list[KpiUpdated]:
    """The `kpi.updated` events of the lines: one per month they touch."""
    return per_month((partner_id, line.occurred_on) for line in lines)


async def record_sales_for_kpis(
    session: AsyncSession, partner_id: UUID, lines: Sequence[SalesTransaction]
) -> None:
    if not lines:
        return
    await repository.add_to_customer_month_rollups(session, customer_month_rollup_rows(partner_id, lines))
    await announce(session, kpi_updates(partner_id, lines))
