"""A partner's KPI snapshot over a span, from the rollups and the inputs (targets, market sizes, surveys,
acquisition spend, the partner replica), in one currency with named FX rates (kpis/conversion.py).

The snapshot's currency is the one asked for; by default the partner's own: the currency of its targets
when it has any (they share one), else the one currency its sales are in, else the reporting currency
setting. Market share compares revenue with the partner's market: the sum of the sizes of every segment
stored for the partner's region (its replica `region`, else its `country`) over exactly the same span.
Targets, spend and market sizes count only when stored for exactly the snapshot's span (its period).
"""

from __future__ import annotations

from decimal import Decimal
from uuid import UUID

from prm_contracts.kpis import KpiSnapshot
from prm_contracts.principal import Principal
from prm_contracts.problem import NotFound
from sqlalchemy.ext.asyncio import AsyncSession

from analytics.kpis import formulas as f
from analytics.kpis import repository
from analytics.kpis.conversion import Converter
from analytics.kpis.formulas import Missing
from analytics.kpis.repository import MoneyInput, SalesTotals
from analytics.kpis.spans import Span
from analytics.partners.access import ensure_visible


async def snapshot_currency(
    session: AsyncSession, partner_id: UUID, asked: str | None, *, reporting_currency: str
) -> str:
    if asked is not None:
        return asked
    if (currency := await repository.target_currency(session, partner_id)) is not None:
        return currency
    currencies = await repository.sales_currencies(session, partner_id)
    return currencies[0] if len(currencies) == 1 else reporting_currency


async def _totals(
    session: AsyncSession, converter: Converter, partner_id: UUID, span: Span
) -> SalesTotals | Missing:
    by_currency = await repository.sales_totals(session, partner_id, span.first, span.last)
    return await converter.totals(by_currency, span.last)


async def _converted(
    converter: Converter, money: MoneyInput | None, span: Span, missing: str
) -> Decimal | Missing:
    if money is None:
        return Missing(missing)
    return await converter.amount(money.amount, money.currency, span.last)


async def _market(
    session: AsyncSession, converter: Converter, region: str | None, span: Span
) -> Decimal | Missing:
    if region is None:
        return Missing("no_partner_region")
    sizes = await repository.market_sizes(session, region, span.first, span.last)
    if not sizes:
        return Missing(f"no_market_size: {region} {span.describe()}")
    total = Decimal(0)
    for size in sizes:
        converted = await converter.amount(size.amount, size.currency, span.last)
        if isinstance(converted, Missing):
            return converted
        total += converted
    return total


async def _buyers(session: AsyncSession, partner_id: UUID, span: Span) -> int | Missing:
    if not span.whole_months:
        return Missing("needs_whole_months")
    return await repository.buying_customers(session, partner_id, *span.months)


async def _retained(session: AsyncSession, partner_id: UUID, span: Span, previous: Span) -> int | Missing:
    if not span.whole_months or not previous.whole_months:
        return Missing("needs_whole_months")
    return await repository.retained_customers(session, partner_id, previous.months, span.months)


async def ensure_known(session: AsyncSession, partner_id: UUID) -> None:
    """404 for a partner analytics never heard of: not in the replica, no sales, no target."""
    if (
        await repository.dimension(session, partner_id) is None
        and not await repository.has_sales(session, partner_id)
        and await repository.target_currency(session, partner_id) is None
    ):
        raise NotFound(
            f"analytics knows no partner {partner_id}: no sales, no target, not in the partner replica"
        )


async def kpi_snapshot(session: AsyncSession, partner_id: UUID, span: Span, *, currency: str) -> KpiSnapshot:
    """The snapshot, for a partner known to exist (see `ensure_known`)."""
    converter = Converter(session, currency)
    previous, year_before = span.previous(), span.a_year_before()
    now_totals = await _totals(session, converter, partner_id, span)
    revenue = f.revenue(now_totals)
    previous_revenue = f.revenue(await _totals(session, converter, partner_id, previous))
    year_before_revenue = f.revenue(await _totals(session, converter, partner_id, year_before))
    target = await _converted(
        converter,
        await repository.revenue_target(session, partner_id, span.first, span.last),
        span,
        "no_target",
    )
    dimension = await repository.dimension(session, partner_id)
    region = None if dimension is None else dimension.region or dimension.country
    market = await _market(session, converter, region, span)
    new_customers = await repository.new_customers(session, partner_id, span.first, span.last)
    spend = await _converted(
        converter,
        await repository.acquisition_spend(session, partner_id, span.first, span.last),
        span,
        "no_acquisition_spend",
    )
    buyers = await _buyers(session, partner_id, span)
    previous_buyers = await _buyers(session, partner_id, previous)
    retention = f.retention(await _retained(session, partner_id, span, previous), previous_buyers)
    margin = f.gross_margin(now_totals)
    surveys = await repository.survey_totals(session, partner_id, span.first, span.last)
    won, lost = await repository.deal_outcomes(session, partner_id, span.start, span.end)
    return KpiSnapshot(
        partner_id=partner_id,
        period=span.label,
        first_day=span.first,
        last_day=span.last,
        currency=currency,
        revenue=f.amount_kpi(revenue, currency),
        gross_profit=f.amount_kpi(f.gross_profit(now_totals), currency),
        gross_margin=f.ratio_value(margin),
        cost_coverage=f.cost_coverage(now_totals),
        growth_previous_period=f.growth(revenue, previous_revenue, label="previous_period"),
        growth_year_over_year=f.growth(revenue, year_before_revenue, label="a_year_before"),
        target_attainment=f.ratio_kpi(revenue, target, zero_reason="target_zero"),
        market_share=f.ratio_kpi(revenue, market, zero_reason="market_size_zero"),
        new_customers=f.count_kpi(new_customers),
        active_customers=f.count_kpi(buyers),
        retention_rate=f.ratio_value(retention),
        customer_acquisition_cost=f.amount_kpi(f.acquisition_cost(spend, new_customers), currency),
        customer_lifetime_value=f.amount_kpi(f.lifetime_value(revenue, buyers, margin, retention), currency),
        nps=f.nps(surveys),
        nps_responses=f.count_kpi(surveys.nps_responses),
        csat=f.csat(surveys),
        csat_responses=f.count_kpi(surveys.csat_responses),
        csat_satisfied_share=f.csat_satisfied_share(surveys),
        deal_registration_win_rate=f.win_rate(won, lost),
        returns_ratio=f.returns_ratio(now_totals),
        last_sale_on=await repository.last_sale_on(session, partner_id, span.last),
        fx_rates_used=converter.applied(),
    )


async def visible_snapshot(
    session: AsyncSession,
    partner_id: UUID,
    span: Span,
    *,
    viewer: Principal | None,
    currency: str | None,
    reporting_currency: str,
) -> KpiSnapshot:
    """The snapshot as a caller may see it: a partner's own credential only its own (404 otherwise)."""
    if viewer is not None:
        ensure_visible(viewer, partner_id, "KPIs")
    await ensure_known(session, partner_id)
    chosen = await snapshot_currency(session, partner_id, currency, reporting_currency=reporting_currency)
    return await kpi_snapshot(session, partner_id, span, currency=chosen)
