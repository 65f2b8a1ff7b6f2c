"""HTTP of exports: every list and KPI view as a streamed CSV, `GET /v1/exports/...`, with the filters of the
JSON view it mirrors (the rows equal that view's items for the same filters). A partner's own credential
exports its own sales lines, KPI snapshots and anomaly flags only, and no ecosystem view (403)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Annotated, Any
from uuid import UUID

from fastapi import APIRouter, Query, Request
from fastapi.responses import StreamingResponse
from prm_contracts.dates import IsoDate
from prm_contracts.kpis import KpiSnapshot
from prm_contracts.pagination import Page
from prm_contracts.problem import UnprocessableContent, ValidationIssue
from prm_contracts.sales import AnomalyFlagOut, FlagCode, FlagStatus, SalesKind, SalesLineOut
from prm_kit.csv_export import CSV_RESPONSE, paged_csv, whole_csv
from prm_kit.db import SessionDep
from prm_kit.errors import problems
from prm_kit.internal_auth import PrincipalDep, require
from pydantic import BaseModel
from sqlalchemy.ext.asyncio import AsyncSession

from analytics.anomalies import service as anomalies
from analytics.ecosystem import series
from analytics.ecosystem import service as ecosystem
from analytics.ecosystem.router import ECOSYSTEM_READER, SegmentDep
from analytics.ecosystem.schemas import (
    Concentration,
    LeaderboardEntry,
    MonthPoint,
    RankedKpi,
    SegmentBy,
    SegmentRevenue,
)
from analytics.exports import service
from analytics.kpis.router import CurrencyQuery, SettingsDep, SpanDep
from analytics.sales import service as sales
from analytics.sales.router import READ as SALES_READ

router = APIRouter(prefix="/v1/exports", tags=["exports"])

READ = require("analytics:read")
MAX_PARTNERS = 200


def _csv(summary: str, *statuses: int) -> dict[str, Any]:
    return {
        "summary": summary,
        "response_class": StreamingResponse,
        "responses": {**CSV_RESPONSE, **problems(*statuses)},
    }


@router.get("/sales-lines", **_csv("Export sales lines as CSV", 403, 422), dependencies=[SALES_READ])
async def export_sales_lines(
    request: Request,
    session: SessionDep,
    who: PrincipalDep,
    partner_id: Annotated[UUID | None, Query(description="Only this partner's lines.")] = None,
    from_on: Annotated[IsoDate | None, Query(alias="from", description="First `occurred_on` day.")] = None,
    to_on: Annotated[IsoDate | None, Query(alias="to", description="Last `occurred_on` day.")] = None,
    kind: Annotated[SalesKind | None, Query(description="Only sales, returns or credit notes.")] = None,
    product_category: Annotated[str | None, Query(min_length=1, max_length=100)] = None,
) -> StreamingResponse:
    """The lines `GET /v1/sales/lines` lists for the same filters, latest `occurred_on` first, all pages. A
    partner's own credential exports its own lines only (another partner's asked for: 403)."""

    async def page(session: AsyncSession, cursor: str | None) -> Page[SalesLineOut]:
        return await sales.list_lines(
            session,
            viewer=who,
            partner_id=partner_id,
            from_on=from_on,
            to_on=to_on,
            kind=kind.value if kind is not None else None,
            product_category=product_category,
            limit=service.LINES_PER_PAGE,
            cursor=cursor,
        )

    return paged_csv(request, SalesLineOut, await page(session, None), page, filename="sales-lines")


@router.get("/anomaly-flags", **_csv("Export anomaly flags as CSV", 403, 404, 422), dependencies=[READ])
async def export_anomaly_flags(
    request: Request,
    session: SessionDep,
    who: PrincipalDep,
    status: Annotated[FlagStatus | None, Query(description="Only flags in this state.")] = None,
    partner_id: Annotated[UUID | None, Query(description="Only this partner's flags.")] = None,
    code: Annotated[FlagCode | None, Query(description="Only flags raised by this rule.")] = None,
) -> StreamingResponse:
    """The flags `GET /v1/anomaly-flags` lists for the same filters, oldest first, all pages. A partner's own
    credential exports its own flags only (another partner's asked for: 404)."""

    async def page(session: AsyncSession, cursor: str | None) -> Page[AnomalyFlagOut]:
        return await anomalies.list_flags(
            session,
            viewer=who,
            partner_id=partner_id,
            status=status,
            code=code,
            limit=service.LINES_PER_PAGE,
            cursor=cursor,
        )

    return paged_csv(request, AnomalyFlagOut, await page(session, None), page, filename="anomaly-flags")


@router.get("/kpis", **_csv("Export KPI snapshots of partners as CSV", 403, 404, 422), dependencies=[READ])
async def export_kpi_snapshots(
    request: Request,
    span: SpanDep,
    session: SessionDep,
    who: PrincipalDep,
    settings: SettingsDep,
    partner_id: Annotated[
        list[UUID] | None, Query(description=f"These partners (repeat the parameter, up to {MAX_PARTNERS}).")
    ] = None,
    currency: CurrencyQuery = None,
) -> StreamingResponse:
    """One row per partner: its snapshot as `GET /v1/kpis/partners/{id}` answers it for the same `period`
    (or `from`/`to`) and `currency` (formulas there), each KPI as `<kpi>_value`, `<kpi>_reason`,
    `<kpi>_unit`. The partners: those named by `partner_id`, else every partner analytics knows, in id order;
    a partner's own credential gets its own row only (another partner's named: 404). 404 for a named partner
    analytics never heard of."""
    wanted = list(partner_id or [])
    if len(wanted) > MAX_PARTNERS:
        raise UnprocessableContent(
            f"name at most {MAX_PARTNERS} partners, or none for all of them",
            errors=[ValidationIssue(loc=["query", "partner_id"], msg="too many partners", type="too_long")],
        )

    async def page(session: AsyncSession, cursor: str | None) -> Page[KpiSnapshot]:
        return await service.kpi_page(
            session,
            viewer=who,
            partner_ids=wanted,
            span=span,
            currency=currency,
            reporting_currency=settings.reporting_currency,
            cursor=cursor,
        )

    return paged_csv(request, KpiSnapshot, await page(session, None), page, filename="kpi-snapshots")


@router.get("/leaderboard", **_csv("Export a leaderboard as CSV", 403, 422), dependencies=ECOSYSTEM_READER)
async def export_leaderboard(
    kpi: RankedKpi, span: SpanDep, session: SessionDep, settings: SettingsDep, segment: SegmentDep
) -> StreamingResponse:
    """Every rank of `GET /v1/leaderboards` for the same filters (all pages), in the reporting currency."""
    ranking = await ecosystem.ranked_partners(
        session, kpi=kpi, span=span, segment=segment, currency=settings.reporting_currency
    )
    return whole_csv(LeaderboardEntry, ranking.entries(), filename=f"leaderboard-{kpi.value}")


@router.get(
    "/revenue-by-segment",
    **_csv("Export revenue by tier, type or region as CSV", 403, 422),
    dependencies=ECOSYSTEM_READER,
)
async def export_revenue_by_segment(
    by: SegmentBy, span: SpanDep, session: SessionDep, settings: SettingsDep
) -> StreamingResponse:
    """The `segments` of `GET /v1/ecosystem/revenue` for the same filters."""
    revenue = await ecosystem.revenue_by_segment(
        session, by=by, span=span, currency=settings.reporting_currency
    )
    return whole_csv(SegmentRevenue, revenue.segments, filename=f"revenue-by-{by.value}")


@router.get(
    "/concentration",
    **_csv("Export the concentration of revenue as CSV", 403, 422),
    dependencies=ECOSYSTEM_READER,
)
async def export_concentration(
    span: SpanDep, session: SessionDep, settings: SettingsDep
) -> StreamingResponse:
    """`GET /v1/ecosystem/concentration` for the same span, as one row."""
    answer = await ecosystem.concentration(session, span=span, currency=settings.reporting_currency)
    return whole_csv(Concentration, [answer], filename="concentration")


@router.get(
    "/time-series",
    **_csv("Export a monthly time series as CSV", 403, 404, 422),
    dependencies=ECOSYSTEM_READER,
)
async def export_time_series(
    span: SpanDep,
    session: SessionDep,
    settings: SettingsDep,
    segment: SegmentDep,
    partner_id: Annotated[
        UUID | None, Query(description="One partner's series (else the segment's).")
    ] = None,
) -> StreamingResponse:
    """The `points` of `GET /v1/ecosystem/time-series` for the same filters, one row per month."""
    answer = await series.time_series(
        session, span=span, partner_id=partner_id, segment=segment, currency=settings.reporting_currency
    )
    return whole_csv(MonthPoint, answer.points, filename="time-series")


class CohortQuarterRow(BaseModel):
    """A row of the cohorts export: one quarter of one cohort."""

    cohort: str
    partners: int
    quarter: str
    offset: int
    active_partners: int
    revenue_value: str | None
    revenue_reason: str | None
    revenue_unit: str | None


@router.get("/cohorts", **_csv("Export partner cohorts as CSV", 403, 422), dependencies=ECOSYSTEM_READER)
async def export_cohorts(
    span: SpanDep, session: SessionDep, settings: SettingsDep, segment: SegmentDep
) -> StreamingResponse:
    """`GET /v1/ecosystem/cohorts` for the same filters, one row per cohort and quarter."""
    answer = await series.cohorts(session, span=span, segment=segment, currency=settings.reporting_currency)
    rows: Sequence[BaseModel] = [
        CohortQuarterRow(
            cohort=cohort.cohort,
            partners=cohort.partners,
            quarter=quarter.quarter,
            offset=quarter.offset,
            active_partners=quarter.active_partners,
            revenue_value=None if quarter.revenue.value is None else format(quarter.revenue.value, "f"),
            revenue_reason=quarter.revenue.reason,
            revenue_unit=quarter.revenue.unit,
        )
        for cohort in answer.cohorts
        for quarter in cohort.quarters
    ]
    return whole_csv(CohortQuarterRow, rows, filename="cohorts")
