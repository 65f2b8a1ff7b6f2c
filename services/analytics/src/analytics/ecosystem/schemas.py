"""Answers of the ecosystem views."""

from __future__ import annotations

from datetime import date
from enum import StrEnum
from uuid import UUID

from prm_contracts.kpis import FxRateApplied, Kpi, KpiSnapshot
from pydantic import BaseModel, Field

# Every Kpi field of the snapshot can rank partners.
RankedKpi = StrEnum(  # type: ignore[misc]
    "RankedKpi",
    {name: name for name, field in KpiSnapshot.model_fields.items() if field.annotation in (Kpi, "Kpi")},
)


class SegmentBy(StrEnum):
    tier = "tier"
    type = "type"
    region = "region"


class LeaderboardEntry(BaseModel):
    rank: int = Field(description="1 for the highest value; partners whose KPI is null come last.")
    partner_id: UUID
    name: str | None
    tier: str
    partner_type: str = Field(examples=["reseller"])
    region: str
    kpi: str = Field(examples=["revenue"])
    value: Kpi
    currency: str = Field(description="The currency amounts are in (the reporting currency).")


class SegmentRevenue(BaseModel):
    segment: str = Field(
        description="The tier, type or region; `unknown` when the replica does not know it.",
        examples=["gold"],
    )
    revenue: Kpi
    partners: int = Field(description="Partners of the segment with lines in the span.")


class SegmentRevenues(BaseModel):
    by: SegmentBy
    period: str | None
    first_day: date
    last_day: date
    currency: str
    segments: list[SegmentRevenue]
    fx_rates_used: list[FxRateApplied]


class Concentration(BaseModel):
    period: str | None
    first_day: date
    last_day: date
    currency: str
    partners: int = Field(description="Partners with lines in the span.")
    top_partners: int = Field(description="⌈10 % of `partners`⌉, ranked by net revenue.")
    top_revenue: Kpi
    total_revenue: Kpi
    top_share: Kpi = Field(description="top_revenue ÷ total_revenue (fraction).")
    fx_rates_used: list[FxRateApplied]


class MonthPoint(BaseModel):
    month: str = Field(description="`YYYY-MM`.", examples=["2026-07"])
    revenue: Kpi = Field(
        description="Net revenue of the month in `currency`: 0 when the partners had no lines that month (a "
        "real zero); null with `before_first_sale` for a month before their first sale, `no_sales` when they "
        "never sold, or `fx_rate_missing: …`."
    )
    line_count: int = Field(description="Lines of the month (sales, returns and credit notes).")
    partners: int = Field(description="Partners with lines in the month.")


class TimeSeries(BaseModel):
    partner_id: UUID | None = Field(description="The partner of the series; null for a segment.")
    tier: str | None
    partner_type: str | None
    region: str | None
    first_day: date
    last_day: date
    currency: str
    first_sale_on: date | None = Field(description="The first sale of the series' partners; null if none.")
    points: list[MonthPoint]
    fx_rates_used: list[FxRateApplied]


class CohortQuarter(BaseModel):
    quarter: str = Field(examples=["2026-Q3"])
    offset: int = Field(description="Quarters since activation: 0 for the activation quarter.")
    active_partners: int = Field(description="Partners of the cohort with lines in the quarter.")
    revenue: Kpi = Field(description="Net revenue of the cohort's partners in the quarter (0: none).")


class Cohort(BaseModel):
    cohort: str = Field(
        description="The activation quarter: that of its partners' first sale.", examples=["2026-Q3"]
    )
    partners: int
    quarters: list[CohortQuarter] = Field(description="From the activation quarter to the span's last one.")


class Cohorts(BaseModel):
    tier: str | None
    partner_type: str | None
    region: str | None
    first_day: date
    last_day: date
    currency: str
    cohorts: list[Cohort]
    fx_rates_used: list[FxRateApplied]
