"""A partner's KPI snapshot for a period, as analytics computes it from its rollups and scoring reads it.

Analytics answers `GET /v1/kpis/partners/{partner_id}` (people) and `GET /internal/partners/{partner_id}/kpis`
(services, `AnalyticsClient.kpi_snapshot`) with `KpiSnapshot`; it announces changes with `kpi.updated`
(`KpiUpdated`: which partner and month changed) so consumers refresh instead of polling. This is the contract:
add fields, never rename or remove one.

Every KPI is a `Kpi`: a value, or `null` with the reason it cannot be computed (no cost reported, no target,
no FX rate for a day...) — never a fake 0. Ratios are fractions (0.25 means 25 %), growth is relative
((this - before) ÷ before), amounts are in the snapshot's `currency`.
"""

from __future__ import annotations

import re
from datetime import date
from decimal import Decimal
from typing import Annotated, Any
from uuid import UUID

from pydantic import BaseModel, BeforeValidator, Field, PlainSerializer, WithJsonSchema

from prm_contracts.money import CurrencyCode

KPI_UPDATED = "kpi.updated"
# The longest explicit range (`from`..`to`, both inclusive) analytics answers a snapshot for; longer is 422.
KPI_RANGE_MAX_DAYS = 366 * 5

KPI_NUMBER_PATTERN = r"^-?[0-9]{1,15}(\.[0-9]{1,6})?$"
_KPI_NUMBER_RE = re.compile(KPI_NUMBER_PATTERN)


def parse_kpi_number(value: Any) -> Decimal:
    """A decimal string (or a Decimal from Python code); JSON numbers are refused, as floats are inexact."""
    if isinstance(value, Decimal) and value.is_finite():
        value = format(value, "f")
    if not isinstance(value, str) or not _KPI_NUMBER_RE.fullmatch(value):
        raise ValueError('must be a decimal string such as "0.125" (up to 6 decimal places), not a number')
    return Decimal(value)


KpiNumber = Annotated[
    Decimal,
    BeforeValidator(parse_kpi_number),
    PlainSerializer(lambda d: format(d, "f"), return_type=str),
    WithJsonSchema({"type": "string", "pattern": KPI_NUMBER_PATTERN, "examples": ["0.125"]}),
]


class Kpi(BaseModel):
    """One KPI: its value, or null with the reason it could not be computed."""

    value: KpiNumber | None = Field(description="Null when the KPI cannot be computed; see `reason`.")
    reason: str | None = Field(
        default=None,
        description="Why `value` is null, e.g. `no_cost_reported`, `no_target`, "
        "`fx_rate_missing: USD→EUR on 2026-07-31`; null when there is a value.",
        examples=["no_target"],
    )
    unit: str | None = Field(
        default=None,
        description="What `value` counts: a currency code for amounts, `ratio` (a fraction), `count`, "
        "`score` (NPS -100..100, CSAT 1..5).",
        examples=["ratio"],
    )


class FxRateApplied(BaseModel):
    """A rate a snapshot used to convert amounts into its currency."""

    base: CurrencyCode
    quote: CurrencyCode
    rate: str = Field(
        description="Units of `quote` per unit of `base`, a decimal string.", examples=["1.0842"]
    )
    effective_on: date


class KpiSnapshot(BaseModel):
    """A partner's KPIs over one period (`[first_day, last_day]`, both inclusive), in `currency`."""

    partner_id: UUID
    period: str | None = Field(
        description="The period label (`2026`, `2026-Q3`, `2026-07`), or null for an explicit from/to range.",
        examples=["2026-Q3"],
    )
    first_day: date
    last_day: date
    currency: CurrencyCode = Field(description="The currency every amount of this snapshot is in.")

    revenue: Kpi = Field(description="Net sales: sales minus returns and credit notes, in `currency`.")
    gross_profit: Kpi = Field(description="Net revenue minus net cost, over the lines that report a cost.")
    gross_margin: Kpi = Field(
        description="gross_profit ÷ revenue of the lines that report a cost (fraction)."
    )
    growth_previous_period: Kpi = Field(
        description="(revenue - revenue of the previous period) ÷ the latter."
    )
    growth_year_over_year: Kpi = Field(description="(revenue - revenue a year earlier) ÷ the latter.")
    target_attainment: Kpi = Field(description="revenue ÷ the partner's revenue target of the period.")
    market_share: Kpi = Field(description="revenue ÷ the market size of the partner's region and period.")
    new_customers: Kpi = Field(
        description="Customers whose first purchase from this partner is in the period."
    )
    retention_rate: Kpi = Field(
        description="Customers who bought in the previous period and again in this one ÷ those of the previous."
    )
    customer_acquisition_cost: Kpi = Field(description="Acquisition spend of the period ÷ new_customers.")
    customer_lifetime_value: Kpi = Field(description="Estimated value of a customer (formula in analytics).")
    nps: Kpi = Field(description="Net promoter score: % promoters (9-10) - % detractors (0-6), -100..100.")
    nps_responses: Kpi = Field(description="How many NPS answers the period has.")
    csat: Kpi = Field(description="Mean customer-satisfaction score, 1..5.")
    csat_responses: Kpi = Field(description="How many CSAT answers the period has.")
    deal_registration_win_rate: Kpi = Field(
        description="Registrations won ÷ (won + lost) closed in the period."
    )
    returns_ratio: Kpi = Field(description="Returns and credit notes ÷ gross sales (fraction).")
    last_sale_on: date | None = Field(
        default=None, description="The partner's latest sale on or before `last_day`; null if none."
    )
    fx_rates_used: list[FxRateApplied] = Field(default_factory=list)
    cost_coverage: Kpi = Field(
        default_factory=lambda: Kpi(value=None, reason="not_computed"),
        description="Lines that report a cost ÷ all lines of the period: how much of the revenue the margin "
        "covers.",
    )
    active_customers: Kpi = Field(
        default_factory=lambda: Kpi(value=None, reason="not_computed"),
        description="Customers with at least one sale in the period.",
    )
    csat_satisfied_share: Kpi = Field(
        default_factory=lambda: Kpi(value=None, reason="not_computed"),
        description="CSAT answers of 4 or 5 ÷ all CSAT answers (fraction).",
    )


class KpiUpdated(BaseModel):
    """Data of `kpi.updated`: the partner's KPIs over these months may have changed. Analytics sends it in the
    transaction of each change of a KPI input: sales (one event per partner and month a delivery touched,
    never one per line), survey answers (likewise, by the day answered), a closed deal registration (the
    months it closed in, before and after), and a target, acquisition spend or market size stored for a
    period (one event per partner, naming every month of the period; a market size: every partner the
    replica places in its region). A write that changes nothing sends none."""

    partner_id: UUID
    months: list[str] = Field(
        description="Month labels such as `2026-07`, oldest first.", examples=[["2026-07"]]
    )
