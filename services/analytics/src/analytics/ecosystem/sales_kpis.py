"""The KPIs of a snapshot that come from sales totals alone (revenue, gross profit and margin, cost coverage,
returns ratio, growth), for many partners at once: three GROUP BY queries over the daily rollup (the span,
the previous span, the span a year before), then each partner's per-currency totals converted in Decimal
exactly as its snapshot converts them (kpis/conversion.py), so a leaderboard equals the snapshots."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any
from uuid import UUID

import sqlalchemy as sa
from prm_contracts.kpis import Kpi
from sqlalchemy.ext.asyncio import AsyncSession

from analytics.kpis import formulas as f
from analytics.kpis import repository
from analytics.kpis.conversion import Converter
from analytics.kpis.formulas import Missing
from analytics.kpis.repository import SalesTotals
from analytics.kpis.spans import Span

Totals = SalesTotals | Missing

# Each KPI from (totals of the span, of the previous span, of the span a year before), as the snapshot does.
_FORMULAS: dict[str, Callable[[Totals, Totals, Totals, str], Kpi]] = {
    "revenue": lambda now, _p, _y, currency: f.amount_kpi(f.revenue(now), currency),
    "gross_profit": lambda now, _p, _y, currency: f.amount_kpi(f.gross_profit(now), currency),
    "gross_margin": lambda now, _p, _y, _c: f.ratio_value(f.gross_margin(now)),
    "returns_ratio": lambda now, _p, _y, _c: f.returns_ratio(now),
    "growth_previous_period": lambda now, before, _y, _c: f.growth(
        f.revenue(now), f.revenue(before), label="previous_period"
    ),
    "growth_year_over_year": lambda now, _p, year, _c: f.growth(
        f.revenue(now), f.revenue(year), label="a_year_before"
    ),
}
SET_BASED_KPIS = frozenset(_FORMULAS) | {"cost_coverage"}
_NEEDS_EARLIER = {"growth_previous_period": "previous", "growth_year_over_year": "year_before"}


async def sales_kpi(
    session: AsyncSession,
    kpi: str,
    span: Span,
    partners: Iterable[UUID],
    *,
    currency: str,
    among: sa.Select[Any] | None,
) -> dict[UUID, Kpi]:
    """`kpi` (one of SET_BASED_KPIS) of each partner over `span`, in `currency`."""
    if kpi == "cost_coverage":  # counts of lines: no conversion
        now = await repository.sales_totals_by_partner(session, span.first, span.last, among=among)
        return {partner_id: f.cost_coverage(now.get(partner_id, {})) for partner_id in partners}
    converter = Converter(session, currency)
    spans = {"now": span}
    if (earlier := _NEEDS_EARLIER.get(kpi)) is not None:
        spans[earlier] = span.previous() if earlier == "previous" else span.a_year_before()
    by_span = {
        name: await repository.sales_totals_by_partner(session, s.first, s.last, among=among)
        for name, s in spans.items()
    }
    empty: Totals = SalesTotals()
    values: dict[UUID, Kpi] = {}
    for partner_id in partners:
        converted: dict[str, Totals] = {
            name: await converter.totals(by_span[name].get(partner_id, {}), s.last)
            for name, s in spans.items()
        }
        values[partner_id] = _FORMULAS[kpi](
            converted["now"], converted.get("previous", empty), converted.get("year_before", empty), currency
        )
    return values
