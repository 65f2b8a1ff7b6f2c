"""Monthly time series (a partner's or a segment's) and cohorts by activation quarter, in the reporting
currency, from the daily rollup grouped by (partner, month, currency).

Conversion follows the snapshot's rule: an amount of a period at the rate in force on the period's last day,
per partner and currency, so a month of the series equals the partner's snapshot of that month (and a
segment's month the sum of its partners' snapshots); a cohort's quarter likewise.

Months before the first sale of the series' partners are null with `before_first_sale`, not 0: a partner
that had not started selling did not sell nothing, it was not there yet, and a 0 would read as a fall. From
the month of the first sale on, a month without lines is a real 0.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from uuid import UUID

from prm_contracts import periods
from prm_contracts.kpis import Kpi
from prm_contracts.periods import parse_period
from prm_contracts.problem import UnprocessableContent, ValidationIssue
from sqlalchemy.ext.asyncio import AsyncSession

from analytics.ecosystem import repository
from analytics.ecosystem.repository import MonthlyRevenue, SegmentFilter
from analytics.ecosystem.schemas import Cohort, CohortQuarter, Cohorts, MonthPoint, TimeSeries
from analytics.kpis.conversion import Converter
from analytics.kpis.formulas import Missing, amount_kpi, unknown
from analytics.kpis.service import ensure_known
from analytics.kpis.spans import Span


def _refused(message: str, kind: str) -> UnprocessableContent:
    return UnprocessableContent(
        message, errors=[ValidationIssue(loc=["query", "period"], msg=message, type=kind)]
    )


def month_labels(span: Span) -> list[str]:
    return periods.month_labels(span.first, span.last)


def quarter_of(month_label: str) -> str:
    year, month = month_label.split("-")
    return f"{year}-Q{(int(month) - 1) // 3 + 1}"


def quarter_labels(span: Span) -> list[str]:
    return list(dict.fromkeys(quarter_of(label) for label in month_labels(span)))


def _last_day(label: str) -> date:
    return parse_period(label).last_day


@dataclass
class _Bucket:
    """One period's revenue (or the first reason it is unknown), lines and partners with lines."""

    revenue: Decimal | Missing = Decimal(0)
    line_count: int = 0
    partners: set[UUID] = field(default_factory=set)

    def add(self, amount: Decimal | Missing, partner_id: UUID, lines: int) -> None:
        if isinstance(amount, Missing):
            if not isinstance(self.revenue, Missing):
                self.revenue = amount
        elif not isinstance(self.revenue, Missing):
            self.revenue += amount
        self.line_count += lines
        if lines:
            self.partners.add(partner_id)


async def _bucketed(
    converter: Converter, rows: list[MonthlyRevenue], period_of: dict[UUID, str] | None, *, by_quarter: bool
) -> dict[tuple[str, str], _Bucket]:
    """Buckets keyed by (group, period): the group is the partner's cohort (`period_of`) or "" for all; each
    partner's sums per currency of a period are converted at the period's last day and rounded once, as its
    snapshot of that period is, then added."""
    amounts: dict[tuple[UUID, str], dict[str, Decimal]] = defaultdict(dict)
    lines: dict[tuple[UUID, str], int] = defaultdict(int)
    for row in rows:
        key = (row.partner_id, quarter_of(row.month) if by_quarter else row.month)
        amounts[key][row.currency] = amounts[key].get(row.currency, Decimal(0)) + row.revenue
        lines[key] += row.line_count
    buckets: dict[tuple[str, str], _Bucket] = defaultdict(_Bucket)
    for (partner_id, period), by_currency in sorted(amounts.items(), key=lambda i: (str(i[0][0]), i[0][1])):
        group = "" if period_of is None else period_of.get(partner_id)
        if group is None:
            continue
        converted = await converter.total(by_currency, _last_day(period))
        buckets[(group, period)].add(converted, partner_id, lines[(partner_id, period)])
    return buckets


async def time_series(
    session: AsyncSession, *, span: Span, partner_id: UUID | None, segment: SegmentFilter, currency: str
) -> TimeSeries:
    """Revenue and lines per month of `span` (whole months) for one partner, a segment, or everyone."""
    if not span.whole_months:
        raise _refused(
            "a time series covers whole months: send a period or a from/to of whole months",
            "needs_whole_months",
        )
    if partner_id is not None:
        await ensure_known(session, partner_id)
    converter = Converter(session, currency)
    rows = await repository.monthly_revenue(
        session, span.first, span.last, partner_id=partner_id, segment=segment
    )
    buckets = await _bucketed(converter, rows, None, by_quarter=False)
    firsts = await repository.first_sales(session, partner_id=partner_id, segment=segment)
    first_sale = min(firsts.values(), default=None)
    first_month = None if first_sale is None else f"{first_sale:%Y-%m}"
    points = []
    for label in month_labels(span):
        bucket = buckets.get(("", label), _Bucket())
        revenue: Kpi
        if first_month is None:
            revenue = unknown("no_sales", currency)
        elif label < first_month:
            revenue = unknown("before_first_sale", currency)
        else:
            revenue = amount_kpi(bucket.revenue, currency)
        points.append(
            MonthPoint(
                month=label, revenue=revenue, line_count=bucket.line_count, partners=len(bucket.partners)
            )
        )
    return TimeSeries(
        partner_id=partner_id,
        tier=segment.tier,
        partner_type=segment.partner_type,
        region=segment.region,
        first_day=span.first,
        last_day=span.last,
        currency=currency,
        first_sale_on=first_sale,
        points=points,
        fx_rates_used=converter.applied(),
    )


def _whole_quarters(span: Span) -> bool:
    return span.whole_months and span.first.month % 3 == 1 and span.last.month % 3 == 0


async def cohorts(session: AsyncSession, *, span: Span, segment: SegmentFilter, currency: str) -> Cohorts:
    """Partners grouped by the quarter of their first sale (cohorts activated within `span`, whole quarters);
    per cohort its size and, per quarter from activation to the span's end, active partners and revenue."""
    if not _whole_quarters(span):
        raise _refused(
            "cohorts cover whole quarters: send a year, a quarter or a from/to of whole quarters",
            "needs_whole_quarters",
        )
    quarters = quarter_labels(span)
    firsts = await repository.first_sales(session, partner_id=None, segment=segment)
    cohort_of = {
        partner_id: quarter_of(f"{day:%Y-%m}")
        for partner_id, day in firsts.items()
        if span.first <= day <= span.last
    }
    converter = Converter(session, currency)
    rows = await repository.monthly_revenue(session, span.first, span.last, partner_id=None, segment=segment)
    buckets = await _bucketed(converter, rows, cohort_of, by_quarter=True)
    sizes: dict[str, int] = defaultdict(int)
    for cohort in cohort_of.values():
        sizes[cohort] += 1
    answer = []
    for cohort in sorted(sizes):
        later = quarters[quarters.index(cohort) :]
        answer.append(
            Cohort(
                cohort=cohort,
                partners=sizes[cohort],
                quarters=[
                    CohortQuarter(
                        quarter=quarter,
                        offset=offset,
                        active_partners=len(buckets.get((cohort, quarter), _Bucket()).partners),
                        revenue=amount_kpi(buckets.get((cohort, quarter), _Bucket()).revenue, currency),
                    )
                    for offset, quarter in enumerate(later)
                ],
            )
        )
    return Cohorts(
        tier=segment.tier,
        partner_type=segment.partner_type,
        region=segment.region,
        first_day=span.first,
        last_day=span.last,
        currency=currency,
        cohorts=answer,
        fx_rates_used=converter.applied(),
    )
