"""The arithmetic of conflict statistics: periods, month buckets, the exact median, age buckets. Pure.

A period is `2026-Q3`, `2026-07`, or `from`/`to` dates (both inclusive), always whole UTC days; inside the
service it is the half-open interval [start, end) of UTC instants. Its days lie between FIRST_DAY and
LAST_DAY, so that every date computed from them (the midnight after the last day, the month after it, the
age buckets' 91 days before) exists.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal

from prm_contracts.periods import month_labels
from prm_contracts.problem import UnprocessableContent, ValidationIssue

MAX_MONTHS = 60
FIRST_DAY = date(1900, 1, 1)
LAST_DAY = date(9998, 12, 31)
_QUARTER = re.compile(r"^([0-9]{4})-Q([1-4])$")
_MONTH = re.compile(r"^([0-9]{4})-(0[1-9]|1[0-2])$")
# (label, fewest whole days, most whole days; None = no upper bound) since a case was reported
AGE_BUCKETS: tuple[tuple[str, int, int | None], ...] = (
    ("days_0_7", 0, 7),
    ("days_8_30", 8, 30),
    ("days_31_90", 31, 90),
    ("days_over_90", 91, None),
)


@dataclass(frozen=True)
class Period:
    label: str | None
    first_day: date
    last_day: date

    @property
    def start(self) -> datetime:
        return datetime.combine(self.first_day, time(), tzinfo=UTC)

    @property
    def end(self) -> datetime:
        """Exclusive: midnight after the last day."""
        return datetime.combine(self.last_day + timedelta(days=1), time(), tzinfo=UTC)


def _invalid(field: str, msg: str) -> UnprocessableContent:
    return UnprocessableContent(
        f"{field}: {msg}", errors=[ValidationIssue(loc=["query", field], msg=msg, type="period_invalid")]
    )


def _next_month(day: date) -> date:
    return date(day.year + day.month // 12, day.month % 12 + 1, 1)


def parse_period(label: str | None, first_day: date | None, last_day: date | None) -> Period:
    """`period`, or `from` and `to`: exactly one way of naming the period; 422 otherwise."""
    if label is not None:
        if first_day is not None or last_day is not None:
            raise _invalid("period", "give either period or from/to, not both")
        if quarter := _QUARTER.fullmatch(label):
            year, number = int(quarter.group(1)), int(quarter.group(2))
            _check_year("period", year)
            first = date(year, 3 * number - 2, 1)
            return Period(label, first, _next_month(_next_month(_next_month(first))) - timedelta(days=1))
        if month := _MONTH.fullmatch(label):
            year = int(month.group(1))
            _check_year("period", year)
            first = date(year, int(month.group(2)), 1)
            return Period(label, first, _next_month(first) - timedelta(days=1))
        raise _invalid(
            "period", f"must be a quarter such as 2026-Q3 or a month such as 2026-07, got {label!r}"
        )
    if first_day is None or last_day is None:
        raise _invalid("from" if first_day is None else "to", "give a period, or both from and to")
    for field, day in (("from", first_day), ("to", last_day)):
        if not FIRST_DAY <= day <= LAST_DAY:
            raise _invalid(field, f"must be between {FIRST_DAY} and {LAST_DAY}")
    if last_day < first_day:
        raise _invalid("to", "must not be before from")
    # counted, not listed: a span of thousands of years is refused without walking through it
    spanned = (last_day.year - first_day.year) * 12 + last_day.month - first_day.month + 1
    if spanned > MAX_MONTHS:
        raise _invalid("to", f"a period may span at most {MAX_MONTHS} months")
    return Period(None, first_day, last_day)


def _check_year(field: str, year: int) -> None:
    if not FIRST_DAY.year <= year <= LAST_DAY.year:
        raise _invalid(field, f"the year must be between {FIRST_DAY.year} and {LAST_DAY.year}")


def months(period: Period) -> list[str]:
    """`YYYY-MM` of every month the period touches, in order."""
    return month_labels(period.first_day, period.last_day)


def exact_median_seconds(durations: Sequence[timedelta]) -> Decimal | None:
    """The median in seconds, exactly: durations are whole microseconds, so the mean of the middle two has
    at most 7 decimal places, which Decimal holds without rounding."""
    if not durations:
        return None
    micros = sorted(duration // timedelta(microseconds=1) for duration in durations)
    middle = len(micros) // 2
    total = micros[middle] * 2 if len(micros) % 2 else micros[middle - 1] + micros[middle]
    # total is twice the median in microseconds
    median = Decimal(total) / Decimal(2_000_000)
    return median.quantize(Decimal(1)) if median == median.to_integral_value() else median.normalize()


def age_bucket_bounds(as_of: datetime) -> list[tuple[str, datetime | None, datetime]]:
    """For each age bucket, the reported_at range (after, at-or-before) of the cases in it at `as_of`:
    a case reported at r is n whole days old when n days ≤ as_of - r < n + 1 days."""
    bounds: list[tuple[str, datetime | None, datetime]] = []
    for label, fewest, most in AGE_BUCKETS:
        newest = as_of - timedelta(days=fewest)  # reported at or before this
        oldest = as_of - timedelta(days=most + 1) if most is not None else None  # and strictly after this
        bounds.append((label, oldest, newest))
    return bounds
