"""Ecosystem views over every partner, in the reporting currency (amounts converted at the rate in force on
the span's last day, as snapshots do): leaderboards by any KPI, revenue by tier/type/region, concentration.

A partner's segment is its replica's current tier, type or region (`unknown` when the replica does not know
it). Only non-partner credentials see these views (the router refuses a partner's own with 403).
"""

from __future__ import annotations

import math
from collections import defaultdict
from dataclasses import dataclass
from decimal import Decimal
from uuid import UUID

from prm_contracts.kpis import Kpi
from prm_contracts.pagination import Page
from prm_contracts.problem import UnprocessableContent, ValidationIssue
from prm_kit.pagination import keyset_cursor, keyset_position
from sqlalchemy.ext.asyncio import AsyncSession

from analytics.ecosystem import repository
from analytics.ecosystem.repository import UNKNOWN_SEGMENT, SegmentFilter, Segments
from analytics.ecosystem.sales_kpis import SET_BASED_KPIS, sales_kpi
from analytics.ecosystem.schemas import (
    Concentration,
    LeaderboardEntry,
    RankedKpi,
    SegmentBy,
    SegmentRevenue,
    SegmentRevenues,
)
from analytics.kpis.conversion import Converter
from analytics.kpis.formulas import RATIO_QUANTUM, Missing, amount_kpi, known, unknown
from analytics.kpis.service import kpi_snapshot
from analytics.kpis.spans import Span

RANK_ORDER = "rank"
TOP_SHARE = Decimal("0.1")


_SEGMENT_FIELD = {SegmentBy.tier: "tier", SegmentBy.type: "partner_type", SegmentBy.region: "region"}


def _segment(dimension: Segments | None, by: SegmentBy) -> str:
    if dimension is None:
        return UNKNOWN_SEGMENT
    value: str | None = getattr(dimension, _SEGMENT_FIELD[by])
    return value or UNKNOWN_SEGMENT


def _matches(
    dimension: Segments | None, tier: str | None, partner_type: str | None, region: str | None
) -> bool:
    wanted = {SegmentBy.tier: tier, SegmentBy.type: partner_type, SegmentBy.region: region}
    return all(
        value is None or (dimension is not None and _segment(dimension, by) == value)
        for by, value in wanted.items()
    )


@dataclass(frozen=True)
class Ranking:
    """The leaderboard's partners in rank order, with their KPI values and segments: entries are made only
    for the ranks a page shows (a leaderboard ranks every partner, a page shows fifty)."""

    kpi: RankedKpi
    currency: str
    order: list[UUID]
    values: dict[UUID, Kpi]
    dimensions: dict[UUID, Segments]

    def entries(self, start: int = 0, stop: int | None = None) -> list[LeaderboardEntry]:
        return [
            self._entry(rank, partner_id)
            for rank, partner_id in enumerate(self.order[start:stop], start=start + 1)
        ]

    def _entry(self, rank: int, partner_id: UUID) -> LeaderboardEntry:
        dimension = self.dimensions.get(partner_id)
        return LeaderboardEntry(
            rank=rank,
            partner_id=partner_id,
            name=None if dimension is None else dimension.name,
            tier=_segment(dimension, SegmentBy.tier),
            partner_type=_segment(dimension, SegmentBy.type),
            region=_segment(dimension, SegmentBy.region),
            kpi=self.kpi.value,
            value=self.values[partner_id],
            currency=self.currency,
        )


async def ranked_partners(
    session: AsyncSession, *, kpi: RankedKpi, span: Span, segment: SegmentFilter, currency: str
) -> Ranking:
    """Every partner of the leaderboard, ranked by the KPI, highest first (ties by partner id); partners whose
    KPI is null come last, with its reason. The partners: those of the replica matching the filters, and,
    without filters, every partner with sales in the span too. Sales KPIs (SET_BASED_KPIS) come from a few
    GROUP BY queries over the rollups for all partners at once; any other KPI from each partner's snapshot."""
    dimensions = await repository.dimensions(session)
    if segment.empty:
        candidates = set(dimensions) | await repository.partners_with_sales(session, span.first, span.last)
    else:
        candidates = {
            p
            for p, dimension in dimensions.items()
            if _matches(dimension, segment.tier, segment.partner_type, segment.region)
        }
    chosen = sorted(candidates)
    if kpi.value in SET_BASED_KPIS:
        among = None if segment.empty else segment.partner_ids()
        values = await sales_kpi(session, kpi.value, span, chosen, currency=currency, among=among)
    else:
        values = {
            p: getattr(await kpi_snapshot(session, p, span, currency=currency), kpi.value) for p in chosen
        }

    def sort_key(partner_id: UUID) -> tuple[int, Decimal, str]:
        value = values[partner_id].value
        return (0, -value, str(partner_id)) if value is not None else (1, Decimal(0), str(partner_id))

    return Ranking(kpi, currency, sorted(chosen, key=sort_key), values, dimensions)


async def leaderboard(
    session: AsyncSession,
    *,
    kpi: RankedKpi,
    span: Span,
    segment: SegmentFilter,
    currency: str,
    limit: int,
    cursor: str | None,
) -> Page[LeaderboardEntry]:
    """A page of `ranked_partners`; the cursor holds the rank reached."""
    ranking = await ranked_partners(session, kpi=kpi, span=span, segment=segment, currency=currency)
    after = keyset_position(cursor, RANK_ORDER, int)
    start = after.key if after is not None else 0
    page = ranking.entries(start, start + limit)
    more = start + limit < len(ranking.order)
    next_cursor = keyset_cursor(RANK_ORDER, start + limit, page[-1].partner_id) if more and page else None
    return Page[LeaderboardEntry](items=page, next_cursor=next_cursor)


async def _converted_revenue(
    session: AsyncSession, span: Span, currency: str
) -> tuple[dict[UUID, Decimal], Converter, Missing | None]:
    """Each partner's net revenue as its snapshot shows it: every currency converted, the sum rounded once."""
    converter = Converter(session, currency)
    by_partner: dict[UUID, dict[str, Decimal]] = defaultdict(dict)
    for partner_id, base, amount in await repository.net_revenue(session, span.first, span.last):
        by_partner[partner_id][base] = amount
    revenue: dict[UUID, Decimal] = {}
    for partner_id, amounts in by_partner.items():
        converted = await converter.total(amounts, span.last)
        if isinstance(converted, Missing):
            return {}, converter, converted
        revenue[partner_id] = converted
    return revenue, converter, None


def _missing_rate(missing: Missing) -> UnprocessableContent:
    return UnprocessableContent(
        f"an amount cannot be converted into the reporting currency ({missing.reason}); load the FX rate",
        errors=[ValidationIssue(loc=["query", "period"], msg=missing.reason, type="fx_rate_missing")],
    )


async def revenue_by_segment(
    session: AsyncSession, *, by: SegmentBy, span: Span, currency: str
) -> SegmentRevenues:
    """Net revenue per tier, type or region (the replica's current one), largest first."""
    revenue, converter, missing = await _converted_revenue(session, span, currency)
    if missing is not None:
        raise _missing_rate(missing)
    dimensions = await repository.dimensions(session)
    totals: dict[str, Decimal] = defaultdict(Decimal)
    partners: dict[str, int] = defaultdict(int)
    for partner_id, amount in revenue.items():
        segment = _segment(dimensions.get(partner_id), by)
        totals[segment] += amount
        partners[segment] += 1
    segments = sorted(totals, key=lambda s: (-totals[s], s))
    return SegmentRevenues(
        by=by,
        period=span.label,
        first_day=span.first,
        last_day=span.last,
        currency=currency,
        segments=[
            SegmentRevenue(segment=s, revenue=amount_kpi(totals[s], currency), partners=partners[s])
            for s in segments
        ],
        fx_rates_used=converter.applied(),
    )


async def concentration(session: AsyncSession, *, span: Span, currency: str) -> Concentration:
    """The share of net revenue from the top 10 % of partners (⌈10 % x partners with lines in the span⌉,
    ranked by net revenue): their revenue ÷ everyone's; null when the total is not positive."""
    revenue, converter, missing = await _converted_revenue(session, span, currency)
    if missing is not None:
        raise _missing_rate(missing)
    ranked = sorted(revenue.values(), reverse=True)
    top = math.ceil(len(ranked) * TOP_SHARE)
    total, top_revenue = sum(ranked, Decimal(0)), sum(ranked[:top], Decimal(0))
    share = (
        unknown("no_revenue", "ratio") if total <= 0 else known(top_revenue / total, "ratio", RATIO_QUANTUM)
    )
    return Concentration(
        period=span.label,
        first_day=span.first,
        last_day=span.last,
        currency=currency,
        partners=len(ranked),
        top_partners=top,
        top_revenue=amount_kpi(top_revenue, currency),
        total_revenue=amount_kpi(total, currency),
        top_share=share,
        fx_rates_used=converter.applied(),
    )
