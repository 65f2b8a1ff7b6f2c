"""Every query of the market-sizes domain."""

from __future__ import annotations

from uuid import UUID

import sqlalchemy as sa
from prm_kit.pagination import KeysetPosition, keyset_after, keyset_order
from sqlalchemy.ext.asyncio import AsyncSession

from analytics.market_sizes.models import MarketSize
from analytics.partners.models import PartnerDimension


async def size_by_key(
    session: AsyncSession, region: str, segment: str, period: str, *, for_update: bool = False
) -> MarketSize | None:
    statement = sa.select(MarketSize).where(
        MarketSize.region == region, MarketSize.segment == segment, MarketSize.period == period
    )
    if for_update:
        statement = statement.with_for_update()
    size: MarketSize | None = await session.scalar(statement.execution_options(populate_existing=True))
    return size


async def add_size(session: AsyncSession, size: MarketSize) -> None:
    session.add(size)
    await session.flush()


async def partners_in_region(session: AsyncSession, region: str) -> list[UUID]:
    """The replica's partners whose market is `region`: their region's key, else their country — the match a
    snapshot's market share makes (kpis/snapshot_statement.py)."""
    placed = sa.func.coalesce(
        sa.func.nullif(PartnerDimension.market_region, ""), sa.func.nullif(PartnerDimension.country, "")
    )
    rows = await session.scalars(
        sa.select(PartnerDimension.partner_id).where(placed == region).order_by(PartnerDimension.partner_id)
    )
    return list(rows.all())


async def size_page(
    session: AsyncSession,
    *,
    region: str | None,
    segment: str | None,
    period: str | None,
    after: KeysetPosition[str] | None,
    limit: int,
) -> list[MarketSize]:
    statement = sa.select(MarketSize).where(
        keyset_after(MarketSize.period, MarketSize.id, after, descending=False)
    )
    if region is not None:
        statement = statement.where(MarketSize.region == region)
    if segment is not None:
        statement = statement.where(MarketSize.segment == segment)
    if period is not None:
        statement = statement.where(MarketSize.period == period)
    statement = statement.order_by(*keyset_order(MarketSize.period, MarketSize.id, descending=False)).limit(
        limit
    )
    return list((await session.scalars(statement)).all())
