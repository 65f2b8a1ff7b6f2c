"""A KPI snapshot's inputs on PostgreSQL in one statement of fixed text.

The portable path (repository.py) reads them in four statements built with SQLAlchemy on every request:
the partner's facts, the three spans' sales totals, the money inputs, the counts. Each statement is a round
trip and building them cost more CPU than PostgreSQL spent running them (each runs in well under a
millisecond at the bench's data), so here they are one UNION ALL, prepared once per connection, whose rows
say which part they answer. What each part reads and means is the same as its portable twin's (the KPI
tests run on both backends).
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any, cast
from uuid import UUID

from prm_contracts.analytics import TargetMetric
from prm_contracts.deal_registrations import DealRegistrationStatus
from sqlalchemy.ext.asyncio import AsyncSession

from analytics.kpis.repository import (
    MoneyInput,
    MoneyInputs,
    PartnerCounts,
    PartnerFacts,
    SalesTotals,
    SnapshotInputs,
    SurveyTotals,
    is_whole_months,
)

_NOTHING = "NULL, NULL, NULL, NULL, NULL, NULL"


def _totals(rollup: str, day: str, span: int, first: str, last: str) -> str:
    return f"""
SELECT 2, {span}, currency, NULL, NULL, NULL, sum(gross_amount), sum(returns_amount), sum(costed_amount),
    sum(cost_amount), sum(line_count), sum(costed_line_count), NULL
FROM {rollup} WHERE partner_id = $1 AND {day} BETWEEN {first} AND {last}
GROUP BY currency"""  # noqa: S608 - made of this module's constants only


def _statement(rollup: str, day: str) -> str:
    """$1 partner; $2-$7 first and last day of the span, the previous span, the span a year before; $8, $9
    the span's start and end instants (deal outcomes); $10-$13 first and last month of the span and of the
    previous one (buyers); $14 the revenue target metric; $15, $16 the won and lost statuses."""
    return f"""
WITH dimension AS (SELECT market_region AS region, country FROM partner_dimension WHERE partner_id = $1)
SELECT 1 AS part, NULL::integer AS span, (SELECT region FROM dimension)::text AS t1,
    (SELECT country FROM dimension)::text AS t2,
    (SELECT currency FROM target WHERE partner_id = $1 LIMIT 1)::text AS t3,
    (SELECT min(currency) FROM sales_monthly_rollup WHERE partner_id = $1)::text AS t4,
    (SELECT count(*) FROM dimension)::numeric AS n1,
    NULL::numeric AS n2, NULL::numeric AS n3, NULL::numeric AS n4, NULL::numeric AS n5, NULL::numeric AS n6,
    NULL::date AS day
UNION ALL
SELECT 1, 1, (SELECT max(currency) FROM sales_monthly_rollup WHERE partner_id = $1), NULL, NULL, NULL,
    {_NOTHING}, NULL
{"".join(" UNION ALL" + _totals(rollup, day, n, f"${2 * n + 2}", f"${2 * n + 3}") for n in range(3))}
UNION ALL
SELECT 3, NULL, 'target', currency, '', NULL, amount, NULL, NULL, NULL, NULL, NULL, NULL FROM target
WHERE partner_id = $1 AND metric = $14 AND first_day = $2 AND last_day = $3
UNION ALL
SELECT 3, NULL, 'spend', currency, '', NULL, amount, NULL, NULL, NULL, NULL, NULL, NULL FROM acquisition_spend
WHERE partner_id = $1 AND first_day = $2 AND last_day = $3
UNION ALL
SELECT 3, NULL, 'market', currency, segment, NULL, amount, NULL, NULL, NULL, NULL, NULL, NULL FROM market_size
WHERE region = (SELECT coalesce(nullif(region, ''), nullif(country, '')) FROM dimension)
    AND first_day = $2 AND last_day = $3
UNION ALL
SELECT 4, NULL, NULL, NULL, NULL, NULL,
    (SELECT count(DISTINCT r.customer_key) FROM sales_customer_rollup AS r
     WHERE r.partner_id = $1 AND r.first_on BETWEEN $2 AND $3 AND NOT EXISTS (
        SELECT FROM sales_customer_rollup AS earlier
        WHERE earlier.partner_id = r.partner_id AND earlier.customer_key = r.customer_key
            AND earlier.first_on < $2)),
    (SELECT count(DISTINCT customer_key) FROM sales_customer_month_rollup
     WHERE partner_id = $1 AND month BETWEEN $10 AND $11 AND sale_line_count > 0),
    (SELECT count(DISTINCT customer_key) FROM sales_customer_month_rollup
     WHERE partner_id = $1 AND month BETWEEN $12 AND $13 AND sale_line_count > 0),
    (SELECT count(*) FROM (
        SELECT customer_key FROM sales_customer_month_rollup
        WHERE partner_id = $1 AND month BETWEEN $12 AND $13 AND sale_line_count > 0
        INTERSECT
        SELECT customer_key FROM sales_customer_month_rollup
        WHERE partner_id = $1 AND month BETWEEN $10 AND $11 AND sale_line_count > 0) AS retained),
    (SELECT count(*) FILTER (WHERE status = $15) FROM deal_registration_outcome
     WHERE partner_id = $1 AND closed_at >= $8 AND closed_at < $9),
    (SELECT count(*) FILTER (WHERE status = $16) FROM deal_registration_outcome
     WHERE partner_id = $1 AND closed_at >= $8 AND closed_at < $9),
    (SELECT max(day) FROM sales_daily_rollup WHERE partner_id = $1 AND day <= $3 AND sale_line_count > 0)
UNION ALL
SELECT 5, NULL, NULL, NULL, NULL, NULL, count(nps), count(*) FILTER (WHERE nps >= 9),
    count(*) FILTER (WHERE nps <= 6), count(csat), coalesce(sum(csat), 0), count(*) FILTER (WHERE csat >= 4),
    NULL
FROM survey_response WHERE partner_id = $1 AND responded_on BETWEEN $2 AND $3
"""  # noqa: S608 - made of this module's constants only


_MONTHLY = _statement("sales_monthly_rollup", "month")
_DAILY = _statement("sales_daily_rollup", "day")

Row = tuple[int, int | None, Any, Any, Any, Any, Any, Any, Any, Any, Any, Any, date | None]


async def read(
    session: AsyncSession,
    partner_id: UUID,
    spans: list[tuple[date, date]],
    *,
    closed: tuple[datetime, datetime],
) -> SnapshotInputs:
    """`spans`: the snapshot's span, the previous one and the one a year before."""
    (first, last), previous, year_before = spans
    whole = all(is_whole_months(*span) for span in spans)
    connection = await session.connection()
    result = await connection.exec_driver_sql(
        _MONTHLY if whole else _DAILY,
        (
            partner_id,
            first,
            last,
            *previous,
            *year_before,
            *closed,
            first.replace(day=1),
            last.replace(day=1),
            previous[0].replace(day=1),
            previous[1].replace(day=1),
            TargetMetric.REVENUE.value,
            DealRegistrationStatus.WON.value,
            DealRegistrationStatus.LOST.value,
        ),
    )
    region = country = target_currency = lowest = highest = None
    in_replica = False
    totals: list[dict[str, SalesTotals]] = [{}, {}, {}]
    money: dict[str, list[tuple[str, MoneyInput]]] = {"target": [], "spend": [], "market": []}
    counts: tuple[Any, ...] = ()
    surveys = SurveyTotals(0, 0, 0, 0, 0, 0)
    for part, span, t1, t2, t3, t4, *numbers, day in cast(list[Row], result.all()):
        if part == 1 and span is None:
            region, country, target_currency, lowest, in_replica = t1, t2, t3, t4, bool(numbers[0])
        elif part == 1:
            highest = t1
        elif part == 2:
            gross, returns, costed, cost, lines, costed_lines = numbers
            totals[cast(int, span)][t1] = SalesTotals(
                gross, returns, costed, cost, int(lines), int(costed_lines)
            )
        elif part == 3:
            money[t1].append((t3, MoneyInput(Decimal(numbers[0]), t2)))
        elif part == 4:
            counts = (*numbers, day)
        else:
            surveys = SurveyTotals(*(int(n) for n in numbers))
    new_customers, buyers, previous_buyers, retained, won, lost, last_sale_on = counts
    whole_counts = is_whole_months(first, last) and is_whole_months(*previous)
    return SnapshotInputs(
        facts=PartnerFacts(
            in_replica,
            region or country or None,
            target_currency,
            tuple(dict.fromkeys(c for c in (lowest, highest) if c is not None)),
        ),
        totals=totals,
        money=MoneyInputs(
            target=money["target"][0][1] if money["target"] else None,
            spend=money["spend"][0][1] if money["spend"] else None,
            market_sizes=[m for _, m in sorted(money["market"], key=lambda item: item[0])],
        ),
        counts=PartnerCounts(
            new_customers=int(new_customers),
            buyers=int(buyers) if whole_counts else None,
            previous_buyers=int(previous_buyers) if whole_counts else None,
            retained=int(retained) if whole_counts else None,
            last_sale_on=last_sale_on,
            surveys=surveys,
            won=int(won),
            lost=int(lost),
        ),
    )
