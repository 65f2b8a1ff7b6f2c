"""HTTP of the ecosystem views: `/v1/leaderboards` and `/v1/ecosystem/...`, for non-partner credentials."""

from __future__ import annotations

from typing import Annotated, Any
from uuid import UUID

from fastapi import APIRouter, Depends, Query
from prm_contracts.pagination import Page
from prm_contracts.problem import Forbidden
from prm_kit.db import SessionDep
from prm_kit.errors import problems
from prm_kit.internal_auth import PrincipalDep, require
from prm_kit.pagination import CursorQuery, LimitQuery

from analytics.ecosystem import series, service
from analytics.ecosystem.repository import SegmentFilter
from analytics.ecosystem.schemas import (
    Cohorts,
    Concentration,
    LeaderboardEntry,
    RankedKpi,
    SegmentBy,
    SegmentRevenues,
    TimeSeries,
)
from analytics.kpis.router import SettingsDep, SpanDep

leaderboard_router = APIRouter(prefix="/v1/leaderboards", tags=["ecosystem"])
router = APIRouter(prefix="/v1/ecosystem", tags=["ecosystem"])

READ = require("analytics:read")


def _not_a_partner(who: PrincipalDep) -> None:
    if who.partner_id is not None:
        raise Forbidden("ecosystem views compare partners: a partner's own credential cannot see them")


ECOSYSTEM_READER: Any = [READ, Depends(_not_a_partner)]
Segment = Annotated[str | None, Query(min_length=1, max_length=100)]
PartnerTypeQuery = Annotated[str | None, Query(alias="type", min_length=1, max_length=30)]


def segment_filter(
    tier: Segment = None, partner_type: PartnerTypeQuery = None, region: Segment = None
) -> SegmentFilter:
    """Only partners of this tier, type and region of the partner replica (each optional)."""
    return SegmentFilter(tier=tier, partner_type=partner_type, region=region)


SegmentDep = Annotated[SegmentFilter, Depends(segment_filter)]


@leaderboard_router.get(
    "",
    response_model=Page[LeaderboardEntry],
    summary="Rank partners by a KPI",
    responses=problems(403, 422),
    dependencies=ECOSYSTEM_READER,
)
async def get_leaderboard(
    kpi: RankedKpi,
    span: SpanDep,
    session: SessionDep,
    settings: SettingsDep,
    segment: SegmentDep,
    limit: LimitQuery = 50,
    cursor: CursorQuery = None,
) -> Page[LeaderboardEntry]:
    """Partners ranked by any KPI of their snapshot (`kpi=revenue`, formulas at `GET /v1/kpis/partners/{id}`)
    over `period` (or `from`/`to`), highest first, in the reporting currency; optionally only a tier, type or
    region of the partner replica. Partners whose KPI is null come last, with the reason."""
    return await service.leaderboard(
        session,
        kpi=kpi,
        span=span,
        segment=segment,
        currency=settings.reporting_currency,
        limit=limit,
        cursor=cursor,
    )


@router.get(
    "/revenue",
    response_model=SegmentRevenues,
    summary="Revenue by tier, type or region",
    responses=problems(403, 422),
    dependencies=ECOSYSTEM_READER,
)
async def get_revenue_by_segment(
    by: SegmentBy, span: SpanDep, session: SessionDep, settings: SettingsDep
) -> SegmentRevenues:
    """Net revenue (sales - returns - credit notes) of the span per tier, type or region of the partner
    replica, in the reporting currency at the rate in force on the span's last day. 422 when a rate is
    missing."""
    return await service.revenue_by_segment(session, by=by, span=span, currency=settings.reporting_currency)


@router.get(
    "/concentration",
    response_model=Concentration,
    summary="Share of revenue from the top 10 % of partners",
    responses=problems(403, 422),
    dependencies=ECOSYSTEM_READER,
)
async def get_concentration(span: SpanDep, session: SessionDep, settings: SettingsDep) -> Concentration:
    """Partners with lines in the span ranked by net revenue; the top ⌈10 %⌉ of them; their revenue ÷ the
    total (null when the total is not positive). In the reporting currency."""
    return await service.concentration(session, span=span, currency=settings.reporting_currency)


@router.get(
    "/time-series",
    response_model=TimeSeries,
    summary="Monthly revenue of a partner or a segment",
    responses=problems(403, 404, 422),
    dependencies=ECOSYSTEM_READER,
)
async def get_time_series(
    span: SpanDep,
    session: SessionDep,
    settings: SettingsDep,
    segment: SegmentDep,
    partner_id: Annotated[
        UUID | None, Query(description="One partner's series (else the segment's).")
    ] = None,
) -> TimeSeries:
    """Net revenue, lines and partners with lines per month of `period` (or a `from`/`to` of whole months),
    for one partner, the partners of a tier/type/region, or everyone; in the reporting currency, each
    partner's month converted at the rate in force on the month's last day (so a month equals the partner's
    KPI snapshot of that month). A month without lines is `0` (a real zero) from the month of the first sale
    on; before it, null with `before_first_sale` (the partner was not selling yet; a 0 would read as a drop);
    `no_sales` when the partners never sold. 404 for a partner analytics never heard of."""
    return await series.time_series(
        session, span=span, partner_id=partner_id, segment=segment, currency=settings.reporting_currency
    )


@router.get(
    "/cohorts",
    response_model=Cohorts,
    summary="Partner cohorts by activation quarter",
    responses=problems(403, 422),
    dependencies=ECOSYSTEM_READER,
)
async def get_cohorts(
    span: SpanDep, session: SessionDep, settings: SettingsDep, segment: SegmentDep
) -> Cohorts:
    """Partners grouped by their activation quarter (the quarter of their first sale) within `period` (a year
    or a quarter, or a `from`/`to` of whole quarters); per cohort, its partners and, for each quarter from
    activation to the span's end, the partners with lines and their net revenue in the reporting currency
    (each partner's quarter converted at the rate in force on the quarter's last day)."""
    return await series.cohorts(session, span=span, segment=segment, currency=settings.reporting_currency)
