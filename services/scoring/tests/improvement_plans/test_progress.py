"""The progress rule of a goal, without a database: each state, the straight line, the baseline."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from scoring.improvement_plans.progress import (
    GoalState,
    KpiName,
    Terms,
    Window,
    goal_window,
    judge,
)

from ..fake_analytics import KPI_FIELDS

START, DUE = date(2027, 1, 1), date(2027, 3, 31)  # 31 + 28 + 31 = 90 days
DAY_30 = date(2027, 1, 30)


def _terms(kpi: KpiName, target: str, *, baseline: str | None = None, due: date = DUE) -> Terms:
    return Terms(kpi, Decimal(target), START, due, None if baseline is None else Decimal(baseline), None)


def test_every_kpi_of_the_snapshot_contract_can_be_a_goal() -> None:
    assert {kpi.value for kpi in KpiName} == set(KPI_FIELDS)


def test_a_cumulative_kpi_is_on_track_at_or_above_its_share_of_the_target() -> None:
    terms = _terms(KpiName.REVENUE, "90000")

    ahead = judge(terms, Decimal("30000"), None, as_of=DAY_30, today=DAY_30)
    behind = judge(terms, Decimal("29999.99"), None, as_of=DAY_30, today=DAY_30)

    # 30 of 90 days: expected 90000 · 30/90 = 30000
    assert (ahead.state, ahead.expected) == (GoalState.ON_TRACK, Decimal("30000.000000"))
    assert behind.state == GoalState.OFF_TRACK
    assert (ahead.baseline, ahead.baseline_on) == (None, None)


def test_a_cumulative_kpi_counts_from_0_and_leaves_a_stored_baseline_as_it_was() -> None:
    # a baseline stored before plans refused one for cumulative KPIs: not used, and not erased either
    terms = _terms(KpiName.REVENUE, "90000", baseline="3")

    progress = judge(terms, Decimal("30000"), None, as_of=DAY_30, today=DAY_30)

    # from 0, not 3: 90000 · 30/90 = 30000 expected
    assert (progress.state, progress.expected) == (GoalState.ON_TRACK, Decimal("30000.000000"))
    assert (progress.baseline, progress.baseline_on) == (Decimal("3"), None)


def test_a_score_runs_from_its_given_baseline() -> None:
    terms = _terms(KpiName.NPS, "40", baseline="10")

    progress = judge(terms, Decimal("15"), None, as_of=DAY_30, today=DAY_30)

    # 10 + (40 - 10) · 30/90 = 20; 15 < 20
    assert (progress.state, progress.expected) == (GoalState.OFF_TRACK, Decimal("20.000000"))


def test_without_a_baseline_the_first_value_is_the_baseline() -> None:
    terms = _terms(KpiName.RETURNS_RATIO, "0.05", due=date(2027, 2, 28))  # 59 days

    first = judge(terms, Decimal("0.08"), None, as_of=DAY_30, today=DAY_30)
    later_terms = Terms(terms.kpi, terms.target, START, terms.due_on, first.baseline, first.baseline_on)
    later = judge(later_terms, Decimal("0.07"), None, as_of=date(2027, 2, 14), today=date(2027, 2, 14))

    assert (first.state, first.expected) == (GoalState.ON_TRACK, Decimal("0.080000"))
    assert (first.baseline, first.baseline_on) == (Decimal("0.08"), DAY_30)
    # n₀ = 30, n = 45, D = 59: 0.08 + (0.05 - 0.08) · 15/29 = 0.08 - 0.45/29 = 0.064482758… → 0.064483;
    # lower is better, 0.07 > 0.064483
    assert (later.state, later.expected) == (GoalState.OFF_TRACK, Decimal("0.064483"))


def test_met_and_missed() -> None:
    lower = _terms(KpiName.CUSTOMER_ACQUISITION_COST, "250")
    higher = _terms(KpiName.TARGET_ATTAINMENT, "0.9", baseline="0.5")
    after_due = date(2027, 4, 2)

    assert judge(lower, Decimal("250"), None, as_of=DAY_30, today=DAY_30).state == GoalState.MET
    assert judge(lower, Decimal("250.01"), None, as_of=DUE, today=after_due).state == GoalState.MISSED
    assert judge(higher, Decimal("0.9"), None, as_of=DUE, today=after_due).state == GoalState.MET
    missed = judge(higher, Decimal("0.89"), None, as_of=DUE, today=after_due)
    assert (missed.state, missed.expected) == (GoalState.MISSED, Decimal("0.900000"))


def test_no_value_is_no_data_until_due_then_missed() -> None:
    terms = _terms(KpiName.NPS, "40")

    early = judge(terms, None, "no_responses", as_of=DAY_30, today=DAY_30)
    late = judge(terms, None, None, as_of=DUE, today=date(2027, 4, 1))

    assert (early.state, early.value, early.expected, early.reason) == (
        GoalState.NO_DATA,
        None,
        None,
        "no_responses",
    )
    assert early.baseline is None
    assert (late.state, late.reason) == (GoalState.MISSED, "no value")


def test_the_window_runs_from_the_start_to_today_or_the_due_date() -> None:
    assert goal_window(START, DUE, KpiName.NPS, None, today=date(2026, 12, 31)) is None
    assert goal_window(START, DUE, KpiName.REVENUE, "EUR", today=DAY_30) == Window(START, DAY_30, "EUR")
    assert goal_window(START, DUE, KpiName.NPS, None, today=date(2027, 5, 1)) == Window(START, DUE, None)


def test_customer_counts_are_read_over_the_whole_months_the_window_touches() -> None:
    # analytics counts distinct customers per month: 2027-01-15..2027-02-10 is read as January and February
    middle, due = date(2027, 1, 15), date(2027, 3, 20)
    for kpi in (KpiName.ACTIVE_CUSTOMERS, KpiName.RETENTION_RATE):
        assert goal_window(middle, due, kpi, None, today=date(2027, 2, 10)) == Window(
            date(2027, 1, 1), date(2027, 2, 28), None
        )
    assert goal_window(middle, due, KpiName.CUSTOMER_LIFETIME_VALUE, "EUR", today=date(2027, 5, 1)) == Window(
        date(2027, 1, 1), date(2027, 3, 31), "EUR"
    )
    # the others keep the days of the plan
    assert goal_window(middle, due, KpiName.NEW_CUSTOMERS, None, today=date(2027, 2, 10)) == Window(
        middle, date(2027, 2, 10), None
    )
