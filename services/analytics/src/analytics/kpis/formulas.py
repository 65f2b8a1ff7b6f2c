"""The KPI formulas, from plain values (amounts already in the snapshot's currency). Pure, so each is tested
alone; the formulas are also in the README and the endpoint's description.

An input that is not known is a `Missing` carrying the reason (`no_target`, `fx_rate_missing: USD→EUR on
2026-07-31`...), and every KPI computed from it is null with that reason, never a fake 0. Amounts are shown
to 4 decimal places, ratios to 6 (half even); a value too large for the contract (15 integer digits) is null
with `out_of_range`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from decimal import ROUND_HALF_EVEN, Context, Decimal

from prm_contracts.kpis import Kpi

from analytics.kpis.repository import SalesTotals, SurveyTotals

AMOUNT_QUANTUM = Decimal("0.0001")
RATIO_QUANTUM = Decimal("0.000001")
_LIMIT = Decimal(10) ** 15
RATIO, COUNT, SCORE = "ratio", "count", "score"


@dataclass(frozen=True)
class Missing:
    reason: str


_EXACT = Context(prec=50, rounding=ROUND_HALF_EVEN)


def _exact_division(numerator: Decimal, denominator: Decimal) -> Decimal:
    return _EXACT.divide(numerator, denominator)


def known(value: Decimal | None, unit: str, quantum: Decimal) -> Kpi:
    if value is None:
        return Kpi(value=None, reason="not_computed", unit=unit)
    # the bound is checked first: quantizing a ratio of 10^22 or more to 6 places needs more digits than the
    # default context's 28, and would raise
    rounded = _EXACT.quantize(value, quantum) if abs(value) < _LIMIT else None
    if rounded is None or abs(rounded) >= _LIMIT:
        return Kpi(value=None, reason="out_of_range", unit=unit)
    return Kpi(value=rounded, reason=None, unit=unit)


def unknown(reason: str, unit: str) -> Kpi:
    return Kpi(value=None, reason=reason, unit=unit)


def amount_kpi(value: Decimal | Missing, currency: str) -> Kpi:
    if isinstance(value, Missing):
        return unknown(value.reason, currency)
    return known(value, currency, AMOUNT_QUANTUM)


def count_kpi(value: int | Missing) -> Kpi:
    if isinstance(value, Missing):
        return unknown(value.reason, COUNT)
    return Kpi(value=Decimal(value), reason=None, unit=COUNT)


def ratio_kpi(numerator: Decimal | Missing, denominator: Decimal | Missing, *, zero_reason: str) -> Kpi:
    """numerator ÷ denominator; null when either is missing or the denominator is not positive."""
    for value in (numerator, denominator):
        if isinstance(value, Missing):
            return unknown(value.reason, RATIO)
    assert not isinstance(numerator, Missing)
    assert not isinstance(denominator, Missing)
    if denominator <= 0:
        return unknown(zero_reason, RATIO)
    return known(_exact_division(numerator, denominator), RATIO, RATIO_QUANTUM)


def revenue(totals: SalesTotals | Missing) -> Decimal | Missing:
    """Net sales: sales - returns - credit notes."""
    return totals if isinstance(totals, Missing) else totals.revenue


def gross_profit(totals: SalesTotals | Missing) -> Decimal | Missing:
    """Net amount - net cost of the lines that report a cost."""
    if isinstance(totals, Missing):
        return totals
    if totals.costed_line_count == 0:
        return Missing("no_cost_reported")
    return totals.costed_amount - totals.cost_amount


def gross_margin(totals: SalesTotals | Missing) -> Decimal | Missing:
    """gross_profit ÷ net amount of the lines that report a cost (exact; shown with `ratio_value`)."""
    profit = gross_profit(totals)
    if isinstance(profit, Missing):
        return profit
    assert not isinstance(totals, Missing)
    if totals.costed_amount <= 0:
        return Missing("costed_revenue_not_positive")
    return _exact_division(profit, totals.costed_amount)


def ratio_value(value: Decimal | Missing) -> Kpi:
    if isinstance(value, Missing):
        return unknown(value.reason, RATIO)
    return known(value, RATIO, RATIO_QUANTUM)


def cost_coverage(by_currency: Mapping[str, SalesTotals]) -> Kpi:
    """Lines with a cost ÷ all lines, over every currency: counts, so known without any FX rate."""
    costed = sum(totals.costed_line_count for totals in by_currency.values())
    lines = sum(totals.line_count for totals in by_currency.values())
    return ratio_kpi(Decimal(costed), Decimal(lines), zero_reason="no_sales")


def growth(now: Decimal | Missing, before: Decimal | Missing, *, label: str) -> Kpi:
    """(revenue - revenue before) ÷ revenue before; null when the earlier revenue is not positive."""
    if isinstance(now, Missing) or isinstance(before, Missing):
        return ratio_kpi(now, before, zero_reason="")
    return ratio_kpi(now - before, before, zero_reason=f"no_revenue_{label}")


def returns_ratio(totals: SalesTotals | Missing) -> Kpi:
    """(returns + credit notes) ÷ gross sales."""
    if isinstance(totals, Missing):
        return unknown(totals.reason, RATIO)
    return ratio_kpi(totals.returns, totals.gross, zero_reason="no_sales")


def acquisition_cost(spend: Decimal | Missing, new_customers: int) -> Decimal | Missing:
    """Acquisition spend of the period ÷ new customers."""
    if isinstance(spend, Missing):
        return spend
    if new_customers == 0:
        return Missing("no_new_customers")
    return _exact_division(spend, Decimal(new_customers))


def retention(retained: int | Missing, previous_buyers: int | Missing) -> Decimal | Missing:
    """Customers who bought in the previous period and again in this one ÷ buyers of the previous period."""
    if isinstance(retained, Missing):
        return retained
    if isinstance(previous_buyers, Missing):
        return previous_buyers
    if previous_buyers == 0:
        return Missing("no_customers_previous_period")
    return _exact_division(Decimal(retained), Decimal(previous_buyers))


def lifetime_value(
    period_revenue: Decimal | Missing,
    buyers: int | Missing,
    margin: Decimal | Missing,
    retention_rate: Decimal | Missing,
) -> Decimal | Missing:
    """(revenue ÷ buying customers) x gross margin ÷ (1 - retention): the margin an average customer brings
    per period, over the expected number of periods it stays (a geometric series of retention)."""
    for value in (period_revenue, buyers, margin, retention_rate):
        if isinstance(value, Missing):
            return value
    assert not isinstance(period_revenue, Missing)
    assert not isinstance(buyers, Missing)
    assert not isinstance(retention_rate, Missing)
    assert not isinstance(margin, Missing)
    if buyers == 0:
        return Missing("no_buying_customers")
    if retention_rate >= 1:
        return Missing("retention_is_total")
    per_customer = _exact_division(period_revenue, Decimal(buyers))
    return _exact_division(per_customer * margin, Decimal(1) - retention_rate)


def nps(surveys: SurveyTotals) -> Kpi:
    """100 x (promoters (9-10) - detractors (0-6)) ÷ NPS answers."""
    if surveys.nps_responses == 0:
        return unknown("no_nps_responses", SCORE)
    value = _exact_division(
        Decimal(100 * (surveys.promoters - surveys.detractors)), Decimal(surveys.nps_responses)
    )
    return known(value, SCORE, RATIO_QUANTUM)


def csat(surveys: SurveyTotals) -> Kpi:
    """Mean of the CSAT answers (1-5)."""
    if surveys.csat_responses == 0:
        return unknown("no_csat_responses", SCORE)
    return known(
        _exact_division(Decimal(surveys.csat_sum), Decimal(surveys.csat_responses)), SCORE, RATIO_QUANTUM
    )


def csat_satisfied_share(surveys: SurveyTotals) -> Kpi:
    """CSAT answers of 4 or 5 ÷ CSAT answers."""
    return ratio_kpi(
        Decimal(surveys.csat_satisfied), Decimal(surveys.csat_responses), zero_reason="no_csat_responses"
    )


def win_rate(won: int, lost: int) -> Kpi:
    """Registrations won ÷ (won + lost), closed in the period."""
    return ratio_kpi(Decimal(won), Decimal(won + lost), zero_reason="no_closed_deal_registrations")
