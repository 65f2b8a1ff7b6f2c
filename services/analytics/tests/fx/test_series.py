"""The all-or-nothing rules of an FX load, without a database."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from analytics.fx.series import LoadLine, series_issues
from prm_contracts.analytics import FxFrequency, FxRateIn


def _line(number: int, day: str, base: str = "EUR", quote: str = "USD") -> LoadLine:
    rate = FxRateIn(base=base, quote=quote, rate=Decimal("1.1"), effective_on=date.fromisoformat(day))
    return LoadLine(loc=("body", number), label=f"line {number}", rate=rate)


def test_a_complete_daily_series_of_each_pair_passes() -> None:
    lines = [_line(2, "2026-07-01"), _line(3, "2026-07-02"), _line(4, "2026-07-01", "EUR", "GBP")]

    assert series_issues(lines, FxFrequency.DAILY) == []


def test_a_missing_day_is_a_gap_reported_at_the_line_after_it() -> None:
    lines = [_line(2, "2026-07-01"), _line(3, "2026-07-02"), _line(4, "2026-07-05")]

    issues = series_issues(lines, FxFrequency.DAILY)

    assert [(issue.loc, issue.type) for issue in issues] == [(["body", 4, "effective_on"], "fx_gap")]
    assert "2026-07-03 to 2026-07-04" in issues[0].msg


def test_the_same_pair_and_day_twice_is_a_duplicate_naming_the_first_line() -> None:
    issues = series_issues([_line(2, "2026-07-01"), _line(3, "2026-07-01")], FxFrequency.DAILY)

    assert [(issue.loc, issue.type) for issue in issues] == [(["body", 3, "effective_on"], "fx_duplicate")]
    assert "line 2" in issues[0].msg


def test_the_reverse_pair_is_another_series() -> None:
    lines = [_line(2, "2026-07-01"), _line(3, "2026-07-01", "USD", "EUR")]

    assert series_issues(lines, FxFrequency.DAILY) == []


def test_a_monthly_series_has_every_first_day_and_only_first_days() -> None:
    complete = [_line(2, "2026-11-01"), _line(3, "2026-12-01"), _line(4, "2027-01-01")]
    gap = [_line(2, "2026-11-01"), _line(3, "2027-01-01")]
    mid_month = [_line(2, "2026-11-15")]

    assert series_issues(complete, FxFrequency.MONTHLY) == []
    assert [i.type for i in series_issues(gap, FxFrequency.MONTHLY)] == ["fx_gap"]
    assert [i.type for i in series_issues(mid_month, FxFrequency.MONTHLY)] == ["fx_monthly_day"]
