"""Queries of the ecosystem views: partners by dimension and their sales totals, set-based over the daily
rollup (a handful of GROUP BY queries for every partner at once, never one query per partner)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any, NamedTuple
from uuid import UUID

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from analytics.kpis.repository import as_date, sales_rollup, within
from analytics.partners.models import PartnerDimension
from analytics.sales.models import SalesDailyRollup, SalesMonthlyRollup

UNKNOWN_SEGMENT = "unknown"


@dataclass(frozen=True)
class SegmentFilter:
    """Partners whose replica has these dimensions (None: any); no filter at all means every partner."""

    tier: str | None = None
    partner_type: str | None = None
    region: str | None = None

    @property
    def empty(self) -> bool:
        return self.tier is None and self.partner_type is None and self.region is None

    def partner_ids(self) -> sa.Select[Any]:
        """The ids of the replica's partners matching the filter."""
        dimension = PartnerDimension
        statement = sa.select(dimension.partner_id)
        for column, wanted in (
            (dimension.tier, self.tier),
            (dimension.partner_type, self.partner_type),
            (dimension.region, self.region),
        ):
            if wanted == UNKNOWN_SEGMENT:  # as the views name a dimension the replica does not know
                statement = statement.where(sa.or_(column.is_(None), column == "", column == wanted))
            elif wanted is not None:
                statement = statement.where(column == wanted)
        return statement


@dataclass(frozen=True)
class MonthlyRevenue:
    partner_id: UUID
    month: str  # "2026-07"
    currency: str
    revenue: Decimal
    line_count: int


class Segments(NamedTuple):
    """What the views read of a partner's replica row."""

    name: str | None
    tier: str | None
    partner_type: str | None
    region: str | None


async def dimensions(session: AsyncSession) -> dict[UUID, Segments]:
    """Every partner of the replica: its name and segments (plain rows: a view reads thousands)."""
    d = PartnerDimension
    rows = await session.execute(sa.select(d.partner_id, d.name, d.tier, d.partner_type, d.region))
    return {partner_id: Segments(*rest) for partner_id, *rest in rows}


async def partners_with_sales(session: AsyncSession, first: date, last: date) -> set[UUID]:
    rollup = sales_rollup([(first, last)])
    rows = await session.scalars(sa.select(rollup.partner_id).where(within(rollup, first, last)).distinct())
    return set(rows)


async def net_revenue(session: AsyncSession, first: date, last: date) -> list[tuple[UUID, str, Decimal]]:
    """(partner, currency, sales - returns) over [first, last], for every partner with lines."""
    rollup = sales_rollup([(first, last)])
    rows = await session.execute(
        sa.select(
            rollup.partner_id, rollup.currency, sa.func.sum(rollup.gross_amount - rollup.returns_amount)
        )
        .where(within(rollup, first, last))
        .group_by(rollup.partner_id, rollup.currency)
    )
    return [(partner, currency, Decimal(total or 0)) for partner, currency, total in rows]


def _partners_asked(column: Any, partner_id: UUID | None, segment: SegmentFilter) -> sa.ColumnElement[bool]:
    condition: sa.ColumnElement[bool] = sa.true()
    if partner_id is not None:
        condition = sa.and_(condition, column == partner_id)
    if not segment.empty:
        condition = sa.and_(condition, column.in_(segment.partner_ids()))
    return condition


async def monthly_revenue(
    session: AsyncSession, first: date, last: date, *, partner_id: UUID | None, segment: SegmentFilter
) -> list[MonthlyRevenue]:
    """Net revenue and line counts per (partner, month, currency) over the whole months [first, last], from
    the monthly rollup: partners x months x currencies rows, whatever the number of lines."""
    rollup = SalesMonthlyRollup
    rows = await session.execute(
        sa.select(
            rollup.partner_id,
            rollup.month,
            rollup.currency,
            rollup.gross_amount - rollup.returns_amount,
            rollup.line_count,
        ).where(
            rollup.month.between(first.replace(day=1), last),
            _partners_asked(rollup.partner_id, partner_id, segment),
        )
    )
    return [
        MonthlyRevenue(partner, f"{month:%Y-%m}", currency, Decimal(total or 0), int(lines or 0))
        for partner, month, currency, total, lines in rows
    ]


async def first_sales(
    session: AsyncSession, *, partner_id: UUID | None, segment: SegmentFilter
) -> dict[UUID, date]:
    """Each partner's first day with a sale (ever), for the partners asked for: its first month with a sale
    from the monthly rollup, then the first day from that month on in the daily rollup (a short range of
    its primary key, not every day the partner ever sold)."""
    monthly, daily = SalesMonthlyRollup, SalesDailyRollup
    firsts = (
        sa.select(monthly.partner_id, sa.func.min(monthly.month).label("month"))
        .where(monthly.sale_line_count > 0, _partners_asked(monthly.partner_id, partner_id, segment))
        .group_by(monthly.partner_id)
        .subquery()
    )
    first_day = (
        sa.select(sa.func.min(daily.day))
        .where(
            daily.partner_id == firsts.c.partner_id,
            daily.day >= firsts.c.month,
            daily.sale_line_count > 0,
        )
        .scalar_subquery()
    )
    rows = await session.execute(sa.select(firsts.c.partner_id, first_day))
    return {partner: as_date(day) for partner, day in rows if day is not None}
