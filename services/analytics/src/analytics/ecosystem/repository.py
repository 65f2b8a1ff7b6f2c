"""Queries of the ecosystem views: partners by dimension and their sales totals, set-based over rollups."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from uuid import UUID

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from analytics.partners.models import PartnerDimension
from analytics.sales.models import SalesDailyRollup


async def dimensions(session: AsyncSession) -> dict[UUID, PartnerDimension]:
    rows = await session.scalars(sa.select(PartnerDimension))
    return {row.partner_id: row for row in rows}


async def partners_with_sales(session: AsyncSession, first: date, last: date) -> set[UUID]:
    rows = await session.scalars(
        sa.select(SalesDailyRollup.partner_id).where(SalesDailyRollup.day.between(first, last)).distinct()
    )
    return set(rows)


async def net_revenue(session: AsyncSession, first: date, last: date) -> list[tuple[UUID, str, Decimal]]:
    """(partner, currency, sales - returns) over [first, last], for every partner with lines."""
    rollup = SalesDailyRollup
    rows = await session.execute(
        sa.select(
            rollup.partner_id, rollup.currency, sa.func.sum(rollup.gross_amount - rollup.returns_amount)
        )
        .where(rollup.day.between(first, last))
        .group_by(rollup.partner_id, rollup.currency)
    )
    return [(partner, currency, Decimal(total or 0)) for partner, currency, total in rows]
