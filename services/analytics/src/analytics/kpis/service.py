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
from prm_kit.db.core import is_postgresql
from sqlalchemy.ext.asyncio import AsyncSession

from analytics.kpis import formulas as f
from analytics.kpis import repository, snapshot_statement
from analytics.kpis.conversion import Converter
from analytics.kpis.formulas import Missing
from analytics.kpis.repository import MoneyInput, PartnerFacts, SnapshotInputs
from analytics.kpis.spans import Span
from analytics.partners.access import ensure_visible


def snapshot_currency(facts: PartnerFacts, asked: str | None, *, reporting_currency: str) -> str:
    if asked is not None:
        return asked
    if facts.target_currency is not None:
        return facts.target_currency
    currencies = facts.sales_currencies
    return currencies[0] if len(currencies) == 1 else reporting_currency


async def _converted(
    converter: Converter, money: MoneyInput | None, span: Span, missing: str
) -> Decimal | Missing:
    if money is None:
        return Missing(missing)
    return await converter.amount(money.amount, money.currency, span.last)


async def _market(
    converter: Converter, region: str | None, sizes: list[MoneyInput], span: Span
) -> Decimal | Missing:
    if region is None:
        return Missing("no_partner_region")
    if not sizes:
        return Missing(f"no_market_size: {region} {span.describe()}")
    total = Decimal(0)
    for size in sizes:
        converted = await converter.amount(size.amount, size.currency, span.last)
        if isinstance(converted, Missing):
            return converted
        total += converted
    return total


def _counted(count: int | None) -> int | Missing:
    return Missing("needs_whole_months") if count is None else count


async def snapshot_inputs(
    session: AsyncSession, partner_id: UUID, span: Span, *, facts: PartnerFacts | None = None
) -> SnapshotInputs:
    """What a snapshot of the span reads: one statement on PostgreSQL (kpis/snapshot_statement.py); on
    SQLite four — the partner's facts (unless given), the three spans' sales totals, the money inputs, the
    counts — plus, either way, the FX rates of other currencies when the snapshot is converted."""
    previous, year_before = span.previous(), span.a_year_before()
    spans = [(s.first, s.last) for s in (span, previous, year_before)]
    closed = (span.start, span.end)
    if is_postgresql(session):
        return await snapshot_statement.read(session, partner_id, spans, closed=closed)
    if facts is None:
        facts = await repository.partner_facts(session, partner_id)
    return SnapshotInputs(
        facts=facts,
        totals=await repository.sales_totals_of_spans(session, partner_id, spans),
        money=await repository.money_inputs(session, partner_id, facts.region, span.first, span.last),
        counts=await repository.partner_counts(session, partner_id, spans[0], spans[1], closed=closed),
    )


def _ensure_known(partner_id: UUID, facts: PartnerFacts) -> None:
    if not facts.known:
        raise NotFound(
            f"analytics knows no partner {partner_id}: no sales, no target, not in the partner replica"
        )


async def ensure_known(session: AsyncSession, partner_id: UUID) -> None:
    """404 for a partner analytics never heard of: not in the replica, no sales, no target."""
    _ensure_known(partner_id, await repository.partner_facts(session, partner_id))


async def kpi_snapshot(
    session: AsyncSession,
    partner_id: UUID,
    span: Span,
    *,
    currency: str,
    facts: PartnerFacts | None = None,
    inputs: SnapshotInputs | None = None,
) -> KpiSnapshot:
    """The snapshot, for a partner known to exist (see `ensure_known`), from `inputs` (read unless given,
    see `snapshot_inputs`)."""
    if inputs is None:
        inputs = await snapshot_inputs(session, partner_id, span, facts=facts)
    facts = inputs.facts
    converter = Converter(session, currency)
    previous, year_before = span.previous(), span.a_year_before()
    now_totals, previous_totals, year_before_totals = [
        await converter.totals(by_currency, each.last)
        for by_currency, each in zip(inputs.totals, [span, previous, year_before], strict=True)
    ]
    revenue = f.revenue(now_totals)
    previous_revenue = f.revenue(previous_totals)
    year_before_revenue = f.revenue(year_before_totals)
    money = inputs.money
    target = await _converted(converter, money.target, span, "no_target")
    market = await _market(converter, facts.region, money.market_sizes, span)
    spend = await _converted(converter, money.spend, span, "no_acquisition_spend")
    counts = inputs.counts
    new_customers = counts.new_customers
    buyers = _counted(counts.buyers)
    previous_buyers = _counted(counts.previous_buyers)
    retention = f.retention(_counted(counts.retained), previous_buyers)
    margin = f.gross_margin(now_totals)
    surveys = counts.surveys
    won, lost = counts.won, counts.lost
    return KpiSnapshot(
        partner_id=partner_id,
        period=span.label,
        first_day=span.first,
        last_day=span.last,
        currency=currency,
        revenue=f.amount_kpi(revenue, currency),
        gross_profit=f.amount_kpi(f.gross_profit(now_totals), currency),
        gross_margin=f.ratio_value(margin),
        cost_coverage=f.cost_coverage(inputs.totals[0]),
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
        last_sale_on=counts.last_sale_on,
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
    inputs = await snapshot_inputs(session, partner_id, span)
    _ensure_known(partner_id, inputs.facts)
    chosen = snapshot_currency(inputs.facts, currency, reporting_currency=reporting_currency)
    return await kpi_snapshot(session, partner_id, span, currency=chosen, inputs=inputs)
