"""HTTP of the ecosystem views: `/v1/leaderboards` and `/v1/ecosystem/...`, for non-partner credentials."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query
from prm_contracts.pagination import Page
from prm_contracts.problem import Forbidden
from prm_kit.db import SessionDep
from prm_kit.errors import problems
from prm_kit.internal_auth import PrincipalDep, require
from prm_kit.pagination import CursorQuery, LimitQuery

from analytics.ecosystem import service
from analytics.ecosystem.schemas import Concentration, LeaderboardEntry, RankedKpi, SegmentBy, SegmentRevenues
from analytics.kpis.router import SettingsDep, SpanDep

leaderboard_router = APIRouter(prefix="/v1/leaderboards", tags=["ecosystem"])
router = APIRouter(prefix="/v1/ecosystem", tags=["ecosystem"])

READ = require("analytics:read")


def _not_a_partner(who: PrincipalDep) -> None:
    if who.partner_id is not None:
        raise Forbidden("ecosystem views compare partners: a partner's own credential cannot see them")


ECOSYSTEM_READER: Any = [READ, Depends(_not_a_partner)]
Segment = Annotated[str | None, Query(min_length=1, max_length=100)]


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
    tier: Segment = None,
    partner_type: Annotated[str | None, Query(alias="type", min_length=1, max_length=30)] = None,
    region: Segment = None,
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
        tier=tier,
        partner_type=partner_type,
        region=region,
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
