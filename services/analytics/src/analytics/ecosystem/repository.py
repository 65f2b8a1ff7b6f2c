"""Queries of the ecosystem views: partners by dimension and their sales totals, set-based over the daily
rollup (a handful of GROUP BY queries for every partner at once, never one query per partner)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any
from uuid import UUID

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from analytics.partners.models import PartnerDimension
from analytics.sales.models import SalesDailyRollup

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


def _month_label(session: AsyncSession, day: Any) -> Any:
    """`YYYY-MM` of a date column, in the database's own dialect (grouping by month happens there)."""
    if session.get_bind().dialect.name == "postgresql":
        return sa.func.to_char(day, "YYYY-MM")
    return sa.func.strftime("%Y-%m", day)


def _partners_asked(partner_id: UUID | None, segment: SegmentFilter) -> sa.ColumnElement[bool]:
    condition: sa.ColumnElement[bool] = sa.true()
    if partner_id is not None:
        condition = sa.and_(condition, SalesDailyRollup.partner_id == partner_id)
    if not segment.empty:
        condition = sa.and_(condition, SalesDailyRollup.partner_id.in_(segment.partner_ids()))
    return condition


async def monthly_revenue(
    session: AsyncSession, first: date, last: date, *, partner_id: UUID | None, segment: SegmentFilter
) -> list[MonthlyRevenue]:
    """Net revenue and line counts per (partner, month, currency) over [first, last]: partners x months x
    currencies rows, whatever the number of lines."""
    rollup = SalesDailyRollup
    month = _month_label(session, rollup.day).label("month")
    statement = sa.select(
        rollup.partner_id,
        month,
        rollup.currency,
        sa.func.sum(rollup.gross_amount - rollup.returns_amount),
        sa.func.sum(rollup.line_count),
    ).where(rollup.day.between(first, last), _partners_asked(partner_id, segment))
    statement = statement.group_by(rollup.partner_id, month, rollup.currency)
    return [
        MonthlyRevenue(partner, label, currency, Decimal(total or 0), int(lines or 0))
        for partner, label, currency, total, lines in await session.execute(statement)
    ]


async def first_sales(
    session: AsyncSession, *, partner_id: UUID | None, segment: SegmentFilter
) -> dict[UUID, date]:
    """Each partner's first day with a sale (ever), for the partners asked for."""
    rollup = SalesDailyRollup
    statement = (
        sa.select(rollup.partner_id, sa.func.min(rollup.day))
        .where(rollup.sale_line_count > 0, _partners_asked(partner_id, segment))
        .group_by(rollup.partner_id)
    )
    rows = await session.execute(statement)
    return {partner: day for partner, day in rows if day is not None}
