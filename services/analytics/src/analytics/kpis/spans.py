"""The span of days a snapshot covers — a period label or an explicit from/to range — and the spans it is
compared with: the previous one and the same one a year earlier. Pure.

A range of whole months (from a 1st to a month's last day) compares with the same number of whole months
before it; any other range with the same number of days before it. A year earlier is the same dates one year
back (29 February → 28 February).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from prm_contracts.kpis import KPI_RANGE_MAX_DAYS
from prm_contracts.periods import Period, parse_period
from prm_contracts.problem import UnprocessableContent, ValidationIssue

MAX_SPAN_DAYS = KPI_RANGE_MAX_DAYS  # the contract's, which scoring's improvement plans are bounded by


@dataclass(frozen=True)
class Span:
    first: date
    last: date
    label: str | None = None
    period: Period | None = None

    @property
    def whole_months(self) -> bool:
        return self.first.day == 1 and (self.last + timedelta(days=1)).day == 1

    @property
    def months(self) -> tuple[date, date]:
        """The first days of its first and last months."""
        return self.first.replace(day=1), self.last.replace(day=1)

    @property
    def start(self) -> datetime:
        return datetime.combine(self.first, time(), tzinfo=UTC)

    @property
    def end(self) -> datetime:
        """The instant after its last day (UTC)."""
        return datetime.combine(self.last + timedelta(days=1), time(), tzinfo=UTC)

    def previous(self) -> Span:
        if self.period is not None:
            return of_period(self.period.previous())
        if self.whole_months:
            count = (self.last.year - self.first.year) * 12 + self.last.month - self.first.month + 1
            first = self.first
            for _ in range(count):
                first = (first - timedelta(days=1)).replace(day=1)
            return Span(first, self.first - timedelta(days=1))
        length = self.last - self.first + timedelta(days=1)
        return Span(self.first - length, self.first - timedelta(days=1))

    def a_year_before(self) -> Span:
        if self.period is not None:
            return of_period(self.period.a_year_before())
        return Span(_year_back(self.first), _year_back(self.last))

    def describe(self) -> str:
        return self.label or f"{self.first.isoformat()}..{self.last.isoformat()}"


def _year_back(day: date) -> date:
    try:
        return day.replace(year=day.year - 1)
    except ValueError:  # 29 February
        return day.replace(year=day.year - 1, day=28)


def of_period(period: Period) -> Span:
    return Span(period.first_day, period.last_day, period.label, period)


def _refused(field: str, message: str, kind: str) -> UnprocessableContent:
    return UnprocessableContent(
        message, errors=[ValidationIssue(loc=["query", field], msg=message, type=kind)]
    )


def span_of(period: str | None, first: date | None, last: date | None) -> Span:
    """`period`, or `from` and `to` (inclusive); 422 naming the parameter for anything else."""
    if period is not None:
        if first is not None or last is not None:
            raise _refused("period", "send either period or from and to, not both", "period_or_range")
        try:
            return of_period(parse_period(period))
        except ValueError as exc:
            raise _refused("period", str(exc), "period") from None
    if first is None or last is None:
        raise _refused(
            "from" if first is None else "to",
            "send period (2026, 2026-Q3, 2026-07) or both from and to (YYYY-MM-DD)",
            "period_or_range",
        )
    if last < first:
        raise _refused("to", f"to ({last}) is before from ({first})", "date_range")
    if (last - first).days >= MAX_SPAN_DAYS:
        raise _refused("to", f"a range may span at most {MAX_SPAN_DAYS} days", "date_range")
    # each day is in 1900-9998 already (IsoDate); the span a year before is still a date
    return Span(first, last)
