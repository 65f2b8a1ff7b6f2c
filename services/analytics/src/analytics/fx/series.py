"""The all-or-nothing rules of one FX load, without a database: no pair and date twice, no gap in a pair's
series. Pure, so every rule is tested alone.

The gap rule: within one load, each pair's rates run without a hole from the pair's first to its last date,
at the load's frequency: `daily` has every calendar day, `monthly` the first day of every month (and only
first days). Stored rates outside the load are not considered: a load may backfill an older stretch.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from itertools import pairwise

from prm_contracts.analytics import FxFrequency, FxRateIn
from prm_contracts.problem import ValidationIssue


@dataclass(frozen=True)
class LoadLine:
    """One rate of a load and where it came from: `loc` is where a problem with it is reported."""

    loc: tuple[str | int, ...]
    label: str  # "line 7" or "rates[6]", for messages
    rate: FxRateIn


def _next(day: date, frequency: FxFrequency) -> date:
    if frequency is FxFrequency.DAILY:
        return day + timedelta(days=1)
    return date(day.year + day.month // 12, day.month % 12 + 1, 1)


def _issue(line: LoadLine, field: str, msg: str, type_: str) -> ValidationIssue:
    return ValidationIssue(loc=[*line.loc, field], msg=f"{line.label}: {msg}", type=type_)


def series_issues(lines: Sequence[LoadLine], frequency: FxFrequency) -> list[ValidationIssue]:
    """Every duplicate (pair, date), every monthly rate not on a first day and every gap."""
    issues: list[ValidationIssue] = []
    by_pair: dict[tuple[str, str], dict[date, LoadLine]] = defaultdict(dict)
    for line in lines:
        pair = (line.rate.base, line.rate.quote)
        day = line.rate.effective_on
        if frequency is FxFrequency.MONTHLY and day.day != 1:
            issues.append(
                _issue(
                    line,
                    "effective_on",
                    f"a monthly rate holds from a month's first day, not {day}",
                    "fx_monthly_day",
                )
            )
            continue
        first = by_pair[pair].get(day)
        if first is not None:
            issues.append(
                _issue(
                    line,
                    "effective_on",
                    f"{pair[0]}/{pair[1]} on {day} is already given at {first.label}",
                    "fx_duplicate",
                )
            )
            continue
        by_pair[pair][day] = line
    for (base, quote), days in by_pair.items():
        ordered = sorted(days)
        for before, after in pairwise(ordered):
            expected = _next(before, frequency)
            if after != expected:
                issues.append(
                    _issue(
                        days[after],
                        "effective_on",
                        f"{base}/{quote} has a gap: no {frequency.value} rate from {expected} to "
                        f"{after - timedelta(days=1)} (the {frequency.value} series must be complete)",
                        "fx_gap",
                    )
                )
    return issues
