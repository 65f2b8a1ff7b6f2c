"""Calendar dates as they cross boundaries: ISO 8601 `YYYY-MM-DD` strings and nothing else.

pydantic's own `date` also takes numbers (read as Unix timestamps) and midnight datetimes; an API that says
"dates are ISO 8601" should refuse those with a message saying what to send.

A date sent is in the years 1900 to 9998, as a reporting period is (prm_contracts.periods): every rule then
computes with it — the day after, the next month, 90 days before — without leaving Python's calendar (years
1 to 9999), where 9999-12-31 as an "open end" or 0001-01-01 used to end in a 500. Dates the services make
themselves (`date` objects) are not checked again.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime
from typing import Annotated, Any

from pydantic import AfterValidator, BeforeValidator, WithJsonSchema
from pydantic_core import PydanticCustomError

from prm_contracts.periods import FIRST_YEAR, LAST_YEAR, YEAR_PATTERN

# [0-9], not \d: Python's \d also matches other scripts' digits.
_DATE_RE = re.compile(r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$")
# What the document states: the years taken, a month 01-12 and a day 01-31 (the calendar decides the rest).
DATE_PATTERN = rf"^{YEAR_PATTERN}-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])$"


def utc_today() -> date:
    """Today's date in UTC: what "today" means in every rule that compares dates."""
    return datetime.now(UTC).date()


def parse_date(value: Any) -> date:
    """A `YYYY-MM-DD` string (or a `date` from Python code) that names a real calendar day."""
    if isinstance(value, date) and not isinstance(value, datetime):
        return value
    if not isinstance(value, str) or not _DATE_RE.fullmatch(value):
        raise PydanticCustomError(
            "date_format",
            "must be a date written as YYYY-MM-DD, such as 2026-07-01; got {value}",
            {"value": value},
        )
    try:
        day = date.fromisoformat(value)
    except ValueError as exc:
        raise PydanticCustomError("date_invalid", "{value} is not a calendar date", {"value": value}) from exc
    if not FIRST_YEAR <= day.year <= LAST_YEAR:
        raise PydanticCustomError(
            "date_out_of_range",
            "must be a date in the years {first} to {last}; got {value} (where a field may be open-ended, send "
            "null rather than a far date)",
            {"first": FIRST_YEAR, "last": LAST_YEAR, "value": value},
        )
    return day


def _not_in_future(value: date) -> date:
    if value > utc_today():
        raise PydanticCustomError(
            "date_in_future", "cannot be in the future (today is {today} UTC)", {"today": str(utc_today())}
        )
    return value


IsoDate = Annotated[
    date,
    BeforeValidator(parse_date),
    WithJsonSchema({"type": "string", "format": "date", "pattern": DATE_PATTERN, "examples": ["2026-07-01"]}),
]
PastOrTodayDate = Annotated[
    date,
    BeforeValidator(parse_date),
    AfterValidator(_not_in_future),
    WithJsonSchema(
        {
            "type": "string",
            "format": "date",
            "pattern": DATE_PATTERN,
            "description": "Today (UTC) or earlier.",
            "examples": ["2026-07-01"],
        }
    ),
]
