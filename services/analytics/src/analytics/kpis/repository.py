"""Every query KPI snapshots read — rollups and inputs, never `sales_line` — and the month rollup's upsert."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any, cast
from uuid import UUID

import sqlalchemy as sa
from prm_contracts.analytics import TargetMetric
from prm_contracts.deal_registrations import DealRegistrationStatus
from prm_kit.db.core import insert_on_conflict
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from analytics.acquisition_spend.models import AcquisitionSpend
from analytics.kpis.models import SalesCustomerMonthRollup
from analytics.market_sizes.models import MarketSize
from analytics.partners.models import DealRegistrationOutcome, PartnerDimension
from analytics.sales.models import SalesCustomerRollup, SalesDailyRollup, SalesMonthlyRollup
from analytics.sales.rollups import MONTHLY_SUMS
from analytics.surveys.models import SurveyResponse
from analytics.targets.models import Target

_month = cast(sa.Table, SalesCustomerMonthRollup.__table__)
_monthly = cast(sa.Table, SalesMonthlyRollup.__table__)


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
    statement = insert_on_conflict(session, _month)
    statement = statement.on_conflict_do_update(
        index_elements=[_month.c.partner_id, _month.c.month, _month.c.customer_key],
        set_={
            "sale_line_count": _month.c.sale_line_count + statement.excluded.sale_line_count,
            "line_count": _month.c.line_count + statement.excluded.line_count,
        },
    )
    await session.execute(statement, rows)


async def add_to_monthly_rollups(session: AsyncSession, rows: list[dict[str, Any]]) -> None:
    statement = insert_on_conflict(session, _monthly)
    statement = statement.on_conflict_do_update(
        index_elements=[_monthly.c.partner_id, _monthly.c.month, _monthly.c.currency],
        set_={name: _monthly.c[name] + statement.excluded[name] for name in MONTHLY_SUMS},
    )
    await session.execute(statement, rows)


SalesRollup = type[SalesDailyRollup] | type[SalesMonthlyRollup]


def is_whole_months(first: date, last: date) -> bool:
    return first.day == 1 and (last + timedelta(days=1)).day == 1


def sales_rollup(spans: Sequence[tuple[date, date]]) -> SalesRollup:
    """The rollup to sum over the spans: the monthly one when every span is whole months (every period
    label is): at least 28 times fewer rows than the daily one it is kept equal to (days and categories
    merged); else the daily one."""
    return SalesMonthlyRollup if all(is_whole_months(*span) for span in spans) else SalesDailyRollup


def within(rollup: SalesRollup, first: date, last: date) -> sa.ColumnElement[bool]:
    """The rollup's rows of the days [first, last] (months stored as their first day)."""
    if rollup is SalesMonthlyRollup:
        return SalesMonthlyRollup.month.between(first, last)
    return SalesDailyRollup.day.between(first, last)


async def sales_totals_of_spans(
    session: AsyncSession, partner_id: UUID, spans: list[tuple[date, date]]
) -> list[dict[str, SalesTotals]]:
    """The partner's sales rollup summed over each span, per currency, in one query (a snapshot compares
    three spans): the rows any span covers, summed per span by CASE. A currency without rows in a span is
    absent from that span's totals."""
    rollup = sales_rollup(spans)
    columns = []
    for first, last in spans:
        inside = within(rollup, first, last)
        columns += [sa.func.sum(sa.case((inside, column), else_=None)) for column in _summed(rollup)] + [
            sa.func.count(sa.case((inside, 1), else_=None))
        ]
    rows = await session.execute(
        sa.select(rollup.currency, *columns)
        .where(rollup.partner_id == partner_id, sa.or_(*(within(rollup, *span) for span in spans)))
        .group_by(rollup.currency)
    )
    found: list[dict[str, SalesTotals]] = [{} for _ in spans]
    for currency, *sums in rows:
        for index in range(len(spans)):
            *totals, count = sums[index * 7 : index * 7 + 7]
            if count:
                found[index][currency] = _totals_of(*totals)
    return found


def _summed(rollup: SalesRollup) -> tuple[Any, ...]:
    return (
        rollup.gross_amount,
        rollup.returns_amount,
        rollup.costed_amount,
        rollup.cost_amount,
        rollup.line_count,
        rollup.costed_line_count,
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
    """Every partner's sales rollup summed over [first, last], per currency, in one GROUP BY (the set-based
    twin of `sales_totals_of_spans`); `among` (a SELECT of partner ids) limits the partners."""
    rollup = sales_rollup([(first, last)])
    statement = sa.select(
        rollup.partner_id, rollup.currency, *(sa.func.sum(column) for column in _summed(rollup))
    ).where(within(rollup, first, last))
    if among is not None:
        statement = statement.where(rollup.partner_id.in_(among))
    rows = await session.execute(statement.group_by(rollup.partner_id, rollup.currency))
    totals: dict[UUID, dict[str, SalesTotals]] = {}
    for partner_id, currency, *sums in rows:
        totals.setdefault(partner_id, {})[currency] = _totals_of(*sums)
    return totals


@dataclass(frozen=True)
class PartnerFacts:
    """What a snapshot needs to know of the partner before reading its KPIs."""

    in_replica: bool
    region: str | None  # the key of the replica's region (market_sizes.schemas.region_key), else its country
    target_currency: str | None  # all its targets share one
    sales_currencies: tuple[str, ...]  # up to two: enough to tell whether there is only one

    @property
    def known(self) -> bool:
        return self.in_replica or bool(self.sales_currencies) or self.target_currency is not None


async def partner_facts(session: AsyncSession, partner_id: UUID) -> PartnerFacts:
    """The partner's replica row, target currency and sales currencies, in one statement."""
    dimension, monthly = PartnerDimension, SalesMonthlyRollup

    def one(column: Any, where: Any) -> Any:
        return sa.select(column).where(where).limit(1).scalar_subquery()

    mine = monthly.partner_id == partner_id
    row = (
        await session.execute(
            sa.select(
                sa.exists().where(dimension.partner_id == partner_id),
                one(dimension.market_region, dimension.partner_id == partner_id),
                one(dimension.country, dimension.partner_id == partner_id),
                one(Target.currency, Target.partner_id == partner_id),
                sa.select(sa.func.min(monthly.currency)).where(mine).scalar_subquery(),
                sa.select(sa.func.max(monthly.currency)).where(mine).scalar_subquery(),
            )
        )
    ).one()
    in_replica, region, country, target_currency, lowest, highest = row
    currencies = tuple(dict.fromkeys(c for c in (lowest, highest) if c is not None))
    return PartnerFacts(bool(in_replica), region or country or None, target_currency, currencies)


@dataclass(frozen=True)
class MoneyInputs:
    target: MoneyInput | None
    spend: MoneyInput | None
    market_sizes: list[MoneyInput]  # every segment of the region's market, by segment


async def money_inputs(
    session: AsyncSession, partner_id: UUID, region: str | None, first: date, last: date
) -> MoneyInputs:
    """The revenue target and acquisition spend stored for exactly [first, last], and the market sizes of
    the region over exactly that span, in one statement (UNION ALL)."""
    parts = [
        sa.select(sa.literal("target"), Target.amount, Target.currency, sa.literal("")).where(
            Target.partner_id == partner_id,
            Target.metric == TargetMetric.REVENUE.value,
            Target.first_day == first,
            Target.last_day == last,
        ),
        sa.select(
            sa.literal("spend"), AcquisitionSpend.amount, AcquisitionSpend.currency, sa.literal("")
        ).where(
            AcquisitionSpend.partner_id == partner_id,
            AcquisitionSpend.first_day == first,
            AcquisitionSpend.last_day == last,
        ),
    ]
    if region is not None:
        parts.append(
            sa.select(sa.literal("market"), MarketSize.amount, MarketSize.currency, MarketSize.segment).where(
                MarketSize.region == region, MarketSize.first_day == first, MarketSize.last_day == last
            )
        )
    found: dict[str, list[tuple[str, MoneyInput]]] = {"target": [], "spend": [], "market": []}
    for kind, amount, currency, segment in await session.execute(sa.union_all(*parts)):
        found[kind].append((segment, MoneyInput(Decimal(amount), currency)))
    return MoneyInputs(
        target=found["target"][0][1] if found["target"] else None,
        spend=found["spend"][0][1] if found["spend"] else None,
        market_sizes=[money for _, money in sorted(found["market"], key=lambda item: item[0])],
    )


@dataclass(frozen=True)
class PartnerCounts:
    """Counts of a snapshot; the customer counts of a span that is not whole months are None."""

    new_customers: int
    buyers: int | None
    previous_buyers: int | None
    retained: int | None
    last_sale_on: date | None
    surveys: SurveyTotals
    won: int
    lost: int


def _buyers(partner_id: UUID, first_month: date, last_month: date) -> sa.Select[Any]:
    return sa.select(SalesCustomerMonthRollup.customer_key).where(
        SalesCustomerMonthRollup.partner_id == partner_id,
        SalesCustomerMonthRollup.month.between(first_month, last_month),
        SalesCustomerMonthRollup.sale_line_count > 0,
    )


def _months(first: date, last: date) -> tuple[date, date]:
    return first.replace(day=1), last.replace(day=1)


async def partner_counts(
    session: AsyncSession,
    partner_id: UUID,
    span: tuple[date, date],
    previous: tuple[date, date],
    *,
    closed: tuple[datetime, datetime],
) -> PartnerCounts:
    """New, buying and retained customers, the last sale, survey answers and deal outcomes (closed in
    [start, end)), in one statement: each an aggregate of one row, joined ON true."""
    first, last = span
    rollup, earlier = SalesCustomerRollup, aliased(SalesCustomerRollup)
    # customers first seen in the span in some currency and never before in any (the first_on index)
    seen_before = sa.exists().where(
        earlier.partner_id == rollup.partner_id,
        earlier.customer_key == rollup.customer_key,
        earlier.first_on < first,
    )
    parts: list[sa.Subquery] = [
        sa.select(sa.func.count(sa.distinct(rollup.customer_key)).label("new_customers"))
        .where(rollup.partner_id == partner_id, rollup.first_on.between(first, last), ~seen_before)
        .subquery(),
        sa.select(sa.func.max(SalesDailyRollup.day).label("last_sale_on"))
        .where(
            SalesDailyRollup.partner_id == partner_id,
            SalesDailyRollup.day <= last,
            SalesDailyRollup.sale_line_count > 0,
        )
        .subquery(),
    ]
    response = SurveyResponse
    parts.append(
        sa.select(
            sa.func.count(response.nps).label("nps_responses"),
            sa.func.sum(sa.case((response.nps >= 9, 1), else_=0)).label("promoters"),
            sa.func.sum(sa.case((response.nps <= 6, 1), else_=0)).label("detractors"),
            sa.func.count(response.csat).label("csat_responses"),
            sa.func.sum(response.csat).label("csat_sum"),
            sa.func.sum(sa.case((response.csat >= 4, 1), else_=0)).label("csat_satisfied"),
        )
        .where(response.partner_id == partner_id, response.responded_on.between(first, last))
        .subquery()
    )
    outcome = DealRegistrationOutcome
    parts.append(
        sa.select(
            sa.func.sum(sa.case((outcome.status == DealRegistrationStatus.WON.value, 1), else_=0)).label(
                "won"
            ),
            sa.func.sum(sa.case((outcome.status == DealRegistrationStatus.LOST.value, 1), else_=0)).label(
                "lost"
            ),
        )
        .where(
            outcome.partner_id == partner_id, outcome.closed_at >= closed[0], outcome.closed_at < closed[1]
        )
        .subquery()
    )
    whole = is_whole_months(*span) and is_whole_months(*previous)
    if whole:
        now_buyers = _buyers(partner_id, *_months(*span)).distinct().subquery()
        before_buyers = _buyers(partner_id, *_months(*previous)).distinct().subquery()
        parts += [
            sa.select(sa.func.count().label("buyers")).select_from(now_buyers).subquery(),
            sa.select(sa.func.count().label("previous_buyers")).select_from(before_buyers).subquery(),
            sa.select(sa.func.count().label("retained"))
            .select_from(
                before_buyers.join(now_buyers, before_buyers.c.customer_key == now_buyers.c.customer_key)
            )
            .subquery(),
        ]
    joined: Any = parts[0]
    for part in parts[1:]:
        joined = joined.join(part, sa.true())
    columns = [column for part in parts for column in part.c]
    row = (await session.execute(sa.select(*columns).select_from(joined))).one()._mapping
    return PartnerCounts(
        new_customers=int(row["new_customers"] or 0),
        buyers=int(row["buyers"]) if whole else None,
        previous_buyers=int(row["previous_buyers"]) if whole else None,
        retained=int(row["retained"]) if whole else None,
        last_sale_on=None if row["last_sale_on"] is None else as_date(row["last_sale_on"]),
        surveys=SurveyTotals(
            *(
                int(row[name] or 0)
                for name in (
                    "nps_responses",
                    "promoters",
                    "detractors",
                    "csat_responses",
                    "csat_sum",
                    "csat_satisfied",
                )
            )
        ),
        won=int(row["won"] or 0),
        lost=int(row["lost"] or 0),
    )


@dataclass(frozen=True)
class SnapshotInputs:
    """Everything a snapshot reads: the partner's facts, the sales totals by currency of the span, the
    previous span and the span a year before, the money inputs and the counts."""

    facts: PartnerFacts
    totals: list[dict[str, SalesTotals]]
    money: MoneyInputs
    counts: PartnerCounts


def as_date(value: Any) -> date:
    """max() of a date column is a string on SQLite (the column's type is lost in the aggregate)."""
    if isinstance(value, date):
        return value
    return date.fromisoformat(str(value))
