"""Every query KPI snapshots read — rollups and inputs, never `sales_line` — and the month rollup's upsert."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any, cast
from uuid import UUID

import sqlalchemy as sa
from prm_contracts.analytics import TargetMetric
from prm_contracts.deal_registrations import DealRegistrationStatus
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from analytics.acquisition_spend.models import AcquisitionSpend
from analytics.kpis.models import SalesCustomerMonthRollup
from analytics.market_sizes.models import MarketSize
from analytics.partners.models import DealRegistrationOutcome, PartnerDimension
from analytics.sales.models import SalesCustomerRollup, SalesDailyRollup
from analytics.surveys.models import SurveyResponse
from analytics.targets.models import Target

_month = cast(sa.Table, SalesCustomerMonthRollup.__table__)


@dataclass
class SalesTotals:
    """Sums of the daily rollup over a range, in one currency."""

    gross: Decimal = Decimal(0)
    returns: Decimal = Decimal(0)
    costed_amount: Decimal = Decimal(0)
    cost_amount: Decimal = Decimal(0)
    line_count: int = 0
    costed_line_count: int = 0

    @property
    def revenue(self) -> Decimal:
        return self.gross - self.returns


@dataclass(frozen=True)
class SurveyTotals:
    nps_responses: int
    promoters: int
    detractors: int
    csat_responses: int
    csat_sum: int
    csat_satisfied: int


@dataclass(frozen=True)
class MoneyInput:
    amount: Decimal
    currency: str


async def add_to_customer_month_rollups(session: AsyncSession, rows: list[dict[str, Any]]) -> None:
    insert = postgresql.insert if session.get_bind().dialect.name == "postgresql" else sqlite.insert
    statement = insert(_month)
    statement = statement.on_conflict_do_update(
        index_elements=[_month.c.partner_id, _month.c.month, _month.c.customer_key],
        set_={
            "sale_line_count": _month.c.sale_line_count + statement.excluded.sale_line_count,
            "line_count": _month.c.line_count + statement.excluded.line_count,
        },
    )
    await session.execute(statement, rows)


async def sales_totals(
    session: AsyncSession, partner_id: UUID, first: date, last: date
) -> dict[str, SalesTotals]:
    """The partner's daily rollup summed over [first, last], per currency."""
    rollup = SalesDailyRollup
    rows = await session.execute(
        sa.select(rollup.currency, *_totals_columns())
        .where(rollup.partner_id == partner_id, rollup.day.between(first, last))
        .group_by(rollup.currency)
    )
    return {currency: _totals_of(*sums) for currency, *sums in rows}


def _totals_columns() -> tuple[Any, ...]:
    rollup = SalesDailyRollup
    return (
        sa.func.sum(rollup.gross_amount),
        sa.func.sum(rollup.returns_amount),
        sa.func.sum(rollup.costed_amount),
        sa.func.sum(rollup.cost_amount),
        sa.func.sum(rollup.line_count),
        sa.func.sum(rollup.costed_line_count),
    )


def _totals_of(
    gross: Any, returns: Any, costed: Any, cost: Any, lines: Any, costed_lines: Any
) -> SalesTotals:
    return SalesTotals(
        Decimal(gross or 0),
        Decimal(returns or 0),
        Decimal(costed or 0),
        Decimal(cost or 0),
        int(lines or 0),
        int(costed_lines or 0),
    )


async def sales_totals_by_partner(
    session: AsyncSession, first: date, last: date, *, among: sa.Select[Any] | None = None
) -> dict[UUID, dict[str, SalesTotals]]:
    """Every partner's daily rollup summed over [first, last], per currency, in one GROUP BY (the set-based
    twin of `sales_totals`); `among` (a SELECT of partner ids) limits the partners."""
    rollup = SalesDailyRollup
    statement = sa.select(rollup.partner_id, rollup.currency, *_totals_columns()).where(
        rollup.day.between(first, last)
    )
    if among is not None:
        statement = statement.where(rollup.partner_id.in_(among))
    rows = await session.execute(statement.group_by(rollup.partner_id, rollup.currency))
    totals: dict[UUID, dict[str, SalesTotals]] = {}
    for partner_id, currency, *sums in rows:
        totals.setdefault(partner_id, {})[currency] = _totals_of(*sums)
    return totals


async def last_sale_on(session: AsyncSession, partner_id: UUID, last: date) -> date | None:
    day: date | None = await session.scalar(
        sa.select(sa.func.max(SalesDailyRollup.day)).where(
            SalesDailyRollup.partner_id == partner_id,
            SalesDailyRollup.day <= last,
            SalesDailyRollup.sale_line_count > 0,
        )
    )
    return day


async def new_customers(session: AsyncSession, partner_id: UUID, first: date, last: date) -> int:
    """Customers whose first line with the partner (in any currency) falls in [first, last]: a first line in
    the span in some currency and none before it in any. Reads the customers first seen in the span (the
    (partner_id, first_on) index), each checked by its key, not every customer the partner ever had."""
    rollup, earlier = SalesCustomerRollup, aliased(SalesCustomerRollup)
    seen_before = sa.exists().where(
        earlier.partner_id == rollup.partner_id,
        earlier.customer_key == rollup.customer_key,
        earlier.first_on < first,
    )
    count = sa.select(sa.func.count(sa.distinct(rollup.customer_key))).where(
        rollup.partner_id == partner_id, rollup.first_on.between(first, last), ~seen_before
    )
    return int(await session.scalar(count) or 0)


def _buyers(partner_id: UUID, first_month: date, last_month: date) -> sa.Select[Any]:
    return sa.select(SalesCustomerMonthRollup.customer_key).where(
        SalesCustomerMonthRollup.partner_id == partner_id,
        SalesCustomerMonthRollup.month.between(first_month, last_month),
        SalesCustomerMonthRollup.sale_line_count > 0,
    )


async def buying_customers(
    session: AsyncSession, partner_id: UUID, first_month: date, last_month: date
) -> int:
    """Customers with at least one sale in the months [first_month, last_month]."""
    buyers = _buyers(partner_id, first_month, last_month).distinct().subquery()
    return int(await session.scalar(sa.select(sa.func.count()).select_from(buyers)) or 0)


async def retained_customers(
    session: AsyncSession, partner_id: UUID, before: tuple[date, date], now: tuple[date, date]
) -> int:
    """Customers who bought in the months `before` and again in the months `now`."""
    earlier = _buyers(partner_id, *before).distinct().subquery()
    later = _buyers(partner_id, *now).distinct().subquery()
    joined = sa.select(sa.func.count()).select_from(
        earlier.join(later, earlier.c.customer_key == later.c.customer_key)
    )
    return int(await session.scalar(joined) or 0)


async def survey_totals(session: AsyncSession, partner_id: UUID, first: date, last: date) -> SurveyTotals:
    response = SurveyResponse
    row = (
        await session.execute(
            sa.select(
                sa.func.count(response.nps),
                sa.func.sum(sa.case((response.nps >= 9, 1), else_=0)),
                sa.func.sum(sa.case((response.nps <= 6, 1), else_=0)),
                sa.func.count(response.csat),
                sa.func.sum(response.csat),
                sa.func.sum(sa.case((response.csat >= 4, 1), else_=0)),
            ).where(response.partner_id == partner_id, response.responded_on.between(first, last))
        )
    ).one()
    return SurveyTotals(*(int(value or 0) for value in row))


async def deal_outcomes(
    session: AsyncSession, partner_id: UUID, start: datetime, end: datetime
) -> tuple[int, int]:
    """(won, lost) registrations of the partner closed in [start, end)."""
    outcome = DealRegistrationOutcome
    rows = await session.execute(
        sa.select(outcome.status, sa.func.count())
        .where(
            outcome.partner_id == partner_id,
            outcome.status.in_([DealRegistrationStatus.WON.value, DealRegistrationStatus.LOST.value]),
            outcome.closed_at >= start,
            outcome.closed_at < end,
        )
        .group_by(outcome.status)
    )
    counts = {status: int(count) for status, count in rows}
    return counts.get(DealRegistrationStatus.WON.value, 0), counts.get(DealRegistrationStatus.LOST.value, 0)


async def revenue_target(
    session: AsyncSession, partner_id: UUID, first: date, last: date
) -> MoneyInput | None:
    target = await session.scalar(
        sa.select(Target).where(
            Target.partner_id == partner_id,
            Target.metric == TargetMetric.REVENUE.value,
            Target.first_day == first,
            Target.last_day == last,
        )
    )
    return None if target is None else MoneyInput(target.amount, target.currency)


async def acquisition_spend(
    session: AsyncSession, partner_id: UUID, first: date, last: date
) -> MoneyInput | None:
    spend = await session.scalar(
        sa.select(AcquisitionSpend).where(
            AcquisitionSpend.partner_id == partner_id,
            AcquisitionSpend.first_day == first,
            AcquisitionSpend.last_day == last,
        )
    )
    return None if spend is None else MoneyInput(spend.amount, spend.currency)


async def market_sizes(session: AsyncSession, region: str, first: date, last: date) -> list[MoneyInput]:
    """The sizes of every segment of the region's market over exactly [first, last]."""
    rows = await session.scalars(
        sa.select(MarketSize)
        .where(MarketSize.region == region, MarketSize.first_day == first, MarketSize.last_day == last)
        .order_by(MarketSize.segment)
    )
    return [MoneyInput(row.amount, row.currency) for row in rows]


async def dimension(session: AsyncSession, partner_id: UUID) -> PartnerDimension | None:
    row: PartnerDimension | None = await session.get(PartnerDimension, partner_id)
    return row


async def has_sales(session: AsyncSession, partner_id: UUID) -> bool:
    found = await session.scalar(
        sa.select(SalesDailyRollup.partner_id).where(SalesDailyRollup.partner_id == partner_id).limit(1)
    )
    return found is not None


async def target_currency(session: AsyncSession, partner_id: UUID) -> str | None:
    """The currency of the partner's targets (all of them share one)."""
    currency: str | None = await session.scalar(
        sa.select(Target.currency).where(Target.partner_id == partner_id).limit(1)
    )
    return currency


async def sales_currencies(session: AsyncSession, partner_id: UUID) -> list[str]:
    """Up to two currencies the partner's sales are in (enough to tell whether there is only one)."""
    rows = await session.scalars(
        sa.select(SalesDailyRollup.currency)
        .where(SalesDailyRollup.partner_id == partner_id)
        .distinct()
        .limit(2)
    )
    return list(rows)
