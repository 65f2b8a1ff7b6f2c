"""HTTP of KPI snapshots: `/v1/kpis/partners/{partner_id}` for people and
`/internal/partners/{partner_id}/kpis` for services (`AnalyticsClient.kpi_snapshot`)."""

from __future__ import annotations

from typing import Annotated
from uuid import UUID

from fastapi import APIRouter, Depends, Query
from prm_contracts.dates import IsoDate
from prm_contracts.kpis import KpiSnapshot
from prm_contracts.money import CurrencyCode
from prm_kit.db import SessionDep
from prm_kit.errors import problems
from prm_kit.internal_auth import PrincipalDep, require
from prm_kit.periods import PeriodQuery
from prm_kit.settings import app_settings

from analytics.config import Settings
from analytics.kpis import service
from analytics.kpis.spans import Span, span_of

router = APIRouter(prefix="/v1/kpis", tags=["kpis"])
internal_router = APIRouter(prefix="/internal/partners/{partner_id}/kpis", include_in_schema=False)

READ = require("analytics:read")
SettingsDep = Annotated[Settings, Depends(app_settings)]

KPI_FORMULAS = """
Every KPI is `{value, reason, unit}`: `value` a decimal string, or `null` with the `reason` it cannot be
computed (never a fake 0). Amounts are in the snapshot's `currency`, to 4 places; ratios are fractions to 6
places (half even, each rounded once from the exact converted sums, so revenue here equals the partner's
revenue in leaderboards, segments and time series). Formulas, over the lines of `[first_day, last_day]` from
the rollups:

- **revenue** = sales - returns - credit notes (net).
- **gross_profit** = net amount - net cost of the lines that report a cost (`no_cost_reported` when none);
  **gross_margin** = gross_profit ÷ net amount of those lines; **cost_coverage** = lines with a cost ÷ lines.
- **growth_previous_period** = (revenue - revenue of the previous period) ÷ the latter; the previous period of
  `2026-Q3` is `2026-Q2`, of a from/to range of whole months the same number of months before, else the same
  number of days before. **growth_year_over_year** the same against the same span a year earlier. Null when
  the earlier revenue is not positive.
- **target_attainment** = revenue ÷ the partner's revenue target stored for exactly this period (`no_target`).
- **market_share** = revenue ÷ the sum of the market sizes of every segment stored for the partner's region
  (its replica region, else its country; matched upper-cased with single spaces, as market sizes are stored)
  and exactly this period.
- **new_customers** = customers whose first line with the partner falls in the span (the customer is its
  `external_id`, else its folded name and domain). **active_customers** = customers with a sale in the span.
- **retention_rate** = customers who bought in the previous period and again in this one ÷ those who bought
  in the previous period (whole months only: `needs_whole_months` otherwise).
- **customer_acquisition_cost** = acquisition spend stored for exactly this period ÷ new_customers.
- **customer_lifetime_value** = (revenue ÷ active_customers) x gross_margin ÷ (1 - retention_rate): the
  margin an average customer brings per period times the expected number of periods it stays.
- **nps** = 100 x (promoters (9-10) - detractors (0-6)) ÷ NPS answers, with **nps_responses**; **csat** = mean
  CSAT (1-5), with **csat_responses** and **csat_satisfied_share** (answers of 4-5 ÷ answers).
- **deal_registration_win_rate** = won ÷ (won + lost) of the registrations closed in the span.
- **returns_ratio** = (returns + credit notes) ÷ gross sales.

**Currency.** `currency` chooses the currency; by default the partner's own: its targets' currency, else the
one currency its sales are in, else the reporting currency setting. Amounts in other currencies are
converted at the rate in force on the **last day** of their period (the pair's rate, or the inverse of the
reverse pair's); `fx_rates_used` lists each rate once. Without a rate, every KPI needing it is null with
`fx_rate_missing: USD→EUR on 2026-07-31`.
"""

FromQuery = Annotated[
    IsoDate | None, Query(alias="from", description="First day (with `to`, instead of period).")
]
ToQuery = Annotated[IsoDate | None, Query(alias="to", description="Last day, inclusive.")]
CurrencyQuery = Annotated[
    CurrencyCode | None, Query(description="Report in this currency (default: the partner's own).")
]


def snapshot_span(period: PeriodQuery = None, first: FromQuery = None, last: ToQuery = None) -> Span:
    return span_of(period, first, last)


SpanDep = Annotated[Span, Depends(snapshot_span)]


@router.get(
    "/partners/{partner_id}",
    response_model=KpiSnapshot,
    summary="Get a partner's KPI snapshot",
    description=(
        "A partner's KPIs over a period (`period=2026-Q3`) or a range (`from`, `to`). A partner's own "
        "credential sees only its own (another's: 404); 404 for a partner analytics never heard of; 422 for "
        "a period that does not parse.\n" + KPI_FORMULAS
    ),
    responses=problems(403, 404, 422),
    dependencies=[READ],
)
async def get_partner_kpis(
    partner_id: UUID,
    span: SpanDep,
    session: SessionDep,
    who: PrincipalDep,
    settings: SettingsDep,
    currency: CurrencyQuery = None,
) -> KpiSnapshot:
    return await service.visible_snapshot(
        session,
        partner_id,
        span,
        viewer=who,
        currency=currency,
        reporting_currency=settings.reporting_currency,
    )


@internal_router.get("", response_model=KpiSnapshot, dependencies=[require("internal")])
async def get_partner_kpis_internal(
    partner_id: UUID,
    span: SpanDep,
    session: SessionDep,
    settings: SettingsDep,
    currency: CurrencyQuery = None,
) -> KpiSnapshot:
    """For services (scoring): the same snapshot, no partner binding."""
    return await service.visible_snapshot(
        session,
        partner_id,
        span,
        viewer=None,
        currency=currency,
        reporting_currency=settings.reporting_currency,
    )
