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
    partner_type: str
    region: str
    kpi: str
    value: Kpi
    currency: str = Field(description="The currency amounts are in (the reporting currency).")


class SegmentRevenue(BaseModel):
    segment: str = Field(description="The tier, type or region; `unknown` when the replica does not know it.")
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
