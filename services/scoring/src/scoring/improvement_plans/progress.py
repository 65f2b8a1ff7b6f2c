"""How far a plan's goal has come, from one KPI reading (no I/O).

A goal runs over the days `starts_on`..`due_on` (both inclusive, `D` days). Its KPI is read over the plan's
window so far, `[starts_on, min(today, due_on)]` (`n` days): amounts and counts (revenue, new and active
customers...) accumulate over the window, ratios and scores (NPS, retention...) are the window's value.
Active customers, retention and lifetime value, which analytics counts by whole months, are read over the
whole months the window touches (`WHOLE_MONTH_KPIS`), still judged at the window's last day.

- **met**: the value reached the target: `value ≥ target`, or `value ≤ target` for the KPIs where lower is
  better (`returns_ratio`, `customer_acquisition_cost`);
- **missed**: not met and the due date has passed (the window then ends on the due date: its value is final);
- **on_track** / **off_track**: not met, not due, and at or behind the straight line from the baseline to the
  target: `expected = baseline + (target - baseline) · (n - n₀) / (D - n₀)`. For cumulative KPIs the
  baseline is 0 before the first day (`n₀ = 0`); for the others it is the `baseline` given with the goal (also
  `n₀ = 0`), or else the value of the first check, taken as the baseline with `n₀` its window's days;
- **no_data**: not due and the KPI has no value (analytics' reason is kept; never a fake 0). A goal past its
  due date without a value is missed.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from enum import StrEnum

from prm_contracts.periods import PeriodKind, period_containing


class KpiName(StrEnum):
    """The KPIs of `prm_contracts.kpis.KpiSnapshot` a goal can aim at."""

    REVENUE = "revenue"
    GROSS_PROFIT = "gross_profit"
    GROSS_MARGIN = "gross_margin"
    GROWTH_PREVIOUS_PERIOD = "growth_previous_period"
    GROWTH_YEAR_OVER_YEAR = "growth_year_over_year"
    TARGET_ATTAINMENT = "target_attainment"
    MARKET_SHARE = "market_share"
    NEW_CUSTOMERS = "new_customers"
    RETENTION_RATE = "retention_rate"
    CUSTOMER_ACQUISITION_COST = "customer_acquisition_cost"
    CUSTOMER_LIFETIME_VALUE = "customer_lifetime_value"
    NPS = "nps"
    NPS_RESPONSES = "nps_responses"
    CSAT = "csat"
    CSAT_RESPONSES = "csat_responses"
    DEAL_REGISTRATION_WIN_RATE = "deal_registration_win_rate"
    RETURNS_RATIO = "returns_ratio"
    COST_COVERAGE = "cost_coverage"
    ACTIVE_CUSTOMERS = "active_customers"
    CSAT_SATISFIED_SHARE = "csat_satisfied_share"


# KPIs in the snapshot's currency: their targets are Money, read from a snapshot in the target's currency
AMOUNT_KPIS = frozenset(
    {
        KpiName.REVENUE,
        KpiName.GROSS_PROFIT,
        KpiName.CUSTOMER_ACQUISITION_COST,
        KpiName.CUSTOMER_LIFETIME_VALUE,
    }
)
LOWER_IS_BETTER = frozenset({KpiName.RETURNS_RATIO, KpiName.CUSTOMER_ACQUISITION_COST})
# sums over the window: they start from 0 on the plan's first day
CUMULATIVE_KPIS = frozenset(
    {
        KpiName.REVENUE,
        KpiName.GROSS_PROFIT,
        KpiName.NEW_CUSTOMERS,
        KpiName.ACTIVE_CUSTOMERS,
        KpiName.NPS_RESPONSES,
        KpiName.CSAT_RESPONSES,
    }
)

# Analytics counts distinct customers per month (its customer-month rollup: KPI reads never scan lines), so
# these are read over the whole months a goal's window touches, a few days before the plan's start and after
# its last day included; the day they are judged at stays the window's last day (`judge`'s `as_of`).
WHOLE_MONTH_KPIS = frozenset(
    {KpiName.ACTIVE_CUSTOMERS, KpiName.RETENTION_RATE, KpiName.CUSTOMER_LIFETIME_VALUE}
)

EXPECTED_QUANTUM = Decimal("0.000001")


class GoalState(StrEnum):
    ON_TRACK = "on_track"
    OFF_TRACK = "off_track"
    MET = "met"
    MISSED = "missed"
    NO_DATA = "no_data"


@dataclass(frozen=True)
class Window:
    """The days a goal's KPI is read over, and the currency amounts must be in (None: any)."""

    first_day: date
    last_day: date
    currency: str | None


def goal_window(
    starts_on: date, due_on: date, kpi: KpiName, currency: str | None, *, today: date
) -> Window | None:
    """The days a goal's KPI is read over so far: the plan's window, or for the KPIs of distinct customers
    the whole months it touches; None before the plan starts."""
    if today < starts_on:
        return None
    first, last = starts_on, min(today, due_on)
    if kpi in WHOLE_MONTH_KPIS:
        first, last = first.replace(day=1), period_containing(PeriodKind.MONTH, last).last_day
    return Window(first, last, currency if kpi in AMOUNT_KPIS else None)


@dataclass(frozen=True)
class Terms:
    """What a goal aims at, as stored."""

    kpi: KpiName
    target: Decimal
    starts_on: date
    due_on: date
    baseline: Decimal | None
    baseline_on: date | None  # the last day of the check that gave the baseline; None: before the first day


@dataclass(frozen=True)
class Progress:
    state: GoalState
    value: Decimal | None
    expected: Decimal | None
    reason: str | None
    baseline: Decimal | None
    baseline_on: date | None


def _days(first: date, last: date) -> int:
    return (last - first).days + 1


def _reached(kpi: KpiName, value: Decimal, mark: Decimal) -> bool:
    return value <= mark if kpi in LOWER_IS_BETTER else value >= mark


def expected_value(terms: Terms, baseline: Decimal, baseline_on: date | None, as_of: date) -> Decimal:
    """Where the straight line from the baseline to the target stands after the window ending `as_of`."""
    total = _days(terms.starts_on, terms.due_on)
    done = _days(terms.starts_on, as_of)
    start = 0 if baseline_on is None else _days(terms.starts_on, baseline_on)
    if total <= start:
        return terms.target
    share = Decimal(max(done - start, 0)) / Decimal(total - start)
    share = min(share, Decimal(1))
    return (baseline + (terms.target - baseline) * share).quantize(EXPECTED_QUANTUM, rounding=ROUND_HALF_UP)


def judge(terms: Terms, value: Decimal | None, reason: str | None, *, as_of: date, today: date) -> Progress:
    """The goal's state after reading `value` over the window ending `as_of` (`reason`: why it is None)."""
    past_due = today > terms.due_on
    baseline, baseline_on = terms.baseline, terms.baseline_on
    if terms.kpi in CUMULATIVE_KPIS:
        baseline, baseline_on = Decimal(0), None
    if value is None:
        state = GoalState.MISSED if past_due else GoalState.NO_DATA
        return Progress(state, None, None, reason or "no value", terms.baseline, terms.baseline_on)
    if baseline is None:
        baseline, baseline_on = value, as_of
    expected = expected_value(terms, baseline, baseline_on, as_of)
    if _reached(terms.kpi, value, terms.target):
        state = GoalState.MET
    elif past_due:
        state = GoalState.MISSED
    elif _reached(terms.kpi, value, expected):
        state = GoalState.ON_TRACK
    else:
        state = GoalState.OFF_TRACK
    if (
        terms.kpi in CUMULATIVE_KPIS
    ):  # counted from 0, whatever was stored: the goal's baseline stays as it is
        return Progress(state, value, expected, None, terms.baseline, terms.baseline_on)
    return Progress(state, value, expected, None, baseline, baseline_on)
