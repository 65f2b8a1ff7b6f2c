"""Reporting periods as they cross boundaries: `2026` (a year), `2026-Q3` (a quarter), `2026-07` (a month).

A `Period` covers whole calendar days: `first_day` is its first day and `end` the first day after it, so the
period is the half-open range [first_day, end) of dates (`last_day` = the inclusive last day). Anything else
is refused with a message saying what to send; KPIs, targets, scoring and incentives all read periods here.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, timedelta
from enum import StrEnum
from typing import Annotated, Any

from pydantic import BeforeValidator, WithJsonSchema
from pydantic_core import PydanticCustomError

FIRST_YEAR, LAST_YEAR = 1900, 9998  # the day after any period (and a year before it) is still a date
# The years FIRST_YEAR to LAST_YEAR (1900-9998) spelled out, so that the document states the whole rule
YEAR_PATTERN = r"(19[0-9]{2}|[2-8][0-9]{3}|9[0-8][0-9]{2}|99[0-8][0-9]|999[0-8])"
PERIOD_PATTERN = rf"^{YEAR_PATTERN}(-Q[1-4]|-(0[1-9]|1[0-2]))?$"
# For a parameter taken as text and parsed with `parse_period` (`json_schema_extra=PERIOD_IN_DOCUMENT`): the
# document states the rule while the parser keeps its messages and its leniency (`q`, surrounding spaces);
# one parsed with `parse_documented_period` (as `PeriodLabel` is) takes only what the pattern admits.
PERIOD_IN_DOCUMENT: dict[str, Any] = {"pattern": PERIOD_PATTERN}
_YEAR = re.compile(r"^([0-9]{4})$")
_QUARTER = re.compile(r"^([0-9]{4})-Q([1-4])$")
_MONTH = re.compile(r"^([0-9]{4})-(0[1-9]|1[0-2])$")


class PeriodKind(StrEnum):
    YEAR = "year"
    QUARTER = "quarter"
    MONTH = "month"


def _first_of_next_month(day: date) -> date:
    return date(day.year + day.month // 12, day.month % 12 + 1, 1)


@dataclass(frozen=True, order=True)
class Period:
    """A year, quarter or month: the dates [first_day, end)."""

    first_day: date
    end: date
    kind: PeriodKind
    label: str

    @property
    def last_day(self) -> date:
        return self.end - timedelta(days=1)

    def __contains__(self, day: object) -> bool:
        return isinstance(day, date) and self.first_day <= day < self.end

    def previous(self) -> Period:
        """The period of the same kind just before this one (2026-Q1 → 2025-Q4)."""
        return period_containing(self.kind, self.first_day - timedelta(days=1))

    def a_year_before(self) -> Period:
        """The same period one year earlier (2026-07 → 2025-07)."""
        return period_containing(self.kind, self.first_day.replace(year=self.first_day.year - 1))


def period_containing(kind: PeriodKind, day: date) -> Period:
    """The year, quarter or month that `day` falls in."""
    if kind is PeriodKind.YEAR:
        return Period(date(day.year, 1, 1), date(day.year + 1, 1, 1), kind, f"{day.year:04d}")
    if kind is PeriodKind.QUARTER:
        quarter = (day.month - 1) // 3 + 1
        first = date(day.year, 3 * quarter - 2, 1)
        end = _first_of_next_month(_first_of_next_month(_first_of_next_month(first)))
        return Period(first, end, kind, f"{day.year:04d}-Q{quarter}")
    first = day.replace(day=1)
    return Period(first, _first_of_next_month(first), kind, f"{day.year:04d}-{day.month:02d}")


def month_labels(first: date, last: date) -> list[str]:
    """`YYYY-MM` of every month the days `first`..`last` touch, oldest first."""
    labels, year, month = [], first.year, first.month
    while (year, month) <= (last.year, last.month):
        labels.append(f"{year:04d}-{month:02d}")
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return labels


def starts_a_period(kind: PeriodKind, day: date) -> bool:
    """Whether `day` is the first day of a year, quarter or month (as `kind` says)."""
    months = {PeriodKind.YEAR: 12, PeriodKind.QUARTER: 3, PeriodKind.MONTH: 1}[kind]
    return day.day == 1 and (day.month - 1) % months == 0


def ends_a_period(kind: PeriodKind, day: date) -> bool:
    """Whether `day` is the last day of a year, quarter or month (9999-12-31 ends every kind)."""
    return day == date.max or starts_a_period(kind, day + timedelta(days=1))


def parse_period(text: str) -> Period:
    """`2026`, `2026-Q3` or `2026-07` (surrounding spaces ignored, `q` accepted for `Q`); ValueError with a
    message a client can act on for anything else."""
    if not isinstance(text, str):
        raise ValueError("a period must be a string such as 2026, 2026-Q3 or 2026-07")
    label = text.strip().upper()
    if year_match := _YEAR.fullmatch(label):
        kind, year, day = PeriodKind.YEAR, int(year_match.group(1)), None
    elif quarter := _QUARTER.fullmatch(label):
        kind, year = PeriodKind.QUARTER, int(quarter.group(1))
        day = date(year, 3 * int(quarter.group(2)) - 2, 1) if FIRST_YEAR <= year <= LAST_YEAR else None
    elif month := _MONTH.fullmatch(label):
        kind, year = PeriodKind.MONTH, int(month.group(1))
        day = date(year, int(month.group(2)), 1) if FIRST_YEAR <= year <= LAST_YEAR else None
    else:
        raise ValueError(
            f"a period is a year (2026), a quarter (2026-Q3) or a month (2026-07), got {text[:40]!r}"
        )
    if not FIRST_YEAR <= year <= LAST_YEAR:
        raise ValueError(f"a period's year must be between {FIRST_YEAR} and {LAST_YEAR}, got {year}")
    return period_containing(kind, day or date(year, 1, 1))


def parse_documented_period(text: str) -> Period:
    """A period written exactly as `PERIOD_PATTERN` states (no `q`, no surrounding spaces): what a field or
    parameter whose document states the pattern takes. ValueError naming the pattern for anything else, with
    the documented spelling when `parse_period` would have taken it."""
    if isinstance(text, str) and re.fullmatch(PERIOD_PATTERN, text):
        return parse_period(text)
    try:
        label = parse_period(text).label
    except ValueError as exc:
        raise ValueError(f"{exc}; a period matches {PERIOD_PATTERN}") from exc
    raise ValueError(f"write the period {text[:40]!r} as {label!r}: a period matches {PERIOD_PATTERN}")


def _period_label(value: Any) -> str:
    try:
        return parse_documented_period(value).label
    except ValueError as exc:
        # the message goes in as a value: the pattern's braces are no placeholders
        raise PydanticCustomError("period", "{reason}", {"reason": str(exc)}) from exc


PeriodLabel = Annotated[
    str,
    BeforeValidator(_period_label),
    WithJsonSchema(
        {
            "type": "string",
            "pattern": PERIOD_PATTERN,
            "description": "A year (`2026`), a quarter (`2026-Q3`) or a month (`2026-07`), written exactly so "
            "(a capital `Q`, no spaces).",
            "examples": ["2026-Q3"],
        }
    ),
]
