"""Ecosystem views over every partner, in the reporting currency (amounts converted at the rate in force on
the span's last day, as snapshots do): leaderboards by any KPI, revenue by tier/type/region, concentration.

A partner's segment is its replica's current tier, type or region (`unknown` when the replica does not know
it). Only non-partner credentials see these views (the router refuses a partner's own with 403).
"""

from __future__ import annotations

import math
from collections import defaultdict
from decimal import Decimal
from uuid import UUID

from prm_contracts.kpis import Kpi, KpiSnapshot
from prm_contracts.pagination import Page
from prm_contracts.problem import UnprocessableContent, ValidationIssue
from prm_kit.pagination import keyset_cursor, keyset_position
from sqlalchemy.ext.asyncio import AsyncSession

from analytics.ecosystem import repository
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
from analytics.partners.models import PartnerDimension

RANK_ORDER = "rank"
UNKNOWN_SEGMENT = "unknown"
TOP_SHARE = Decimal("0.1")


def _segment(dimension: PartnerDimension | None, by: SegmentBy) -> str:
    if dimension is None:
        return UNKNOWN_SEGMENT
    value = {
        SegmentBy.tier: dimension.tier,
        SegmentBy.type: dimension.partner_type,
        SegmentBy.region: dimension.region,
    }[by]
    return value or UNKNOWN_SEGMENT


def _matches(
    dimension: PartnerDimension | None, tier: str | None, partner_type: str | None, region: str | None
) -> bool:
    wanted = {SegmentBy.tier: tier, SegmentBy.type: partner_type, SegmentBy.region: region}
    return all(
        value is None or (dimension is not None and _segment(dimension, by) == value)
        for by, value in wanted.items()
    )


async def leaderboard(
    session: AsyncSession,
    *,
    kpi: RankedKpi,
    span: Span,
    tier: str | None,
    partner_type: str | None,
    region: str | None,
    currency: str,
    limit: int,
    cursor: str | None,
) -> Page[LeaderboardEntry]:
    """Partners ranked by the KPI, highest first (ties by partner id); partners whose KPI is null come last,
    with its reason. The partners: those of the replica matching the filters, and, without filters, every
    partner with sales in the span."""
    dimensions = await repository.dimensions(session)
    candidates = set(dimensions)
    if tier is None and partner_type is None and region is None:
        candidates |= await repository.partners_with_sales(session, span.first, span.last)
    chosen = sorted(p for p in candidates if _matches(dimensions.get(p), tier, partner_type, region))
    snapshots: list[KpiSnapshot] = [await kpi_snapshot(session, p, span, currency=currency) for p in chosen]

    def sort_key(snapshot: KpiSnapshot) -> tuple[int, Decimal, str]:
        value: Kpi = getattr(snapshot, kpi.value)
        return (
            (0, -value.value, str(snapshot.partner_id))
            if value.value is not None
            else (1, Decimal(0), str(snapshot.partner_id))
        )

    ranked = sorted(snapshots, key=sort_key)
    after = keyset_position(cursor, RANK_ORDER, int)
    start = after.key if after is not None else 0
    page = ranked[start : start + limit]
    entries = [
        LeaderboardEntry(
            rank=start + index + 1,
            partner_id=snapshot.partner_id,
            name=dimensions[snapshot.partner_id].name if snapshot.partner_id in dimensions else None,
            tier=_segment(dimensions.get(snapshot.partner_id), SegmentBy.tier),
            partner_type=_segment(dimensions.get(snapshot.partner_id), SegmentBy.type),
            region=_segment(dimensions.get(snapshot.partner_id), SegmentBy.region),
            kpi=kpi.value,
            value=getattr(snapshot, kpi.value),
            currency=currency,
        )
        for index, snapshot in enumerate(page)
    ]
    more = start + limit < len(ranked)
    next_cursor = keyset_cursor(RANK_ORDER, start + limit, page[-1].partner_id) if more and page else None
    return Page[LeaderboardEntry](items=entries, next_cursor=next_cursor)


async def _converted_revenue(
    session: AsyncSession, span: Span, currency: str
) -> tuple[dict[UUID, Decimal], Converter, Missing | None]:
    converter = Converter(session, currency)
    revenue: dict[UUID, Decimal] = defaultdict(Decimal)
    for partner_id, base, amount in await repository.net_revenue(session, span.first, span.last):
        converted = await converter.amount(amount, base, span.last)
        if isinstance(converted, Missing):
            return {}, converter, converted
        revenue[partner_id] += converted
    return dict(revenue), converter, None


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
